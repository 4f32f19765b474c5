"""The grader of one run: its sandboxes, its warm caches and control runs, its schedule.

Each job lives in its own module: ``sandboxes`` (isolation set-up), ``one_submission`` (grade
one), ``warm_up`` (the shared caches), ``control`` (the solution must score full marks),
``schedule`` (the threads); ``run`` is the API that collects, grades and writes.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from tlkit.grading.batch.collect import gradable
from tlkit.grading.batch.control import control_warnings, full_marks
from tlkit.grading.batch.one_submission import SubmissionResult, grade_entry
from tlkit.grading.batch.sandboxes import Sandboxes
from tlkit.grading.batch.schedule import schedule
from tlkit.grading.batch.warm_up import WarmCaches
from tlkit.grading.intake.identify import Entry
from tlkit.grading.intake.solutions import Assignment
from tlkit.grading.intake.submission import Submission, read_submission
from tlkit.grading.options import GradeOptions
from tlkit.grading.safe_text import short
from tlkit.grading.sandbox.isolation import IsolationError


class GraderError(RuntimeError):
    """The grader itself cannot run (bad solutions, no submissions, no isolation)."""


class Grader:
    """Grades submissions against loaded assignments, one sandboxed worker each."""

    def __init__(self, assignments: dict[str, Assignment], solutions_dir: Path,
                 options: GradeOptions):
        self.assignments = assignments
        self.options = options
        try:
            self.sandboxes = Sandboxes(options, solutions_dir)
        except IsolationError as exc:
            raise GraderError(str(exc)) from exc
        self.caches = WarmCaches(self.sandboxes, options, assignments)
        self.control: dict[str, SubmissionResult] = {}
        self.warnings: list[str] = []
        self.lock = threading.Lock()

    @property
    def description(self) -> str:
        """The isolation this run actually has (printed and recorded in the manifest)."""
        return self.sandboxes.description + self.caches.description()

    @property
    def notes(self) -> list[str]:
        """Worth saying, but the grades are sound (a cold kernel, a cache not kept ...)."""
        return self.sandboxes.notes

    def close(self) -> None:
        self.sandboxes.close()

    def grade_one(self, entry: Entry, *, warming: bool = False) -> SubmissionResult:
        """Grade one collected submission (``warming``: a control run filling its cache)."""
        name = entry.assignment.name if entry.assignment else ""
        return grade_entry(entry, self.sandboxes, self.options, list(self.assignments),
                           self.caches.for_run(name, warming), warming=warming)

    def run(self, entries: list[Entry], warm_names: list[str]
            ) -> tuple[list[SubmissionResult], list[SubmissionResult], list[str]]:
        """Grade the warm-ups and the students on ``jobs`` threads; (results, control runs,
        warnings). Each warm-up is also a control run: a solution that does not score full
        marks is printed at once and returned as a warning (grading goes on)."""
        pending, ready = self.caches.prepare(warm_names)
        results = schedule(entries, gradable(entries), pending, ready, self.options.jobs,
                           self.grade_one, self._warm_up)
        return results, [self.control[n] for n in warm_names if n in self.control], self.warnings

    def _warm_up(self, name: str) -> None:
        """The control run of ``name``'s solution, filling its cache; then seal (and keep) it."""
        run, lines, notes = None, [], []
        try:
            solution = Submission(f"(control) {name}", self.assignments[name].path)
            run = self.grade_one(Entry(solution, read_submission(solution.path),
                                       self.assignments[name]), warming=True)
            sealed, notes = self.caches.seal(name)
            lines = control_warnings(name, run) + sealed
            if self.caches.kept is not None and not lines and name in self.caches.caches:
                notes.append(self.caches.keep(name, full_marks(run)))
        except Exception as exc:  # noqa: BLE001 - its students must not wait forever
            self.caches.drop(name)
            lines = [f"warm-up of {name} failed ({short(repr(exc))}); its students are graded "
                     f"without a shared cache"]
        finally:
            for line in lines:
                print(f"tlkit grade: WARNING: {line}", file=sys.stderr, flush=True)
            with self.lock:
                if run is not None:
                    self.control[name] = run
                self.warnings.extend(lines)
                self.notes.extend(notes)
