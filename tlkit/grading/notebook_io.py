"""Read notebooks deterministically and write them byte-stably (nbformat 4.5, sorted keys)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

from tlkit.grading.cells import ID_PATTERN


def from_json(data: dict, name: str = "nb"):
    """A v4.5 NotebookNode from parsed JSON, with deterministic ids where cells lack them.

    ``nbformat.read`` would give cells of an older (4.0–4.4) notebook random ids; these are
    derived from the cell's position instead, so reading twice gives the same notebook.
    """
    if data.get("nbformat") != 4:
        raise ValueError(f"{name}: nbformat {data.get('nbformat')!r} is not supported (use 4)")
    seen: set[str] = set()
    for index, cell in enumerate(data.get("cells", [])):
        cell_id = cell.get("id")
        if not (isinstance(cell_id, str) and ID_PATTERN.match(cell_id)) or cell_id in seen:
            cell_id = f"cell-{index:03d}"
            while cell_id in seen:
                cell_id += "x"
            cell["id"] = cell_id
        seen.add(cell_id)
    data["nbformat_minor"] = max(5, int(data.get("nbformat_minor", 5)))
    return nbformat.from_dict(data)


def read_notebook(path: Path):
    """Read a v4 notebook with stable cell ids (see :func:`from_json`)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:  # same type, with the file named
        raise json.JSONDecodeError(f"{path}: not a notebook (broken JSON): {exc.msg}",
                                   exc.doc, exc.pos) from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a notebook (not UTF-8 text)") from None
    return from_json(data, path.name)


def notebook_bytes(nb) -> bytes:
    """The canonical bytes of a notebook: validated, sorted keys, indent 1, final newline."""
    nbformat.validate(nb)
    return nbformat.writes(nb, version=4).encode("utf-8") + b"\n"
