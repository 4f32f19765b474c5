"""``tlkit gradescope``: the autograder zip Gradescope builds its image from.

The zip holds ``setup.sh`` (installs Python, bubblewrap, the kit and the frameworks into
``/autograder/venv``), ``run_autograder`` (calls :mod:`tlkit.grading.gradescope.run`), the
solution notebook, the settings, and this checkout of the kit itself (``kit/``): Gradescope
grades with exactly the grader the instructor tested, with no published repository needed.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import tlkit
from tlkit.files import atomic_path
from tlkit.grading.gradescope.results import VISIBILITIES
from tlkit.grading.late_policy import parse_rule
from tlkit.grading.intake.solutions import load_assignment

FRAMEWORKS = {"torch": "torch", "keras": "keras,tensorflow"}  # framework → the kit's extras
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"  # CPU wheels: no 3 GB of CUDA
SETTINGS = "tlkit_gradescope.json"
KIT_FILES = ("pyproject.toml", "README.md")


class GradescopeError(ValueError):
    """The zip cannot be built; the message says what is missing."""


@dataclass(frozen=True)
class Settings:
    """What ``run_autograder`` needs to know, stored in the zip as JSON."""

    assignment: str
    hidden_visibility: str = "after_due_date"
    profile: str = "fast"
    timeout_cell: float = 60.0
    timeout_total: float = 600.0
    memory_mb: int = 4096
    late_penalty: str = ""  # a late_policy rule, applied to Gradescope's due date; "" for none


def setup_script(frameworks: tuple[str, ...]) -> str:
    """``setup.sh``: run once by Gradescope, as root, on its Ubuntu image."""
    extras = ",".join(["instructor", *(FRAMEWORKS[f] for f in frameworks)])
    lines = ["#!/usr/bin/env bash",
             "# Gradescope runs this once, as root, to build the autograder image.",
             "set -euo pipefail",
             "apt-get update",
             "apt-get install -y --no-install-recommends python3 python3-venv python3-pip "
             "bubblewrap",
             "python3 -m venv /autograder/venv",
             "PIP=/autograder/venv/bin/pip",
             "$PIP install --upgrade pip"]
    if "torch" in frameworks:
        lines.append(f'$PIP install --index-url {TORCH_CPU_INDEX} "torch>=2.4" '
                     '"torchvision>=0.19"')
    lines += [f'$PIP install "/autograder/source/kit[{extras}]"',
              "# triton (pulled in by torch) crashes a process that imports it after TensorFlow",
              "$PIP uninstall -y triton || true", ""]
    return "\n".join(lines)


def run_script(settings: Settings) -> str:
    """``run_autograder``: run by Gradescope for each submission (copied to /autograder)."""
    return "\n".join([
        "#!/usr/bin/env bash",
        "# Gradescope runs this for every submission. TLKIT_GRADESCOPE_ROOT (default /autograder)",
        "# lets a test run it in a folder laid out as Gradescope lays it out.",
        'ROOT="${TLKIT_GRADESCOPE_ROOT:-/autograder}"',
        f"export TLKIT_PROFILE={settings.profile} TLKIT_OFFLINE=1 TF_CPP_MIN_LOG_LEVEL=1",
        'exec "$ROOT/venv/bin/python" -m tlkit.grading.gradescope.run --root "$ROOT"', ""])


def kit_checkout() -> Path:
    """The checkout this kit runs from (the folder holding pyproject.toml)."""
    root = Path(tlkit.__file__).resolve().parent.parent
    if not (root / "pyproject.toml").is_file():
        raise GradescopeError(f"tlkit is not installed from a checkout ({root} has no "
                              "pyproject.toml): run `tlkit gradescope` from a clone with "
                              "`pip install -e .`")
    return root


def _executable(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = 0o100755 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _file(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = 0o100644 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def build_autograder(solution: Path, out: Path, *, frameworks: tuple[str, ...] = ("torch", "keras"),
                     hidden_visibility: str = "after_due_date", profile: str = "fast",
                     timeout_cell: float = 60.0, timeout_total: float = 600.0,
                     memory_mb: int = 4096, late_penalty: str = "") -> list[str]:
    """Write the autograder zip for one solution notebook; the names it holds (sorted)."""
    solution = Path(solution)
    unknown = [f for f in frameworks if f not in FRAMEWORKS]
    if unknown:
        raise GradescopeError(f"unknown framework(s) {', '.join(unknown)}: choose from "
                              f"{', '.join(FRAMEWORKS)}")
    if hidden_visibility not in VISIBILITIES:
        raise GradescopeError(f"hidden test visibility must be one of {', '.join(VISIBILITIES)}")
    if late_penalty:
        parse_rule(late_penalty)  # refused now, not on Gradescope
    if not solution.is_file():
        raise GradescopeError(f"solution notebook not found: {solution}")
    assignment = load_assignment(solution)  # validates it (SolutionError names the cells)
    settings = Settings(assignment.name, hidden_visibility, profile, timeout_cell,
                        timeout_total, memory_mb, late_penalty)
    kit = kit_checkout()
    members: dict[str, tuple[zipfile.ZipInfo, bytes]] = {
        "setup.sh": (_executable("setup.sh"), setup_script(tuple(frameworks)).encode()),
        "run_autograder": (_executable("run_autograder"), run_script(settings).encode()),
        SETTINGS: (_file(SETTINGS), (json.dumps(asdict(settings), indent=1) + "\n").encode()),
        f"solutions/{solution.name}": (_file(f"solutions/{solution.name}"),
                                       solution.read_bytes()),
    }
    for name in KIT_FILES:
        if (kit / name).is_file():
            members[f"kit/{name}"] = (_file(f"kit/{name}"), (kit / name).read_bytes())
    for path in sorted((kit / "tlkit").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            name = "kit/" + path.relative_to(kit).as_posix()
            members[name] = (_file(name), path.read_bytes())
    with atomic_path(Path(out)) as tmp, zipfile.ZipFile(tmp, "w") as archive:
        for name in sorted(members):
            info, data = members[name]
            archive.writestr(info, data)
    return sorted(members)
