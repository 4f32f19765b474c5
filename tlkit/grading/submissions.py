"""Find submissions, name their students and read them leniently.

Student names: a notebook given directly, or lying directly in a given folder, is named by its
file stem (``entregas/ana.ipynb`` → ``ana``); a notebook inside a sub-folder of a given folder
is named by that sub-folder (``entregas/ana/00_ejemplo.ipynb`` → ``ana``).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from tlkit.grading.safe_text import from_fs, one_line
from tlkit.grading.scoring import INVALID

MAX_BYTES = 100 * 1024 * 1024


@dataclass(frozen=True, order=True)
class Submission:
    """One notebook handed in by one student.

    ``student`` is the display name used in the gradebook and feedback; ``student_id`` the
    identifier the course's platform gives the student (Moodle participant id, Canvas user id;
    empty for a plain folder); ``lms`` says which layout the submission came from; ``attempt``
    and ``late`` are what the platform marked, when it marks them.
    """

    student: str
    path: Path
    student_id: str = ""
    lms: str = "folder"
    attempt: int = 1
    late: bool = False


@dataclass
class ReadResult:
    """A submission's code and markdown cells as plain dicts, or why it cannot be read."""

    cells: list[dict] = field(default_factory=list)
    metadata: dict = field(default_factory=dict)
    problem: str | None = None
    flags: list[str] = field(default_factory=list)


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
    ``tlkit.grading.lms.detect``).
    """
    from tlkit.grading.lms.detect import read_layout

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


def read_submission(path: Path) -> ReadResult:
    """Parse a submitted notebook without trusting it; ``problem`` says why it is unusable."""
    path = Path(path)
    if path.is_symlink():
        return ReadResult(problem=INVALID["symlink"], flags=["symlink"])
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            return ReadResult(problem=INVALID["too_big"].format(
                size=size // 2**20, limit=MAX_BYTES // 2**20))
        data = json.loads(path.read_bytes().decode("utf-8"))
    except RecursionError:
        return ReadResult(problem=INVALID["nested"])
    except UnicodeDecodeError:
        return ReadResult(problem=INVALID["not_utf8"])
    except json.JSONDecodeError as exc:
        return ReadResult(problem=INVALID["not_json"].format(line=exc.lineno,
                                                                   column=exc.colno))
    except OSError as exc:
        return ReadResult(problem=INVALID["unreadable"].format(error=exc.strerror))
    except ValueError as exc:  # e.g. numbers with too many digits
        return ReadResult(problem=INVALID["bad_json"].format(error=type(exc).__name__))
    if not isinstance(data, dict) or "cells" not in data and "nbformat" not in data:
        return ReadResult(problem=INVALID["not_notebook"])
    if data.get("nbformat") != 4:
        return ReadResult(problem=INVALID["nbformat"].format(version=data.get("nbformat")))
    raw_cells = data.get("cells")
    if not isinstance(raw_cells, list):
        return ReadResult(problem=INVALID["no_cells"])
    cells = []
    for raw in raw_cells:
        if not isinstance(raw, dict) or raw.get("cell_type") not in ("code", "markdown", "raw"):
            continue
        src = raw.get("source", "")
        if isinstance(src, list):
            src = "".join(s for s in src if isinstance(s, str))
        meta = raw.get("metadata") if isinstance(raw.get("metadata"), dict) else {}
        cells.append({"cell_type": raw["cell_type"], "source": str(src), "metadata": meta,
                      "id": raw.get("id") if isinstance(raw.get("id"), str) else None})
    meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    return ReadResult(cells=cells, metadata=meta)
