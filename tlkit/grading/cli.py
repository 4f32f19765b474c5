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
        "grade", help="grade a class: a Moodle or Canvas zip, folders or .ipynb files",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Grade student notebooks against the solution notebooks, each in an "
                    "isolated process,\nand write: a gradebook (one row per question), a wide "
                    "gradebook (one row per student),\nan HTML class report and Spanish feedback "
                    "(HTML + Markdown) per student.\n\n"
                    "Give it the platform's download as it comes, without unzipping:\n"
                    "  Moodle: Ver todas las entregas > Descargar todas las entregas "
                    "(Download all submissions)\n"
                    "  Canvas: the assignment's Download Submissions\n"
                    "students are named and keyed by the platform's id; then `tlkit lms fill` "
                    "puts the grades in the\nplatform's worksheet. Instructor guide (Spanish): "
                    "docs/guia-profesor.md.",
        epilog='example: tlkit grade "Curso-Tarea 4-1234.zip" --assignment 04_entrenar_a_mano '
               '--out notas/notas.csv --feedback notas/retro')
    g.add_argument("submissions", nargs="+", type=Path,
                   help="a Moodle or Canvas download (.zip or its folder), folders of "
                        "notebooks (one per student), or .ipynb files")
    g.add_argument("--solutions", type=Path, default=Path("solutions"),
                   help="folder of solution notebooks (default: solutions)")
    g.add_argument("--out", type=Path, default=Path("gradebook.csv"),
                   help="gradebook CSV to write (default: gradebook.csv; a "
                        "<name>.manifest.json is written beside it for merge-grades)")
    g.add_argument("--feedback", type=Path, default=None,
                   help="folder for per-student feedback (HTML, and a Markdown twin)")
    g.add_argument("--run-id", default="", metavar="ID",
                   help="the run's id, written in the manifest: merge-grades refuses shards of "
                        "different runs (give every shard of one run the same id)")
    g.add_argument("--shard", default=None, metavar="I/N",
                   help="grade only share I of N (1-based) of the sorted students; merge the "
                        "shards with `tlkit merge-grades`")
    add_option_flags(g)
    g.add_argument("--manual", type=Path, default=None, metavar="CSV",
                   help="written answers graded by hand: when CSV does not exist, write it as a "
                        "template (student, question, points, comment) and, beside it, one "
                        "HTML page per exercise with every student's answers; when it exists, "
                        "merge its points and comments (a re-grade keeps them)")
    g.add_argument("--due", default=None, metavar="WHEN",
                   help="due date, ISO (2026-12-05T23:59, a zone like +01:00 optional; a bare "
                        "date means its end): submissions after it are late")
    g.add_argument("--late-penalty", default="none", metavar="RULE",
                   help="with --due: 'zero', '10%%/day' or '10%%/day,cap=50%%' of the points "
                        "earned, per started day (default: none, lateness only recorded)")
    g.add_argument("--worksheet", type=Path, default=None, metavar="CSV",
                   help="with --due: Moodle's grading worksheet, whose 'Last modified "
                        "(submission)' says when each student handed in (Canvas marks late "
                        "files in its download instead)")
    g.set_defaults(func=run_grade)

    m = subparsers.add_parser(
        "merge-grades", help="merge the gradebooks and feedback of `tlkit grade --shard` runs",
        description="Check that shard gradebooks cover the class exactly once, then write one "
                    "gradebook (and one feedback folder).")
    m.add_argument("gradebooks", nargs="+", type=Path, help="gradebook CSV of each shard")
    m.add_argument("--out", type=Path, required=True, help="merged gradebook CSV")
    m.add_argument("--feedback", type=Path, default=None, help="merged feedback folder")
    m.add_argument("--manual", type=Path, default=None, metavar="CSV",
                   help="also merge the written answers graded by hand (the CSV written by "
                        "`tlkit grade --manual`); each changed student's feedback gets them")
    m.add_argument("--run-id", default=None,
                   help="merge only shards graded with this --run-id (the recipes pass theirs)")
    m.set_defaults(func=run_merge)

    from tlkit.grading.options import option_default as default

    gs = subparsers.add_parser(
        "gradescope", help="build a Gradescope autograder zip for one exercise",
        description="Write an autograder zip (setup.sh, run_autograder, the solution and this "
                    "kit) whose run_autograder grades /autograder/submission as `tlkit grade` "
                    "does and writes /autograder/results/results.json.")
    gs.add_argument("solution", type=Path, help="the solution notebook of the exercise")
    gs.add_argument("--out", type=Path, default=Path("autograder.zip"),
                    help="zip to write (default: autograder.zip)")
    gs.add_argument("--frameworks", default="torch,keras",
                    help="frameworks setup.sh installs: torch, keras or both (default %(default)s)")
    gs.add_argument("--hidden-visibility", default="after_due_date",
                    choices=("after_due_date", "hidden", "after_published"),
                    help="when students see hidden tests' results (default %(default)s)")
    gs.add_argument("--profile", default="fast", choices=("fast", "full"),
                    help="TLKIT_PROFILE the submissions run with (default %(default)s)")
    gs.add_argument("--timeout-cell", type=float, default=default("timeout_cell"), metavar="S",
                    help="seconds per student or test cell (default %(default)s)")
    gs.add_argument("--timeout-total", type=float, default=default("timeout_total"),
                    metavar="S", help="seconds per submission (default %(default)s)")
    gs.add_argument("--memory-mb", "--memory", type=int, default=default("memory_mb"),
                    dest="memory", metavar="MB",
                    help="memory of the submission's process tree (default %(default)s)")
    gs.add_argument("--late-penalty", default="", metavar="RULE",
                    help="penalty for submissions after Gradescope's due date: 'zero', "
                         "'10%%/day' or '10%%/day,cap=50%%' (default: none)")
    gs.set_defaults(func=run_gradescope)


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
    for line in report.directives:
        print(f"read '# tlkit:' comment: {args.solutions / line}")
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


