"""Kernel entry point of the grader: apply limits, drop to the sandbox uid, exec ipykernel.

Used as the ``python3`` kernelspec the worker writes: ``python -m
tlkit.grading.inside.kernel_launch --limits JSON [--uid UID] -f CONNECTION_FILE`` (limits
serialised by ``tlkit.grading.protocol``).
"""

from __future__ import annotations

import argparse
import os
import sys

from tlkit.grading.inside.limits import apply_limits, drop_privileges
from tlkit.grading.protocol import limits_from_json


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="tlkit.grading.inside.kernel_launch")
    parser.add_argument("--limits", required=True)
    parser.add_argument("--uid", type=int, default=None)
    parser.add_argument("-f", dest="connection_file", required=True)
    args, extra = parser.parse_known_args(argv)  # nbclient adds --HistoryManager... flags
    if args.uid is not None:
        os.chown(args.connection_file, args.uid, args.uid)
    apply_limits(limits_from_json(args.limits), args.uid)
    if args.uid is not None:
        drop_privileges(args.uid)
    os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher",
                              "-f", args.connection_file, *extra])


if __name__ == "__main__":
    main()
