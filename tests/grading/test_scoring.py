"""The verdict ladder (``scoring.score``) without a kernel: a plan and a worker's run in, rows
out. Each test is named by the outcome it expects."""

from __future__ import annotations

import pytest
from builders import TEST_SRC, code, demo, plan_of, run_with, submitted

from tlkit.grading.options import GradeOptions
from tlkit.grading.protocol import CellRun
from tlkit.grading.scoring.score import score

OPTIONS = GradeOptions(timeout_cell=5, timeout_given=50, timeout_total=60)


def _rows(plan, run, assignment=None):
    scored = score(plan, assignment or demo(), run, "ana", OPTIONS, "")
    return {r.question: (r.status, r.points, r.reason) for r in scored.rows}, scored


def test_passed_when_every_test_cell_answers_ok():
    plan = plan_of(demo())
    rows, scored = _rows(plan, run_with(plan))
    assert rows == {"ej1": ("passed", 2.0, ""), "ej1_oculto": ("passed", 1.0, "")}
    assert scored.notes == [] and scored.flags == []


def test_failed_with_the_assertion_message():
    plan = plan_of(demo())
    run = run_with(plan, {"test:ej1": CellRun(0, "error", "AssertionError", "esperaba 6")})
    rows, _ = _rows(plan, run)
    assert rows["ej1"] == ("failed", 0.0, "AssertionError: esperaba 6")


def test_unsolved_when_the_student_cell_raised_not_implemented():
    plan = plan_of(demo(), submitted("raise NotImplementedError()"))
    run = run_with(plan, {"student": CellRun(0, "error", "NotImplementedError"),
                          "test:ej1": CellRun(0, "error", "NameError", "name 'suma'"),
                          "test:ej1_oculto": CellRun(0, "error", "NameError", "name 'suma'")})
    rows, _ = _rows(plan, run)
    assert rows["ej1"][0] == rows["ej1_oculto"][0] == "unsolved"


def test_timeout_of_the_test_itself_and_of_the_student_cell_before_it():
    plan = plan_of(demo())
    rows, _ = _rows(plan, run_with(plan, {"test:ej1": CellRun(0, "timeout", "TLKitCellTimeout")}))
    assert rows["ej1"] == ("timeout", 0.0, "la prueba superó el límite de 5 s")
    run = run_with(plan, {"student": CellRun(0, "timeout", "TLKitCellTimeout"),
                          "test:ej1": CellRun(0, "error", "NameError", "x")})
    rows, scored = _rows(plan, run)
    assert rows["ej1"][0] == "timeout" and "tu celda superó el límite de 5 s" in rows["ej1"][2]
    assert any("superó el límite de 5 s" in note for note in scored.notes)


def test_crashed_when_the_kernel_died_before_the_tests():
    plan = plan_of(demo())
    student = next(i for i, s in enumerate(plan.steps) if s.kind == "student")
    run = run_with(plan, {"student": CellRun(0, "dead", "DeadKernelError")}, reached=student + 1)
    rows, _ = _rows(plan, run)
    assert rows["ej1"][0] == rows["ej1_oculto"][0] == "crashed"
    assert "se detuvo en una celda anterior (student)" in rows["ej1"][2]


@pytest.mark.parametrize("ended, reason", [
    ({"killed": True}, "se agotó el tiempo total de 60 s por entrega"),
    ({"stuck": True}, "el kernel no respondía"),
])
def test_timeout_when_the_run_was_cut_before_a_test(ended, reason):
    plan = plan_of(demo())
    first_test = next(i for i, s in enumerate(plan.steps) if s.kind == "test")
    rows, _ = _rows(plan, run_with(plan, reached=first_test, **ended))
    assert rows["ej1"][0] == "timeout" and reason in rows["ej1"][2]


def test_error_not_zero_when_a_given_cell_fails_before_any_student_code():
    plan = plan_of(demo())
    rows, scored = _rows(plan, run_with(plan, {"given": CellRun(0, "error", "OSError", "disco")}))
    assert {status for status, _, _ in rows.values()} == {"error"}
    assert rows["ej1"][2] == "una celda del enunciado falló: OSError: disco"
    assert any(note.startswith("No es culpa tuya") for note in scored.notes)


def test_hidden_test_shows_only_the_exception_type():
    plan = plan_of(demo())
    run = run_with(plan, {"test:ej1_oculto": CellRun(0, "error", "AssertionError",
                                                     "prueba-oculta-larga-0")})
    rows, _ = _rows(plan, run)
    assert rows["ej1_oculto"] == ("failed", 0.0, "la prueba oculta falló (AssertionError)")


def test_text_quoting_a_hidden_test_is_redacted():
    plan = plan_of(demo(), submitted() + [code("mia", "print('x')")])
    quoting = "assert suma([]) == 0, 'prueba-oculta-larga-0'"
    run = run_with(plan, {"test:ej1": CellRun(0, "error", "AssertionError", quoting)})
    rows, _ = _rows(plan, run)
    assert rows["ej1"][2] == "[texto omitido: citaba una prueba oculta]"


def test_tampered_runtime_turns_a_pass_into_a_fail_and_flags_it():
    plan = plan_of(demo())
    probes = [i for i, s in enumerate(plan.steps) if s.kind == "probe"]
    run = run_with(plan)
    run.cells[probes[1]] = CellRun(probes[1], "ok", output='TLKIT-PROBE:{"builtins.len": "2"}')
    run.cells[probes[0]] = CellRun(probes[0], "ok", output='TLKIT-PROBE:{"builtins.len": "1"}')
    rows, scored = _rows(plan, run)
    assert rows["ej1"] == ("failed", 0.0,
                           "entorno manipulado antes de esta prueba (tampered-runtime)")
    assert scored.flags == ["tampered-runtime"]
    assert all(r.flags == "tampered-runtime" for r in score(
        plan, demo(), run, "ana", OPTIONS, "").rows)


def test_a_canary_that_passes_is_evidence_of_a_lying_kernel():
    plan = plan_of(demo())
    rows, scored = _rows(plan, run_with(plan, {"canary": CellRun(0, "ok")}))
    assert {status for status, _, _ in rows.values()} == {"failed"}
    assert any("el kernel dio por buena una celda que falla" in n for n in scored.notes)


def test_out_of_memory_is_told_to_the_student():
    plan = plan_of(demo())
    _, scored = _rows(plan, run_with(plan, oom_kills=1))
    assert scored.notes == ["Tu entrega superó la memoria permitida y el sistema detuvo un "
                            "proceso."]


def test_the_visible_test_source_is_the_solutions_not_the_students():
    plan = plan_of(demo(), submitted()[:2] + [code("t1", "pass  # la he cambiado")])
    assert [s.source for s in plan.steps if s.kind == "test"][0] == TEST_SRC
    assert plan.flags() == ["edited-locked"]
