"""Which assignment a submission answers: its metadata, then its file name, then the only one."""

from __future__ import annotations

from dataclasses import dataclass

from tlkit.grading.intake.solutions import Assignment
from tlkit.grading.intake.submission import ReadResult, Submission, read_submission


def find_assignment(read: ReadResult, submission: Submission,
                    assignments: dict[str, Assignment]) -> Assignment | None:
    """The assignment a submission answers: metadata, then file name, then the only one."""
    name = (read.metadata.get("tlkit") or {}).get("assignment") if read.metadata else None
    if isinstance(name, str) and name in assignments:
        return assignments[name]
    stem = submission.path.stem
    if stem in assignments:
        return assignments[stem]
    hits = [a for n, a in assignments.items() if n in stem]
    if len(hits) == 1:
        return hits[0]
    if len(assignments) == 1:
        return next(iter(assignments.values()))
    return None


@dataclass(frozen=True)
class Entry:
    """A submission read once, the assignment it answers (None: unknown), and what collecting
    the batch noticed about it (notes for its feedback, flags for the gradebook)."""

    submission: Submission
    read: ReadResult
    assignment: Assignment | None
    notes: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()


def identify(submission: Submission, assignments: dict[str, Assignment]) -> Entry:
    """Read ``submission`` (once) and find the assignment it answers."""
    read = read_submission(submission.path)
    return Entry(submission, read, find_assignment(read, submission, assignments))
