"""The host side of the sandbox without a kernel: supervising a worker (a stand-in command
that prints events), cgroups on a stand-in tree, the clean environment."""

from __future__ import annotations

import os
import shlex
import time

import pytest

from tlkit.grading.protocol import CellRun, Job, KernelStarted, event_line
from tlkit.grading.sandbox import cgroups
from tlkit.grading.sandbox.environment import sandbox_env
from tlkit.grading.sandbox.supervise import run_worker

JOB = Job(cells=(), scratch="/tmp/x", timeout_cell=1, timeout_given=1, isolation="basic")


def _worker(script: str) -> list[str]:
    """A command prefix that stands in for the worker (the real worker's argv is ignored)."""
    return ["sh", "-c", script, "sh"]


def test_the_workers_events_are_parsed_once_and_noise_is_ignored():
    lines = [event_line(KernelStarted(1, 0.5)), "ruido que no es un evento",
             event_line(CellRun(0, "ok", output="hola")), '{"event": "done"}']
    script = "; ".join(f"echo {shlex.quote(line)}" for line in lines) + "; echo fallo >&2"
    run = run_worker(JOB, command=_worker(script), env=dict(os.environ), total=30)
    assert run.started and run.done and not run.killed and run.returncode == 0
    assert run.cells == {0: CellRun(0, "ok", output="hola")}
    assert run.kernel_seconds == 0.5 and run.stderr == "fallo\n"


def test_a_worker_past_its_total_time_is_killed_with_its_children():
    start = time.monotonic()
    run = run_worker(JOB, command=_worker("sleep 30 & sleep 30"), env=dict(os.environ), total=1)
    assert run.killed and not run.started and time.monotonic() - start < 15


def test_the_sandbox_environment_is_clean_offline_and_strict(monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secreto")
    env = sandbox_env("/sandbox", threads=3)
    assert "AWS_SECRET_ACCESS_KEY" not in env
    assert env["TLKIT_OFFLINE"] == env["TLKIT_CHECK_STRICT"] == "1"
    assert env["HOME"] == "/sandbox/work" and env["OMP_NUM_THREADS"] == "3"


@pytest.fixture
def fake_cgroups(tmp_path, monkeypatch):
    for controller in ("memory", "pids"):
        (tmp_path / controller).mkdir()
    monkeypatch.setattr(cgroups, "ROOT", tmp_path)
    return tmp_path


def test_stale_cgroups_of_dead_graders_are_removed_and_live_ones_kept(fake_cgroups):
    dead = 2**22 + 7  # above pid_max on Linux: no such process
    for controller in ("memory", "pids"):
        (fake_cgroups / controller / f"tlkit-{dead}-abc").mkdir()
        (fake_cgroups / controller / f"tlkit-{os.getpid()}-def").mkdir()
    assert cgroups.remove_stale() == 2
    assert [p.name for p in (fake_cgroups / "memory").iterdir()] == [f"tlkit-{os.getpid()}-def"]


def test_a_cgroup_that_cannot_be_set_up_is_removed_and_the_error_raised(fake_cgroups):
    with pytest.raises(OSError):  # the stand-in tree has no control files to write
        cgroups.SubmissionCgroup("tlkit-1-x", 64, 8)
    assert not (fake_cgroups / "memory" / "tlkit-1-x").exists()
    assert not (fake_cgroups / "pids" / "tlkit-1-x").exists()


def test_out_of_memory_kills_and_peak_are_read_from_the_memory_cgroup(fake_cgroups):
    group = object.__new__(cgroups.SubmissionCgroup)
    group.folders = [fake_cgroups / "memory" / "g", fake_cgroups / "pids" / "g"]
    assert group.oom_kills() == 0 and group.peak_mb() == 0.0  # nothing to read: nothing seen
    group.folders[0].mkdir()
    (group.folders[0] / "memory.oom_control").write_text("oom_kill_disable 0\noom_kill 3\n")
    (group.folders[0] / "memory.max_usage_in_bytes").write_text(str(300 * 2**20))
    assert group.oom_kills() == 3 and group.peak_mb() == 300.0

