"""Builders for the kernel-free tests of the grader's stages: an assignment, a
submission's cells, a worker's run. No kernel, no sandbox: each stage is fed a typed record."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tlkit.grading.cells import checksum
from tlkit.grading.intake.solutions import Assignment, SolutionCell
from tlkit.grading.plan.matching import build_plan
from tlkit.grading.plan.tamper import MARK
from tlkit.grading.protocol import CellRun, WorkerRun

GIVEN_SRC = "DATOS = [1, 2, 3]"
SOLUTION_SRC = "def suma(x):\n    return sum(x)"
TEST_SRC = "with check('ej1'):\n    assert suma(DATOS) == 6"
HIDDEN_SRC = "with check('ej1_oculto'):\n    assert suma([]) == 0, 'prueba-oculta-larga-0'"


def solution_cell(cid, kind, src, question=None, points=0.0, hidden=False) -> SolutionCell:
    return SolutionCell(cid, kind, src, checksum(src), question, points, hidden)


def demo() -> Assignment:
    """A given cell, a solution cell, a visible test (2 points) and a hidden one (1 point)."""
    return Assignment("00_demo", Path("00_demo.ipynb"), [
        solution_cell("datos", "given", GIVEN_SRC),
        solution_cell("sol", "solution", "raise NotImplementedError()"),
        solution_cell("t1", "test", TEST_SRC, "ej1", 2.0),
        solution_cell("t2", "test", HIDDEN_SRC, "ej1_oculto", 1.0, hidden=True)])


def code(cid, src) -> dict:
    """A submitted code cell as ``read_submission`` gives it."""
    return {"cell_type": "code", "source": src, "metadata": {"tlkit": {"cell": cid}}, "id": cid}


def submitted(answer: str = SOLUTION_SRC) -> list[dict]:
    """The exercise as handed in, with ``answer`` in its solution cell."""
    return [code("datos", GIVEN_SRC), code("sol", answer), code("t1", TEST_SRC)]


def plan_of(assignment, cells=None):
    return build_plan(assignment, submitted() if cells is None else cells)


def run_with(plan, verdicts: dict[str, CellRun] | None = None, *, reached: int | None = None,
             **ended) -> WorkerRun:
    """A worker's run over ``plan``. Each cell answers as an honest kernel would (``ok``; the
    probes print the same fingerprint; the canary fails) unless ``verdicts``, keyed by step
    kind or ``test:<question>``, says otherwise; only the first ``reached`` cells ran."""
    verdicts = verdicts or {}
    run = WorkerRun(started=True, done=reached is None, returncode=0, **ended)
    for index, step in enumerate(plan.steps[:reached]):
        key = f"test:{step.question}" if step.kind == "test" else step.kind
        default = (CellRun(index, "ok", output=MARK + "{}") if step.kind == "probe" else
                   CellRun(index, "error", "AssertionError", "canario") if step.kind == "canary"
                   else CellRun(index, "ok"))
        event = verdicts.get(key, default)
        run.cells[index] = replace(event, index=index)
    return run
