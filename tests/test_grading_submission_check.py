"""The exercise's generated last cell: visible checks again, integrity as the grader sees it,
what to hand in; on the example assignment solved, untouched and edited."""

from __future__ import annotations

import contextlib
import io
import json
import sys
import types
from pathlib import Path

import pytest

from browser import headless
from tlkit.grading import selfcheck
from tlkit.grading.authoring.assign import build_exercise
from tlkit.grading.cells import SUBMISSION_CHECK_ID as CELL_ID, is_submission_check
from tlkit.grading.cells import source
from tlkit.grading.intake.solutions import load_assignment
from tlkit.grading.notebook_io import notebook_bytes, read_notebook
from tlkit.grading.plan.matching import build_plan
from tlkit.grading.student.final_check import NotebookSource, check_submission, summarise
from tlkit.grading.student.report import QuestionResult, Report, hand_in_text
from tlkit.grading.student.report_html import render_html

SOLUTION = Path(__file__).parent / "fixtures" / "grading" / "solutions" / "00_ejemplo.ipynb"
REAL = sorted((Path(__file__).resolve().parents[1] / "solutions").glob("*.ipynb"))
HIDDEN = ("ej1_oculto", "prueba-oculta", "suma_cuadrados([]) == 0", "173")


@pytest.fixture(autouse=True)
def fresh_results(monkeypatch):
    """Each test starts as a fresh kernel: no check has recorded a verdict yet."""
    monkeypatch.setattr(selfcheck, "RESULTS", {})


def _exercise(solution: Path = SOLUTION):
    nb = build_exercise(read_notebook(solution), solution.name)
    for cell in nb.cells:
        cell.source = source(cell)
    return nb


def _solved(solution: Path = SOLUTION):
    """The exercise with the solution's code put back in its solution cells."""
    nb = _exercise(solution)
    answers = {c.id: source(c) for c in read_notebook(solution).cells}
    for cell in nb.cells:
        if cell.metadata.get("tlkit", {}).get("solution"):
            cell.source = "\n".join(line for line in answers[cell.id].splitlines()
                                     if "### BEGIN SOLUTION" not in line
                                     and "### END SOLUTION" not in line)
    return nb


def _run(nb, folder: Path, monkeypatch, namespace=None) -> str:
    """Run the notebook's cells in one namespace as a student would, and return the last
    cell's output; the notebook is saved as ``00_ejemplo.ipynb`` in ``folder`` (the cwd)."""
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.chdir(folder)
    (folder / SOLUTION.name).write_bytes(notebook_bytes(nb))
    namespace = {} if namespace is None else namespace
    last = nb.cells[-1]
    assert is_submission_check(last)
    for cell in nb.cells[:-1]:
        if cell.cell_type == "code":
            try:
                exec(source(cell), namespace)  # noqa: S102
            except NotImplementedError:
                pass
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(source(last), namespace)  # noqa: S102
    return out.getvalue()


def test_last_cell_is_locked_hides_hidden_tests_and_is_skipped_by_the_grader():
    nb = _exercise()
    last = nb.cells[-1]
    assert last.id == CELL_ID and is_submission_check(last)
    assert last.metadata["editable"] is False and last.metadata["tlkit"]["locked"] is True
    text = source(last)
    assert "hidden_points=1," in text
    assert not any(secret in text for secret in HIDDEN)
    cells = [{"cell_type": c.cell_type, "source": source(c), "metadata": dict(c.metadata),
              "id": c.id} for c in nb.cells]
    plan = build_plan(load_assignment(SOLUTION), cells)
    assert plan.extras == 0 and not plan.flags()
    assert all(step.source != text for step in plan.steps)


def test_solved_exercise_reports_full_visible_marks_and_intact(tmp_path, monkeypatch):
    out = _run(_solved(), tmp_path, monkeypatch)
    assert "Pruebas visibles: 4 / 4 puntos." in out
    assert "1 punto más (total del ejercicio: 5)" in out
    assert "✅ Celdas bloqueadas intactas" in out and "❌" not in out
    assert "📤 Qué entregar" in out and "Conserva el nombre «00_ejemplo.ipynb»" in out
    assert not any(secret in out for secret in HIDDEN)


