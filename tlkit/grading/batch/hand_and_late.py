"""After the kernels: written answers (pending, or graded from the manual CSV) and lateness.

Two stages ``run_grading`` applies to the results, in this order (the penalty is a fraction of
the points earned, written answers included):

1. :func:`add_written`: one ``pending`` row per written question of each readable submission;
   with ``--manual FILE``, the answers page per exercise beside FILE, and FILE itself: a
   template when it does not exist yet, else the instructor's grades, merged (a re-grade
   merges them again, so they are kept).
2. :func:`apply_late`: with a late policy, each submission's lateness (its hand-in time from
   the platform when known, else the platform's late mark) and a penalty row.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from tlkit.files import atomic_write
from tlkit.grading.intake.submission import read_submission
from tlkit.grading.late_policy import Handed, LatePolicy, lateness
from tlkit.grading.messages import PENDING_REASON
from tlkit.grading.reports.late_penalty import penalty_row
from tlkit.grading.reports.manual_grades import apply_manual, read_manual
from tlkit.grading.reports.written_page import answers_page, manual_template
from tlkit.grading.scoring.row import Row
from tlkit.grading.written import student_answer


@dataclass(frozen=True)
class LateSettings:
    """The late policy and, per platform id, when each student handed in (may be empty)."""

    policy: LatePolicy
    times: dict[str, Handed]


def page_path(manual: Path, assignment: str) -> Path:
    """Where the answers page of ``assignment`` goes: beside the manual CSV."""
    return Path(manual).with_name(f"{Path(manual).stem}-{assignment}.html")


def add_written(results: list, assignments: dict, manual: Path | None) -> list[str]:
    """Pending rows for written questions; pages, template or merged grades; notes for the
    instructor (what was written, who is missing from the CSV, grades that matched nobody)."""
    notes: list[str] = []
    students: dict[str, list[tuple[str, str, dict[str, str]]]] = {}
    for result in results:
        assignment = assignments.get(result.assignment)
        if assignment is None or not assignment.written or \
                any(r.status == "invalid" for r in result.rows):
            continue
        sub = result.submission
        cells = read_submission(sub.path).cells
        texts = {q.id: student_answer(cells, q) for q in assignment.written}
        students.setdefault(assignment.name, []).append((sub.student, sub.student_id, texts))
        where = result.rows[0].isolation if result.rows else ""
        result.rows = result.rows + [
            Row(sub.student, assignment.name, q.id, 0.0, q.points, "pending", PENDING_REASON,
                isolation=where, student_id=sub.student_id) for q in assignment.written]
    if manual is None or not students:
        return notes
    manual = Path(manual)
    for name, answers in sorted(students.items()):
        atomic_write(page_path(manual, name),
                     answers_page(name, assignments[name].written, answers))
        notes.append(f"written answers of {name}: {page_path(manual, name)}")
    if not manual.exists():
        atomic_write(manual, manual_template(
            [(name, assignments[name].written, [(s, sid) for s, sid, _ in answers])
             for name, answers in sorted(students.items())]))
        notes.append(f"manual grades template: {manual} (fill the points column, then grade "
                     "again, or merge it with merge-grades / lms fill, with --manual)")
        return notes
    grades = read_manual(manual)
    for result in results:
        result.rows, _ = apply_manual(result.rows, grades)
    rows = [r for result in results for r in result.rows]
    _, unused = apply_manual(rows, grades)
    notes += [f"{manual}, line {g.line}: no written answer of {g.student} ({g.assignment} "
              f"{g.question}) in this run" for g in unused]
    pending = sorted({f"{r.student} ({r.question})" for r in rows if r.status == "pending"})
    if pending:
        notes.append(f"{manual}: still to grade by hand: {', '.join(pending[:20])}"
                     + (" …" if len(pending) > 20 else ""))
    return notes


def apply_late(results: list, late: LateSettings | None) -> list[str]:
    """Mark late submissions and add their penalty rows; notes for the instructor."""
    if late is None:
        return []
    unknown = []
    for result in results:
        sub = result.submission
        handed = late.times.get(sub.student_id) if sub.student_id else None
        if handed is None and not sub.late and sub.lms != "canvas":
            unknown.append(sub.student)
        submitted = handed.submitted if handed else None
        marked = sub.late or bool(handed and handed.marked_late)
        found = lateness(late.policy, submitted, marked)
        if not found.late:
            continue
        result.submission = replace(sub, late=True)
        row = penalty_row(result.rows, found, late.policy.rule)
        if row is not None:  # its reason says the days and the rule, in the feedback's table
            result.rows = result.rows + [row]
    if unknown:
        return [f"late policy: no hand-in time for {len(unknown)} submission(s) (e.g. "
                f"{', '.join(unknown[:5])}): counted on time; for Moodle pass the grading "
                "worksheet with --worksheet"]
    return []
