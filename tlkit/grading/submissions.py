"""Find submissions, name their students, split them into shards and read them leniently.

Student names: a notebook given directly, or lying directly in a given folder, is named by its
file stem (``entregas/ana.ipynb`` → ``ana``); a notebook inside a sub-folder of a given folder
is named by that sub-folder (``entregas/ana/00_ejemplo.ipynb`` → ``ana``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

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


def safe_name(name: str) -> str:
    """``name`` reduced to characters safe in a file name."""
    return re.sub(r"[^\w.-]+", "_", name).strip("._") or "anonimo"


def discover(paths: list[Path]) -> list[Submission]:
    """The submissions under ``paths`` (files, folders or zips), sorted, without duplicates.

    A Moodle or Canvas bulk download names students and ids as the platform did (see
    ``tlkit.grading.lms.detect``); anything else is named by the rule above.
    """
    from tlkit.grading.lms.detect import read_layout

    found: set[Submission] = set()
    for path in map(Path, paths):
        layout = read_layout(path)  # a Moodle or Canvas download (zip or folder), or not
        if layout.kind != "folder":
            found.update(layout.submissions)
            continue
        path = layout.root
        if path.is_file():
            found.add(Submission(path.stem, path))
            continue
        if not path.is_dir():
            raise FileNotFoundError(f"submission not found: {path}")
        for nb in path.rglob("*.ipynb"):
            rel = nb.relative_to(path)
            if ".ipynb_checkpoints" in rel.parts or not nb.is_file():
                continue
            student = nb.stem if len(rel.parts) == 1 else rel.parts[0]
            found.add(Submission(student, nb))
    return sorted(found)


def parse_shard(text: str) -> tuple[int, int]:
    """``"i/n"`` → ``(i, n)`` with 1 <= i <= n."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text or "")
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise ValueError(f"--shard {text!r}: use I/N with 1 <= I <= N, e.g. 2/4")
    return int(match[1]), int(match[2])


def shard(submissions: list[Submission], index: int, count: int) -> list[Submission]:
    """Share ``index`` (1-based) of ``count``: every count-th of the sorted submissions."""
    return [s for k, s in enumerate(sorted(submissions)) if k % count == index - 1]


def read_submission(path: Path) -> ReadResult:
    """Parse a submitted notebook without trusting it; ``problem`` says why it is unusable."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            return ReadResult(problem=f"el archivo ocupa {size // 2**20} MB (máximo "
                                      f"{MAX_BYTES // 2**20} MB): borra las salidas y vuelve a entregarlo")
        data = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        return ReadResult(problem="el archivo no es texto UTF-8: no es un notebook .ipynb")
    except json.JSONDecodeError as exc:
        return ReadResult(problem=f"el archivo no es JSON válido (línea {exc.lineno}, "
                                  f"columna {exc.colno}): ¿se cortó al guardarlo?")
    except OSError as exc:
        return ReadResult(problem=f"no se pudo leer el archivo ({exc.strerror})")
    if not isinstance(data, dict) or "cells" not in data and "nbformat" not in data:
        return ReadResult(problem="el archivo es JSON pero no es un notebook de Jupyter")
    if data.get("nbformat") != 4:
        return ReadResult(problem=f"formato nbformat {data.get('nbformat')!r} no soportado: "
                                  "ábrelo y guárdalo con Jupyter o Colab actuales (nbformat 4)")
    raw_cells = data.get("cells")
    if not isinstance(raw_cells, list):
        return ReadResult(problem="el notebook no tiene una lista de celdas válida")
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