def test_a_cell_handed_out_with_the_old_import_path_still_runs(tmp_path, monkeypatch):
    """Exercises handed out before the tree by runtime import from ``submission_check``."""
    nb = _solved()
    new = "from tlkit.grading import check_submission"
    assert new in source(nb.cells[-1])
    nb.cells[-1].source = source(nb.cells[-1]).replace(
        new, "from tlkit.grading.submission_check import check_submission")
    out = _run(nb, tmp_path, monkeypatch)
    assert "Pruebas visibles: 4 / 4 puntos." in out


def test_untouched_exercise_reports_unsolved_and_intact(tmp_path, monkeypatch):
    out = _run(_exercise(), tmp_path, monkeypatch)
    assert "Pruebas visibles: 0 / 4 puntos." in out
    assert out.count("⏳ sin resolver") == 2 and "Aún no pasan: ej1, ej2." in out
    assert "✅ Celdas bloqueadas intactas" in out


def test_edited_locked_cell_and_deleted_test_are_flagged(tmp_path, monkeypatch):
    nb = _solved()
    datos = next(c for c in nb.cells if c.source.startswith("DATOS"))
    datos.source = "DATOS = [1, 2, 3]"
    nb.cells = [c for c in nb.cells if c.id != "test-ej2"]
    out = _run(nb, tmp_path, monkeypatch)
    assert "❌ Has modificado celdas bloqueadas: «DATOS = [3, 1, 4, 1, 5, 9, 2, 6]»" in out
    assert "❌ Faltan celdas bloqueadas" in out and '«with check("ej2"' in out
    assert "✅ Celdas bloqueadas intactas" not in out
    # The visible checks still run from the embedded originals, deleted or not.
    assert "Pruebas visibles: 4 / 4 puntos." in out


def test_results_come_from_where_each_test_ran_unless_its_cell_was_edited(tmp_path, monkeypatch):
    nb = _exercise()  # nothing solved
    test_ej2 = next(c for c in nb.cells if c.id == "test-ej2")
    test_ej2.source = 'with check("ej2"):\n    pass'  # a student "fixing" the test
    namespace = {}
    out = _run(nb, tmp_path, monkeypatch, namespace)
    # The edited cell recorded "passed"; the original test, run now, says otherwise.
    assert selfcheck.RESULTS["ej2"] == ("passed", "")  # and the record is left as it was
    assert "ej2*" in out and "Pruebas visibles: 0 / 4 puntos." in out
    assert "ej1 " in out and "ej1*" not in out  # ej1 ran in place: its recorded verdict
    # A recorded verdict stands for the in-place run even if re-running now would differ.
    report = summarise(namespace, "00_ejemplo", recorded={"ej1": ("passed", "")},
                       source=NotebookSource("jupyter", json.loads(notebook_bytes(_exercise()))),
                       **_call_arguments(_exercise()))
    assert [(t.question, t.status, t.now) for t in report.tests] == [
        ("ej1", "passed", False), ("ej2", "unsolved", True)]


def test_vscode_path_and_colab_frontend_are_read(tmp_path, monkeypatch):
    edited = _solved()
    edited.cells[2].source = "DATOS = []"
    path = tmp_path / "otro nombre.ipynb"
    path.write_bytes(notebook_bytes(edited))
    monkeypatch.chdir(tmp_path)
    data = _call_arguments(_exercise())
    report = summarise({"__vsc_ipynb_file__": str(path)}, "00_ejemplo", **data)
    assert report.source.environment == "vscode" and report.source.path == str(path)
    assert report.problems and "Has modificado" in report.problems[0]

    requests = []

    def blocking_request(kind, request="", timeout_sec=None):
        requests.append(kind)
        return {"ipynb": json.loads(notebook_bytes(_solved()))}

    colab = types.ModuleType("google.colab")
    colab._message = types.SimpleNamespace(blocking_request=blocking_request)
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    report = summarise({}, "00_ejemplo", **data)
    assert requests == ["get_ipynb"] and report.source.environment == "colab"
    assert not report.problems and not report.warnings


