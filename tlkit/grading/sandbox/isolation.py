"""Isolation of a submission: bubblewrap + cgroups (``full``) or limits only (``basic``).

``full`` (root, ``bwrap`` and cgroup v1): the worker and its kernel run under bubblewrap in new
PID, network, IPC and UTS namespaces, on a filesystem that holds only what the kernel needs,
read-only (``/usr``, ``/etc``, the interpreter, the environment, tlkit's package folder, the
data folder); a private size-limited tmpfs is its scratch and its ``/tmp``, ``/var/tmp``,
``/dev/shm`` and ``/run/lock``. Nothing else of the host is visible: no other submission, no
solutions, no repository, no earlier gradebook. The kernel runs under a throw-away uid; one
memory cgroup and one pids cgroup bound the whole process tree. ``basic``: the same worker with
rlimits, its own session, a scratch folder and a clean environment. See docs/grading.md.

The commands are in ``bwrap``, the environment in ``environment``, the limits the kernel
applies to itself in ``inside.limits``.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys

from tlkit.grading.options import Limits
from tlkit.grading.sandbox import cgroups
from tlkit.grading.sandbox.environment import python_env


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


@functools.lru_cache(maxsize=1)
def can_run_python_as(uid: int) -> bool:
    """True when ``uid`` can start this Python and import tlkit (no folder blocks it)."""
    if os.geteuid() != 0:
        return False
    try:
        return subprocess.run(
            [sys.executable, "-c", "import tlkit.grading"], capture_output=True, timeout=30,
            cwd="/", env=python_env(), user=uid, group=uid, extra_groups=[]).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def process_cap_enforced(mode: str) -> bool:
    """True when ``RLIMIT_NPROC`` or a pids cgroup binds the kernel."""
    return os.geteuid() != 0 or mode == "full" or can_run_python_as(slot_uid(0))


def slot_uid(slot: int) -> int:
    """A throw-away uid for a parallel slot, unique to this grader process."""
    return 1_000_000_000 + (os.getpid() % 4_000_000) * 64 + slot % 64


