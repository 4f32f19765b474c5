"""Fill the platform's grade file with the grader's totals, ready to upload.

- **Moodle** grading worksheet ("Descargar hoja de calificaciones" / "Download grading
  worksheet"): rows keyed by ``Identifier`` = ``Participant <id>`` (Spanish UI:
  ``Identificador`` / ``Participante <id>``); ``Grade`` (``Calificación``) and ``Feedback
  comments`` (``Comentarios de retroalimentación``) are filled, scaled to ``Maximum Grade``.
  Moodle's importer finds its columns by these header names, so nothing else changes.
- **Canvas** gradebook export ("Export" → "Export Entire Gradebook"): rows keyed by ``ID``
  (the user id in the submission file names); the assignment's ``Name (id)`` column is filled,
  scaled to its "Points Possible" row. Canvas imports no comments from this file.

Only the fields written change; every other byte of the file is kept (see ``csv_text``).
Students without a graded submission keep their row untouched; graded students missing from
the file are returned so the caller reports them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from tlkit.grading.lms.csv_text import CsvText, read_csv_text
from tlkit.grading.messages import AUTOMATIC, COMMENT, STATUS_COMMENT, flag_comments

MOODLE = {"id": ("identifier", "identificador"), "grade": ("grade", "calificación"),
          "max": ("maximum grade", "calificación máxima"),
          "feedback": ("feedback comments", "comentarios de retroalimentación"),
          "name": ("full name", "nombre completo"),
          "locked": ("grade can be changed", "la calificación puede ser cambiada")}
CANVAS_POINTS = "points possible"
FLAG_TEXT = flag_comments()


class WorksheetError(ValueError):
    """The grade file is not one we recognise; the message names the file and the problem."""


@dataclass
class StudentGrade:
    """One student's graded submission of one assignment, from the gradebook."""

    student: str
    student_id: str
    assignment: str
    points: float
    max_points: float
    attempt: int
    late: bool
    rows: list[dict]

    def comment(self) -> str:
        """A short Spanish feedback comment."""
        text = COMMENT["score"].format(assignment=self.assignment, points=_num(self.points),
                                       top=_num(self.max_points))
        by_status: dict[str, list[str]] = {}
        for row in self.rows:
            if row["status"] != "passed":
                by_status.setdefault(row["status"], []).append(row["question"])
        for status, questions in by_status.items():
            text += COMMENT["status"].format(status=STATUS_COMMENT.get(status, status).capitalize(),
                                             questions=", ".join(questions))
        flags = {f for row in self.rows for f in str(row.get("flags", "")).split()}
        notes = [FLAG_TEXT[f] for f in FLAG_TEXT if f in flags]
        if notes:
            text += COMMENT["flags"].format(notes="; ".join(notes))
        if self.late:
            text += COMMENT["late"]
        return text + COMMENT["detail"]


@dataclass
class FillReport:
    """What filling changed and what the instructor must look at."""

    platform: str
    filled: list[tuple[str, str, str]] = field(default_factory=list)  # id, name, grade
    not_in_worksheet: list[StudentGrade] = field(default_factory=list)
    not_changed: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)  # grades that were already there
    untouched_rows: int = 0


def _num(value: float) -> str:
    return f"{round(value, 2):g}"


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()
    return re.sub(r"[^a-z0-9]+", "", text)


def student_grades(rows: list[dict], assignment: str | None = None) -> list[StudentGrade]:
    """Per student and assignment, the total of the latest attempt (gradebook dict rows)."""
    names = sorted({r["assignment"] for r in rows if r["assignment"] != "?"})
    if assignment is None and len(names) > 1:
        raise WorksheetError("the gradebook holds several assignments (" + ", ".join(names) +
                             "): choose one with --assignment")
    grouped: dict[tuple[str, str, str, int], list[dict]] = {}
    for row in rows:
        if assignment is not None and row["assignment"] != assignment:
            continue
        key = (row.get("student_id", ""), row["student"], row["assignment"],
               int(row.get("attempt") or 1))
        grouped.setdefault(key, []).append(row)
    best: dict[tuple[str, str], StudentGrade] = {}
    for (sid, student, name, attempt), items in grouped.items():
        grade = StudentGrade(student, sid, name, sum(float(r["points"]) for r in items),
                             sum(float(r["max_points"]) for r in items), attempt,
                             any(r.get("late") == "yes" for r in items), items)
        key = (sid or _norm(student), name)
        old = best.get(key)
        if old is None or (attempt, grade.points) > (old.attempt, old.points):
            best[key] = grade
    return sorted(best.values(), key=lambda g: (g.student, g.student_id))


