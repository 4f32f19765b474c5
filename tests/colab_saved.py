"""A notebook as Colab saves it (DESIGN §8): nbformat 4.0 without cell ids, Colab's own notebook
metadata instead of ours (``tlkit.assignment`` gone), a Colab id in each cell's metadata, and
optionally every cell's other metadata dropped too (the worst case: content is all that is left).
A student's download of "Guardar una copia en Drive" is named ``Copia de <name>.ipynb``."""

from __future__ import annotations

import hashlib
import json


def colab_saved(notebook_json: str | bytes, name: str, *, keep_cell_metadata: bool = True) -> str:
    """``notebook_json`` (nbformat 4.x) re-saved the way Colab writes it."""
    data = json.loads(notebook_json)
    data["nbformat"], data["nbformat_minor"] = 4, 0
    data["metadata"] = {"colab": {"provenance": [], "name": f"Copia de {name}",
                                  "toc_visible": True},
                        "kernelspec": {"name": "python3", "display_name": "Python 3"},
                        "language_info": {"name": "python"}}
    for number, cell in enumerate(data["cells"]):
        cell.pop("id", None)
        colab_id = hashlib.sha1(f"{name}/{number}".encode()).hexdigest()[:12]
        kept = cell.get("metadata", {}) if keep_cell_metadata else {}
        cell["metadata"] = {**kept, "id": colab_id}
        if cell["cell_type"] == "code":
            cell.setdefault("outputs", [])
            cell.setdefault("execution_count", None)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
