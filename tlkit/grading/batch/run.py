"""``tlkit grade``'s Python API: grade a batch of submissions, one sandboxed worker each.

The stages, each handing the next a typed record made once: ``intake`` (find the submissions,
read and identify each once: an ``Entry``), ``plan`` (what to run: a ``Plan``), ``sandbox``
(one worker per submission, a ``Job`` in, a ``WorkerRun`` back; the worker itself is
``inside``), ``scoring`` (``Row`` s), ``reports`` (the gradebook, the wide gradebook and the
class report, the feedback pages, shards).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from tlkit.files import Busy, FileLock
from tlkit.grading.batch.collect import assignments_to_warm, collect
from tlkit.grading.batch.grader import Grader, GraderError
from tlkit.grading.batch.hand_and_late import (LateSettings, add_written, apply_late,
                                              check_manual, page_path)
from tlkit.grading.batch.one_submission import SubmissionResult
from tlkit.grading.intake.discover import discover
from tlkit.grading.intake.solutions import load_assignments
from tlkit.grading.intake.validate import SolutionError
from tlkit.grading.options import GradeOptions
from tlkit.grading.reports import shards
from tlkit.grading.reports.class_report import ReportInput, relative_link, render, report_path
from tlkit.grading.reports.feedback import write_feedback
from tlkit.grading.reports.gradebook import gradebook_text, rows_with_submission
from tlkit.grading.reports.manual_grades import ManualError
from tlkit.grading.reports.outputs import OutputFolder
from tlkit.grading.reports.wide import student_lines, wide_path, wide_text

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
                shard_spec: tuple[int, int] | None = None, manual: Path | None = None,
                late: LateSettings | None = None, run_id: str = "") -> Batch:
    """Grade every submission under ``paths``; write the gradebook, feedback and manifest.

    ``manual``: the manual grades CSV of written answers (a template is written when it does
    not exist); ``late``: the late policy. See ``hand_and_late`` (applied in that order).
    ``run_id`` names the run in the manifest: ``merge-grades`` merges only shards of one run.
    The gradebook and the feedback folder are locked for the whole run: a second grader
    writing to either is refused at once (``GraderError`` naming the first one's pid).
    """
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
    try:
        check_manual(manual)  # before hours of grading, and before any file is written
    except ManualError as exc:
        raise GraderError(str(exc)) from exc
    if options.assignment is not None and options.assignment not in assignments:
        raise GraderError(f"--assignment {options.assignment}: no such solution notebook in "
                          f"{solutions_dir} (there: {', '.join(sorted(assignments))})")
    index, count = shard_spec or (1, 1)
    entries = collect(shards.shard(everyone, index, count), assignments, options.assignment,
                      options.duplicates)
    out_folder = OutputFolder(Path(out).parent) if out is not None else None
    feedback_folder = OutputFolder(feedback_dir) if feedback_dir is not None else None
    with contextlib.ExitStack() as held:
        try:
            if out_folder is not None:
                held.enter_context(FileLock(Path(out_folder.real) / f".{Path(out).name}.lock",
                                            "the gradebook"))
            if feedback_folder is not None:
                held.enter_context(FileLock(feedback_folder.real, "the feedback folder"))
        except Busy as exc:
            raise GraderError(str(exc)) from exc
        grader = Grader(assignments, solutions_dir, options)
        try:
            results, warm_runs, warm_notes = grader.run(
                entries, assignments_to_warm(entries) if grader.caches.enabled else [])
        finally:
            grader.close()
        batch = Batch(results, grader.description, out, feedback_dir, warnings=list(warm_notes),
                      warm_up=warm_runs, notes=list(grader.notes))
        try:
            batch.notes += add_written(results, assignments, manual)
        except ManualError as exc:
            raise GraderError(str(exc)) from exc
        batch.notes += apply_late(results, late)
        links: dict[tuple[str, str], str] = {}
        if feedback_folder is not None:
            written, failed = write_feedback(results, feedback_folder, assignments,
                                             options.scale)
            batch.warnings += [f"feedback not written for {item}" for item in failed]
            if out is not None:  # the wide gradebook and the report link each student's page
                links = {key: relative_link(feedback_folder.path / name, report_path(out))
                         for key, name in written.items()}
        if out_folder is not None:
            rows = rows_with_submission(results)
            text = gradebook_text(rows)
            out_folder.write(Path(out).name, text)
            pages = [(name, relative_link(page_path(manual, name), report_path(out)))
                     for name in sorted(assignments) if manual is not None
                     and page_path(manual, name).exists()
                     and any(r.assignment == name for r in results)]
            write_class_report(out_folder, Path(out), results, rows, links, options.scale,
                               grader.description, pages)
            versions = {name: hashlib.sha256(a.path.read_bytes()).hexdigest()[:16]
                        for name, a in sorted(assignments.items())}
            out_folder.write(shards.manifest_name(Path(out).name), shards.manifest_text(
                everyone, (index, count), Path(out).name,
                os.path.relpath(feedback_dir, Path(out).parent) if feedback_dir else None,
                grader.description, run_id=run_id, versions=versions, gradebook_text=text))
    return batch


def write_class_report(folder: OutputFolder, out: Path, results: list[SubmissionResult],
                       rows: list, links: dict, scale: float, isolation: str,
                       written: list[tuple[str, str]] | None = None) -> None:
    """The wide gradebook and the HTML class report beside the gradebook ``out`` (linking
    ``written``: each assignment's page of written answers, relative to the report)."""
    columns, lines = student_lines(rows, links)
    folder.write(wide_path(out).name, wide_text(columns, lines, scale))
    names = sorted({r.assignment for r in results if r.assignment != "?"})
    seconds = {r.submission.key: r.seconds for r in results}
    folder.write(report_path(out).name, render(ReportInput(
        f"{', '.join(names) or 'tlkit grade'}: class report", columns, lines, scale, seconds,
        isolation, out.name, wide_path(out).name, written or [])))


def grade(paths: list[Path], solutions_dir: Path, **kwargs) -> list[SubmissionResult]:
    """Grade every submission under ``paths`` (see :func:`run_grading`); the results."""
    return run_grading(paths, solutions_dir, **kwargs).results
