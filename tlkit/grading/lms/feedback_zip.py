"""Per-student feedback files in a zip Moodle's "Upload multiple feedback files in a zip" takes.

Moodle's importer (assignfeedback_file ``importziplib.php``) splits each path part on ``_`` and
reads ``<name>_<participant id>_<plugin type>_<plugin name>_<file>``: the folder names of the
"Download all submissions" zip work as they are, so each student's feedback goes to
``<full name>_<participant id>_assignsubmission_file_/correccion_<assignment>.md``.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from types import SimpleNamespace

from tlkit.grading.intake.moodle import entry_folder
from tlkit.grading.lms.worksheet import FLAG_TEXT, StudentGrade
from tlkit.grading.messages import COMMENT
from tlkit.grading.reports.gradebook import COLUMNS
from tlkit.grading.scoring.row import Row


def _row(data: dict) -> Row:
    values = {k: data.get(k, "") for k in COLUMNS}
    values["points"], values["max_points"] = float(data["points"]), float(data["max_points"])
    values["attempt"] = int(values["attempt"] or 1)
    return Row(**values)


def feedback_markdown(grade: StudentGrade) -> str:
    """The grader's Spanish feedback for one student, rebuilt from the gradebook rows."""
    from tlkit.grading.reports.feedback import render_feedback

    flags = {f for row in grade.rows for f in str(row.get("flags", "")).split()}
    notes = [FLAG_TEXT[f].capitalize() + "." for f in FLAG_TEXT if f in flags]
    if grade.late:
        notes.append(COMMENT["late_feedback"])
    result = SimpleNamespace(rows=[_row(r) for r in grade.rows], assignment=grade.assignment,
                             submission=SimpleNamespace(path=Path(f"{grade.assignment}.ipynb")),
                             notes=notes)
    return render_feedback(grade.student, [result])


def feedback_path(grade: StudentGrade) -> str:
    """The file's path inside the zip (folder named as in Moodle's download)."""
    return f"{entry_folder(grade.student, grade.student_id)}/correccion_{grade.assignment}.md"


def write_moodle_feedback_zip(grades: list[StudentGrade], out: Path) -> list[str]:
    """Write the zip; returns the students left out because they have no participant id."""
    from tlkit.files import atomic_path

    skipped = [g.student for g in grades if not g.student_id.isdigit()]
    with atomic_path(out) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for grade in grades:
            if grade.student_id.isdigit():
                info = zipfile.ZipInfo(feedback_path(grade), date_time=(2020, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, feedback_markdown(grade))
    return skipped