def test_hand_in_names_the_course_platform_and_a_mac_save_key(monkeypatch):
    from tlkit import course

    monkeypatch.setattr(course, "HAND_IN", "en Canvas: «Entregar la tarea»")
    monkeypatch.setattr(sys, "platform", "darwin")
    text = "\n".join(hand_in_text(Report("00_ejemplo", [], 0, NotebookSource("jupyter", path="/x/e.ipynb"))))
    assert "(en Canvas: «Entregar la tarea»)" in text and "Moodle" not in text
    assert "guarda (⌘S)" in text and "Ctrl+S" not in text


@pytest.mark.parametrize("environment, colab, jupyter", [
    ("colab", True, False), ("jupyter", False, True), ("vscode", False, True),
    ("unknown", True, True)])
def test_hand_in_instructions_follow_the_environment(environment, colab, jupyter):
    report = Report("00_ejemplo", [], 0, NotebookSource(environment, path="/x/00_ejemplo.ipynb"))
    text = "\n".join(hand_in_text(report))
    assert ("Archivo → Descargar → Descargar .ipynb" in text) is colab
    assert ("guarda (Ctrl+S) y entrega el archivo «/x/00_ejemplo.ipynb»" in text) is jupyter
    assert "súbelo a la tarea del curso (en Moodle: «Agregar entrega»)" in text
    assert "Conserva el nombre «00_ejemplo.ipynb»" in text


def test_renamed_copy_in_the_working_folder_is_found(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    (tmp_path / "otro.ipynb").write_text("{}")
    (tmp_path / "Copia de 00_ejemplo.ipynb").write_bytes(notebook_bytes(_solved()))
    report = summarise({}, "00_ejemplo", **_call_arguments(_exercise()))
    assert report.source.path.endswith("Copia de 00_ejemplo.ipynb") and not report.warnings


def test_unreadable_notebook_falls_back_to_history_without_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # no notebook file here
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    nb = _exercise()
    ran = [source(c) for c in nb.cells if c.cell_type == "code" and not c.source.startswith("DATOS")]
    report = summarise({"In": ["", *ran]}, "00_ejemplo", **_call_arguments(nb))
    assert "revisión de celdas bloqueadas es parcial" in report.warnings[0]
    assert "«DATOS = [3, 1, 4, 1, 5, 9, 2, 6]»" in report.warnings[1]
    assert len(report.warnings) == 2
    # Bad embedded data still ends in a sentence, not a traceback.
    check_submission({}, "00_ejemplo", cells=[("x",)], tests=[("a", "b")])
    assert "No he podido completar la comprobación final" in capsys.readouterr().out


def test_notebook_the_grader_would_refuse_is_reported():
    data = _call_arguments(_exercise())
    broken = json.loads(notebook_bytes(_exercise()))
    broken["nbformat"] = 3
    report = summarise({}, "00_ejemplo", source=NotebookSource("jupyter", broken, "x.ipynb"),
                       **data)
    assert report.problems and "rechazaría" in report.problems[0]


def _call_arguments(nb) -> dict:
    """The keyword arguments the generated cell passes to ``check_submission``."""
    captured = {}
    namespace = {}
    exec(source(nb.cells[-1]).replace(
        "from tlkit.grading import check_submission",
        "def check_submission(ns, name, **kw):\n    captured.update(kw)"),
        {"captured": captured, **namespace})
    return captured


@pytest.mark.kernel
@pytest.mark.parametrize("edit", [False, True])
def test_cell_runs_in_a_real_kernel(tmp_path, edit):
    """One Jupyter kernel: the cell finds its saved notebook in the working folder."""
    nb = _solved()
    if edit:
        nb.cells[2].source = "DATOS = [0]"
    out = _execute(nb, tmp_path, SOLUTION.name, timeout=120)
    assert "Pruebas visibles: 4 / 4 puntos." in out
    assert ("❌ Has modificado celdas bloqueadas" in out) is edit
    assert ("✅ Celdas bloqueadas intactas" in out) is not edit
    # One rich output: the HTML table for Colab and Jupyter, the same report as plain text.
    (shown,) = nb.cells[-1].outputs
    assert shown.output_type == "display_data", shown
    html, plain = shown.data["text/html"], shown.data["text/plain"]
    assert "<table" in html and "<td" in html and "<script" not in html
    assert plain == out and plain.startswith("Comprobación final de 00_ejemplo")
    assert "Pruebas visibles: 4 / 4 puntos." in html


def _execute(nb, folder: Path, name: str, timeout: int) -> str:
    """Save ``nb`` as ``folder/name``, run it in a Jupyter kernel there, return what the last
    cell showed as text."""
    nbclient = pytest.importorskip("nbclient")
    (folder / name).write_bytes(notebook_bytes(nb))
    nbclient.NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(folder)}}).execute()
    return shown_text(nb.cells[-1])


