"""``tlkit grade``: run each submission in its own sandboxed worker and score its tests.

Scores come only from the kernel's replies to the solution's test cells (a test passes when
its cell raises nothing), as reported by the worker over a private pipe; nothing the
submission writes to disk is read back.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tlkit.grading import sandbox
from tlkit.grading.assignment import Assignment, load_assignments
from tlkit.grading.feedback import summary_table, write_feedback
from tlkit.grading.gradebook import Row, rows_with_submission, write_gradebook
from tlkit.grading.matching import Plan, build_plan
from tlkit.grading.submissions import Submission, discover, read_submission, safe_name, shard
from tlkit.grading.validate import SolutionError

ERROR_NAMES_UNSOLVED = ("NotImplementedError",)


class GraderError(RuntimeError):
    """The grader itself cannot run (bad solutions, no submissions, no isolation)."""


@dataclass
class GradeOptions:
    """Limits and parallelism of a grading run."""

    timeout_cell: float = 60.0
    timeout_total: float = 600.0
    memory_mb: int = 4096
    jobs: int = 1
    isolation: str = "auto"
    nproc: int = 128
    fsize_mb: int = 256
    output_kb: int = 256


@dataclass
class SubmissionResult:
    """The rows of one submission plus notes for its feedback."""

    submission: Submission
    assignment: str
    rows: list[Row]
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class WorkerRun:
    """What a worker reported: per-cell events, and how it ended."""

    cells: dict[int, dict] = field(default_factory=dict)
    started: bool = False
    done: bool = False
    stuck: bool = False
    killed: bool = False
    returncode: int | None = None
    stderr: str = ""


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


def _rows_all(student, assignment, status, reason, flags=""):
    if assignment is None:
        return [Row(student, "?", "*", 0, 0, status, reason, flags)]
    return [Row(student, assignment.name, t.question, 0, t.points, status, reason, flags)
            for t in assignment.tests]


def _drain(stream, sink, cap: int) -> None:
    """Read a pipe to the end, keeping at most ``cap`` characters (the rest is dropped)."""
    kept = 0
    for raw in iter(lambda: stream.readline(65536), b""):
        if kept < cap:
            text = raw.decode("utf-8", "replace")
            sink(text)
            kept += len(text)


def run_worker(job: dict, *, mode: str, env: dict, total: float) -> WorkerRun:
    """Start the worker in its sandbox, feed it the job, collect its events within ``total``."""
    run = WorkerRun()
    err_parts: list[str] = []

    def on_line(text: str) -> None:
        try:
            event = json.loads(text)
        except ValueError:
            return
        kind = event.get("event")
        if kind == "kernel":
            run.started = True
        elif kind == "cell":
            run.cells[int(event["index"])] = event
        elif kind == "stuck":
            run.stuck = True
        elif kind == "done":
            run.done = True

    cmd = sandbox.wrapper_command(mode) + [sys.executable, "-m", "tlkit.grading.worker"]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, cwd=job["cwd"],
                            start_new_session=True)
    readers = [threading.Thread(target=_drain, args=(proc.stdout, on_line, 50_000_000),
                                daemon=True),
               threading.Thread(target=_drain, args=(proc.stderr, err_parts.append, 20000),
                                daemon=True)]
    for reader in readers:
        reader.start()
    try:
        proc.stdin.write(json.dumps(job).encode("utf-8"))
        proc.stdin.close()
    except BrokenPipeError:
        pass
    try:
        run.returncode = proc.wait(timeout=total)
    except subprocess.TimeoutExpired:
        run.killed = True
    finally:
        try:  # the worker's session; in full mode unshare's child takes the whole namespace
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        if run.returncode is None:
            run.returncode = proc.wait()
        for reader in readers:
            reader.join(timeout=5)
    run.stderr = "".join(err_parts)[-12000:]
    return run


def _short(text: str, cap: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= cap else text[:cap] + "…"


def _error(event: dict) -> str:
    return _short(f"{event.get('ename', '')}: {event.get('evalue', '')}".strip(": "))


def score(plan: Plan, assignment: Assignment, run: WorkerRun, student: str,
          options: GradeOptions, flags: str) -> tuple[list[Row], list[str]]:
    """Rows for each test of ``assignment`` from the worker's per-cell events."""
    tests = {t.id: t for t in assignment.tests}
    rows, notes = [], []
    last_student: dict | None = None
    given_error = ""  # the first error in a cell of the statement: it explains what follows
    lost = "el kernel se detuvo antes de esta prueba"
    for index, step in enumerate(plan.steps):
        event = run.cells.get(index)
        if step.kind in ("student", "extra"):
            last_student = event
            if event and event["status"] == "timeout":
                notes.append(f"Una celda tuya superó el límite de {options.timeout_cell:g} s "
                             "(¿un bucle infinito?) y se interrumpió.")
            if event and event.get("truncated"):
                notes.append("Una celda tuya escribió demasiada salida: se ha recortado.")
        if step.kind == "given" and event and event["status"] == "error" and not given_error:
            given_error = _error(event)
            notes.append(f"Una celda del enunciado falló ({given_error}); lo que depende de ella "
                         "falla también. Si no la cambiaste, avisa a tu profesor.")
        if event and event["status"] == "dead":
            lost = (f"el kernel se detuvo en una celda anterior ({step.kind}): "
                    "os._exit, fallo de segmentación o memoria agotada")
        if step.kind != "test":
            continue
        test = tests[step.ref]
        status, points, reason = "failed", 0.0, ""
        mine = last_student or {}
        if event is None:
            if run.killed:
                status, reason = "timeout", (f"se agotó el tiempo total de "
                                             f"{options.timeout_total:g} s por entrega")
            elif run.stuck:
                status, reason = "timeout", ("el kernel no respondía tras superar el límite "
                                             "de tiempo (¿bucle que ignora la interrupción?)")
            else:
                status, reason = "crashed", lost
        elif event["status"] == "ok":
            status, points = "passed", test.points
        elif event["status"] == "dead":
            status, reason = "crashed", "el kernel se detuvo durante la prueba"
        elif event["status"] == "timeout":
            status, reason = "timeout", f"la prueba superó el límite de {options.timeout_cell:g} s"
        elif event.get("ename") in ERROR_NAMES_UNSOLVED or mine.get("ename") in ERROR_NAMES_UNSOLVED:
            status, reason = "unsolved", "sin resolver (NotImplementedError)"
        elif mine.get("status") == "timeout":
            status, reason = "timeout", (f"tu celda superó el límite de {options.timeout_cell:g}"
                                         f" s; la prueba falló: {_error(event)}")
        elif mine.get("status") == "error":
            reason = f"error en tu celda: {_error(mine)}; la prueba falló: {_error(event)}"
        else:
            reason = _error(event)
        if given_error and status != "passed":
            reason += f"; antes falló una celda del enunciado: {given_error}"
        rows.append(Row(student, assignment.name, test.question, points, test.points, status,
                        reason, flags))
    return rows, list(dict.fromkeys(notes))


