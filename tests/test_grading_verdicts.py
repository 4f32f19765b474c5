"""The verdict ladder on worker events written by hand (no kernel): what a stuck kernel, an
honest infinite loop and real tampering each get. Fixtures are named by outcome."""

from __future__ import annotations

import json
from pathlib import Path

from tlkit.grading.intake.solutions import load_assignment
from tlkit.grading.intake.submission import read_submission
from tlkit.grading.messages import CODE_DID_NOT_FINISH
from tlkit.grading.options import GradeOptions
from tlkit.grading.plan.matching import build_plan
from tlkit.grading.plan.tamper import MARK
from tlkit.grading.protocol import CellRun, WorkerRun
from tlkit.grading.scoring.score import score

FIXTURES = Path(__file__).parent / "fixtures" / "grading"
ASSIGNMENT = load_assignment(FIXTURES / "solutions" / "00_ejemplo.ipynb")
FINGERPRINT = MARK + json.dumps({"check": "abc", "builtins.print": "def"})
CHANGED = MARK + json.dumps({"check": "abc", "builtins.print": "otra"})


def _run(submission: str, event_for) -> tuple[list, object]:
    """Rows and notes for ``submission`` when step ``i`` of its plan gets ``event_for(i, step)``."""
    plan = build_plan(ASSIGNMENT, read_submission(FIXTURES / "submissions" / submission).cells)
    run = WorkerRun(started=True, done=True)
    for index, step in enumerate(plan.steps):
        event = event_for(index, step, plan)
        if event is not None:
            run.cells[index] = CellRun(index, **event)
    return score(plan, ASSIGNMENT, run, "ana", GradeOptions(timeout_cell=3), ""), plan


def _ok(step):
    if step.kind == "canary":  # a cell that must fail, and does in an untouched kernel
        return {"status": "error", "ename": "AssertionError", "output": ""}
    return {"status": "ok", "output": FINGERPRINT if step.kind == "probe" else ""}


def _first(plan, kind, ref=None):
    return next(i for i, s in enumerate(plan.steps)
                if s.kind == kind and (ref is None or s.ref == ref))


def test_a_probe_stuck_behind_a_loop_that_never_finished_is_a_timeout_not_cheating():
    def event_for(index, step, plan):
        student = _first(plan, "student", "sol-ej1")
        if index == student:
            return {"status": "timeout", "ename": "CellTimeoutError", "output": ""}
        if index == student + 1:  # the probe after it: the kernel is still in the loop
            return {"status": "timeout", "ename": "CellTimeoutError", "output": ""}
        return _ok(step)

    scored, _ = _run("submission-infinite-loop.ipynb", event_for)
    assert "tampered-runtime" not in scored.flags
    assert not any("modificó el entorno" in note for note in scored.notes)
    by_question = {r.question: r for r in scored.rows}
    assert by_question["ej1"].status == "timeout" and by_question["ej1"].points == 0
    assert CODE_DID_NOT_FINISH in by_question["ej1"].reason


def test_the_stuck_kernel_that_never_answers_again_times_out_every_later_test():
    def event_for(index, step, plan):
        student = _first(plan, "student", "sol-ej1")
        if index in (student, student + 1):
            return {"status": "timeout", "ename": "CellTimeoutError", "output": ""}
        return _ok(step) if index < student else None  # the worker stopped: "stuck"

    plan = build_plan(ASSIGNMENT, read_submission(
        FIXTURES / "submissions" / "submission-stubborn-loop.ipynb").cells)
    run = WorkerRun(started=True, stuck=True)
    for index, step in enumerate(plan.steps):
        if (event := event_for(index, step, plan)) is not None:
            run.cells[index] = CellRun(index, **event)
    scored = score(plan, ASSIGNMENT, run, "ana", GradeOptions(timeout_cell=3), "")
    assert {r.status for r in scored.rows} == {"timeout"}
    assert all(CODE_DID_NOT_FINISH in r.reason for r in scored.rows)
    assert "tampered-runtime" not in scored.flags


def test_a_probe_that_answered_with_a_changed_runtime_is_still_tampering():
    def event_for(index, step, plan):
        probe = _first(plan, "probe", "test-ej1")
        if index == probe:
            return {"status": "ok", "output": CHANGED}
        return _ok(step)

    scored, _ = _run("submission-correct.ipynb", event_for)
    assert "tampered-runtime" in scored.flags
    assert {r.question: r.status for r in scored.rows}["ej1"] == "failed"


def test_after_the_loop_ends_a_probe_that_answers_again_restores_the_verdicts():
    def event_for(index, step, plan):
        first = _first(plan, "probe", "test-ej1")
        if index == first:
            return {"status": "timeout", "ename": "CellTimeoutError", "output": ""}
        return _ok(step)

    scored, _ = _run("submission-correct.ipynb", event_for)
    statuses = {r.question: r.status for r in scored.rows}
    assert statuses["ej1"] == "timeout"  # vouched for by no probe
    assert statuses["ej1_oculto"] == statuses["ej2"] == "passed"
    assert "tampered-runtime" not in scored.flags


def test_spanish_plurals_agree_with_the_count():
    from tlkit.grading.messages import PLAN_FACTS, plan_sentences

    one = dict(plan_sentences({"extra-cells": {"count": 1},
                               "matched-by-position": {"count": 1}}, "after"))
    many = plan_sentences({"extra-cells": {"count": 2}, "cells-before-start": {"count": 3}},
                          "after")
    texts = list(one.values()) + [text for _, text in many]
    assert "Se ha ejecutado 1 celda que añadiste, en su sitio." in texts
    assert "Se han ejecutado 2 celdas que añadiste, en su sitio." in texts
    assert any(t.startswith("1 celda se identificó por su posición porque le faltaba")
               for t in texts)
    assert any(t.startswith("3 celdas que añadiste antes") and "no se han ejecutado" in t
               for t in texts)
    for fact in PLAN_FACTS:
        for when in ("before", "after"):
            for count in (1, 2):
                (_, text), = plan_sentences({fact: {"count": count, "cells": ["c1"]}}, when)
                assert "(s)" not in text and "[" not in text, (fact, when, text)


def test_a_probe_starved_of_memory_by_the_students_processes_is_not_tampering():
    def event_for(index, step, plan):
        student = _first(plan, "student", "sol-ej1")
        if index == student:
            return {"status": "timeout", "ename": "CellTimeoutError", "output": ""}
        if index == student + 1:
            return {"status": "error", "ename": "MemoryError", "output": ""}
        return _ok(step)

    scored, _ = _run("submission-escape-memory.ipynb", event_for)
    assert "tampered-runtime" not in scored.flags
    assert not any("modificó el entorno" in note for note in scored.notes)
