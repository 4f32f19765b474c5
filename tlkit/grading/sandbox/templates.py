"""Warm kernels, host side: one template per kind of assignment, started under bubblewrap.

A template (``python -m tlkit.grading.inside.zygote``, see there for the guest side) imports
TensorFlow or PyTorch once and forks a kernel into each requesting submission's sandbox.
:func:`kind_of` picks the template for an assignment's code; :class:`Template` starts and stops
one.
"""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
from pathlib import Path

START_TIMEOUT = 180  # seconds for a template to import its libraries
_IMPORT = re.compile(r"^\s*(?:import|from)\s+(tensorflow|keras|torch|torchvision)\b", re.M)


def kind_of(sources: list[str]) -> str | None:
    """``keras``, ``torch``, ``plain`` or None: the template for code importing these libraries.

    None when the code imports both TensorFlow/Keras and PyTorch (no template imports both).
    """
    found = {m for source in sources for m in _IMPORT.findall(source)}
    keras = bool(found & {"tensorflow", "keras"})
    torch = bool(found & {"torch", "torchvision"})
    if keras and torch:
        return None
    return "keras" if keras else "torch" if torch else "plain"


class Template:
    """One running template (grader side): start it under bubblewrap, stop it, its socket."""

    def __init__(self, kind: str, folder: Path, command: list[str], env: dict[str, str]):
        self.kind = kind
        self.socket = folder / f"{kind}.sock"
        self.log = folder / f"{kind}.log"
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [*command, sys.executable, "-m", "tlkit.grading.inside.zygote", str(self.socket),
                 kind],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, env=env,
                start_new_session=True)
        line = ""
        if select.select([self.proc.stdout], [], [], START_TIMEOUT)[0]:  # a hung import
            line = self.proc.stdout.readline().decode("utf-8", "replace").strip()
        self.ready = line == "ready" and self.socket.exists()
        self.error = ""
        if not self.ready:
            lines = self.log.read_text("utf-8", "replace").strip().splitlines()
            self.error = (lines or [line or f"not ready after {START_TIMEOUT} s"])[-1]
            self.stop()

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        self.proc.wait()
        self.proc.stdout.close()
