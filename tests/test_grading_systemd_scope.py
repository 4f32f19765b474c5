"""When the grader re-runs itself in a delegated systemd scope. systemd is not PID 1 on the
machines this kit is developed on, so `systemd-run` itself never runs here: these tests check
the decision and the command against a fake cgroup v2 tree, not systemd."""

from __future__ import annotations

import os
import pytest

from tlkit.grading.sandbox import cgroup2, systemd_scope


@pytest.fixture
def tree(tmp_path):
    base = tmp_path / "user.slice" / "user-1001.slice" / "session-3.scope"
    base.mkdir(parents=True)
    (base / "cgroup.procs").write_text("")
    return cgroup2.Tree(tmp_path, base)


def test_scope_command_delegates_and_collects():
    assert systemd_scope.scope_command(["tlkit", "grade", "a b"], user=True) == [
        "systemd-run", "--user", "--scope", "--quiet", "--collect", "-p", "Delegate=yes", "--",
        "tlkit", "grade", "a b"]
    assert "--user" not in systemd_scope.scope_command(["x"], user=False)


def test_enter_only_under_systemd_when_not_yet_delegated(tree, monkeypatch):
    monkeypatch.setattr(systemd_scope, "systemd_running", lambda: True)
    monkeypatch.setattr(systemd_scope.shutil, "which", lambda name: f"/usr/bin/{name}")
    assert "session-3.scope" in systemd_scope.reason_to_enter(tree, {})
    assert systemd_scope.reason_to_enter(tree, {systemd_scope.MARK: "1"}) == ""  # no loop
    assert systemd_scope.reason_to_enter(None, {}) == ""  # cgroup v1: nothing to gain
    monkeypatch.setattr(systemd_scope, "is_delegated", lambda folder: folder == tree.base)
    assert systemd_scope.reason_to_enter(tree, {}) == ""
    monkeypatch.setattr(systemd_scope, "systemd_running", lambda: False)
    monkeypatch.setattr(systemd_scope, "is_delegated", lambda folder: False)
    assert systemd_scope.reason_to_enter(tree, {}) == ""


def test_delegation_is_read_from_systemds_xattr(tree):
    assert not systemd_scope.is_delegated(tree.base)
    try:
        os.setxattr(tree.base, "user.delegate", b"1")
    except OSError as exc:
        pytest.skip(f"this filesystem keeps no user xattrs: {exc}")
    assert systemd_scope.is_delegated(tree.base)


def test_only_the_tlkit_grade_command_re_runs_itself(tree, monkeypatch):
    monkeypatch.setattr(systemd_scope.cgroup2, "locate", lambda: tree)
    monkeypatch.setattr(systemd_scope, "reason_to_enter", lambda t: "not delegated")
    monkeypatch.setattr(systemd_scope, "probe", lambda user: "")
    ran = []
    monkeypatch.setattr(systemd_scope.os, "execvpe", lambda *a: ran.append(a))
    monkeypatch.setattr(systemd_scope.sys, "argv", ["pytest", "tests"])
    systemd_scope.enter_if_needed()
    assert ran == []  # an in-process caller is never replaced
    monkeypatch.setattr(systemd_scope.sys, "argv", ["tlkit", "grade", "entregas tarde/"])
    systemd_scope.enter_if_needed()
    (program, argv, env), = ran
    assert program == "systemd-run" and argv[-2:] == ["grade", "entregas tarde/"]
    assert "Delegate=yes" in argv and env[systemd_scope.MARK] == "1"


def test_a_failed_probe_is_a_note_and_the_grader_goes_on(tree, monkeypatch):
    monkeypatch.setattr(systemd_scope.sys, "argv", ["tlkit", "grade", "x"])
    monkeypatch.setattr(systemd_scope.cgroup2, "locate", lambda: tree)
    monkeypatch.setattr(systemd_scope, "reason_to_enter", lambda t: "not delegated")
    monkeypatch.setattr(systemd_scope, "probe", lambda user: "Failed to connect to bus")
    notes = []
    systemd_scope.enter_if_needed(notes.append)
    assert notes and "Failed to connect to bus" in notes[0]
