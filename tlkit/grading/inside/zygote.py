"""Warm kernels, guest side: a template that imported TensorFlow or PyTorch once forks kernels.

Every submission's kernel used to import the same heavy libraries (TensorFlow ≈ 4 s, PyTorch with
torchvision ≈ 3 s of CPU). In ``full`` isolation the grader now starts one *template* per kind of
assignment (host side: ``sandbox.templates``): ``python -m tlkit.grading.inside.zygote`` under
bubblewrap, on the same minimal read-only filesystem a submission gets, with the sandbox's
environment, which imports those libraries and nothing of the course, then waits on a Unix socket
(0600, root only).

A submission's kernelspec runs :mod:`tlkit.grading.inside.kernel_request` instead of starting
Python cold. It connects from inside the submission's sandbox; the template forks a child that
joins that sandbox's namespaces (mount, network, IPC, UTS, PID: the ones bubblewrap created for
this submission, found through the peer's pid) and cgroups, forks again so the kernel is a process
of the sandbox's PID namespace, applies the limits, drops to the throw-away uid and becomes
ipykernel. The filesystem, network, memory, process and uid limits are the submission's own,
exactly as for a cold kernel; only the already-imported modules come from the template (its memory
is copy-on-write). Forking is safe here because importing these libraries starts no threads
(TensorFlow and PyTorch create their thread pools on first use); the template runs no computation.
Not tried on a GPU host: importing does not initialise CUDA, but ``--no-warm-kernels`` turns it
off.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import struct
import sys
from pathlib import Path

from tlkit.grading.inside.limits import apply_limits, drop_privileges
from tlkit.grading.protocol import limits_from_json

PRELOADS = {
    "keras": ("numpy", "tensorflow", "keras", "tlkit.keras", "tlkit.data"),
    "torch": ("numpy", "torch", "torchvision", "tlkit.torch", "tlkit.data"),
    "plain": ("numpy",),
}
KERNEL_MODULES = ("ipykernel.kernelapp", "ipykernel.ipkernel", "IPython", "matplotlib_inline",
                  "tlkit.grading.selfcheck", "tlkit.config")
NAMESPACES = ("ipc", "uts", "net", "cgroup", "pid", "mnt")  # mnt last: it changes / and /proc


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _setns(fd: int, name: str) -> None:
    if _libc().setns(fd, 0) != 0:  # os.setns exists only from Python 3.12
        err = ctypes.get_errno()
        raise OSError(err, f"setns({name}): {os.strerror(err)}")


def _peer_pid(conn: socket.socket) -> int:
    pid, _, _ = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
    return pid


def _join_cgroups(pid: int) -> None:
    """Move this process into the cgroup v1 memory and pids groups of ``pid`` (the submission)."""
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in ("memory", "pids"):
            if controller in controllers.split(",") and path != "/":
                procs = Path("/sys/fs/cgroup") / controller / path.lstrip("/") / "cgroup.procs"
                procs.write_text(str(os.getpid()))


def _send(conn: socket.socket, message: dict) -> None:
    try:
        conn.sendall(json.dumps(message).encode() + b"\n")
    except OSError:
        pass


def _become_kernel(request: dict, fds: list[int], conn: socket.socket) -> None:
    """In the sandbox's namespaces: limits, uid, environment, then run ipykernel (never returns)."""
    os.setsid()
    for target, fd in zip((0, 1, 2), fds):
        os.dup2(fd, target)
    _send(conn, {"pid": os.getpid()})
    keep = {0, 1, 2}
    for fd in map(int, os.listdir("/proc/self/fd")):
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass
    os.environ.clear()
    os.environ.update(request["env"])
    threads = os.environ.get("OMP_NUM_THREADS", "")
    if threads.isdigit() and "torch" in sys.modules:  # torch read it when the template imported it
        sys.modules["torch"].set_num_threads(int(threads))
    os.chdir(request["cwd"])
    uid = request.get("uid")
    connection_file = request["connection_file"]
    if uid is not None:
        os.chown(connection_file, uid, uid)
    apply_limits(limits_from_json(request["limits"]), uid)
    if uid is not None:
        drop_privileges(uid)
    keras_home = os.environ.get("KERAS_HOME")
    if keras_home:  # Keras creates it when imported; here it was imported in the template
        os.makedirs(keras_home, exist_ok=True)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    argv = ["-f", connection_file, *request.get("extra", [])]
    sys.argv = [sys.executable, *argv]
    from ipykernel.kernelapp import IPKernelApp

    try:
        IPKernelApp.launch_instance(argv=argv)
    finally:
        os._exit(0)


def _serve_one(conn: socket.socket) -> None:
    """Forked per request: join the requester's sandbox, fork the kernel, report how it ended."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    try:
        peer = _peer_pid(conn)
        message, fds, _, _ = socket.recv_fds(conn, 1 << 16, 3)
        while message and not message.endswith(b"\n"):  # a stream: the rest may come later
            more = conn.recv(1 << 16)
            if not more:
                break
            message += more
        request = json.loads(message.decode("utf-8"))
        ns = {name: os.open(f"/proc/{peer}/ns/{name}", os.O_RDONLY) for name in NAMESPACES}
        _join_cgroups(peer)
        for name in NAMESPACES:
            if os.readlink(f"/proc/{peer}/ns/{name}") != os.readlink(f"/proc/self/ns/{name}"):
                _setns(ns[name], name)
            os.close(ns[name])
    except Exception as exc:  # noqa: BLE001 - reported to the requester, which falls back
        _send(conn, {"error": f"{type(exc).__name__}: {exc}"})
        os._exit(1)
    kernel = os.fork()  # after setns(pid) only children enter the sandbox's PID namespace
    if kernel == 0:
        try:
            _become_kernel(request, fds, conn)
        except BaseException as exc:  # noqa: BLE001
            _send(conn, {"error": f"{type(exc).__name__}: {exc}"})
        os._exit(1)
    for fd in fds:
        os.close(fd)
    _, status = os.waitpid(kernel, 0)
    _send(conn, {"exit": os.waitstatus_to_exitcode(status)})
    os._exit(0)


def serve(path: str, kind: str) -> None:
    """Import the libraries of ``kind``, then fork a kernel for every request on ``path``."""
    import importlib

    for name in PRELOADS[kind] + KERNEL_MODULES:
        importlib.import_module(name)
    threads = len(os.listdir("/proc/self/task"))
    if threads != 1:  # forking a threaded process is unsafe: refuse, the grader goes cold
        raise SystemExit(f"template has {threads} threads after importing {kind}; not forking")
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children reaped automatically
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    os.chmod(path, 0o600)
    server.listen(64)
    print("ready", flush=True)
    while True:
        conn, _ = server.accept()
        if os.fork() == 0:
            server.close()
            _serve_one(conn)
        conn.close()


def main(argv: list[str] | None = None) -> int:
    path, kind = (argv if argv is not None else sys.argv[1:])[:2]
    serve(path, kind)
    return 0


if __name__ == "__main__":
    sys.exit(main())
