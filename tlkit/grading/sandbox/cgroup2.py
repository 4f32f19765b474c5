"""Cgroup v2: one memory (+swap), pids and CPU budget per submission, nested in the grader's cgroup.

Works wherever the grader may write its own cgroup v2 subtree: root, a scope systemd delegated
(``systemd-run --scope -p Delegate=yes``, as root or ``--user``; see ``systemd_scope``), Slurm's
job cgroup as root, a container's delegated cgroup. Submissions' groups are made *below the
grader's own cgroup*, never at the hierarchy's root, so whatever bounds the grader (Slurm's
``--mem``, a scope's ``MemoryMax``) bounds them too.

Layout (cgroup v2 forbids processes in a group whose controllers are enabled for children, the
"no internal processes" rule, except at the root)::

    <base>/                   the grader's cgroup; subtree_control +memory +pids +cpu
      tlkit-<pid>-host/       the processes that were in <base> (the grader, the job's shell)
      tlkit-<pid>-<id>/       one per submission: memory.max, memory.swap.max, pids.max, cpu.max
"""

from __future__ import annotations

import errno
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

WANTED = ("memory", "pids", "cpu")
CPU_PERIOD_US = 100_000


def mount_point(mountinfo: str) -> Path | None:
    """The first cgroup2 mount in a ``/proc/<pid>/mountinfo`` text (None on a v1-only host)."""
    for line in mountinfo.splitlines():
        left, _, right = line.partition(" - ")
        if right.split(" ", 1)[0] == "cgroup2":
            return Path(left.split()[4].replace("\\040", " "))
    return None


def own_path(proc_cgroup: str) -> str | None:
    """The v2 path (``0::/a/b``) in a ``/proc/<pid>/cgroup`` text."""
    for line in proc_cgroup.splitlines():
        if line.startswith("0::"):
            return line[3:]
    return None


@dataclass(frozen=True)
class Tree:
    """Where the grader's cgroup v2 subtree is: the mount and the grader's own group in it."""

    mount: Path
    base: Path

    def controllers(self) -> set[str]:
        """Controllers the base may hand to its children."""
        return set(_read(self.base / "cgroup.controllers").split())

    def enabled(self) -> set[str]:
        return set(_read(self.base / "cgroup.subtree_control").split())


def locate(mountinfo: str | None = None, proc_cgroup: str | None = None) -> Tree | None:
    """The grader's place in the cgroup v2 hierarchy, or None (no v2 mount, or not in it)."""
    if mountinfo is None:
        mountinfo = _read(Path("/proc/self/mountinfo"))
    if proc_cgroup is None:
        proc_cgroup = _read(Path("/proc/self/cgroup"))
    mount, path = mount_point(mountinfo), own_path(proc_cgroup)
    if mount is None or path is None:
        return None
    base = mount / path.lstrip("/")
    # A cgroup namespace or a mount of a sub-tree shows paths from the mount's own root.
    return Tree(mount, base) if (base / "cgroup.procs").exists() else None


def missing(tree: Tree | None) -> str:
    """Why per-submission v2 budgets cannot be made here (empty when they can)."""
    if tree is None:
        return "no cgroup v2 hierarchy holding this process"
    if not os.access(tree.base, os.W_OK) or not os.access(tree.base / "cgroup.subtree_control",
                                                          os.W_OK):
        return (f"its cgroup {tree.base} is not delegated to this user (run under "
                "`systemd-run --user --scope -p Delegate=yes` or as root)")
    lacking = [c for c in ("memory", "pids") if c not in tree.controllers()]
    if lacking:
        return (f"controller(s) {' '.join(lacking)} not available in {tree.base} "
                "(bound to cgroup v1, or not delegated)")
    return ""


def prepare(tree: Tree, pid: int | None = None, wanted: tuple[str, ...] = WANTED) -> set[str]:
    """Enable the budget controllers for the base's children; returns those enabled.

    A group that holds processes cannot hand controllers to children (EBUSY; only the real
    root is exempt, and a container's root is not the real one): every process in the base
    then moves into the leaf ``tlkit-<pid>-host`` first, where it stays under the base's limits.
    """
    pid = pid or os.getpid()
    missing_ones = [c for c in wanted if c in tree.controllers() and c not in tree.enabled()]
    if missing_ones:
        try:
            _enable(tree, missing_ones)
        except OSError as exc:
            if exc.errno != errno.EBUSY:
                raise
            _move_processes(tree, tree.base / f"tlkit-{pid}-host")
            _enable(tree, missing_ones)
    return tree.enabled() & set(wanted)


def _enable(tree: Tree, controllers: list[str]) -> None:
    for controller in controllers:
        if controller not in tree.enabled():
            _write(tree.base / "cgroup.subtree_control", f"+{controller}")


def _move_processes(tree: Tree, leaf: Path) -> None:
    if not leaf.is_dir():
        _make_group(leaf)
    for _ in range(10):  # a process may fork while we move the others
        procs = _read(tree.base / "cgroup.procs").split()
        if not procs:
            return
        for proc in procs:
            try:
                _write(leaf / "cgroup.procs", proc)
            except ProcessLookupError:
                pass


