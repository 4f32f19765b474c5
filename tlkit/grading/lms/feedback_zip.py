"""Per-student feedback files in a zip Moodle's "Upload multiple feedback files in a zip" takes.

Moodle's importer (assignfeedback_file ``importziplib.php``) splits each path part on ``_`` and
reads ``<name>_<participant id>_<plugin type>_<plugin name>_<file>``: the folder names of the
"Download all submissions" zip work as they are, so each student's feedback goes to
``<full name>_<participant id>_assignsubmission_file_/correccion_<assignment>.html``.

The file is the very page ``tlkit grade --feedback`` wrote (found through the gradebook's
manifest), so the zip keeps every notice the grader gave (which of two files was graded, why a
file could not be graded); only without that folder is a page rebuilt from the gradebook rows.
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


def feedback_from_rows(grade: StudentGrade) -> str:
    """The feedback page rebuilt from the gradebook rows (no notes beyond the flags)."""
    from tlkit.grading.reports.feedback import build_page, to_html

    flags = {f for row in grade.rows for f in str(row.get("flags", "")).split()}
    notes = [FLAG_TEXT[f].capitalize() + "." for f in FLAG_TEXT if f in flags]
    if grade.late:
        notes.append(COMMENT["late_feedback"])
    result = SimpleNamespace(rows=[_row(r) for r in grade.rows], assignment=grade.assignment,
                             submission=SimpleNamespace(path=Path(f"{grade.assignment}.ipynb")),
                             notes=notes)
    return to_html(build_page(grade.student, grade.student_id, [result], {}))


def feedback_folder(gradebook: Path) -> Path | None:
    """The feedback folder ``tlkit grade`` wrote with ``gradebook`` (from its manifest)."""
    import json

    from tlkit.grading.reports.shards import manifest_name

    manifest = Path(gradebook).with_name(manifest_name(Path(gradebook).name))
    try:
        folder = json.loads(manifest.read_text(encoding="utf-8")).get("feedback")
    except (OSError, ValueError, AttributeError):
        return None
    path = Path(gradebook).parent / folder if folder else None
    return path if path is not None and path.is_dir() else None


def feedback_page(grade: StudentGrade, folder: Path | None) -> tuple[str, bool]:
    """The student's page: the file the grader wrote, else one rebuilt; and which it was."""
    from tlkit.grading.reports.feedback import feedback_stem

    if folder is not None:
        page = folder / f"{feedback_stem(grade.student, grade.student_id)}.html"
        if page.is_file():
            return page.read_text(encoding="utf-8"), True
    return feedback_from_rows(grade), False


def feedback_path(grade: StudentGrade) -> str:
    """The file's path inside the zip (folder named as in Moodle's download)."""
    return f"{entry_folder(grade.student, grade.student_id)}/correccion_{grade.assignment}.html"


def write_moodle_feedback_zip(grades: list[StudentGrade], out: Path,
                              folder: Path | None = None) -> tuple[list[str], list[str]]:
    """Write the zip from the pages in ``folder``; returns the students left out (no
    participant id) and those whose page had to be rebuilt from the gradebook."""
    from tlkit.files import atomic_path

    skipped = [g.student for g in grades if not g.student_id.isdigit()]
    rebuilt = []
    with atomic_path(out) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for grade in grades:
            if grade.student_id.isdigit():
                text, found = feedback_page(grade, folder)
                if not found:
                    rebuilt.append(f"{grade.student} ({grade.student_id})")
                info = zipfile.ZipInfo(feedback_path(grade), date_time=(2020, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, text)
    return skipped, rebuilt
