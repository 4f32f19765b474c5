"""The verdict ladder (``scoring.score``) without a kernel: a plan and a worker's run in, rows
out. Each test is named by the outcome it expects."""

from __future__ import annotations

import pytest
from builders import (TEST_SRC, code, demo, judged, plan_of, run_with, solution_cell,
                      submitted)

from tlkit.grading.options import GradeOptions
from tlkit.grading.protocol import CellRun
from tlkit.grading.scoring.score import score

OPTIONS = GradeOptions(timeout_cell=5, timeout_given=50, timeout_total=60)


def _rows(plan, run, assignment=None, verdicts=None):
    """Rows and the whole result; the verifier passes every test that handed data over unless
    ``verdicts`` (by question) says otherwise."""
    scored = score(plan, assignment or demo(), run, "ana", OPTIONS, "",
                   judged(plan, run, verdicts))
    return {r.question: (r.status, r.points, r.reason) for r in scored.rows}, scored


def test_passed_when_every_test_cell_answers_ok():
    plan = plan_of(demo())
    rows, scored = _rows(plan, run_with(plan))
    assert rows == {"ej1": ("passed", 2.0, ""), "ej1_oculto": ("passed", 1.0, "")}
    assert scored.notes == [] and scored.flags == []


def test_failed_with_the_verifiers_assertion_message():
    plan = plan_of(demo())
    run = run_with(plan, {"test:ej1": CellRun(0, "error", "AssertionError", "da 5")})
    verdicts = judged(plan, run)
    verdicts[next(i for i, s in enumerate(plan.steps) if s.question == "ej1")] = {
        "status": "failed", "message": "da 5"}
    scored = score(plan, demo(), run, "ana", OPTIONS, "", verdicts)
    assert (scored.rows[0].status, scored.rows[0].reason) == ("failed", "da 5")
    assert scored.flags == []  # the kernel failed it too: an honest failure


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


def test_a_failing_hidden_test_shows_its_hint_and_nothing_the_student_chose():
    plan = plan_of(demo())
    run = run_with(plan)
    rows, scored = _rows(plan, run, verdicts={"ej1_oculto": {
        "status": "failed", "message": "prueba-oculta-larga-0"}})
    assert rows["ej1_oculto"] == ("failed", 0.0, "la prueba oculta no se cumple. Pista: ¿Y vacía?")
    assert scored.flags == []  # a hidden kernel cell holds no verdict: nothing to compare
    chosen = CellRun(0, "error", "Secreto_cHJ1ZWJh", "base64 de la prueba")
    rows, _ = _rows(plan, run_with(plan, {"test:ej1_oculto": chosen}))
    assert "Secreto" not in rows["ej1_oculto"][2] and "base64" not in rows["ej1_oculto"][2]


def test_no_student_chosen_text_after_a_hidden_test_ran():
    """A visible test after a hidden one: the student's code may have read the hidden test's
    source while it ran, so its row carries no text the student's code chose, only the hint."""
    later = "with check('ej2', pista='Mira ej2.'):\n    otro = suma([1])\n    assert otro == 1, f'{otro}'"
    assignment = demo()
    assignment.cells.append(solution_cell("t3", "test", later, "ej2", 1.0))
    plan = plan_of(assignment, submitted() + [code("t3", later)])
    chosen = CellRun(0, "error", "Secreto_cHJ1ZWJh", "base64 de la prueba")
    run = run_with(plan, {"test:ej1": chosen, "test:ej2": chosen})
    rows, _ = _rows(plan, run, assignment)
    assert rows["ej1"][2].startswith("Secreto")  # before any hidden test: the student's own
    assert rows["ej2"] == ("failed", 0.0, "el detalle lo ves al ejecutar la prueba en tu "
                                          "notebook. Pista: Mira ej2.")


def test_a_disguised_value_is_refused_and_flagged():
    plan = plan_of(demo())
    run = run_with(plan, {"test:ej1": CellRun(0, "error", "DisguisedData", "«total» imita")})
    rows, scored = _rows(plan, run)
    assert rows["ej1"][0] == "failed" and scored.flags == ["tampered-runtime"]


def test_a_kernel_that_passes_what_the_verifier_fails_is_flagged():
    plan = plan_of(demo())
    rows, scored = _rows(plan, run_with(plan), verdicts={"ej1": {"status": "failed",
                                                                 "message": "da 5"}})
    assert rows["ej1"] == ("failed", 0.0, "da 5") and scored.flags == ["tampered-runtime"]
    assert any("cambió cómo se comprueban las pruebas" in n for n in scored.notes)


def test_a_clean_test_cell_that_handed_nothing_over_is_flagged():
    plan = plan_of(demo())
    run = run_with(plan)
    scored = score(plan, demo(), run, "ana", OPTIONS, "", {})
    assert {r.status for r in scored.rows} == {"failed"} and scored.flags == ["tampered-runtime"]
    assert "sin entregar sus datos" in scored.rows[0].reason


def test_a_given_cell_slowed_down_by_student_code_is_the_students_failure():
    plan = plan_of(demo(), submitted() + [code("mia", "x = 1")])
    plan.steps.insert(2, plan.steps[0])  # a given cell after the student's
    run = run_with(plan, {"given": CellRun(0, "ok")})
    run.cells[2] = CellRun(2, "timeout", "TLKitCellTimeout")
    rows, scored = _rows(plan, run, verdicts={"ej1": {"status": "failed", "message": "x"}})
    assert rows["ej1"][0] == "failed" and "después de tu código" in rows["ej1"][2]
    assert not any(n.startswith("No es culpa tuya") for n in scored.notes)


def test_out_of_memory_is_told_to_the_student():
    plan = plan_of(demo())
    _, scored = _rows(plan, run_with(plan, oom_kills=1))
    assert scored.notes == ["Tu entrega superó la memoria permitida y el sistema detuvo un "
                            "proceso."]


def test_the_visible_test_source_is_the_solutions_not_the_students():
    plan = plan_of(demo(), submitted()[:2] + [code("t1", "pass  # la he cambiado")])
    first = [s for s in plan.steps if s.kind == "test"][0]
    assert first.source.startswith("total = suma(DATOS)") and "la he cambiado" not in first.source
    assert TEST_SRC.endswith(first.verdict)
    assert plan.flags() == ["edited-locked"]
