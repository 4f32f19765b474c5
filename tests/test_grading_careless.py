"""A careless instructor cannot lose work: two graders on one --out (the second is refused, the
first's gradebook is whole), two graders sharing --keep-warm-cache (the second does not touch
it), --solutions given the generated exercises (refused with the reason), and nothing a student
or an upload names reaches the terminal with escapes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tlkit import cli
from tlkit.files import FileLock
from tlkit.grading.batch.grader import Grader
from tlkit.grading.intake.solutions import load_assignments
from tlkit.grading.options import GradeOptions
from tlkit.grading.sandbox import isolation

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "grading"
SOLUTIONS = FIXTURES / "solutions"
ISOLATION = ["--isolation", "full" if isolation.full_isolation_available() else "basic"]


def test_the_generated_exercises_are_refused_as_solutions(tmp_path, capsys):
    exercises = tmp_path / "exercises"
    exercises.mkdir()
    shutil.copy(FIXTURES / "submissions" / "submission-unsolved.ipynb",
                exercises / "00_ejemplo.ipynb")
    entregas = tmp_path / "entregas"
    entregas.mkdir()
    shutil.copy(FIXTURES / "submissions" / "submission-correct.ipynb", entregas / "ana.ipynb")
    code = cli.main(["grade", str(entregas), "--solutions", str(exercises),
                     "--out", str(tmp_path / "out" / "gradebook.csv"), *ISOLATION])
    assert code == 2
    assert "generated exercise" in capsys.readouterr().err
    assert not (tmp_path / "out" / "gradebook.csv").exists()
    if (ROOT / "exercises").is_dir():  # the course's own exercises too
        with pytest.raises(ValueError, match="not a solution notebook"):
            load_assignments(ROOT / "exercises")
    assert sorted(load_assignments(SOLUTIONS)) == ["00_ejemplo"]


def test_two_graders_on_one_output_the_second_is_refused(tmp_path):
    entregas = tmp_path / "entregas"
    entregas.mkdir()
    shutil.copy(FIXTURES / "submissions" / "submission-infinite-loop.ipynb",
                entregas / "ana.ipynb")
    out = tmp_path / "out"
    args = ["grade", str(entregas), "--solutions", str(SOLUTIONS), "--out",
            str(out / "gradebook.csv"), "--feedback", str(out / "feedback"), "--timeout-cell",
            "4", "--timeout-total", "60", "--no-warm-cache", *ISOLATION]
    first = subprocess.Popen(
        [sys.executable, "-c", "import sys; from tlkit.cli import main; sys.exit(main(sys.argv[1:]))",
         *args], env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    lock = out / ".gradebook.csv.lock"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # until the first grader holds its outputs
        if lock.exists() and _locked(lock):
            break
        time.sleep(0.1)
    else:
        first.kill()
        pytest.fail("the first grader never locked its gradebook")
    second = subprocess.run(
        [sys.executable, "-c", "import sys; from tlkit.cli import main; sys.exit(main(sys.argv[1:]))",
         *args], env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
        timeout=120)
    assert second.returncode == 2
    assert "in use by another run" in second.stderr and f"pid {first.pid}" in second.stderr
    stdout, stderr = first.communicate(timeout=180)
    assert first.returncode in (0, 1), stderr
    rows = (out / "gradebook.csv").read_text().splitlines()
    assert rows[0].startswith("student,") and all(r.startswith("ana,") for r in rows[1:])
    assert sorted(p.name for p in (out / "feedback").iterdir()) == ["ana.html", "ana.md"]


def _locked(path: Path) -> bool:
    """Whether some process holds a flock on ``path`` (read from /proc/locks: no probe that
    could itself take the lock from the grader)."""
    inode = path.stat().st_ino
    return any(line.split()[5].split(":")[-1] == str(inode)
               for line in Path("/proc/locks").read_text().splitlines() if "FLOCK" in line)


def _hold(folder, ready, done):
    with FileLock(folder, "--keep-warm-cache"):
        ready.set()
        done.wait(60)


def test_a_kept_warm_cache_in_use_is_left_alone(tmp_path):
    import multiprocessing

    if os.geteuid() != 0:
        pytest.skip("kept warm caches belong to full isolation (root)")
    kept = tmp_path / "kept"
    kept.mkdir(mode=0o700)
    os.chmod(kept, 0o700)
    ctx = multiprocessing.get_context("fork")
    ready, done = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold, args=(kept, ready, done))
    holder.start()
    try:
        assert ready.wait(30)
        grader = Grader(load_assignments(SOLUTIONS), SOLUTIONS,
                        GradeOptions(isolation="basic", keep_warm_cache=str(kept)))
        try:
            assert grader.caches.kept is None
            assert any("in use by another run" in note for note in grader.notes)
        finally:
            grader.close()
    finally:
        done.set()
        holder.join()
    grader = Grader(load_assignments(SOLUTIONS), SOLUTIONS,
                    GradeOptions(isolation="basic", keep_warm_cache=str(kept)))
    try:
        assert grader.caches.kept == kept  # free again: used
    finally:
        grader.close()


def test_escapes_in_upload_names_never_reach_the_terminal(tmp_path, capsys):
    entregas = tmp_path / "entregas"
    bad = entregas / "ana\x1b[2J\x1b]0;pwned\x07"
    bad.mkdir(parents=True)
    shutil.copy(FIXTURES / "submissions" / "submission-malformed-json.ipynb",
                bad / "00_ejemplo.ipynb")
    code = cli.main(["grade", str(entregas), "--solutions", str(SOLUTIONS), "--out",
                     str(tmp_path / "gradebook.csv"), *ISOLATION])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "ana" in captured.out
    assert "\x1b" not in captured.out and "\x1b" not in captured.err
    assert "\x07" not in captured.out
