"""Check a solution notebook before generating or grading from it."""

from __future__ import annotations

from tlkit.grading.cells import (BEGIN, END, ID_PATTERN, META, MarkerError, clear_source, source,
                                 tlkit_meta)


class SolutionError(ValueError):
    """A solution notebook breaks the exercise format; the message names notebook and cells."""


def _where(index: int, cell) -> str:
    return f"cell {index} (id {cell.get('id', '?')})"


def problems(nb) -> list[str]:
    """Every format problem of a solution notebook, one line each (empty when fine)."""
    found: list[str] = []
    questions: dict[str, int] = {}
    for index, cell in enumerate(nb.cells):
        where = _where(index, cell)
        meta = tlkit_meta(cell)
        src = source(cell)
        if (BEGIN in src or END in src) and cell.cell_type in ("code", "markdown"):
            try:
                clear_source(src)
            except MarkerError as exc:
                found.append(f"{where}: unbalanced solution markers: {exc}")
        if not meta.get("grade"):
            continue
        if meta.get("grade") is not True:
            found.append(f"{where}: {META}.grade must be true or absent")
            continue
        if cell.cell_type != "code":
            found.append(f"{where}: a graded test must be a code cell")
        if BEGIN in src or END in src:
            found.append(f"{where}: a graded test cell holds solution markers")
        qid = meta.get("id")
        if not (isinstance(qid, str) and ID_PATTERN.match(qid)):
            found.append(f"{where}: test cell needs {META}.id (letters, digits, '-', '_')")
        elif qid in questions:
            found.append(f"{where}: duplicate question id {qid!r} (also cell {questions[qid]})")
        else:
            questions[qid] = index
        points = meta.get("points")
        if isinstance(points, bool) or not isinstance(points, (int, float)) or points < 0:
            found.append(f"{where}: test cell {qid!r} needs {META}.points (a number >= 0)")
        if not isinstance(meta.get("hidden", False), bool):
            found.append(f"{where}: {META}.hidden must be true or false")
    if not questions:
        found.append("no graded test cell (metadata tlkit.grade = true)")
    return found


def validate_solution(nb, name: str) -> None:
    """Raise :class:`SolutionError` listing every problem of the solution notebook ``name``."""
    found = problems(nb)
    if found:
        raise SolutionError(f"{name}:\n  " + "\n  ".join(found))
