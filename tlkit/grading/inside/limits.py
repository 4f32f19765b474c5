"""Limits and identity of a sandboxed process: rlimits, the throw-away uid, not dumpable.

Called inside the sandbox, by the kernel launcher and the warm-kernel zygote just before a
process becomes ipykernel, and by the worker on itself.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import resource

from tlkit.grading.options import Limits


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
