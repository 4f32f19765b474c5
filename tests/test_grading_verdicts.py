"""Verdicts outside the student's kernel: test split, hand-over format, the verifier process,
and the ladder that scores them (an honest endless loop is a timeout, never cheating).

No kernel is started here: the pieces are exercised directly, and the verifier as the real
separate process the grader runs.
"""

from __future__ import annotations

import base64
import io
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from tlkit.grading import handover
from tlkit.grading.intake.solutions import load_assignment
from tlkit.grading.intake.submission import read_submission
from tlkit.grading.judging import (SplitError, constants, evaluate_constant, free_names,
                                   split_test)
from tlkit.grading.messages import CODE_DID_NOT_FINISH
from tlkit.grading.options import GradeOptions
from tlkit.grading.plan.matching import build_plan
from tlkit.grading.protocol import CellRun, HandOver, WorkerRun, event_line, parse_event
from tlkit.grading.scoring import verifier
from tlkit.grading.scoring.score import score

TEST = '''import math
with check("ej1", pista="Suma los cuadrados."):
    resultado = suma_cuadrados([1, 2, 3])
    antes = np.zeros(3)
    assert resultado == OBJETIVO, f"devolvió {resultado}"
    cambio = [not np.array_equal(a, b) for a, b in zip(antes, pesos)]
    assert any(cambio)
'''


def test_a_test_splits_at_its_first_assert():
    parts = split_test(TEST)
    assert parts.question == "ej1" and parts.hint == "Suma los cuadrados."
    assert parts.collect.splitlines() == ["import math", "resultado = suma_cuadrados([1, 2, 3])",
                                          "antes = np.zeros(3)"]
    assert parts.verdict.startswith("assert resultado == OBJETIVO")
    assert parts.names == ("resultado", "OBJETIVO", "antes", "pesos")  # not np, zip, a, b


@pytest.mark.parametrize("source, problem", [
    ("assert x == 1", "must end in one `with check"),
    ('with check("q"):\n    x = f()\n', "needs at least one `assert`"),
    ('with check("q"):\n    assert 1\nx = 2', "must end in one `with check"),
    ("with check(", "does not parse"),
])
def test_tests_the_grader_cannot_split_are_refused_with_the_rule(source, problem):
    with pytest.raises(SplitError, match=problem):
        split_test(source)


def test_free_names_skip_what_the_verdict_binds():
    assert free_names("x = [v for v in datos]\nassert all(x) and f'{y}'\nimport os as z\nz") == (
        "datos", "y")


def test_constants_are_literals_or_picks_bound_once():
    found = constants(["N = 43_626\nUMBRAL = config.pick(fast=0.45, full=0.5)\nM = f(1)",
                       "K = 1", "K = 2", "for i in range(3):\n    pass\ni = 5"])
    assert found == {"N": "43626", "UMBRAL": "config.pick(fast=0.45, full=0.5)"}
    assert evaluate_constant(found["N"]) == 43_626
    assert evaluate_constant(found["UMBRAL"]) in (0.45, 0.5)


def _roundtrip(values):
    text, arrays = handover.encode(values)
    return handover.decode(text, arrays)


def test_plain_data_crosses_unchanged():
    values = {"i": 10**40, "f": float("nan"), "inf": float("inf"), "s": "ñ", "n": None,
              "b": True, "t": (1, [2.5, "x"]), "d": {1: "a", ("k", 2): {"x"}},
              "a": np.arange(6, dtype=np.float32).reshape(2, 3), "yes": np.True_,
              "f32": np.float32(0.5), "texto": np.array(["a", "bc"])}
    back = _roundtrip(values)
    assert back["i"] == 10**40 and math_isnan(back["f"]) and back["inf"] == float("inf")
    assert back["t"] == (1, [2.5, "x"]) and type(back["t"]) is tuple
    assert back["d"] == {1: "a", ("k", 2): {"x"}}
    assert back["a"].dtype == np.float32 and np.array_equal(back["a"], values["a"])
    assert back["yes"] is np.True_ and type(back["f32"]) is np.float32
    assert [type(back[k]) for k in ("s", "n", "b")] == [str, type(None), bool]


