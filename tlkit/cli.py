"""The ``tlkit`` command: a thin argparse front end over the Python API.

Each area registers its own sub-commands (``add_commands(subparsers)``) so this file only
parses and dispatches.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# Modules that define add_commands(subparsers); each sub-command sets ``func`` to call.
COMMAND_MODULES = ("tlkit.runner", "tlkit.measured", "tlkit.course", "tlkit.grading.cli", "tlkit.data.cli")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tlkit", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if not name.startswith(exc.name or "\0"):
                raise
            continue
        module.add_commands(sub)
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
