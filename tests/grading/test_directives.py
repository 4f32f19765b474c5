"""Authoring by comment: ``# tlkit: prueba …`` lines give the same exercise as metadata."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tlkit import cli
from tlkit.grading.authoring.assign import expected_exercises
from tlkit.grading.comment_directives import DirectiveError, apply_directives
from tlkit.grading.notebook_io import from_json
from tlkit.grading.intake.solutions import load_assignment

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "solutions" / "01_congelar_y_entrenar.ipynb"
TEST_KEYS = ("grade", "id", "points", "hidden")


def _as_colab_saves(data: dict) -> dict:
    """Colab writes nbformat 4.0 with no cell ids (DESIGN §8)."""
    data = json.loads(json.dumps(data))
    data["nbformat_minor"] = 0
    for cell in data["cells"]:
        cell.pop("id", None)
    return data


def _authored_by_comment(data: dict) -> dict:
    """The same notebook with every test's metadata replaced by a first-line comment."""
    data = json.loads(json.dumps(data))
    count = 0
    for cell in data["cells"]:
        meta = cell.get("metadata", {}).get("tlkit", {})
        if not meta.get("grade"):
            continue
        line = (f"# tlkit: prueba {meta['id']} puntos={meta['points']}"
                + (" oculta" if meta["hidden"] else ""))
        for key in TEST_KEYS:
            meta.pop(key)
        if not meta:
            cell["metadata"].pop("tlkit")
        src = cell["source"]
        cell["source"] = [line + "\n", *src] if isinstance(src, list) else line + "\n" + src
        count += 1
    assert count >= 4  # the real exercise has visible and hidden tests
    return data


def test_an_exercise_authored_by_comments_gives_the_same_student_version(tmp_path):
    original = _as_colab_saves(json.loads(SOLUTION.read_text(encoding="utf-8")))
    by_meta, by_comment = tmp_path / "meta", tmp_path / "comment"
    for folder, data in ((by_meta, original), (by_comment, _authored_by_comment(original))):
        folder.mkdir()
        (folder / SOLUTION.name).write_text(json.dumps(data), encoding="utf-8")
    read: list[str] = []
    assert expected_exercises(by_comment, read) == expected_exercises(by_meta)
    assert any("test ej1_oculto, 1 point(s), hidden" in line for line in read), read
    # The grader reads the same tests, points and hidden flags from either.
    graded = [load_assignment(folder / SOLUTION.name) for folder in (by_meta, by_comment)]
    assert [(t.question, t.points, t.hidden) for t in graded[0].tests] == \
           [(t.question, t.points, t.hidden) for t in graded[1].tests]
    assert graded[0].max_points == graded[1].max_points == 9


def test_assign_says_what_it_read(tmp_path, capsys):
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    data = _authored_by_comment(json.loads(SOLUTION.read_text(encoding="utf-8")))
    (solutions / SOLUTION.name).write_text(json.dumps(data), encoding="utf-8")
    assert cli.main(["assign", str(solutions), str(tmp_path / "exercises")]) == 0
    out = capsys.readouterr().out
    assert "read '# tlkit:' comment" in out and "test ej1_congelar, 2 point(s)" in out
    assert "test ej2_oculto, 1 point(s), hidden" in out
    student = (tmp_path / "exercises" / SOLUTION.name).read_text(encoding="utf-8")
    assert "# tlkit: prueba" not in student and "ej1_oculto" not in student.split(
        '"source"')[0]


def _nb(*cells):
    return from_json({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                      "cells": [{"cell_type": t, "metadata": {}, "source": s,
                                 **({"outputs": [], "execution_count": None}
                                    if t == "code" else {})} for t, s in cells]})


def test_written_answers_rubrics_and_markdown_comments():
    nb, read = apply_directives(_nb(
        ("markdown", "<!-- tlkit: respuesta escrita ej4 puntos=3 "
                     "rubrica=\"3: razona con el tamaño\" -->\n¿Cuántas capas congelarías?"),
        ("code", "# tlkit: written ej5 points=1.5\nrespuesta = ''"),
        ("code", "# tlkit: preparación del entorno (generada)\nimport os")))
    assert nb.cells[0].metadata["tlkit"] == {"written": True, "id": "ej4", "points": 3,
                                             "rubric": "3: razona con el tamaño"}
    assert nb.cells[0].source == "¿Cuántas capas congelarías?"
    assert nb.cells[1].metadata["tlkit"] == {"written": True, "id": "ej5", "points": 1.5}
    assert "tlkit" not in nb.cells[2].metadata  # another tlkit comment is left alone
    assert [d.question for d in read] == ["ej4", "ej5"]


@pytest.mark.parametrize("line, message", [
    ("# tlkit: prueba", "needs a question id"),
    ("# tlkit: prueba ej1", "needs puntos=N"),
    ("# tlkit: prueba ej1 puntos=dos", "points must be a number"),
    ("# tlkit: prueba ej1 puntos=1 secreta", "unknown word 'secreta'"),
    ("# tlkit: pruebas ej1 puntos=1", "must start with 'prueba'"),
    ("# tlkit: respuesta escrita ej1 puntos=1 oculta", "cannot be hidden"),
    ('# tlkit: prueba ej1 puntos=1 rubrica="sin cerrar', "cannot read")])
def test_bad_comments_name_the_cell_and_the_word(line, message):
    with pytest.raises(DirectiveError, match=message) as caught:
        apply_directives(_nb(("code", "x = 1"), ("code", line + "\nassert True")), "ej.ipynb")
    assert "ej.ipynb, cell 1" in str(caught.value)


def test_a_comment_that_contradicts_the_metadata_is_refused():
    nb = _nb(("code", "# tlkit: prueba ej1 puntos=2\nassert True"))
    nb.cells[0].metadata["tlkit"] = {"grade": True, "id": "ej1", "points": 1, "hidden": False}
    with pytest.raises(DirectiveError, match="keep one of them"):
        apply_directives(nb)
