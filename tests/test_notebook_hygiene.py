"""Notebooks in git stay clean: outputs only where nbval checks them, no machine paths or blobs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for folder in ("notebooks", "solutions", "exercises")
                   for p in (ROOT / folder).glob("*.ipynb"))
MACHINE_PATH = re.compile(r"(/(work|root|tmp)/|/home/\w+/|C:\\\\Users)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebook_is_clean(path):
    raw = path.read_text(encoding="utf-8")
    assert len(raw) < 300_000, f"{path.name}: {len(raw)} bytes; outputs or images stored?"
    notebook = json.loads(raw)
    assert notebook["nbformat"] == 4 and notebook["nbformat_minor"] >= 5, "nbformat 4.5 (cell ids)"
    ids = [cell.get("id") for cell in notebook["cells"]]
    assert all(ids) and len(set(ids)) == len(ids), "every cell needs a unique id"
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        assert not MACHINE_PATH.search(source), f"machine path in a cell of {path.name}: {source[:80]!r}"
        if cell["cell_type"] != "code":
            continue
        checked = source.lstrip().startswith("# NBVAL_CHECK_OUTPUT")
        if not checked or path.parent.name == "exercises":
            assert not cell.get("outputs"), f"{path.name}: stored outputs in an unchecked cell: {source[:60]!r}"
        assert cell.get("execution_count") is None or checked, f"{path.name}: stray execution count"
        for output in cell.get("outputs", []):
            assert "image/png" not in output.get("data", {}), f"{path.name}: image stored in git"
            text = json.dumps(output)
            assert not MACHINE_PATH.search(text), f"{path.name}: machine path in an output"

