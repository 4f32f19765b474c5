"""Grade one submission: its plan, its job, one worker in its sandbox, its rows.

A test's verdict comes from the verifier (``scoring.verifier``): a fresh process, started after
the submission's worker and kernel are gone, that runs the solution's verdict on the values the
test's cell handed over (``handover``), received from the worker over its private pipe. The
kernel's reply can only lower a verdict; nothing else the submission writes is read back.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass, field, replace

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
from tlkit.grading.sandbox.cgroups import for_submission
from tlkit.grading.sandbox.environment import kernel_threads, sandbox_env, usable_cpus
from tlkit.grading.sandbox.isolation import SANDBOXED
from tlkit.grading.sandbox.supervise import run_worker, worker_command
from tlkit.grading.sandbox.warm_cache import WarmCache
from tlkit.grading.sandbox.isolation import can_run_python_as
from tlkit.grading.scoring import score, verifier
from tlkit.grading.scoring.row import Row


VERIFIER_TIMEOUT = 300  # seconds for the verifier to judge one submission's handed-over data

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
    """One row per test (per part, with partial credit) of ``assignment`` (one ``*`` row when
    unknown), all with ``status``."""
    if assignment is None:
        return [Row(student, "?", "*", 0, 0, status, reason, flags, isolation)]
    return [Row(student, assignment.name, t.question, 0, points, status, reason, flags,
                isolation, part=part) for t in assignment.tests for part, points in t.graded()]


def timing(run: WorkerRun, plan: Plan) -> dict[str, float]:
    """Seconds per kind of cell (kernel start, given, student, extra, test)."""
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
    if entry.other is not None and assignment is not None and not read.problem and not warming:
        reason = messages.WRONG_ASSIGNMENT.format(handed=entry.other, expected=assignment.name)
        return SubmissionResult(submission, assignment.name, rows_for_all(
            student, assignment, "wrong-assignment", reason, " ".join(entry.flags), mode),
            [messages.NOT_GRADED.format(problem=reason)])
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
    run, asked_template, verdicts, judged = _run(plan, assignment, sandboxes, options, cache,
                                                 warming)
    if asked_template:
        sandboxes.note_fallback(run)
    if not run.started and not run.killed:
        detail = short(run.stderr.strip().splitlines()[-1] if run.stderr.strip()
                       else f"exit {run.returncode}")
        return SubmissionResult(submission, assignment.name, rows_for_all(
            student, assignment, "error", messages.KERNEL_DID_NOT_START.format(detail=detail),
            flags, mode), notes)
    if isinstance(verdicts, str):
        return SubmissionResult(submission, assignment.name, rows_for_all(
            student, assignment, "error", messages.GRADER_FAILED.format(detail=short(verdicts)),
            flags, mode), notes)
    scored = score.score(plan, assignment, run, student, options, flags, verdicts)
    rows = [replace(r, isolation=mode) for r in scored.rows]
    return SubmissionResult(submission, assignment.name, rows, notes + scored.notes,
                            timing={**timing(run, plan), "verifier": judged})


def verifier_tests(plan: Plan, run: WorkerRun) -> list[dict]:
    """What the verifier needs for each test that handed data over (``verifier.run_one``)."""
    return [{"index": i, "question": step.question, "verdict": step.verdict,
             "names": list(step.names), "constants": dict(step.constants),
             "json": run.handovers[i].get("json"), "npz": run.handovers[i].get("npz", "")}
            for i, step in enumerate(plan.steps) if step.kind == "test" and i in run.handovers]


def _verify(plan: Plan, run: WorkerRun, root, uid: int | None) -> dict[int, dict] | str:
    """The verifier's verdicts on what the submission's tests handed over, or why it failed:
    a fresh process, as the slot's throw-away uid when Python can run as it (else as the
    grader's uid)."""
    if uid is not None and not can_run_python_as(uid):
        uid = None
    try:
        return verifier.verify(verifier_tests(plan, run), sandbox_env(str(root)),
                               VERIFIER_TIMEOUT, uid)
    except (RuntimeError, OSError, ValueError, subprocess.TimeoutExpired) as exc:
        return f"verifier: {exc}"


def _run(plan: Plan, assignment: Assignment, sandboxes: Sandboxes, options: GradeOptions,
         cache: WarmCache | None, warming: bool) -> tuple[WorkerRun, bool, dict | str, float]:
    """Run the plan's cells in a fresh sandboxed worker, then the verifier, in the slot; the
    worker's run, whether it asked a warm template for its kernel, the verdicts (or why the
    verifier failed) and the verifier's seconds."""
    mode, limits = sandboxes.mode, options.limits()
    files = sandboxes.files(assignment)
    with sandboxes.slot() as (number, uid):
        cgroup = None
        template = sandboxes.template_socket(assignment)
        if mode in SANDBOXED:
            scratch, cwd = INSIDE_SCRATCH, "/"
            inner = [f"{INSIDE_FILES}/{name}" for _, name in files]
        if mode == "full":
            # Its own cpu group: a fork storm competes as that one group (weighing the CPUs
            # this grader was given) and never beyond those CPUs.
            cgroup = for_submission(f"tlkit-{os.getpid()}-{uuid.uuid4().hex[:12]}",
                                    limits.memory_mb, limits.nproc, cpus=usable_cpus())
        if mode not in SANDBOXED:
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
            if mode not in SANDBOXED:
                shutil.rmtree(scratch, ignore_errors=True)
        began = time.monotonic()
        verdicts = _verify(plan, run, sandboxes.root, uid)
        judged = time.monotonic() - began
    return run, template is not None, verdicts, judged
