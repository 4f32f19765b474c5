"""The options of a grading run and the resource limits of one submission: one source of defaults.

The CLI builds its ``grade`` flags from :class:`GradeOptions`' fields (name, default, help) and
the options from its arguments by field name; the worker and the kernel receive :class:`Limits`
through ``tlkit.grading.protocol``; no default is written twice.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields

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


def option(default, help: str, **cli):
    """A field of :class:`GradeOptions` and its ``tlkit grade`` flag: ``--<name>`` (dashes for
    underscores; ``--no-<name>`` for a flag that is on by default), with ``help`` and argparse's
    ``metavar``/``choices``; ``aliases``: earlier spellings of the flag, still accepted."""
    return field(default=default, metadata={"help": help, **cli})


@dataclass
class GradeOptions:
    """Limits, time budgets, isolation and parallelism of a grading run.

    One option, two edits: a field here (its flag, default and help come with it: the CLI
    builds its arguments and then the options from these fields, by name) and the code that
    uses it.
    """

    timeout_cell: float = option(60.0, "seconds per student or test cell", metavar="S")
    timeout_given: float = option(300.0, "seconds per given (statement) cell", metavar="S")
    timeout_total: float = option(600.0, "seconds per submission", metavar="S")
    memory_mb: int = option(
        Limits.memory_mb, "memory for the submission's whole process tree in full isolation "
        "(memory cgroup), per process in basic (RLIMIT_DATA); 0 for none", metavar="MB",
        aliases=("--memory",))
    nproc: int = option(Limits.nproc, "processes and threads of the submission", metavar="N",
                        aliases=("--max-procs",))
    fsize_mb: int = option(Limits.fsize_mb, "largest file the submission may write",
                           metavar="MB")
    disk_mb: int = option(Limits.disk_mb, "scratch space of the submission in full isolation",
                          metavar="MB", aliases=("--disk",))
    output_kb: int = option(Limits.output_kb, "output kept per cell", metavar="KB")
    jobs: int = option(1, "submissions graded in parallel", metavar="J", aliases=("-j",))
    isolation: str = option(
        "full", "full: bubblewrap + cgroups + own uid (root, bwrap, cgroup v1); basic: limits "
        "and scratch folder only", choices=ISOLATIONS)
    allow_weaker: bool = option(
        False, "grade with basic isolation when full is unavailable, instead of stopping "
        "(recorded in the gradebook's isolation column)")
    warm_kernels: bool = option(
        True, "start every kernel cold instead of forking it from a template that imported "
        "TensorFlow/PyTorch once (full isolation only)")
    warm_cache: bool = option(
        True, "do not run each solution first to fill a cache shared read-only with every "
        "submission (full isolation only; basic never shares); the warm-up is also a control "
        "run that warns when a solution loses points")
    keep_warm_cache: str | None = option(
        None, "keep each sealed warm cache whose control run scored full marks in DIR (root "
        "only) and reuse it in later runs while the solution, its data, tlkit, the libraries, "
        "the profile and TLKIT_DATA_DIR are unchanged: re-grading and late submissions skip "
        "the warm-up", metavar="DIR")

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
