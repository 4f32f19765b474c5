"""Collect a run's submissions once: each read and identified once, one notebook per student and
assignment, and the assignments worth a warm-up."""

from __future__ import annotations

from dataclasses import replace

from tlkit.grading.intake.identify import Entry, identify
from tlkit.grading.intake.solutions import Assignment
from tlkit.grading.intake.submission import Submission
from tlkit.grading.messages import DUPLICATE
from tlkit.grading.sandbox import warm_cache


def collect(submissions: list[Submission], assignments: dict[str, Assignment]) -> list[Entry]:
    """Every submission read and identified once, then one per student and assignment."""
    return one_per_assignment([identify(sub, assignments) for sub in submissions])


def one_per_assignment(entries: list[Entry]) -> list[Entry]:
    """Keep one notebook per student and assignment; the kept one's notes and flags say so.

    Preference: a readable notebook, then one named after the assignment, then the shortest
    path, then the first in sorted order (deterministic).
    """
    groups: dict[tuple[str, str], list[Entry]] = {}
    for entry in entries:
        sub = entry.submission
        name = entry.assignment.name if entry.assignment else f"?{sub.path}"
        groups.setdefault((sub.student, name), []).append(entry)
    kept = []
    for (_, name), items in groups.items():
        items = sorted(items, key=lambda e: (bool(e.read.problem), e.submission.path.stem != name,
                                             len(str(e.submission.path)), str(e.submission.path)))
        first, others = items[0], items[1:]
        if others:
            left = ", ".join(f"«{e.submission.path.name}»" for e in others)
            first = replace(first, notes=(DUPLICATE.format(
                chosen=first.submission.path.name, others=left),),
                flags=("duplicate-submission",))
        kept.append(first)
    return sorted(kept, key=lambda e: e.submission)


def gradable(entries: list[Entry]) -> dict[Submission, str]:
    """Submission → the assignment it answers, for the readable ones that answer one."""
    return {e.submission: e.assignment.name for e in entries
            if e.assignment is not None and not e.read.problem}


def assignments_to_warm(entries: list[Entry]) -> list[str]:
    """The assignments handed in by at least ``warm_cache.MIN_SUBMISSIONS`` readable
    submissions (below that, the warm-up would cost what it saves), sorted."""
    counts: dict[str, int] = {}
    for name in gradable(entries).values():
        counts[name] = counts.get(name, 0) + 1
    return sorted(n for n, k in counts.items() if k >= warm_cache.MIN_SUBMISSIONS)
