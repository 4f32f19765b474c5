"""``tlkit lms fill``: grades (and feedback) back into the course platform's own files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_commands(subparsers) -> None:
    """Register ``lms`` (sub-command ``fill``) on the ``tlkit`` command."""
    lms = subparsers.add_parser("lms", help="send grades back to Moodle or Canvas",
                                description="Round trip with the course's platform.")
    sub = lms.add_subparsers(dest="lms_command", metavar="ACTION", required=True)
    f = sub.add_parser(
        "fill", help="fill the platform's grade file from a gradebook",
        description="Copy a Moodle grading worksheet or a Canvas gradebook export, filling "
                    "each graded student's grade (scaled to the platform's maximum) and, for "
                    "Moodle, a Spanish feedback comment. Other rows and fields stay byte for "
                    "byte as they were.")
    f.add_argument("worksheet", type=Path, help="the CSV downloaded from Moodle or Canvas")
    f.add_argument("--gradebook", type=Path, default=Path("gradebook.csv"),
                   help="gradebook written by tlkit grade (default: gradebook.csv)")
    f.add_argument("--out", type=Path, required=True, help="the filled copy to upload")
    f.add_argument("--assignment", default=None,
                   help="which assignment's totals (needed when the gradebook holds several)")
    f.add_argument("--column", default=None,
                   help="Canvas: the gradebook column, e.g. 'Ejemplo (1234)' (default: the "
                        "one named like the assignment)")
    f.add_argument("--feedback-zip", type=Path, default=None,
                   help="Moodle: also write per-student feedback files in a zip for "
                        "'Upload multiple feedback files in a zip' ('Subir múltiples archivos de "
                        "retroalimentación en un ZIP'): the pages tlkit grade --feedback wrote")
    f.add_argument("--manual", type=Path, default=None, metavar="CSV",
                   help="merge the written answers graded by hand (the CSV `tlkit grade "
                        "--manual` wrote as a template) before filling")
    f.set_defaults(func=run_fill)


def run_fill(args: argparse.Namespace) -> int:
    from tlkit.grading.reports.gradebook import read_gradebook
    from tlkit.grading.lms.feedback_zip import feedback_folder, write_moodle_feedback_zip
    from tlkit.grading.lms.worksheet import WorksheetError, fill_worksheet, student_grades
    from tlkit.grading.reports.manual_grades import ManualError, with_manual

    try:
        rows = read_gradebook(args.gradebook)
        if args.manual is not None:
            rows = with_manual(rows, args.manual)
        report = fill_worksheet(args.worksheet, rows, args.out, assignment=args.assignment,
                                column=args.column)
    except (OSError, KeyError, ValueError, WorksheetError, ManualError) as exc:
        detail = f"missing column {exc}" if isinstance(exc, KeyError) else str(exc)
        print(f"tlkit lms fill: {detail}", file=sys.stderr)
        return 2
    for sid, name, grade in report.filled:
        print(f"{name} ({sid or 'no id'}): {grade}")
    print(f"{args.out}: {len(report.filled)} grade(s) filled in a {report.platform} file, "
          f"{report.untouched_rows} row(s) without a graded submission left blank"
          + (":" if report.untouched else ""))
    for who in report.untouched:
        print(f"  left blank (no graded submission): {who}")
    for text in report.replaced:
        print(f"replaced a grade already in the file: {text}")
    for text in report.not_changed:
        print(f"not changed: {text}", file=sys.stderr)
    for grade in report.not_in_worksheet:
        print(f"NOT IN THE WORKSHEET: {grade.student} ({grade.student_id or 'no id'}), "
              f"{grade.assignment} {grade.points:g}/{grade.max_points:g}: enter it by hand",
              file=sys.stderr)
    if args.feedback_zip is not None:
        grades = student_grades(rows, args.assignment)
        folder = feedback_folder(args.gradebook)
        skipped, rebuilt = write_moodle_feedback_zip(grades, args.feedback_zip, folder)
        print(f"{args.feedback_zip}: feedback for {len(grades) - len(skipped)} student(s)"
              + (f", the pages tlkit grade wrote in {folder}" if folder else ""))
        for name in skipped:
            print(f"no feedback file for {name}: no Moodle participant id", file=sys.stderr)
        if rebuilt:
            print(f"feedback rebuilt from the gradebook (no page from `tlkit grade --feedback` "
                  f"found; notices such as which file was graded are missing): "
                  f"{', '.join(rebuilt)}", file=sys.stderr)
    return 1 if report.not_in_worksheet or report.not_changed else 0
