"""The verdict ladder: one row per test, from the verifier's verdicts and the worker's events.

The ladder (first match wins) for a test: not reached → ``timeout``/``crashed``; kernel died →
``crashed``; timed out → ``timeout``; the kernel ran it cleanly and the verifier
(``scoring.verifier``) passed its handed-over data → ``passed``; ran cleanly but the verifier
did not pass it → ``failed`` (``tampered-runtime`` when the kernel's own run of a visible verdict
passed, or no data came); ``NotImplementedError`` in the test or the student's cell before it →
``unsolved``; the student's cell timed out → ``timeout``; otherwise ``failed``. A given cell that
fails before any student code ran, or runs out of its own budget then, makes the remaining
tests ``error``: the statement is the grader's responsibility, never a silent 0; one that
overruns after student code ran is the student's failure, and the feedback says so.

Hidden tests never leak through feedback: a hidden test's row shows a fixed sentence and its
hint (the instructor's text), and once a hidden test has run in the kernel no text the
student's code can choose (exception names included) reaches any row or note.
"""

from __future__ import annotations

from dataclasses import dataclass

from tlkit.grading import messages
from tlkit.grading.intake.solutions import Assignment
from tlkit.grading.options import GradeOptions
from tlkit.grading.plan.matching import Plan
from tlkit.grading.protocol import WorkerRun
from tlkit.grading.safe_text import short
from tlkit.grading.scoring.row import Row

ERROR_NAMES_UNSOLVED = ("NotImplementedError",)
DISGUISED = "DisguisedData"  # ``handover.DisguisedData``: the kernel refused a disguised value


@dataclass
class Scored:
    """Rows of one submission, notes for its feedback, and flags the scoring added."""

    rows: list[Row]
    notes: list[str]
    flags: list[str]


def _with_hint(text: str, hint: str) -> str:
    return f"{text}. {messages.HINT.format(hint=hint)}" if hint else text


def _kernel_error(event: dict) -> str:
    """The error a cell of the student's kernel reported (student-chosen text)."""
    return short(f"{event.get('ename', '')}: {event.get('evalue', '')}".strip(": "), 300)


def _verdict_reason(verdict: dict) -> str:
    """Why the verifier failed a test, from the solution's own assertion message."""
    if verdict.get("status") == "failed":
        return short(verdict.get("message") or "la comprobación no se cumple")
    if verdict.get("kind") == "name":
        return messages.NOT_DATA.format(name=verdict.get("name", "?"))
    if verdict.get("kind") == "bad-data":
        return messages.BAD_DATA
    return messages.VERDICT_ERROR.format(kind=short(verdict.get("kind", "?"), 40))


