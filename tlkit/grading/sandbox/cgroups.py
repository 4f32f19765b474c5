"""One memory and process budget for a submission's whole process tree (cgroup v1).

The grader (root) makes a ``memory`` and a ``pids`` cgroup per submission, puts the sandbox's
first process in them before it starts, and removes them when the submission is done. Memory
of every process, shared mappings and tmpfs pages (``/tmp``, ``/dev/shm``, the scratch) all
count against ``memory.limit_in_bytes`` (and ``memsw`` so swap does not extend it).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")


def available() -> bool:
    """True when this process can create memory and pids cgroups (root, cgroup v1)."""
    return (os.geteuid() == 0 and (ROOT / "memory" / "memory.limit_in_bytes").exists()
            and (ROOT / "pids" / "cgroup.procs").exists()
            and os.access(ROOT / "memory", os.W_OK) and os.access(ROOT / "pids", os.W_OK))


def _write(path: Path, value: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


def remove_stale(prefix: str = "tlkit-") -> int:
    """Remove empty cgroups left by graders that no longer run (``tlkit-<pid>-...``)."""
    removed = 0
    for controller in ("memory", "pids"):
        for folder in (ROOT / controller).glob(f"{prefix}*"):
            pid = folder.name[len(prefix):].split("-")[0]
            if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                try:
                    folder.rmdir()
                    removed += 1
                except OSError:
                    pass
    return removed


class SubmissionCgroup:
    """The memory and pids cgroups of one submission (create, attach, kill, remove)."""

    def __init__(self, name: str, memory_mb: int, nproc: int):
        self.folders = [ROOT / "memory" / name, ROOT / "pids" / name]
        try:
            self._create(memory_mb, nproc)
        except OSError:
            self.kill_and_remove()
            raise

    def _create(self, memory_mb: int, nproc: int) -> None:
        for folder in self.folders:
            folder.mkdir()
        memory, pids = self.folders
        if memory_mb:
            limit = str(memory_mb * 1024 * 1024)
            _write(memory / "memory.limit_in_bytes", limit)
            if (memory / "memory.memsw.limit_in_bytes").exists():
                _write(memory / "memory.memsw.limit_in_bytes", limit)
        if nproc:
            _write(pids / "pids.max", str(nproc))
        self.swap_capped = (memory / "memory.memsw.limit_in_bytes").exists()

    def attach_self(self) -> None:
        """Move the calling process into both cgroups (run in the child before ``exec``)."""
        pid = str(os.getpid())
        for folder in self.folders:
            _write(folder / "cgroup.procs", pid)

    def pids(self) -> list[int]:
        found: set[int] = set()
        for folder in self.folders:
            try:
                found.update(int(p) for p in (folder / "cgroup.procs").read_text().split())
            except OSError:
                pass
        return sorted(found)

    def peak_mb(self) -> float:
        """The highest memory use of the tree so far, in MB."""
        try:
            return int((self.folders[0] / "memory.max_usage_in_bytes").read_text()) / 2**20
        except (OSError, ValueError):
            return 0.0

    def oom_kills(self) -> int:
        """How many times the memory cap was hit hard enough to kill a process."""
        try:
            text = (self.folders[0] / "memory.oom_control").read_text()
        except OSError:
            return 0
        for line in text.splitlines():
            if line.startswith("oom_kill "):
                return int(line.split()[1])
        return 0

    def kill_and_remove(self) -> None:
        """SIGKILL every process left in the cgroups, then remove them."""
        for _ in range(100):
            pids = self.pids()
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.05)
        for folder in self.folders:
            for _ in range(200):
                if not folder.exists():
                    break
                try:
                    folder.rmdir()
                    break
                except OSError:
                    time.sleep(0.05)
