"""The run's isolation, set up once: its mode and description, a private temporary root, the
parallel slots and their throw-away uids, the solutions' data files, the warm-kernel templates."""

from __future__ import annotations

import os
import queue
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tlkit.grading.intake.solutions import Assignment
from tlkit.grading.layout import INSIDE_SCRATCH
from tlkit.grading.options import GradeOptions
from tlkit.grading.protocol import FALLBACK, WorkerRun
from tlkit.grading.sandbox import bwrap, cgroups, isolation
from tlkit.grading.sandbox.environment import sandbox_env
from tlkit.grading.sandbox.templates import Template, kind_of

WARM_KERNELS = ("warm kernels: forked into the submission's sandbox from a template that "
                "imported TensorFlow or PyTorch once")


class Sandboxes:
    """Where and as whom each submission runs (raises ``isolation.IsolationError`` when the
    asked isolation is unavailable and a weaker one is not allowed)."""

    def __init__(self, options: GradeOptions, solutions_dir: Path):
        self.options = options
        self.solutions_dir = Path(solutions_dir)
        self.mode = isolation.resolve_isolation(options.isolation, options.allow_weaker)
        self.description = isolation.describe(self.mode, options.limits())
        if self.mode != options.isolation:
            self.description = (f"WEAKER THAN ASKED ({options.isolation} unavailable: "
                                f"{isolation.missing_for_full()}; --allow-weaker) — "
                                + self.description)
        self.warm_kernels = self.mode == "full" and options.warm_kernels
        if self.warm_kernels:
            self.description += "; " + WARM_KERNELS
        if self.mode == "full":
            cgroups.remove_stale()
        self.root = Path(tempfile.mkdtemp(prefix="tlkit-grade-"))
        os.chmod(self.root, 0o711)
        self.slots: queue.Queue[int] = queue.Queue()
        for slot in range(max(1, options.jobs)):
            self.slots.put(slot)
        self.counter = 0
        self.lock = threading.Lock()
        self.templates: dict[str, Template | None] = {}
        self.template_lock = threading.Lock()  # a template takes seconds to start
        self.template_env: dict[str, str] = {}  # the warm cache's paths, when there is one
        self.notes: list[str] = []

    def close(self) -> None:
        for template in self.templates.values():
            if template is not None:
                template.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    @contextmanager
    def slot(self) -> Iterator[tuple[int, int | None]]:
        """A free parallel slot for one submission: its number in the run and its uid."""
        slot = self.slots.get()
        try:
            with self.lock:
                self.counter += 1
                number = self.counter
            yield number, self.uid(slot)
        finally:
            self.slots.put(slot)

    def uid(self, slot: int) -> int | None:
        """The slot's throw-away uid: always in full mode; in basic mode when it works."""
        if os.geteuid() != 0:
            return None
        return isolation.slot_uid(slot) if isolation.process_cap_enforced(self.mode) else None

    def files(self, assignment: Assignment) -> list[tuple[str, str]]:
        """(host path, name) of the data files the solution's metadata lists."""
        found = []
        base = self.solutions_dir.resolve()
        for rel in assignment.files:
            src = (self.solutions_dir / rel).resolve()
            if base in src.parents and src.is_file():
                found.append((str(src), Path(rel).name))
        return found

    def template_socket(self, assignment: Assignment) -> str | None:
        """The socket of the warm template for this assignment's libraries (started once)."""
        if not self.warm_kernels:
            return None
        kind = kind_of([c.source for c in assignment.cells])
        if kind is None:
            return None
        with self.template_lock:
            if kind not in self.templates:
                self.templates[kind] = self._start_template(kind)
            template = self.templates[kind]
        return str(template.socket) if template is not None else None

    def _start_template(self, kind: str) -> Template | None:
        folder = self.root / "templates"
        folder.mkdir(mode=0o700, exist_ok=True)
        # One thread while importing (OpenBLAS starts its pool at import, and a threaded
        # template cannot fork); each kernel gets its share from its request. Libraries read
        # some cache paths when imported (KERAS_HOME): the warm cache's, when there is one.
        env = {**sandbox_env(INSIDE_SCRATCH), **self.template_env}
        template = Template(kind, folder, bwrap.template_command(str(folder),
                                                                 self.options.limits()), env)
        if not template.ready:
            self.notes.append(f"warm {kind} kernels unavailable, starting them cold: "
                              f"{template.error}")
        return template if template.ready else None

    def note_fallback(self, run: WorkerRun) -> None:
        """Say once that a warm kernel could not be forked and a cold one ran instead (call it
        only for a run that asked a template for its kernel)."""
        if FALLBACK not in run.stderr:
            return
        reason = run.stderr.split(FALLBACK, 1)[1].strip().splitlines()[0]
        with self.lock:
            if not any(n.startswith("a warm kernel") for n in self.notes):
                self.notes.append(f"a warm kernel could not be forked, a cold one ran instead "
                                  f"(grades unaffected): {reason}")
