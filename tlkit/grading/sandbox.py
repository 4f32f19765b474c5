"""Isolation of a submission's kernel: namespaces, resource limits, own uid, hidden paths.

``full`` (root with ``unshare``): the worker runs in new network, mount and PID namespaces
(no network but loopback; the solutions folder and the repository's ``.git`` are covered by an
empty read-only tmpfs; every process dies with the worker), and the kernel runs under a
throw-away uid so ``RLIMIT_NPROC`` applies. ``basic`` (anything else): resource limits, its own
session, a scratch folder and a clean environment; the network stays reachable and the solutions
folder stays readable. See docs/grading.md.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import functools
import os
import resource
import shutil
import socket
import struct
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

UNSHARE = ["--net", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc"]
PASSTHROUGH = ("TLKIT_PROFILE", "TLKIT_DEVICE", "TLKIT_DATA_DIR", "TF_CPP_MIN_LOG_LEVEL",
               "MPLBACKEND", "CUDA_VISIBLE_DEVICES", "VIRTUAL_ENV", "TZ")


@dataclass(frozen=True)
class Limits:
    """Resource caps of one kernel (0 means no cap)."""

    memory_mb: int = 4096
    nproc: int = 128
    fsize_mb: int = 256
    cpu_s: int = 0


class IsolationError(RuntimeError):
    """The requested isolation is not available on this machine."""


@functools.lru_cache(maxsize=1)
def full_isolation_available() -> bool:
    """True when running as root and ``unshare`` can create the namespaces we need."""
    exe = shutil.which("unshare")
    if os.geteuid() != 0 or not exe or not sys.platform.startswith("linux"):
        return False
    try:
        return subprocess.run([exe, *UNSHARE, "true"], capture_output=True,
                              timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def resolve_isolation(requested: str) -> str:
    """``full`` or ``basic`` for a requested ``auto``/``full``/``basic``."""
    if requested == "basic":
        return "basic"
    if full_isolation_available():
        return "full"
    if requested == "full":
        raise IsolationError("full isolation needs root and a working `unshare` "
                             "(util-linux); use --isolation basic")
    return "basic"


def wrapper_command(mode: str) -> list[str]:
    """The command prefix that starts the worker in its namespaces (empty for basic)."""
    return [shutil.which("unshare") or "unshare", *UNSHARE] if mode == "full" else []


def paths_to_hide(solutions_dir: Path) -> list[str]:
    """Folders covered inside the sandbox: the solutions and the enclosing repo's ``.git``.

    A folder holding the Python environment or the tlkit package is never hidden (the kernel
    needs them), so ``--solutions .`` degrades to basic protection for that folder.
    """
    solutions = Path(solutions_dir).resolve()
    candidates = [solutions]
    for parent in [solutions, *solutions.parents]:
        if (parent / ".git").is_dir():
            candidates.append(parent / ".git")
            break
    needed = [Path(sys.prefix).resolve(), Path(__file__).resolve().parents[1]]
    return [str(p) for p in candidates
            if not any(n == p or p in n.parents for n in needed)]


def hide_paths(paths: list[str]) -> None:
    """Mount an empty read-only tmpfs over each path (inside a private mount namespace)."""
    ms_rdonly, ms_nosuid, ms_nodev = 1, 2, 4
    for path in paths:
        if os.path.isdir(path):
            _mount("tmpfs", path, "tmpfs", ms_rdonly | ms_nosuid | ms_nodev, "size=4k,mode=0555")


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None) -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    args = [None if v is None else v.encode() for v in (source, target, fstype, data)]
    if libc.mount(args[0], args[1], args[2], flags, args[3]) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {source} on {target}: {os.strerror(err)}")


def needed_paths() -> list[str]:
    """What the kernel must reach: the interpreter, the environment, tlkit, data folders."""
    paths = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix),
             str(Path(__file__).resolve().parents[1])}
    data = os.environ.get("TLKIT_DATA_DIR")
    if data and os.path.isdir(data):
        paths.add(os.path.realpath(data))
    return sorted(paths)


def _blocking_ancestor(path: str) -> tuple[str, str] | None:
    """The first ancestor others cannot traverse, and its child on the way to ``path``."""
    parts = Path(path).parts
    for depth in range(1, len(parts)):
        folder = str(Path(*parts[:depth]))
        if not os.stat(folder).st_mode & 0o001:
            return folder, str(Path(*parts[: depth + 1]))
    return None


def expose_paths(paths: list[str], staging: str) -> None:
    """Make ``paths`` reachable by an unprivileged uid inside this mount namespace.

    A folder others cannot traverse (e.g. ``/root`` holding pyenv's Python) is covered by an
    empty tmpfs of mode 755 into which only the needed sub-folders are bind-mounted back, so
    the rest of it is hidden as well. Nothing changes outside the namespace.
    """
    ms_bind, ms_rec = 4096, 16384
    blocked: dict[str, set[str]] = {}
    for path in paths:
        hit = _blocking_ancestor(path)
        if hit:
            blocked.setdefault(hit[0], set()).add(hit[1])
    if not blocked:
        return
    os.makedirs(staging, mode=0o700, exist_ok=True)
    _mount("tmpfs", staging, "tmpfs", 0, "mode=0700")
    saved = []
    for number, (folder, children) in enumerate(sorted(blocked.items())):
        for child in sorted(children):
            holder = os.path.join(staging, f"{number}-{len(saved)}")
            os.mkdir(holder)
            _mount(child, holder, None, ms_bind | ms_rec, None)
            saved.append((holder, folder, child))
    for folder in sorted(blocked):
        _mount("tmpfs", folder, "tmpfs", 0, "mode=0755")
    for holder, folder, child in saved:
        target = os.path.join(folder, os.path.basename(child))
        os.makedirs(target, exist_ok=True)
        _mount(holder, target, None, ms_bind | ms_rec, None)


def loopback_up() -> None:
    """Bring up ``lo`` in a fresh network namespace (the kernel talks to us over it)."""
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        ifreq = struct.pack("16sh", b"lo", 0)
        flags = struct.unpack("16sh", fcntl.ioctl(sock, siocgifflags, ifreq))[1]
        fcntl.ioctl(sock, siocsifflags, struct.pack("16sh", b"lo", flags | iff_up))


def set_not_dumpable() -> None:
    """Keep same-uid processes (the kernel) from reading this process's memory or fds."""
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
        resource.setrlimit(resource.RLIMIT_DATA, (limits.memory_mb * mb,) * 2)
    if limits.fsize_mb:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.fsize_mb * mb,) * 2)
    if limits.cpu_s:
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s + 5))
    if limits.nproc:
        # Per uid: with our own throw-away uid the cap is ours alone; otherwise it is added to
        # what the user already runs (root ignores RLIMIT_NPROC, hence the uid in full mode).
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
            cwd="/", preexec_fn=lambda: drop_privileges(uid)).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def process_cap_enforced(mode: str) -> bool:
    """True when ``RLIMIT_NPROC`` will bind the kernel (not root, or a throw-away uid works)."""
    return os.geteuid() != 0 or mode == "full" or can_run_python_as(slot_uid(0))


