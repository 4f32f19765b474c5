"""Grade one submission: its plan, its job, one worker in its sandbox, its rows.

Scores come only from the kernel's replies to the solution's test cells (a test passes when
its cell raises nothing), as reported by the worker over a private pipe; nothing the
submission writes to disk is read back.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from dataclasses import dataclass, field

from tlkit.grading import messages
from tlkit.grading.batch.sandboxes import Sandboxes
from tlkit.grading.intake.identify import Entry
from tlkit.grading.intake.solutions import Assignment
from tlkit.grading.intake.submission import Submission
from tlkit.grading.layout import INSIDE_FILES, INSIDE_SCRATCH, INSIDE_SOCKET
from tlkit.grading.options import GradeOptions
from tlkit.grading.plan.matching import Plan, build_plan
from tlkit.grading.protocol import Cell, Job, WorkerRun
from tlkit.grading.safe_text import short
from tlkit.grading.sandbox.cgroups import SubmissionCgroup
from tlkit.grading.sandbox.environment import kernel_threads, sandbox_env
from tlkit.grading.sandbox.supervise import run_worker, worker_command
from tlkit.grading.sandbox.warm_cache import WarmCache
from tlkit.grading.scoring import score
from tlkit.grading.scoring.row import Row


@dataclass
class SubmissionResult:
    """The rows of one submission plus notes for its feedback."""

    submission: Submission
    assignment: str
    rows: list[Row]
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    timing: dict[str, float] = field(default_factory=dict)


def rows_for_all(student: str, assignment: Assignment | None, status: str, reason: str,
                 flags: str = "", isolation: str = "") -> list[Row]:
    """One row per test of ``assignment`` (one ``*`` row when unknown), all with ``status``."""
    if assignment is None:
        return [Row(student, "?", "*", 0, 0, status, reason, flags, isolation)]
    return [Row(student, assignment.name, t.question, 0, t.points, status, reason, flags,
                isolation) for t in assignment.tests]


def timing(run: WorkerRun, plan: Plan) -> dict[str, float]:
    """Seconds per kind of cell (kernel start, given, student, test, probes ...)."""
    out = {"kernel": run.kernel_seconds}
    for index, event in run.cells.items():
        kind = plan.steps[index].kind
        out[kind] = out.get(kind, 0.0) + event.seconds
    return out


def grade_entry(entry: Entry, sandboxes: Sandboxes, options: GradeOptions,
                known: list[str], cache: WarmCache | None = None, *,
                warming: bool = False) -> SubmissionResult:
    """Grade one submission; never raises for anything the submission does.

    ``known``: the assignments' names (said when the submission answers none). ``cache``: the
    assignment's shared warm cache, if any. ``warming``: the instructor's solution filling that
    cache (writable), a control run, not a student.
    """
    start = time.monotonic()
    try:
        result = _grade(entry, sandboxes, options, known, cache, warming)
    except Exception as exc:  # noqa: BLE001 - a grader bug must not stop the batch
        result = SubmissionResult(entry.submission, "?", rows_for_all(
            entry.submission.student, None, "error",
            messages.GRADER_FAILED.format(detail=short(repr(exc))), isolation=sandboxes.mode))
    result.notes = list(entry.notes) + result.notes
    result.seconds = time.monotonic() - start
    return result


def _grade(entry: Entry, sandboxes: Sandboxes, options: GradeOptions, known: list[str],
           cache: WarmCache | None, warming: bool) -> SubmissionResult:
    read, assignment, submission = entry.read, entry.assignment, entry.submission
    student, mode = submission.student, sandboxes.mode
    if read.problem:
        return SubmissionResult(submission, assignment.name if assignment else "?",
                                rows_for_all(student, assignment, "invalid", read.problem,
                                             " ".join(read.flags + list(entry.flags)), mode),
                                [messages.NOT_GRADED.format(problem=read.problem)])
    if assignment is None:
        reason = messages.UNKNOWN_ASSIGNMENT.format(names=", ".join(sorted(known)))
        return SubmissionResult(submission, "?", rows_for_all(student, None, "invalid", reason,
                                                              isolation=mode))
    plan = build_plan(assignment, read.cells, solution_run=warming)
    flags = " ".join(plan.flags() + list(entry.flags))
    notes = messages.plan_notes(plan.facts())
    run, asked_template = _run(plan, assignment, sandboxes, options, cache, warming)
    if asked_template:
        sandboxes.note_fallback(run)
    if not run.started and not run.killed:
        detail = short(run.stderr.strip().splitlines()[-1] if run.stderr.strip()
                       else f"exit {run.returncode}")
        return SubmissionResult(submission, assignment.name, rows_for_all(
            student, assignment, "error", messages.KERNEL_DID_NOT_START.format(detail=detail),
            flags, mode), notes)
    scored = score.score(plan, assignment, run, student, options, flags)
    rows = [Row(r.student, r.assignment, r.question, r.points, r.max_points, r.status,
                r.reason, r.flags, mode) for r in scored.rows]
    return SubmissionResult(submission, assignment.name, rows, notes + scored.notes,
                            timing=timing(run, plan))


def _run(plan: Plan, assignment: Assignment, sandboxes: Sandboxes, options: GradeOptions,
         cache: WarmCache | None, warming: bool) -> tuple[WorkerRun, bool]:
    """Run the plan's cells in a fresh sandboxed worker; its run, and whether it asked a warm
    template for its kernel."""
    mode, limits = sandboxes.mode, options.limits()
    files = sandboxes.files(assignment)
    with sandboxes.slot() as (number, uid):
        cgroup = None
        template = sandboxes.template_socket(assignment)
        if mode == "full":
            scratch, cwd = INSIDE_SCRATCH, "/"
            inner = [f"{INSIDE_FILES}/{name}" for _, name in files]
            cgroup = SubmissionCgroup(f"tlkit-{os.getpid()}-{uuid.uuid4().hex[:12]}",
                                      limits.memory_mb, limits.nproc)
        else:
            host = sandboxes.root / f"{number:05d}"
            host.mkdir(mode=0o711)
            scratch, cwd, inner = str(host), str(host), [src for src, _ in files]
        job = Job(cells=tuple(Cell(s.source, s.kind) for s in plan.steps), scratch=scratch,
                  timeout_cell=options.timeout_cell, timeout_given=options.timeout_given,
                  isolation=mode, limits=limits, uid=uid, files=tuple(inner),
                  template_socket=INSIDE_SOCKET if template else None)
        command = worker_command(mode, files, job, template)
        env = sandbox_env(scratch, kernel_threads(options.jobs))
        if cache is not None and (warming or cache.sealed):
            command, env = cache.wrap(command, env, writable=warming, size_mb=limits.disk_mb)
        try:
            run = run_worker(job, command=command, env=env, total=options.timeout_total,
                             cgroup=cgroup, cwd=cwd)
        finally:
            if cgroup is not None:
                cgroup.kill_and_remove()  # already done unless run_worker failed early
            if mode != "full":
                shutil.rmtree(scratch, ignore_errors=True)
    return run, template is not None
