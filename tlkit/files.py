"""Writing files so that a reader never sees half of one: the kit's one atomic-write helper.

Every file the kit produces for later reading (downloads, extracted archives, checkpoints,
gradebooks, feedback, generated notebooks) goes through a temporary file in the target's own
folder and ``os.replace``: an interrupted write leaves the old file or nothing, never a stub.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, mode: int = 0o644, fsync: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` atomically.

    For writers that want a file name (``torch.save``, ``shutil.copyfile``, pooch). On any
    exception the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, mode)
        if fsync:
            with open(tmp, "rb") as handle:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write(path: str | os.PathLike, data: bytes | str, *, mode: int = 0o644,
                 fsync: bool = False) -> Path:
    """Write ``data`` (bytes, or text as UTF-8) to ``path`` atomically; return ``path``."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_path(path, mode=mode, fsync=fsync) as tmp:
        tmp.write_bytes(payload)
    return Path(path)


class Busy(RuntimeError):
    """Another process holds the lock (its pid, when it wrote one, is in the message)."""


class FileLock:
    """An exclusive ``flock`` held while a run writes somewhere, released when it ends.

    ``path`` is a lock file (made if missing, never removed: removing lock files races) or a
    folder (locked through its own descriptor, nothing written in it). The kernel drops the lock
    when the process dies, so a killed run never leaves a stale lock behind.
    """

    def __init__(self, path: str | os.PathLike, what: str):
        import fcntl

        self.path = Path(path)
        folder = self.path.is_dir()
        self.fd = os.open(self.path, os.O_RDONLY if folder else os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = "" if folder else os.pread(self.fd, 32, 0).decode(errors="replace").strip()
            os.close(self.fd)
            raise Busy(f"{what} {self.path} is in use by another run"
                       + (f" (pid {holder})" if holder.isdigit() else "")
                       + ": wait for it to end, or choose another") from None
        if not folder:
            os.ftruncate(self.fd, 0)
            os.pwrite(self.fd, str(os.getpid()).encode(), 0)

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)  # closing the descriptor releases the flock
            self.fd = -1

    def __enter__(self) -> FileLock:
        return self

    def __exit__(self, *exc) -> None:
        self.release()
