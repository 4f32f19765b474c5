"""The bubblewrap commands of ``full`` isolation: a submission's worker, a warm-kernel template.

Both see the same minimal read-only filesystem (``/usr``, ``/etc``, the interpreter, the
environment, tlkit's package folder, the data folder) and private size-limited tmpfs folders;
the paths inside are those of ``layout``.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from tlkit.grading.layout import INSIDE_FILES, INSIDE_SCRATCH, INSIDE_SOCKET
from tlkit.grading.options import Limits
from tlkit.grading.sandbox.environment import tlkit_package

TMPFS_MB = 256  # each private /tmp, /var/tmp, /dev/shm, /run/lock
WORKER_CAPS = ("CAP_SETUID", "CAP_SETGID", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER",
               "CAP_KILL")


def needed_paths() -> list[str]:
    """What the kernel must read: the interpreter, the environment, tlkit, the data folder."""
    paths = {sys.base_prefix, sys.prefix, str(tlkit_package())}
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
    ``template_socket``: the host path of a warm-kernel template's socket (see ``templates``),
    visible inside at ``layout.INSIDE_SOCKET`` (root only: the kernel's uid cannot use it).
    """
    cmd = [shutil.which("bwrap") or "bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc",
           "--unshare-uts", "--unshare-cgroup-try", "--die-with-parent", "--new-session",
           "--hostname", "sandbox", "--cap-drop", "ALL"]
    for cap in WORKER_CAPS:
        cmd += ["--cap-add", cap]
    cmd += ["--proc", "/proc"] + _filesystem(limits)
    for host, name in files:
        cmd += ["--ro-bind", host, f"{INSIDE_FILES}/{name}"]
    if template_socket:
        cmd += ["--ro-bind", template_socket, INSIDE_SOCKET]
    return cmd + ["--chdir", INSIDE_SCRATCH]


def template_command(folder: str, limits: Limits) -> list[str]:
    """The ``bwrap`` prefix of a warm-kernel template (``templates``): a submission's filesystem.

    Unlike a submission it keeps the host's PID namespace and ``/proc`` (to find a requesting
    sandbox's namespaces), the cgroup folders (to join its cgroups) and root's capabilities (to
    enter those namespaces); it runs only the grader's code, never a submission's. ``folder``
    (host) holds its socket.
    """
    return [shutil.which("bwrap") or "bwrap", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--die-with-parent", "--new-session", "--hostname", "sandbox", "--cap-add", "ALL",
            "--proc", "/proc", *_filesystem(limits), "--bind", "/sys/fs/cgroup", "/sys/fs/cgroup",
            "--bind", folder, folder, "--chdir", INSIDE_SCRATCH]
