"""Transform: clear outputs, execution counts and noisy metadata (editor, Colab, timing)."""

from __future__ import annotations

import copy

from tlkit.grading.cells import META

# cellView (Colab) and jupyter.source_hidden (JupyterLab) fold the setup cell and the final
# check: the student sees their title and output, not their code.
CELL_METADATA_KEPT = ("tlkit", "tags", "editable", "deletable", "cellView", "jupyter")
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def clear_outputs(nb):
    """Copy of ``nb`` with no outputs, no execution counts and only the metadata we use."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata = {k: cell.metadata[k] for k in CELL_METADATA_KEPT if k in cell.metadata}
    kept = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    if META in nb.metadata:
        kept[META] = nb.metadata[META]
    nb.metadata = kept
    return nb
