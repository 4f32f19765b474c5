"""Run a list of code cells in a fresh kernel with nbclient, one verdict per cell.

A cell's verdict comes from the kernel's execute reply (``ok`` or ``error``), from nbclient's
timeout (``timeout``) or from the kernel dying (``dead``). Captured output is capped.
"""

from __future__ import annotations

import json
from typing import Callable

from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbformat.v4 import new_code_cell, new_notebook

TIMEOUT_ENAME = "TLKitCellTimeout"
TEXT_CAP = 1500


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


def _text(cell) -> str:
    parts = [o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream"]
    text = "".join(parts)
    return text if len(text) <= TEXT_CAP else text[:TEXT_CAP] + "…"


def _short(value: str, cap: int = 600) -> str:
    value = " ".join(str(value).split())
    return value if len(value) <= cap else value[:cap] + "…"


def run_cells(sources: list[str], *, cwd: str, timeout_cell: float, output_cap: int,
              emit: Callable[[dict], None], kernel_name: str = "python3") -> None:
    """Execute ``sources`` in order, calling ``emit`` with an event per cell.

    Events: ``{"event": "kernel", "pid"}`` once started, ``{"event": "cell", "index",
    "status", "ename", "evalue", "output", "truncated"}`` per cell run, and ``{"event":
    "stuck"}`` when two cells in a row time out (the kernel ignores interrupts).
    """
    nb = new_notebook(cells=[new_code_cell(src) for src in sources])
    client = CappedClient(
        nb, timeout=max(1, int(round(timeout_cell))), kernel_name=kernel_name,
        interrupt_on_timeout=True, allow_errors=False, record_timing=False,
        error_on_timeout={"ename": TIMEOUT_ENAME, "evalue": f"{timeout_cell:g} s",
                          "traceback": []},
        iopub_timeout=2, startup_timeout=60, shutdown_kernel="immediate",
        resources={"metadata": {"path": cwd}})
    client.cap = output_cap
    with client.setup_kernel():
        emit({"event": "kernel", "pid": client.km.provisioner.pid})
        in_a_row = 0
        for index, cell in enumerate(nb.cells):
            event = {"event": "cell", "index": index, "status": "ok"}
            try:
                client.execute_cell(cell, index, store_history=True)
            except CellExecutionError as exc:
                timed_out = exc.ename == TIMEOUT_ENAME
                event.update(status="timeout" if timed_out else "error", ename=exc.ename,
                             evalue=_short(exc.evalue))
            except CellTimeoutError as exc:
                event.update(status="timeout", ename=TIMEOUT_ENAME, evalue=_short(exc))
            except DeadKernelError as exc:
                event.update(status="dead", ename="DeadKernelError", evalue=_short(exc))
            event.update(output=_text(cell), truncated=index in client.truncated)
            emit(event)
            if event["status"] == "dead":
                return
            in_a_row = in_a_row + 1 if event["status"] == "timeout" else 0
            if in_a_row >= 2:
                emit({"event": "stuck"})
                return
