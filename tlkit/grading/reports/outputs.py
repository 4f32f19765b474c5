"""Where the grader writes (gradebook, feedback, manifest): folders fixed before grading starts.

The folders are created and resolved before any submission runs; every write checks that the
folder still resolves to the same place (a symlink planted meanwhile is refused) and goes
through ``tlkit.files.atomic_write``, whose ``os.replace`` replaces a symlink at the target
instead of writing through it.
"""

from __future__ import annotations

import os
from pathlib import Path

from tlkit.files import atomic_write


class OutputError(RuntimeError):
    """An output folder changed under the grader (e.g. replaced by a symlink)."""


class OutputFolder:
    """A folder the grader writes into, pinned to its real location at creation."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.real = os.path.realpath(self.path)

    def write(self, name: str, data: bytes | str) -> Path:
        """Write ``name`` in the folder atomically, refusing if the folder moved."""
        if os.path.realpath(self.path) != self.real or os.path.islink(self.path):
            raise OutputError(f"{self.path}: now resolves to {os.path.realpath(self.path)}, "
                              f"not {self.real}; refusing to write {name}")
        if "/" in name or name in ("", ".", ".."):
            raise OutputError(f"unsafe output file name {name!r}")
        return atomic_write(Path(self.real) / name, data)
