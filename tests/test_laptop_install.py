"""A student's own computer: the README's install resolves on Windows and macOS (Apple silicon).

``pip install "tlkit[torch,keras,tensorflow,jupyter] @ <course archive>"`` (README, «En tu
ordenador») is resolved here for other platforms with ``pip install --dry-run --report
--platform ... --python-version ... --only-binary=:all:``: pip must find wheels for every
package. pip evaluates environment markers for the machine it runs on, not for ``--platform``
(so Linux-only dependencies such as torch's ``triton`` would be required on Windows); the test
runs pip with the target platform's marker values (:data:`MARKERS`). The project's own requirements (pyproject) are resolved rather than the archive, which
exists only once a course is published. Intel Macs are checked to fail, as the README says (if
they resolve one day, update the README). Needs the package registry; skips when it is missing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXTRAS = ("torch", "keras", "tensorflow", "jupyter")  # what the README's pip line names
WINDOWS = {"os_name": "nt", "sys_platform": "win32", "platform_system": "Windows",
           "platform_machine": "AMD64"}
MAC = {"os_name": "posix", "sys_platform": "darwin", "platform_system": "Darwin"}
PLATFORMS = {  # pip's platform tags, python version, marker values
    "windows-amd64": (["win_amd64"], "3.11", WINDOWS),
    "macos-arm64": (["macosx_14_0_arm64", "macosx_11_0_arm64"], "3.11", {**MAC, "platform_machine": "arm64"}),
}
INTEL_MAC = (["macosx_10_15_x86_64", "macosx_10_9_x86_64"], "3.11", {**MAC, "platform_machine": "x86_64"})
# pip, with packaging's marker environment replaced by the target platform's values.
PIP_FOR = """import json, sys
from pip._vendor.packaging import markers
_default = markers.default_environment
markers.default_environment = lambda: {**_default(), **json.loads(sys.argv[1])}
from pip._internal.cli.main import main
sys.exit(main(sys.argv[2:]))
"""
FRAMEWORKS = {"torch", "torchvision", "tensorflow", "keras", "jupyterlab", "ipywidgets"}

pytestmark = pytest.mark.slow


def student_requirements() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [*project["dependencies"], *(s for e in EXTRAS for s in project["optional-dependencies"][e])]


@pytest.fixture(scope="module")
def registry():
    url = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple/").rstrip("/") + "/pip/"
    try:
        urllib.request.urlopen(url, timeout=15)
    except OSError as exc:
        pytest.skip(f"the package registry does not answer ({url}: {exc})")


def start(folder: Path, tags: list[str], python: str, marker_env: dict) -> subprocess.Popen:
    """Start pip's resolution for one platform into ``folder`` (see :func:`finish`)."""
    folder.mkdir(parents=True)
    # A student's pip: none of this machine's configuration (it caps torch at the releases on
    # its disk and adds local indexes).
    env = {**os.environ, "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1",
           "PIP_NO_INPUT": "1"}
    command = [sys.executable, "-c", PIP_FOR,
               json.dumps({**marker_env, "python_version": python,
                           "python_full_version": f"{python}.0"}),
               "install", "--dry-run", "--ignore-installed", "--quiet",
               "--target", str(folder / "target"), "--report", str(folder / "report.json"),
               "--only-binary=:all:", "--python-version", python,
               *(f"--platform={t}" for t in tags), *student_requirements()]
    with open(folder / "stderr.txt", "w") as stderr:  # the child keeps its own copy
        return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, env=env)


def finish(proc: subprocess.Popen, folder: Path) -> subprocess.CompletedProcess:
    """The finished resolution: returncode, stderr and ``report`` (pip's JSON, or None)."""
    try:
        proc.wait(timeout=1200)
    finally:
        proc.kill()
    done = subprocess.CompletedProcess(proc.args, proc.returncode, "",
                                       (folder / "stderr.txt").read_text())
    done.report = (json.loads((folder / "report.json").read_text()) if done.returncode == 0
                   else None)
    return done


@pytest.fixture(scope="module")
def resolved(registry, tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """Every platform's resolution, run at the same time: each waits mostly on the registry."""
    root = tmp_path_factory.mktemp("resolve")
    targets = {**PLATFORMS, "intel-mac": INTEL_MAC}
    running = {name: start(root / name, *target) for name, target in targets.items()}
    return {name: finish(proc, root / name) for name, proc in running.items()}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_readme_install_resolves(resolved, platform):
    done = resolved[platform]
    assert done.returncode == 0, f"{platform}: pip cannot resolve the README's install:\n{done.stderr[-3000:]}"
    names = {item["metadata"]["name"].lower() for item in done.report["install"]}
    assert FRAMEWORKS <= names, f"{platform}: missing {sorted(FRAMEWORKS - names)}"
    assert "tensorflow-cpu" not in names  # no wheels off Linux x86_64


def test_intel_macs_cannot_resolve_as_the_readme_says(resolved):
    done = resolved["intel-mac"]
    assert done.returncode != 0, "Intel Macs resolve now: update the README (En tu ordenador)"
    assert "torch" in done.stderr or "tensorflow" in done.stderr, done.stderr[-2000:]
