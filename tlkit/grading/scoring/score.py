"""The verdict ladder: one row per test, from the verifier's verdicts and the worker's events.

The ladder (first match wins) for a test: not reached → ``timeout``/``crashed``; kernel died →
``crashed``; timed out → ``timeout``; the kernel ran it cleanly and the verifier
(``scoring.verifier``) passed its handed-over data → ``passed``; ran cleanly but the verifier
did not pass it → ``failed`` (``tampered-runtime`` when the kernel's own run of a visible verdict
passed, or no data came); ``NotImplementedError`` in the test or the student's cell before it →
``unsolved``; the student's cell timed out → ``timeout``; otherwise ``failed``. A given cell that
fails before any student code ran, or runs out of its own budget then, makes the remaining
tests ``error``: the statement is the grader's responsibility, never a silent 0; one that
overruns after student code ran is the student's failure, and the feedback says so. When the
student's cell before a test timed out, the test's timeout or error is theirs too: ``timeout``,
"tu código no terminó", never ``tampered-runtime`` (an honest endless loop is not cheating).

Hidden tests never leak through feedback: a hidden test's row shows a fixed sentence and its
hint (the instructor's text), and once a hidden test has run in the kernel no text the
student's code can choose (exception names included) reaches any row or note.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from tlkit.grading.intake.solutions import Assignment, SolutionCell
from tlkit.grading.messages import NOTES, REASONS
from tlkit.grading.options import GradeOptions
from tlkit.grading.plan.matching import Plan, Step
from tlkit.grading.protocol import CellRun, WorkerRun
from tlkit.grading.safe_text import short
from tlkit.grading.scoring.row import Row

ERROR_NAMES_UNSOLVED = ("NotImplementedError",)
DISGUISED = "DisguisedData"  # ``handover.DisguisedData``: the kernel refused a disguised value
NOT_RUN = CellRun(index=-1, status="")  # "the student's cell before this test": none ran
MISSING = {"status": "missing"}  # the verifier's verdict of a test that handed nothing over


@dataclass
class Scored:
    """Rows of one submission, notes for its feedback, and flags the scoring added."""

    rows: list[Row]
    notes: list[str]
    flags: list[str]


@dataclass
class _Seen:
    """What the cells before a test established (the ladder reads it)."""

    tampered: bool = False
    last_student: CellRun = NOT_RUN
    given_error: str = ""  # the first error in a cell of the statement: it explains what follows
    grader_fault: str = ""  # a given cell failed before any student code, or ran out of budget
    student_fault: str = ""  # a given cell ran out of its budget after student code ran
    student_ran: bool = False
    late: bool = False  # a hidden test ran in the kernel: no student-chosen text from here on
    lost: str = REASONS["lost"]
    notes: list[str] = field(default_factory=list)


def _kernel_error(event: CellRun) -> str:
    """The error a cell of the student's kernel reported (student-chosen text)."""
    return short(f"{event.ename}: {event.evalue}".strip(": "), 300)


def _verdict_reason(verdict: dict) -> str:
    """Why the verifier failed a test, from the solution's own assertion message."""
    if verdict.get("status") == "failed":
        return short(verdict.get("message") or REASONS["not_met"])
    if verdict.get("kind") == "name":
        return REASONS["not_defined"].format(name=short(verdict.get("name", "?"), 60))
    if verdict.get("kind") == "bad-data":
        return REASONS["bad_data"]
    return REASONS["verdict_error"].format(kind=short(verdict.get("kind", "?"), 40))


def _note_cell(step: Step, event: CellRun | None, seen: _Seen, options: GradeOptions) -> None:
    """Update what is known before the next test from one cell (a kernel that died in a test
    explains why the later tests never ran)."""
    if step.kind in ("student", "extra"):
        seen.student_ran = True
        seen.last_student = event or NOT_RUN
        if event and event.status == "timeout":
            seen.notes.append(NOTES["cell_timeout"].format(seconds=options.timeout_cell))
        if event and event.truncated:
            seen.notes.append(NOTES["truncated"])
    if step.kind == "given" and event and event.status == "timeout":
        if not seen.student_ran and not seen.grader_fault:
            seen.grader_fault = REASONS["given_timeout"].format(seconds=options.timeout_given)
        elif seen.student_ran and not seen.student_fault:
            seen.student_fault = REASONS["given_timeout_after"].format(
                seconds=options.timeout_given)
            seen.notes.append(NOTES["given_timeout_after"].format(seconds=options.timeout_given))
    if step.kind == "given" and event and event.status == "error" and not seen.given_error:
        seen.given_error = REASONS["detail_omitted"] if seen.late else _kernel_error(event)
        if not seen.student_ran:
            seen.grader_fault = REASONS["given_failed"].format(error=seen.given_error)
        else:
            seen.notes.append(NOTES["given_failed"].format(error=seen.given_error))
    if event and event.status == "dead":
        seen.lost = REASONS["lost_in"].format(kind=step.kind)


