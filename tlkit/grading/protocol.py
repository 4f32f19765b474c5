"""What crosses the sandbox's boundary, both ways: typed, one serialiser.

In: a :class:`Job` (cells to run with their kind, time budgets, scratch layout, uid, limits)
goes to the worker as JSON on stdin; the kernel launcher receives the :class:`Limits` the same
way (:func:`dumps` / :func:`job_from_json` / :func:`limits_from_json`, nothing else). Out: the
worker's events, collected by the host into a :class:`WorkerRun`; a warm kernel that fell back
to a cold start says so on stderr after :data:`FALLBACK`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from tlkit.grading.options import Limits

FALLBACK = "tlkit-warm-fallback:"  # what kernel_request prints when it starts a cold kernel


@dataclass(frozen=True)
class Cell:
    """One cell the worker runs: its source and kind (``given``, ``student``, ``test`` ...)."""

    source: str
    kind: str


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to run one submission, and nothing else."""

    cells: tuple[Cell, ...]
    scratch: str
    timeout_cell: float
    timeout_given: float
    isolation: str
    limits: Limits = Limits()
    uid: int | None = None
    files: tuple[str, ...] = ()  # data files to copy into the scratch's work folder
    template_socket: str | None = None  # a warm-kernel template to ask for the kernel (zygote)

    @property
    def work(self) -> str:
        """The kernel's working folder (its cwd and HOME) inside the scratch."""
        return f"{self.scratch}/work"


def dumps(value: Job | Limits) -> str:
    """The JSON text of a job or of limits."""
    return json.dumps(asdict(value), sort_keys=True)


def limits_from_json(text: str) -> Limits:
    """:class:`Limits` from :func:`dumps` output."""
    return Limits(**json.loads(text))


def job_from_json(text: str) -> Job:
    """A :class:`Job` from :func:`dumps` output."""
    data = json.loads(text)
    return Job(cells=tuple(Cell(**c) for c in data.pop("cells")),
               limits=Limits(**data.pop("limits")), files=tuple(data.pop("files")), **data)


@dataclass
class WorkerRun:
    """What a worker reported: per-cell events, and how it ended."""

    cells: dict[int, dict] = field(default_factory=dict)
    started: bool = False
    done: bool = False
    stuck: bool = False
    killed: bool = False
    returncode: int | None = None
    stderr: str = ""
    kernel_seconds: float = 0.0
    oom_kills: int = 0
