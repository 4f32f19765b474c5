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
