"""What crosses the sandbox's boundary, both ways: typed, one serialiser.

In: a :class:`Job` (cells to run with their kind, time budgets, scratch layout, uid, limits)
goes to the worker as JSON on stdin; the kernel launcher receives the :class:`Limits` the same
way (:func:`dumps` / :func:`job_from_json` / :func:`limits_from_json`, nothing else). Out: the
worker's events (:class:`KernelStarted`, :class:`CellRun`, :class:`Stuck`, :class:`Done`), one
JSON line each (:func:`event_line`), parsed once by the host (:func:`parse_event`) into a
:class:`WorkerRun`; a warm kernel that fell back to a cold start says so on stderr after
:data:`FALLBACK`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields

from tlkit.grading.layout import in_scratch
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
        return in_scratch(self.scratch, "work")


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


@dataclass(frozen=True)
class KernelStarted:
    """The worker's kernel answered: its pid (the worker kills its group at the end)."""

    pid: int | None
    seconds: float


@dataclass(frozen=True)
class CellRun:
    """One cell's verdict from the kernel: ``ok``, ``error``, ``timeout`` or ``dead``."""

    index: int
    status: str
    ename: str = ""
    evalue: str = ""
    output: str = ""
    truncated: bool = False
    seconds: float = 0.0


@dataclass(frozen=True)
class Stuck:
    """Two cells in a row timed out: the kernel ignores interrupts; the worker stops."""


@dataclass(frozen=True)
class Done:
    """The worker ran every cell it could and cleaned up."""


Event = KernelStarted | CellRun | Stuck | Done
EVENTS: dict[str, type] = {"kernel": KernelStarted, "cell": CellRun, "stuck": Stuck,
                           "done": Done}


def event_line(event: Event) -> str:
    """The JSON line the worker writes for ``event``."""
    kind = next(name for name, cls in EVENTS.items() if isinstance(event, cls))
    return json.dumps({"event": kind, **asdict(event)})


def parse_event(line: str) -> Event | None:
    """The event of one line from the worker, or None for anything else (never raises)."""
    try:
        data = json.loads(line)
        cls = EVENTS[data.pop("event")]
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


@dataclass
class WorkerRun:
    """What a worker reported, parsed once (:func:`parse_event`), and how its process ended."""

    cells: dict[int, CellRun] = field(default_factory=dict)
    started: bool = False
    done: bool = False
    stuck: bool = False
    killed: bool = False
    returncode: int | None = None
    stderr: str = ""
    kernel_seconds: float = 0.0
    oom_kills: int = 0

    def record(self, event: Event) -> None:
        """Take one event into account."""
        if isinstance(event, KernelStarted):
            self.started, self.kernel_seconds = True, float(event.seconds)
        elif isinstance(event, CellRun):
            self.cells[int(event.index)] = event
        elif isinstance(event, Stuck):
            self.stuck = True
        elif isinstance(event, Done):
            self.done = True
