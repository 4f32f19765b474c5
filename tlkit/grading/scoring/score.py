"""The verdict ladder: one row per test from the worker's per-cell events.

The ladder (first match wins) for a test cell: not reached → ``timeout``/``crashed``; reply
``ok`` → ``passed`` (unless the runtime was tampered with before it); kernel died → ``crashed``;
timed out → ``timeout``; ``NotImplementedError`` in the test or the student's cell before it →
``unsolved``; the student's cell timed out → ``timeout``; otherwise ``failed``. A given cell
that fails before any student code ran, or runs out of its own budget, makes the remaining
tests ``error``: the statement is the grader's responsibility, never a silent 0.

Hidden tests' source must not reach the gradebook or feedback: a hidden test's row shows only
the exception's type, and any other text is dropped when it quotes a line of a hidden test; after
the first hidden test ran, text a student can choose is cut short (see docs/grading.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from tlkit.grading.intake.solutions import Assignment, SolutionCell
from tlkit.grading.messages import EVIDENCE, NOTES, REASONS, REDACTED
from tlkit.grading.options import GradeOptions
from tlkit.grading.plan.matching import Plan, Step
from tlkit.grading.plan.tamper import differences, parse_probe
from tlkit.grading.protocol import CellRun, WorkerRun
from tlkit.grading.safe_text import short
from tlkit.grading.scoring.row import Row

ERROR_NAMES_UNSOLVED = ("NotImplementedError",)
LATE_TEXT_CAP = 160
HARMLESS_EVIDENCE = ("user.check",)
NOT_RUN = CellRun(index=-1, status="")  # "the student's cell before this test": none ran


@dataclass
class Scored:
    """Rows of one submission, notes for its feedback, and flags the scoring added."""

    rows: list[Row]
    notes: list[str]
    flags: list[str]


class Redactor:
    """Drops text that quotes a hidden test, and limits student-chosen text after one ran."""

    def __init__(self, assignment: Assignment):
        self.lines = {line.strip() for t in assignment.tests if t.hidden
                      for line in t.source.splitlines() if len(line.strip()) >= 12}

    def __call__(self, text: str, late: bool = False) -> str:
        flat = " ".join(text.split())
        if any(" ".join(line.split()) in flat for line in self.lines):
            return REDACTED
        return short(flat, LATE_TEXT_CAP if late else 300)


@dataclass
class _Seen:
    """What the cells before a test established (the ladder reads it)."""

    tampered: list[str]
    last_student: CellRun = NOT_RUN
    given_error: str = ""  # the first error in a cell of the statement: it explains what follows
    grader_fault: str = ""  # a given cell failed before any student code, or ran out of budget
    student_ran: bool = False
    late: bool = False  # a hidden test has started: student-chosen text is suspect from here on
    lost: str = REASONS["lost"]
    notes: list[str] = field(default_factory=list)


def _error(event: CellRun, redact: Redactor, late: bool, hidden: bool = False) -> str:
    if hidden:
        return short(event.ename, 80)
    return redact(f"{event.ename}: {event.evalue}".strip(": "), late)


def _tampering(plan: Plan, run: WorkerRun) -> tuple[dict[int, list[str]], list[str]]:
    """Index of each probe/canary step → evidence found there; and whole-run evidence."""
    baseline = None
    found: dict[int, list[str]] = {}
    whole: list[str] = []
    for index, step in enumerate(plan.steps):
        event = run.cells.get(index)
        if event is None:
            continue
        if step.kind == "probe":
            seen = parse_probe(event.output)
            if baseline is None:
                baseline = seen or {}
                continue
            changed = differences(baseline, seen)
            if changed:
                found[index] = changed
        elif step.kind == "canary" and event.status == "ok":
            whole.append("canary")
    return found, whole


def tamper_note(evidence: list[str], counted: bool) -> str:
    """The feedback sentence for tampering evidence (tests after it count or not)."""
    what = ", ".join(evidence[:12]) + ("…" if len(evidence) > 12 else "")
    return NOTES["tampered_counted" if counted else "tampered_replaced"].format(what=what)


def _note_cell(step: Step, event: CellRun | None, seen: _Seen, redact: Redactor,
               options: GradeOptions) -> None:
    """Update what is known before the next test from one cell (a kernel that died in a test
    explains why the later tests never ran)."""
    if step.kind in ("student", "extra"):
        seen.student_ran = True
        seen.last_student = event or NOT_RUN
        if event and event.status == "timeout":
            seen.notes.append(NOTES["cell_timeout"].format(seconds=options.timeout_cell))
        if event and event.truncated:
            seen.notes.append(NOTES["truncated"])
    if step.kind == "given" and event and event.status == "timeout" and not seen.grader_fault:
        seen.grader_fault = REASONS["given_timeout"].format(seconds=options.timeout_given)
    if step.kind == "given" and event and event.status == "error" and not seen.given_error:
        seen.given_error = _error(event, redact, seen.late)
        if not seen.student_ran:
            seen.grader_fault = REASONS["given_failed"].format(error=seen.given_error)
        else:
            seen.notes.append(NOTES["given_failed"].format(error=seen.given_error))
    if event and event.status == "dead":
        seen.lost = REASONS["lost_in"].format(kind=step.kind)


def _ladder(event: CellRun | None, test: SolutionCell, seen: _Seen, run: WorkerRun,
            redact: Redactor, options: GradeOptions) -> tuple[str, float, str]:
    """``(status, points, reason)`` of one test: the first rung that matches."""
    mine, late, hidden = seen.last_student, seen.late, test.hidden
    if event is None:
        if run.killed:
            return "timeout", 0.0, REASONS["total_timeout"].format(seconds=options.timeout_total)
        if run.stuck:
            return "timeout", 0.0, REASONS["stuck"]
        return "crashed", 0.0, seen.lost
    if event.status == "ok":
        return "passed", test.points, ""
    if event.status == "dead":
        return "crashed", 0.0, REASONS["died"]
    if event.status == "timeout":
        return "timeout", 0.0, REASONS["test_timeout"].format(seconds=options.timeout_cell)
    if event.ename in ERROR_NAMES_UNSOLVED or mine.ename in ERROR_NAMES_UNSOLVED:
        return "unsolved", 0.0, REASONS["unsolved"]
    error = _error(event, redact, late, hidden)
    if mine.status == "timeout":
        return "timeout", 0.0, REASONS["own_timeout"].format(seconds=options.timeout_cell,
                                                             error=error)
    if mine.status == "error":
        return "failed", 0.0, REASONS["own_error"].format(mine=_error(mine, redact, late),
                                                          error=error)
    return "failed", 0.0, REASONS["hidden_failed"].format(error=error) if hidden else error


def _overruled(verdict: tuple[str, float, str], seen: _Seen) -> tuple[str, float, str]:
    """The verdict after what happened before the test: tampering, a broken statement."""
    status, points, reason = verdict
    if status == "passed" and seen.tampered:
        return "failed", 0.0, REASONS["tampered"]
    if seen.grader_fault:  # after a broken statement no verdict can be trusted
        return "error", 0.0, seen.grader_fault
    if seen.given_error and status != "passed":
        return status, points, reason + REASONS["given_failed_before"].format(
            error=seen.given_error)
    return verdict


def score(plan: Plan, assignment: Assignment, run: WorkerRun, student: str,
          options: GradeOptions, flags: str) -> Scored:
    """Rows for each test of ``assignment`` from the worker's per-cell events."""
    tests = {t.id: t for t in assignment.tests}
    redact = Redactor(assignment)
    probe_evidence, whole_evidence = _tampering(plan, run)
    seen = _Seen(tampered=list(whole_evidence))
    rows = []
    for index, step in enumerate(plan.steps):
        event = run.cells.get(index)
        if index in probe_evidence and not seen.tampered:
            # A redefined ``check`` alone is flagged, not scored: the fresh check replaced it.
            seen.tampered = [e for e in probe_evidence[index] if e not in HARMLESS_EVIDENCE]
        _note_cell(step, event, seen, redact, options)
        if step.kind != "test":
            continue
        test = tests[step.ref]
        status, points, reason = _overruled(_ladder(event, test, seen, run, redact, options), seen)
        if test.hidden:
            seen.late = True
        rows.append(Row(student, assignment.name, test.question, points, test.points, status,
                        reason, flags))
    notes, extra_flags = seen.notes, []
    if seen.tampered or probe_evidence:
        extra_flags.append("tampered-runtime")
        evidence = whole_evidence + [e for found in probe_evidence.values() for e in found]
        notes.append(tamper_note([EVIDENCE.get(e, e) for e in dict.fromkeys(evidence)],
                                 counted=bool(seen.tampered)))
    if seen.grader_fault:
        notes.append(NOTES["grader_fault"].format(fault=seen.grader_fault))
    if run.oom_kills:
        notes.append(NOTES["oom"])
    if extra_flags:
        joined = " ".join(filter(None, [flags, *extra_flags]))
        rows = [replace(r, flags=joined) for r in rows]
    return Scored(rows, list(dict.fromkeys(notes)), extra_flags)
