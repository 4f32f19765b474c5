"""A whole class, end to end, as a new instructor meets it: a Moodle "Descargar todas las
entregas" zip and a Canvas "Download Submissions" zip of the example assignment (built by
``lms_class``: accents, a namesake, two uploads, a .py, an empty folder, a JSON cut in half,
an edited locked cell, an infinite loop, another exercise, Colab-saved notebooks), graded with
``--assignment``; then every student has exactly one row with the right status, a readable
HTML feedback page with hints, the class report renders in a real browser, and the grades and
pages go back through ``lms fill``."""

from __future__ import annotations

import csv
import re
import zipfile
from pathlib import Path

import pytest

import lms_class
from browser import headless
from tlkit import cli
from tlkit.grading.reports.gradebook import read_gradebook
from tlkit.grading.sandbox import isolation

SOLUTIONS = lms_class.FIXTURES / "solutions"
ISOLATION = ["--isolation", "full" if isolation.full_isolation_available() else "basic"]
LIMITS = ["--timeout-cell", "5", "--timeout-total", "60", "--memory", "500", "--max-procs", "48"]


def _grade(download: Path, out: Path, capsys) -> tuple[int, str]:
    code = cli.main(["grade", str(download), "--assignment", lms_class.A, "--solutions",
                     str(SOLUTIONS), "--out", str(out), "--feedback", str(out.parent / "retro"),
                     "-j", "2", *ISOLATION, *LIMITS])
    return code, capsys.readouterr().out


@pytest.fixture(scope="module")
def moodle(tmp_path_factory):
    base = tmp_path_factory.mktemp("moodle")
    download = lms_class.moodle_zip(base / "Curso-Tarea 0-1234.zip")
    out = base / "notas" / "notas.csv"
    code = cli.main(["grade", str(download), "--assignment", lms_class.A, "--solutions",
                     str(SOLUTIONS), "--out", str(out), "--feedback", str(out.parent / "retro"),
                     "-j", "2", *ISOLATION, *LIMITS])
    return {"code": code, "out": out, "base": base}


def _wide(out: Path) -> dict[str, dict]:
    with open(out.with_name("notas.wide.csv"), newline="", encoding="utf-8") as handle:
        return {row["student_id"]: row for row in csv.DictReader(handle)}


def test_every_moodle_student_has_exactly_one_row_with_the_right_status(moodle):
    assert moodle["code"] == 0
    wide = _wide(moodle["out"])
    assert {sid: row["status"] for sid, row in wide.items()} == lms_class.expected("moodle")
    long = read_gradebook(moodle["out"])
    assert {r["student_id"] for r in long} == set(wide)  # no student only in one of them
    assert wide["101"]["grade"] == "10" and wide["103"]["grade"] == "10"  # the newer "(1)"
    assert wide["105"]["grade"] == "0" and 0 < float(wide["102"]["grade"]) < 10
    assert "edited-locked" in wide["107"]["flags"] and wide["107"]["grade"] == "10"
    assert wide["101"]["student"] == wide["108"]["student"]  # a namesake, kept apart


def _page(moodle, sid: str) -> str:
    row = _wide(moodle["out"])[sid]
    return (moodle["out"].parent / row["feedback"]).read_text(encoding="utf-8")


def test_each_student_reads_an_html_page_with_titles_hints_and_the_grade(moodle):
    unsolved = _page(moodle, "105")  # Colab-saved and untouched
    assert "<h1>Corrección de Iñaki O&#x27;Neil</h1>" in unsolved
    assert "Nota: 0 sobre 10" in unsolved and "Ejercicio 1 · prueba oculta" in unsolved
    assert "Pista: ¿Y con una lista vacía?" in unsolved  # a hidden test's hint, not its code
    assert "suma_cuadrados([])" not in unsolved and "ej1_oculto" not in unsolved
    assert "añadiste" not in unsolved  # the generated last cell is not the student's
    assert "se ha corregido «00_ejemplo (1).ipynb»" in _page(moodle, "103")
    assert "no es un notebook .ipynb" in _page(moodle, "104")
    assert "no contenía ningún archivo" in _page(moodle, "110")
    assert "no es JSON válido" in _page(moodle, "106")
    assert "entregaste el ejercicio «01_congelar_y_entrenar»" in _page(moodle, "109")
    looping = _page(moodle, "108")
    assert "tiempo agotado" in looping and "modificó el entorno" not in looping
    assert "Has modificado celdas bloqueadas" in _page(moodle, "107")


def test_the_class_report_renders_in_a_browser_with_its_plots_and_links(moodle):
    report = moodle["out"].with_name("notas.report.html")
    done = headless("--dump-dom", report.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(re.findall(r'src="data:image/png;base64,', done.stdout)) == 3
    links = re.findall(r'href="([^"]+)"', done.stdout)
    assert sum("retro/" in link for link in links) >= 10
    for link in links:
        assert (report.parent / link).is_file(), link
    flagged = done.stdout.split("id=\"flagged\"")[1].split("id=\"students\"")[0]
    for sid in ("104", "106", "108", "109", "110", "103", "107"):
        assert f"<td>{sid}</td>" in flagged, sid


def test_grades_and_pages_go_back_to_moodle(moodle, capsys):
    sheet = moodle["base"] / "calificaciones.csv"
    lines = ['Identificador;"Nombre completo";Estado;Calificación;"Calificación máxima";'
             '"Comentarios de retroalimentación"']
    for name, sid, _, _ in lms_class.STUDENTS + [(*lms_class.EMPTY, 0, 0), ("Zoe", "111", 0, 0)]:
        lines.append(f'"Participante {sid}";"{name}";Enviado;;10,00;')
    sheet.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    filled, pages = moodle["base"] / "rellenas.csv", moodle["base"] / "retro.zip"
    code = cli.main(["lms", "fill", str(sheet), "--gradebook", str(moodle["out"]), "--out",
                     str(filled), "--feedback-zip", str(pages)])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert "left blank (no graded submission): Zoe (Participante 111)" in printed.out
    text = filled.read_bytes().decode("cp1252")
    assert '"Participante 102";"José Luis Núñez";Enviado;6;10,00' in text
    with zipfile.ZipFile(pages) as archive:
        names = archive.namelist()
        ruiz = archive.read(next(n for n in names if "_103_" in n)).decode("utf-8")
    assert len(names) == 10 and all(n.endswith("/correccion_00_ejemplo.html") for n in names)
    assert "se ha corregido «00_ejemplo (1).ipynb»" in ruiz  # the notice survives the zip


def test_every_canvas_student_has_one_row_the_late_one_marked(tmp_path, capsys):
    download = lms_class.canvas_zip(tmp_path / "submissions.zip")
    out = tmp_path / "notas" / "notas.csv"
    code, printed = _grade(download, out, capsys)
    assert code == 0
    wide = _wide(out)
    assert {sid: row["status"] for sid, row in wide.items()} == lms_class.expected("canvas")
    assert wide["2102"]["late"] == "yes" and "late" in printed
    assert wide["2103"]["grade"] == "10"  # "-1", the re-upload, is graded
