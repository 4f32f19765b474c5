"""One memory, pids and CPU budget for a submission's whole process tree: cgroup v1 or v2.

The grader makes the submission's groups *inside its own cgroup* (nested, so whatever bounds
the grader — Slurm's ``--mem``, a systemd scope's ``MemoryMax`` — bounds every submission too),
puts the sandbox's first process in them before it starts, and kills and removes them when the
submission is done. cgroup v1 (root): a ``memory``, a ``pids`` and a ``cpu`` group below the
grader's own group in each hierarchy; memory of every process, shared mappings and tmpfs pages
(``/tmp``, ``/dev/shm``, the scratch) count against ``memory.limit_in_bytes`` (and ``memsw`` so
swap does not extend it); ``cpu.cfs_quota_us`` caps its CPUs. cgroup v2 (root, or a delegated
subtree: ``cgroup2``): one group with ``memory.max``, ``memory.swap.max``, ``pids.max`` and
``cpu.max``. Which one is used: :func:`backend`.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from tlkit.grading.sandbox import cgroup2, systemd_scope

ROOT = Path("/sys/fs/cgroup")
V1 = ("memory", "pids", "cpu")  # cpu last: optional (a host may not mount it)


def v1_base(controller: str, proc_cgroup: str | None = None) -> Path:
    """The grader's own group in the v1 hierarchy of ``controller`` (its children go there)."""
    if proc_cgroup is None:
        proc_cgroup = Path("/proc/self/cgroup").read_text()
    for line in proc_cgroup.splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return ROOT / controller / path.lstrip("/")
    return ROOT / controller


def _v1_ready() -> bool:
    return (os.geteuid() == 0
            and all((v1_base(c) / "cgroup.procs").exists() and os.access(v1_base(c), os.W_OK)
                    for c in ("memory", "pids"))
            and (v1_base("memory") / "memory.limit_in_bytes").exists())


@functools.lru_cache(maxsize=1)
def v2_tree() -> cgroup2.Tree | None:
    """The grader's cgroup v2 place, read once: ``cgroup2.prepare`` may then move the grader
    into a leaf below it, but submissions' groups go beside that leaf, in the base."""
    return cgroup2.locate()


def _v2_allowed(tree: cgroup2.Tree) -> bool:
    """Not in a tree systemd manages, unless systemd delegated our group (``systemd_scope``
    re-runs ``tlkit grade`` in such a scope; a program calling the API in-process is not)."""
    return (not systemd_scope.systemd_running() or systemd_scope.is_delegated(tree.base)
            or systemd_scope.in_own_scope())


@functools.lru_cache(maxsize=1)
def backend() -> str:
    """``v1``, ``v2`` or ``""`` (no whole-tree budget here); v2 enables its controllers once."""
    if _v1_ready():
        return "v1"
    tree = v2_tree()
    if tree is not None and not cgroup2.missing(tree) and _v2_allowed(tree):
        cgroup2.prepare(tree)
        return "v2"
    return ""


def available() -> bool:
    """True when this process can give each submission a memory and pids budget."""
    try:
        return bool(backend())
    except OSError:
        return False


def missing() -> str:
    """Why no whole-tree budget is possible here (empty when it is)."""
    if available():
        return ""
    tree = v2_tree()
    v2 = cgroup2.missing(tree) or (
        "" if tree is None or _v2_allowed(tree)
        else f"{tree.base} is managed by systemd and not delegated (`tlkit grade` re-runs "
             "itself in `systemd-run --scope -p Delegate=yes`)")
    v1 = ("not root" if os.geteuid() != 0
          else "no writable cgroup v1 memory and pids controllers")
    return f"cgroup v1: {v1}; cgroup v2: {v2}"


def controllers() -> set[str]:
    """The budgets a submission gets here (``memory``, ``pids``, ``cpu``)."""
    kind = backend()
    if kind == "v2":
        return v2_tree().enabled() & set(cgroup2.WANTED)
    if kind == "v1":
        return {"memory", "pids"} | ({"cpu"} if (v1_base("cpu") / "cpu.cfs_quota_us").exists()
                                     else set())
    return set()


def describe() -> str:
    """Which cgroups a run uses, for the isolation line."""
    kind = backend()
    return f"cgroup {kind} nested in the grader's own" if kind else "no cgroup"


def _write(path: Path, value: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


def remove_stale(prefix: str = "tlkit-") -> int:
    """Remove empty groups left by graders that no longer run (``tlkit-<pid>-...``)."""
    if backend() == "v2":
        return cgroup2.remove_stale(v2_tree(), prefix)
    removed = 0
    for controller in V1:
        for folder in v1_base(controller).glob(f"{prefix}*"):
            pid = folder.name[len(prefix):].split("-")[0]
            if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                try:
                    folder.rmdir()
                    removed += 1
                except OSError:
                    pass
    return removed


def for_submission(name: str, memory_mb: int, nproc: int, cpus: float = 0) -> SubmissionCgroup:
    """The budget of one submission on this host's backend (same interface for v1 and v2)."""
    if backend() == "v2":
        return cgroup2.SubmissionCgroup2(v2_tree(), name, memory_mb, nproc, cpus)
    return SubmissionCgroupV1(name, memory_mb, nproc, cpus)


class SubmissionCgroupV1:
    """The memory, pids (and cpu) v1 cgroups of one submission (create, attach, kill, remove)."""

    def __init__(self, name: str, memory_mb: int, nproc: int, cpus: float = 0):
        self.folders = [v1_base(c) / name for c in V1
                        if c != "cpu" or (v1_base(c) / "cpu.cfs_quota_us").exists()]
        try:
            self._create(memory_mb, nproc, cpus)
        except OSError:
            self.kill_and_remove()
            raise

    def _create(self, memory_mb: int, nproc: int, cpus: float) -> None:
        for folder in self.folders:
            folder.mkdir()
        memory, pids = self.folders[:2]
        if cpus and len(self.folders) > 2:
            period = int((self.folders[2] / "cpu.cfs_period_us").read_text())
            _write(self.folders[2] / "cpu.cfs_quota_us", str(max(1000, int(cpus * period))))
            # worth ``cpus`` ordinary processes (1024 each), as cgroup2.cpu_weight
            _write(self.folders[2] / "cpu.shares", str(1024 * max(1, round(cpus))))
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
        cgroup2.kill_until_empty(self.pids)
        for folder in self.folders:
            cgroup2.remove_when_free(folder)


SubmissionCgroup = SubmissionCgroupV1 | cgroup2.SubmissionCgroup2
