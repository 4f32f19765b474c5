"""One gradebook row: a question of a submission and its verdict (what scoring produces)."""

from __future__ import annotations

from dataclasses import dataclass

STATUSES = ("passed", "failed", "unsolved", "timeout", "crashed", "invalid", "error")


@dataclass(frozen=True)
class Row:
    """One question of one submission. ``status`` is one of :data:`STATUSES`."""

    student: str
    assignment: str
    question: str
    points: float
    max_points: float
    status: str
    reason: str = ""
    flags: str = ""
    isolation: str = ""
    student_id: str = ""  # the platform's id (Moodle participant, Canvas user); see lms/
    lms: str = ""  # moodle, canvas or folder
    attempt: int = 1
    late: str = ""  # "yes" when the platform marked the submission late
