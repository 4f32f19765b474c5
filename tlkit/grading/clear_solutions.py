"""Transform: replace ``### BEGIN SOLUTION``…``### END SOLUTION`` blocks by a placeholder."""

from __future__ import annotations

import copy

from tlkit.grading.cells import BEGIN, END, MARKDOWN_PLACEHOLDER, META, PLACEHOLDER, RAISE, source


class MarkerError(ValueError):
    """Solution markers are unbalanced in a cell."""


def clear_source(src: str, *, markdown: bool = False) -> str:
    """``src`` with each marked block replaced, keeping the BEGIN line's indentation."""
    out: list[str] = []
    inside = False
    for number, line in enumerate(src.splitlines(keepends=True), start=1):
        stripped = line.strip()
        if stripped.startswith(BEGIN):
            if inside:
                raise MarkerError(f"line {number}: {BEGIN} inside another block")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            newline = "\n"
            if markdown:
                out.append(f"{indent}{MARKDOWN_PLACEHOLDER}{newline}")
            else:
                out.append(f"{indent}{PLACEHOLDER}{newline}{indent}{RAISE}{newline}")
        elif stripped.startswith(END):
            if not inside:
                raise MarkerError(f"line {number}: {END} without {BEGIN}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise MarkerError(f"{BEGIN} without {END}")
    text = "".join(out)
    return text.rstrip("\n") if not src.endswith("\n") else text


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
