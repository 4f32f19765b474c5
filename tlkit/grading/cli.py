"""``tlkit assign``, ``tlkit grade`` and ``tlkit merge-grades``: parse arguments, call the API.

Every flag of ``grade`` that tunes the run is a field of ``tlkit.grading.options.GradeOptions``,
with the same name, default and help (``add_option_flags``, ``options_from``).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields
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
                   help="gradebook CSV to write (default: gradebook.csv; a "
                        "<name>.manifest.json is written beside it for merge-grades)")
    g.add_argument("--feedback", type=Path, default=None,
                   help="folder for per-student Markdown feedback")
    g.add_argument("--shard", default=None, metavar="I/N",
                   help="grade only share I of N (1-based) of the sorted students; merge the "
                        "shards with `tlkit merge-grades`")
    add_option_flags(g)
    g.set_defaults(func=run_grade)

    m = subparsers.add_parser(
        "merge-grades", help="merge the gradebooks and feedback of `tlkit grade --shard` runs",
        description="Check that shard gradebooks cover the class exactly once, then write one "
                    "gradebook (and one feedback folder).")
    m.add_argument("gradebooks", nargs="+", type=Path, help="gradebook CSV of each shard")
    m.add_argument("--out", type=Path, required=True, help="merged gradebook CSV")
    m.add_argument("--feedback", type=Path, default=None, help="merged feedback folder")
    m.set_defaults(func=run_merge)


def add_option_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per field of ``GradeOptions``, named after it, with its default and help."""
    from tlkit.grading.options import GradeOptions

    for item in fields(GradeOptions):
        meta = dict(item.metadata)
        flag = "--" + item.name.replace("_", "-")
        if isinstance(item.default, bool):
            flags = [f"--no-{flag[2:]}"] if item.default else [flag]
            parser.add_argument(*flags, dest=item.name, default=item.default,
                                action="store_false" if item.default else "store_true",
                                help=meta["help"])
            continue
        kind = type(item.default) if item.default is not None else str
        parser.add_argument(flag, *meta.get("aliases", ()), dest=item.name, type=kind,
                            default=item.default, metavar=meta.get("metavar"),
                            choices=meta.get("choices"),
                            help=meta["help"] + " (default %(default)s)")


def options_from(args: argparse.Namespace):
    """``GradeOptions`` from parsed arguments, field by field."""
    from tlkit.grading.options import GradeOptions

    values = {item.name: getattr(args, item.name) for item in fields(GradeOptions)}
    return GradeOptions(**{**values, "jobs": max(1, values["jobs"])})


def run_assign(args: argparse.Namespace) -> int:
    from tlkit.grading.authoring.assign import assign
    from tlkit.grading.intake.validate import SolutionError

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
    from tlkit.grading.batch.run import GraderError, run_grading
    from tlkit.grading.reports.outputs import OutputError
    from tlkit.grading.reports.shards import parse_shard
    from tlkit.grading.reports.summary import print_summary

    try:
        shard = parse_shard(args.shard) if args.shard else None
        batch = run_grading(args.submissions, args.solutions, out=args.out,
                            feedback_dir=args.feedback, options=options_from(args),
                            shard_spec=shard)
    except (GraderError, OutputError, ValueError) as exc:
        print(f"tlkit grade: {exc}", file=sys.stderr)
        return 2
    print_summary(batch)
    from tlkit.grading.intake.downloads import describe_paths

    for line in describe_paths(args.submissions):  # platform, late, superseded attempts
        print(line)
    broken = [r for r in batch.results if any(row.status == "error" for row in r.rows)]
    if broken or batch.warnings:
        print(f"tlkit grade: the grader failed on {len(broken)} submission(s) "
              "(status 'error' in the gradebook)", file=sys.stderr)
        return 1
    return 0


def run_merge(args: argparse.Namespace) -> int:
    from tlkit.grading.reports.outputs import OutputError
    from tlkit.grading.reports.shards import MergeError, merge

    try:
        report = merge(args.gradebooks, args.out, args.feedback)
    except (MergeError, OutputError, OSError, ValueError) as exc:
        print(f"tlkit merge-grades: {exc}", file=sys.stderr)
        return 2
    print(f"merged {report['shards']} shard(s): {report['students']} students, "
          f"{report['rows']} rows, {report['feedback']} feedback file(s) -> {args.out}")
    print(f"isolation: {'; '.join(report['isolation'])}")
    return 0