def score(plan: Plan, assignment: Assignment, run: WorkerRun, student: str,
          options: GradeOptions, flags: str, verdicts: dict[int, dict]) -> Scored:
    """Rows for each test of ``assignment``: the verifier's verdicts, the kernel's events.

    A test passes only when the verifier passed the data its collect part handed over and the
    kernel ran the cell without error: the student's kernel can lower a verdict, never raise
    one. A kernel that ran a test's cell cleanly while the verifier failed its data, or that
    handed over nothing, is evidence of tampering (``tampered-runtime``). Once a hidden test's
    collect part has run in the kernel, no text the student's code can choose reaches the
    feedback (it could carry the hidden test's source): rows say what failed and the hint.
    """
    tests = {t.id: t for t in assignment.tests}
    rows, notes, extra_flags = [], [], []
    tampered = False
    last_student: dict | None = None
    given_error = ""  # the first error in a cell of the statement: it explains what follows
    grader_fault = ""  # a given cell failed before any student code, or ran out of its budget
    student_fault = ""  # a given cell overran after student code ran
    student_ran = False
    late = False  # a hidden test has run in the kernel: student-chosen text may carry it
    lost = "el kernel se detuvo antes de esta prueba"
    for index, step in enumerate(plan.steps):
        event = run.cells.get(index)
        if step.kind in ("student", "extra"):
            student_ran = True
            last_student = event
            if event and event["status"] == "timeout":
                notes.append(f"Una celda tuya superó el límite de {options.timeout_cell:g} s "
                             "(¿un bucle infinito?) y se interrumpió.")
            if event and event.get("truncated"):
                notes.append("Una celda tuya escribió demasiada salida: se ha recortado.")
        if step.kind == "given" and event and event["status"] == "timeout":
            if not student_ran and not grader_fault:
                grader_fault = (f"una celda del enunciado superó su límite de "
                                f"{options.timeout_given:g} s (¿máquina sobrecargada?)")
            elif student_ran and not student_fault:
                student_fault = messages.LATER_GIVEN_TIMEOUT.format(limit=options.timeout_given)
                notes.append(student_fault[0].upper() + student_fault[1:] + ".")
        if step.kind == "given" and event and event["status"] == "error" and not given_error:
            given_error = messages.DETAIL_OMITTED if late else _kernel_error(event)
            if not student_ran:
                grader_fault = f"una celda del enunciado falló: {given_error}"
            else:
                notes.append(f"Una celda del enunciado falló ({given_error}); lo que depende de "
                             "ella falla también. Si no la cambiaste, avisa a tu profesor.")
        if event and event["status"] == "dead":
            lost = (f"el kernel se detuvo en una celda anterior ({step.kind}): "
                    "os._exit, fallo de segmentación o memoria agotada")
        if step.kind != "test":
            continue
        test = tests[step.ref]
        hidden = test.hidden
        status, points, reason = "failed", 0.0, ""
        mine = last_student or {}
        verdict = verdicts.get(index, {"status": "missing"})
        has_data = verdict.get("status") != "missing"
        quiet = hidden or late  # no student-chosen text in this row
        if event is None:
            if run.killed:
                status, reason = "timeout", (f"se agotó el tiempo total de "
                                             f"{options.timeout_total:g} s por entrega")
            elif run.stuck:
                status, reason = "timeout", ("el kernel no respondía tras superar el límite "
                                             "de tiempo (¿bucle que ignora la interrupción?)")
            else:
                status, reason = "crashed", lost
        elif event["status"] == "dead":
            status, reason = "crashed", "el kernel se detuvo durante la prueba"
        elif event["status"] == "timeout":
            status, reason = "timeout", f"la prueba superó el límite de {options.timeout_cell:g} s"
        elif event["status"] == "ok" and verdict.get("status") == "passed":
            status, points = "passed", test.points
        elif event["status"] == "ok" and index in run.too_big:
            reason = messages.TOO_BIG
        elif event["status"] == "ok" and not has_data:  # hand_over ran, yet nothing came
            tampered, reason = True, messages.NO_DATA
        elif event["status"] == "ok" and hidden:  # its kernel cell has no verdict to compare
            reason = messages.HIDDEN_FAILED
        elif event["status"] == "ok":  # the kernel passed what the verifier fails
            tampered = True
            reason = messages.DETAIL_IN_NOTEBOOK if late else _verdict_reason(verdict)
        elif event.get("ename") == DISGUISED:  # a value made to fool comparisons
            tampered, reason = True, (messages.HIDDEN_FAILED if quiet else _kernel_error(event))
        elif event.get("ename") in ERROR_NAMES_UNSOLVED or mine.get("ename") in ERROR_NAMES_UNSOLVED:
            status, reason = "unsolved", "sin resolver (NotImplementedError)"
        elif mine.get("status") == "timeout":
            status, reason = "timeout", (f"tu celda superó el límite de {options.timeout_cell:g}"
                                         " s y la prueba falló")
        elif verdict.get("status") in ("failed", "error") and not quiet:
            reason = _verdict_reason(verdict)
        elif quiet:
            reason = messages.HIDDEN_FAILED if hidden else messages.DETAIL_IN_NOTEBOOK
        elif mine.get("status") == "error":
            reason = (f"error en tu celda: {_kernel_error(mine)}; la prueba falló: "
                      f"{_kernel_error(event)}")
        else:
            reason = _kernel_error(event)
        if status != "passed" and hidden:
            reason = _with_hint(reason, step.hint)
        elif status != "passed" and late and reason == messages.DETAIL_IN_NOTEBOOK:
            reason = _with_hint(reason, step.hint)
        if grader_fault:  # after a broken statement no verdict can be trusted
            status, points, reason = "error", 0.0, grader_fault
        elif student_fault and status != "passed":
            reason = student_fault
        elif given_error and status != "passed":
            reason += f"; antes falló una celda del enunciado: {given_error}"
        if hidden and event is not None:
            late = True
        rows.append(Row(student, assignment.name, test.question, points, test.points, status,
                        reason, flags))
    if tampered:
        extra_flags.append("tampered-runtime")
        notes.append(messages.TAMPERED_NOTE)
    if grader_fault:
        notes.append(f"No es culpa tuya: {grader_fault}. Tu profesor volverá a corregirla.")
    if run.oom_kills:
        notes.append("Tu entrega superó la memoria permitida y el sistema detuvo un proceso.")
    if extra_flags:
        joined = " ".join(filter(None, [flags, *extra_flags]))
        rows = [Row(r.student, r.assignment, r.question, r.points, r.max_points, r.status,
                    r.reason, joined) for r in rows]
    return Scored(rows, list(dict.fromkeys(notes)), extra_flags)
