"""Collect a run's submissions once: one notebook per student and assignment, what to warm up."""

from __future__ import annotations

import re

from tlkit.grading.intake.identify import find_assignment
from tlkit.grading.intake.submission import Submission, read_submission
from tlkit.grading.messages import DUPLICATE
from tlkit.grading.sandbox import warm_cache


DUPLICATES = ("newest", "named")  # which of a student's copies is graded (``--duplicates``)
_COPY = re.compile(r"(?:\s*\((\d+)\)|-(\d+))$")  # "x (1)" (browsers, Moodle), "x-1" (Canvas)


def _copy_number(sub: Submission) -> int:
    match = _COPY.search(sub.path.stem)
    return int(match[1] or match[2]) if match else 0


def _mtime(sub: Submission) -> float:
    try:
        return sub.path.stat().st_mtime  # a zip's own times survive extraction
    except OSError:
        return 0.0


def preference(rule: str, name: str):
    """The sort key of a student's copies of assignment ``name``: the first is graded.

    ``newest`` (default): a readable notebook, then the latest attempt the platform numbered,
    the newest file (the zip's time), the highest ``(n)`` copy number; ``named``: a readable
    notebook, then the one named exactly after the assignment, then the shortest path.
    """
    if rule not in DUPLICATES:
        raise ValueError(f"--duplicates {rule!r}: use one of {', '.join(DUPLICATES)}")
    if rule == "named":
        return lambda item: (item[0], item[1].path.stem != name, len(str(item[1].path)),
                             str(item[1].path))
    return lambda item: (item[0], -item[1].attempt, -_mtime(item[1]), -_copy_number(item[1]),
                         str(item[1].path))


def assignment_names(submissions: list[Submission], assignments,
                     pinned: str | None = None) -> list[tuple[Submission, str]]:
    """(submission, assignment name) for the readable submissions that answer an assignment."""
    found = []
    for sub in submissions:
        read = read_submission(sub.path)
        assignment = None if read.problem else find_assignment(read, sub, assignments, pinned)
        if assignment is not None:
            found.append((sub, assignment.name))
    return found


def assignments_to_warm(submissions: list[Submission], assignments,
                        pinned: str | None = None) -> list[str]:
    """The assignments handed in by at least ``warm_cache.MIN_SUBMISSIONS`` readable
    submissions (below that, the warm-up would cost what it saves), sorted."""
    counts: dict[str, int] = {}
    for _, name in assignment_names(submissions, assignments, pinned):
        counts[name] = counts.get(name, 0) + 1
    return sorted(n for n, k in counts.items() if k >= warm_cache.MIN_SUBMISSIONS)


def one_per_assignment(submissions: list[Submission], assignments, pinned: str | None = None,
                       rule: str = "newest") -> tuple[list, dict, dict]:
    """Keep one notebook per student (keyed by ``Submission.key``) and assignment; notes and
    flags for the kept ones (the feedback names the file graded and the others). The copy
    kept is the first by :func:`preference`."""
    groups: dict[tuple[tuple[str, str], str], list[tuple[bool, Submission]]] = {}
    for sub in submissions:
        read = read_submission(sub.path)
        found = find_assignment(read, sub, assignments, pinned)
        key = (sub.key, found.name if found else f"?{sub.path}")
        groups.setdefault(key, []).append((bool(read.problem), sub))
    kept, notes, flags = [], {}, {}
    for (_, name), items in groups.items():
        subs = [s for _, s in sorted(items, key=preference(rule, name))]
        kept.append(subs[0])
        if len(subs) > 1:
            others = ", ".join(f"«{s.path.name}»" for s in subs[1:])
            notes[subs[0]] = [DUPLICATE.format(chosen=subs[0].path.name, others=others)]
            flags[subs[0]] = ["duplicate-submission"]
    return sorted(kept), notes, flags
