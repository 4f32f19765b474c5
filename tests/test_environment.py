"""The three package lists (requirements, environment.yml, pyproject) name the same packages."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _name(spec: str) -> str:
    return re.split(r"[<>=!~;\[ ]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _requirement_pins(files=("base.txt", "test.txt")) -> dict[str, str]:
    pins = {}
    for file in files:
        for line in (ROOT / "requirements" / file).read_text().splitlines():
            line = line.split("#")[0].strip()
            if line and not line.startswith("-"):
                pins[_name(line)] = line
    return pins


def _environment_pins() -> dict[str, str]:
    pins, in_pip = {}, False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        stripped = line.strip()
        if stripped == "- pip:":
            in_pip = True
            continue
        if in_pip and stripped.startswith("- ") and not stripped.startswith("- -"):
            spec = stripped[2:]
            pins[_name(spec)] = spec
    return pins


def test_environment_yml_pins_equal_requirements():
    assert _environment_pins() == _requirement_pins()


def test_pyproject_names_the_same_packages():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        specs.extend(extra)
    assert {_name(s) for s in specs} == set(_requirement_pins(("base.txt", "test.txt", "bench.txt")))


def test_torch_pins_are_the_ones_on_this_machines_disk():
    pins = _requirement_pins()
    assert pins["torch"] == "torch==2.14.1" and pins["torchvision"] == "torchvision==0.29.1"
