"""Partial credit, written answers graded by hand and the late policy, through `tlkit grade`
on a Moodle download (two grading runs: before and after the instructor fills the manual CSV),
then `tlkit lms fill` and `tlkit merge-grades` with the same CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tlkit import cli
from tlkit.grading.authoring.assign import build_exercise
from tlkit.grading.cells import PLACEHOLDER, RAISE
from tlkit.grading.comment_directives import apply_directives
from tlkit.grading.intake.moodle import entry_folder
from tlkit.grading.notebook_io import notebook_bytes, read_notebook
from tlkit.grading.reports.feedback import feedback_stem
from tlkit.grading.reports.gradebook import gradebook_text, read_gradebook
from tlkit.grading.sandbox import isolation

pytestmark = pytest.mark.kernel  # grades through sandboxed kernels (docs/grading.md)

FIXTURES = Path(__file__).parent / "fixtures" / "grading"
FULL = isolation.full_isolation_available()
LIMITS = ["--timeout-cell", "20", "--timeout-total", "120", "--memory", "800", "--max-procs",
          "48", "--isolation", "full" if FULL else "basic", "--no-warm-cache"]

# Exercise ej2 graded in two parts; the open question becomes a written answer worth 2.
TEST_EJ2 = '''with check("ej2", pista="Divide cada valor entre la suma total."):
    resultado = normaliza([1, 1, 2])
    with check("ej2_longitud", puntos=1):
        assert len(resultado) == 3, "devuelve un valor por cada entrada"
    with check("ej2_suma", puntos=1):
        assert abs(sum(resultado) - 1) < 1e-9, f"normaliza([1, 1, 2]) devolvió {resultado}"'''
WRITTEN = ('<!-- tlkit: respuesta escrita ej3_escrita puntos=2 rubrica="2: escala común" -->\n'
           "## Pregunta abierta\n\n¿Por qué sirve normalizar?\n\n### BEGIN SOLUTION\n"
           "Para comparar magnitudes en la misma escala.\n### END SOLUTION")
SOLVED = {"sol-ej1": "def suma_cuadrados(numeros):\n    return sum(n * n for n in numeros)\n",
          "sol-ej2": "def normaliza(valores):\n    total = sum(valores)\n"
                     "    return [v / total for v in valores]\n"}
WRONG_SUM = "def normaliza(valores):\n    return list(valores)\n"  # right length, wrong sum
WORKSHEET = (  # Moodle's grading worksheet: Luis handed in 1 day and 2 hours late
    '\ufeffIdentifier,"Full name","Email address",Status,Grade,"Maximum Grade",'
    '"Grade can be changed","Last modified (submission)","Last modified (grade)",'
    '"Feedback comments"\n'
    '"Participant 101","Ana Pérez",ana@example.com,"Submitted for grading",,10.00,Yes,'
    '"Saturday, 5 December 2026, 10:00 PM",-,\n'
    '"Participant 102","Luis Gil",luis@example.com,"Submitted for grading - 1 day 2 hours late",'
    ',10.00,Yes,"Monday, 7 December 2026, 1:59 AM",-,\n')
LUIS = feedback_stem("Luis Gil", "102") + ".md"  # the Markdown twin of the HTML page
DUE = ["--due", "2026-12-05T23:59+01:00", "--late-penalty", "10%/day,cap=50%"]


def _solution(folder: Path) -> Path:
    nb = read_notebook(FIXTURES / "solutions" / "00_ejemplo.ipynb")
    for cell in nb.cells:
        if cell.id == "test-ej2":
            cell.source = TEST_EJ2
        elif cell.id == "md-abierta":
            cell.source = WRITTEN
    folder.mkdir()
    path = folder / "00_ejemplo.ipynb"
    path.write_bytes(notebook_bytes(nb))
    return path


def _student(solution: Path, answer: str, code: dict[str, str]) -> bytes:
    """The student version, filled in as a student would (code cells, the written answer)."""
    nb = build_exercise(apply_directives(read_notebook(solution))[0], solution.name)
    for cell in nb.cells:
        src = "".join(cell.source)
        if cell.cell_type == "code" and PLACEHOLDER in src:
            cell.source = code[cell.metadata["tlkit"]["cell"]]
        elif cell.metadata.get("tlkit", {}).get("written"):
            cell.source = src.replace("_Escribe aquí tu respuesta._", answer)
    return notebook_bytes(nb)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Two runs of `tlkit grade` on a Moodle download: with the template, then filled."""
    root = tmp_path_factory.mktemp("hand")
    solution = _solution(root / "solutions")
    download = root / "descarga"
    for name, pid, answer, code in (
            ("Ana Pérez", "101", "Para compararlas en la <b>misma</b> escala.", SOLVED),
            ("Luis Gil", "102", "Porque sí.", {**SOLVED, "sol-ej2": WRONG_SUM})):
        folder = download / entry_folder(name, pid)
        folder.mkdir(parents=True)
        (folder / "00_ejemplo.ipynb").write_bytes(_student(solution, answer, code))
    (root / "hoja.csv").write_text(WORKSHEET, encoding="utf-8")
    manual = root / "manual.csv"
    common = [str(download), "--solutions", str(solution.parent), *LIMITS, *DUE,
              "--worksheet", str(root / "hoja.csv"), "--manual", str(manual)]
    assert cli.main(["grade", *common, "--out", str(root / "antes.csv"),
                     "--feedback", str(root / "fb-antes")]) == 0
    template = manual.read_text(encoding="utf-8")
    filled = template.replace("101,00_ejemplo,ej3_escrita,2,,", "101,00_ejemplo,ej3_escrita,2,2,"
                              "Bien razonado").replace(
        "102,00_ejemplo,ej3_escrita,2,,", "102,00_ejemplo,ej3_escrita,2,0.5,Falta el porqué")
    manual.write_text(filled, encoding="utf-8")
    assert cli.main(["grade", *common, "--out", str(root / "gradebook.csv"),
                     "--feedback", str(root / "fb")]) == 0
    return root, template


