"""The gradebook: one row per submission and question, written atomically as CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import astuple, fields, replace
from pathlib import Path

from tlkit.files import atomic_write
from tlkit.grading.safe_text import csv_cell
from tlkit.grading.scoring.row import Row

COLUMNS = [f.name for f in fields(Row)]


def number(value: float) -> str:
    """``2.0`` → ``"2"``, ``1.5`` → ``"1.5"``."""
    return f"{value:g}"


def rows_with_submission(results: list) -> list[Row]:
    """Every row of ``SubmissionResult`` s, carrying its submission's platform id and marks."""
    return [replace(row, student_id=r.submission.student_id, lms=r.submission.lms,
                    attempt=r.submission.attempt, late="yes" if r.submission.late else "")
            for r in results for row in r.rows]


def gradebook_text(rows: list[Row]) -> str:
    """The CSV text of ``rows`` (header first)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        values = [csv_cell(v) if isinstance(v, str) else v for v in astuple(row)]
        values[3], values[4] = number(row.points), number(row.max_points)
        writer.writerow(values)
    return buffer.getvalue()


def write_gradebook(rows: list[Row], path: Path) -> None:
    """Write the gradebook through a temporary file and ``os.replace`` (never half-written)."""
    atomic_write(Path(path), gradebook_text(rows))


def read_gradebook(path: Path) -> list[dict]:
    """The rows of a gradebook CSV as dicts (points as floats); a ``ValueError`` naming the file
    and the line for anything that is not one."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a gradebook (not UTF-8 text)") from None
    missing = [c for c in ("points", "max_points") if rows and c not in rows[0]]
    if missing:
        raise ValueError(f"{path}: not a gradebook written by tlkit grade "
                         f"(no column {', '.join(missing)})")
    for line, row in enumerate(rows, start=2):
        try:
            row["points"], row["max_points"] = float(row["points"]), float(row["max_points"])
        except (TypeError, ValueError):
            raise ValueError(f"{path}, line {line}: points {row['points']!r} / max_points "
                             f"{row['max_points']!r} are not numbers") from None
    return rows