def _find(header: list[str], names: tuple[str, ...]) -> int | None:
    wanted = {n.casefold() for n in names}
    for index, value in enumerate(header):
        if value.strip().casefold() in wanted:
            return index
    return None


def _number(text: str) -> tuple[float | None, bool]:
    """A grade as Moodle or Canvas wrote it (``10,00`` or ``10.00``), and whether a comma."""
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "")
    comma = "," in cleaned and "." not in cleaned
    try:
        return float(cleaned.replace(",", ".")), comma
    except ValueError:
        return None, comma


def _scaled(grade: StudentGrade, top_text: str) -> str:
    top, comma = _number(top_text)
    value = grade.points if not top or not grade.max_points else \
        grade.points / grade.max_points * top
    text = _num(value)
    return text.replace(".", ",") if comma else text


def merged_comment(existing: str, ours: str) -> str:
    """Our comment, after what someone wrote by hand (an earlier line of ours is replaced)."""
    kept = "\n".join(line for line in existing.splitlines() if AUTOMATIC not in line).rstrip()
    return f"{kept}\n{ours}" if kept.strip() not in ("", "-") else ours


def _note_replaced(report: FillReport, grade: StudentGrade, old: str, new: str) -> None:
    previous, _ = _number(old)
    if previous is not None and old.strip() not in ("-", "") and previous != _number(new)[0]:
        report.replaced.append(f"{grade.student} ({grade.student_id or 'no id'}): {old.strip()} "
                               f"→ {new}")


def fill_moodle(sheet: CsvText, grades: list[StudentGrade]) -> FillReport:
    """Fill a Moodle grading worksheet in place (``sheet.edits``)."""
    header = sheet.records[0].values
    col = {key: _find(header, names) for key, names in MOODLE.items()}
    if col["id"] is None or col["grade"] is None:
        raise WorksheetError(f"{sheet.path}: not a Moodle grading worksheet (no "
                             "Identifier/Identificador and Grade/Calificación columns)")
    report = FillReport("moodle")
    by_id, by_name = {}, {}
    for row in range(1, len(sheet.records)):
        match = re.search(r"(\d+)\s*$", sheet.value(row, col["id"]))
        if match:
            by_id[match[1]] = row
        if col["name"] is not None:
            by_name.setdefault(_norm(sheet.value(row, col["name"])), row)
    used = set()
    for grade in grades:
        row = by_id.get(grade.student_id) if grade.student_id else by_name.get(_norm(grade.student))
        if row is None:
            report.not_in_worksheet.append(grade)
            continue
        if col["locked"] is not None and _norm(sheet.value(row, col["locked"])) == "no":
            report.not_changed.append(f"{grade.student} ({grade.student_id}): the worksheet "
                                      "says the grade cannot be changed (locked or overridden)")
            continue
        value = _scaled(grade, sheet.value(row, col["max"]) if col["max"] is not None else "")
        _note_replaced(report, grade, sheet.value(row, col["grade"]), value)
        sheet.set(row, col["grade"], value)
        if col["feedback"] is not None:
            sheet.set(row, col["feedback"], merged_comment(sheet.value(row, col["feedback"]),
                                                           grade.comment()))
        used.add(row)
        report.filled.append((grade.student_id, grade.student, value))
    report.untouched_rows = sum(1 for r in range(1, len(sheet.records))
                                if r not in used and any(sheet.records[r].values))
    return report