def shown_text(cell) -> str:
    """A cell's output as a plain front end shows it: printed text, and the ``text/plain`` half
    of rich outputs (the last cell's report is one)."""
    return "".join(o.get("text", "") or o.get("data", {}).get("text/plain", "")
                   for o in cell.get("outputs", []))


@pytest.mark.kernel
@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize("solution", REAL, ids=[p.stem for p in REAL])
def test_last_cell_reports_full_marks_on_each_real_solution(solution, tmp_path):
    """Each real exercise, solved with its solution's code: full visible marks, intact."""
    nb = _solved(solution)
    out = _execute(nb, tmp_path, solution.name, timeout=900)
    (shown,) = nb.cells[-1].outputs  # the HTML table and, as text/plain, what is read here
    assert "<table" in shown.data["text/html"] and shown.data["text/plain"] == out
    total = sum(float(meta["points"]) for c in read_notebook(solution).cells
                if (meta := c.metadata.get("tlkit", {})).get("grade") and not meta.get("hidden"))
    assert f"Pruebas visibles: {total:g} / {total:g} puntos." in out, out
    assert "✅ Celdas bloqueadas intactas" in out and "❌" not in out, out


def test_the_flag_alone_does_not_make_the_grader_skip_a_cell():
    """A student copying the last cell's flag onto a given cell: the grader still matches it."""
    exercise = _exercise(SOLUTION)
    last = exercise.cells[-1]
    assert is_submission_check(last)
    given = next(c for c in exercise.cells if c.cell_type == "code" and not is_submission_check(c))
    forged = {"cell_type": "code", "id": given.id, "source": source(given),
              "metadata": {"tlkit": dict(last.metadata["tlkit"])}}
    assert not is_submission_check(forged)


@pytest.mark.timeout(300)
def test_the_html_report_opens_in_a_browser_as_a_tinted_table_and_runs_nothing(tmp_path):
    """Chromium shows the table with its rows tinted by state; markup in a detail or a warning
    (the notebook's text) is shown as text, never run."""
    hostile = ('<img src=x onerror="document.body.dataset.ran=1">'
               '<script>document.body.dataset.ran=1</script>')
    report = Report("00_ejemplo", [QuestionResult("ej1", 0, 2, "failed", hostile),
                                   QuestionResult("ej2", 2, 2, "passed")], 1,
                    NotebookSource("colab", {"cells": []}, note="el notebook abierto en Colab"),
                    warnings=[hostile])
    page = tmp_path / "celda.html"
    page.write_text(f'<!doctype html><meta charset="utf-8"><body style="background:#fff">'
                    f"{render_html(report)}</body>", encoding="utf-8")
    done = headless("--dump-dom", page.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert "data-ran" not in dom and dom.count("<img") == 0 and dom.count("<script") == 0
    assert dom.count("<tr") == 3 and dom.count("&lt;script&gt;") == 2
    assert "❌ incorrecto" in dom and "✅ correcto" in dom
    shot = tmp_path / "celda.png"
    done = headless(f"--screenshot={shot}", "--window-size=900,500", page.as_uri())
    assert shot.is_file(), done.stderr[-2000:]
    from PIL import Image

    colours = Image.open(shot).convert("RGB").getcolors(maxcolors=1 << 20)
    pink = sum(n for n, (r, g, b) in colours if r > 235 and r - g > 15 and abs(g - b) < 8)
    green = sum(n for n, (r, g, b) in colours if g > 230 and g - r > 10 and g - b > 8)
    assert pink > 2000 and green > 2000, "the rows are not tinted by their state"
