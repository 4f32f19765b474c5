"""Partial credit (pure): a test cell split into its check(..., puntos=N) parts, and the
student's self-check printing one verdict per part."""

from __future__ import annotations

import pytest

from tlkit.grading import selfcheck
from tlkit.grading.parts import Part, PartsError, split_parts

SEQUENTIAL = '''resultado = normaliza([1, 1, 2])
with check("ej2_suma", puntos=1, pista="Deben sumar 1."):
    assert abs(sum(resultado) - 1) < 1e-9, "no suman 1"
extra = normaliza([2, 2])
with check("ej2_valores", puntos=2):
    assert resultado == [0.25, 0.25, 0.5]
    assert extra == [0.5, 0.5]'''

NESTED = '''with check("ej2", pista="Divide entre la suma."):
    resultado = normaliza([1, 1, 2])
    with check("ej2_suma", puntos=1):
        assert abs(sum(resultado) - 1) < 1e-9
    with check("ej2_valores", puntos=2):
        assert resultado == [0.25, 0.25, 0.5]'''


def test_sequential_parts_carry_the_statements_before_them():
    parts = split_parts(SEQUENTIAL, points=3)
    assert [(p.name, p.points) for p in parts] == [("ej2_suma", 1.0), ("ej2_valores", 2.0)]
    assert parts[0].source.startswith("resultado = normaliza([1, 1, 2])\nwith check(")
    assert parts[1].source.startswith("extra = normaliza([2, 2])\nwith check(\"ej2_valores\"")
    assert "ej2_suma" not in parts[1].source


def test_parts_inside_one_outer_check_are_lifted_and_dedented():
    parts = split_parts(NESTED, points=3)
    assert [p.name for p in parts] == ["ej2_suma", "ej2_valores"]
    assert parts[0].source == ('resultado = normaliza([1, 1, 2])\nwith check("ej2_suma", '
                               'puntos=1):\n    assert abs(sum(resultado) - 1) < 1e-9')
    compile(parts[1].source, "part", "exec")


def _run_parts(src: str, normaliza) -> dict[str, str]:
    """Run each part as its own cell in one namespace, strict, as the grader's kernel does."""
    namespace = {"check": selfcheck.check, "normaliza": normaliza}
    replies = {}
    for part in split_parts(src, points=3):
        try:
            exec(compile(part.source, part.name, "exec"), namespace)  # noqa: S102 - test code
            replies[part.name] = "ok"
        except AssertionError:
            replies[part.name] = "error"
    return replies


@pytest.mark.parametrize("src", [SEQUENTIAL, NESTED])
def test_each_part_runs_alone_and_fails_alone(src, monkeypatch):
    monkeypatch.setenv("TLKIT_CHECK_STRICT", "1")
    right = lambda v: [x / sum(v) for x in v]  # noqa: E731
    sums_to_one_but_wrong = lambda v: [1 / len(v)] * len(v)  # noqa: E731
    assert _run_parts(src, right) == {"ej2_suma": "ok", "ej2_valores": "ok"}
    assert _run_parts(src, sums_to_one_but_wrong) == {"ej2_suma": "ok", "ej2_valores": "error"}
    assert _run_parts(src, lambda v: list(v)) == {"ej2_suma": "error", "ej2_valores": "error"}


def test_a_cell_without_parts_is_graded_whole():
    assert split_parts('with check("ej1"):\n    assert f(2) == 4') == []
    assert split_parts("%time x = 1") == []  # not plain Python: whole, as before
    # a conditional expression's ``body`` is an expression, not a list of statements
    assert split_parts('with check("ej2"):\n    y = (1, 2) if v else (3, 4)\n    assert y') == []


@pytest.mark.parametrize("src, message", [
    ('with check("a", puntos=1):\n    pass\nwith check("b", puntos=1):\n    pass', "add up to 2"),
    ('with check("a", puntos=1):\n    pass\nwith check("a", puntos=2):\n    pass', "two parts"),
    ('with check(nombre, puntos=3):\n    pass', "plain string"),
    ('with check("a", puntos=n):\n    pass', "plain number"),
    ('if True:\n    with check("a", puntos=3):\n        pass', "top of the cell")])
def test_malformed_parts_are_refused_with_the_reason(src, message):
    with pytest.raises(PartsError, match=message):
        split_parts(src, points=3, where="01.ipynb, cell 7")


