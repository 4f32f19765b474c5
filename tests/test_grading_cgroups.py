"""Cgroup v2 budgets: the limits against a fake /sys/fs/cgroup tree, and the real code path
(create, place, kill, remove; nested under the caller's group) on a real cgroup2 mount made in a
private mount namespace (root only; skipped with the reason elsewhere)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tlkit.grading.sandbox import cgroup2

ROOT = Path(__file__).resolve().parents[1]
INTERFACE = {"memory": ("memory.max", "memory.swap.max", "memory.events", "memory.peak"),
             "pids": ("pids.max",), "cpu": ("cpu.max", "cpu.weight")}

MOUNTINFO = ("24 1 0:21 / /sys/fs/cgroup rw,nosuid shared:9 - cgroup2 cgroup2 rw,nsdelegate\n"
             "25 1 0:22 / /proc rw - proc proc rw\n")


def test_mount_point_and_own_path_are_read_from_proc_texts():
    assert cgroup2.mount_point(MOUNTINFO) == Path("/sys/fs/cgroup")
    assert cgroup2.mount_point("25 1 0:22 / /proc rw - proc proc rw\n") is None
    v1 = "4:memory:/slurm/uid_0/job_7\n0::/\n"
    assert cgroup2.own_path(v1) == "/"
    assert cgroup2.own_path("0::/system.slice/slurmstepd.scope/job_7/step_0/user/task_0\n") \
        == "/system.slice/slurmstepd.scope/job_7/step_0/user/task_0"
    assert cgroup2.own_path("4:memory:/x\n") is None


def test_cpu_max_is_a_quota_of_the_given_cpus():
    assert cgroup2.cpu_max(2) == "200000 100000"
    assert cgroup2.cpu_max(0.5) == "50000 100000"
    assert cgroup2.cpu_max(0) == "max 100000"


def test_limit_files_only_for_enabled_controllers():
    everything = cgroup2.limit_files({"memory", "pids", "cpu"}, 512, 64, 1)
    assert everything == {"memory.max": str(512 * 2**20), "memory.swap.max": "0",
                          "pids.max": "64", "cpu.max": "100000 100000", "cpu.weight": "100"}
    assert cgroup2.cpu_weight(2) == 200 and cgroup2.cpu_weight(0.4) == 100
    assert cgroup2.cpu_weight(512) == 10000
    assert cgroup2.limit_files({"pids"}, 512, 64, 1) == {"pids.max": "64"}
    assert cgroup2.limit_files({"memory", "pids", "cpu"}, 0, 0, 0) == {}


# -- a fake tree: the layout of /sys/fs/cgroup, with a stand-in for what the kernel does ---------

@pytest.fixture
def fake(tmp_path, monkeypatch):
    """A fake v2 mount whose grader cgroup is /job_7/step_0 (as under Slurm), holding 2 pids."""
    mount = tmp_path / "cgroup"
    base = mount / "job_7" / "step_0"

    def make_group(path: Path, controllers=None):
        path.mkdir()
        parent = (path.parent / "cgroup.subtree_control")
        enabled = (controllers if controllers is not None
                   else set(parent.read_text().split()) if parent.exists() else set())
        (path / "cgroup.controllers").write_text(" ".join(sorted(enabled)))
        for name in ("cgroup.procs", "cgroup.subtree_control", "cgroup.kill"):
            (path / name).write_text("")
        for controller in enabled:
            for name in INTERFACE.get(controller, ()):
                (path / name).write_text("")

    def remove_group(path: Path):
        if (path / "cgroup.procs").read_text().split():
            raise OSError(16, "Device or resource busy", str(path))
        shutil.rmtree(path)

    mount.mkdir()
    (mount / "cgroup.subtree_control").write_text("cpu memory pids")
    make_group(mount / "job_7", {"cpu", "memory", "pids"})
    (mount / "job_7" / "cgroup.subtree_control").write_text("cpu memory pids")
    make_group(base)
    (base / "cgroup.procs").write_text("4242\n4243\n")
    monkeypatch.setattr(cgroup2, "_make_group", make_group)
    monkeypatch.setattr(cgroup2, "_remove_group", remove_group)

    def write(path: Path, value: str):  # appends like the kernel's "+memory" / cgroup.procs
        if path.name == "cgroup.subtree_control":
            current = set(path.read_text().split())
            if (path.parent / "cgroup.procs").read_text().split() and path.parent != mount:
                raise OSError(16, "Device or resource busy")  # no internal processes
            path.write_text(" ".join(sorted(current | {value.lstrip("+")})))
        elif path.name == "cgroup.procs":
            for other in mount.rglob("cgroup.procs"):
                other.write_text("".join(f"{p}\n" for p in other.read_text().split() if p != value))
            path.write_text(path.read_text() + value + "\n")
        else:
            assert path.exists(), f"{path.name} does not exist in cgroupfs"
            path.write_text(value)

    monkeypatch.setattr(cgroup2, "_write", write)
    info = f"24 1 0:21 / {mount} rw - cgroup2 cgroup2 rw\n"
    return cgroup2.locate(info, "0::/job_7/step_0\n")


def test_a_fake_tree_nested_under_the_callers_group_gets_every_budget(fake):
    tree = fake
    assert tree.base.name == "step_0"
    assert cgroup2.missing(tree) == ""
    assert cgroup2.prepare(tree, pid=99) == {"cpu", "memory", "pids"}
    host = tree.base / "tlkit-99-host"
    assert (host / "cgroup.procs").read_text().split() == ["4242", "4243"]
    assert (tree.base / "cgroup.procs").read_text().split() == []
    group = cgroup2.SubmissionCgroup2(tree, "tlkit-99-a", memory_mb=300, nproc=32, cpus=1)
    assert group.folder.parent == tree.base  # nested: the job's limits hold above it
    assert (group.folder / "memory.max").read_text() == str(300 * 2**20)
    assert (group.folder / "memory.swap.max").read_text() == "0"
    assert (group.folder / "pids.max").read_text() == "32"
    assert (group.folder / "cpu.max").read_text() == "100000 100000"
    assert (group.folder / "cpu.weight").read_text() == "100"
    assert group.swap_capped
    (group.folder / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 2\n")
    (group.folder / "memory.peak").write_text(str(150 * 2**20))
    assert group.oom_kills() == 2 and group.peak_mb() == 150
    group.kill_and_remove()
    assert not group.folder.exists()


def test_a_fake_tree_without_delegated_memory_says_what_is_missing(fake):
    tree = fake
    (tree.base / "cgroup.controllers").write_text("cpu pids")
    assert "memory" in cgroup2.missing(tree)
    assert "no cgroup v2" in cgroup2.missing(None)


def test_only_the_enabled_controllers_get_limits(fake):
    tree = fake
    (tree.base / "cgroup.controllers").write_text("pids")
    assert cgroup2.prepare(tree, pid=98) == {"pids"}
    group = cgroup2.SubmissionCgroup2(tree, "tlkit-98-a", memory_mb=300, nproc=32, cpus=1)
    assert group.limits == {"pids.max": "32"} and not group.swap_capped
    assert not (group.folder / "memory.max").exists()
    group.kill_and_remove()


def test_stale_groups_of_dead_graders_are_removed(fake):
    tree = fake
    cgroup2.prepare(tree, pid=97)
    dead = 2**22 + 12345  # above pid_max on this kernel's default: never a live process
    for name in (f"tlkit-{dead}-x", f"tlkit-{os.getpid()}-y"):
        cgroup2._make_group(tree.base / name)
    assert cgroup2.remove_stale(tree) == 1
    assert (tree.base / f"tlkit-{os.getpid()}-y").exists()


# -- the real thing: a cgroup2 mount in a private mount namespace --------------------------------

REAL = textwrap.dedent("""
    import os, subprocess, sys, time
    from pathlib import Path
    from tlkit.grading.sandbox import cgroup2
    mount = Path(sys.argv[1])
    tree = cgroup2.locate()
    assert tree is not None and tree.mount == mount, (tree, mount)
    # The only v2 controller here is hugetlb (the others are bound to v1): hand it down so the
    # no-internal-processes rule applies to the nested group as it does to memory elsewhere.
    root_enabled = (mount / "cgroup.subtree_control").read_text().split()
    if "hugetlb" in (mount / "cgroup.controllers").read_text().split():
        (mount / "cgroup.subtree_control").write_text("+hugetlb")
    job = mount / ("tlkit-test-job-%d" % os.getpid())  # the caller's group, like Slurm's job_7
    host = job / ("tlkit-%d-host" % os.getpid())
    try:
        job.mkdir()
        (job / "cgroup.procs").write_text(str(os.getpid()))
        tree = cgroup2.locate()
        assert tree.base == job, tree
        wanted = tuple(tree.controllers())[:1]
        print("controllers", sorted(tree.controllers()), "missing:", cgroup2.missing(tree))
        enabled = cgroup2.prepare(tree, wanted=wanted)  # EBUSY first: the caller is in job
        assert str(os.getpid()) in (host / "cgroup.procs").read_text().split()
        assert (job / "cgroup.procs").read_text().split() == []
        print("enabled for children", sorted(enabled))
        group = cgroup2.SubmissionCgroup2(tree, "tlkit-%d-sub" % os.getpid(), 300, 32, 1)
        print("limits written", group.limits)
        proc = subprocess.Popen(["sh", "-c", "sleep 300 & sleep 300 & setsid sleep 300 & wait"],
                                preexec_fn=group.attach_self, start_new_session=True)
        for _ in range(100):
            if len(group.pids()) == 4:
                break
            time.sleep(0.05)
        pids = group.pids()
        assert len(pids) == 4, pids
        line = Path("/proc/%d/cgroup" % proc.pid).read_text()
        assert line.strip().endswith(str(group.folder.relative_to(mount))), line
        assert cgroup2.procs_file(proc.pid, mount) == group.folder / "cgroup.procs"
        group.kill_and_remove()
        proc.wait(timeout=10)
        assert not group.folder.exists()
        for pid in pids:
            assert not Path("/proc/%d" % pid).exists() or \\
                Path("/proc/%d/stat" % pid).read_text().split()[2] == "Z", pid
        print("placed", len(pids), "processes, killed them with cgroup.kill, removed the group")
    finally:  # leave the machine's cgroup2 hierarchy as it was
        (mount / "cgroup.procs").write_text(str(os.getpid()))
        for folder in (host, job):
            if folder.is_dir():
                folder.rmdir()
        if "hugetlb" not in root_enabled:
            (mount / "cgroup.subtree_control").write_text("-hugetlb")
