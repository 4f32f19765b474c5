"""The options of a grading run and the resource limits of one submission: one source of defaults.

The CLI reads its defaults from :class:`GradeOptions` (``option_default``), the worker and the
kernel receive :class:`Limits` through ``tlkit.grading.protocol``; no default is written twice.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields

ISOLATIONS = ("full", "basic")


@dataclass(frozen=True)
class Limits:
    """Resource caps of one submission's whole process tree (0 means no cap)."""

    memory_mb: int = 4096
    nproc: int = 128
    fsize_mb: int = 256
    disk_mb: int = 512
    cpu_s: int = 0
    output_kb: int = 256


@dataclass
class GradeOptions:
    """Limits, time budgets, isolation and parallelism of a grading run."""

    timeout_cell: float = 60.0
    timeout_given: float = 300.0
    timeout_total: float = 600.0
    memory_mb: int = Limits.memory_mb
    nproc: int = Limits.nproc
    fsize_mb: int = Limits.fsize_mb
    disk_mb: int = Limits.disk_mb
    output_kb: int = Limits.output_kb
    jobs: int = 1
    isolation: str = "full"
    allow_weaker: bool = False
    warm_kernels: bool = True  # full isolation: fork kernels from a pre-imported template
    warm_cache: bool = True  # full isolation: share a cache the solutions filled (warm_cache)
    keep_warm_cache: str | None = None  # folder that keeps sealed warm caches between runs

    def limits(self) -> Limits:
        """The per-submission caps these options ask for."""
        return Limits(memory_mb=self.memory_mb, nproc=self.nproc, fsize_mb=self.fsize_mb,
                      disk_mb=self.disk_mb, cpu_s=int(self.timeout_total) + 10,
                      output_kb=self.output_kb)


def option_default(name: str):
    """The default of one :class:`GradeOptions` field (what the CLI shows and uses)."""
    for item in fields(GradeOptions):
        if item.name == name and item.default is not MISSING:
            return item.default
    raise KeyError(name)
