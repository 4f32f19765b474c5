"""Gradebook rows → Gradescope's ``results.json`` (pure; the format Gradescope documents).

Per test: ``name``, ``score``, ``max_score``, ``status`` (passed/failed), ``output`` and
``visibility``; hidden tests get the visibility the instructor chose (``after_due_date`` by
default, or ``hidden``/``after_published``), visible ones ``visible``. The top-level ``output`` is
the student's Spanish feedback (Markdown), ``stdout_visibility`` stays ``hidden``.
"""

from __future__ import annotations

VISIBILITIES = ("after_due_date", "hidden", "after_published", "visible")


def test_entry(row, hidden: bool, hidden_visibility: str, label: str) -> dict:
    """One ``tests`` entry for a gradebook row."""
    output = label + (f": {row.reason}" if row.reason else "")
    name = row.question + (f" · {row.part}" if row.part else "")  # partial credit
    return {"name": name, "score": row.points, "max_score": row.max_points,
            "status": "passed" if row.status == "passed" else "failed",
            "output": output, "visibility": hidden_visibility if hidden else "visible"}


def results_json(rows: list, hidden: set[str], *, hidden_visibility: str, labels: dict,
                 feedback: str, seconds: float) -> dict:
    """The whole ``results.json`` for one submission's rows."""
    if hidden_visibility not in VISIBILITIES:
        raise ValueError(f"hidden test visibility must be one of {', '.join(VISIBILITIES)}")
    tests = [test_entry(row, row.question in hidden, hidden_visibility,
                        labels.get(row.status, row.status)) for row in rows]
    return {"score": round(sum(t["score"] for t in tests), 4),
            "execution_time": int(round(seconds)), "output": feedback, "output_format": "md",
            "test_output_format": "text", "stdout_visibility": "hidden",
            "visibility": "visible", "tests": tests}


def failure_json(message: str, max_score: float, seconds: float) -> dict:
    """``results.json`` when nothing could be graded (no notebook, grader error): 0, and why."""
    return {"score": 0, "execution_time": int(round(seconds)), "output": message,
            "output_format": "md", "stdout_visibility": "hidden", "visibility": "visible",
            "tests": [{"name": "entrega", "score": 0, "max_score": max_score,
                       "status": "failed", "output": message, "visibility": "visible"}]}
