"""``tlkit assign`` and ``tlkit grade`` sub-commands: parse arguments, call the Python API."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_commands(subparsers) -> None:
    """Register ``assign`` and ``grade`` on the ``tlkit`` command."""
    p = subparsers.add_parser(
        "assign", help="build exercises/ (student versions) from solutions/",
        description="Generate the student notebooks from the solution notebooks, "
                    "deterministically. With --check, write nothing and fail when stale.")
    p.add_argument("solutions", type=Path, help="folder of solution notebooks")
    p.add_argument("exercises", type=Path, help="folder of generated exercise notebooks")
    p.add_argument("--check", action="store_true",
                   help="exit 1 listing stale, missing or extra files; write nothing")
    p.set_defaults(func=run_assign)

    g = subparsers.add_parser(
        "grade", help="grade submitted notebooks in isolated processes",
        description="Grade student notebooks (files or folders of .ipynb) against the "
                    "solution notebooks; write a CSV gradebook and Spanish feedback.")
    g.add_argument("submissions", nargs="+", type=Path, help=".ipynb files or folders")
    g.add_argument("--solutions", type=Path, default=Path("solutions"),
                   help="folder of solution notebooks (default: solutions)")
    g.add_argument("--out", type=Path, default=Path("gradebook.csv"),
                   help="gradebook CSV to write (default: gradebook.csv)")
    g.add_argument("--feedback", type=Path, default=None,
                   help="folder for per-student Markdown feedback")
    g.add_argument("-j", "--jobs", type=int, default=1, help="submissions graded in parallel")
    g.add_argument("--shard", default=None, metavar="I/N",
                   help="grade only share I of N (1-based) of the sorted submissions")
    g.add_argument("--timeout-cell", type=float, default=60.0, metavar="S",
                   help="seconds per cell (default 60)")
    g.add_argument("--timeout-total", type=float, default=600.0, metavar="S",
                   help="seconds per submission (default 600)")
    g.add_argument("--memory", type=int, default=4096, metavar="MB",
                   help="memory the kernel may allocate (RLIMIT_DATA) in MB, 0 for none (default 4096)")
    g.add_argument("--max-procs", type=int, default=128, metavar="N",
                   help="processes and threads the kernel may own (RLIMIT_NPROC, default 128)")
    g.add_argument("--isolation", choices=("auto", "full", "basic"), default="auto",
                   help="full: namespaces + own uid (needs root and unshare); basic: "
                        "limits and scratch folder only; auto picks full when possible")
    g.set_defaults(func=run_grade)


def run_assign(args: argparse.Namespace) -> int:
    from tlkit.grading.assign import assign
    from tlkit.grading.validate import SolutionError

    try:
        report = assign(args.solutions, args.exercises, check=args.check)
    except (SolutionError, FileNotFoundError, ValueError) as exc:
        print(f"tlkit assign: {exc}", file=sys.stderr)
        return 2
    if args.check:
        for name in report.stale:
            print(f"stale: {args.exercises / name} (run: tlkit assign "
                  f"{args.solutions} {args.exercises})")
        for name in report.extra:
            print(f"extra: {args.exercises / name} (no solution notebook generates it)")
        if not report.fresh:
            return 1
        print(f"{args.exercises}: {len(report.unchanged)} exercise notebook(s) up to date")
        return 0
    for name in report.written:
        print(f"wrote {args.exercises / name}")
    for name in report.extra:
        print(f"removed {args.exercises / name}" if name.endswith(".ipynb")
              else f"left extra file {args.exercises / name}")
    print(f"{len(report.written)} written, {len(report.unchanged)} unchanged")
    return 0


def run_grade(args: argparse.Namespace) -> int:
    from tlkit.grading.grade import GradeOptions, GraderError, grade, print_summary
    from tlkit.grading.submissions import parse_shard

    try:
        shard = parse_shard(args.shard) if args.shard else None
        options = GradeOptions(timeout_cell=args.timeout_cell, timeout_total=args.timeout_total,
                               memory_mb=args.memory, jobs=max(1, args.jobs),
                               isolation=args.isolation, nproc=args.max_procs)
        results = grade(args.submissions, args.solutions, out=args.out,
                        feedback_dir=args.feedback, options=options, shard_spec=shard)
    except GraderError as exc:
        print(f"tlkit grade: {exc}", file=sys.stderr)
        return 2
    print_summary(results, out=args.out, feedback_dir=args.feedback)
    from tlkit.grading.lms.detect import describe_paths

    for line in describe_paths(args.submissions):  # platform, late, superseded attempts
        print(line)
    broken = [r for r in results if any(row.status == "error" for row in r.rows)]
    if broken:
        print(f"tlkit grade: the grader failed on {len(broken)} submission(s) "
              "(status 'error' in the gradebook)", file=sys.stderr)
        return 1
    return 0
