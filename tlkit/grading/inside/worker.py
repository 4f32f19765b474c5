"""One submission's worker: ``python -m tlkit.grading.inside.worker`` reads a ``Job`` on stdin.

Runs inside the sandbox the grader started (``sandbox.supervise``). The job (cells to run, hidden
tests included) arrives through stdin and lives only in this process's memory; results go back
as JSON lines on a private copy of stdout, which the kernel does not inherit.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
from pathlib import Path

from tlkit.grading.inside.limits import set_not_dumpable
from tlkit.grading.layout import SCRATCH_FOLDERS, in_scratch
from tlkit.grading.protocol import (Done, Event, Job, KernelStarted, dumps, event_line,
                                    job_from_json)

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
        "language": "python", "metadata": {"debugger": False}}))


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