""")


def test_the_v2_code_path_on_a_real_cgroup2_mount(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mounting cgroup2 in a private mount namespace needs root")
    if shutil.which("unshare") is None:
        pytest.skip("util-linux `unshare` is missing")
    mount = tmp_path / "cgroup2"
    mount.mkdir()
    script = tmp_path / "real.py"
    script.write_text(REAL)
    result = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c",
         f'umount /sys/fs/cgroup/unified 2>/dev/null; mount -t cgroup2 none "$1" || exit 77; '
         f'exec "{sys.executable}" "$2" "$1"', "sh",
         str(mount), str(script)],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    if result.returncode == 77:
        pytest.skip(f"cannot mount cgroup2 here: {result.stderr.strip()}")
    assert result.returncode == 0, result.stdout + result.stderr
    print(result.stdout)
    assert "killed them with cgroup.kill" in result.stdout


# -- the facade: v1 here (root), nested in the grader's own groups, with a CPU quota ------------

def test_v1_groups_are_nested_in_the_callers_and_carry_a_cpu_quota():
    from tlkit.grading.sandbox import cgroups

    if cgroups.backend() != "v1":
        pytest.skip(f"not a cgroup v1 host with root (backend: {cgroups.backend() or 'none'})")
    name = f"tlkit-{os.getpid()}-test"
    group = cgroups.for_submission(name, memory_mb=300, nproc=16, cpus=1.5)
    try:
        assert group.folders[0] == cgroups.v1_base("memory") / name
        assert group.folders[0].parent == cgroups.v1_base("memory")
        memory = group.folders[0]
        assert int((memory / "memory.limit_in_bytes").read_text()) == 300 * 2**20
        assert int((group.folders[1] / "pids.max").read_text()) == 16
        cpu = group.folders[2:]  # memory, pids, then cpu when the host mounts it
        if cpu:
            period = int((cpu[0] / "cpu.cfs_period_us").read_text())
            assert int((cpu[0] / "cpu.cfs_quota_us").read_text()) == int(1.5 * period)
            assert int((cpu[0] / "cpu.shares").read_text()) == 2048
        proc = subprocess.Popen(["sleep", "300"], preexec_fn=group.attach_self)
        for folder in group.folders:
            assert str(proc.pid) in (folder / "cgroup.procs").read_text().split()
    finally:
        group.kill_and_remove()
    proc.wait(timeout=10)
    assert not any(f.exists() for f in group.folders)


def test_v1_base_reads_the_callers_group_per_controller():
    from tlkit.grading.sandbox import cgroups

    text = "12:pids:/slurm/job_7\n4:memory:/slurm/job_7/step_0\n3:cpu,cpuacct:/\n0::/\n"
    assert cgroups.v1_base("memory", text) == cgroups.ROOT / "memory/slurm/job_7/step_0"
    assert cgroups.v1_base("pids", text) == cgroups.ROOT / "pids/slurm/job_7"
    assert cgroups.v1_base("cpu", text) == cgroups.ROOT / "cpu"


@pytest.fixture
def v2_facade(fake, monkeypatch):
    """The cgroups facade on the fake v2 tree (no v1 here), caches cleared before and after."""
    from tlkit.grading.sandbox import cgroups

    later = cgroup2.Tree(fake.mount, fake.base / f"tlkit-{os.getpid()}-host")
    calls = []

    def locate():  # the real one reads /proc: after prepare the grader sits in the host leaf
        calls.append(1)
        return fake if len(calls) == 1 else later

    monkeypatch.setattr(cgroups, "_v1_ready", lambda: False)
    monkeypatch.setattr(cgroup2, "locate", locate)
    cgroups.backend.cache_clear()
    cgroups.v2_tree.cache_clear()
    yield cgroups, fake
    cgroups.backend.cache_clear()
    cgroups.v2_tree.cache_clear()


def test_the_facade_makes_v2_groups_in_the_base_even_after_the_grader_moved(v2_facade,
                                                                            monkeypatch):
    cgroups, tree = v2_facade
    monkeypatch.setattr(cgroups.systemd_scope, "systemd_running", lambda: False)
    assert cgroups.backend() == "v2" and cgroups.controllers() == {"cpu", "memory", "pids"}
    group = cgroups.for_submission(f"tlkit-{os.getpid()}-s", 300, 32, cpus=2)
    assert group.folder.parent == tree.base  # beside the grader's leaf, not inside it
    assert (group.folder / "cpu.weight").read_text() == "200"
    group.kill_and_remove()


def test_the_facade_never_writes_into_a_tree_systemd_manages_undelegated(v2_facade,
                                                                         monkeypatch):
    cgroups, tree = v2_facade
    monkeypatch.setattr(cgroups.systemd_scope, "systemd_running", lambda: True)
    monkeypatch.setattr(cgroups.systemd_scope, "is_delegated", lambda folder: False)
    assert cgroups.backend() == "" and "not delegated" in cgroups.missing()
    assert not (tree.base / f"tlkit-{os.getpid()}-host").exists()  # nothing moved
    cgroups.backend.cache_clear()
    monkeypatch.setenv(cgroups.systemd_scope.MARK, "1")  # the scope tlkit grade made itself
    assert cgroups.backend() == "v2"
    monkeypatch.delenv(cgroups.systemd_scope.MARK)
    cgroups.backend.cache_clear()
    monkeypatch.setattr(cgroups.systemd_scope, "is_delegated", lambda folder: folder == tree.base)
    assert cgroups.backend() == "v2"
