"""Transform: append the student's last cell, the submission check, with its integrity data.

The cell calls :func:`tlkit.grading.check_submission` (``student.final_check``) with what the
grader will compare: each locked cell's checksum, each visible test (id, points, source) and only
the *total* of the hidden tests' points. It must run after ``stable_ids`` and ``clear_solutions``
(it reads cell ids and solution marks) and before ``strip_hidden_tests`` (it counts the hidden
points), ``clear_outputs`` and ``lock_cells`` (which clean and lock the new cell like the rest).
"""

from __future__ import annotations

import copy

from nbformat.v4 import new_code_cell

from tlkit.grading.cells import (GIVEN, META, SOLUTION, SUBMISSION_CHECK_FLAG, SUBMISSION_CHECK_ID,
                                 TEST, checksum, kind, source, tlkit_meta)
from tlkit.grading.safe_text import short

HEADER = (
    "#@title Comprobación final antes de entregar: ejecútala al terminar\n"
    "# Comprobación final antes de entregar (celda generada por `tlkit assign`: no la cambies).\n"
    "# Ejecútala al terminar: repite las comprobaciones visibles, revisa que no hayas cambiado ni\n"
    "# borrado celdas bloqueadas (como hará el corrector) y te dice qué archivo entregar y cómo.\n"
    "from tlkit.grading import check_submission\n\n")


def _label(src: str) -> str:
    """The first meaningful line of a cell, short, to name it to the student."""
    for line in src.splitlines():
        text = line.strip()
        if text and not text.startswith("#"):
            return short(text, 48)
    return "(celda vacía)"


def submission_check_data(nb, name: str) -> dict:
    """What the last cell embeds: the visible structure, checksums and the hidden total."""
    cells, tests, hidden, written = [], [], 0.0, []
    for cell in nb.cells:
        role = kind(cell)
        meta = tlkit_meta(cell)
        if meta.get("written") is True:  # graded by hand: the student sees it counts
            written.append([meta["id"], meta["points"]])
        if role not in (GIVEN, SOLUTION, TEST) or meta.get(SUBMISSION_CHECK_FLAG):
            continue
        if role == TEST and meta.get("hidden") is True:
            hidden += float(meta.get("points", 0))
            continue
        src = source(cell)
        cells.append([cell.id, role, checksum(src) if role != SOLUTION else "", _label(src)])
        if role == TEST:
            tests.append([cell.id, meta["id"], meta["points"], src])
    return {"assignment": name, "cells": cells, "tests": tests, "hidden_points": hidden,
            "written": written}


def call_source(data: dict) -> str:
    """The ``check_submission(...)`` call of the cell: one line per cell and per test."""
    def rows(items):
        return "".join(f"    {tuple(item)!r},\n" for item in items)
    return (f"check_submission(globals(), {data['assignment']!r}, "
            f"hidden_points={data['hidden_points']:g}, cells=[\n{rows(data['cells'])}], "
            f"tests=[\n{rows(data['tests'])}]"
            + (f", written=[\n{rows(data['written'])}]" if data.get("written") else "")
            + ")\n")


def add_submission_check(nb, name: str):
    """Copy of ``nb`` ending with the submission-check code cell for assignment ``name``."""
    nb = copy.deepcopy(nb)
    cell = new_code_cell(HEADER + call_source(submission_check_data(nb, name)))
    cell.id = SUBMISSION_CHECK_ID
    cell.metadata[META] = {"cell": SUBMISSION_CHECK_ID, SUBMISSION_CHECK_FLAG: True}
    # Its payload (checksums, the visible tests' sources) stays out of sight: a folded Colab
    # form, a hidden input in JupyterLab; the report it prints is what the student reads.
    cell.metadata["cellView"] = "form"
    cell.metadata["jupyter"] = {"source_hidden": True}
    nb.cells.append(cell)
    return nb
