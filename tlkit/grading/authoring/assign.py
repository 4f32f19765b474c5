"""``tlkit assign``: build exercises/ from solutions/ deterministically, or check it is fresh."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tlkit.files import atomic_write
from tlkit.grading.authoring.add_submission_check import add_submission_check
from tlkit.grading.authoring.clear_outputs import clear_outputs
from tlkit.grading.authoring.clear_solutions import clear_solutions
from tlkit.grading.authoring.lock_cells import lock_cells
from tlkit.grading.authoring.stable_ids import stable_ids
from tlkit.grading.authoring.strip_hidden_tests import strip_hidden_tests
from tlkit.grading.cells import META
from tlkit.grading.intake.solutions import solution_notebooks
from tlkit.grading.intake.validate import validate_solution
from tlkit.grading.notebook_io import notebook_bytes, read_notebook

# The steps of ``assign``, in order. ``add_submission_check`` needs the ids (``stable_ids``) and
# the solution marks (``clear_solutions``) and must count the hidden points before
# ``strip_hidden_tests`` removes them; its cell is then cleaned and locked like the others.
STEPS = (stable_ids, clear_solutions, add_submission_check, strip_hidden_tests, clear_outputs,
         lock_cells)


@dataclass
class AssignReport:
    """What ``assign`` wrote, left alone, found stale, or found extra (paths relative)."""

    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def fresh(self) -> bool:
        return not self.stale and not self.extra


def build_exercise(solution, name: str):
    """The student version of a (validated) solution notebook: the :data:`STEPS` in order."""
    validate_solution(solution, name)
    nb, stem = solution, Path(name).stem
    for step in STEPS:
        nb = step(nb, stem) if step is add_submission_check else step(nb)
    nb.metadata.setdefault(META, {})["assignment"] = stem
    return nb


def expected_exercises(solutions_dir: Path) -> dict[str, bytes]:
    """File name → exact bytes of every exercise notebook ``assign`` would write."""
    return {path.name: notebook_bytes(build_exercise(read_notebook(path), path.name))
            for path in solution_notebooks(solutions_dir)}


def _existing(exercises_dir: Path) -> list[str]:
    if not exercises_dir.is_dir():
        return []
    return sorted(p.name for p in exercises_dir.iterdir()
                  if p.is_file() and not p.name.startswith("."))


def assign(solutions_dir: Path, exercises_dir: Path, *, check: bool = False) -> AssignReport:
    """Generate exercises_dir from solutions_dir (only changed files are rewritten).

    With ``check=True`` nothing is written: the report lists stale or missing files and
    extra files. Without it, extra ``.ipynb`` files are removed (exercises/ is generated).
    """
    solutions_dir, exercises_dir = Path(solutions_dir), Path(exercises_dir)
    if not solutions_dir.is_dir():
        raise FileNotFoundError(f"solutions folder not found: {solutions_dir}")
    expected = expected_exercises(solutions_dir)
    report = AssignReport()
    for name, data in expected.items():
        target = exercises_dir / name
        current = target.read_bytes() if target.is_file() else None
        if current == data:
            report.unchanged.append(name)
        elif check:
            report.stale.append(name)
        else:
            atomic_write(target, data)
            report.written.append(name)
    for name in _existing(exercises_dir):
        if name in expected:
            continue
        report.extra.append(name)
        if not check and name.endswith(".ipynb"):
            (exercises_dir / name).unlink()
    return report
