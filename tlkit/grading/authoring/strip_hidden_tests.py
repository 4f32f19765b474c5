"""Transform: remove hidden graded test cells (the grader puts them back)."""

from __future__ import annotations

import copy

from tlkit.grading.cells import is_hidden


def strip_hidden_tests(nb):
    """Copy of ``nb`` without cells whose metadata says ``tlkit.hidden: true``."""
    nb = copy.deepcopy(nb)
    nb.cells = [cell for cell in nb.cells if not is_hidden(cell)]
    return nb