def _by(rows, student):
    return {(r["question"], r["part"]): r for r in rows if r["student"] == student}


def test_parts_give_partial_points_each_named_in_the_feedback(graded):
    root, _ = graded
    luis = _by(read_gradebook(root / "gradebook.csv"), "Luis Gil")
    assert (luis[("ej2", "ej2_longitud")]["points"], luis[("ej2", "ej2_longitud")]["status"]) == \
           (1.0, "passed")
    assert (luis[("ej2", "ej2_suma")]["points"], luis[("ej2", "ej2_suma")]["max_points"]) == \
           (0.0, 1.0)
    # A hidden test ran before ej2: its reason carries no student-chosen text (issue #19), only
    # the fixed sentence and the hint of the check around the parts.
    assert luis[("ej2", "ej2_suma")]["reason"] == (
        "el detalle lo ves al ejecutar la prueba en tu notebook. Pista: Divide cada valor entre "
        "la suma total.")
    feedback = (root / "fb" / LUIS).read_text(encoding="utf-8")
    assert "| Ejercicio 2 · prueba visible · ej2_longitud | 1 / 1 | ✅ correcto |" in feedback
    assert "| Ejercicio 2 · prueba visible · ej2_suma | 0 / 1 | ❌ incorrecto |" in feedback
    assert feedback.count("Divide cada valor") == 1  # the hint once, not twice


def test_written_answers_page_template_and_pending_rows(graded):
    root, template = graded
    rows = list(csv.reader(io.StringIO(template)))
    assert rows[0][:6] == ["student", "student_id", "assignment", "question", "max_points",
                           "points"]
    assert [r[:4] for r in rows[1:]] == [["Ana Pérez", "101", "00_ejemplo", "ej3_escrita"],
                                         ["Luis Gil", "102", "00_ejemplo", "ej3_escrita"]]
    page = (root / "manual-00_ejemplo.html").read_text(encoding="utf-8")
    assert "Ana Pérez (101)" in page and "Luis Gil (102)" in page and "Porque sí." in page
    assert "&lt;b&gt;misma&lt;/b&gt;" in page and "2: escala común" in page
    before = _by(read_gradebook(root / "antes.csv"), "Ana Pérez")
    assert before[("ej3_escrita", "")]["status"] == "pending"
    ana_page = root / "fb-antes" / f"{feedback_stem('Ana Pérez', '101')}.md"
    assert "por corregir a mano" in ana_page.read_text("utf-8")


