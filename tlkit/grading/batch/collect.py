"""Collect a run's submissions once: one notebook per student and assignment, what to warm up."""

from __future__ import annotations

from tlkit.grading.intake.identify import find_assignment
from tlkit.grading.intake.submission import Submission, read_submission
from tlkit.grading.messages import DUPLICATE
from tlkit.grading.sandbox import warm_cache


def assignment_names(submissions: list[Submission], assignments) -> list[tuple[Submission, str]]:
    """(submission, assignment name) for the readable submissions that answer an assignment."""
    found = []
    for sub in submissions:
        read = read_submission(sub.path)
        assignment = None if read.problem else find_assignment(read, sub, assignments)
        if assignment is not None:
            found.append((sub, assignment.name))
    return found


def assignments_to_warm(submissions: list[Submission], assignments) -> list[str]:
    """The assignments handed in by at least ``warm_cache.MIN_SUBMISSIONS`` readable
    submissions (below that, the warm-up would cost what it saves), sorted."""
    counts: dict[str, int] = {}
    for _, name in assignment_names(submissions, assignments):
        counts[name] = counts.get(name, 0) + 1
    return sorted(n for n, k in counts.items() if k >= warm_cache.MIN_SUBMISSIONS)


def one_per_assignment(submissions: list[Submission], assignments) -> tuple[list, dict, dict]:
    """Keep one notebook per student and assignment; notes and flags for the kept ones.

    Preference: a readable notebook, then one named after the assignment, then the shortest
    path, then the first in sorted order (deterministic).
    """
    groups: dict[tuple[str, str], list[tuple[bool, Submission]]] = {}
    for sub in submissions:
        read = read_submission(sub.path)
        found = find_assignment(read, sub, assignments)
        key = (sub.student, found.name if found else f"?{sub.path}")
        groups.setdefault(key, []).append((bool(read.problem), sub))
    kept, notes, flags = [], {}, {}
    for (_, name), items in groups.items():
        subs = [s for _, s in sorted(items, key=lambda item: (
            item[0], item[1].path.stem != name, len(str(item[1].path)), str(item[1].path)))]
        kept.append(subs[0])
        if len(subs) > 1:
            others = ", ".join(f"«{s.path.name}»" for s in subs[1:])
            notes[subs[0]] = [DUPLICATE.format(chosen=subs[0].path.name, others=others)]
            flags[subs[0]] = ["duplicate-submission"]
    return sorted(kept), notes, flags
