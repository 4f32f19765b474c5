"""Per-student feedback in Spanish Markdown (wording from ``messages``), one file per student."""

from __future__ import annotations

from tlkit.grading import messages
from tlkit.grading.reports.gradebook import number
from tlkit.grading.reports.outputs import OutputFolder
from tlkit.grading.safe_text import file_stem, markdown_cell


def feedback_name(student: str) -> str:
    """The feedback file of ``student``: unique per distinct name, safe on any filesystem."""
    return f"{file_stem(student)}.md"


def render_feedback(student: str, results: list) -> str:
    """Markdown feedback for one student's graded submissions (``SubmissionResult`` list)."""
    lines = ["# " + messages.FEEDBACK_TITLE.format(student=markdown_cell(student)), ""]
    for result in results:
        got = sum(r.points for r in result.rows)
        top = sum(r.max_points for r in result.rows)
        lines += ["## " + messages.FEEDBACK_SECTION.format(
                      assignment=markdown_cell(result.assignment), got=number(got),
                      top=number(top)), "",
                  messages.FEEDBACK_FILE.format(name=markdown_cell(result.submission.path.name)),
                  "", messages.FEEDBACK_HEADER, "| --- | --- | --- | --- |"]
        for row in result.rows:
            lines.append(f"| {markdown_cell(row.question)} | {number(row.points)} / "
                         f"{number(row.max_points)} | {messages.LABELS.get(row.status, row.status)}"
                         f" | {markdown_cell(row.reason)} |")
        if result.notes:
            lines += ["", messages.FEEDBACK_NOTES, ""]
            lines += [f"- {markdown_cell(note)}" for note in result.notes]
        lines.append("")
    lines += [messages.FEEDBACK_FOOTER, ""]
    return "\n".join(lines)


def write_feedback(results: list, folder: OutputFolder) -> tuple[list, list[str]]:
    """One file per student in ``folder``; returns the files written and the failures.

    A student whose file cannot be written is reported, and the others are still written.
    """
    by_student: dict[str, list] = {}
    for result in results:
        by_student.setdefault(result.submission.student, []).append(result)
    written, failed = [], []
    for student, items in sorted(by_student.items()):
        try:
            written.append(folder.write(feedback_name(student), render_feedback(student, items)))
        except OSError as exc:
            failed.append(f"{student!r}: {exc}")
    return written, failed
