"""The grader's view of a solution notebook: code cells with their role, checksum and points.

The solution notebooks are the grader's source of truth: given cells, visible and hidden tests
and points are read from them, never from the student's file.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

from tlkit.grading.cells import (GIVEN, PLACEHOLDER, RAISE, SOLUTION, TEST, checksum,
                                 has_markers, is_submission_check, kind, source, tlkit_meta)
from tlkit.grading.comment_directives import apply_directives
from tlkit.grading.intake.validate import SolutionError, validate_solution
from tlkit.grading.notebook_io import read_notebook
from tlkit.grading.parts import Part, split_parts
from tlkit.grading.syntax import parse
from tlkit.grading.written import WrittenQuestion, written_questions


@dataclass(frozen=True)
class SolutionCell:
    """One code cell of a solution notebook."""

    id: str
    kind: str  # given, solution or test
    source: str
    checksum: str
    question: str | None = None
    points: float = 0.0
    hidden: bool = False
    title: str = ""  # tests: the heading above them in the solution ("Ejercicio 1 · …")
    hint: str = ""  # tests: the ``pista=`` given to ``check`` (shown when the test fails)
    parts: tuple[Part, ...] = ()  # partial credit: the test's check(..., puntos=N) blocks

    def graded(self) -> list[tuple[str, float]]:
        """``(part name, points)`` of each row this test gives; one ``("", points)`` if whole."""
        return [(p.name, p.points) for p in self.parts] or [("", self.points)]


HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.M)


def heading(markdown: str) -> str:
    """The last heading of a markdown cell ("" when it has none)."""
    found = HEADING.findall(markdown)
    return found[-1].strip() if found else ""


def hint_of(test_source: str) -> str:
    """The ``pista`` a test cell gives ``check(...)`` (a string literal), or ""."""
    try:
        tree = parse(test_source)
    except (SyntaxError, ValueError):
        return ""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "check":
            for keyword in node.keywords:
                if keyword.arg == "pista" and isinstance(keyword.value, ast.Constant) \
                        and isinstance(keyword.value.value, str):
                    return keyword.value.value
    return ""


@dataclass
class Assignment:
    """A solution notebook ready for grading."""

    name: str
    path: Path
    cells: list[SolutionCell]
    files: list[str] = field(default_factory=list)
    written: list[WrittenQuestion] = field(default_factory=list)  # graded by hand

    @property
    def tests(self) -> list[SolutionCell]:
        return [c for c in self.cells if c.kind == TEST]

    @property
    def max_points(self) -> float:
        return sum(c.points for c in self.tests)


def solution_notebooks(solutions_dir: Path) -> list[Path]:
    """The solution notebooks of a folder (top level, sorted, no checkpoints)."""
    return sorted(p for p in Path(solutions_dir).glob("*.ipynb") if p.is_file())


def refuse_exercise(nb, path: Path) -> None:
    """Refuse a generated student version given as a solution (``--solutions exercises``).

    Its answers are placeholders and its hidden tests are gone: grading against it would score
    every student against a blank key, out of the visible points only.
    """
    generated = any(is_submission_check(cell) for cell in nb.cells)
    blank = not any(has_markers(cell) for cell in nb.cells) and any(
        PLACEHOLDER in source(cell) and RAISE in source(cell) for cell in nb.cells)
    if generated or blank:
        raise SolutionError(
            f"{path}: this is a generated exercise (the student version: answers replaced by "
            f"'{PLACEHOLDER}', hidden tests removed), not a solution notebook; pass the folder "
            "of solution notebooks, e.g. --solutions solutions")


def load_assignment(path: Path) -> Assignment:
    """Read and validate one solution notebook (raises ``SolutionError`` when malformed)."""
    path = Path(path)
    nb, _ = apply_directives(read_notebook(path), path.name)
    refuse_exercise(nb, path)
    validate_solution(nb, path.name)
    cells = []
    title = ""
    for index, cell in enumerate(nb.cells):
        role = kind(cell)
        if cell.cell_type == "markdown":
            title = heading(source(cell)) or title
        if role not in (GIVEN, SOLUTION, TEST):
            continue
        meta = tlkit_meta(cell) if role == TEST else {}
        points = float(meta.get("points", 0))
        parts = tuple(split_parts(source(cell), points, f"{path.name}, cell {index}")) \
            if role == TEST else ()
        cells.append(SolutionCell(
            id=cell.id, kind=role, source=source(cell), checksum=checksum(source(cell)),
            question=meta.get("id"), points=points,
            hidden=bool(meta.get("hidden", False)), parts=parts,
            title=title if role == TEST else "",
            hint=hint_of(source(cell)) if role == TEST else ""))
    files = nb.metadata.get("tlkit", {}).get("files", [])
    return Assignment(name=path.stem, path=path, cells=cells, files=list(files),
                      written=written_questions(nb))


def load_assignments(solutions_dir: Path) -> dict[str, Assignment]:
    """Every solution notebook of a folder, by name (file stem)."""
    return {p.stem: load_assignment(p) for p in solution_notebooks(solutions_dir)}
