"""Grading throughput on the example assignment: submissions per minute at -j 1 and -j 2.

Not a test. Run: ``.venv/bin/python benchmarks/grading_throughput.py [--copies N]``. Grades N
copies each of the correct, partial and unsolved example submissions (3N notebooks) once per
job count, and prints the rates and their ratio.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from tlkit.grading.grade import GradeOptions, grade
from tlkit.grading.sandbox import resolve_isolation

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "grading"
KINDS = ("correct", "partial", "unsolved")


def make_copies(folder: Path, copies: int) -> None:
    """``folder/<kind>-<k>.ipynb`` for each example submission kind."""
    for kind in KINDS:
        for k in range(copies):
            shutil.copy(FIXTURES / "submissions" / f"submission-{kind}.ipynb",
                        folder / f"{kind}-{k:03d}.ipynb")


def measure(folder: Path, jobs: int) -> tuple[float, int]:
    """Seconds to grade every notebook in ``folder`` with ``jobs`` workers, and their count."""
    options = GradeOptions(timeout_cell=30, timeout_total=120, memory_mb=1024, jobs=jobs)
    start = time.perf_counter()
    results = grade([folder], FIXTURES / "solutions", options=options)
    elapsed = time.perf_counter() - start
    wrong = [r for r in results for row in r.rows if row.status in ("error", "crashed")]
    if wrong:
        raise SystemExit(f"grader problem: {wrong[0].rows}")
    return elapsed, len(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=4, help="copies of each kind (default 4)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tlkit-bench-") as tmp:
        folder = Path(tmp)
        make_copies(folder, args.copies)
        print(f"isolation: {resolve_isolation('auto')}; {3 * args.copies} submissions per run")
        rates = {}
        for jobs in (1, 2):
            seconds, count = measure(folder, jobs)
            rates[jobs] = count / seconds * 60
            print(f"-j {jobs}: {count} submissions in {seconds:.1f} s = "
                  f"{rates[jobs]:.1f} submissions/min")
        print(f"speed-up -j 2 / -j 1: {rates[2] / rates[1]:.2f}x")


if __name__ == "__main__":
    main()
