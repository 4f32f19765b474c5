"""The late penalty as one gradebook row (question ``retraso``, status ``late``, points <= 0).

A row of its own keeps every question's points as earned and shows the deduction where the
instructor and the student read grades: gradebook, feedback, platform totals (which add the
rows). The fraction taken is kept in the row's flags (``late-penalty:0.2``), so when points
change later (written answers merged from the manual CSV) the deduction is computed again.
"""

from __future__ import annotations

import re
from dataclasses import replace

from tlkit.grading.late_policy import Lateness, PenaltyRule, late_note, penalised
from tlkit.grading.messages import LATE
from tlkit.grading.scoring.row import Row

QUESTION = "retraso"
TOKEN = re.compile(r"\blate-penalty:(?P<fraction>[0-9.]+)\b")
TAKEN = re.compile(re.escape(LATE["taken"]).replace(re.escape("{taken}"), r"[0-9.]+")
                   .replace(re.escape("{points}"), r"[0-9.]+"))


def _earned(rows) -> float:
    return sum(float(_get(r, "points")) for r in rows if _get(r, "status") != "late")


def _get(row, name):
    return row[name] if isinstance(row, dict) else getattr(row, name)


def penalty_row(rows: list[Row], late: Lateness, rule: PenaltyRule) -> Row | None:
    """The penalty row for one submission's ``rows`` (None when on time or nothing taken)."""
    if not late.late or not rows:
        return None
    earned = _earned(rows)
    first = rows[0]
    return Row(first.student, first.assignment, QUESTION,
               0.0 - round(earned - penalised(earned, late.fraction), 2), 0.0, "late",
               late_note(late, rule, earned), f"late-penalty:{late.fraction:g}",
               first.isolation, first.student_id, first.lms, first.attempt, "yes")


def refresh_penalties(rows: list) -> list:
    """``rows`` (``Row`` s or gradebook dicts) with each penalty recomputed from the points
    of its own submission as they are now; everything else unchanged."""
    def key(row):  # one submission (names are unique in a run and in a merged gradebook)
        return (_get(row, "student"), _get(row, "assignment"), str(_get(row, "attempt")))

    groups: dict[tuple, list] = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    out = []
    for row in rows:
        match = TOKEN.search(str(_get(row, "flags"))) if _get(row, "status") == "late" else None
        if match:
            earned = _earned(groups[key(row)])
            taken = 0.0 - round(earned - penalised(earned, float(match["fraction"])), 2)
            note = TAKEN.sub(LATE["taken"].format(taken=f"{-taken:g}", points=f"{earned:g}"),
                             str(_get(row, "reason")))
            row = ({**row, "points": taken, "reason": note} if isinstance(row, dict)
                   else replace(row, points=taken, reason=note))
        out.append(row)
    return out
