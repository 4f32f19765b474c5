"""The written answers' page (every student's answer to each question, side by side) and the
manual CSV template the instructor fills; written by ``tlkit grade --manual``."""

from __future__ import annotations

import csv
import html
import io

from tlkit.grading.messages import WRITTEN_MODEL, WRITTEN_NO_ANSWER, WRITTEN_RUBRIC, WRITTEN_TITLE
from tlkit.grading.safe_text import csv_cell
from tlkit.grading.written import WrittenQuestion

TEMPLATE_COLUMNS = ("student", "student_id", "assignment", "question", "max_points", "points",
                    "comment")

STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
h2{border-bottom:2px solid #ccc;padding-bottom:.2em;margin-top:2em}
.info{background:#f5f5f5;padding:.6em 1em;border-radius:6px;white-space:pre-wrap}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(22em,1fr));gap:1em;margin-top:1em}
.card{border:1px solid #ccc;border-radius:6px;padding:.6em 1em}
.card h3{margin:.1em 0 .5em;font-size:1em}
.card .answer{white-space:pre-wrap;font-family:ui-monospace,monospace;font-size:.92em}
.card.empty .answer{color:#999;font-style:italic}
""".strip()


def answers_page(assignment: str, questions: list[WrittenQuestion],
                 answers: list[tuple[str, str, dict[str, str]]]) -> str:
    """One HTML page: per question its rubric and model, then every student's answer.

    ``answers``: ``(student, student_id, {question id: text})`` per student. Everything a
    student wrote is escaped (shown as text, never run as HTML).
    """
    e = html.escape
    parts = ["<!DOCTYPE html>", '<html lang="es"><head><meta charset="utf-8">',
             f"<title>{e(WRITTEN_TITLE.format(assignment=assignment))}</title>",
             f"<style>{STYLE}</style></head><body>",
             f"<h1>{e(WRITTEN_TITLE.format(assignment=assignment))}</h1>"]
    for q in questions:
        parts.append(f'<h2 id="{e(q.id)}">{e(q.id)} — {q.points:g} puntos</h2>')
        parts.append(f'<div class="info">{e(q.statement.strip())}</div>')
        if q.rubric:
            parts.append(f'<p><strong>{WRITTEN_RUBRIC}:</strong></p>'
                         f'<div class="info">{e(q.rubric)}</div>')
        if q.model:
            parts.append(f'<p><strong>{WRITTEN_MODEL}:</strong></p>'
                         f'<div class="info">{e(q.model)}</div>')
        parts.append('<div class="grid">')
        for student, student_id, texts in answers:
            text = texts.get(q.id, "")
            label = student + (f" ({student_id})" if student_id else "")
            parts.append(f'<div class="card{"" if text else " empty"}"><h3>{e(label)}</h3>'
                         f'<div class="answer">{e(text or WRITTEN_NO_ANSWER)}</div></div>')
        parts.append("</div>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def manual_template(exercises: list[tuple[str, list[WrittenQuestion], list[tuple[str, str]]]]
                    ) -> str:
    """The CSV the instructor fills: one row per student and written question, points empty.

    ``exercises``: ``(assignment, its written questions, [(student, student_id), …])``.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(TEMPLATE_COLUMNS)
    for assignment, questions, students in exercises:
        for student, student_id in students:
            for q in questions:
                writer.writerow([csv_cell(student), student_id, assignment, q.id,
                                 f"{q.points:g}", "", ""])
    return buffer.getvalue()
