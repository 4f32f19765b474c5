"""Graded exercises: generate student versions (``assign``), self-check (``check``), grade.

The package face, what notebooks and scripts import: ``check`` (the self-check, imported here
because it is cheap: ``from tlkit.grading import check`` loads nothing heavy),
``check_submission`` (the exercise's generated last cell), ``assign``, ``run_grading`` and
``grade``, the last four loaded only when first used. The tree, one folder per runtime, is
described in ``docs/grading.md`` ("Grader modules").
"""

from tlkit.grading.selfcheck import check

__all__ = ["assign", "check", "check_submission", "grade", "run_grading"]


def __getattr__(name: str):
    if name == "check_submission":
        from tlkit.grading.student.final_check import check_submission

        return check_submission
    if name == "assign":
        from tlkit.grading.authoring.assign import assign

        return assign
    if name in ("grade", "run_grading"):
        from tlkit.grading.batch import run

        return getattr(run, name)
    raise AttributeError(f"module 'tlkit.grading' has no attribute {name!r}")
