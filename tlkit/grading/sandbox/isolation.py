"""Isolation of a submission: which mode a host allows, and what each guarantees.

``full``: the worker and its kernel run under bubblewrap in new PID, network, IPC and UTS
namespaces, on a filesystem that holds only what the kernel needs, read-only (``/usr``,
``/etc``, the interpreter, the environment, tlkit's package folder, the data folder); a private
size-limited tmpfs is its scratch and its ``/tmp``, ``/var/tmp``, ``/dev/shm`` and
``/run/lock``. Nothing else of the host is visible. One memory (+swap), pids and CPU budget
bounds the whole process tree (``cgroups``: v1 or v2, nested in the grader's own cgroup). As
root the kernel runs under a fresh throw-away uid per submission; without root (a delegated
cgroup v2 subtree, e.g. under ``systemd-run --user --scope -p Delegate=yes``) the sandbox is a
user namespace of its own with one mapped uid. ``rootless`` (no root, no delegated cgroup):
the same sandbox in a user namespace, without the whole-tree budgets. ``basic``: rlimits, own
session, scratch folder, clean environment; without root it runs as the grader's own user, so
it is used then only when asked for explicitly (``--allow-weaker``). See docs/grading.md,
"Isolation matrix".

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
from tlkit.grading.sandbox.bwrap import USERNS
from tlkit.grading.sandbox.environment import python_env


class IsolationError(RuntimeError):
    """The requested isolation is not available on this machine."""


SANDBOXED = ("full", "rootless")  # the modes that run the worker under bubblewrap


def rootless() -> bool:
    """True when the grader is not root: its sandboxes are user namespaces (``bwrap.USERNS``)."""
    return os.geteuid() != 0


@functools.lru_cache(maxsize=1)
def bwrap_works() -> bool:
    """True when ``bwrap`` exists and can create the namespaces (in a user namespace when not
    root)."""
    exe = shutil.which("bwrap")
    if not exe or not sys.platform.startswith("linux"):
        return False
    try:
        return subprocess.run([exe, *(USERNS if rootless() else []), "--unshare-pid",
                               "--unshare-net", "--die-with-parent", "--ro-bind", "/", "/",
                               "true"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def full_isolation_available() -> bool:
    """True when ``full`` can run here: a working bubblewrap and whole-tree cgroup budgets."""
    return bwrap_works() and cgroups.available()


def missing_for_full() -> str:
    """Why ``full`` is unavailable (empty when it is available)."""
    if not shutil.which("bwrap"):
        return "bubblewrap (`bwrap`) is not installed: run scripts/setup-system.sh"
    if not bwrap_works():
        return ("`bwrap` cannot create namespaces here" + (
            " (unprivileged user namespaces are off: e.g. Ubuntu 24.04's "
            "kernel.apparmor_restrict_unprivileged_userns=1)" if rootless() else ""))
    if not cgroups.available():
        return f"no whole-tree budgets ({cgroups.missing()})"
    return ""


def resolve_isolation(requested: str, allow_weaker: bool = False) -> str:
    """The mode to use for ``full``/``basic``; a weaker one than asked only when allowed.

    Without root, student code never runs as the grader's own user unless ``allow_weaker``
    says so where no user namespace can be made: ``basic`` then becomes ``rootless``.
    """
    if requested not in ("full", "basic"):
        raise IsolationError(f"unknown isolation {requested!r}: use full or basic")
    if requested == "full" and full_isolation_available():
        return "full"
    if requested == "full" and not allow_weaker:
        raise IsolationError(f"full isolation is not available ({missing_for_full()}); "
                             "pass --isolation basic or --allow-weaker to grade with less")
    if not rootless():
        return "basic"
    if bwrap_works():
        return "rootless"
    if not allow_weaker:
        raise IsolationError(
            "without root, basic isolation would run the students' code as your own user "
            f"(your files, keys and network): {missing_for_full()}; run as root, allow user "
            "namespaces, or pass --allow-weaker to accept that")
    return "basic"


def describe(mode: str, limits: Limits) -> str:
    """One line saying what isolation a run actually has (printed and recorded)."""
    sandbox = ("bubblewrap (no network, read-only minimal filesystem, no other submission or "
               f"solution), scratch tmpfs {limits.disk_mb} MB, private /tmp /var/tmp /dev/shm "
               "/run/lock")
    if mode == "full":
        who = ("rootless: a user namespace per submission (one mapped uid, fresh keyrings)"
               if rootless() else "a fresh throw-away uid and keyring per submission")
        cpu = ("its own cpu group (weight and quota: the grader's CPUs)"
               if "cpu" in cgroups.controllers()
               else "no CPU budget (cpu controller not delegated)")
        return (f"full: {sandbox}, {cgroups.describe()}: memory {limits.memory_mb} MB (no "
                f"swap) for the whole tree, pids {limits.nproc}, {cpu}; {who}")
    if mode == "rootless":
        return (f"rootless: {sandbox}, a user namespace per submission (one mapped uid, fresh "
                "keyrings); NO whole-tree budgets (no cgroup delegated to this user): memory "
                "per process (RLIMIT_DATA), processes by RLIMIT_NPROC, no CPU budget; caches "
                "start empty")
    return ("basic: rlimits per process, own session, scratch folder, clean environment; "
            "network reachable, host files readable, no total memory cap; caches start empty "
            "(no shared warm cache)" + ("; RUNS AS YOUR OWN USER" if rootless() else ""))


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
    return rootless() or mode == "full" or can_run_python_as(submission_uid(0))


def submission_uid(number: int) -> int:
    """A throw-away uid for one submission (root only), unique to this grader process.

    One per submission, not per parallel slot: whatever a uid leaves behind that outlives its
    processes (its kernel keyrings, which persist until reboot) belongs to no later student;
    the kernel also clears them before any student code runs (``inside.limits``).
    """
    return 1_000_000_000 + (os.getpid() % 2**20) * 2**11 + number % 2**11


