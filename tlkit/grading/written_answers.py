"""Written answers graded by hand: the questions, each student's text, one page to read them.

A solution marks a cell (markdown, or code) as a written answer with metadata
``{"tlkit": {"written": true, "id": "ej4", "points": 3, "rubric": "…"}}`` (or the comment
``# tlkit: respuesta escrita ej4 puntos=3 rubrica="…"``); its model answer sits between the
solution markers, which the student version replaces by the placeholder. The grader never
scores these: ``tlkit grade --manual`` writes one HTML page per exercise with every student's
answer to each question side by side, and a CSV template the instructor fills (see
``manual_grades``).
"""

from __future__ import annotations

import csv
import html
import io
from dataclasses import dataclass

from tlkit.grading.cells import BEGIN, END, MARKDOWN_PLACEHOLDER, PLACEHOLDER, RAISE, source, \
    tlkit_meta
from tlkit.grading.clear_solutions import clear_source
from tlkit.grading.safe_text import clean, csv_cell

TEMPLATE_COLUMNS = ("student", "student_id", "assignment", "question", "max_points", "points",
                    "comment")
NO_ANSWER = "(sin respuesta)"
PAGE_TITLE = "Respuestas escritas — {assignment}"
RUBRIC = "Rúbrica"
MODEL = "Respuesta de referencia"


@dataclass(frozen=True)
class WrittenQuestion:
    """One written question of a solution: id, points, rubric, its statement and model."""

    id: str
    points: float
    rubric: str = ""
    statement: str = ""  # the cell's text the student sees (solution block cleared)
    model: str = ""  # the solution block's text


def is_written(cell) -> bool:
    """True for a cell marked as a written answer (``metadata.tlkit.written``)."""
    return tlkit_meta(cell).get("written") is True


def _model(src: str) -> str:
    out, inside = [], False
    for line in src.splitlines():
        if line.strip().startswith(BEGIN):
            inside = True
        elif line.strip().startswith(END):
            inside = False
        elif inside:
            out.append(line)
    return "\n".join(out).strip()


def written_questions(nb) -> list[WrittenQuestion]:
    """The written questions of a solution notebook (metadata already read from comments)."""
    out = []
    for cell in nb.cells:
        if not is_written(cell):
            continue
        meta = tlkit_meta(cell)
        src = source(cell)
        statement = clear_source(src, markdown=cell.cell_type == "markdown")
        out.append(WrittenQuestion(str(meta["id"]), float(meta.get("points", 0)),
                                   str(meta.get("rubric", "")), statement, _model(src)))
    return out


def student_answer(cells: list[dict], question: WrittenQuestion) -> str:
    """What the student wrote in the question's cell: its text without the statement's lines
    and the placeholder; empty when the cell is missing or untouched."""
    mine = [c for c in cells if is_written(c) and tlkit_meta(c).get("id") == question.id]
    if not mine:
        return ""
    given = {line.strip() for line in question.statement.splitlines() if line.strip()}
    given |= {MARKDOWN_PLACEHOLDER, PLACEHOLDER, RAISE}
    lines = [line for line in source(mine[0]).splitlines() if line.strip() not in given]
    return clean("\n".join(lines)).strip()


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
             f"<title>{e(PAGE_TITLE.format(assignment=assignment))}</title>",
             f"<style>{STYLE}</style></head><body>",
             f"<h1>{e(PAGE_TITLE.format(assignment=assignment))}</h1>"]
    for q in questions:
        parts.append(f'<h2 id="{e(q.id)}">{e(q.id)} — {q.points:g} puntos</h2>')
        parts.append(f'<div class="info">{e(q.statement.strip())}</div>')
        if q.rubric:
            parts.append(f'<p><strong>{RUBRIC}:</strong></p><div class="info">{e(q.rubric)}</div>')
        if q.model:
            parts.append(f'<p><strong>{MODEL}:</strong></p><div class="info">{e(q.model)}</div>')
        parts.append('<div class="grid">')
        for student, student_id, texts in answers:
            text = texts.get(q.id, "")
            label = student + (f" ({student_id})" if student_id else "")
            parts.append(f'<div class="card{"" if text else " empty"}"><h3>{e(label)}</h3>'
                         f'<div class="answer">{e(text or NO_ANSWER)}</div></div>')
        parts.append("</div>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def manual_template(assignment: str, questions: list[WrittenQuestion],
                    students: list[tuple[str, str]]) -> str:
    """The CSV the instructor fills: one row per student and written question, points empty."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(TEMPLATE_COLUMNS)
    for student, student_id in students:
        for q in questions:
            writer.writerow([csv_cell(student), student_id, assignment, q.id, f"{q.points:g}",
                             "", ""])
    return buffer.getvalue()
