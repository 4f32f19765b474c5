"""Kernel entry point when a warm template is available: ask it for a kernel, stand in for it.

Used as the ``python3`` kernelspec in ``full`` isolation: ``python -m
tlkit.grading.inside.kernel_request --socket PATH --limits JSON [--uid UID] -f CONNECTION_FILE``. It
sends the request (with its own stdin/stdout/stderr) to the template (see ``zygote``), which
forks the kernel into this process's sandbox. This process stays as the kernel's stand-in for
nbclient: it forwards interrupts and termination, and exits with the kernel's exit code. If the
template cannot be reached or fails, it becomes a cold kernel (``kernel_launch``) instead.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sys

from tlkit.grading.protocol import FALLBACK


def _cold(argv: list[str]) -> None:
    from tlkit.grading.inside import kernel_launch

    kernel_launch.main(argv)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="tlkit.grading.inside.kernel_request")
    parser.add_argument("--socket", required=True)
    parser.add_argument("--limits", required=True)
    parser.add_argument("--uid", type=int, default=None)
    parser.add_argument("-f", dest="connection_file", required=True)
    args, extra = parser.parse_known_args(argv)
    cold = [a for i, a in enumerate(argv) if a != "--socket" and argv[i - 1 : i] != ["--socket"]]
    request = {"limits": args.limits, "uid": args.uid, "extra": extra, "env": dict(os.environ),
               "cwd": os.getcwd(), "connection_file": os.path.abspath(args.connection_file)}
    try:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(args.socket)
        socket.send_fds(conn, [json.dumps(request).encode("utf-8") + b"\n"], [0, 1, 2])
        replies = conn.makefile("r", encoding="utf-8")
        first = json.loads(replies.readline() or "{}")
    except (OSError, ValueError) as exc:
        print(f"{FALLBACK} template unreachable ({exc})", file=sys.stderr, flush=True)
        return _cold(cold) or 0
    if "pid" not in first:
        print(f"{FALLBACK} {first.get('error', 'no answer')}", file=sys.stderr, flush=True)
        return _cold(cold) or 0
    kernel = int(first["pid"])

    def forward(signum, _frame):
        try:
            os.kill(kernel, signum)
        except OSError:
            pass

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT, signal.SIGHUP):
        signal.signal(signum, forward)
    code = 1
    for line in replies:
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if "exit" in message:
            code = int(message["exit"])
            break
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main())
