"""Written answers (pure): questions from a solution, each student's text, the side-by-side
page, the manual CSV template, and reading and merging the filled CSV."""

from __future__ import annotations

import csv
import io

import pytest

from tlkit.grading.comment_directives import apply_directives
from tlkit.grading.notebook_io import from_json
from tlkit.grading.reports.manual_grades import (ManualError, apply_manual, apply_manual_dicts,
                                         read_manual)
from tlkit.grading.reports.written_page import answers_page, manual_template
from tlkit.grading.scoring.row import Row
from tlkit.grading.written import student_answer, written_questions

QUESTION = ('<!-- tlkit: respuesta escrita ej4_capas puntos=3 rubrica="3: usa el tamaño; '
            '1: solo una cifra" -->\n'
            "**Pregunta:** con 500 imágenes, ¿cuántas capas congelarías?\n\n"
            "### BEGIN SOLUTION\nTodas salvo la cabeza: con tan pocos datos se sobreajusta.\n"
            "### END SOLUTION")


def _solution():
    nb = from_json({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": QUESTION}]})
    return apply_directives(nb)[0]


def _student_cells(text: str | None):
    statement = "**Pregunta:** con 500 imágenes, ¿cuántas capas congelarías?\n\n"
    body = "_Escribe aquí tu respuesta._" if text is None else text
    return [{"cell_type": "markdown", "source": statement + body,
             "metadata": {"tlkit": {"written": True, "id": "ej4_capas", "points": 3}}}]


def test_questions_answers_and_page():
    [question] = written_questions(_solution())
    assert (question.id, question.points) == ("ej4_capas", 3.0)
    assert question.rubric == "3: usa el tamaño; 1: solo una cifra"
    assert question.model == "Todas salvo la cabeza: con tan pocos datos se sobreajusta."
    assert "BEGIN SOLUTION" not in question.statement and "500 imágenes" in question.statement
    ana = student_answer(_student_cells("Congelaría todo menos la última <b>Dense</b>."), question)
    assert ana == "Congelaría todo menos la última <b>Dense</b>."
    assert student_answer(_student_cells(None), question) == ""
    assert student_answer([], question) == ""
    page = answers_page("04_x", [question], [("Ana", "101", {"ej4_capas": ana}),
                                             ("Luis", "", {})])
    assert "&lt;b&gt;Dense&lt;/b&gt;" in page and "<b>Dense" not in page  # escaped, not run
    assert page.index("Ana (101)") < page.index("Luis") and "(sin respuesta)" in page
    assert "Rúbrica" in page and "sobreajusta" in page
    rows = list(csv.reader(io.StringIO(manual_template(
        [("04_x", [question], [("Ana", "101"), ("=Luis", "")])]))))
    assert rows[0] == ["student", "student_id", "assignment", "question", "max_points",
                       "points", "comment"]
    assert rows[1] == ["Ana", "101", "04_x", "ej4_capas", "3", "", ""]
    assert rows[2][0] == "'=Luis"  # never a spreadsheet formula


def _pending(student, sid="", question="ej4_capas", top=3.0):
    return Row(student, "04_x", question, 0.0, top, "pending", "pendiente de corrección a mano",
               student_id=sid)


def test_a_filled_csv_grades_the_pending_rows_and_grading_again_keeps_it(tmp_path):
    manual = tmp_path / "manual.csv"
    manual.write_text("student;student_id;assignment;question;max_points;points;comment\n"
                      "Ana;101;04_x;ej4_capas;3;2,5;Bien razonado; falta el tamaño\n"
                      "'=Luis;;04_x;ej4_capas;3;;\n"
                      "Eva;103;04_x;ej4_capas;3;1;Solo una cifra\n"
                      "Zoe;109;04_x;ej4_capas;3;3;no está en el gradebook\n", encoding="utf-8")
    grades = read_manual(manual)
    assert [(g.student, g.points) for g in grades] == [("Ana", 2.5), ("Eva", 1.0),
                                                       ("Zoe", 3.0)]
    rows = [_pending("Ana", "101"), _pending("=Luis"), _pending("Eva (otra)", "103"),
            Row("Ana", "04_x", "ej1", 2.0, 2.0, "passed", student_id="101")]
    graded, unused = apply_manual(rows, grades)
    assert (graded[0].points, graded[0].status, graded[0].reason) == (
        2.5, "manual", "Bien razonado")  # ';' split the comment: a CSV the instructor broke
    assert graded[1].status == "pending"  # not graded yet
    assert (graded[2].points, graded[2].status) == (1.0, "manual")  # matched by id
    assert graded[3] == rows[3]  # automatic rows are never touched
    assert [g.student for g in unused] == ["Zoe"]
    again, _ = apply_manual(graded, grades)  # a re-grade merging the same CSV
    assert again == graded
    as_dicts, _ = apply_manual_dicts([{**r.__dict__} for r in rows], grades)
    assert [(d["points"], d["status"]) for d in as_dicts][:3] == [
        (2.5, "manual"), (0.0, "pending"), (1.0, "manual")]


@pytest.mark.parametrize("body, message", [
    ("Ana,101,04_x,ej4_capas,3,cuatro,\n", "'cuatro' is not a number"),
    ("Ana,101,04_x,ej4_capas,3,4,\n", "between 0 and 3"),
    ("Ana,101,04_x,ej4_capas,3,-1,\n", "between 0 and 3"),
    ("Ana,101,04_x,ej4_capas,3,1,\nAna,101,04_x,ej4_capas,3,2,\n", "graded twice")])
def test_bad_manual_rows_name_file_and_line(tmp_path, body, message):
    manual = tmp_path / "manual.csv"
    manual.write_text("student,student_id,assignment,question,max_points,points,comment\n" +
                      body, encoding="utf-8")
    with pytest.raises(ManualError, match=message) as caught:
        read_manual(manual)
    assert f"{manual}, line" in str(caught.value)


def test_a_csv_without_the_columns_is_refused(tmp_path):
    manual = tmp_path / "notas.csv"
    manual.write_text("nombre,nota\nAna,3\n", encoding="utf-8")
    with pytest.raises(ManualError, match="missing column"):
        read_manual(manual)


def test_the_final_check_counts_written_questions_and_names_the_unanswered():
    from tlkit.grading.authoring.add_submission_check import submission_check_data
    from tlkit.grading.student.final_check import unanswered
    from tlkit.grading.student.report import QuestionResult, Report, render
    from tlkit.grading.student.own_notebook import NotebookSource

    data = submission_check_data(_solution(), "04_x")
    assert data["written"] == [["ej4_capas", 3]]
    empty = {"cells": _student_cells(None)}
    answered = {"cells": _student_cells("Todas menos la cabeza.")}
    assert unanswered(empty, [("ej4_capas", 3)]) == ["ej4_capas"]
    assert unanswered(answered, [("ej4_capas", 3)]) == []
    assert unanswered(None, [("ej4_capas", 3)]) == []  # unread notebook: nothing claimed
    report = Report("04_x", [QuestionResult("ej1", 2, 2, "passed")], 1.0,
                    NotebookSource("jupyter"), written=[("ej4_capas", 3.0)],
                    unanswered=["ej4_capas"])
    text = render(report)
    assert "Pruebas visibles: 2 / 2 puntos." in text
    assert "(total del ejercicio: 6)" in text  # 2 visible + 1 hidden + 3 by hand
    assert "corrige tu profesor a mano (3 puntos; total del ejercicio: 6): ej4_capas" in text
    assert "Aún sin responder: ej4_capas." in text
