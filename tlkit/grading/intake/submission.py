"""One submission: who handed it in, from where, and its notebook read once, leniently."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from tlkit.grading.messages import INVALID

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
