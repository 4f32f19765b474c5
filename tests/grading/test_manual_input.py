"""A bad ``--manual`` CSV loses nothing and writes nothing (no kernel): ``tlkit grade`` refuses it
before grading, naming the file and the problem, and the merge after grading reads it before
writing the answers page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tlkit import cli
from tlkit.grading.batch.hand_and_late import add_written, page_path
from tlkit.grading.batch.one_submission import SubmissionResult
from tlkit.grading.intake.solutions import load_assignments
from tlkit.grading.intake.submission import Submission
from tlkit.grading.reports.manual_grades import ManualError
from tlkit.grading.scoring.row import Row

FIXTURES = Path(__file__).parents[1] / "fixtures" / "grading"
BAD_HEADER = "alumno,pregunta,nota\nAna,ej4_capas,2\n"  # a sheet of another tool
QUESTION = ("<!-- tlkit: respuesta escrita ej4_capas puntos=3 -->\n"
            "**Pregunta:** ¿cuántas capas congelarías?\n\n"
            "### BEGIN SOLUTION\nTodas salvo la cabeza.\n### END SOLUTION")


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_grade_refuses_a_bad_manual_csv_before_grading(tmp_path, capsys):
    manual = tmp_path / "notas" / "manual.csv"
    manual.parent.mkdir()
    manual.write_text(BAD_HEADER, encoding="utf-8")
    before = _files(tmp_path)
    code = cli.main(["grade", str(FIXTURES / "submissions" / "submission-correct.ipynb"),
                     "--solutions", str(FIXTURES / "solutions"), "--manual", str(manual),
                     "--out", str(tmp_path / "notas" / "notas.csv"),
                     "--feedback", str(tmp_path / "notas" / "retro")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert str(manual) in err and "missing column(s) student, assignment, question, points" in err
    assert _files(tmp_path) == before  # no answers page, gradebook or feedback; the CSV as it was
    assert not (tmp_path / "notas" / "retro").exists()


def test_grade_refuses_a_manual_csv_in_a_missing_folder(tmp_path, capsys):
    manual = tmp_path / "no-existe" / "manual.csv"
    assert cli.main(["grade", str(FIXTURES / "submissions" / "submission-correct.ipynb"),
                     "--solutions", str(FIXTURES / "solutions"), "--manual", str(manual),
                     "--out", str(tmp_path / "notas.csv")]) == 2
    assert f"{manual}: its folder" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def _graded(tmp_path: Path):
    """An assignment with one written question and a student's graded result."""
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    (solutions / "04_x.ipynb").write_text(json.dumps({
        "nbformat": 4, "nbformat_minor": 5, "metadata": {},
        "cells": [{"cell_type": "markdown", "metadata": {}, "source": QUESTION, "id": "q"}]}))
    assignments = load_assignments(solutions)
    student = tmp_path / "ana.ipynb"
    student.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "id": "q", "source": "**Pregunta:** ¿...?\n\nTodas menos fc.",
         "metadata": {"tlkit": {"written": True, "id": "ej4_capas", "points": 3}}}]}))
    result = SubmissionResult(Submission("Ana", student, "101"), "04_x",
                              [Row("Ana", "04_x", "ej1", 2.0, 2.0, "passed")])
    return assignments, result


@pytest.mark.parametrize("csv_text, problem", [
    (BAD_HEADER, "missing column(s)"),
    ("student,student_id,assignment,question,max_points,points,comment\n"
     "Ana,101,04_x,ej4_capas,,5,\n", "line 2: 5 points for ej4_capas, worth 3"),
    ("student,student_id,assignment,question,max_points,points,comment\n"
     "Ana,101,04_x,ej4_capas,3,tres,\n", "line 2: points 'tres' is not a number"),
], ids=["bad-header", "above-the-maximum", "not-a-number"])
def test_the_merge_reads_the_csv_before_writing_the_answers_page(tmp_path, csv_text, problem):
    assignments, result = _graded(tmp_path)
    manual = tmp_path / "manual.csv"
    manual.write_text(csv_text, encoding="utf-8")
    rows = list(result.rows)
    with pytest.raises(ManualError) as info:
        add_written([result], assignments, manual)
    assert str(info.value).startswith(f"{manual}") and problem in str(info.value)
    assert not page_path(manual, "04_x").exists()
    assert manual.read_text(encoding="utf-8") == csv_text
    assert [r for r in result.rows if r.question == "ej1"] == rows


def test_a_good_csv_is_merged_and_the_page_written(tmp_path):
    """The same path with a valid CSV: the test above fails for the right reason only."""
    assignments, result = _graded(tmp_path)
    manual = tmp_path / "manual.csv"
    manual.write_text("student,student_id,assignment,question,max_points,points,comment\n"
                      "Ana,101,04_x,ej4_capas,3,2,Bien\n", encoding="utf-8")
    add_written([result], assignments, manual)
    assert page_path(manual, "04_x").exists()
    assert [(r.question, r.points, r.status, r.reason) for r in result.rows] == [
        ("ej1", 2.0, "passed", ""), ("ej4_capas", 2.0, "manual", "Bien")]
