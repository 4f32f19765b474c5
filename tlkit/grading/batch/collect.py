"""Collect a run's submissions once: each read and identified once, one notebook per student and
assignment, and the assignments worth a warm-up."""

from __future__ import annotations

import re
from dataclasses import replace

from tlkit.grading.intake.identify import Entry, identify
from tlkit.grading.intake.solutions import Assignment
from tlkit.grading.intake.submission import Submission
from tlkit.grading.messages import DUPLICATE
from tlkit.grading.sandbox import warm_cache


DUPLICATES = ("newest", "named")  # which of a student's copies is graded (``--duplicates``)
_COPY = re.compile(r"(?:\s*\((\d+)\)|-(\d+))$")  # "x (1)" (browsers, Moodle), "x-1" (Canvas)


def collect(submissions: list[Submission], assignments: dict[str, Assignment],
            pinned: str | None = None, rule: str = "newest") -> list[Entry]:
    """Every submission read and identified once, then one per student and assignment."""
    return one_per_assignment([identify(sub, assignments, pinned) for sub in submissions],
                              rule)


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
        return lambda e: (bool(e.read.problem), e.submission.path.stem != name,
                          len(str(e.submission.path)), str(e.submission.path))
    return lambda e: (bool(e.read.problem), -e.submission.attempt, -_mtime(e.submission),
                      -_copy_number(e.submission), str(e.submission.path))


def one_per_assignment(entries: list[Entry], rule: str = "newest") -> list[Entry]:
    """Keep one notebook per student (keyed by ``Submission.key``: the platform's id, never the
    display name alone) and assignment; the kept one's notes and flags say so, naming the file
    graded and the others. The copy kept is the first by :func:`preference`."""
    groups: dict[tuple[tuple[str, str], str], list[Entry]] = {}
    for entry in entries:
        sub = entry.submission
        name = entry.assignment.name if entry.assignment else f"?{sub.path}"
        groups.setdefault((sub.key, name), []).append(entry)
    kept = []
    for (_, name), items in groups.items():
        items = sorted(items, key=preference(rule, name))
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
