"""What ``run_autograder`` runs on Gradescope: grade ``submission/``, write ``results.json``.

``python -m tlkit.grading.gradescope.run --root /autograder``. The grading is ``tlkit grade``'s
(same sandbox, scoring, hidden tests and Spanish feedback), one submission. A ``results.json``
is written whatever happens: a submission with no notebook, or a grader failure, scores 0 with
the reason, so Gradescope never shows a bare "autograder failed".
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from dataclasses import replace
from pathlib import Path

from tlkit.files import atomic_write
from tlkit.grading.gradescope.build import SETTINGS
from tlkit.grading.gradescope.results import failure_json, results_json
from tlkit.grading.late_policy import penalised
from tlkit.grading.messages import GRADESCOPE

def _student(root: Path) -> str:
    """The student's name from Gradescope's ``submission_metadata.json`` (or a neutral one)."""
    try:
        meta = json.loads((root / "submission_metadata.json").read_text(encoding="utf-8"))
        names = [u.get("name") for u in meta.get("users", []) if u.get("name")]
        return " + ".join(names) or "entrega"
    except (OSError, ValueError, AttributeError):
        return "entrega"


def _late(root: Path, rule_text: str, earned: float) -> tuple[float, str]:
    """The fraction taken for lateness and its note, from Gradescope's submission metadata
    (``created_at`` against the assignment's ``due_date``); (0, "") when on time or unknown."""
    from tlkit.grading.late_policy import LatePolicy, late_note, lateness, parse_due, parse_rule

    if not rule_text:
        return 0.0, ""
    try:
        meta = json.loads((root / "submission_metadata.json").read_text(encoding="utf-8"))
        due, created = meta["assignment"]["due_date"], meta["created_at"]
    except (OSError, ValueError, KeyError, TypeError):
        print("tlkit: no due date or submission time in submission_metadata.json: no late "
              "penalty applied")
        return 0.0, ""
    rule = parse_rule(rule_text)
    late = lateness(LatePolicy(parse_due(due), rule), parse_due(created), marked_late=False)
    return late.fraction, late_note(late, rule, earned)


def grade_submission(root: Path) -> dict:
    """Grade ``root/submission`` against ``root/source``; the ``results.json`` content."""
    from tlkit.grading.batch.run import run_grading
    from tlkit.grading.intake.solutions import load_assignments
    from tlkit.grading.messages import LABELS
    from tlkit.grading.options import GradeOptions
    from tlkit.grading.reports.feedback import build_page, to_markdown

    started = time.monotonic()
    source, submission = root / "source", root / "submission"
    settings = json.loads((source / SETTINGS).read_text(encoding="utf-8"))
    assignments = load_assignments(source / "solutions")
    assignment = assignments[settings["assignment"]]
    notebooks = sorted(p for p in submission.rglob("*.ipynb")
                       if ".ipynb_checkpoints" not in p.parts)
    if not notebooks:
        return failure_json(GRADESCOPE["no_notebook"].format(assignment=assignment.name),
                            assignment.max_points, time.monotonic() - started)
    options = GradeOptions(timeout_cell=settings["timeout_cell"],
                           timeout_total=settings["timeout_total"],
                           memory_mb=settings["memory_mb"], jobs=1, allow_weaker=True,
                           warm_kernels=False, warm_cache=False)
    batch = run_grading([submission], source / "solutions", options=options)
    for line in [batch.isolation, *batch.warnings, *batch.notes]:
        print(f"tlkit: {line}")  # run_autograder's stdout: the instructor sees it, not students
    mine = [r for r in batch.results if r.assignment == assignment.name]
    if not mine:
        return failure_json(GRADESCOPE["not_recognised"].format(
            assignment=assignment.name, names=", ".join(p.name for p in notebooks)),
            assignment.max_points, time.monotonic() - started)
    # Written answers are Gradescope's own manual questions: the autograder leaves them out.
    result = replace(mine[0], rows=[r for r in mine[0].rows if r.status != "pending"])
    hidden = {t.question for t in assignment.tests if t.hidden}
    # The summary students see at once leaves hidden tests out: Gradescope shows those
    # entries (and the total) when the instructor's visibility allows.
    shown = replace(result, rows=[r for r in result.rows if r.question not in hidden])
    feedback = to_markdown(build_page(_student(root), "", [shown], assignments))
    if hidden:
        feedback += "\n" + GRADESCOPE["hidden_apart"] + "\n"
    earned = sum(r.points for r in result.rows)
    fraction, note = _late(root, settings.get("late_penalty", ""), earned)
    if note:
        feedback += "\n" + note + "\n"
    results = results_json(result.rows, hidden, hidden_visibility=settings["hidden_visibility"],
                           labels=LABELS, feedback=feedback,
                           seconds=time.monotonic() - started)
    if fraction:  # Gradescope takes a top-level score over the sum of the tests
        results["score"] = penalised(earned, fraction)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tlkit.grading.gradescope.run")
    parser.add_argument("--root", type=Path, default=Path("/autograder"))
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        results = grade_submission(args.root)
    except Exception as exc:  # noqa: BLE001 - Gradescope must always get a results.json
        traceback.print_exc(file=sys.stdout)
        detail = f"{type(exc).__name__}: {exc}"
        results = failure_json(GRADESCOPE["grader_failed"].format(detail=detail), 0,
                               time.monotonic() - started)
    atomic_write(args.root / "results" / "results.json",
                 json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
