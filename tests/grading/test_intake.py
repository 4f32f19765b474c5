"""Intake without a kernel: a submission read once, leniently, and the assignment it answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tlkit.grading.intake.discover import discover
from tlkit.grading.intake.identify import identify
from tlkit.grading.intake.solutions import Assignment
from tlkit.grading.intake.submission import Submission, read_submission

NOTEBOOK = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
    {"cell_type": "code", "source": ["x = ", "1"], "metadata": {}, "id": "a"},
    {"cell_type": "markdown", "source": "texto", "metadata": {}},
    {"cell_type": "weird", "source": "?"}, "not a cell"]}


def _write(path: Path, data) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_a_notebook_is_read_into_plain_cells(tmp_path):
    read = read_submission(_write(tmp_path / "ana.ipynb", NOTEBOOK))
    assert read.problem is None
    assert [(c["cell_type"], c["source"], c["id"]) for c in read.cells] == [
        ("code", "x = 1", "a"), ("markdown", "texto", None)]


@pytest.mark.parametrize("content, says", [
    ("{ roto", "no es JSON válido (línea 1"),
    (b"\xff\xfe", "no es texto UTF-8"),
    ({"cells": [], "nbformat": 3}, "nbformat 3"),
    ([1, 2], "no es un notebook de Jupyter"),
    ({"nbformat": 4, "cells": {}}, "lista de celdas válida"),
    ("[" * 100_000 + "]" * 100_000, "anidado demasiado profundo"),
])
def test_a_file_that_is_not_a_notebook_is_invalid_with_the_reason(tmp_path, content, says):
    path = tmp_path / "x.ipynb"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        _write(path, content)
    assert says in read_submission(path).problem


def test_a_symlinked_notebook_is_not_followed(tmp_path):
    real = _write(tmp_path / "real.ipynb", NOTEBOOK)
    (tmp_path / "link.ipynb").symlink_to(real)
    read = read_submission(tmp_path / "link.ipynb")
    assert read.flags == ["symlink"] and "enlace simbólico" in read.problem


def test_students_are_named_by_file_or_by_folder(tmp_path):
    _write(tmp_path / "ana.ipynb", NOTEBOOK)
    (tmp_path / "luis").mkdir()
    _write(tmp_path / "luis" / "00_demo.ipynb", NOTEBOOK)
    assert [(s.student, s.path.name) for s in discover([tmp_path])] == [
        ("ana", "ana.ipynb"), ("luis", "00_demo.ipynb")]


def test_the_assignment_comes_from_metadata_then_the_file_name_then_the_only_one(tmp_path):
    demo, other = (Assignment(n, tmp_path / f"{n}.ipynb", []) for n in ("00_demo", "01_otro"))
    both = {"00_demo": demo, "01_otro": other}
    tagged = {**NOTEBOOK, "metadata": {"tlkit": {"assignment": "01_otro"}}}
    tagged_entry = identify(Submission("ana", _write(tmp_path / "x.ipynb", tagged)), both)
    assert tagged_entry.assignment is other
    entry = identify(Submission("ana", _write(tmp_path / "ana_00_demo.ipynb", NOTEBOOK)), both)
    assert entry.assignment is demo and entry.read.cells  # read once, kept in the entry
    assert identify(Submission("ana", tmp_path / "x.ipynb"), {"00_demo": demo}).assignment is demo
    untagged = identify(Submission("ana", _write(tmp_path / "y.ipynb", NOTEBOOK)), both)
    assert untagged.assignment is None