def late_settings(due: str | None, penalty: str, worksheet: Path | None):
    """The grader's ``LateSettings`` from the command line (None without ``--due``)."""
    from tlkit.grading.batch.hand_and_late import LateSettings
    from tlkit.grading.late_policy import LatePolicy, parse_due, parse_rule
    from tlkit.grading.lms.submission_times import moodle_submission_times

    if due is None:
        if worksheet is not None or penalty != "none":
            raise ValueError("--late-penalty and --worksheet need --due")
        return None
    when = parse_due(due)
    times = moodle_submission_times(worksheet, when.tzinfo) if worksheet else {}
    return LateSettings(LatePolicy(when, parse_rule(penalty)), times)


def run_grade(args: argparse.Namespace) -> int:
    from tlkit.grading.batch.run import GraderError, run_grading
    from tlkit.grading.safe_text import clean
    from tlkit.grading.sandbox.systemd_scope import enter_if_needed
    from tlkit.grading.reports.outputs import OutputError
    from tlkit.grading.reports.shards import parse_shard
    from tlkit.grading.reports.summary import print_summary

    try:
        shard = parse_shard(args.shard) if args.shard else None
        options = options_from(args)
        late = late_settings(args.due, args.late_penalty, args.worksheet)
        enter_if_needed(lambda text: print(text, file=sys.stderr))
        batch = run_grading(args.submissions, args.solutions, out=args.out,
                            feedback_dir=args.feedback, options=options, shard_spec=shard,
                            manual=args.manual, late=late, run_id=args.run_id)
    except (GraderError, OutputError, ValueError, OSError) as exc:
        print(f"tlkit grade: {clean(str(exc))}", file=sys.stderr)
        return 2
    print_summary(batch)
    from tlkit.grading.intake.downloads import describe_paths

    for line in describe_paths(args.submissions):  # platform, late, superseded attempts
        print(clean(line))
    broken = [r for r in batch.results if any(row.status == "error" for row in r.rows)]
    if broken:
        print(f"tlkit grade: the grader failed on {len(broken)} submission(s) "
              "(status 'error' in the gradebook; the other rows are complete)", file=sys.stderr)
    if batch.warnings:
        print(f"tlkit grade: {len(batch.warnings)} warning(s) above (e.g. a control run that "
              "lost points)", file=sys.stderr)
    return 1 if broken or batch.warnings else 0


def run_merge(args: argparse.Namespace) -> int:
    from tlkit.grading.safe_text import clean
    from tlkit.grading.reports.outputs import OutputError
    from tlkit.grading.reports.shards import MergeError, merge

    try:
        report = merge(args.gradebooks, args.out, args.feedback, manual=args.manual,
                       run_id=args.run_id)
    except (MergeError, OutputError, OSError, ValueError) as exc:
        print(f"tlkit merge-grades: {clean(str(exc))}", file=sys.stderr)
        return 2
    print(f"merged {report['shards']} shard(s): {report['students']} students, "
          f"{report['rows']} rows, {report['feedback']} feedback file(s) -> {args.out}")
    print(f"isolation: {'; '.join(report['isolation'])}")
    return 0


def run_gradescope(args: argparse.Namespace) -> int:
    from tlkit.grading.gradescope.build import GradescopeError, build_autograder
    from tlkit.grading.intake.validate import SolutionError

    frameworks = tuple(f.strip() for f in args.frameworks.split(",") if f.strip())
    try:
        names = build_autograder(args.solution, args.out, frameworks=frameworks,
                                 hidden_visibility=args.hidden_visibility, profile=args.profile,
                                 timeout_cell=args.timeout_cell,
                                 timeout_total=args.timeout_total, memory_mb=args.memory,
                                 late_penalty=args.late_penalty)
    except (GradescopeError, SolutionError, ValueError) as exc:
        print(f"tlkit gradescope: {exc}", file=sys.stderr)
        return 2
    kit = sum(1 for n in names if n.startswith("kit/"))
    print(f"wrote {args.out}: setup.sh, run_autograder, solutions/{args.solution.name}, "
          f"{kit} file(s) of the kit; frameworks: {', '.join(frameworks)}; hidden tests "
          f"visible {args.hidden_visibility}")
    print("Upload it in Gradescope: Configure Autograder → Zip file upload.")
    return 0
