"""The Slurm recipe on a real single-node Slurm cluster on localhost (scripts/slurm-localhost.sh):
a class graded in 3 shards with one shard killed makes the merge fail naming it; re-running the
dead shard (RESUME) gives a merged gradebook and feedback equal to a single `tlkit grade`, byte for
byte. Root and Debian's slurm-wlm + munge are needed (CI installs them: scripts/setup-system.sh);
elsewhere the test skips with the reason."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tlkit.grading.sandbox import isolation

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "grading"
RECIPE = ROOT / "docs" / "recipes" / "grade-slurm.sh"
TLKIT = ROOT / ".venv" / "bin" / "tlkit"
GRADE_OPTS = "--timeout-cell 10 --memory 500 --isolation " + (
    "full" if isolation.full_isolation_available() else "basic")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """SLURM_CONF of a cluster started for this module (stopped after it)."""
    folder = tmp_path_factory.mktemp("slurm")
    script = ROOT / "scripts" / "slurm-localhost.sh"
    started = subprocess.run(["bash", str(script), "start", str(folder)], capture_output=True,
                             text=True, timeout=180)
    if started.returncode == 77:
        pytest.skip(f"no local Slurm cluster: {started.stderr.strip()}")
    assert started.returncode == 0, started.stdout + started.stderr
    yield str(folder / "slurm.conf")
    subprocess.run(["bash", str(script), "stop", str(folder)], timeout=60)


def make_class(base: Path) -> list[Path]:
    """Two arguments with spaces in their names: a folder of 4 students and a lone notebook."""
    folder = base / "mi clase"
    for student, kind in (("ana", "correct"), ("bea", "partial"), ("carla", "unsolved"),
                          ("dani", "malformed-json")):
        (folder / student).mkdir(parents=True)
        shutil.copy(FIXTURES / "submissions" / f"submission-{kind}.ipynb",
                    folder / student / "00_ejemplo.ipynb")
    late = base / "entregas tarde" / "eva entrega.ipynb"
    late.parent.mkdir()
    shutil.copy(FIXTURES / "submissions" / "submission-partial.ipynb", late)
    return [folder, late]


def _env(conf: str, **more) -> dict:
    env = {**os.environ, "SLURM_CONF": conf, "TLKIT": str(TLKIT),
           "SOLUTIONS": str(FIXTURES / "solutions"), "GRADE_OPTS": GRADE_OPTS, "CPUS": "1",
           "MEM": "2G", "TIME": "00:10:00"}
    env.update(more)
    return env


def _submit(args: list[str], env: dict, cwd: Path) -> tuple[str, str]:
    done = subprocess.run(["bash", str(RECIPE), *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    print(done.stdout.strip())
    array, merge = re.search(r"array (\d+) .* merge job (\d+)", done.stdout).groups()
    return array, merge


def _state(job: str, env: dict) -> str:
    shown = subprocess.run(["scontrol", "show", "job", job], env=env, capture_output=True,
                           text=True).stdout
    found = re.search(r"JobState=(\S+)", shown)
    return found[1] if found else "GONE"


def _wait(job: str, env: dict, timeout: float = 600) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = _state(job, env)
        if state not in ("PENDING", "RUNNING", "CONFIGURING", "COMPLETING"):
            return state
        time.sleep(1)
    raise AssertionError(f"job {job} still {_state(job, env)} after {timeout} s")


def test_recipe_dead_shard_fails_the_merge_and_a_rerun_equals_one_run(cluster, tmp_path):
    submissions = make_class(tmp_path)
    single = tmp_path / "single"
    graded = subprocess.run([str(TLKIT), "grade", *map(str, submissions), "--solutions",
                             str(FIXTURES / "solutions"), "--out", str(single / "gradebook.csv"),
                             "--feedback", str(single / "feedback"), *GRADE_OPTS.split()],
                            capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert graded.returncode == 0, graded.stdout + graded.stderr

    out = tmp_path / "run 1"
    scratch = tmp_path / "tmp"  # each task's TMPDIR goes below it, and must be removed
    scratch.mkdir()
    env = _env(cluster, OUT=str(out), N="3", TMPDIR=str(scratch))
    array, merge = _submit([str(s) for s in submissions], env, tmp_path)
    subprocess.run(["scancel", f"{array}_2"], env=env, check=True)  # a shard that dies
    assert _wait(merge, env) == "FAILED"
    log = (out / "logs" / "merge.log").read_text()
    print(log)
    assert "shard(s) 2 of 3 produced no gradebook" in log
    assert not (out / "gradebook.csv").exists()

    again = subprocess.run(["bash", str(RECIPE), "x"], env=env, cwd=tmp_path,
                           capture_output=True, text=True)
    assert again.returncode == 2 and "RESUME" in again.stderr  # never merged into an old run

    array, merge = _submit([], _env(cluster, RESUME=str(out), TMPDIR=str(scratch)), tmp_path)
    assert _wait(merge, env) == "COMPLETED", (out / "logs" / "merge.log").read_text()
    assert list(scratch.iterdir()) == []  # every task removed its TMPDIR, the killed one too
    for i in (1, 2, 3):
        assert (out / f"shard-{i}" / "exit").read_text().strip() == "0"
    assert (out / "gradebook.csv").read_bytes() == (single / "gradebook.csv").read_bytes()
    names = sorted(p.name for p in (single / "feedback").iterdir())
    assert sorted(p.name for p in (out / "feedback").iterdir()) == names
    for name in names:
        assert (out / "feedback" / name).read_bytes() == (single / "feedback" / name).read_bytes()
    print((out / "gradebook.csv").read_text())
    print((out / "logs" / "merge.log").read_text())
