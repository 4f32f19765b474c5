"""Written answers graded by hand: the questions in a solution and each student's text.

A solution marks a cell (markdown, or code) as a written answer with metadata
``{"tlkit": {"written": true, "id": "ej4", "points": 3, "rubric": "…"}}`` (or the comment
``# tlkit: respuesta escrita ej4 puntos=3 rubrica="…"``); its model answer sits between the
solution markers, which the student version replaces by the placeholder. The grader never
scores these: ``tlkit grade --manual`` writes one HTML page per exercise with every student's
answer to each question side by side, and a CSV template the instructor fills (see
``reports.written_page`` and ``reports.manual_grades``).
"""

from __future__ import annotations

from dataclasses import dataclass

from tlkit.grading.cells import (BEGIN, END, MARKDOWN_PLACEHOLDER, PLACEHOLDER, RAISE,
                                 clear_source, source, tlkit_meta)
from tlkit.grading.safe_text import clean


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
