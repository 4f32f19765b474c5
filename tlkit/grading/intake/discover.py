"""Find the submissions under the paths given to the grader and name their students.

Student names: a notebook given directly, or lying directly in a given folder, is named by its
file stem (``entregas/ana.ipynb`` → ``ana``); a notebook inside a sub-folder of a given folder
is named by that sub-folder (``entregas/ana/00_ejemplo.ipynb`` → ``ana``).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from tlkit.grading.intake.downloads import read_layout
from tlkit.grading.intake.submission import Submission
from tlkit.grading.safe_text import from_fs, one_line


def _student_name(name: str) -> str:
    """A display name from a file or folder name of any bytes (distinct bytes stay distinct)."""
    text = one_line(from_fs(name))
    if text != name:  # undecodable bytes or control characters: keep names apart
        digest = hashlib.sha256(os.fsencode(name)).hexdigest()[:6]
        text = f"{text}~{digest}"
    return text or "anonimo"


def _walk(folder: Path):
    """Notebooks under ``folder`` (relative parts, path), symlinks reported but not followed."""
    for root, dirs, files in os.walk(folder, followlinks=False):
        base = Path(root)
        dirs[:] = sorted(d for d in dirs if d != ".ipynb_checkpoints")
        for name in list(dirs):
            if (base / name).is_symlink():
                dirs.remove(name)
                yield (base / name).relative_to(folder).parts, base / name
        for name in sorted(files):
            if name.endswith(".ipynb"):
                yield (base / name).relative_to(folder).parts, base / name


def discover(paths: list[Path]) -> list[Submission]:
    """The submissions under ``paths`` (files, folders or zips), sorted, without duplicates.

    Symlinked notebooks and folders are listed (``read_submission`` refuses them) but never
    followed. Notebooks named by their file stem that share that stem with another one from
    a different folder (``tlkit grade entregas/*``) are named by their folder instead.
    A Moodle or Canvas bulk download names students and ids as the platform did (see
    ``downloads``).
    """
    found: dict[Path, tuple[str, str]] = {}  # path -> (student, parent folder name)
    delivered: set[Submission] = set()  # from a platform's download
    for path in map(Path, paths):
        layout = read_layout(path)  # a Moodle or Canvas download (zip or folder), or not
        if layout.kind != "folder":
            delivered.update(layout.submissions)
            continue
        path = layout.root  # a plain zip: its extracted folder
        if (path.is_symlink() and not path.is_dir()) or path.is_file():
            found[path] = (_student_name(path.stem), path.parent.name)
            continue
        if not path.is_dir():
            raise FileNotFoundError(f"submission not found: {path}")
        for parts, nb in _walk(path):
            name = Path(parts[0]).stem if len(parts) == 1 else parts[0]
            found[nb] = (_student_name(name), path.name if len(parts) == 1 else "")
    by_stem: dict[str, set[Path]] = {}
    for nb, (student, parent) in found.items():
        if parent:
            by_stem.setdefault(student, set()).add(nb.parent)
    subs = set()
    for nb, (student, parent) in found.items():
        if parent and len(by_stem[student]) > 1 and parent not in ("", ".", ".."):
            student = _student_name(parent)
        subs.add(Submission(student, nb))
    return sorted(subs | delivered)
