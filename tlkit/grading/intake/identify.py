"""Which assignment a submission answers, and whether it is the one being graded.

Evidence, strongest first: the notebook's metadata (``tlkit.assignment``, written by ``assign``;
Colab may drop it), the file name (``04_x.ipynb``, ``Copia de 04_x (1).ipynb``), then the content
(how many of an assignment's locked cells appear unchanged: they are the same in every copy of
that exercise), then the only assignment there is. With ``pinned`` (``tlkit grade
--assignment``) a notebook of another exercise is ``wrong-assignment`` (``Entry.other``), never
graded 0/11 as if it were this one, nor graded as what it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from tlkit.grading.cells import GIVEN, TEST, checksum
from tlkit.grading.intake.solutions import Assignment
from tlkit.grading.intake.submission import ReadResult, Submission, read_submission


def _claimed(read: ReadResult) -> str | None:
    name = (read.metadata.get("tlkit") or {}).get("assignment") if read.metadata else None
    return name if isinstance(name, str) and name else None


def _by_name(stem: str, assignments: dict[str, Assignment]) -> Assignment | None:
    if stem in assignments:
        return assignments[stem]
    hits = [a for n, a in assignments.items() if n in stem]
    return hits[0] if len(hits) == 1 else None


def _by_content(read: ReadResult, assignments: dict[str, Assignment]) -> Assignment | None:
    """The assignment with the most of its locked cells present unchanged, if only one has most."""
    seen = {checksum(c["source"]) for c in read.cells if c.get("cell_type") == "code"}
    counts = {name: len({c.checksum for c in a.cells if c.kind in (GIVEN, TEST)
                         and not c.hidden} & seen) for name, a in assignments.items()}
    best = max(counts.values(), default=0)
    winners = [n for n, k in counts.items() if k == best]
    return assignments[winners[0]] if best > 1 and len(winners) == 1 else None


def answers(read: ReadResult, submission: Submission, assignments: dict[str, Assignment],
            pinned: str | None = None) -> tuple[Assignment | None, str | None]:
    """The assignment to grade ``submission`` against (None: cannot tell), and the name of the
    exercise it is instead, when it is another one than asked for."""
    claimed = _claimed(read)
    found = (assignments.get(claimed) if claimed else None) or \
        _by_name(submission.path.stem, assignments) or _by_content(read, assignments)
    if pinned is not None:
        target = assignments[pinned]
        if claimed and claimed != pinned:
            return target, claimed
        if found is not None and found.name != pinned:
            return target, found.name
        return target, None
    if claimed and claimed not in assignments and len(assignments) == 1:
        return next(iter(assignments.values())), claimed
    if found is None and len(assignments) == 1:
        found = next(iter(assignments.values()))
    return found, None


def find_assignment(read: ReadResult, submission: Submission,
                    assignments: dict[str, Assignment], pinned: str | None = None
                    ) -> Assignment | None:
    """The assignment a submission is graded against (None: cannot tell); see :func:`answers`."""
    return answers(read, submission, assignments, pinned)[0]


@dataclass(frozen=True)
class Entry:
    """A submission read once, the assignment it answers (None: unknown), the exercise it is
    instead when another one was asked for (``wrong-assignment``), and what collecting the batch
    noticed about it (notes for its feedback, flags for the gradebook)."""

    submission: Submission
    read: ReadResult
    assignment: Assignment | None
    notes: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    other: str | None = None


def identify(submission: Submission, assignments: dict[str, Assignment],
             pinned: str | None = None) -> Entry:
    """Read ``submission`` (once) and find the assignment it answers."""
    read = read_submission(submission.path)
    assignment, other = answers(read, submission, assignments, pinned)
    return Entry(submission, read, assignment, other=other)
