"""Isolation of a submission: bubblewrap + cgroups (``full``) or limits only (``basic``).

``full`` (root, ``bwrap`` and cgroup v1): the worker and its kernel run under bubblewrap in new
PID, network, IPC and UTS namespaces, on a filesystem that holds only what the kernel needs,
read-only (``/usr``, ``/etc``, the interpreter, the environment, tlkit's package folder, the
data folder); a private size-limited tmpfs is its scratch and its ``/tmp``, ``/var/tmp``,
``/dev/shm`` and ``/run/lock``. Nothing else of the host is visible: no other submission, no
solutions, no repository, no earlier gradebook. The kernel runs under a throw-away uid; one
memory cgroup and one pids cgroup bound the whole process tree. ``basic``: the same worker with
rlimits, its own session, a scratch folder and a clean environment. See docs/grading.md.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

from tlkit.grading import cgroups
from tlkit.grading.options import Limits

PASSTHROUGH = ("TLKIT_PROFILE", "TLKIT_DEVICE", "TLKIT_DATA_DIR", "TF_CPP_MIN_LOG_LEVEL",
               "MPLBACKEND", "CUDA_VISIBLE_DEVICES", "TZ")
INSIDE_SCRATCH = "/sandbox"  # the scratch tmpfs, as the sandboxed worker sees it
TMPFS_MB = 256  # each private /tmp, /var/tmp, /dev/shm, /run/lock
WORKER_CAPS = ("CAP_SETUID", "CAP_SETGID", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER",
               "CAP_KILL")


class IsolationError(RuntimeError):
    """The requested isolation is not available on this machine."""


@functools.lru_cache(maxsize=1)
def bwrap_works() -> bool:
    """True when ``bwrap`` exists and can create the namespaces (as root, on Linux)."""
    exe = shutil.which("bwrap")
    if os.geteuid() != 0 or not exe or not sys.platform.startswith("linux"):
        return False
    try:
        return subprocess.run([exe, "--unshare-pid", "--unshare-net", "--die-with-parent",
                               "--ro-bind", "/", "/", "true"], capture_output=True,
                              timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def full_isolation_available() -> bool:
    """True when ``full`` can run here: root, a working bubblewrap and cgroup v1 controllers."""
    return bwrap_works() and cgroups.available()


def missing_for_full() -> str:
    """Why ``full`` is unavailable (empty when it is available)."""
    if os.geteuid() != 0:
        return "the grader is not running as root"
    if not shutil.which("bwrap"):
        return "bubblewrap (`bwrap`) is not installed: run scripts/setup-system.sh"
    if not bwrap_works():
        return "`bwrap` cannot create namespaces here"
    if not cgroups.available():
        return "no writable cgroup v1 memory and pids controllers under /sys/fs/cgroup"
    return ""


def resolve_isolation(requested: str, allow_weaker: bool = False) -> str:
    """The mode to use for ``full``/``basic``; a weaker one than asked only when allowed."""
    if requested == "basic" or full_isolation_available():
        return requested if requested == "basic" else "full"
    if requested != "full":
        raise IsolationError(f"unknown isolation {requested!r}: use full or basic")
    if not allow_weaker:
        raise IsolationError(f"full isolation is not available ({missing_for_full()}); "
                             "pass --isolation basic or --allow-weaker to grade with less")
    return "basic"


def describe(mode: str, limits: Limits) -> str:
    """One line saying what isolation a run actually has (printed and recorded)."""
    if mode == "full":
        return (f"full: bubblewrap (no network, read-only minimal filesystem, no other "
                f"submission or solution), memory cgroup {limits.memory_mb} MB for the whole "
                f"tree, pids cgroup {limits.nproc}, scratch tmpfs {limits.disk_mb} MB, private "
                f"/tmp /var/tmp /dev/shm /run/lock, throw-away uid")
    return ("basic: rlimits per process, own session, scratch folder, clean environment; "
            "network reachable, host files readable, no total memory cap; caches start empty "
            "(no shared warm cache)")


def tlkit_root() -> Path:
    """The folder holding the ``tlkit`` package (put on the kernel's ``PYTHONPATH``)."""
    return Path(__file__).resolve().parents[2]


def needed_paths() -> list[str]:
    """What the kernel must read: the interpreter, the environment, tlkit, the data folder."""
    paths = {sys.base_prefix, sys.prefix, str(Path(__file__).resolve().parents[1])}
    data = os.environ.get("TLKIT_DATA_DIR")
    if data and os.path.isdir(data):
        paths.add(data)
    return sorted(paths)


def _mounts_for(path: str) -> list[str]:
    """Read-only bind of a path's real location, plus the symlink that leads to it."""
    real = os.path.realpath(path)
    args = ["--ro-bind", real, real]
    if os.path.abspath(path) != real:
        args += ["--symlink", real, os.path.abspath(path)]
    return args


def _filesystem(limits: Limits) -> list[str]:
    """bwrap arguments for the minimal read-only filesystem and the private tmpfs folders."""
    cmd = ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = f"/{name}"
        if os.path.islink(path):
            cmd += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            cmd += ["--ro-bind", path, path]
    cmd += ["--dev", "/dev"]
    for folder in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock"):
        cmd += ["--size", str(TMPFS_MB * 2**20), "--perms", "1777", "--tmpfs", folder]
    mounts = [arg for path in needed_paths() for arg in _mounts_for(path)]
    targets = [mounts[i + 2] for i in range(len(mounts)) if mounts[i] in ("--ro-bind", "--symlink")]
    parents = sorted({str(p) for t in targets for p in Path(t).parents if str(p) != "/"},
                     key=lambda p: (p.count("/"), p))
    for parent in parents:  # bwrap would make them 0700: the kernel's uid must traverse them
        if parent not in ("/usr", "/etc", "/tmp", "/proc", "/dev"):
            cmd += ["--perms", "0755", "--dir", parent]
    cmd += mounts
    cmd += ["--size", str(max(16, limits.disk_mb) * 2**20), "--perms", "0755",
            "--tmpfs", INSIDE_SCRATCH]
    return cmd


def bwrap_command(files: list[tuple[str, str]], limits: Limits,
                  template_socket: str | None = None) -> list[str]:
    """The ``bwrap`` prefix of the worker's command in ``full`` mode.

    ``files``: (host path, name) data files made visible read-only under
    ``/sandbox/files/<name>`` (the worker copies them into its work folder).
    ``template_socket``: the host path of a warm-kernel template's socket (see ``zygote``),
    visible inside at ``zygote.INSIDE_SOCKET`` (root only: the kernel's uid cannot use it).
    """
    from tlkit.grading.zygote import INSIDE_SOCKET

    cmd = [shutil.which("bwrap") or "bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc",
           "--unshare-uts", "--unshare-cgroup-try", "--die-with-parent", "--new-session",
           "--hostname", "sandbox", "--cap-drop", "ALL"]
    for cap in WORKER_CAPS:
        cmd += ["--cap-add", cap]
    cmd += ["--proc", "/proc"] + _filesystem(limits)
    for host, name in files:
        cmd += ["--ro-bind", host, f"{INSIDE_SCRATCH}/files/{name}"]
    if template_socket:
        cmd += ["--ro-bind", template_socket, INSIDE_SOCKET]
    return cmd + ["--chdir", INSIDE_SCRATCH]


def template_command(folder: str, limits: Limits) -> list[str]:
    """The ``bwrap`` prefix of a warm-kernel template (``zygote``): the submission's filesystem.

    Unlike a submission it keeps the host's PID namespace and ``/proc`` (to find a requesting
    sandbox's namespaces), the cgroup folders (to join its cgroups) and root's capabilities (to
    enter those namespaces); it runs only the grader's code, never a submission's. ``folder``
    (host) holds its socket.
    """
    return [shutil.which("bwrap") or "bwrap", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--die-with-parent", "--new-session", "--hostname", "sandbox", "--cap-add", "ALL",
            "--proc", "/proc", *_filesystem(limits), "--bind", "/sys/fs/cgroup", "/sys/fs/cgroup",
            "--bind", folder, folder, "--chdir", INSIDE_SCRATCH]


def set_not_dumpable() -> None:
    """Keep other processes (the kernel) from reading this process's memory or fds."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except (OSError, AttributeError):
        pass


def task_count(uid: int) -> int:
    """Threads currently owned by ``uid`` (what ``RLIMIT_NPROC`` counts)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.stat(f"/proc/{entry}").st_uid == uid:
                total += len(os.listdir(f"/proc/{entry}/task"))
        except OSError:
            continue
    return total


def apply_limits(limits: Limits, uid: int | None) -> None:
    """Set the kernel's rlimits (called in the kernel process before it becomes ipykernel)."""
    mb = 1024 * 1024
    if limits.memory_mb:
        # RLIMIT_DATA (heap and private anonymous mappings: what a program allocates), not
        # RLIMIT_AS: torch's CUDA build and TensorFlow map ~6 GB of address space (libraries,
        # reservations) while using ~1.3 GB, so an address-space cap breaks their import.
        # The whole tree's total is the memory cgroup's job in full mode.
        resource.setrlimit(resource.RLIMIT_DATA, (limits.memory_mb * mb,) * 2)
    if limits.fsize_mb:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.fsize_mb * mb,) * 2)
    if limits.cpu_s:
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s + 5))
    if limits.nproc:
        # Per uid: with our own throw-away uid the cap is ours alone; otherwise it is added to
        # what the user already runs (root ignores RLIMIT_NPROC, hence the uid).
        base = 0 if uid is not None else task_count(os.getuid())
        resource.setrlimit(resource.RLIMIT_NPROC, (base + limits.nproc,) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def drop_privileges(uid: int) -> None:
    """Become ``uid`` (same gid) for good: no supplementary groups, no way back."""
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)