class Grader:
    """Grades submissions against loaded assignments, one sandboxed worker each."""

    def __init__(self, assignments: dict[str, Assignment], solutions_dir: Path,
                 options: GradeOptions):
        self.assignments = assignments
        self.solutions_dir = Path(solutions_dir)
        self.options = options
        try:
            self.mode = sandbox.resolve_isolation(options.isolation)
        except sandbox.IsolationError as exc:
            raise GraderError(str(exc)) from exc
        self.hide = sandbox.paths_to_hide(self.solutions_dir) if self.mode == "full" else []
        self.expose = sandbox.needed_paths() if self.mode == "full" else []
        self.root = Path(tempfile.mkdtemp(prefix="tlkit-grade-"))
        os.chmod(self.root, 0o711)
        self.slots: queue.Queue[int] = queue.Queue()
        for slot in range(max(1, options.jobs)):
            self.slots.put(slot)
        self.counter = 0
        self.lock = threading.Lock()

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def _uid(self, slot: int) -> int | None:
        """The slot's throw-away uid: always in full mode; in basic mode when it works."""
        if os.geteuid() != 0:
            return None
        return sandbox.slot_uid(slot) if sandbox.process_cap_enforced(self.mode) else None

    def _job_dir(self, submission: Submission, uid: int | None) -> tuple[Path, Path]:
        with self.lock:
            self.counter += 1
            number = self.counter
        job_dir = self.root / f"{number:04d}-{safe_name(submission.student)}"
        work = job_dir / "work"
        for folder in (job_dir, work, job_dir / "runtime", job_dir / "jupyter",
                       job_dir / "config", job_dir / "ipython"):
            folder.mkdir(mode=0o700)
            if uid is not None:
                os.chown(folder, uid, uid)
        return job_dir, work

    def _copy_files(self, assignment: Assignment, work: Path, uid: int | None) -> None:
        """Copy the data files the solution's metadata lists (``tlkit.files``) to the scratch."""
        for rel in assignment.files:
            src = (self.solutions_dir / rel).resolve()
            if self.solutions_dir.resolve() not in src.parents or not src.is_file():
                continue
            dst = work / Path(rel).name
            shutil.copyfile(src, dst)
            if uid is not None:
                os.chown(dst, uid, uid)

    def grade_one(self, submission: Submission) -> SubmissionResult:
        """Grade one submission; never raises for anything the submission does."""
        start = time.monotonic()
        try:
            result = self._grade(submission)
        except Exception as exc:  # noqa: BLE001 - a grader bug must not stop the batch
            result = SubmissionResult(submission, "?", _rows_all(
                submission.student, None, "error", f"fallo del corrector: {exc!r}"))
        result.seconds = time.monotonic() - start
        return result

    def _grade(self, submission: Submission) -> SubmissionResult:
        read = read_submission(submission.path)
        assignment = find_assignment(read, submission, self.assignments)
        student = submission.student
        if read.problem:
            return SubmissionResult(submission, assignment.name if assignment else "?",
                                    _rows_all(student, assignment, "invalid", read.problem),
                                    [f"No se pudo corregir la entrega: {read.problem}."])
        if assignment is None:
            reason = ("no se sabe a qué ejercicio corresponde: conserva el nombre del notebook "
                      f"({', '.join(sorted(self.assignments))})")
            return SubmissionResult(submission, "?", _rows_all(student, None, "invalid", reason))
        plan = build_plan(assignment, read.cells)
        flags = " ".join(plan.flags())
        slot = self.slots.get()
        try:
            uid = self._uid(slot)
            job_dir, work = self._job_dir(submission, uid)
            try:
                self._copy_files(assignment, work, uid)
                options = self.options
                job = {"sources": [s.source for s in plan.steps], "cwd": str(work),
                       "timeout_cell": options.timeout_cell, "isolation": self.mode,
                       "hide": self.hide, "uid": uid, "expose": self.expose,
                       "stage": str(job_dir / "stage"), "output_cap": options.output_kb * 1024,
                       "limits": {"memory_mb": options.memory_mb, "nproc": options.nproc,
                                  "fsize_mb": options.fsize_mb,
                                  "cpu_s": int(options.timeout_total) + 10}}
                run = run_worker(job, mode=self.mode, env=sandbox.sandbox_env(job_dir, work),
                                 total=options.timeout_total)
            finally:
                shutil.rmtree(job_dir, ignore_errors=True)
        finally:
            self.slots.put(slot)
        if not run.started and not run.killed:
            detail = _short(run.stderr.strip().splitlines()[-1] if run.stderr.strip() else
                            f"exit {run.returncode}")
            return SubmissionResult(submission, assignment.name, _rows_all(
                student, assignment, "error", f"no arrancó el kernel del corrector: {detail}",
                flags), plan.notes())
        rows, notes = score(plan, assignment, run, student, self.options, flags)
        return SubmissionResult(submission, assignment.name, rows, plan.notes() + notes)


