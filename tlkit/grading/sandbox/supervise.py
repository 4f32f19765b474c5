"""Start one worker in its sandbox, feed it the job, collect its events within a time budget.

In ``full`` mode the worker runs under ``bwrap`` inside the submission's memory and pids
cgroups; when it ends or runs out of time every process left in those cgroups is killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

from tlkit.grading.protocol import Job, WorkerRun, dumps, parse_event
from tlkit.grading.sandbox.bwrap import bwrap_command
from tlkit.grading.sandbox.cgroups import SubmissionCgroup


def _drain(stream, sink, cap: int) -> None:
    """Read a pipe to the end, keeping at most ``cap`` characters (the rest is dropped)."""
    kept = 0
    for raw in iter(lambda: stream.readline(1 << 20), b""):
        if kept < cap:
            text = raw.decode("utf-8", "replace")
            sink(text)
            kept += len(text)


def run_worker(job: Job, *, command: list[str], env: dict, total: float,
               cgroup: SubmissionCgroup | None = None, cwd: str = "/") -> WorkerRun:
    """Run ``command`` + the worker with ``job`` on stdin; events and how it ended."""
    run = WorkerRun()
    err_parts: list[str] = []

    def on_line(text: str) -> None:
        event = parse_event(text)
        if event is not None:
            run.record(event)

    cmd = command + [sys.executable, "-m", "tlkit.grading.inside.worker"]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, cwd=cwd, start_new_session=True,
                            preexec_fn=cgroup.attach_self if cgroup else None)
    readers = [threading.Thread(target=_drain, args=(proc.stdout, on_line, 50_000_000),
                                daemon=True),
               threading.Thread(target=_drain, args=(proc.stderr, err_parts.append, 20000),
                                daemon=True)]
    for reader in readers:
        reader.start()
    try:
        proc.stdin.write(dumps(job).encode("utf-8"))
        proc.stdin.close()
    except BrokenPipeError:
        pass
    try:
        run.returncode = proc.wait(timeout=total)
    except subprocess.TimeoutExpired:
        run.killed = True
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        if run.returncode is None:
            run.returncode = proc.wait()
        if cgroup is not None:
            run.oom_kills = cgroup.oom_kills()
            cgroup.kill_and_remove()
        for reader in readers:
            reader.join(timeout=5)
    run.stderr = "".join(err_parts)[-12000:]
    return run


def worker_command(mode: str, files: list[tuple[str, str]], job: Job,
                   template_socket: str | None = None) -> list[str]:
    """The sandbox prefix for ``mode`` (empty for basic)."""
    return bwrap_command(files, job.limits, template_socket) if mode == "full" else []
