"""The grader's view of a solution notebook: code cells with their role, checksum and points.

The solution notebooks are the grader's source of truth: given cells, visible and hidden tests
and points are read from them, never from the student's file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tlkit.grading.cells import GIVEN, SOLUTION, TEST, checksum, kind, source, tlkit_meta
from tlkit.grading.intake.validate import validate_solution
from tlkit.grading.notebook_io import read_notebook


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


@dataclass
class Assignment:
    """A solution notebook ready for grading."""

    name: str
    path: Path
    cells: list[SolutionCell]
    files: list[str] = field(default_factory=list)

    @property
    def tests(self) -> list[SolutionCell]:
        return [c for c in self.cells if c.kind == TEST]

    @property
    def max_points(self) -> float:
        return sum(c.points for c in self.tests)


def solution_notebooks(solutions_dir: Path) -> list[Path]:
    """The solution notebooks of a folder (top level, sorted, no checkpoints)."""
    return sorted(p for p in Path(solutions_dir).glob("*.ipynb") if p.is_file())


def load_assignment(path: Path) -> Assignment:
    """Read and validate one solution notebook (raises ``SolutionError`` when malformed)."""
    path = Path(path)
    nb = read_notebook(path)
    validate_solution(nb, path.name)
    cells = []
    for cell in nb.cells:
        role = kind(cell)
        if role not in (GIVEN, SOLUTION, TEST):
            continue
        meta = tlkit_meta(cell) if role == TEST else {}
        cells.append(SolutionCell(
            id=cell.id, kind=role, source=source(cell), checksum=checksum(source(cell)),
            question=meta.get("id"), points=float(meta.get("points", 0)),
            hidden=bool(meta.get("hidden", False))))
    files = nb.metadata.get("tlkit", {}).get("files", [])
    return Assignment(name=path.stem, path=path, cells=cells, files=list(files))


def load_assignments(solutions_dir: Path) -> dict[str, Assignment]:
    """Every solution notebook of a folder, by name (file stem)."""
    return {p.stem: load_assignment(p) for p in solution_notebooks(solutions_dir)}
