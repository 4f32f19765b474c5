"""The real exercises through the grader: exercises/ is fresh, each solution scores full marks,
its generated exercise scores 0 without crashing the grader, and a partly solved one scores in
between (one grading run of three submissions each)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tlkit.grading.assign import assign, build_exercise
from tlkit.grading.solutions import solution_notebooks
from tlkit.grading.cells import BEGIN, source
from tlkit.grading.clear_solutions import clear_source
from tlkit.grading.grade import grade
from tlkit.grading.options import GradeOptions
from tlkit.grading.sandbox import full_isolation_available
from tlkit.grading.notebook_io import notebook_bytes, read_notebook

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
NOTEBOOKS = solution_notebooks(SOLUTIONS) if SOLUTIONS.is_dir() else []


def test_exercises_are_fresh():
    """CI fails when exercises/ is stale: run ``make assign`` (tlkit assign solutions exercises)."""
    if not NOTEBOOKS:
        pytest.skip("no solution notebooks yet")
    report = assign(SOLUTIONS, EXERCISES, check=True)
    assert report.fresh, f"stale: {report.stale}, extra: {report.extra}; run `make assign`"


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize("solution", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_solution_full_marks_and_exercise_zero(solution, tmp_path):
    for who in ("solucion", "sin-resolver", "a-medias"):
        (tmp_path / who).mkdir()
    shutil.copy(solution, tmp_path / "solucion" / solution.name)
    exercise = build_exercise(read_notebook(solution), solution.name)
    (tmp_path / "sin-resolver" / solution.name).write_bytes(notebook_bytes(exercise))
    # A student who solved every part but the last one.
    partial = read_notebook(solution)
    last = [c for c in partial["cells"] if c["cell_type"] == "code" and BEGIN in source(c)][-1]
    last["source"] = clear_source(source(last))
    (tmp_path / "a-medias" / solution.name).write_bytes(notebook_bytes(partial))
    # One folder holding a sub-folder per student: the sub-folders name the students.
    results = grade([tmp_path], SOLUTIONS,
                    # the CLI's default memory and process caps: they must fit the real exercises
                    options=GradeOptions(timeout_cell=300, timeout_total=900, jobs=2,
                                         isolation="full" if full_isolation_available() else "basic"))
    by = {r.submission.student: r.rows for r in results}
    failed = [(r.question, r.status, r.reason) for r in by["solucion"] if r.status != "passed"]
    assert not any("tampered-runtime" in r.flags for rows in by.values() for r in rows)
    assert not failed, f"the solution does not pass its own tests: {failed}"
    assert sum(r.points for r in by["sin-resolver"]) == 0
    assert all(r.status in ("unsolved", "failed") for r in by["sin-resolver"]), \
        [(r.question, r.status, r.reason) for r in by["sin-resolver"]]
    full = sum(r.max_points for r in by["solucion"])
    partial_points = sum(r.points for r in by["a-medias"])
    assert 0 < partial_points < full, [(r.question, r.status, r.reason) for r in by["a-medias"]]
