"""Safe extraction of zip and tar archives (datasets from Drive, Kaggle or the web).

Refuses, with an error naming the archive and the member: absolute paths, ``..`` components,
symbolic/hard links and device files, more than ``max_members`` members, and more than
``max_bytes`` uncompressed in total (zip bombs; counted while writing too, not only from the
headers). Extracts into a temporary folder beside the target and renames it into place, so a
refused or interrupted archive leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path, PurePosixPath

from tlkit import config

MAX_BYTES = 20 * 1024**3  # 20 GiB uncompressed
MAX_MEMBERS = 500_000
_CHUNK = 1 << 20


class UnsafeArchiveError(ValueError):
    """An archive member would escape the target folder, is a link, or exceeds a cap."""


def is_archive(path: str | Path) -> bool:
    """True for the archive kinds :func:`safe_extract` handles (zip, tar, tar.gz, tgz…)."""
    name = str(path).lower()
    return name.endswith((".zip", ".tar", ".tgz", ".tar.gz", ".tar.bz2", ".tar.xz"))


def extracted_dir(archive: Path) -> Path:
    """The cache folder an archive is extracted into (keyed by its path, size and mtime)."""
    st = archive.stat()
    key = hashlib.sha256(f"{archive.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode())
    stem = archive.name.split(".")[0] or "archive"
    return config.home() / "extracted" / f"{stem}-{key.hexdigest()[:12]}"


def extract_archive(archive: str | os.PathLike) -> Path:
    """Extract an archive once into the kit's cache (safely, :func:`safe_extract`); the folder."""
    archive = Path(archive)
    target = extracted_dir(archive)
    if not target.is_dir():
        safe_extract(archive, target)
    return target


def safe_extract(archive: str | Path, target: str | Path, *, max_bytes: int | None = None,
                 max_members: int | None = None) -> Path:
    """Extract ``archive`` into the new folder ``target`` (which must not exist) safely."""
    archive, target = Path(archive), Path(target)
    max_bytes = MAX_BYTES if max_bytes is None else max_bytes
    max_members = MAX_MEMBERS if max_members is None else max_members
    if target.exists():
        raise FileExistsError(f"{target} already exists; extract into a new folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        if zipfile.is_zipfile(archive):
            _extract_zip(archive, tmp, max_bytes, max_members)
        elif tarfile.is_tarfile(archive):
            _extract_tar(archive, tmp, max_bytes, max_members)
        else:
            raise UnsafeArchiveError(f"{archive}: not a zip or tar archive")
        tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def _safe_parts(archive: Path, name: str) -> tuple[str, ...]:
    """The path components of a member name, or an error if it could escape the target."""
    unified = name.replace("\\", "/")
    if unified.startswith("/") or (len(unified) > 1 and unified[1] == ":"):
        raise UnsafeArchiveError(f"{archive}: member {name!r} has an absolute path; refused")
    parts = tuple(p for p in PurePosixPath(unified).parts if p not in ("", "."))
    if ".." in parts:
        raise UnsafeArchiveError(f"{archive}: member {name!r} contains '..' (path traversal); "
                                 f"refused")
    return parts


def _check_caps(archive: Path, members: int, total: int, max_bytes: int, max_members: int,
                name: str) -> None:
    if members > max_members:
        raise UnsafeArchiveError(f"{archive}: more than {max_members:,} members (at {name!r}); "
                                 f"refused as a possible zip bomb")
    if total > max_bytes:
        raise UnsafeArchiveError(f"{archive}: member {name!r} takes the uncompressed size over "
                                 f"the cap of {max_bytes:,} bytes; refused as a possible "
                                 f"zip bomb")


def _copy(archive: Path, name: str, src, dest: Path, budget: int) -> int:
    """Copy a member's stream, stopping as soon as it writes more than ``budget`` bytes."""
    written = 0
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest, "wb") as out:
        for chunk in iter(lambda: src.read(_CHUNK), b""):
            written += len(chunk)
            if written > budget:
                raise UnsafeArchiveError(f"{archive}: member {name!r} expands beyond the "
                                         f"uncompressed-size cap; refused as a zip bomb")
            out.write(chunk)
    return written


def _extract_zip(archive: Path, dest: Path, max_bytes: int, max_members: int) -> None:
    with zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
        total = 0
        for count, info in enumerate(infos, 1):  # check everything before writing anything
            _safe_parts(archive, info.filename)
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise UnsafeArchiveError(f"{archive}: member {info.filename!r} is a symbolic "
                                         f"link; refused")
            total += info.file_size
            _check_caps(archive, count, total, max_bytes, max_members, info.filename)
        written = 0
        for info in infos:
            path = dest.joinpath(*_safe_parts(archive, info.filename))
            if info.is_dir():
                path.mkdir(parents=True, exist_ok=True)
                continue
            with zf.open(info) as src:
                written += _copy(archive, info.filename, src, path, max_bytes - written)
            _keep_zip_time(path, info)


def _keep_zip_time(path: Path, info: zipfile.ZipInfo) -> None:
    """Give an extracted file the modification time the zip recorded (local time, as zip
    stores it): which of two uploads is newer must survive extraction."""
    try:
        stamp = time.mktime(info.date_time + (0, 0, -1))
        os.utime(path, (stamp, stamp))
    except (OverflowError, ValueError, OSError):
        pass  # an impossible date in the zip: keep the extraction time


def _extract_tar(archive: Path, dest: Path, max_bytes: int, max_members: int) -> None:
    with tarfile.open(archive) as tf:
        total = written = 0
        count = 0
        for member in tf:  # streaming: one pass, each member checked before it is written
            count += 1
            parts = _safe_parts(archive, member.name)
            if member.issym() or member.islnk():
                raise UnsafeArchiveError(f"{archive}: member {member.name!r} is a link; refused")
            if not (member.isfile() or member.isdir()):
                raise UnsafeArchiveError(f"{archive}: member {member.name!r} is a device or "
                                         f"special file; refused")
            total += member.size
            _check_caps(archive, count, total, max_bytes, max_members, member.name)
            path = dest.joinpath(*parts) if parts else dest
            if member.isdir():
                path.mkdir(parents=True, exist_ok=True)
                continue
            src = tf.extractfile(member)
            written += _copy(archive, member.name, src, path, max_bytes - written)
