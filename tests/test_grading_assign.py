"""The exercise pipeline: each transform, assign's determinism and --check, solution checks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from tlkit import cli
from tlkit.grading.authoring.assign import assign, build_exercise
from tlkit.grading.authoring.clear_outputs import clear_outputs
from tlkit.grading.authoring.clear_solutions import clear_solutions
from tlkit.grading.authoring.lock_cells import lock_cells
from tlkit.grading.authoring.stable_ids import stable_ids
from tlkit.grading.authoring.strip_hidden_tests import strip_hidden_tests
from tlkit.grading.cells import MarkerError, checksum, kind
from tlkit.grading.intake.validate import SolutionError, validate_solution
from tlkit.grading.notebook_io import read_notebook

FIXTURES = Path(__file__).parent / "fixtures" / "grading"
SOLUTIONS = FIXTURES / "solutions"


def _test_cell(src, qid, points=1, hidden=False):
    cell = new_code_cell(src)
    cell.metadata["tlkit"] = {"grade": True, "id": qid, "points": points, "hidden": hidden}
    return cell


def test_clear_solutions_keeps_indentation_and_other_lines():
    nb = new_notebook(cells=[
        new_code_cell("def f(x):\n    y = 1\n    ### BEGIN SOLUTION\n    return x + y\n"
                      "    ### END SOLUTION\n\nprint('fin')"),
        new_code_cell("x = 1"),
        new_markdown_cell("Respuesta:\n### BEGIN SOLUTION\nPorque sí.\n### END SOLUTION"),
    ])
    out = clear_solutions(nb)
    assert out.cells[0].source == ("def f(x):\n    y = 1\n    # TU CÓDIGO AQUÍ\n"
                                   "    raise NotImplementedError()\n\nprint('fin')")
    assert out.cells[0].metadata["tlkit"]["solution"] is True
    assert out.cells[1].source == "x = 1" and "tlkit" not in out.cells[1].metadata
    assert out.cells[2].source == "Respuesta:\n_Escribe aquí tu respuesta._"
    assert "return x + y" in nb.cells[0].source  # the input is not modified


@pytest.mark.parametrize("src", ["### BEGIN SOLUTION\nx = 1",
                                 "x = 1\n### END SOLUTION",
                                 "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION"])
def test_clear_solutions_rejects_unbalanced_markers(src):
    with pytest.raises(MarkerError):
        clear_solutions(new_notebook(cells=[new_code_cell(src)]))


def test_strip_hidden_tests_removes_only_hidden_tests():
    nb = new_notebook(cells=[new_code_cell("x = 1"), _test_cell("assert x", "a"),
                             _test_cell("assert x == 1", "b", hidden=True)])
    out = strip_hidden_tests(nb)
    assert [c.source for c in out.cells] == ["x = 1", "assert x"]


def test_clear_outputs_drops_outputs_counts_and_noisy_metadata():
    cell = new_code_cell("print(1)", execution_count=7,
                         outputs=[new_output("stream", name="stdout", text="1\n")])
    cell.metadata.update({"colab": {"base_uri": "x"}, "ExecuteTime": {}, "tags": ["t"],
                          "tlkit": {"cell": "a"}})
    nb = new_notebook(cells=[cell], metadata={"colab": {"provenance": []},
                                              "widgets": {}, "tlkit": {"assignment": "x"}})
    out = clear_outputs(nb)
    assert out.cells[0].outputs == [] and out.cells[0].execution_count is None
    assert out.cells[0].metadata == {"tags": ["t"], "tlkit": {"cell": "a"}}
    assert set(out.metadata) == {"kernelspec", "language_info", "tlkit"}


def test_lock_cells_checksums_given_and_test_cells_only():
    nb = new_notebook(cells=[new_code_cell("x = 1   \n\n"), _test_cell("assert x", "q"),
                             new_code_cell("### BEGIN SOLUTION\ny = 2\n### END SOLUTION"),
                             new_markdown_cell("texto")])
    out = lock_cells(nb)
    given, test, solution, text = out.cells
    assert given.metadata["tlkit"]["checksum"] == checksum("x = 1")  # trailing space ignored
    assert given.metadata["editable"] is False and given.metadata["deletable"] is False
    assert test.metadata["tlkit"]["locked"] is True
    assert "locked" not in solution.metadata.get("tlkit", {})
    assert "tlkit" not in text.metadata
    assert checksum("x = 1") != checksum("x = 2")


def test_stable_ids_come_from_the_source_notebook_or_positions(tmp_path):
    raw = {"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": [
        {"cell_type": "code", "source": "a = 1", "metadata": {}, "outputs": [],
         "execution_count": None},
        {"cell_type": "code", "id": "mine", "source": "b = 2", "metadata": {}, "outputs": [],
         "execution_count": None}]}
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(raw))
    first, second = read_notebook(path), read_notebook(path)
    assert [c.id for c in first.cells] == [c.id for c in second.cells] == ["cell-000", "mine"]
    out = stable_ids(first)
    assert [c.metadata["tlkit"]["cell"] for c in out.cells] == ["cell-000", "mine"]


def test_build_exercise_of_the_example():
    exercise = build_exercise(read_notebook(SOLUTIONS / "00_ejemplo.ipynb"), "00_ejemplo.ipynb")
    text = json.dumps(exercise)
    assert "prueba-oculta-ej1-7f3a9c" not in text  # hidden test gone
    assert "sum(n * n" not in text and "raise NotImplementedError()" in text
    assert exercise.metadata["tlkit"]["assignment"] == "00_ejemplo"
    assert [kind(c) for c in exercise.cells if c.cell_type == "code"] == [
        "given", "given", "solution", "test", "solution", "test", "given"]
    assert exercise.cells[-1].metadata["tlkit"]["submission_check"] is True  # the last step
    nbformat.validate(exercise)
    assert exercise.nbformat_minor == 5


def test_assign_is_deterministic_and_check_detects_staleness(tmp_path, capsys):
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    shutil.copytree(SOLUTIONS, solutions)
    assert cli.main(["assign", str(solutions), str(exercises)]) == 0
    first = (exercises / "00_ejemplo.ipynb").read_bytes()
    report = assign(solutions, exercises)
    assert report.written == [] and report.unchanged == ["00_ejemplo.ipynb"]
    assert (exercises / "00_ejemplo.ipynb").read_bytes() == first
    assert cli.main(["assign", "--check", str(solutions), str(exercises)]) == 0

    nb = read_notebook(solutions / "00_ejemplo.ipynb")
    nb.cells[2].source = "DATOS = [1, 2, 3]"
    nbformat.write(nb, solutions / "00_ejemplo.ipynb")
    (exercises / "99_viejo.ipynb").write_text("{}")
    capsys.readouterr()
    assert cli.main(["assign", "--check", str(solutions), str(exercises)]) == 1
    out = capsys.readouterr().out
    assert "stale:" in out and "00_ejemplo.ipynb" in out and "extra:" in out and "99_viejo" in out
    assert (exercises / "00_ejemplo.ipynb").read_bytes() == first  # --check writes nothing

    assert cli.main(["assign", str(solutions), str(exercises)]) == 0
    assert not (exercises / "99_viejo.ipynb").exists()
    assert cli.main(["assign", "--check", str(solutions), str(exercises)]) == 0


def test_committed_fixture_exercise_matches_assign(tmp_path):
    """The fixtures' solution regenerates byte-identical exercises in two fresh folders."""
    assign(SOLUTIONS, tmp_path / "a")
    assign(SOLUTIONS, tmp_path / "b")
    assert (tmp_path / "a" / "00_ejemplo.ipynb").read_bytes() == \
        (tmp_path / "b" / "00_ejemplo.ipynb").read_bytes()


def test_validate_names_notebook_and_cells():
    nb = new_notebook(cells=[
        _test_cell("assert 1", "q1"),
        _test_cell("assert 2", "q1"),
        new_code_cell("### BEGIN SOLUTION\nx = 1"),
    ])
    nb.cells.append(new_code_cell("assert 3", metadata={"tlkit": {"grade": True, "id": "q3"}}))
    with pytest.raises(SolutionError) as info:
        validate_solution(nb, "07_malo.ipynb")
    message = str(info.value)
    assert "07_malo.ipynb" in message
    assert "duplicate question id 'q1'" in message and "cell 1" in message
    assert "unbalanced solution markers" in message and "cell 2" in message
    assert "'q3' needs tlkit.points" in message and "cell 3" in message


def test_assign_cli_reports_invalid_solution(tmp_path, capsys):
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    nbformat.write(new_notebook(cells=[new_code_cell("### END SOLUTION")]),
                   solutions / "01_roto.ipynb")
    assert cli.main(["assign", str(solutions), str(tmp_path / "ex")]) == 2
    err = capsys.readouterr().err
    assert "01_roto.ipynb" in err and "cell 0" in err
