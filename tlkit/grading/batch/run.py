"""``tlkit grade``'s Python API: grade a batch of submissions, one sandboxed worker each.

The stages, each handing the next a typed record made once: ``intake`` (find the submissions,
read and identify each once: an ``Entry``), ``plan`` (what to run: a ``Plan``), ``sandbox``
(one worker per submission, a ``Job`` in, a ``WorkerRun`` back; the worker itself is
``inside``), ``scoring`` (``Row`` s), ``reports`` (gradebook, feedback, shards).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from tlkit.grading.batch.collect import assignments_to_warm, collect
from tlkit.grading.batch.grader import Grader, GraderError
from tlkit.grading.batch.one_submission import SubmissionResult
from tlkit.grading.intake.discover import discover
from tlkit.grading.intake.solutions import load_assignments
from tlkit.grading.intake.validate import SolutionError
from tlkit.grading.options import GradeOptions
from tlkit.grading.reports import shards
from tlkit.grading.reports.feedback import write_feedback
from tlkit.grading.reports.gradebook import gradebook_text, rows_with_submission
from tlkit.grading.reports.outputs import OutputFolder

__all__ = ["Batch", "GraderError", "SubmissionResult", "grade", "run_grading"]


@dataclass
class Batch:
    """A grading run: its results, the isolation it had, and where it wrote."""

    results: list[SubmissionResult]
    isolation: str
    out: Path | None = None
    feedback_dir: Path | None = None
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # worth saying, but the grades are sound
    warm_up: list[SubmissionResult] = field(default_factory=list)  # the control runs


def run_grading(paths: list[Path], solutions_dir: Path, *, out: Path | None = None,
                feedback_dir: Path | None = None, options: GradeOptions | None = None,
                shard_spec: tuple[int, int] | None = None) -> Batch:
    """Grade every submission under ``paths``; write the gradebook, feedback and manifest."""
    options = options or GradeOptions()
    solutions_dir = Path(solutions_dir)
    if not solutions_dir.is_dir():
        raise GraderError(f"solutions folder not found: {solutions_dir}")
    try:
        assignments = load_assignments(solutions_dir)
        everyone = discover(paths)
    except (SolutionError, FileNotFoundError, ValueError) as exc:
        raise GraderError(str(exc)) from exc
    if not assignments:
        raise GraderError(f"no solution notebooks in {solutions_dir}")
    index, count = shard_spec or (1, 1)
    entries = collect(shards.shard(everyone, index, count), assignments)
    out_folder = OutputFolder(Path(out).parent) if out is not None else None
    feedback_folder = OutputFolder(feedback_dir) if feedback_dir is not None else None
    grader = Grader(assignments, solutions_dir, options)
    try:
        results, warm_runs, warm_notes = grader.run(
            entries, assignments_to_warm(entries) if grader.caches.enabled else [])
    finally:
        grader.close()
    batch = Batch(results, grader.description, out, feedback_dir, warnings=list(warm_notes),
                  warm_up=warm_runs, notes=list(grader.notes))
    if feedback_folder is not None:
        _, failed = write_feedback(results, feedback_folder)
        batch.warnings += [f"feedback not written for {item}" for item in failed]
    if out_folder is not None:
        out_folder.write(Path(out).name, gradebook_text(rows_with_submission(results)))
        out_folder.write(shards.manifest_name(Path(out).name), shards.manifest_text(
            everyone, (index, count), Path(out).name,
            os.path.relpath(feedback_dir, Path(out).parent) if feedback_dir else None,
            grader.description))
    return batch


def grade(paths: list[Path], solutions_dir: Path, **kwargs) -> list[SubmissionResult]:
    """Grade every submission under ``paths`` (see :func:`run_grading`); the results."""
    return run_grading(paths, solutions_dir, **kwargs).results
