"""Transform: drop the rubric of written-answer cells (it is the instructor's, not the student's).

The cell keeps ``written``, ``id`` and ``points``: the grader finds the student's answer by
them, and the student sees what the question is worth.
"""

from __future__ import annotations

import copy

from tlkit.grading.cells import META, tlkit_meta


def strip_rubrics(nb):
    """Copy of ``nb`` without ``metadata.tlkit.rubric`` on any cell."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if "rubric" in tlkit_meta(cell):
            del cell.metadata[META]["rubric"]
    return nb
