"""Gradescope: the autograder zip, and its run_autograder run in a folder laid out as
Gradescope lays it out (source/, submission/, results/), on the example exercise."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tlkit import cli
from tlkit.grading.gradescope.results import VISIBILITIES
from tlkit.grading.intake.solutions import load_assignment

FIXTURES = Path(__file__).parent / "fixtures" / "grading"
SOLUTION = FIXTURES / "solutions" / "00_ejemplo.ipynb"
SUBS = FIXTURES / "submissions"
TEST_KEYS = {"name", "score", "max_score", "status", "output", "visibility"}


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    out = tmp_path_factory.mktemp("zip") / "autograder.zip"
    assert cli.main(["gradescope", str(SOLUTION), "--out", str(out), "--timeout-cell", "20",
                     "--timeout-total", "120", "--memory", "800"]) == 0
    return out


def test_the_zip_holds_what_gradescope_runs(autograder, tmp_path):
    with zipfile.ZipFile(autograder) as archive:
        names = set(archive.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in archive.infolist()}
        setup = archive.read("setup.sh").decode()
        settings = json.loads(archive.read("tlkit_gradescope.json"))
    assert {"setup.sh", "run_autograder", "solutions/00_ejemplo.ipynb", "kit/pyproject.toml",
            "kit/tlkit/grading/gradescope/run.py"} <= names
    assert not any("__pycache__" in n for n in names)
    assert modes["setup.sh"] & stat.S_IXUSR and modes["run_autograder"] & stat.S_IXUSR
    assert '/autograder/source/kit[instructor,torch,keras,tensorflow]' in setup
    assert "download.pytorch.org/whl/cpu" in setup and "bubblewrap" in setup
    assert subprocess.run(["bash", "-n", "-c", setup]).returncode == 0
    assert settings["assignment"] == "00_ejemplo"
    assert settings["hidden_visibility"] == "after_due_date"
    # Deterministic: building twice gives the same bytes.
    again = tmp_path / "again.zip"
    assert cli.main(["gradescope", str(SOLUTION), "--out", str(again), "--timeout-cell", "20",
                     "--timeout-total", "120", "--memory", "800"]) == 0
    assert again.read_bytes() == autograder.read_bytes()


def test_bad_arguments_are_refused_with_the_reason(tmp_path, capsys):
    assert cli.main(["gradescope", str(tmp_path / "nada.ipynb")]) == 2
    assert "solution notebook not found" in capsys.readouterr().err
    assert cli.main(["gradescope", str(SOLUTION), "--frameworks", "jax",
                     "--out", str(tmp_path / "a.zip")]) == 2
    assert "unknown framework(s) jax" in capsys.readouterr().err


def _gradescope_root(tmp_path: Path, autograder: Path, submission: Path | None,
                     due: str = "2026-12-06T23:59:00+01:00") -> Path:
    """/autograder as Gradescope prepares it: source/ unzipped, run_autograder copied to the
    root, the student's files in submission/, an empty results/, and setup.sh's venv."""
    root = tmp_path / "autograder"
    with zipfile.ZipFile(autograder) as archive:
        archive.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "run_autograder").chmod(0o755)
    (root / "submission").mkdir()
    (root / "results").mkdir()
    if submission is not None:
        shutil.copy(submission, root / "submission" / "00_ejemplo.ipynb")
    (root / "submission_metadata.json").write_text(json.dumps(
        {"id": 1, "created_at": "2026-12-05T10:00:00.365935+01:00",
         "assignment": {"due_date": due, "title": "00 ejemplo", "total_points": "5.0"},
         "users": [{"name": "Ana Pérez", "email": "ana@example.com", "id": 7}]}))
    (root / "venv").symlink_to(Path(sys.prefix))  # what setup.sh installs, already here
    return root


def _run(root: Path) -> dict:
    env = {**os.environ, "TLKIT_GRADESCOPE_ROOT": str(root)}
    done = subprocess.run([str(root / "run_autograder")], env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))


def _valid(results: dict, assignment) -> None:
    """Gradescope's documented format, and tlkit's tests with their points and visibility."""
    assert set(results) >= {"score", "tests", "output", "stdout_visibility"}
    assert results["output_format"] == "md" and results["stdout_visibility"] == "hidden"
    for test in results["tests"]:
        assert set(test) == TEST_KEYS and test["visibility"] in VISIBILITIES
        assert 0 <= test["score"] <= test["max_score"] and test["status"] in ("passed", "failed")
    assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]))
    by_name = {t["name"]: t for t in results["tests"]}
    assert list(by_name) == [t.question for t in assignment.tests]
    for test in assignment.tests:
        assert by_name[test.question]["max_score"] == test.points
        assert by_name[test.question]["visibility"] == (
            "after_due_date" if test.hidden else "visible")


@pytest.mark.slow
@pytest.mark.kernel
@pytest.mark.parametrize("fixture, score, word", [
    ("submission-correct.ipynb", 5, "correcto"), ("submission-unsolved.ipynb", 0,
                                                  "sin resolver")])
def test_run_autograder_writes_a_valid_results_json(autograder, tmp_path, fixture, score, word):
    assignment = load_assignment(SOLUTION)
    results = _run(_gradescope_root(tmp_path, autograder, SUBS / fixture))
    _valid(results, assignment)
    assert results["score"] == score
    assert all(word in t["output"] for t in results["tests"])
    assert "Corrección de Ana Pérez" in results["output"]
    assert "ej1_oculto" not in results["output"] and "Las pruebas ocultas no" in results["output"]
    hidden = [line for t in assignment.tests if t.hidden for line in t.source.splitlines()
              if len(line.strip()) >= 12]
    assert not any(line.strip() in json.dumps(results, ensure_ascii=False) for line in hidden)


@pytest.mark.kernel  # run_autograder itself, with no notebook to grade
def test_a_submission_without_a_notebook_scores_zero_with_the_reason(autograder, tmp_path):
    root = _gradescope_root(tmp_path, autograder, None)
    (root / "submission" / "notas.txt").write_text("olvidé el notebook")
    results = _run(root)
    assert results["score"] == 0 and results["tests"][0]["max_score"] == 5
    assert "No se encontró ningún notebook" in results["output"]


@pytest.mark.slow
@pytest.mark.kernel
def test_a_late_submission_gets_the_configured_penalty(tmp_path):
    zipped = tmp_path / "late.zip"
    assert cli.main(["gradescope", str(SOLUTION), "--out", str(zipped), "--timeout-cell", "20",
                     "--timeout-total", "120", "--memory", "800",
                     "--late-penalty", "25%/day,cap=60%"]) == 0
    # Handed in 1 day and 10 hours after the due date: two started days, 50 %.
    results = _run(_gradescope_root(tmp_path, zipped, SUBS / "submission-correct.ipynb",
                                    due="2026-12-04T00:00:00+01:00"))
    assert sum(t["score"] for t in results["tests"]) == 5  # each test keeps what it earned
    assert results["score"] == 2.5
    assert "Entregado 2 día(s) después de la fecha límite" in results["output"]
    assert "se restan 2.5 de 5 puntos (50 %)" in results["output"]


def test_a_bad_late_rule_is_refused_when_building(tmp_path, capsys):
    assert cli.main(["gradescope", str(SOLUTION), "--out", str(tmp_path / "a.zip"),
                     "--late-penalty", "mucho"]) == 2
    assert "late penalty 'mucho' not understood" in capsys.readouterr().err


@pytest.mark.slow
def test_the_kit_in_the_zip_builds_the_package_setup_sh_installs(autograder, tmp_path):
    """What `pip install /autograder/source/kit[…]` installs: a wheel of this kit, run.py in it."""
    with zipfile.ZipFile(autograder) as archive:
        archive.extractall(tmp_path / "source")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                           "--no-build-isolation", "-q", str(tmp_path / "source" / "kit"),
                           "-w", str(tmp_path / "wheel")], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    [wheel] = (tmp_path / "wheel").glob("tlkit-*.whl")
    with zipfile.ZipFile(wheel) as built:
        names = set(built.namelist())
    assert {"tlkit/grading/gradescope/run.py", "tlkit/grading/selfcheck.py",
            "tlkit/reference_results.json"} <= names
