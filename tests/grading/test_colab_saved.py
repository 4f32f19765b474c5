"""Notebooks saved the way Colab saves them (nbformat 4.0, no cell ids, Colab's notebook
metadata, "Copia de …"), with and without their cell metadata: the grader still knows the
exercise, runs the original given cells, never runs the generated last cell as the student's,
and sees nothing edited, deleted or added. No kernel: identification and the plan only."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tlkit.grading.cells import is_submission_check
from tlkit.grading.intake.identify import identify
from tlkit.grading.intake.solutions import load_assignments
from tlkit.grading.intake.submission import Submission
from tlkit.grading.plan.matching import build_plan

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
from colab_saved import colab_saved  # noqa: E402

ASSIGNMENTS = load_assignments(ROOT / "solutions")


@pytest.mark.parametrize("keep_cell_metadata", [True, False])
@pytest.mark.parametrize("name", sorted(ASSIGNMENTS))
def test_an_untouched_exercise_saved_by_colab_is_the_untouched_exercise(tmp_path, name,
                                                                       keep_cell_metadata):
    path = tmp_path / f"Copia de {name}.ipynb"
    path.write_text(colab_saved((ROOT / "exercises" / f"{name}.ipynb").read_bytes(),
                                f"{name}.ipynb", keep_cell_metadata=keep_cell_metadata),
                    encoding="utf-8")
    entry = identify(Submission("ana", path), ASSIGNMENTS)
    assert entry.assignment is not None and entry.assignment.name == name
    assert entry.read.problem is None and "tlkit" not in entry.read.metadata
    assert all(c.get("id") is None for c in entry.read.cells)
    assert is_submission_check(entry.read.cells[-1])  # the generated last cell, by content
    plan = build_plan(entry.assignment, entry.read.cells)
    facts = plan.facts()
    assert not {"edited-locked", "deleted-locked", "extra-cells", "cells-before-start",
                "missing-solution", "reordered"} & set(facts), facts
    assert not any(step.kind == "extra" for step in plan.steps)
    if keep_cell_metadata:  # Colab keeps cell metadata: nothing to say at all
        assert facts == {}


def test_a_copied_flag_does_not_hide_a_students_code():
    cell = {"cell_type": "code", "id": "x", "source": "print('mía')",
            "metadata": {"tlkit": {"submission_check": True}}}
    assert not is_submission_check(cell)
    extra = {"cell_type": "code", "source": "from tlkit.grading import check_submission\n"
             "check_submission(globals(), 'x', cells=[]); import os", "metadata": {}}
    assert not is_submission_check(extra)


def test_another_exercise_is_told_apart_by_content_when_names_and_metadata_are_gone(tmp_path):
    path = tmp_path / "Untitled.ipynb"
    path.write_text(colab_saved((ROOT / "exercises" / "01_congelar_y_entrenar.ipynb").read_bytes(),
                                "Untitled.ipynb", keep_cell_metadata=False), encoding="utf-8")
    found = identify(Submission("ana", path), ASSIGNMENTS).assignment
    assert found.name == "01_congelar_y_entrenar"
    pinned = identify(Submission("ana", path), ASSIGNMENTS, "04_entrenar_a_mano")
    assert pinned.assignment.name == "04_entrenar_a_mano"
    assert pinned.other == "01_congelar_y_entrenar"  # wrong-assignment, not 0/11 on 04
