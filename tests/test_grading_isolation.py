"""Isolation without the cgroup machinery: keyrings per submission, the rootless sandbox
(bubblewrap in a user namespace, run for real as an unprivileged user), and which mode each host
resolves to. Root is needed to switch users; elsewhere these skip with the reason."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import textwrap
from pathlib import Path

import pytest

from tlkit.grading.inside import limits
from tlkit.grading.options import Limits
from tlkit.grading.sandbox import bwrap, isolation

ROOT = Path(__file__).resolve().parents[1]
SYSTEM_PYTHON = "/usr/bin/python3"  # readable by any user (this venv's may live in /root)
KEYS = textwrap.dedent("""
    import ctypes, sys
    libc = ctypes.CDLL(None, use_errno=True)
    NR = {"x86_64": (248, 250), "aarch64": (217, 219)}[__import__("platform").machine()]
    if sys.argv[1] == "put":
        data = b"9/9"
        print(libc.syscall(NR[0], b"user", b"respuestas", data, len(data), -4) > 0)
    else:
        print(libc.syscall(NR[1], 10, -4, b"user", b"respuestas", 0) > 0)  # KEYCTL_SEARCH @u
""")


@pytest.fixture
def public_dir():
    """A folder any user can read (pytest's tmp_path is root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="tlkit-test-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _needs_root_and_system_python():
    if os.geteuid() != 0:
        pytest.skip("switching to another uid needs root")
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        pytest.skip(f"no {SYSTEM_PYTHON} for an unprivileged user to run")


def _as(uid: int, args: list[str], preexec=None) -> str:
    def become():
        if preexec:
            preexec()
        else:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)

    done = subprocess.run(args, capture_output=True, text=True, timeout=60, cwd="/",
                          preexec_fn=become, env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_submission_uid_never_sees_keys_an_earlier_process_of_it_left(public_dir):
    _needs_root_and_system_python()
    script = public_dir / "keys.py"
    script.write_text(KEYS)
    uid = isolation.submission_uid(7)
    assert _as(uid, [SYSTEM_PYTHON, str(script), "put"]) == "True"  # a solved submission
    # Control: without the grader's drop, the key outlives its process (the leak of issue 19).
    if _as(uid, [SYSTEM_PYTHON, str(script), "get"]) != "True":
        pytest.skip("this kernel does not keep a uid's user keyring between its processes")
    # The next kernel under that uid drops privileges through inside.limits: keyrings emptied.
    assert _as(uid, [SYSTEM_PYTHON, str(script), "get"],
               preexec=lambda: limits.drop_privileges(uid)) == "False"
    assert isolation.submission_uid(7) != isolation.submission_uid(8)


PROBE = textwrap.dedent("""
    import json, os, socket
    found = {"uid": os.getuid(), "uid_map": open("/proc/self/uid_map").read().split(),
             "root_visible": os.path.exists("/root"), "work_visible": os.path.exists("/work"),
             "tmp": os.listdir("/tmp")}
    try:
        socket.create_connection(("1.1.1.1", 53), timeout=2)
        found["network"] = True
    except OSError:
        found["network"] = False
    found["ifaces"] = sorted(name for _, name in socket.if_nameindex())
    try:
        open("/usr/tlkit-was-here", "w")
        found["usr_writable"] = True
    except OSError:
        found["usr_writable"] = False
    print(json.dumps(found))
""")


def test_the_rootless_sandbox_as_an_unprivileged_user(public_dir, monkeypatch):
    """The `rootless`/non-root `full` bubblewrap command, run by uid 65534 (nobody): a mapped uid
    in its own user namespace, no network, nothing of the host but the read-only system."""
    _needs_root_and_system_python()
    if not shutil.which("bwrap"):
        pytest.skip("bubblewrap is not installed")
    secret = Path("/tmp") / f"tlkit-test-secret-{os.getpid()}"
    secret.write_text("the instructor's")
    script = public_dir / "probe.py"
    script.write_text(PROBE)
    # nobody cannot read this venv (it may live in /root): the probe runs Debian's python
    # from /usr, which the sandbox binds anyway.
    monkeypatch.setattr(bwrap, "needed_paths", lambda: [])
    command = bwrap.bwrap_command([(str(script), "probe.py")], Limits(disk_mb=64), rootless=True)
    assert "--unshare-user" in command and "--cap-add" not in command
    try:
        out = _as(65534, [*command, SYSTEM_PYTHON, "/sandbox/files/probe.py"])
    finally:
        secret.unlink()
    import json

    found = json.loads(out.splitlines()[-1])
    print(found)
    assert found["uid"] == bwrap.ROOTLESS_UID
    # One uid mapped (bubblewrap nests a namespace: the parent id shown is its own 0, which
    # is nobody outside); nothing else of the host's users exists in there.
    assert found["uid_map"][0] == str(bwrap.ROOTLESS_UID) and found["uid_map"][2] == "1"
    assert not found["network"] and found["ifaces"] == ["lo"]
    assert not found["root_visible"] and not found["work_visible"] and found["tmp"] == []
    assert not found["usr_writable"]


def test_without_root_student_code_never_runs_as_the_grader(monkeypatch):
    monkeypatch.setattr(isolation, "rootless", lambda: True)
    monkeypatch.setattr(isolation.cgroups, "available", lambda: False)
    monkeypatch.setattr(isolation.cgroups, "missing", lambda: "not delegated")
    monkeypatch.setattr(isolation.shutil, "which", lambda name: "/usr/bin/bwrap")
    monkeypatch.setattr(isolation, "bwrap_works", lambda: True)
    assert isolation.resolve_isolation("basic") == "rootless"
    assert isolation.resolve_isolation("full", allow_weaker=True) == "rootless"
    with pytest.raises(isolation.IsolationError, match="not delegated"):
        isolation.resolve_isolation("full")
    monkeypatch.setattr(isolation.cgroups, "available", lambda: True)
    assert isolation.resolve_isolation("full") == "full"
    monkeypatch.setattr(isolation, "bwrap_works", lambda: False)  # no user namespaces
    with pytest.raises(isolation.IsolationError, match="as your own user"):
        isolation.resolve_isolation("basic")
    assert isolation.resolve_isolation("basic", allow_weaker=True) == "basic"
    assert "RUNS AS YOUR OWN USER" in isolation.describe("basic", Limits())


def test_as_root_basic_stays_basic_and_full_needs_budgets(monkeypatch):
    monkeypatch.setattr(isolation, "rootless", lambda: False)
    monkeypatch.setattr(isolation, "bwrap_works", lambda: True)
    monkeypatch.setattr(isolation.cgroups, "available", lambda: False)
    monkeypatch.setattr(isolation.cgroups, "missing", lambda: "cgroup v2: no memory")
    assert isolation.resolve_isolation("basic") == "basic"
    with pytest.raises(isolation.IsolationError, match="no memory"):
        isolation.resolve_isolation("full")


def test_threads_follow_the_cpus_slurm_accounted_not_the_nodes_cores():
    from tlkit.grading.sandbox.environment import usable_cpus

    cores = len(os.sched_getaffinity(0))
    assert usable_cpus({"SLURM_CPUS_PER_TASK": "1"}) == 1
    assert usable_cpus({"SLURM_CPUS_PER_TASK": str(cores + 62)}) == cores  # never above affinity
    assert usable_cpus({"SLURM_CPUS_PER_TASK": "dos"}) == usable_cpus({}) == cores
