"""The package lists agree (requirements, environment.yml, pyproject), per platform and with Colab."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _name(spec: str) -> str:
    return re.split(r"[<>=!~;\[ ]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _requirement_pins(files=("base.txt", "jupyter.txt", "test.txt")) -> dict[str, str]:
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
            if spec[:1] == spec[-1:] == "'":  # a YAML-quoted line (one with a marker)
                spec = spec[1:-1]
            pins[_name(spec)] = spec
    return pins


def test_environment_yml_pins_equal_requirements():
    assert _environment_pins() == _requirement_pins()


def test_pyproject_names_the_same_packages():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        specs.extend(extra)
    assert {_name(s) for s in specs} == set(_requirement_pins(("base.txt", "jupyter.txt", "test.txt", "bench.txt")))


def test_torch_pins_are_the_ones_on_this_machines_disk():
    pins = _requirement_pins()
    assert pins["torch"] == "torch==2.14.1" and pins["torchvision"] == "torchvision==0.29.1"


# -- per platform: TensorFlow where it has wheels, never tensorflow-cpu on Apple silicon --------

PLATFORMS = {  # the marker environment of each platform the README promises
    "linux-x86_64": {"sys_platform": "linux", "platform_machine": "x86_64"},
    "linux-aarch64": {"sys_platform": "linux", "platform_machine": "aarch64"},
    "macos-arm64": {"sys_platform": "darwin", "platform_machine": "arm64"},
    "windows-amd64": {"sys_platform": "win32", "platform_machine": "AMD64"},
}


def _selected(specs, platform: str) -> set[str]:
    from packaging.requirements import Requirement

    env = {"python_version": "3.11", "python_full_version": "3.11.7", **PLATFORMS[platform]}
    chosen = set()
    for spec in specs:
        req = Requirement(spec)
        if req.marker is None or req.marker.evaluate({**env, "extra": ""}):
            chosen.add(_name(spec))
    return chosen


@pytest.mark.parametrize("platform", PLATFORMS)
def test_exactly_one_tensorflow_per_platform(platform):
    tf = {"tensorflow", "tensorflow-cpu"}
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for where, specs in (("requirements", _requirement_pins().values()),
                         ("environment.yml", _environment_pins().values()),
                         ("pyproject [tensorflow]", extra["tensorflow"])):
        chosen = _selected(specs, platform) & tf
        assert len(chosen) == 1, f"{where} on {platform}: {sorted(chosen) or 'no TensorFlow'}"
        if platform != "linux-x86_64":  # tensorflow-cpu has no wheels there
            assert chosen == {"tensorflow"}, f"{where} on {platform} picks {chosen}"


def test_framework_extras_never_bring_tensorflow():
    """`tlkit[keras]` on Colab must not install a TensorFlow over Colab's CUDA build."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for name in ("keras", "torch"):
        assert not {_name(s) for s in extras[name]} & {"tensorflow", "tensorflow-cpu"}, name


# -- Colab: the base dependencies are light and Colab's runtime already satisfies them -----------

INSTRUCTOR_ONLY = {"nbformat", "nbclient", "nbconvert", "ipykernel", "jupyter-client", "nbval"}


@pytest.mark.parametrize("runtime", ["gpu", "cpu"])
def test_base_dependencies_are_satisfied_by_colab_as_it_is(runtime):
    from packaging.requirements import Requirement

    from test_colab import colab_freeze

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    colab = {name: version for name, (_, version) in colab_freeze(runtime).items()}
    for spec in project["dependencies"]:
        req = Requirement(spec)
        name = _name(spec)
        assert name not in INSTRUCTOR_ONLY, f"{name} is for instructors: move it to the extra"
        assert name in colab, f"{name} is not in Colab's runtime: the setup cell would install it"
        assert req.specifier.contains(colab[name], prereleases=True), (
            f"{spec} rejects Colab's {name}=={colab[name]}: installing tlkit would change it")
    for extra in ("torch", "keras"):
        for spec in project["optional-dependencies"][extra]:
            name = _name(spec)
            if name in colab:
                version = colab[name].split("+")[0]
                assert Requirement(spec).specifier.contains(version), f"[{extra}] {spec} vs {version}"


# -- make colab-check: the framework-free test list is maintained ---------------------------------

# A test module needs a framework (or the instructors' nbclient) when, at module level, it skips
# without torch/keras or imports the torch/keras helpers, the grader or the lesson runner.
FRAMEWORK = re.compile(
    r'^(\w+ = )?pytest\.importorskip\("(torch|keras|tensorflow)"\)'
    r"|^from tlkit\.(torch|keras|runner)\b|^from tlkit import .*\b(runner|measured)\b"
    r"|^from tlkit\.grading\.(batch|sandbox|inside)\b"
    r"|^from tlkit\.grading import .*\b(grade|run_grading)\b", re.M)


# Framework-free modules that make colab-check does not run, and why.
NOT_IN_COLAB_CHECK = {
    "tests/test_colab.py": "builds its own Python 3.13 environment",
    "tests/test_laptop_install.py": "resolves Windows and macOS installs: minutes, needs the registry",
    "tests/test_grading_lms.py": "grades notebooks through the CLI (kernels: the instructor extra)",
    "tests/test_grading_gradescope.py": "grades notebooks through run_autograder (kernels: the "
                                        "instructor extra)",
    "tests/test_grading_submission_check.py": "runs the real exercises in kernels (frameworks)",
    "tests/test_grading_report.py": "the instructor's class report (grading host, headless "
                                    "Chromium), nothing a Colab student runs",
    "tests/test_grading_verdicts.py": "the grader's verdict ladder (grading host), nothing a "
                                      "Colab student runs",
    "tests/test_grading_cgroups.py": "the grading host's cgroups (Linux, root): not Colab's road",
    "tests/test_grading_systemd_scope.py": "the grading host's systemd scopes: not Colab's road",
    "tests/test_grading_careless.py": "grades through the CLI (kernels: the instructor extra)",
    "tests/test_grading_isolation.py": "the grading host's sandbox (Linux, root): not Colab's road",
    "tests/test_grading_merge.py": "the instructor's merge of shards (reports): not Colab's road",
    "tests/test_recipes.py": "lints CI workflows and recipes with the actionlint binary",
}


def test_colab_check_runs_every_framework_free_test_file():
    listed = set(re.search(r"^COLAB_TESTS\s*:?=\s*((?:.*\\\n)*.*)$", (ROOT / "Makefile").read_text(),
                           re.M).group(1).replace("\\\n", " ").split())
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        rel = f"tests/{path.name}"
        needs_framework = bool(FRAMEWORK.search(path.read_text(encoding="utf-8")))
        assert needs_framework or rel in listed or rel in NOT_IN_COLAB_CHECK, (
            f"{rel} uses no framework: add it to COLAB_TESTS in the Makefile (make colab-check)")
        assert not (needs_framework and rel in listed), f"{rel} needs a framework or nbclient"
    assert listed <= {f"tests/{p.name}" for p in (ROOT / "tests").glob("test_*.py")}
