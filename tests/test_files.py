"""tlkit.files: atomic writes leave the old file or the new one, never a half-written one."""

from __future__ import annotations

import pytest

from tlkit.files import atomic_path, atomic_write


def test_atomic_write_replaces_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "sub" / "a.txt"
    atomic_write(target, "uno")
    atomic_write(target, b"dos")
    assert target.read_bytes() == b"dos"
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.txt"]
    assert target.stat().st_mode & 0o777 == 0o644


def test_failed_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "a.bin"
    atomic_write(target, b"old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("interrupted")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]


def test_private_mode(tmp_path):
    target = atomic_write(tmp_path / "secret.csv", "x", mode=0o600)
    assert target.stat().st_mode & 0o777 == 0o600


def _hold_in_child(path, ready, done):
    from tlkit.files import FileLock

    with FileLock(path, "folder"):
        ready.set()
        done.wait(30)


@pytest.mark.parametrize("kind", ["file", "folder"])
def test_file_lock_refuses_a_second_process_and_dies_with_its_holder(tmp_path, kind):
    import multiprocessing

    from tlkit.files import Busy, FileLock

    path = tmp_path / ("out" if kind == "folder" else ".gradebook.csv.lock")
    if kind == "folder":
        path.mkdir()
    ctx = multiprocessing.get_context("fork")
    ready, done = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold_in_child, args=(path, ready, done))
    holder.start()
    assert ready.wait(30)
    with pytest.raises(Busy, match="in use by another run" + (
            rf" \(pid {holder.pid}\)" if kind == "file" else "")):
        FileLock(path, "folder")
    holder.kill()  # a killed run leaves no stale lock
    holder.join()
    with FileLock(path, "folder"):
        pass
    if kind == "folder":
        assert list(path.iterdir()) == []  # nothing written in a locked folder
