"""Grading throughput on the real exercises: where a submission's seconds go, submissions/min.

Not a test. Run: ``.venv/bin/python benchmarks/grading_throughput.py [--copies N] [--jobs J]``.
Grades N copies of each exercise in ``exercises/`` solved (the generated exercise with the
solution's code in its answer cells: what a student who solved it hands in) and untouched, in
the ``--profile`` (default ``full``, what a course grades in), with the grader's default
isolation and limits,
and prints per-phase seconds (kernel start, given cells, student cells, tests, the grader's
tamper probes), the rate at ``-j 1`` and ``-j J``, and their ratio, all measured in one run.
The verdicts must be the expected ones (solved full marks, untouched 0) or it stops, and the
baseline must give every submission the same points.
In full isolation the grader first runs each solution once to fill the shared warm cache (the
control run, see docs/grading.md): that time is inside the measured batch time, and its runs
are printed as ``warm-up`` rows of the table. ``--no-j1`` measures only ``-j J`` (a larger
class for the same machine time; the table then comes from that run).
``--regrade`` keeps the warm caches of the ``-j J`` run (``--keep-warm-cache``) and grades the
class once more with them: what re-grading or late submissions cost.
``--baseline DIR`` also grades the same class with the tlkit package found in ``DIR`` (e.g. an
older commit: ``git archive <commit> tlkit | tar -x -C DIR``) in a subprocess, and prints the
ratio of the two rates at ``-j J``.
"""

from __future__ import annotations

import argparse
import json
import re
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tlkit.grading import run_grading
from tlkit.grading.options import GradeOptions
from tlkit.grading.sandbox.isolation import full_isolation_available

ROOT = Path(__file__).resolve().parents[1]
PHASES = ("kernel", "given", "student", "extra", "test", "probe", "preamble", "canary")


MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")


