"""``tlkit grade``'s Python API: grade a batch of submissions, one sandboxed worker each.

Scores come only from the kernel's replies to the solution's test cells (a test passes when
its cell raises nothing), as reported by the worker over a private pipe; nothing the
submission writes to disk is read back. The stages: ``intake`` (find, read, identify),
``plan`` (what to run), ``sandbox`` (isolation, one worker, warm templates and caches; the
worker itself is ``inside``), ``scoring`` (rows), ``reports`` (gradebook, feedback, shards).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import queue
import shutil
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from tlkit.files import Busy, FileLock
from tlkit.grading import messages
from tlkit.grading.batch.collect import assignment_names, assignments_to_warm, one_per_assignment
from tlkit.grading.intake.discover import discover
from tlkit.grading.intake.identify import find_assignment
from tlkit.grading.intake.solutions import Assignment, load_assignments
from tlkit.grading.intake.submission import Submission, read_submission
from tlkit.grading.intake.validate import SolutionError
from tlkit.grading.layout import INSIDE_CACHE, INSIDE_SCRATCH, INSIDE_SOCKET
from tlkit.grading.options import GradeOptions
from tlkit.grading.plan.matching import build_plan
from tlkit.grading.protocol import FALLBACK, Cell, Job, WorkerRun
from tlkit.grading.reports import shards
from tlkit.grading.reports.feedback import write_feedback
from tlkit.grading.reports.gradebook import gradebook_text, rows_with_submission
from tlkit.grading.reports.outputs import OutputFolder
from tlkit.grading.sandbox import bwrap, cgroups, isolation, warm_cache
from tlkit.grading.sandbox.environment import kernel_threads, sandbox_env, usable_cpus
from tlkit.grading.sandbox.supervise import run_worker, worker_command
from tlkit.grading.sandbox.templates import Template, kind_of
from tlkit.grading.scoring import score
from tlkit.grading.scoring.row import Row


class GraderError(RuntimeError):
    """The grader itself cannot run (bad solutions, no submissions, no isolation)."""


@dataclass
class SubmissionResult:
    """The rows of one submission plus notes for its feedback."""

    submission: Submission
    assignment: str
    rows: list[Row]
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    timing: dict[str, float] = field(default_factory=dict)


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


def _rows_all(student, assignment, status, reason, flags="", isolation=""):
    if assignment is None:
        return [Row(student, "?", "*", 0, 0, status, reason, flags, isolation)]
    return [Row(student, assignment.name, t.question, 0, t.points, status, reason, flags,
                isolation) for t in assignment.tests]


def _timing(run: WorkerRun, plan) -> dict[str, float]:
    """Seconds per kind of cell (kernel start, given, student, test, probes ...)."""
    out = {"kernel": run.kernel_seconds}
    for index, event in run.cells.items():
        kind = plan.steps[index].kind
        out[kind] = out.get(kind, 0.0) + float(event.get("seconds", 0.0))
    return out


class Grader:
    """Grades submissions against loaded assignments, one sandboxed worker each."""

    def __init__(self, assignments: dict[str, Assignment], solutions_dir: Path,
                 options: GradeOptions):
        self.assignments = assignments
        self.solutions_dir = Path(solutions_dir)
        self.options = options
        try:
            self.mode = isolation.resolve_isolation(options.isolation, options.allow_weaker)
        except isolation.IsolationError as exc:
            raise GraderError(str(exc)) from exc
        self.description = isolation.describe(self.mode, options.limits())
        if self.mode != options.isolation:
            self.description = (f"WEAKER THAN ASKED ({options.isolation} unavailable: "
                                f"{isolation.missing_for_full()}; --allow-weaker) — "
                                + self.description)
        if self.mode == "full":
            cgroups.remove_stale()
        self.root = Path(tempfile.mkdtemp(prefix="tlkit-grade-"))
        os.chmod(self.root, 0o711)
        self.slots: queue.Queue[int] = queue.Queue()
        for slot in range(max(1, options.jobs)):
            self.slots.put(slot)
        self.counter = 0
        self.lock = threading.Lock()
        self.templates: dict[str, Template | None] = {}
        self.template_lock = threading.Lock()
        self.notes: list[str] = []
        # Warm kernels and the shared cache enter namespaces and mount overlays: root only.
        self.warm_root = self.mode == "full" and not isolation.rootless()
        if self.warm_root and options.warm_kernels:
            self.description += ("; warm kernels: forked into the submission's sandbox from a "
                                 "template that imported TensorFlow or PyTorch once")
        self.warm_enabled = (self.warm_root and options.warm_cache
                             and warm_cache.WarmCache.usable_path(self.root))
        self.warm: dict[str, warm_cache.WarmCache] = {}  # assignment -> its shared cache
        self.kept_lock: FileLock | None = None  # held on --keep-warm-cache while this run lives

    def close(self) -> None:
        if self.kept_lock is not None:
            self.kept_lock.release()
        for template in self.templates.values():
            if template is not None:
                template.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def _template_socket(self, assignment: Assignment) -> str | None:
        """The socket of the warm template for this assignment's libraries (started once)."""
        if not self.warm_root or not self.options.warm_kernels:
            return None
        kind = kind_of([c.source for c in assignment.cells])
        if kind is None:
            return None
        with self.template_lock:
            if kind not in self.templates:
                folder = self.root / "templates"
                folder.mkdir(mode=0o700, exist_ok=True)
                # one thread while importing (OpenBLAS starts its pool at import, and a
                # threaded template cannot fork); each kernel gets its share from its request
                env = sandbox_env(INSIDE_SCRATCH)
                if self.warm_enabled:  # libraries read some of these when imported (KERAS_HOME)
                    env.update({var: f"{INSIDE_CACHE}/{sub}" for var, sub in warm_cache.FOLDERS})
                template = Template(
                    kind, folder, bwrap.template_command(str(folder), self.options.limits()),
                    env)
                if not template.ready:
                    self.notes.append(f"warm {kind} kernels unavailable, starting them cold: "
                                         f"{template.error}")
                self.templates[kind] = template if template.ready else None
            template = self.templates[kind]
        return str(template.socket) if template is not None else None

    def _uid(self, number: int) -> int | None:
        """The submission's own throw-away uid (root): always in full mode; in basic mode when
        it works. Without root the sandbox's user namespace stands in for it."""
        if isolation.rootless():
            return None
        return (isolation.submission_uid(number) if isolation.process_cap_enforced(self.mode)
                else None)

    def _files(self, assignment: Assignment) -> list[tuple[str, str]]:
        """(host path, name) of the data files the solution's metadata lists."""
        found = []
        base = self.solutions_dir.resolve()
        for rel in assignment.files:
            src = (self.solutions_dir / rel).resolve()
            if base in src.parents and src.is_file():
                found.append((str(src), Path(rel).name))
        return found

    def grade_one(self, submission: Submission, notes: list[str] | None = None,
                  flags: list[str] | None = None, *, warming: bool = False) -> SubmissionResult:
        """Grade one submission; never raises for anything the submission does.

        ``warming``: the instructor's solution filling the shared cache (writable), not a student.
        """
        start = time.monotonic()
        try:
            result = self._grade(submission, flags or [], warming)
        except Exception as exc:  # noqa: BLE001 - a grader bug must not stop the batch
            result = SubmissionResult(submission, "?", _rows_all(
                submission.student, None, "error",
                messages.GRADER_FAILED.format(detail=score.short(repr(exc))),
                isolation=self.mode))
        result.notes = (notes or []) + result.notes
        result.seconds = time.monotonic() - start
        return result

    def _grade(self, submission: Submission, given_flags: list[str],
               warming: bool = False) -> SubmissionResult:
        read = read_submission(submission.path)
        assignment = find_assignment(read, submission, self.assignments)
        student = submission.student
        mode = self.mode
        if read.problem:
            return SubmissionResult(submission, assignment.name if assignment else "?",
                                    _rows_all(student, assignment, "invalid", read.problem,
                                              " ".join(read.flags + given_flags), mode),
                                    [messages.NOT_GRADED.format(problem=read.problem)])
        if assignment is None:
            reason = messages.UNKNOWN_ASSIGNMENT.format(names=", ".join(sorted(self.assignments)))
            return SubmissionResult(submission, "?", _rows_all(student, None, "invalid", reason,
                                                               isolation=mode))
        plan = build_plan(assignment, read.cells)
        if warming:  # the solution's hidden tests come back as added cells: run them once
            hidden = {t.source for t in assignment.tests if t.hidden}
            kept = [step for step in plan.steps if not (step.kind == "extra"
                                                        and step.source in hidden)]
            plan.extras -= len(plan.steps) - len(kept)
            plan.steps = kept
        flags = " ".join(plan.flags() + given_flags)
        options = self.options
        limits = options.limits()
        files = self._files(assignment)
        slot = self.slots.get()
        try:
            with self.lock:
                self.counter += 1
                number = self.counter
            uid = self._uid(number)
            cgroup = None
            template = self._template_socket(assignment)
            threads = kernel_threads(options.jobs)
            if mode in isolation.SANDBOXED:
                scratch, cwd = INSIDE_SCRATCH, "/"
                inner = [f"{scratch}/files/{name}" for _, name in files]
            if mode == "full":
                # Its own cpu group: a fork storm competes as one group, at equal weight with
                # each neighbour, and never beyond the CPUs this grader was given.
                cgroup = cgroups.for_submission(f"tlkit-{os.getpid()}-{uuid.uuid4().hex[:12]}",
                                                limits.memory_mb, limits.nproc,
                                                cpus=usable_cpus())
            if mode not in isolation.SANDBOXED:
                host = self.root / f"{number:05d}"
                host.mkdir(mode=0o711)
                scratch, cwd, inner = str(host), str(host), [src for src, _ in files]
            job = Job(cells=tuple(Cell(s.source, s.kind) for s in plan.steps), scratch=scratch,
                      timeout_cell=options.timeout_cell, timeout_given=options.timeout_given,
                      isolation=mode, limits=limits, uid=uid, files=tuple(inner),
                      template_socket=INSIDE_SOCKET if template else None)
            command = worker_command(mode, files, job, template)
            env = sandbox_env(scratch, threads)
            cache = self.warm.get(assignment.name) if mode == "full" else None
            if cache is not None and (warming or cache.sealed):
                command, env = cache.wrap(command, env, writable=warming, size_mb=limits.disk_mb)
            try:
                run = run_worker(job, command=command, env=env, total=options.timeout_total,
                                 cgroup=cgroup, cwd=cwd)
            finally:
                if cgroup is not None:
                    cgroup.kill_and_remove()  # already done unless run_worker failed early
                if mode not in isolation.SANDBOXED:
                    shutil.rmtree(scratch, ignore_errors=True)
        finally:
            self.slots.put(slot)
        if template and FALLBACK in run.stderr:
            reason = run.stderr.split(FALLBACK, 1)[1].strip().splitlines()[0]
            with self.lock:
                if not any(n.startswith("a warm kernel") for n in self.notes):
                    self.notes.append(f"a warm kernel could not be forked, a cold one ran "
                                      f"instead (grades unaffected): {reason}")
        if not run.started and not run.killed:
            detail = score.short(run.stderr.strip().splitlines()[-1] if run.stderr.strip()
                                   else f"exit {run.returncode}")
            return SubmissionResult(submission, assignment.name, _rows_all(
                student, assignment, "error", messages.KERNEL_DID_NOT_START.format(detail=detail),
                flags, mode), messages.plan_notes(plan))
        scored = score.score(plan, assignment, run, student, options, flags)
        rows = [Row(r.student, r.assignment, r.question, r.points, r.max_points, r.status,
                    r.reason, r.flags, mode) for r in scored.rows]
        return SubmissionResult(submission, assignment.name, rows,
                                messages.plan_notes(plan) + scored.notes, timing=_timing(run, plan))

    def run(self, submissions: list[Submission], notes: dict, flags: dict,
            warm_names: list[str]) -> tuple[list[SubmissionResult], list[SubmissionResult], list[str]]:
        """Grade the warm-ups and the students on ``jobs`` threads; (results, control runs,
        warnings).

        A free thread takes the next warm-up (the instructor's solution filling the assignment's
        shared cache, which is then sealed), else the next student whose assignment's cache is
        ready or who has none: no thread waits for a warm-up while other work is ready. Each
        warm-up is also a control run: a solution that does not score full marks is printed at
        once and returned as a warning (grading goes on).
        """
        names = list(warm_names) if self.warm_enabled else []
        pending, waiting = [], list(enumerate(submissions))
        ready: set[str] = set()
        kept, keys = self._kept_folder(), {}
        for k, name in enumerate(names):
            record = None
            if kept is not None:
                keys[name] = warm_cache.assignment_key(
                    self.assignments[name].path, [src for src, _ in self._files(self.assignments[name])])
                record = warm_cache.find_kept(kept, keys[name])
            cache = (warm_cache.WarmCache(self.root, f"a{k}", kept=kept / keys[name])
                     if record is not None else None)
            problem = cache.overlay_problem() if cache is not None else ""
            if cache is not None and not problem:
                self.warm[name] = cache
                ready.add(name)
                self.notes.append(f"warm cache of {name} reused from {cache.host} (made "
                                  f"{record.get('made')}; its control run: {record.get('control')})")
            else:
                if problem:
                    self.notes.append(f"kept warm cache of {name} not reused, its overlay cannot "
                                      f"be mounted ({problem}); warming up again")
                self.warm[name] = warm_cache.WarmCache(self.root, f"a{k}-new")
                pending.append(name)
        results: list[SubmissionResult | None] = [None] * len(submissions)
        control: dict[str, SubmissionResult] = {}
        warnings: list[str] = []
        assignment_of = {sub: name for sub, name in assignment_names(submissions,
                                                                      self.assignments)}
        condition = threading.Condition()

        def next_job():
            with condition:
                while True:
                    if pending:
                        return "warm", pending.pop(0)
                    for i, (_, sub) in enumerate(waiting):
                        name = assignment_of.get(sub)
                        if name not in names or name in ready:
                            return "student", waiting.pop(i)
                    if not waiting:
                        return None
                    condition.wait()

        def work():
            while (job := next_job()) is not None:
                kind, item = job
                if kind == "student":
                    k, sub = item
                    results[k] = self.grade_one(sub, notes.get(sub), flags.get(sub))
                    continue
                run, lines, notes_of_seal = None, [], []
                try:
                    run = self.grade_one(Submission(f"(control) {item}",
                                                    self.assignments[item].path), warming=True)
                    sealed, notes_of_seal = self._seal(item)
                    lines = self._control(item, run) + sealed
                    if kept is not None and not lines and item in self.warm:
                        notes_of_seal.append(self._keep(item, run, kept, keys[item]))
                except Exception as exc:  # noqa: BLE001 - its students must not wait forever
                    self.warm.pop(item, None)
                    lines = [f"warm-up of {item} failed ({score.short(repr(exc))}); its "
                             f"students are graded without a shared cache"]
                finally:
                    for line in lines:
                        print(f"tlkit grade: WARNING: {line}", file=sys.stderr, flush=True)
                    with condition:
                        if run is not None:
                            control[item] = run
                        warnings.extend(lines)
                        self.notes.extend(notes_of_seal)
                        ready.add(item)
                        condition.notify_all()

        threads = [threading.Thread(target=work, daemon=True)
                   for _ in range(max(1, self.options.jobs))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if self.warm:
            self.description += "; " + warm_cache.DESCRIPTION
        return list(results), [control[n] for n in names if n in control], warnings

    def _kept_folder(self) -> Path | None:
        """The folder that keeps sealed warm caches between runs (None: not asked, or a folder
        it may not use, which a note says: see ``warm_cache.kept_folder_problem``)."""
        if not self.options.keep_warm_cache:
            return None
        folder = Path(self.options.keep_warm_cache).absolute()
        problem = warm_cache.kept_folder_problem(folder)
        if not problem:
            # One grader at a time: another run's clean-up would delete a folder this one mounts.
            try:
                if not folder.exists():
                    folder.mkdir(mode=0o700, parents=True)
                    os.chmod(folder, 0o700)
                self.kept_lock = FileLock(folder, "--keep-warm-cache")
            except (Busy, OSError) as exc:
                problem = str(exc)
        if problem:
            self.notes.append(f"--keep-warm-cache {folder}: {problem}; caches are not kept "
                              f"or reused")
            return None
        return folder

    def _keep(self, name: str, run: SubmissionResult, folder: Path, key: str) -> str:
        """Keep one sealed cache for later runs; the note that says where (or why not)."""
        points = sum(r.points for r in run.rows)
        top = sum(r.max_points for r in run.rows)
        try:
            path = warm_cache.keep(self.warm[name], folder, key, name,
                                   f"{points:g}/{top:g}, full marks")
        except OSError as exc:
            return f"warm cache of {name} not kept in {folder}: {exc}"
        return f"warm cache of {name} kept in {path} for later runs"

    def _control(self, name: str, run: SubmissionResult) -> list[str]:
        """The warning when the instructor's solution does not score full marks here."""
        failing = [f"{r.question} ({r.status})" for r in run.rows if r.status != "passed"]
        if not failing:
            return []
        return [f"CONTROL RUN: the instructor's solution of {name} does not score full marks "
                f"in this grader: {', '.join(failing)}"]

    def _seal(self, name: str) -> tuple[list[str], list[str]]:
        """Seal one assignment's cache; stop sharing it (and say why) when it holds hidden-test
        text (a warning: the solution writes its tests somewhere) or its overlay cannot be
        mounted (a note: grades are sound, only slower). Returns (warnings, notes)."""
        cache = self.warm[name]
        removed = cache.seal()
        hidden = [line for test in self.assignments[name].tests if test.hidden
                  for line in warm_cache.distinctive_lines(test.source)]
        leaking = cache.files_holding(hidden)
        problem = "" if leaking else cache.overlay_problem()
        notes = [f"warm cache of {name}: removed {Path(p).relative_to(cache.host)} (not a plain "
                 f"file)" for p in removed]
        if leaking:
            del self.warm[name]
            return [f"warm cache of {name} NOT shared: the warm-up wrote hidden-test text into "
                    f"{', '.join(str(p.relative_to(cache.host)) for p in leaking)}"], notes
        if problem:
            del self.warm[name]
            notes.append(f"warm cache of {name} not shared: its overlay cannot be mounted here "
                         f"({problem})")
        return [], notes


def run_grading(paths: list[Path], solutions_dir: Path, *, out: Path | None = None,
                feedback_dir: Path | None = None, options: GradeOptions | None = None,
                shard_spec: tuple[int, int] | None = None, run_id: str = "") -> Batch:
    """Grade every submission under ``paths``; write the gradebook, feedback and manifest.

    ``run_id`` names the run in the manifest: ``merge-grades`` merges only shards of one run.
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
    index, count = shard_spec or (1, 1)
    submissions = shards.shard(everyone, index, count)
    submissions, notes, flags = one_per_assignment(submissions, assignments)
    out_folder = OutputFolder(Path(out).parent) if out is not None else None
    feedback_folder = OutputFolder(feedback_dir) if feedback_dir is not None else None
    with contextlib.ExitStack() as held:  # two graders on one --out or --feedback: one refused
        try:
            if out_folder is not None:
                held.enter_context(FileLock(Path(out_folder.real) / f".{Path(out).name}.lock",
                                            "the gradebook"))
            if feedback_folder is not None:
                held.enter_context(FileLock(feedback_folder.real, "the feedback folder"))
        except Busy as exc:
            raise GraderError(str(exc)) from exc
        batch = _grade_and_write(everyone, submissions, notes, flags, assignments, solutions_dir,
                                 options, (index, count), out, out_folder, feedback_dir,
                                 feedback_folder, run_id)
    return batch


def _grade_and_write(everyone, submissions, notes, flags, assignments, solutions_dir, options,
                     spec, out, out_folder, feedback_dir, feedback_folder, run_id) -> Batch:
    """Grade, then write the feedback, the gradebook and its manifest (outputs locked)."""
    grader = Grader(assignments, solutions_dir, options)
    try:
        results, warm_runs, warm_notes = grader.run(
            submissions, notes, flags,
            assignments_to_warm(submissions, assignments) if grader.warm_enabled else [])
    finally:
        grader.close()
    batch = Batch(results, grader.description, out, feedback_dir, warnings=list(warm_notes),
                  warm_up=warm_runs, notes=list(grader.notes))
    if feedback_folder is not None:
        _, failed = write_feedback(results, feedback_folder)
        batch.warnings += [f"feedback not written for {item}" for item in failed]
    if out_folder is not None:
        text = gradebook_text(rows_with_submission(results))
        out_folder.write(Path(out).name, text)
        versions = {name: hashlib.sha256(a.path.read_bytes()).hexdigest()[:16]
                    for name, a in sorted(assignments.items())}
        out_folder.write(shards.manifest_name(Path(out).name), shards.manifest_text(
            everyone, spec, Path(out).name,
            os.path.relpath(feedback_dir, Path(out).parent) if feedback_dir else None,
            grader.description, run_id=run_id, versions=versions, gradebook_text=text))
    return batch


def grade(paths: list[Path], solutions_dir: Path, **kwargs) -> list[SubmissionResult]:
    """Grade every submission under ``paths`` (see :func:`run_grading`); the results."""
    return run_grading(paths, solutions_dir, **kwargs).results
