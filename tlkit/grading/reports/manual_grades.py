"""The instructor's manual CSV (written answers graded by hand), read and merged into rows.

Columns: ``student, student_id, assignment, question, max_points, points, comment`` (the
template ``written_answers.manual_template`` writes; extra columns are ignored; ``;`` and a
decimal comma, as a Spanish spreadsheet saves it, are read too). A row with ``points`` empty is
still to grade. Merging turns the written question's ``pending`` row into a ``manual`` one with
those points and the comment; the CSV is the instructor's file, never rewritten, so grading
again and merging it again gives the same result.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from pathlib import Path

from tlkit.grading.safe_text import csv_cell, one_line

REQUIRED = ("student", "assignment", "question", "points")
PENDING, MANUAL = "pending", "manual"


class ManualError(ValueError):
    """The manual CSV cannot be used; the message names the file, the line and the problem."""


@dataclass(frozen=True)
class ManualGrade:
    """One filled row of the manual CSV."""

    student: str
    student_id: str
    assignment: str
    question: str
    points: float
    comment: str
    line: int
    path: str = ""  # the manual CSV it came from (named in errors)


def _number(text: str) -> float:
    return float(text.strip().replace(",", "."))


def read_manual(path: Path) -> list[ManualGrade]:
    """The filled rows of the manual CSV ``path`` (rows with empty points are skipped)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManualError(f"{path}: cannot read the manual grades ({exc})") from None
    first = text.splitlines()[0] if text else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().casefold() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ManualError(f"{path}: missing column(s) {', '.join(missing)} (expected "
                          "student, student_id, assignment, question, max_points, points, "
                          "comment)")
    grades, seen = [], {}
    for line, raw in enumerate(reader, start=2):
        row = {str(k).strip().casefold(): (v or "") for k, v in raw.items() if k is not None}
        if not row.get("points", "").strip():
            continue
        where = f"{path}, line {line}"
        try:
            points = _number(row["points"])
        except ValueError:
            raise ManualError(f"{where}: points {row['points']!r} is not a number") from None
        top = row.get("max_points", "").strip()
        if points < 0 or (top and points > _number(top)):
            raise ManualError(f"{where}: points {points:g} must be between 0 and "
                              f"{top or 'the question maximum'}")
        grade = ManualGrade(row["student"].strip(), row.get("student_id", "").strip(),
                            row["assignment"].strip(), row["question"].strip(), points,
                            one_line(row.get("comment", "")), line, str(path))
        key = (grade.student_id or grade.student, grade.assignment, grade.question)
        if key in seen:
            raise ManualError(f"{where}: {grade.student} / {grade.question} is graded twice "
                              f"(also line {seen[key]})")
        seen[key] = line
        grades.append(grade)
    return grades


def _matches(grade: ManualGrade, student: str, student_id: str, assignment: str,
             question: str) -> bool:
    if (grade.assignment, grade.question) != (assignment, question):
        return False
    if grade.student_id and student_id:
        return grade.student_id == student_id
    return grade.student in (student, csv_cell(student))


class _Matcher:
    """Finds the grade of a written row, remembering which grades were used."""

    def __init__(self, grades: list[ManualGrade]):
        self.grades, self.used = grades, set()

    def find(self, student: str, student_id: str, assignment: str, question: str,
             top: float) -> ManualGrade | None:
        for index, grade in enumerate(self.grades):
            if _matches(grade, student, student_id, assignment, question):
                if grade.points > float(top):
                    where = f"{grade.path}, line {grade.line}" if grade.path else \
                        f"line {grade.line}"
                    raise ManualError(f"{where}: {grade.points:g} points for {question}, "
                                      f"worth {float(top):g}")
                self.used.add(index)
                return grade
        return None

    def unused(self) -> list[ManualGrade]:
        return [g for i, g in enumerate(self.grades) if i not in self.used]


def apply_manual(rows: list, grades: list[ManualGrade]) -> tuple[list, list[ManualGrade]]:
    """``rows`` (gradebook ``Row`` s) with each matching pending written row graded; and the
    grades that matched no written row (reported to the instructor, never dropped silently)."""
    match = _Matcher(grades)
    out = []
    for row in rows:
        grade = match.find(row.student, row.student_id, row.assignment, row.question,
                           row.max_points) if row.status in (PENDING, MANUAL) else None
        out.append(replace(row, points=grade.points, status=MANUAL, reason=grade.comment)
                   if grade else row)
    return out, match.unused()


def with_manual(rows: list[dict], manual: Path) -> list[dict]:
    """Gradebook dict rows with the manual CSV merged and late penalties recomputed (what
    ``lms fill`` and ``merge-grades`` do with ``--manual``); grades matching no written row
    are an error here: the instructor must see them before grades go out."""
    from tlkit.grading.reports.late_penalty import refresh_penalties

    merged, unused = apply_manual_dicts(rows, read_manual(manual))
    if unused:
        raise ManualError(f"{manual}: no written answer in the gradebook for " + ", ".join(
            f"{g.student} {g.assignment} {g.question} (line {g.line})" for g in unused[:10]))
    return refresh_penalties(merged)


def apply_manual_dicts(rows: list[dict], grades: list[ManualGrade]) -> tuple[list[dict], list]:
    """:func:`apply_manual` for gradebook rows read as dicts (``read_gradebook``)."""
    match = _Matcher(grades)
    out = []
    for row in rows:
        grade = match.find(row["student"], row.get("student_id", ""), row["assignment"],
                           row["question"], row["max_points"]) \
            if row.get("status") in (PENDING, MANUAL) else None
        out.append({**row, "points": grade.points, "status": MANUAL, "reason": grade.comment}
                   if grade else dict(row))
    return out, match.unused()
