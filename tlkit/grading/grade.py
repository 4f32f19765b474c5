"""``tlkit grade``'s Python API: grade a batch of submissions, one sandboxed worker each.

Scores come only from the kernel's replies to the solution's test cells (a test passes when
its cell raises nothing), as reported by the worker over a private pipe; nothing the
submission writes to disk is read back. Pieces: ``options`` (what can be tuned), ``job`` (what
crosses into the worker), ``sandbox``/``cgroups`` (isolation), ``supervise`` (one worker),
``scoring`` (rows and Spanish wording), ``feedback``/``gradebook``/``shards`` (outputs),
``warm_cache`` (the shared read-only cache a control run of each solution fills first).
"""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from tlkit.grading import cgroups, judge, sandbox, scoring, shards, warm_cache, zygote
from tlkit.grading.feedback import write_feedback
from tlkit.grading.gradebook import Row, gradebook_text, rows_with_submission
from tlkit.grading.job import Cell, Job
from tlkit.grading.matching import build_plan
from tlkit.grading.options import GradeOptions
from tlkit.grading.outputs import OutputFolder
from tlkit.grading.solutions import Assignment, load_assignments
from tlkit.grading.submissions import Submission, discover, read_submission
from tlkit.grading.supervise import run_worker, worker_command
from tlkit.grading.validate import SolutionError


VERIFIER_TIMEOUT = 300  # seconds for the verifier to judge one submission's handed-over data


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


def find_assignment(read, submission: Submission, assignments: dict[str, Assignment]):
    """The assignment a submission answers: metadata, then file name, then the only one."""
    name = (read.metadata.get("tlkit") or {}).get("assignment") if read.metadata else None
    if isinstance(name, str) and name in assignments:
        return assignments[name]
    stem = submission.path.stem
    if stem in assignments:
        return assignments[stem]
    hits = [a for n, a in assignments.items() if n in stem]
    if len(hits) == 1:
        return hits[0]
    if len(assignments) == 1:
        return next(iter(assignments.values()))
    return None


def _rows_all(student, assignment, status, reason, flags="", isolation=""):
    if assignment is None:
        return [Row(student, "?", "*", 0, 0, status, reason, flags, isolation)]
    return [Row(student, assignment.name, t.question, 0, t.points, status, reason, flags,
                isolation) for t in assignment.tests]


def verifier_tests(plan, run: scoring.WorkerRun) -> list[dict]:
    """What the verifier needs for each test that handed data over (``judge.run_one``)."""
    return [{"index": i, "question": step.question, "verdict": step.verdict,
             "names": list(step.names), "constants": dict(step.constants),
             "json": run.handovers[i].get("json"), "npz": run.handovers[i].get("npz", "")}
            for i, step in enumerate(plan.steps) if step.kind == "test" and i in run.handovers]