def test_manual_grades_reach_gradebook_and_feedback_after_a_re_grade(graded):
    root, _ = graded
    rows = read_gradebook(root / "gradebook.csv")
    ana, luis = _by(rows, "Ana Pérez"), _by(rows, "Luis Gil")
    assert (ana[("ej3_escrita", "")]["points"], ana[("ej3_escrita", "")]["status"],
            ana[("ej3_escrita", "")]["reason"]) == (2.0, "manual", "Bien razonado")
    assert luis[("ej3_escrita", "")]["points"] == 0.5
    feedback = (root / "fb" / LUIS).read_text(encoding="utf-8")
    assert "| ej3_escrita | 0,5 / 2 | ✍️ corregida a mano | Falta el porqué |" in feedback


def test_a_late_submission_gets_the_configured_penalty(graded):
    root, _ = graded
    rows = read_gradebook(root / "gradebook.csv")
    ana, luis = _by(rows, "Ana Pérez"), _by(rows, "Luis Gil")
    assert ("retraso", "") not in ana and all(r["late"] == "" for r in ana.values())
    penalty = luis[("retraso", "")]
    # Earned 2 + 1 + 1 + 0.5 = 4.5; two started days at 10 % a day: 0.9 taken.
    assert (penalty["points"], penalty["max_points"], penalty["status"]) == (-0.9, 0.0, "late")
    assert sum(r["points"] for r in luis.values()) == pytest.approx(3.6)
    assert all(r["late"] == "yes" for r in luis.values())
    feedback = (root / "fb" / LUIS).read_text(encoding="utf-8")
    assert "Entregado 2 día(s) después de la fecha límite" in feedback
    assert "se restan 0.9 de 4.5 puntos (20 %)" in feedback
    # Before the manual grades, the same 20 % of what was earned then (4).
    assert _by(read_gradebook(root / "antes.csv"), "Luis Gil")[("retraso", "")]["points"] == -0.8


def test_lms_fill_and_merge_grades_merge_the_manual_csv(graded, tmp_path):
    root, _ = graded
    out = tmp_path / "rellena.csv"
    # From the gradebook written before the CSV was filled: lms fill merges it.
    assert cli.main(["lms", "fill", str(root / "hoja.csv"), "--gradebook",
                     str(root / "antes.csv"), "--out", str(out), "--manual",
                     str(root / "manual.csv"), "--feedback-zip", str(tmp_path / "fb.zip")]) == 0
    sheet = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert sheet[1][4] == "10"  # Ana: 7 of 7
    assert sheet[2][4] == "5.14"  # Luis: 3.6 of 7, scaled to 10
    assert "ej3_escrita (corregida a mano): 0.5 de 2, «Falta el porqué»" in sheet[2][9]
    assert "se restan 0.9 de 4.5 puntos" in sheet[2][9]
    merged = tmp_path / "merged.csv"
    assert cli.main(["merge-grades", str(root / "antes.csv"), "--out", str(merged),
                     "--feedback", str(tmp_path / "fb"), "--manual",
                     str(root / "manual.csv")]) == 0
    luis = _by(read_gradebook(merged), "Luis Gil")
    assert luis[("ej3_escrita", "")]["points"] == 0.5 and luis[("retraso", "")]["points"] == -0.9
    feedback = (tmp_path / "fb" / LUIS).read_text(encoding="utf-8")
    assert "## Corrección a mano" in feedback and "| ej3_escrita | 0.5 / 2 | Falta el porqué |" \
        in feedback and "3.6 / 7 puntos" in feedback


def test_a_manual_grade_above_the_question_maximum_is_refused(tmp_path, capsys):
    from tlkit.grading.scoring.row import Row

    gradebook = tmp_path / "gradebook.csv"
    gradebook.write_text(gradebook_text([Row("Ana", "00_ejemplo", "ej3_escrita", 0, 2, "pending",
                                             student_id="101")]), encoding="utf-8")
    manual = tmp_path / "manual.csv"
    manual.write_text("student,student_id,assignment,question,max_points,points,comment\n"
                      "Ana,101,00_ejemplo,ej3_escrita,,5,\n", encoding="utf-8")
    sheet = tmp_path / "hoja.csv"
    sheet.write_text(WORKSHEET, encoding="utf-8")
    assert cli.main(["lms", "fill", str(sheet), "--out", str(tmp_path / "y.csv"),
                     "--gradebook", str(gradebook), "--manual", str(manual)]) == 2
    assert "line 2: 5 points for ej3_escrita, worth 2" in capsys.readouterr().err
    assert not (tmp_path / "y.csv").exists()