def solved(exercise: Path, solution: Path) -> dict:
    """The exercise notebook with each answer cell holding the solution's code (markers
    dropped): a solved submission, without the solution's hidden test cells."""
    answers = {}
    for cell in json.loads(solution.read_text(encoding="utf-8"))["cells"]:
        source = "".join(cell["source"])
        if "### BEGIN SOLUTION" in source:
            answers[cell.get("id")] = "\n".join(
                line for line in source.splitlines() if not MARKER.match(line))
    nb = json.loads(exercise.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell.get("id") in answers:
            cell["source"] = answers[cell["id"]]
    return nb


def make_class(folder: Path, copies: int) -> None:
    """``folder/<kind>-<k>/<exercise>.ipynb``: solved and untouched notebooks."""
    for k in range(copies):
        for kind in ("resuelto", "sin-resolver"):
            student = folder / f"{kind}-{k:02d}"
            student.mkdir(parents=True)
            for exercise in sorted((ROOT / "exercises").glob("*.ipynb")):
                if kind == "resuelto":
                    nb = solved(exercise, ROOT / "solutions" / exercise.name)
                    (student / exercise.name).write_text(json.dumps(nb), encoding="utf-8")
                else:
                    shutil.copy(exercise, student / exercise.name)


def measure(folder: Path, jobs: int, kept: Path | None = None) -> tuple[float, list, list]:
    """Seconds to grade the class with ``jobs`` workers (warm-up included), the results
    (verdicts checked) and the warm-up runs; ``kept``: the folder of kept warm caches."""
    options = GradeOptions(jobs=jobs, timeout_cell=300, timeout_total=900,
                           isolation="full" if full_isolation_available() else "basic",
                           keep_warm_cache=str(kept) if kept else None)
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
import tlkit
from tlkit.grading.options import GradeOptions
try:
    from tlkit.grading.grade import grade  # trees before the one by runtime
except ImportError:
    from tlkit.grading import grade  # the package face
start = time.perf_counter()
results = grade([Path(sys.argv[1])], Path(sys.argv[2]), options=GradeOptions(
    jobs=int(sys.argv[3]), timeout_cell=300, timeout_total=900))
points = {r.submission.student + "/" + r.assignment: sum(x.points for x in r.rows) for r in results}
seconds = {r.submission.student + "/" + r.assignment: r.seconds for r in results}
print(json.dumps({"seconds": time.perf_counter() - start, "count": len(results), "points": points,
                  "each": seconds, "tlkit": str(Path(tlkit.__file__).parent)}))
"""


def measure_baseline(folder: Path, jobs: int, package_dir: Path) -> dict:
    """Seconds, count, points and per-submission seconds of another tlkit's grader (its own
    API) on the same class."""
    env = {**os.environ, "PYTHONPATH": str(package_dir)}
    out = subprocess.run([sys.executable, "-c", BASELINE, str(folder), str(ROOT / "solutions"),
                          str(jobs)], env=env, capture_output=True, text=True, check=True,
                         cwd=package_dir)  # `python -c` puts the cwd first on sys.path
    data = json.loads(out.stdout.strip().splitlines()[-1])
    if Path(data["tlkit"]).resolve() != (Path(package_dir) / "tlkit").resolve():
        raise SystemExit(f"the baseline imported {data['tlkit']}, not {package_dir}/tlkit")
    return data


def key(result) -> str:
    return result.submission.student + "/" + result.assignment


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=1, help="copies of each notebook (default 1)")
    parser.add_argument("--jobs", type=int, default=2, help="parallel jobs to compare with -j 1")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="folder holding another tlkit package to compare with")
    parser.add_argument("--no-j1", action="store_true", help="measure only at -j JOBS")
    parser.add_argument("--regrade", action="store_true",
                        help="keep the warm caches of the -j JOBS run and grade the class once more "
                             "(a re-grade: the kept caches replace the warm-up)")
    parser.add_argument("--profile", choices=("full", "fast"), default="full",
                        help="course profile the kernels run in (default full)")
    args = parser.parse_args()
    os.environ["TLKIT_PROFILE"] = args.profile  # passed into every sandbox, both graders
    print(f"profile {args.profile}, {args.copies} copies of each exercise solved and untouched")
    with tempfile.TemporaryDirectory(prefix="tlkit-bench-") as tmp:
        folder = Path(tmp)
        make_class(folder, args.copies)
        rates = {}
        kept = Path(tmp + "-kept") if args.regrade else None  # the warm caches kept for --regrade
        for jobs in ((args.jobs,) if args.no_j1 else (1, args.jobs)):
            seconds, results, warm_up = measure(folder, jobs, kept if jobs == args.jobs else None)
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
        if args.regrade:
            try:
                seconds, again, warm_up = measure(folder, args.jobs, kept)
            finally:
                shutil.rmtree(kept, ignore_errors=True)
            print(f"re-grade with kept warm caches, -j {args.jobs}: {len(again)} submissions in "
                  f"{seconds:.1f} s ({len(warm_up)} warm-up(s)) = {len(again) / seconds * 60:.1f} "
                  f"submissions/min")
        if args.baseline:
            data = measure_baseline(folder, args.jobs, args.baseline)
            base = data["count"] / data["seconds"] * 60
            differ = {key(r): (sum(x.points for x in r.rows), data["points"].get(key(r)))
                      for r in results if sum(x.points for x in r.rows) != data["points"].get(key(r))}
            print(f"baseline ({args.baseline}) -j {args.jobs}: {data['count']} submissions in "
                  f"{data['seconds']:.1f} s = {base:.1f} submissions/min; this grader / baseline: "
                  f"{rates[args.jobs] / base:.2f}x; verdicts "
                  + ("identical" if not differ else f"DIFFER: {differ}"))
            print(f"{'assignment':<28} {'kind':<13} {'this':>7} {'baseline':>9} {'ratio':>6}  "
                  f"(mean seconds per submission at -j {args.jobs})")
            groups: dict[tuple[str, str], list[tuple[float, float]]] = {}
            for r in results:
                kind = r.submission.student.rsplit("-", 1)[0]
                groups.setdefault((r.assignment, kind), []).append((r.seconds, data["each"][key(r)]))
            for (assignment, kind), pairs in sorted(groups.items()):
                new, old = (sum(p[i] for p in pairs) / len(pairs) for i in (0, 1))
                print(f"{assignment:<28} {kind:<13} {new:7.1f} {old:9.1f} {old / new:5.1f}x")
            if differ:
                raise SystemExit("the baseline grades some submissions differently")


if __name__ == "__main__":
    main()