def _ladder(event: CellRun | None, verdict: dict, test: SolutionCell, seen: _Seen,
            run: WorkerRun, index: int, options: GradeOptions,
            worth: float) -> tuple[str, float, str]:
    """``(status, points, reason)`` of one test (or of its part worth ``worth``): the first
    rung that matches. Sets ``seen.tampered`` when only tampering explains what the kernel
    reported."""
    mine, hidden = seen.last_student, test.hidden
    quiet = hidden or seen.late  # no student-chosen text in this row
    if event is None:
        if run.killed:
            return "timeout", 0.0, REASONS["total_timeout"].format(seconds=options.timeout_total)
        if run.stuck:
            return "timeout", 0.0, REASONS["stuck"]
        return "crashed", 0.0, seen.lost
    if event.status == "dead":
        return "crashed", 0.0, REASONS["died"]
    if event.status == "timeout":
        if mine.status == "timeout":  # the kernel was still busy with the student's code
            return "timeout", 0.0, REASONS["own_timeout"].format(seconds=options.timeout_cell)
        return "timeout", 0.0, REASONS["test_timeout"].format(seconds=options.timeout_cell)
    if event.status == "ok":
        if verdict.get("status") == "passed":
            return "passed", worth, ""
        if index in run.too_big:
            return "failed", 0.0, REASONS["too_big"]
        if verdict.get("status") == "missing":  # hand_over ran without error, yet nothing came
            seen.tampered = True
            return "failed", 0.0, REASONS["no_data"]
        if hidden:  # its kernel cell holds no verdict to compare with
            return "failed", 0.0, REASONS["hidden_failed"]
        seen.tampered = True  # the kernel passed the verdict the verifier fails on the same data
        return "failed", 0.0, REASONS["in_notebook"] if quiet else _verdict_reason(verdict)
    if event.ename == DISGUISED:  # a value made to fool comparisons
        seen.tampered = True
        return "failed", 0.0, REASONS["hidden_failed"] if quiet else _kernel_error(event)
    if event.ename in ERROR_NAMES_UNSOLVED or mine.ename in ERROR_NAMES_UNSOLVED:
        return "unsolved", 0.0, REASONS["unsolved"]
    if mine.status == "timeout":
        return "timeout", 0.0, REASONS["own_timeout"].format(seconds=options.timeout_cell)
    if quiet:
        return "failed", 0.0, REASONS["hidden_failed" if hidden else "in_notebook"]
    if verdict.get("status") in ("failed", "error"):
        return "failed", 0.0, _verdict_reason(verdict)
    if mine.status == "error":
        return "failed", 0.0, REASONS["own_error"].format(mine=_kernel_error(mine),
                                                          error=_kernel_error(event))
    return "failed", 0.0, _kernel_error(event)


def _overruled(verdict: tuple[str, float, str], seen: _Seen, step: Step,
               hidden: bool) -> tuple[str, float, str]:
    """The row after what happened before the test (a broken statement, a given cell the
    student's code slowed down) and, when it fails quietly, the test's hint."""
    status, points, reason = verdict
    if seen.grader_fault:  # after a broken statement no verdict can be trusted
        return "error", 0.0, seen.grader_fault
    if status == "passed":
        return verdict
    if seen.student_fault:
        return status, points, seen.student_fault
    if step.hint and (hidden or reason == REASONS["in_notebook"]):
        reason = REASONS["hint"].format(reason=reason, hint=step.hint)
    if seen.given_error:
        reason += REASONS["given_failed_before"].format(error=seen.given_error)
    return status, points, reason


def score(plan: Plan, assignment: Assignment, run: WorkerRun, student: str,
          options: GradeOptions, flags: str, verdicts: dict[int, dict]) -> Scored:
    """Rows for each test of ``assignment``: the verifier's ``verdicts`` (test step → result,
    see ``scoring.verifier``) and the worker's per-cell events.

    A test passes only when the verifier passed the data its collect part handed over and the
    kernel ran its cell without error: the student's kernel can lower a verdict, never raise it.
    """
    tests = {t.id: t for t in assignment.tests}
    seen = _Seen()
    rows = []
    for index, step in enumerate(plan.steps):
        event = run.cells.get(index)
        _note_cell(step, event, seen, options)
        if step.kind != "test":
            continue
        test = tests[step.ref]
        verdict = verdicts.get(index, MISSING)
        worth = dict(test.graded())[step.part or ""]  # the part's points (partial credit)
        status, points, reason = _overruled(
            _ladder(event, verdict, test, seen, run, index, options, worth), seen, step,
            test.hidden)
        if test.hidden and event is not None:
            seen.late = True
        rows.append(Row(student, assignment.name, test.question, points, worth, status,
                        reason, flags, part=step.part or ""))
    notes, extra_flags = seen.notes, []
    if seen.tampered:
        extra_flags.append("tampered-runtime")
        notes.append(NOTES["tampered"])
    if seen.grader_fault:
        notes.append(NOTES["grader_fault"].format(fault=seen.grader_fault))
    if run.oom_kills:
        notes.append(NOTES["oom"])
    if extra_flags:
        joined = " ".join(filter(None, [flags, *extra_flags]))
        rows = [replace(r, flags=joined) for r in rows]
    return Scored(rows, list(dict.fromkeys(notes)), extra_flags)
