"""Graded exercises: generate student versions (``assign``), self-check (``check``), grade.

Only the student self-check is imported here, so ``from tlkit.grading import check`` stays
cheap in a student's notebook. Import the rest by module: ``tlkit.grading.assign``,
``tlkit.grading.grade``. The format is described in ``docs/grading.md``.
"""

from tlkit.grading.selfcheck import check

__all__ = ["check"]