def test_the_self_check_prints_one_verdict_per_part(capsys, monkeypatch):
    """In Colab (not strict) every block runs and prints its own line, with its points."""
    monkeypatch.delenv("TLKIT_CHECK_STRICT", raising=False)
    namespace = {"check": selfcheck.check, "normaliza": lambda v: [x / sum(v) for x in v[:2]]}
    exec(compile(SEQUENTIAL, "cell", "exec"), namespace)  # noqa: S102 - the test cell
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "❌ ej2_suma (0 de 1 punto): incorrecto. no suman 1"
    assert out[1] == "   Pista: Deben sumar 1."
    assert out[2] == f"   {selfcheck.STALE_STATE}"  # a top-level part is a check of its own
    assert out[3].startswith("❌ ej2_valores (0 de 2 puntos): incorrecto")
    namespace["normaliza"] = lambda v: [x / sum(v) for x in v]
    exec(compile(SEQUENTIAL, "cell", "exec"), namespace)  # noqa: S102
    assert capsys.readouterr().out.splitlines() == [
        "✅ ej2_suma (1 punto): correcto", "✅ ej2_valores (2 puntos): correcto"]
    assert selfcheck.RESULTS["ej2_valores"] == ("passed", "")
    assert Part("a", 1.0, "x") == Part("a", 1.0, "x")


def test_an_outer_check_sums_its_parts_instead_of_saying_correct(capsys, monkeypatch):
    monkeypatch.delenv("TLKIT_CHECK_STRICT", raising=False)
    namespace = {"check": selfcheck.check, "normaliza": lambda v: [1 / len(v)] * len(v)}
    exec(compile(NESTED, "cell", "exec"), namespace)  # noqa: S102 - the test cell
    assert capsys.readouterr().out.splitlines() == [
        "✅ ej2_suma (1 punto): correcto",
        "❌ ej2_valores (0 de 2 puntos): incorrecto.",  # the stale-state advice once, below
        "❌ ej2: 1 de 3 puntos; falla: ej2_valores",
        f"   {selfcheck.STALE_STATE}"]
    assert selfcheck.RESULTS["ej2"] == ("failed", "1 de 3 puntos; falla: ej2_valores")
    namespace["normaliza"] = lambda v: [x / sum(v) for x in v]
    exec(compile(NESTED, "cell", "exec"), namespace)  # noqa: S102
    assert capsys.readouterr().out.splitlines()[-1] == "✅ ej2: 3 de 3 puntos"
    assert selfcheck.RESULTS["ej2"] == ("passed", "")


def test_an_outer_check_whose_parts_are_all_unsolved_says_not_solved(capsys, monkeypatch):
    monkeypatch.delenv("TLKIT_CHECK_STRICT", raising=False)

    def normaliza(v):
        raise NotImplementedError()

    cell = NESTED.replace("    resultado = normaliza([1, 1, 2])\n", "").replace(
        "sum(resultado)", "sum(normaliza([1, 1, 2]))").replace("resultado ==", "normaliza([1, 1, 2]) ==")
    exec(compile(cell, "cell", "exec"), {"check": selfcheck.check, "normaliza": normaliza})  # noqa: S102
    out = capsys.readouterr().out.splitlines()
    assert out == [f"⏳ ej2_suma (0 de 1 punto): {selfcheck.NOT_SOLVED}.",
                   f"⏳ ej2_valores (0 de 2 puntos): {selfcheck.NOT_SOLVED}.",
                   f"⏳ ej2: {selfcheck.NOT_SOLVED}."]
    assert selfcheck.RESULTS["ej2"] == ("unsolved", selfcheck.NOT_SOLVED)


def test_the_final_check_shows_each_part(monkeypatch):
    """The student's last cell: one line per part, from where it ran or run again now."""
    from tlkit.grading.student.final_check import visible_results

    monkeypatch.setattr(selfcheck, "RESULTS", {})
    tests = [("test-ej2", "ej2", 3, NESTED)]
    recorded = {"ej2_suma": ("passed", ""), "ej2_valores": ("failed", "no coincide")}
    results = visible_results({}, tests, recorded)
    assert [(r.question, r.points, r.max_points, r.status, r.now) for r in results] == [
        ("ej2 · ej2_suma", 1.0, 1.0, "passed", False),
        ("ej2 · ej2_valores", 0.0, 2.0, "failed", False)]
    namespace = {"check": selfcheck.check, "normaliza": lambda v: [1 / len(v)] * len(v)}
    again = visible_results(namespace, tests, {}, rerun={"test-ej2"})
    assert [(r.question, r.points, r.status, r.now) for r in again] == [
        ("ej2 · ej2_suma", 1.0, "passed", True), ("ej2 · ej2_valores", 0.0, "failed", True)]
