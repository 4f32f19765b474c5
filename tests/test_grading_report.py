"""The wide gradebook and the class report, from gradebook rows (no kernel), and the report
opened in a real headless Chromium: it renders, its links lead somewhere, its plots are there."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from browser import headless
from tlkit.grading.scoring.row import Row
from tlkit.grading.reports.class_report import (ReportInput, pass_rates, relative_link, render,
                                               write_report)
from tlkit.grading.reports.wide import student_lines, wide_text

QUESTIONS = [("ej1_cabeza", 2), ("ej1_oculto", 1), ("ej2_bucle", 2), ("ej2_oculto", 2),
             ("ej3_reanudar", 2), ("ej3_oculto", 2)]
A = "04_entrenar_a_mano"


def _rows(student, sid, got, status_other="failed", **extra):
    """Rows of one submission: the questions named in ``got`` passed, the others not."""
    return [Row(student, A, q, p if q in got else 0, p, "passed" if q in got else status_other,
                "" if q in got else "la prueba falló", student_id=sid, lms="moodle", **extra)
            for q, p in QUESTIONS]


def class_rows() -> list[Row]:
    everything = [q for q, _ in QUESTIONS]
    return [*_rows("Ana García", "1001", everything),
            *_rows("Ana García", "1002", ["ej1_cabeza", "ej1_oculto"], "unsolved"),  # namesake
            *_rows("José Núñez Peña", "1003", everything[:4], late="yes"),
            Row("Luis <b>Pérez</b>", A, "*", 0, 0, "invalid", "no es un cuaderno (.py)",
                student_id="1004", lms="moodle"),
            *_rows("Marta Ruiz", "1005", ["ej1_cabeza"], "timeout"),
            *_rows("Pau i Solé", "1006", everything[:5], flags="edited-locked")]


def test_one_line_per_student_keyed_by_the_platform_id():
    columns, lines = student_lines(class_rows())
    assert columns == [q for q, _ in QUESTIONS]
    assert [(l.student, l.student_id) for l in lines] == [
        ("Ana García", "1001"), ("Ana García", "1002"), ("José Núñez Peña", "1003"),
        ("Luis <b>Pérez</b>", "1004"), ("Marta Ruiz", "1005"), ("Pau i Solé", "1006")]
    by_id = {l.student_id: l for l in lines}
    assert by_id["1001"].total == 11 and by_id["1001"].grade(10) == 10
    assert by_id["1002"].total == 3 and by_id["1002"].grade(10) == 2.73
    assert by_id["1003"].late and by_id["1003"].status == "graded"
    assert by_id["1004"].status == "invalid" and by_id["1004"].total == 0
    assert by_id["1005"].status == "timeout"
    assert by_id["1006"].flags == ["edited-locked"] and by_id["1006"].flagged


def test_the_wide_csv_has_a_column_per_question_total_grade_and_flags():
    columns, lines = student_lines(class_rows(), {("moodle", "1004"): "feedback/1004.html"})
    table = list(csv.DictReader(io.StringIO(wide_text(columns, lines, 10))))
    assert len(table) == 6
    ana = table[1]
    assert (ana["student_id"], ana["ej1_cabeza"], ana["ej2_bucle"], ana["total"],
            ana["max_total"], ana["grade"], ana["scale"]) == ("1002", "2", "0", "3", "11",
                                                               "2.73", "10")
    luis = table[3]
    assert (luis["status"], luis["ej1_cabeza"], luis["grade"], luis["feedback"]) == (
        "invalid", "", "0", "feedback/1004.html")
    assert table[2]["late"] == "yes" and table[5]["flags"] == "edited-locked"


def test_parts_written_answers_and_late_penalties_have_their_place():
    """Issue #22's rows: a part is its own column, a written answer still to grade marks the
    student ``pending``, a late penalty makes them late; the report links the answers page and
    counts neither in the pass rates until graded."""
    rows = [Row("Ana", A, "ej3", 1, 1, "passed", student_id="1", lms="moodle", part="a"),
            Row("Ana", A, "ej3", 0, 1, "failed", student_id="1", lms="moodle", part="b"),
            Row("Ana", A, "ej4_escrita", 0, 2, "pending", student_id="1", lms="moodle"),
            Row("Bea", A, "ej3", 1, 1, "passed", student_id="2", lms="moodle", part="a"),
            Row("Bea", A, "ej3", 1, 1, "passed", student_id="2", lms="moodle", part="b"),
            Row("Bea", A, "ej4_escrita", 1.5, 2, "manual", student_id="2", lms="moodle"),
            Row("Bea", A, "retraso", -0.35, 0, "late", student_id="2", lms="moodle")]
    columns, lines = student_lines(rows)
    assert columns == ["ej3 · a", "ej3 · b", "ej4_escrita", "retraso"]
    ana, bea = lines
    assert ana.status == "pending" and ana.flagged
    assert bea.status == "late" and bea.late and bea.total == pytest.approx(3.15)
    page = render(ReportInput("r", columns, lines, 10, written=[(A, "manual-04.html")]))
    assert '<a href="manual-04.html">written answers of 04_entrenar_a_mano</a>' in page
    rated = {q["question"] for q in pass_rates(columns, lines)}
    assert rated == {"ej3 · a", "ej3 · b", "ej4_escrita"}  # Bea's graded answer; no retraso


def test_several_assignments_get_prefixed_columns_and_one_line():
    rows = _rows("Ana", "7", ["ej1_cabeza"]) + [
        Row("Ana", "01_congelar", "ej1_congelar", 2, 2, "passed", student_id="7", lms="moodle")]
    columns, lines = student_lines(rows)
    assert len(lines) == 1 and lines[0].assignments == [A, "01_congelar"]
    assert f"{A}/ej1_cabeza" in columns and "01_congelar/ej1_congelar" in columns
    assert lines[0].total == 4 and lines[0].max_total == 13


def _report(tmp_path) -> Path:
    """A report beside a feedback folder, as ``tlkit grade`` lays them out."""
    feedback = tmp_path / "feedback"
    feedback.mkdir()
    links = {}
    for row in class_rows():
        key = ("moodle", row.student_id)
        path = feedback / f"{row.student_id}.html"
        path.write_text(f"<html><body><h1>Corrección de {row.student_id}</h1></body></html>",
                        encoding="utf-8")
        links[key] = relative_link(path, tmp_path / "notas.report.html")
    columns, lines = student_lines(class_rows(), links)
    seconds = {l.key: 10.0 + i for i, l in enumerate(lines)}
    data = ReportInput(f"{A}: class report", columns, lines, 10, seconds,
                       isolation="full (bubblewrap)", gradebook="notas.csv",
                       wide="notas.wide.csv")
    (tmp_path / "notas.csv").write_text("x\n")
    (tmp_path / "notas.wide.csv").write_text("x\n")
    return write_report(data, tmp_path / "notas.report.html")


def test_the_report_shows_plots_hard_questions_and_flagged_students(tmp_path):
    text = _report(tmp_path).read_text(encoding="utf-8")
    assert len(re.findall(r'<img alt="[^"]+" src="data:image/png;base64,', text)) == 3
    assert "Luis &lt;b&gt;Pérez&lt;/b&gt;" in text and "<b>Pérez" not in text
    flagged = text.split("id='flagged'")[1].split("id='students'")[0]
    for who in ("1003", "1004", "1005", "1006"):  # late, invalid, timeout, edited cells
        assert f"<td>{who}</td>" in flagged
    assert "<td>1001</td>" not in flagged and "<td>1002</td>" not in flagged
    hard = re.findall(r"<td class='hard'>(\w+)</td>", text)
    assert "ej3_oculto" in hard and "ej1_cabeza" not in hard
    assert "Flagged submissions (4)" in text


@pytest.mark.timeout(300)
def test_the_report_renders_in_headless_chromium_with_working_links_and_plots(tmp_path):
    report = _report(tmp_path)
    done = headless("--dump-dom", report.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert "Pass rate per question" in dom and "José Núñez Peña" in dom
    assert len(re.findall(r'src="data:image/png;base64,', dom)) == 3
    hrefs = re.findall(r'href="([^"]+)"', dom)
    assert len(hrefs) >= 8, hrefs
    for href in hrefs:
        assert (tmp_path / href).is_file(), f"broken link in the report: {href}"
    followed = headless("--dump-dom", (tmp_path / hrefs[-1]).as_uri())
    assert "Corrección de" in followed.stdout
    shot = tmp_path / "report.png"
    done = headless(f"--screenshot={shot}", "--window-size=1200,2400", report.as_uri())
    assert shot.is_file(), done.stderr[-2000:]
    from PIL import Image

    image = Image.open(shot).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20)
    blue = sum(n for n, (r, g, b) in colours if b > 150 and r < 100)  # the plots' bars
    red = sum(n for n, (r, g, b) in colours if r > 150 and g < 60 and b < 60)
    assert blue > 2000 and red > 200, "the plots did not render"