def _timing(run: scoring.WorkerRun, plan) -> dict[str, float]:
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
            self.mode = sandbox.resolve_isolation(options.isolation, options.allow_weaker)
        except sandbox.IsolationError as exc:
            raise GraderError(str(exc)) from exc
        self.description = sandbox.describe(self.mode, options.limits())
        if self.mode != options.isolation:
            self.description = (f"WEAKER THAN ASKED ({options.isolation} unavailable: "
                                f"{sandbox.missing_for_full()}; --allow-weaker) — "
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
        self.templates: dict[str, zygote.Template | None] = {}
        self.template_lock = threading.Lock()
        self.notes: list[str] = []
        if self.mode == "full" and options.warm_kernels:
            self.description += ("; warm kernels: forked into the submission's sandbox from a "
                                 "template that imported TensorFlow or PyTorch once")
        self.warm_enabled = (self.mode == "full" and options.warm_cache
                             and warm_cache.WarmCache.usable_path(self.root))
        self.warm: dict[str, warm_cache.WarmCache] = {}  # assignment -> its shared cache

    def close(self) -> None:
        for template in self.templates.values():
            if template is not None:
                template.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def _template_socket(self, assignment: Assignment) -> str | None:
        """The socket of the warm template for this assignment's libraries (started once)."""
        if self.mode != "full" or not self.options.warm_kernels:
            return None
        kind = zygote.kind_of([c.source for c in assignment.cells])
        if kind is None:
            return None
        with self.template_lock:
            if kind not in self.templates:
                folder = self.root / "templates"
                folder.mkdir(mode=0o700, exist_ok=True)
                # one thread while importing (OpenBLAS starts its pool at import, and a
                # threaded template cannot fork); each kernel gets its share from its request
                env = sandbox.sandbox_env(sandbox.INSIDE_SCRATCH)
                if self.warm_enabled:  # libraries read some of these when imported (KERAS_HOME)
                    env.update({var: f"{warm_cache.INSIDE}/{sub}" for var, sub in warm_cache.FOLDERS})
                template = zygote.Template(
                    kind, folder, sandbox.template_command(str(folder), self.options.limits()),
                    env)
                if not template.ready:
                    self.notes.append(f"warm {kind} kernels unavailable, starting them cold: "
                                         f"{template.error}")
                self.templates[kind] = template if template.ready else None
            template = self.templates[kind]
        return str(template.socket) if template is not None else None

    def _uid(self, slot: int) -> int | None:
        """The slot's throw-away uid: always in full mode; in basic mode when it works."""
        if os.geteuid() != 0:
            return None
        return sandbox.slot_uid(slot) if sandbox.process_cap_enforced(self.mode) else None

    def _verify(self, plan, run: scoring.WorkerRun, uid: int | None) -> dict[int, dict] | str:
        """The verifier's verdicts on what the submission's tests handed over, or why it failed.

        A fresh process, after the submission's processes are gone, as its throw-away uid."""
        if uid is not None and not sandbox.can_run_python_as(uid):
            uid = None
        try:
            return judge.verify(verifier_tests(plan, run), sandbox.sandbox_env(str(self.root)),
                                VERIFIER_TIMEOUT, uid)
        except (RuntimeError, OSError, ValueError, subprocess.TimeoutExpired) as exc:
            return f"verifier: {exc}"

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
                scoring.GRADER_FAILED.format(detail=scoring.short(repr(exc))),
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
                                    [scoring.NOT_GRADED.format(problem=read.problem)])
        if assignment is None:
            reason = scoring.UNKNOWN_ASSIGNMENT.format(names=", ".join(sorted(self.assignments)))
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
            uid = self._uid(slot)
            with self.lock:
                self.counter += 1
                number = self.counter
            cgroup = None
            template = self._template_socket(assignment)
            if mode == "full":
                scratch, cwd = sandbox.INSIDE_SCRATCH, "/"
                inner = [f"{scratch}/files/{name}" for _, name in files]
                cgroup = cgroups.SubmissionCgroup(f"tlkit-{os.getpid()}-{uuid.uuid4().hex[:12]}",
                                                  limits.memory_mb, limits.nproc)
            else:
                host = self.root / f"{number:05d}"
                host.mkdir(mode=0o711)
                scratch, cwd, inner = str(host), str(host), [src for src, _ in files]
            job = Job(cells=tuple(Cell(s.source, s.kind) for s in plan.steps), scratch=scratch,
                      timeout_cell=options.timeout_cell, timeout_given=options.timeout_given,
                      isolation=mode, limits=limits, uid=uid, files=tuple(inner),
                      template_socket=zygote.INSIDE_SOCKET if template else None)
            command = worker_command(mode, files, job, template)
            env = sandbox.sandbox_env(scratch, sandbox.kernel_threads(options.jobs))
            cache = self.warm.get(assignment.name) if mode == "full" else None
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
            verdicts = self._verify(plan, run, uid)
        finally:
            self.slots.put(slot)
        if template and zygote.FALLBACK in run.stderr:
            reason = run.stderr.split(zygote.FALLBACK, 1)[1].strip().splitlines()[0]
            with self.lock:
                if not any(n.startswith("a warm kernel") for n in self.notes):
                    self.notes.append(f"a warm kernel could not be forked, a cold one ran "
                                      f"instead (grades unaffected): {reason}")
        if not run.started and not run.killed:
            detail = scoring.short(run.stderr.strip().splitlines()[-1] if run.stderr.strip()
                                   else f"exit {run.returncode}")
            return SubmissionResult(submission, assignment.name, _rows_all(
                student, assignment, "error", scoring.KERNEL_DID_NOT_START.format(detail=detail),
                flags, mode), scoring.plan_notes(plan))
        if isinstance(verdicts, str):
            return SubmissionResult(submission, assignment.name, _rows_all(
                student, assignment, "error", scoring.GRADER_FAILED.format(
                    detail=scoring.short(verdicts)), flags, mode), scoring.plan_notes(plan))
        scored = scoring.score(plan, assignment, run, student, options, flags, verdicts)
        rows = [Row(r.student, r.assignment, r.question, r.points, r.max_points, r.status,
                    r.reason, r.flags, mode) for r in scored.rows]
        return SubmissionResult(submission, assignment.name, rows,
                                scoring.plan_notes(plan) + scored.notes, timing=_timing(run, plan))

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
        assignment_of = {sub: name for sub, name in _assignment_names(submissions,
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
                    lines = [f"warm-up of {item} failed ({scoring.short(repr(exc))}); its "
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


def _assignment_names(submissions: list[Submission], assignments) -> list[tuple[Submission, str]]:
    """(submission, assignment name) for the readable submissions that answer an assignment."""
    found = []
    for sub in submissions:
        read = read_submission(sub.path)
        assignment = None if read.problem else find_assignment(read, sub, assignments)
        if assignment is not None:
            found.append((sub, assignment.name))
    return found


def assignments_to_warm(submissions: list[Submission], assignments) -> list[str]:
    """The assignments handed in by at least ``warm_cache.MIN_SUBMISSIONS`` readable
    submissions (below that, the warm-up would cost what it saves), sorted."""
    counts: dict[str, int] = {}
    for _, name in _assignment_names(submissions, assignments):
        counts[name] = counts.get(name, 0) + 1
    return sorted(n for n, k in counts.items() if k >= warm_cache.MIN_SUBMISSIONS)


def _one_per_assignment(submissions: list[Submission], assignments) -> tuple[list, dict, dict]:
    """Keep one notebook per student and assignment; notes and flags for the kept ones.

    Preference: a readable notebook, then one named after the assignment, then the shortest
    path, then the first in sorted order (deterministic).
    """
    groups: dict[tuple[str, str], list[tuple[bool, Submission]]] = {}
    for sub in submissions:
        read = read_submission(sub.path)
        found = find_assignment(read, sub, assignments)
        key = (sub.student, found.name if found else f"?{sub.path}")
        groups.setdefault(key, []).append((bool(read.problem), sub))
    kept, notes, flags = [], {}, {}
    for (_, name), items in groups.items():
        subs = [s for _, s in sorted(items, key=lambda item: (
            item[0], item[1].path.stem != name, len(str(item[1].path)), str(item[1].path)))]
        kept.append(subs[0])
        if len(subs) > 1:
            others = ", ".join(f"«{s.path.name}»" for s in subs[1:])
            notes[subs[0]] = [scoring.DUPLICATE.format(chosen=subs[0].path.name, others=others)]
            flags[subs[0]] = ["duplicate-submission"]
    return sorted(kept), notes, flags


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
    submissions = shards.shard(everyone, index, count)
    submissions, notes, flags = _one_per_assignment(submissions, assignments)
    out_folder = OutputFolder(Path(out).parent) if out is not None else None
    feedback_folder = OutputFolder(feedback_dir) if feedback_dir is not None else None
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
        out_folder.write(Path(out).name, gradebook_text(rows_with_submission(results)))
        out_folder.write(shards.manifest_name(Path(out).name), shards.manifest_text(
            everyone, (index, count), Path(out).name,
            os.path.relpath(feedback_dir, Path(out).parent) if feedback_dir else None,
            grader.description))
    return batch


def grade(paths: list[Path], solutions_dir: Path, **kwargs) -> list[SubmissionResult]:
    """Grade every submission under ``paths`` (see :func:`run_grading`); the results."""
    return run_grading(paths, solutions_dir, **kwargs).results
