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

from tlkit.grading.protocol import Job

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


def _short(value: str, cap: int = 600) -> str:
    value = " ".join(str(value).split())
    return value if len(value) <= cap else value[:cap] + "…"


def cell_timeout(job: Job, kind: str) -> float:
    """The time budget of one cell: the given cells' own, or the student's per-cell limit."""
    return job.timeout_given if kind in GIVEN_KINDS else job.timeout_cell


def run_cells(job: Job, *, emit: Callable[[dict], None], kernel_name: str = "python3") -> None:
    """Execute the job's cells in order, calling ``emit`` with an event per cell.

    Events: ``{"event": "kernel", "pid", "seconds"}`` once started, ``{"event": "cell",
    "index", "status", "ename", "evalue", "output", "truncated", "seconds"}`` per cell run, and
    ``{"event": "stuck"}`` when two cells in a row time out (the kernel ignores interrupts).
    """
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
        emit({"event": "kernel", "pid": client.km.provisioner.pid,
              "seconds": time.monotonic() - start})
        in_a_row = 0
        for index, (cell, spec) in enumerate(zip(nb.cells, job.cells)):
            budget = cell_timeout(job, spec.kind)
            client.timeout = max(1, int(round(budget)))
            client.error_on_timeout = {"ename": TIMEOUT_ENAME, "evalue": f"{budget:g} s",
                                       "traceback": []}
            event = {"event": "cell", "index": index, "status": "ok"}
            began = time.monotonic()
            try:
                client.execute_cell(cell, index, store_history=spec.kind != "probe")
            except CellExecutionError as exc:
                timed_out = exc.ename == TIMEOUT_ENAME
                event.update(status="timeout" if timed_out else "error", ename=exc.ename,
                             evalue=_short(exc.evalue))
            except CellTimeoutError as exc:
                event.update(status="timeout", ename=TIMEOUT_ENAME, evalue=_short(exc))
            except DeadKernelError as exc:
                event.update(status="dead", ename="DeadKernelError", evalue=_short(exc))
            cap = PROBE_CAP if spec.kind == "probe" else TEXT_CAP
            event.update(output=_text(cell, cap), truncated=index in client.truncated,
                         seconds=round(time.monotonic() - began, 3))
            emit(event)
            if event["status"] == "dead":
                return
            in_a_row = in_a_row + 1 if event["status"] == "timeout" else 0
            if in_a_row >= 2:
                emit({"event": "stuck"})
                return
