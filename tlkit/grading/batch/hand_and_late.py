"""After the kernels: written answers (pending, or graded from the manual CSV) and lateness.

Two stages ``run_grading`` applies to the results, in this order (the penalty is a fraction of
the points earned, written answers included):

1. :func:`add_written`: one ``pending`` row per written question of each readable submission;
   with ``--manual FILE``, the answers page per exercise beside FILE, and FILE itself: a
   template when it does not exist yet, else the instructor's grades, merged (a re-grade
   merges them again, so they are kept). A filled FILE is read (and checked: ``check_manual``
   before any kernel runs, again here) before the page is written: a bad one changes nothing.
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
from tlkit.grading.reports.manual_grades import ManualError, apply_manual, read_manual
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
    # Read and merge a filled CSV before writing anything: a bad one changes no file.
    grades = read_manual(manual) if _filled(manual) else None
    if grades is not None:
        merged = [apply_manual(result.rows, grades)[0] for result in results]
        for result, rows in zip(results, merged):
            result.rows = rows
    for name, answers in sorted(students.items()):
        atomic_write(page_path(manual, name),
                     answers_page(name, assignments[name].written, answers))
        notes.append(f"written answers of {name}: {page_path(manual, name)}")
    if grades is None:
        atomic_write(manual, manual_template(
            [(name, assignments[name].written, [(s, sid) for s, sid, _ in answers])
             for name, answers in sorted(students.items())]))
        notes.append(f"manual grades template: {manual} (fill the points column, then grade "
                     "again, or merge it with merge-grades / lms fill, with --manual)")
        return notes
    rows = [r for result in results for r in result.rows]
    _, unused = apply_manual(rows, grades)
    notes += [f"{manual}, line {g.line}: no written answer of {g.student} ({g.assignment} "
              f"{g.question}) in this run" for g in unused]
    pending = sorted({f"{r.student} ({r.question})" for r in rows if r.status == "pending"})
    if pending:
        notes.append(f"{manual}: still to grade by hand: {', '.join(pending[:20])}"
                     + (" …" if len(pending) > 20 else ""))
    return notes


def _filled(manual: Path) -> bool:
    """Whether ``manual`` is the instructor's CSV to read (anything there, even a dangling
    link, is read, never overwritten by a template)."""
    return manual.exists() or manual.is_symlink()


def check_manual(manual: Path | None) -> None:
    """Refuse a bad ``--manual`` before any grading (``ManualError`` naming the file and the
    problem): an existing CSV must read as manual grades, a new one must have a folder."""
    if manual is None:
        return
    manual = Path(manual)
    if _filled(manual):
        read_manual(manual)
    elif not manual.parent.is_dir():
        raise ManualError(f"{manual}: its folder {manual.parent} does not exist (the manual "
                          "grades template is written there)")


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
