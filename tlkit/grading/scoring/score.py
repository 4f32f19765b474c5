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

from dataclasses import dataclass

from tlkit.grading.intake.solutions import Assignment
from tlkit.grading.messages import EVIDENCE, REDACTED
from tlkit.grading.options import GradeOptions
from tlkit.grading.plan.matching import Plan
from tlkit.grading.plan.tamper import differences, parse_probe
from tlkit.grading.protocol import WorkerRun
from tlkit.grading.scoring.row import Row

ERROR_NAMES_UNSOLVED = ("NotImplementedError",)
LATE_TEXT_CAP = 160

HARMLESS_EVIDENCE = ("user.check",)


@dataclass
class Scored:
    """Rows of one submission, notes for its feedback, and flags the scoring added."""

    rows: list[Row]
    notes: list[str]
    flags: list[str]


def short(text: str, cap: int = 300) -> str:
    """One line of at most ``cap`` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= cap else text[:cap] + "…"


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


def _error(event: dict, redact: Redactor, late: bool, hidden: bool = False) -> str:
    if hidden:
        return short(str(event.get("ename", "")), 80)
    return redact(f"{event.get('ename', '')}: {event.get('evalue', '')}".strip(": "), late)


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
            seen = parse_probe(event.get("output", ""))
            if baseline is None:
                baseline = seen or {}
                continue
            changed = differences(baseline, seen)
            if changed:
                found[index] = changed
        elif step.kind == "canary" and event["status"] == "ok":
            whole.append("el kernel dio por buena una celda que falla")
    return found, whole


def tamper_note(evidence: list[str], counted: bool) -> str:
    """The feedback sentence for tampering evidence (tests after it count or not)."""
    what = ", ".join(evidence[:12]) + ("…" if len(evidence) > 12 else "")
    if not counted:
        return (f"Se ha detectado que tu código modificó el entorno del que dependen las pruebas "
                f"({what}): las pruebas se han ejecutado con el original.")
    return (f"Se ha detectado que tu código modificó el entorno del que dependen las pruebas "
            f"({what}): las pruebas posteriores no cuentan. Si crees que es un error, avisa a tu "
            "profesor.")


def score(plan: Plan, assignment: Assignment, run: WorkerRun, student: str,
          options: GradeOptions, flags: str) -> Scored:
    """Rows for each test of ``assignment`` from the worker's per-cell events."""
    tests = {t.id: t for t in assignment.tests}
    redact = Redactor(assignment)
    rows, notes, extra_flags = [], [], []
    probe_evidence, whole_evidence = _tampering(plan, run)
    tampered: list[str] = list(whole_evidence)
    last_student: dict | None = None
    given_error = ""  # the first error in a cell of the statement: it explains what follows
    grader_fault = ""  # a given cell failed before any student code, or ran out of its budget
    student_ran = False
    late = False  # a hidden test has started: student-chosen text is suspect from here on
    lost = "el kernel se detuvo antes de esta prueba"
    for index, step in enumerate(plan.steps):
        event = run.cells.get(index)
        if index in probe_evidence and not tampered:
            # A redefined ``check`` alone is flagged, not scored: the fresh check replaced it.
            tampered = [e for e in probe_evidence[index] if e not in HARMLESS_EVIDENCE]
        if step.kind in ("student", "extra"):
            student_ran = True
            last_student = event
            if event and event["status"] == "timeout":
                notes.append(f"Una celda tuya superó el límite de {options.timeout_cell:g} s "
                             "(¿un bucle infinito?) y se interrumpió.")
            if event and event.get("truncated"):
                notes.append("Una celda tuya escribió demasiada salida: se ha recortado.")
        if step.kind == "given" and event and event["status"] == "timeout" and not grader_fault:
            grader_fault = (f"una celda del enunciado superó su límite de "
                            f"{options.timeout_given:g} s (¿máquina sobrecargada?)")
        if step.kind == "given" and event and event["status"] == "error" and not given_error:
            given_error = _error(event, redact, late)
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
        if event is None:
            if run.killed:
                status, reason = "timeout", (f"se agotó el tiempo total de "
                                             f"{options.timeout_total:g} s por entrega")
            elif run.stuck:
                status, reason = "timeout", ("el kernel no respondía tras superar el límite "
                                             "de tiempo (¿bucle que ignora la interrupción?)")
            else:
                status, reason = "crashed", lost
        elif event["status"] == "ok":
            status, points = "passed", test.points
        elif event["status"] == "dead":
            status, reason = "crashed", "el kernel se detuvo durante la prueba"
        elif event["status"] == "timeout":
            status, reason = "timeout", f"la prueba superó el límite de {options.timeout_cell:g} s"
        elif event.get("ename") in ERROR_NAMES_UNSOLVED or mine.get("ename") in ERROR_NAMES_UNSOLVED:
            status, reason = "unsolved", "sin resolver (NotImplementedError)"
        elif mine.get("status") == "timeout":
            status, reason = "timeout", (f"tu celda superó el límite de {options.timeout_cell:g}"
                                         f" s; la prueba falló: {_error(event, redact, late, hidden)}")
        elif mine.get("status") == "error":
            reason = (f"error en tu celda: {_error(mine, redact, late)}; la prueba falló: "
                      f"{_error(event, redact, late, hidden)}")
        else:
            reason = _error(event, redact, late, hidden)
            if hidden:
                reason = f"la prueba oculta falló ({reason})"
        if status == "passed" and tampered:
            status, points = "failed", 0.0
            reason = "entorno manipulado antes de esta prueba (tampered-runtime)"
        elif grader_fault:  # after a broken statement no verdict can be trusted
            status, points, reason = "error", 0.0, grader_fault
        elif given_error and status != "passed":
            reason += f"; antes falló una celda del enunciado: {given_error}"
        if hidden:
            late = True
        rows.append(Row(student, assignment.name, test.question, points, test.points, status,
                        reason, flags))
    if tampered or probe_evidence:
        extra_flags.append("tampered-runtime")
        evidence = whole_evidence + [e for found in probe_evidence.values() for e in found]
        notes.append(tamper_note([EVIDENCE.get(e, e) for e in dict.fromkeys(evidence)],
                                 counted=bool(tampered)))
    if grader_fault:
        notes.append(f"No es culpa tuya: {grader_fault}. Tu profesor volverá a corregirla.")
    if run.oom_kills:
        notes.append("Tu entrega superó la memoria permitida y el sistema detuvo un proceso.")
    if extra_flags:
        joined = " ".join(filter(None, [flags, *extra_flags]))
        rows = [Row(r.student, r.assignment, r.question, r.points, r.max_points, r.status,
                    r.reason, joined) for r in rows]
    return Scored(rows, list(dict.fromkeys(notes)), extra_flags)
