"""Transform: replace ``### BEGIN SOLUTION``…``### END SOLUTION`` blocks by a placeholder."""

from __future__ import annotations

import copy

from tlkit.grading.cells import BEGIN, END, META, clear_source, source


def clear_solutions(nb):
    """Copy of ``nb`` with solutions cleared; code cells that held one get ``tlkit.solution``."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type not in ("code", "markdown"):
            continue
        src = source(cell)
        if BEGIN not in src and END not in src:
            continue
        cell.source = clear_source(src, markdown=cell.cell_type == "markdown")
        if cell.cell_type == "code":
            cell.metadata.setdefault(META, {})["solution"] = True
    return nb
