"""One submission's worker: ``python -m tlkit.grading.inside.worker`` reads a ``Job`` on stdin.

Runs inside the sandbox the grader started (``sandbox.supervise``). The job (cells to run, hidden
tests included) arrives through stdin and lives only in this process's memory; results go back
as JSON lines on a private copy of stdout, which the kernel does not inherit.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import sys
from pathlib import Path

from tlkit.grading.inside.limits import set_not_dumpable
from tlkit.grading.layout import SCRATCH_FOLDERS, in_scratch
from tlkit.grading import handover
from tlkit.grading.protocol import (CellRun, Done, Event, HandOver, Job, KernelStarted, dumps,
                                    event_line, job_from_json)

CHUNK = 256 * 1024  # characters of hand-over data per event line

def make_scratch(job: Job) -> None:
    """The scratch folders (owned by the kernel's uid) and the data files in ``work``."""
    for name in SCRATCH_FOLDERS:
        folder = Path(in_scratch(job.scratch, name))
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if job.uid is not None:
            os.chown(folder, job.uid, job.uid)
    for src in job.files:
        dst = Path(job.work) / Path(src).name
        shutil.copyfile(src, dst)
        if job.uid is not None:
            os.chown(dst, job.uid, job.uid)


def write_kernelspec(folder: Path, job: Job) -> None:
    """The ``python3`` kernelspec: this Python, through ``kernel_launch`` with the limits (or
    ``kernel_request``, which asks a warm template for the kernel, when the job names one)."""
    argv = [sys.executable, "-m", "tlkit.grading.inside.kernel_launch", "--limits",
            dumps(job.limits)]
    if job.template_socket:
        argv[2:3] = ["tlkit.grading.inside.kernel_request", "--socket", job.template_socket]
    if job.uid is not None:
        argv += ["--uid", str(job.uid)]
    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": argv + ["-f", "{connection_file}"], "display_name": "Python 3 (tlkit grader)",
        "language": "python", "metadata": {"debugger": False},
        "env": {handover.ENV: in_scratch(job.scratch, "handover")}}))


def _read_capped(path: Path, cap: int) -> bytes | None:
    """The file's bytes (never following a symlink), None when absent; over ``cap``: ValueError."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as f:
            data = f.read(cap + 1)
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass
    if len(data) > cap:
        raise ValueError("too big")
    return data


def wipe(folder: Path) -> None:
    """Remove every entry of ``folder`` (files the kernel left; never followed)."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                os.unlink(entry.path)
        except OSError:
            pass


def collect_handover(job: Job, index: int, emit) -> None:
    """Send what test ``index`` handed over (``handover``) to the grader, in chunks.

    Read right after the test's cell; the folder is emptied after every cell, so a later cell
    cannot replace it and the next test finds nothing of this one."""
    folder = Path(in_scratch(job.scratch, "handover"))
    try:
        text = _read_capped(folder / f"{handover.STEM}.json", handover.MAX_BYTES)
        arrays = _read_capped(folder / f"{handover.STEM}.npz", handover.MAX_BYTES)
    except ValueError:
        emit(HandOver(index, too_big=True))
        return
    if text is None:
        return
    blob = json.dumps({"json": text.decode("utf-8", "replace"),
                       "npz": base64.b64encode(arrays or b"").decode("ascii")})
    for start in range(0, len(blob), CHUNK):
        emit(HandOver(index, chunk=blob[start:start + CHUNK]))
    emit(HandOver(index, end=True))


def main() -> int:
    job = job_from_json(sys.stdin.buffer.read().decode("utf-8"))
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    set_not_dumpable()

    def emit(event: Event) -> None:
        channel.write(event_line(event) + "\n")
        channel.flush()

    make_scratch(job)
    write_kernelspec(Path(os.environ["JUPYTER_PATH"]), job)
    from tlkit.grading.inside.execute import run_cells

    kernel_pid = None

    def remember(event: Event) -> None:
        nonlocal kernel_pid
        if isinstance(event, KernelStarted):
            kernel_pid = event.pid
        if isinstance(event, CellRun):
            if job.cells[event.index].kind == "test":
                collect_handover(job, event.index, emit)
            wipe(Path(in_scratch(job.scratch, "handover")))  # nothing left for the next test
        emit(event)

    try:
        run_cells(job, emit=remember)
    finally:
        if kernel_pid:  # the kernel leads its own process group: take its children too
            try:
                os.killpg(kernel_pid, signal.SIGKILL)
            except OSError:
                pass
    emit(Done())
    return 0


if __name__ == "__main__":
    sys.exit(main())
