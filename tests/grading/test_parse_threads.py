"""Planning submissions on several threads (``tlkit grade -j``) never trips CPython 3.11's shared
AST recursion counter (``syntax.parse``; a full-suite run once graded a whole submission as the
grader's ``error`` with "AST constructor recursion depth mismatch")."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from tlkit.grading.intake.solutions import load_assignments
from tlkit.grading.intake.submission import read_submission
from tlkit.grading.plan.matching import build_plan

FIXTURES = Path(__file__).parents[1] / "fixtures" / "grading"


class _Finalised:
    """Cyclic garbage whose finaliser runs Python code: the collector runs it in the middle of
    whatever allocates (a tree being built), and there the interpreter can switch threads."""

    def __del__(self):
        sum(range(20))


def test_plans_built_on_threads_at_once():
    [assignment] = load_assignments(FIXTURES / "solutions").values()
    cells = read_submission(FIXTURES / "submissions" / "submission-correct.ipynb").cells
    interval = sys.getswitchinterval()
    errors: list[BaseException] = []
    stop = time.monotonic() + 2  # without the lock: the error within 0.7 s, 3 runs of 3

    def plan_again_and_again():
        while time.monotonic() < stop and not errors:
            try:
                build_plan(assignment, cells)
            except Exception as exc:  # noqa: BLE001 - what the grader would make an error row
                errors.append(exc)
            for _ in range(20):
                garbage = _Finalised()
                garbage.cycle = garbage

    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=plan_again_and_again) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert not errors, errors[:1]
