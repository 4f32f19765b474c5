"""Grading throughput on the real exercises: where a submission's seconds go, submissions/min.

Not a test. Run: ``.venv/bin/python benchmarks/grading_throughput.py [--copies N] [--jobs J]``.
Grades N copies of each solution in ``solutions/`` and of each generated exercise in
``exercises/`` (an untouched student notebook), with the grader's default isolation and limits,
and prints per-phase seconds (kernel start, given cells, student cells, tests, the grader's
tamper probes), the rate at ``-j 1`` and ``-j J``, and their ratio, all measured in one run.
The verdicts must be the expected ones (solutions full marks, exercises 0) or it stops.
In full isolation the grader first runs each solution once to fill the shared warm cache (the
control run, see docs/grading.md): that time is inside the measured batch time, and its runs
are printed as ``warm-up`` rows of the table. ``--no-j1`` measures only ``-j J`` (a larger
class for the same machine time; the table then comes from that run).
``--baseline DIR`` also grades the same class with the tlkit package found in ``DIR`` (e.g. an
older commit: ``git archive <commit> tlkit | tar -x -C DIR``) in a subprocess, and prints the
ratio of the two rates at ``-j J``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tlkit.grading.grade import run_grading
from tlkit.grading.options import GradeOptions
from tlkit.grading.sandbox import full_isolation_available

ROOT = Path(__file__).resolve().parents[1]
PHASES = ("kernel", "given", "student", "extra", "test", "probe", "preamble", "canary")


def make_class(folder: Path, copies: int) -> None:
    """``folder/<kind>-<k>/<exercise>.ipynb``: solved and untouched notebooks."""
    for k in range(copies):
        for kind, source in (("resuelto", ROOT / "solutions"), ("sin-resolver", ROOT / "exercises")):
            student = folder / f"{kind}-{k:02d}"
            student.mkdir(parents=True)
            for notebook in sorted(source.glob("*.ipynb")):
                shutil.copy(notebook, student / notebook.name)


def measure(folder: Path, jobs: int) -> tuple[float, list, list]:
    """Seconds to grade the class with ``jobs`` workers (warm-up included), the results
    (verdicts checked) and the warm-up runs."""
    options = GradeOptions(jobs=jobs, timeout_cell=300, timeout_total=900,
                           isolation="full" if full_isolation_available() else "basic")
    start = time.perf_counter()
    batch = run_grading([folder], ROOT / "solutions", options=options)
    elapsed = time.perf_counter() - start
    for result in batch.results:
        got = sum(r.points for r in result.rows)
        top = sum(r.max_points for r in result.rows)
        solved = result.submission.student.startswith("resuelto")
        if (got != top) if solved else (got != 0 or any(r.status == "error" for r in result.rows)):
            raise SystemExit(f"unexpected verdict: {result.submission} {result.rows}")
    for line in batch.warnings:
        print(f"grader warning: {line}")
    return elapsed, batch.results, batch.warm_up


BASELINE = """
import json, sys, time
from pathlib import Path
from tlkit.grading.grade import GradeOptions, grade
start = time.perf_counter()
results = grade([Path(sys.argv[1])], Path(sys.argv[2]), options=GradeOptions(
    jobs=int(sys.argv[3]), timeout_cell=300, timeout_total=900))
points = {r.submission.student + "/" + r.assignment: sum(x.points for x in r.rows) for r in results}
print(json.dumps({"seconds": time.perf_counter() - start, "count": len(results), "points": points}))
"""


def measure_baseline(folder: Path, jobs: int, package_dir: Path) -> tuple[float, int, dict]:
    """Seconds, count and points per student/assignment for another tlkit's grader (its own
    API) on the same class."""
    env = {**os.environ, "PYTHONPATH": str(package_dir)}
    out = subprocess.run([sys.executable, "-c", BASELINE, str(folder), str(ROOT / "solutions"),
                          str(jobs)], env=env, capture_output=True, text=True, check=True)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return data["seconds"], data["count"], data["points"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=1, help="copies of each notebook (default 1)")
    parser.add_argument("--jobs", type=int, default=2, help="parallel jobs to compare with -j 1")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="folder holding another tlkit package to compare with")
    parser.add_argument("--no-j1", action="store_true", help="measure only at -j JOBS")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tlkit-bench-") as tmp:
        folder = Path(tmp)
        make_class(folder, args.copies)
        rates = {}
        for jobs in ((args.jobs,) if args.no_j1 else (1, args.jobs)):
            seconds, results, warm_up = measure(folder, jobs)
            points = {r.submission.student + "/" + r.assignment: sum(x.points for x in r.rows)
                      for r in results}
            rates[jobs] = len(results) / seconds * 60
            warm = sum(r.seconds for r in warm_up)
            print(f"-j {jobs}: {len(results)} submissions in {seconds:.1f} s (warm-up included: "
                  f"{len(warm_up)} solution run(s), {warm:.1f} s of worker time) = "
                  f"{rates[jobs]:.1f} submissions/min")
            if jobs == 1 or args.no_j1:
                print(f"{'assignment':<28} {'kind':<13} {'total':>6} "
                      + " ".join(f"{p:>8}" for p in PHASES))
                rows = [(r, "warm-up") for r in warm_up] + [
                    (r, r.submission.student.rsplit("-", 1)[0]) for r in results]
                for r, kind in sorted(rows, key=lambda item: (item[0].assignment, item[1] != "warm-up",
                                                              item[0].submission.student)):
                    print(f"{r.assignment:<28} {kind:<13} {r.seconds:6.1f} "
                          + " ".join(f"{r.timing.get(p, 0.0):8.2f}" for p in PHASES))
        if not args.no_j1:
            print(f"speed-up -j {args.jobs} / -j 1: {rates[args.jobs] / rates[1]:.2f}x")
        if args.baseline:
            seconds, count, base_points = measure_baseline(folder, args.jobs, args.baseline)
            differ = sorted(k for k in points if base_points.get(k) != points[k])
            print(f"baseline verdicts: {len(points) - len(differ)} of {len(points)} equal to "
                  f"this grader's" + (f"; different: {', '.join(differ)}" if differ else ""))
            base = count / seconds * 60
            print(f"baseline ({args.baseline}) -j {args.jobs}: {count} submissions in "
                  f"{seconds:.1f} s = {base:.1f} submissions/min; this grader / baseline: "
                  f"{rates[args.jobs] / base:.2f}x")


if __name__ == "__main__":
    main()