def canvas_column(header: list[str], assignment: str, column: str | None) -> int:
    """The gradebook column of the assignment: ``column`` if given, else the one whose name
    matches the assignment's (``00_ejemplo`` ~ ``00 Ejemplo (1234)``)."""
    if column is not None:
        for index, value in enumerate(header):
            if value.strip() == column.strip():
                return index
        raise WorksheetError(f"no column {column!r} in the Canvas gradebook")
    wanted = _norm(assignment)
    hits = [i for i, value in enumerate(header)
            if re.search(r"\(\d+\)\s*$", value)
            and _norm(re.sub(r"\(\d+\)\s*$", "", value)) == wanted]
    if len(hits) != 1:
        choices = [v for v in header if re.search(r"\(\d+\)\s*$", v)]
        raise WorksheetError(f"cannot tell which Canvas column is {assignment!r}; choose one with "
                             f"--column (assignment columns: {', '.join(choices) or 'none'})")
    return hits[0]


def fill_canvas(sheet: CsvText, grades: list[StudentGrade], column: str | None) -> FillReport:
    """Fill a Canvas gradebook export in place (``sheet.edits``)."""
    header = sheet.records[0].values
    id_col, name_col = _find(header, ("id",)), _find(header, ("student",))
    if id_col is None or name_col is None:
        raise WorksheetError(f"{sheet.path}: not a Canvas gradebook export (no Student and ID "
                             "columns)")
    assignments = {g.assignment for g in grades}
    target = canvas_column(header, next(iter(assignments), ""), column)
    top = ""
    report = FillReport("canvas")
    by_id, by_name, used = {}, {}, set()
    for row in range(1, len(sheet.records)):
        first = sheet.value(row, name_col).strip().casefold()
        if first == CANVAS_POINTS:
            top = sheet.value(row, target)
            continue
        by_id[sheet.value(row, id_col).strip()] = row
        last, _, given = sheet.value(row, name_col).partition(",")
        by_name.setdefault(_norm(given + last), row)
        by_name.setdefault(_norm(last + given), row)
    for grade in grades:
        row = by_id.get(grade.student_id) if grade.student_id else by_name.get(_norm(grade.student))
        if row is None:
            report.not_in_worksheet.append(grade)
            continue
        value = _scaled(grade, top)
        _note_replaced(report, grade, sheet.value(row, target), value)
        sheet.set(row, target, value)
        used.add(row)
        report.filled.append((grade.student_id, grade.student, value))
    report.untouched_rows = sum(1 for r in by_id.values() if r not in used)
    return report


def detect_platform(sheet: CsvText) -> str:
    """``moodle`` or ``canvas`` from the header row."""
    header = sheet.records[0].values if sheet.records else []
    if _find(header, MOODLE["id"]) is not None:
        return "moodle"
    if _find(header, ("student",)) is not None and _find(header, ("id",)) is not None:
        return "canvas"
    raise WorksheetError(f"{sheet.path}: neither a Moodle grading worksheet (Identifier/"
                         "Identificador column) nor a Canvas gradebook export (Student, ID)")


def fill_worksheet(worksheet: Path, rows: list[dict], out: Path, *,
                   assignment: str | None = None, column: str | None = None) -> FillReport:
    """Write ``out``: a copy of ``worksheet`` with the grades (and comments) of ``rows``."""
    from tlkit.files import atomic_write

    worksheet, out = Path(worksheet), Path(out)
    if out.resolve() == worksheet.resolve():
        raise WorksheetError(f"{out}: write the filled copy to a new file, not over the original")
    sheet = read_csv_text(worksheet)
    if not sheet.records:
        raise WorksheetError(f"{worksheet}: empty file")
    grades = student_grades(rows, assignment)
    platform = detect_platform(sheet)
    report = fill_moodle(sheet, grades) if platform == "moodle" else \
        fill_canvas(sheet, grades, column)
    atomic_write(out, sheet.render())
    return report
