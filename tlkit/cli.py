"""The ``tlkit`` command: a thin argparse front end over the Python API.

Each area registers its own sub-commands (``add_commands(subparsers)``); this file only lists
them, parses and dispatches. The areas are imported inside :func:`build_parser` so that
``import tlkit`` stays cheap; each defers its heavy imports to the command it runs.
"""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    from tlkit import course, publish, runner
    from tlkit.data import cli as data_cli
    from tlkit.grading import cli as grading_cli
    from tlkit.grading.lms import cli as lms_cli

    parser = argparse.ArgumentParser(prog="tlkit", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    runner.add_commands(sub)
    course.add_commands(sub)
    grading_cli.add_commands(sub)
    lms_cli.add_commands(sub)
    data_cli.add_commands(sub)
    publish.add_commands(sub)
    return parser


def _version() -> str:
    from tlkit import __version__

    return f"tlkit {__version__}"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
