"""Control runs: the instructor's solution graded like a student's must score full marks."""

from __future__ import annotations

from tlkit.grading.batch.one_submission import SubmissionResult


def control_warnings(name: str, run: SubmissionResult) -> list[str]:
    """The warning when the instructor's solution of ``name`` does not score full marks here."""
    failing = [f"{r.question} ({r.status})" for r in run.rows if r.status != "passed"]
    if not failing:
        return []
    return [f"CONTROL RUN: the instructor's solution of {name} does not score full marks "
            f"in this grader: {', '.join(failing)}"]


def full_marks(run: SubmissionResult) -> str:
    """How a control run scored, as kept beside its warm cache (``5/5, full marks``)."""
    points = sum(r.points for r in run.rows)
    top = sum(r.max_points for r in run.rows)
    return f"{points:g}/{top:g}, full marks"