@functools.lru_cache(maxsize=1)
def can_run_python_as(uid: int) -> bool:
    """True when ``uid`` can start this Python and import tlkit (no folder blocks it)."""
    if os.geteuid() != 0:
        return False
    try:
        return subprocess.run(
            [sys.executable, "-c", "import tlkit.grading"], capture_output=True, timeout=30,
            cwd="/", env=_python_env(), preexec_fn=lambda: drop_privileges(uid)).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def process_cap_enforced(mode: str) -> bool:
    """True when ``RLIMIT_NPROC`` or a pids cgroup binds the kernel."""
    return os.geteuid() != 0 or mode == "full" or can_run_python_as(slot_uid(0))


def slot_uid(slot: int) -> int:
    """A throw-away uid for a parallel slot, unique to this grader process."""
    return 1_000_000_000 + (os.getpid() % 4_000_000) * 64 + slot % 64


def _python_env() -> dict[str, str]:
    return {"PYTHONPATH": str(tlkit_root()), "PATH": os.pathsep.join(
        [str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"])}


def sandbox_env(scratch: str, threads: int = 1) -> dict[str, str]:
    """A clean environment for the worker and the kernel (no secrets, offline, strict).

    ``scratch`` is the scratch folder as the worker sees it. ``threads`` is each kernel's share
    of the CPUs (``cpus // jobs``): TensorFlow and PyTorch otherwise start one thread per CPU in
    every kernel, and parallel jobs then fight over the cores. Caches (``TLKIT_HOME``,
    ``KERAS_HOME``, ``TORCH_HOME``) start empty in it, so a submission can neither read nor
    poison the instructor's; official dataset files are read from ``TLKIT_DATA_DIR`` (DESIGN §3).
    """
    work = f"{scratch}/work"
    env = {k: os.environ[k] for k in PASSTHROUGH if k in os.environ}
    env.update(_python_env())
    env.update({
        "TLKIT_HOME": f"{work}/.cache/tlkit", "KERAS_HOME": f"{work}/.keras",
        "TORCH_HOME": f"{work}/.cache/torch", "HOME": work, "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8", "PYTHONDONTWRITEBYTECODE": "1",
        "TLKIT_CHECK_STRICT": "1", "TLKIT_OFFLINE": "1",
        "MPLBACKEND": env.get("MPLBACKEND", "Agg"), "MPLCONFIGDIR": f"{work}/.mpl",
        "JUPYTER_PATH": f"{scratch}/jupyter", "JUPYTER_RUNTIME_DIR": f"{scratch}/runtime",
        "JUPYTER_CONFIG_DIR": f"{scratch}/config", "JUPYTER_DATA_DIR": f"{scratch}/jupyter",
        "JUPYTER_PLATFORM_DIRS": "1", "IPYTHONDIR": f"{scratch}/ipython",
        "OMP_NUM_THREADS": str(threads), "OPENBLAS_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads), "TF_NUM_INTRAOP_THREADS": str(threads),
        "PYDEVD_DISABLE_FILE_VALIDATION": "1", "MALLOC_ARENA_MAX": "2",
        "TF_CPP_MIN_LOG_LEVEL": env.get("TF_CPP_MIN_LOG_LEVEL", "1"),
    })
    return env


def kernel_threads(jobs: int) -> int:
    """Each of ``jobs`` parallel kernels' share of the CPUs this process may use (at least 1)."""
    return max(1, len(os.sched_getaffinity(0)) // max(1, jobs))
