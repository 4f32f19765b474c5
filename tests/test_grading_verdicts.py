"""Verdicts outside the student's kernel: test split, hand-over format, the verifier process.

No kernel is started here: the pieces are exercised directly, and the verifier as the real
separate process the grader runs.
"""

from __future__ import annotations

import base64
import io
import json
import os
import sys

import numpy as np
import pytest

from tlkit.grading import handover
from tlkit.grading.judging import (SplitError, constants, evaluate_constant, free_names,
                                   split_test)
from tlkit.grading.protocol import HandOver, WorkerRun, event_line, parse_event
from tlkit.grading.scoring import verifier

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