def grade(paths: list[Path], solutions_dir: Path, *, out: Path | None = None,
          feedback_dir: Path | None = None, options: GradeOptions | None = None,
          shard_spec: tuple[int, int] | None = None) -> list[SubmissionResult]:
    """Grade every submission under ``paths``; write the gradebook and feedback if asked."""
    options = options or GradeOptions()
    solutions_dir = Path(solutions_dir)
    if not solutions_dir.is_dir():
        raise GraderError(f"solutions folder not found: {solutions_dir}")
    try:
        assignments = load_assignments(solutions_dir)
        submissions = discover(paths)
    except (SolutionError, FileNotFoundError, ValueError) as exc:
        raise GraderError(str(exc)) from exc
    if not assignments:
        raise GraderError(f"no solution notebooks in {solutions_dir}")
    if shard_spec:
        submissions = shard(submissions, *shard_spec)
    grader = Grader(assignments, solutions_dir, options)
    try:
        with ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
            results = list(pool.map(grader.grade_one, submissions))
    finally:
        grader.close()
    if out is not None:
        write_gradebook(rows_with_submission(results), out)
    if feedback_dir is not None:
        write_feedback(results, feedback_dir)
    return results


def print_summary(results: list[SubmissionResult], *, out=None, feedback_dir=None,
                  stream=None) -> None:
    """Print the per-submission table and where the gradebook and feedback went."""
    stream = stream or sys.stdout
    rows = [row for r in results for row in r.rows]
    if rows:
        print(summary_table(rows), file=stream)
    seconds = sum(r.seconds for r in results)
    print(f"\n{len(results)} submission(s) graded ({seconds:.1f} s of worker time)",
          file=stream)
    if out:
        print(f"gradebook: {out}", file=stream)
    if feedback_dir:
        print(f"feedback: {feedback_dir}/", file=stream)
