"""The wide gradebook: one line per student, a column per question, the total and the grade.

The long gradebook (one row per submission and question) is what merging and ``lms fill``
read; instructors and spreadsheets want this shape (as nbgrader's ``export`` and otter's
``final_grades.csv``). A student is keyed by the platform's id when there is one (Moodle
participant, Canvas user), never by the display name alone: two "Ana García" stay two.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from tlkit.files import atomic_write
from tlkit.grading.safe_text import csv_cell

# A student's status is the most serious of their rows'; passed/failed/unsolved are "graded",
# and so is ``manual`` (a written answer graded by hand); ``pending`` (a written answer still to
# grade by hand) needs the instructor; ``late`` (the penalty row) marks a late submission.
SERIOUSNESS = ("error", "invalid", "wrong-assignment", "timeout", "crashed", "pending", "late")
GRADED = "graded"
FIXED_COLUMNS = ("student", "student_id", "lms", "assignment", "status")
TAIL_COLUMNS = ("total", "max_total", "grade", "scale", "late", "flags", "feedback")


def _num(value: float) -> str:
    return f"{round(value, 2):g}"


def student_key(row) -> tuple[str, str]:
    """``(lms, id)`` when the platform gave an id, else ``("", display name)``."""
    return (row.lms, row.student_id) if row.student_id else ("", row.student)


@dataclass
class StudentLine:
    """One student's line: points per question column, totals, status and what to look at."""

    key: tuple[str, str]
    student: str
    student_id: str
    lms: str
    assignments: list[str] = field(default_factory=list)
    points: dict[str, float] = field(default_factory=dict)
    maxima: dict[str, float] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)  # column -> row status
    reasons: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    late: bool = False
    feedback: str = ""  # the feedback file, relative to the gradebook's folder

    @property
    def total(self) -> float:
        return sum(self.points.values())

    @property
    def max_total(self) -> float:
        return sum(self.maxima.values())

    @property
    def status(self) -> str:
        for status in SERIOUSNESS:
            if status in self.statuses.values():
                return status
        return GRADED

    def grade(self, scale: float) -> float:
        """The total on the platform's scale (e.g. 0–10), rounded to hundredths."""
        return round(self.total / self.max_total * scale, 2) if self.max_total else 0.0

    @property
    def flagged(self) -> bool:
        """Worth an instructor's look: not graded cleanly, flagged, or late."""
        return self.status != GRADED or bool(self.flags) or self.late


def _column(row, several: bool) -> str:
    """A question's column (``assignment/`` first when several; `` · part`` for partial credit)."""
    name = f"{row.assignment}/{row.question}" if several else row.question
    return f"{name} · {row.part}" if getattr(row, "part", "") else name


def student_lines(rows: list, feedback: dict[tuple[str, str], str] | None = None
                  ) -> tuple[list[str], list[StudentLine]]:
    """The question columns (in the order rows give them) and one line per student.

    Rows with question ``*`` (a submission that could not be read) add no column: their
    student gets the row's status and reason, and zero points.
    """
    several = len({r.assignment for r in rows if r.assignment != "?"}) > 1
    columns: list[str] = []
    lines: dict[tuple[str, str], StudentLine] = {}
    for row in rows:
        key = student_key(row)
        line = lines.setdefault(key, StudentLine(key, row.student, row.student_id, row.lms))
        if row.assignment != "?" and row.assignment not in line.assignments:
            line.assignments.append(row.assignment)
        if row.reason and row.status not in ("passed",) and row.reason not in line.reasons:
            line.reasons.append(row.reason)
        line.flags += [f for f in str(row.flags).split() if f not in line.flags]
        line.late = line.late or row.status == "late" or \
            str(getattr(row, "late", "")) in ("yes", "True", "true")
        name = "*" if row.question == "*" else _column(row, several)
        if name != "*" and name not in columns:
            columns.append(name)
        line.statuses[name] = row.status
        if name != "*":
            line.points[name] = line.points.get(name, 0.0) + float(row.points)
            line.maxima[name] = line.maxima.get(name, 0.0) + float(row.max_points)
    for key, line in lines.items():
        line.feedback = (feedback or {}).get(key, "")
    ordered = sorted(lines.values(), key=lambda l: (l.student.casefold(), l.key))
    return columns, ordered


def wide_text(columns: list[str], lines: list[StudentLine], scale: float) -> str:
    """The CSV text of the wide gradebook (header first; student text made formula-safe)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*FIXED_COLUMNS, *columns, *TAIL_COLUMNS])
    for line in lines:
        cells = [line.student, line.student_id, line.lms, " ".join(line.assignments),
                 line.status]
        cells += [_num(line.points[c]) if c in line.points else "" for c in columns]
        cells += [_num(line.total), _num(line.max_total), _num(line.grade(scale)), _num(scale),
                  "yes" if line.late else "", " ".join(line.flags), line.feedback]
        writer.writerow([csv_cell(c) for c in cells])
    return buffer.getvalue()


def wide_path(gradebook: Path) -> Path:
    """Where the wide gradebook of ``gradebook.csv`` goes: ``gradebook.wide.csv``."""
    gradebook = Path(gradebook)
    return gradebook.with_name(f"{gradebook.stem}.wide.csv")


def write_wide(rows: list, path: Path, scale: float,
               feedback: dict[tuple[str, str], str] | None = None) -> list[StudentLine]:
    """Write the wide gradebook of ``rows`` atomically; returns its lines."""
    columns, lines = student_lines(rows, feedback)
    atomic_write(Path(path), wide_text(columns, lines, scale))
    return lines
