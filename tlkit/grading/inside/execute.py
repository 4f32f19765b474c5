"""Run a job's cells in a fresh kernel with nbclient, one verdict per cell.

A cell's verdict comes from the kernel's execute reply (``ok`` or ``error``), from nbclient's
timeout (``timeout``) or from the kernel dying (``dead``). Captured output is capped. Given
cells (the statement's) get their own time budget, separate from the student's per-cell limit.
"""

from __future__ import annotations

import json
import time
from typing import Callable

from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbformat.v4 import new_code_cell, new_notebook

from tlkit.grading.protocol import CellRun, Event, Job, KernelStarted, Stuck
from tlkit.grading.safe_text import short

TIMEOUT_ENAME = "TLKitCellTimeout"
TEXT_CAP = 1500
PROBE_CAP = 200_000
GIVEN_KINDS = ("given", "probe", "preamble")


class CappedClient(NotebookClient):
    """NotebookClient that stops storing a cell's outputs past ``cap`` characters."""

    cap = 256 * 1024

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.used: dict[int, int] = {}
        self.truncated: set[int] = set()

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        size = len(content.get("text", "")) if "text" in content else len(json.dumps(content))
        self.used[cell_index] = self.used.get(cell_index, 0) + size
        if self.used[cell_index] > self.cap:
            self.truncated.add(cell_index)
            return None
        return super().output(outs, msg, display_id, cell_index)


def _text(cell, cap: int) -> str:
    parts = [o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream"]
    text = "".join(parts)
    return text if len(text) <= cap else text[:cap] + "…"


def cell_timeout(job: Job, kind: str) -> float:
    """The time budget of one cell: the given cells' own, or the student's per-cell limit."""
    return job.timeout_given if kind in GIVEN_KINDS else job.timeout_cell


def run_cells(job: Job, *, emit: Callable[[Event], None], kernel_name: str = "python3") -> None:
    """Execute the job's cells in order, calling ``emit`` with each event (``protocol``):
    :class:`KernelStarted` once, a :class:`CellRun` per cell run, :class:`Stuck` when two cells
    in a row time out (the kernel ignores interrupts)."""
    nb = new_notebook(cells=[new_code_cell(c.source) for c in job.cells])
    client = CappedClient(
        nb, timeout=max(1, int(round(job.timeout_cell))), kernel_name=kernel_name,
        interrupt_on_timeout=True, allow_errors=False, record_timing=False,
        error_on_timeout={"ename": TIMEOUT_ENAME, "evalue": "", "traceback": []},
        iopub_timeout=2, startup_timeout=60, shutdown_kernel="immediate",
        resources={"metadata": {"path": job.work}})
    client.cap = job.limits.output_kb * 1024
    start = time.monotonic()
    with client.setup_kernel():
        emit(KernelStarted(client.km.provisioner.pid, time.monotonic() - start))
        in_a_row = 0
        for index, (cell, spec) in enumerate(zip(nb.cells, job.cells)):
            event = _run_one(client, cell, index, spec.kind, cell_timeout(job, spec.kind))
            emit(event)
            if event.status == "dead":
                return
            in_a_row = in_a_row + 1 if event.status == "timeout" else 0
            if in_a_row >= 2:
                emit(Stuck())
                return


def _run_one(client: CappedClient, cell, index: int, kind: str, budget: float) -> CellRun:
    """Run one cell within ``budget`` seconds; its verdict."""
    client.timeout = max(1, int(round(budget)))
    client.error_on_timeout = {"ename": TIMEOUT_ENAME, "evalue": f"{budget:g} s", "traceback": []}
    status, ename, evalue = "ok", "", ""
    began = time.monotonic()
    try:
        client.execute_cell(cell, index, store_history=kind != "probe")
    except CellExecutionError as exc:
        status = "timeout" if exc.ename == TIMEOUT_ENAME else "error"
        ename, evalue = exc.ename, short(exc.evalue, 600)
    except CellTimeoutError as exc:
        status, ename, evalue = "timeout", TIMEOUT_ENAME, short(exc, 600)
    except DeadKernelError as exc:
        status, ename, evalue = "dead", "DeadKernelError", short(exc, 600)
    return CellRun(index, status, ename, evalue,
                   output=_text(cell, PROBE_CAP if kind == "probe" else TEXT_CAP),
                   truncated=index in client.truncated,
                   seconds=round(time.monotonic() - began, 3))