def cpu_max(cpus: float) -> str:
    """``cpu.max`` for a budget of ``cpus`` CPUs (``max`` when 0: no quota)."""
    if cpus <= 0:
        return f"max {CPU_PERIOD_US}"
    return f"{max(1000, int(cpus * CPU_PERIOD_US))} {CPU_PERIOD_US}"


def limit_files(enabled: set[str], memory_mb: int, nproc: int, cpus: float) -> dict[str, str]:
    """What to write in a submission's group, for the controllers enabled in its parent."""
    files: dict[str, str] = {}
    if "memory" in enabled and memory_mb:
        files["memory.max"] = str(memory_mb * 2**20)
        files["memory.swap.max"] = "0"  # swap must not extend the budget (v1: memsw)
    if "pids" in enabled and nproc:
        files["pids.max"] = str(nproc)
    if "cpu" in enabled and cpus:
        files["cpu.max"] = cpu_max(cpus)
        files["cpu.weight"] = str(cpu_weight(cpus))
    return files


def cpu_weight(cpus: float) -> int:
    """``cpu.weight`` worth ``cpus`` ordinary processes (100 each): the group competes with the
    rest of the machine as the CPUs it may use, and a fork storm inside it gets no more."""
    return min(10000, 100 * max(1, round(cpus)))


def _make_group(path: Path) -> None:
    """mkdir in cgroupfs (the kernel creates the interface files; tests stand in for it)."""
    path.mkdir()


class SubmissionCgroup2:
    """The cgroup v2 group of one submission (create with its limits, attach, kill, remove)."""

    def __init__(self, tree: Tree, name: str, memory_mb: int, nproc: int, cpus: float = 0):
        self.folder = tree.base / name
        self.folders = [self.folder]
        enabled = tree.enabled()
        _make_group(self.folder)
        try:
            self.limits = limit_files(enabled, memory_mb, nproc, cpus)
            if not (self.folder / "memory.swap.max").exists():
                self.limits.pop("memory.swap.max", None)  # a kernel without swap accounting
            for file, value in self.limits.items():
                _write(self.folder / file, value)
        except OSError:
            self.kill_and_remove()
            raise
        self.swap_capped = "memory.swap.max" in self.limits

    def attach_self(self) -> None:
        """Move the calling process into the group (run in the child before ``exec``)."""
        _write(self.folder / "cgroup.procs", str(os.getpid()))

    def pids(self) -> list[int]:
        try:
            return sorted(int(p) for p in _read(self.folder / "cgroup.procs").split())
        except (OSError, ValueError):
            return []

    def peak_mb(self) -> float:
        """The highest memory use of the tree so far (``memory.peak``, kernel 5.19+), in MB."""
        for file in ("memory.peak", "memory.current"):
            try:
                return int(_read(self.folder / file)) / 2**20
            except (OSError, ValueError):
                continue
        return 0.0

    def oom_kills(self) -> int:
        """Processes the memory budget killed (``memory.events``' ``oom_kill``)."""
        for line in _read(self.folder / "memory.events").splitlines():
            if line.startswith("oom_kill "):
                return int(line.split()[1])
        return 0

    def kill_and_remove(self) -> None:
        """Kill every process of the group (``cgroup.kill``, else SIGKILL each), then remove it."""
        # kernel 5.14+: cgroup.kill takes the whole tree at once, no pid races
        kill_until_empty(self.pids, lambda: _write(self.folder / "cgroup.kill", "1"))
        remove_when_free(self.folder, _remove_group)


def kill_until_empty(pids: Callable[[], list[int]],
                     kill_tree: Callable[[], None] | None = None) -> None:
    """Kill until ``pids()`` is empty (5 s at most): ``kill_tree`` when it works, else SIGKILL
    each pid (v1 and v2 groups alike)."""
    for _ in range(100):
        left = pids()
        if not left:
            return
        try:
            if kill_tree is None:
                raise OSError("no whole-tree kill")
            kill_tree()
        except OSError:
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        time.sleep(0.05)


def remove_when_free(folder: Path, remove: Callable[[Path], None] = Path.rmdir) -> None:
    """Remove a group folder, retrying while the kernel still holds it (10 s at most)."""
    for _ in range(200):
        if not folder.exists():
            return
        try:
            remove(folder)
            return
        except OSError:
            time.sleep(0.05)


def remove_stale(tree: Tree, prefix: str = "tlkit-") -> int:
    """Remove empty submission groups left by graders that no longer run."""
    removed = 0
    for folder in tree.base.glob(f"{prefix}*"):
        pid = folder.name[len(prefix):].split("-")[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            try:
                _remove_group(folder)
                removed += 1
            except OSError:
                pass
    return removed


def procs_file(pid: int, mount: Path) -> Path | None:
    """The ``cgroup.procs`` of ``pid``'s v2 group under ``mount`` (to join it, as the warm
    kernel template does)."""
    path = own_path(_read(Path(f"/proc/{pid}/cgroup")))
    if path is None or path == "/":
        return None
    return mount / path.lstrip("/") / "cgroup.procs"


def _remove_group(folder: Path) -> None:
    """rmdir in cgroupfs (an empty group; tests stand in for the kernel)."""
    folder.rmdir()


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _write(path: Path, value: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)
