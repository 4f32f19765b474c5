"""Transform: lock given and visible test cells, recording a checksum of their source."""

from __future__ import annotations

import copy

from tlkit.grading.cells import GIVEN, META, TEST, checksum, kind, source


def lock_cells(nb):
    """Copy of ``nb`` where given and test code cells are read-only and carry a checksum.

    ``editable``/``deletable`` are honoured by Jupyter; the checksum (trailing whitespace
    ignored) is what the grader compares, since Colab ignores those flags.
    """
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if kind(cell) not in (GIVEN, TEST):
            continue
        meta = cell.metadata.setdefault(META, {})
        meta["locked"] = True
        meta["checksum"] = checksum(source(cell))
        cell.metadata["editable"] = False
        cell.metadata["deletable"] = False
    return nb
