"""One submission's worker: ``python -m tlkit.grading.worker`` reads a job on stdin.

Runs inside the sandbox the grader started (see ``sandbox``). The job (cells to run, hidden
tests included) arrives through stdin and lives only in this process's memory; results go back
as JSON lines on a private copy of stdout, which the kernel does not inherit.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

from tlkit.grading import sandbox


def write_kernelspec(folder: Path, job: dict) -> None:
    """The ``python3`` kernelspec: this Python, through ``kernel_launch`` with the limits."""
    limits = job["limits"]
    argv = [sys.executable, "-m", "tlkit.grading.kernel_launch",
            "--memory", str(limits["memory_mb"]), "--nproc", str(limits["nproc"]),
            "--fsize", str(limits["fsize_mb"]), "--cpu", str(limits["cpu_s"])]
    if job.get("uid") is not None:
        argv += ["--uid", str(job["uid"])]
    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": argv + ["-f", "{connection_file}"], "display_name": "Python 3 (tlkit grader)",
        "language": "python", "metadata": {"debugger": False}}))


def main() -> int:
    job = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    sandbox.set_not_dumpable()

    def emit(event: dict) -> None:
        channel.write(json.dumps(event) + "\n")
        channel.flush()

    if job["isolation"] == "full":
        sandbox.loopback_up()
        sandbox.expose_paths(job["expose"], job["stage"])
        sandbox.hide_paths(job["hide"])
    write_kernelspec(Path(os.environ["JUPYTER_PATH"]), job)
    from tlkit.grading.execute import run_cells

    kernel_pid = None

    def remember(event: dict) -> None:
        nonlocal kernel_pid
        if event.get("event") == "kernel":
            kernel_pid = event.get("pid")
        emit(event)

    try:
        run_cells(job["sources"], cwd=job["cwd"], timeout_cell=job["timeout_cell"],
                  output_cap=job["output_cap"], emit=remember)
    finally:
        if kernel_pid:  # the kernel leads its own process group: take its children too
            try:
                os.killpg(kernel_pid, signal.SIGKILL)
            except OSError:
                pass
    emit({"event": "done"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
