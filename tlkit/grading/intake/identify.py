"""Which assignment a submission answers, and whether it is the one being graded.

Evidence, strongest first: the notebook's metadata (``tlkit.assignment``, written by ``assign``;
Colab may drop it), the file name (``04_x.ipynb``, ``Copia de 04_x (1).ipynb``), then the content
(how many of an assignment's locked cells appear unchanged: they are the same in every copy of
that exercise). With ``pinned`` (``tlkit grade --assignment``) a notebook of another exercise is
``wrong-assignment``, never graded 0/11 as if it were this one nor graded on what it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from tlkit.grading.cells import GIVEN, TEST, checksum
from tlkit.grading.intake.solutions import Assignment
from tlkit.grading.intake.submission import ReadResult, Submission


@dataclass(frozen=True)
class Identified:
    """The assignment to grade against (None: cannot tell), and, when the notebook is another
    exercise than the one asked for, that exercise's name."""

    assignment: Assignment | None
    other: str | None = None


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
    counts: dict[str, int] = {}
    for name, assignment in assignments.items():
        cells = {c.checksum for c in assignment.cells if c.kind in (GIVEN, TEST) and not c.hidden}
        counts[name] = len(cells & seen)
    best = max(counts.values(), default=0)
    winners = [n for n, k in counts.items() if k == best]
    return assignments[winners[0]] if best > 1 and len(winners) == 1 else None


def identify(read: ReadResult, submission: Submission, assignments: dict[str, Assignment],
             pinned: str | None = None) -> Identified:
    """What ``submission`` answers; see the module doc."""
    claimed = _claimed(read)
    found = (assignments.get(claimed) if claimed else None) or \
        _by_name(submission.path.stem, assignments) or _by_content(read, assignments)
    if pinned is not None:
        target = assignments[pinned]
        if claimed and claimed != pinned:
            return Identified(target, claimed)
        if found is not None and found.name != pinned:
            return Identified(target, found.name)
        return Identified(target)
    if claimed and claimed not in assignments and len(assignments) == 1:
        return Identified(next(iter(assignments.values())), claimed)
    if found is None and len(assignments) == 1:
        found = next(iter(assignments.values()))
    return Identified(found)


def find_assignment(read: ReadResult, submission: Submission,
                    assignments: dict[str, Assignment], pinned: str | None = None
                    ) -> Assignment | None:
    """The assignment a submission is graded against (None: cannot tell); see :func:`identify`."""
    return identify(read, submission, assignments, pinned).assignment