def math_isnan(x):
    return x != x


def test_tensors_cross_as_arrays():
    torch = pytest.importorskip("torch")
    back = _roundtrip({"w": torch.ones(2, requires_grad=True)})
    assert type(back["w"]) is np.ndarray and back["w"].tolist() == [1.0, 1.0]


def test_disguised_values_and_objects_do_not_cross():
    class Always(float):
        __lt__ = __eq__ = lambda self, other: True

    with pytest.raises(handover.DisguisedData, match="se hace pasar"):
        handover.encode({"x": Always(1.0)})
    with pytest.raises(handover.NotData, match="no es un dato"):
        handover.encode({"f": len})
    with pytest.raises(handover.NotData, match="dtype|tipo"):
        handover.encode({"o": np.array([object()])})


def test_decode_reads_only_its_own_format():
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(handover.BadHandover):  # a pickled array is never loaded
        handover.decode('{"x": {"array": "a0"}}', _npz(a0=np.array([{"a": 1}], dtype=object)))
    for text in ('{"x": {"eval": "1"}}', '{"x": {"float": "1", "y": 2}}', '[1]',
                 '{"x": {"array": "missing"}}', "{"):
        with pytest.raises(handover.BadHandover):
            handover.decode(text, b"")


def _npz(**arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # allow_pickle defaults to True when saving
    return buffer.getvalue()


def test_hand_over_needs_every_name(tmp_path, monkeypatch):
    monkeypatch.setenv(handover.ENV, str(tmp_path))
    with pytest.raises(NameError):
        handover.hand_over(("x", "y"), {"x": 1})
    handover.hand_over(("x",), {"x": np.ones(2)})
    assert {p.name for p in tmp_path.iterdir()} == {"test.json", "test.npz"}


def _test(verdict, names, data, constants_=None):
    text, arrays = handover.encode(data)
    return {"index": 3, "question": "q", "verdict": verdict, "names": names,
            "constants": constants_ or {}, "json": text,
            "npz": base64.b64encode(arrays).decode()}


def test_the_verifier_is_a_fresh_process_with_its_own_numpy():
    """Whatever the student's kernel did to numpy, the verifier's np.array_equal is numpy's."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    results = verifier.verify([
        _test("assert not np.array_equal(a, b), 'iguales'", ["a", "b"],
              {"a": np.zeros(2), "b": np.ones(2)}),
        {**_test("assert x == N, f'x={x}'", ["x"], {"x": 5}, {"N": "4"}), "index": 4},
        {**_test("assert y", ["y"], {}), "index": 5},
        {**_test("assert 1", [], {}), "index": 6, "json": None},
        {**_test("assert 1", [], {}), "index": 7, "json": '{"x": {"eval": "1"}}'},
    ], env, timeout=60)
    assert results[3] == {"status": "passed"}
    assert results[4] == {"status": "failed", "message": "x=5"}  # N from the solution, not data
    assert results[5]["status"] == "error" and results[5]["name"] == "y"
    assert results[6] == {"status": "missing"}
    assert results[7]["kind"] == "bad-data"


def test_workers_handover_events_are_reassembled():
    run = WorkerRun()
    blob = json.dumps({"json": '{"x": 1}', "npz": ""})
    lines = [event_line(HandOver(2, chunk=blob[start:start + 5]))
             for start in range(0, len(blob), 5)]
    lines += [event_line(HandOver(2, end=True)), event_line(HandOver(4, too_big=True))]
    for line in lines:
        run.record(parse_event(line))
    assert run.handovers == {2: {"json": '{"x": 1}', "npz": ""}} and run.too_big == {4}


# The ladder on worker events and verifier verdicts written by hand: an honest endless loop, a
# stuck kernel and real tampering each get their own outcome (fixtures named by outcome).

FIXTURES = Path(__file__).parent / "fixtures" / "grading"
TIMED_OUT = {"status": "timeout", "ename": "CellTimeoutError", "output": ""}


def _scored(submission: str, event_for, verdict_for=lambda index: {"status": "passed"},
            **run_fields):
    """Score ``submission`` when step ``i`` of its plan gets ``event_for(i, step, plan)`` (None:
    never reached) and each test the verifier's ``verdict_for(i)``."""
    assignment = load_assignment(FIXTURES / "solutions" / "00_ejemplo.ipynb")
    plan = build_plan(assignment, read_submission(FIXTURES / "submissions" / submission).cells)
    run = WorkerRun(started=True, **run_fields)
    verdicts = {}
    for index, step in enumerate(plan.steps):
        if (event := event_for(index, step, plan)) is not None:
            run.cells[index] = CellRun(index, **event)
            if step.kind == "test" and event["status"] == "ok":
                verdicts[index] = verdict_for(index)
    scored = score(plan, assignment, run, "ana", GradeOptions(timeout_cell=3), "", verdicts)
    return scored, {r.question: r for r in scored.rows}


def _student(plan, ref="sol-ej1"):
    return next(i for i, s in enumerate(plan.steps) if s.kind == "student" and s.ref == ref)


def test_an_honest_endless_loop_is_a_timeout_not_cheating():
    def event_for(index, step, plan):
        if index == _student(plan):  # interrupted: its function was never defined
            return TIMED_OUT
        if step.kind == "test" and step.ref.startswith("test-ej1"):
            return {"status": "error", "ename": "NameError", "output": ""}
        return {"status": "ok", "output": ""}

    scored, rows = _scored("submission-infinite-loop.ipynb", event_for, done=True)
    assert "tampered-runtime" not in scored.flags
    assert not any("tampered-runtime" in note for note in scored.notes)
    assert rows["ej1"].status == rows["ej1_oculto"].status == "timeout"
    assert rows["ej1"].points == 0 and CODE_DID_NOT_FINISH in rows["ej1"].reason
    assert rows["ej2"].status == "passed"  # the loop costs only the answer it is in


def test_a_test_stuck_behind_a_loop_that_ignores_the_interrupt_is_a_timeout():
    def event_for(index, step, plan):
        student = _student(plan)
        if index in (student, student + 1):  # the test after it: the kernel is still looping
            return TIMED_OUT
        return {"status": "ok", "output": ""} if index < student else None  # worker: "stuck"

    scored, rows = _scored("submission-stubborn-loop.ipynb", event_for, stuck=True)
    assert {r.status for r in rows.values()} == {"timeout"}
    assert all(CODE_DID_NOT_FINISH in r.reason for r in rows.values())
    assert "tampered-runtime" not in scored.flags


def test_a_test_starved_of_memory_by_the_students_processes_is_not_tampering():
    def event_for(index, step, plan):
        student = _student(plan)
        if index == student:
            return TIMED_OUT
        if index == student + 1:
            return {"status": "error", "ename": "MemoryError", "output": ""}
        return {"status": "ok", "output": ""}

    scored, rows = _scored("submission-escape-memory.ipynb", event_for, done=True)
    assert "tampered-runtime" not in scored.flags
    assert rows["ej1"].status == "timeout"


def test_a_kernel_that_passed_what_the_verifier_fails_is_still_tampering():
    def event_for(index, step, plan):
        return {"status": "ok", "output": ""}

    def verdict_for(index):
        return {"status": "failed", "message": "devolvió 14"} if index == 3 else {
            "status": "passed"}

    scored, rows = _scored("submission-correct.ipynb", event_for, verdict_for, done=True)
    assert "tampered-runtime" in scored.flags
    assert rows["ej1"].status == "failed" and rows["ej2"].status == "passed"


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
