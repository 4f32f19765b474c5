"""One voice per fact: each thing the matching notices is said once before handing in (the
student's final check) and once after grading (the feedback), from ``messages.PLAN_FACTS``."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell

from tlkit.grading import messages
from tlkit.grading.authoring.assign import build_exercise
from tlkit.grading.cells import source
from tlkit.grading.intake.solutions import load_assignment
from tlkit.grading.intake.submission import read_submission
from tlkit.grading.notebook_io import notebook_bytes, read_notebook
from tlkit.grading.plan.matching import FACTS, Plan, build_plan
from tlkit.grading.student.final_check import NotebookSource, summarise
from tlkit.grading.student.report import render

SOLUTION = Path(__file__).parents[1] / "fixtures" / "grading" / "solutions" / "00_ejemplo.ipynb"
EVERY_FACT = Plan(edited=["a"], deleted=["b"], missing_solutions=["c"], reordered=True,
                  by_position=1, extras=2, before_start=3)


def test_every_plan_fact_has_a_sentence_before_and_after_handing_in():
    assert set(messages.PLAN_FACTS) == set(FACTS)
    for fact in FACTS:
        wording = messages.PLAN_FACTS[fact]
        assert wording.level in ("problem", "warning", "info"), fact
        assert wording.before.strip() and wording.after.strip(), fact


def test_a_plan_reports_every_fact_in_order_and_flags_all_but_added_cells():
    assert list(EVERY_FACT.facts()) == list(FACTS)
    assert EVERY_FACT.flags() == [f for f in FACTS if f != "extra-cells"]
    assert Plan().facts() == {} and Plan().flags() == []


@pytest.mark.parametrize("when", ["before", "after"])
def test_sentences_name_the_cells_and_counts(when):
    sentences = messages.plan_sentences(EVERY_FACT.facts(), when, name=lambda cid: f"«{cid}»")
    said = dict(zip(FACTS, (text for _, text in sentences)))
    assert "«a»" in said["edited-locked"] and "«b»" in said["deleted-locked"]
    assert "«c»" in said["missing-solution"]
    assert "1 celda" in said["matched-by-position"] and "3 celda" in said["cells-before-start"]
    assert "{" not in "".join(said.values())  # every placeholder filled


def _exercise():
    nb = build_exercise(read_notebook(SOLUTION), SOLUTION.name)
    for cell in nb.cells:
        cell.source = source(cell)
    return nb


def _final_check_arguments(nb) -> dict:
    """The keyword arguments the generated last cell passes to ``check_submission``."""
    captured: dict = {}
    exec(source(nb.cells[-1]).replace(  # noqa: S102
        "from tlkit.grading import check_submission",
        "def check_submission(ns, name, **kw):\n    captured.update(kw)"), {"captured": captured})
    return captured


def test_a_cell_added_above_the_statement_gets_the_same_warning_from_both_sides(tmp_path):
    """The final check used to say "Celdas bloqueadas intactas" while the grader skipped the
    cell (``cells-before-start``); now both say it, from the same entry."""
    nb = _exercise()
    first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    added = copy.deepcopy(nb)
    added.cells.insert(first_code, new_code_cell("import numpy as np", id="mia"))
    data = json.loads(notebook_bytes(added))
    arguments = _final_check_arguments(nb)
    visible = {question: ("passed", "") for _cell, question, _points, _src in arguments["tests"]}

    report = summarise({}, "00_ejemplo", source=NotebookSource("jupyter", data, "x.ipynb"),
                       recorded=visible, **arguments)
    before = messages.agree(messages.PLAN_FACTS["cells-before-start"].before.format(
        count=1, cells=""), 1)
    assert before in report.warnings
    assert "Celdas bloqueadas intactas" not in render(report)

    path = tmp_path / "00_ejemplo.ipynb"
    path.write_text(json.dumps(data), encoding="utf-8")
    plan = build_plan(load_assignment(SOLUTION), read_submission(path).cells)
    after = messages.agree(messages.PLAN_FACTS["cells-before-start"].after.format(
        count=1, cells=""), 1)
    assert plan.flags() == ["cells-before-start"]
    assert messages.plan_notes(plan.facts()) == [after]


def test_every_flag_of_a_plan_fact_is_worded_in_the_platform_comment():
    """The grade comment sent back to Moodle/Canvas names each flagged fact (it used to say
    nothing about cells added above the statement)."""
    assert set(EVERY_FACT.flags()) <= set(messages.flag_comments())
