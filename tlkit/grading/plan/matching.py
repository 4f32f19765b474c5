"""Match a submission's cells to its solution's cells and build the list of cells to run.

Order of matching: the stable id assign recorded (``metadata.tlkit.cell``, then the cell id),
then, for given and test cells, the checksum of the source, then, for solution cells, the
position between already-matched neighbours. What runs: the solution's given and test cells
(never the student's copies), the student's solution cells, the student's extra cells after
the cell they followed, and the hidden tests in their place, in the solution's order. Cells
added before the first given cell are not run (``cells-before-start``). Grader-owned cells
(``tamper``) wrap the tests: a probe before any student code, a probe and a fresh ``check``
before each test, and a canary plus a last probe at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tlkit.grading.cells import GIVEN, SOLUTION, TEST, checksum, is_submission_check, stable_key
from tlkit.grading.intake.solutions import Assignment
from tlkit.grading.plan.tamper import canary_source, fresh_check_source, probe_source

# What the matching can notice about a submission (``Plan.facts``), in the order it is reported.
FACTS = ("edited-locked", "deleted-locked", "missing-solution", "reordered", "matched-by-position",
         "extra-cells", "cells-before-start")


@dataclass(frozen=True)
class Step:
    """One cell the grader runs: ``given``, ``student``, ``extra``, ``preamble``, ``probe``,
    ``test`` or ``canary`` (see ``tamper`` for the last three)."""

    kind: str
    source: str
    ref: str | None = None
    question: str | None = None


@dataclass
class Plan:
    """The cells to run and what the matching noticed (``messages.plan_notes`` words it)."""

    steps: list[Step] = field(default_factory=list)
    edited: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    missing_solutions: list[str] = field(default_factory=list)
    extras: int = 0
    by_position: int = 0
    reordered: bool = False
    before_start: int = 0  # cells added before the first given cell: not run

    def facts(self) -> dict[str, dict]:
        """What the matching noticed, in :data:`FACTS` order: fact → its cells or count
        (``messages.PLAN_FACTS`` words each one, for the student and for the feedback)."""
        noticed = (
            ("edited-locked", self.edited, {"cells": self.edited}),
            ("deleted-locked", self.deleted, {"cells": self.deleted}),
            ("missing-solution", self.missing_solutions, {"cells": self.missing_solutions}),
            ("reordered", self.reordered, {}),
            ("matched-by-position", self.by_position, {"count": self.by_position}),
            ("extra-cells", self.extras, {"count": self.extras}),
            ("cells-before-start", self.before_start, {"count": self.before_start}))
        return {fact: values for fact, on, values in noticed if on}

    def flags(self) -> list[str]:
        """Short English codes for the gradebook and the terminal summary (every fact but
        ``extra-cells``: adding cells is allowed)."""
        return [fact for fact in self.facts() if fact != "extra-cells"]


def _match(assignment: Assignment, code: list[dict]) -> tuple[dict[str, int], int]:
    """Solution cell id → index into ``code``, and how many were matched by position."""
    by_id = {c.id: c for c in assignment.cells}
    matched: dict[str, int] = {}
    taken: set[int] = set()
    for i, cell in enumerate(code):
        key = stable_key(cell)
        if key in by_id and key not in matched and not by_id[key].hidden:
            matched[key] = i
            taken.add(i)
    for sol in assignment.cells:
        if sol.id in matched or sol.hidden or sol.kind == SOLUTION:
            continue
        for i, cell in enumerate(code):
            if i not in taken and checksum(cell["source"]) == sol.checksum:
                matched[sol.id] = i
                taken.add(i)
                break
    by_position = 0
    order = [c.id for c in assignment.cells]
    for pos, sol in enumerate(assignment.cells):
        if sol.id in matched or sol.kind != SOLUTION:
            continue
        before = [matched[k] for k in order[:pos] if k in matched]
        after = [matched[k] for k in order[pos + 1:] if k in matched]
        low, high = max(before, default=-1), min(after, default=len(code))
        for i in range(low + 1, high):
            if i not in taken and code[i]["source"].strip():
                matched[sol.id] = i
                taken.add(i)
                by_position += 1
                break
    return matched, by_position


def build_plan(assignment: Assignment, cells: list[dict], *, solution_run: bool = False) -> Plan:
    """What to run for a submission's cells (plain dicts, see ``intake.submission``).

    ``solution_run``: the cells are the instructor's solution itself (a control run, the warm-up
    of a shared cache): its hidden tests, present as cells, are not added cells, so they run
    once, in their place, like any submission's.
    """
    hidden = {t.source for t in assignment.tests if t.hidden} if solution_run else set()
    code = [c for c in cells if c.get("cell_type") == "code" and not is_submission_check(c)
            and c["source"] not in hidden]
    matched, by_position = _match(assignment, code)
    plan = Plan(by_position=by_position)
    student_order = [matched[c.id] for c in assignment.cells if c.id in matched]
    plan.reordered = student_order != sorted(student_order)

    index_to_id = {i: k for k, i in matched.items()}
    extras_after: dict[str | None, list[str]] = {}
    last: str | None = None
    for i, cell in enumerate(code):
        if i in index_to_id:
            last = index_to_id[i]
        elif cell["source"].strip():
            extras_after.setdefault(last, []).append(cell["source"])
            plan.extras += 1

    def add_extras(after: str | None) -> None:
        plan.steps.extend(Step("extra", src) for src in extras_after.get(after, []))

    plan.before_start = len(extras_after.pop(None, []))
    plan.extras -= plan.before_start
    plan.steps.append(Step("probe", probe_source()))
    for sol in assignment.cells:
        mine = code[matched[sol.id]] if sol.id in matched else None
        if sol.kind == GIVEN:
            plan.steps.append(Step("given", sol.source, sol.id))
        elif sol.kind == SOLUTION:
            if mine is None:
                plan.missing_solutions.append(sol.id)
            else:
                plan.steps.append(Step("student", mine["source"], sol.id))
        elif sol.kind == TEST:
            # Order matters: the probe sees the student's runtime (and their ``check``), then
            # the preamble binds a fresh ``check``, then the test runs with it.
            plan.steps.append(Step("probe", probe_source(), sol.id))
            plan.steps.append(Step("preamble", fresh_check_source(), sol.id))
            plan.steps.append(Step("test", sol.source, sol.id, sol.question))
        if sol.kind in (GIVEN, TEST) and not sol.hidden:
            if mine is None:
                plan.deleted.append(sol.id)
            elif checksum(mine["source"]) != sol.checksum:
                plan.edited.append(sol.id)
        add_extras(sol.id)
    plan.steps.append(Step("preamble", fresh_check_source()))
    plan.steps.append(Step("canary", canary_source()))
    plan.steps.append(Step("probe", probe_source()))
    return plan