def slot_uid(slot: int) -> int:
    """A throw-away uid for a parallel slot, unique to this grader process."""
    return 1_000_000_000 + (os.getpid() % 4_000_000) * 64 + slot % 64


def sandbox_env(job_dir: Path, work_dir: Path) -> dict[str, str]:
    """A clean environment for the worker and the kernel (no secrets, offline, strict).

    Caches (``TLKIT_HOME``, ``KERAS_HOME``, ``TORCH_HOME``) start empty in the scratch folder,
    so a submission can neither read nor poison the instructor's; official dataset files are
    read from ``TLKIT_DATA_DIR`` when it is set (DESIGN §3).
    """
    env = {k: os.environ[k] for k in PASSTHROUGH if k in os.environ}
    env.update({
        "TLKIT_HOME": str(work_dir / ".cache" / "tlkit"), "KERAS_HOME": str(work_dir / ".keras"),
        "TORCH_HOME": str(work_dir / ".cache" / "torch"),
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin",
                                 "/usr/bin", "/bin"]),
        "HOME": str(work_dir), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8", "PYTHONDONTWRITEBYTECODE": "1",
        "TLKIT_CHECK_STRICT": "1", "TLKIT_OFFLINE": "1",
        "MPLBACKEND": env.get("MPLBACKEND", "Agg"), "MPLCONFIGDIR": str(work_dir / ".mpl"),
        "JUPYTER_PATH": str(job_dir / "jupyter"), "JUPYTER_RUNTIME_DIR": str(job_dir / "runtime"),
        "JUPYTER_CONFIG_DIR": str(job_dir / "config"), "JUPYTER_DATA_DIR": str(job_dir / "jupyter"),
        "JUPYTER_PLATFORM_DIRS": "1", "IPYTHONDIR": str(job_dir / "ipython"),
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1", "MALLOC_ARENA_MAX": "2", "TF_CPP_MIN_LOG_LEVEL":
            env.get("TF_CPP_MIN_LOG_LEVEL", "1"),
    })
    return env
