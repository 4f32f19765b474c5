"""Hash-checked downloads into a cache folder, with pooch's HTTP downloader (DESIGN §3, step 3).

The file streams to a temporary file beside the target (:func:`tlkit.files.atomic_path`) with
a tqdm progress bar; its pinned size and hash are checked before it is renamed into place, so a
wrong or truncated download never lands in the cache. Connections time out quickly
(:data:`TIMEOUT`); only a transfer broken half-way is retried, never a wrong hash (the same
bytes would come again) nor a server that does not answer. With ``TLKIT_OFFLINE=1`` no
connection is attempted at all.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tlkit import config
from tlkit.data.registry import Remote, remote
from tlkit.files import atomic_path

TIMEOUT = (5.0, 30.0)  # seconds to connect, and to wait for each block of data


class DownloadError(RuntimeError):
    """A download failed (HTTP error, broken transfer, wrong hash); nothing was cached.

    ``cause`` says why in a few Spanish words, for the fallback's banner.
    """

    def __init__(self, message: str, cause: str = "la descarga falló"):
        super().__init__(message)
        self.cause = cause


class OfflineError(DownloadError):
    """A file is needed that is not cached, and ``TLKIT_OFFLINE=1`` forbids downloading it."""


def downloads_dir() -> Path:
    """Where downloaded datasets live: ``<TLKIT_HOME>/downloads``."""
    return config.home() / "downloads"


def fetch(entry: Remote | str, *, folder: Path | None = None, progress: bool = True,
          retries: int = 1) -> Path:
    """Download a registry file into ``folder`` (default :func:`downloads_dir`), or reuse a
    copy there that passes :meth:`Remote.verify`.

    Raises :class:`OfflineError` without touching the network when offline, and
    :class:`DownloadError` naming the file, the URL and the cause when the download fails.
    """
    entry = remote(entry) if isinstance(entry, str) else entry
    folder = downloads_dir() if folder is None else Path(folder)
    target = folder / entry.filename
    if target.is_file() and entry.verify(target) is None:
        return target
    if config.offline():
        raise OfflineError(
            f"{entry.filename} is not in the cache ({target}) and TLKIT_OFFLINE=1 forbids "
            f"downloading it from {entry.url}. Unset TLKIT_OFFLINE, or put the file in "
            f"TLKIT_DATA_DIR.", "TLKIT_OFFLINE=1 impide descargarlo")
    size = f" ({entry.size / 1e6:,.0f} MB)" if entry.size else ""
    print(f"Descargando {entry.filename}{size} de {entry.url} a {folder}", flush=True)
    for attempt in range(retries + 1):
        try:
            return _download(entry, target, progress)
        except _Broken as exc:
            if attempt == retries:
                raise DownloadError(
                    f"could not download {entry.filename} from {entry.url}: the transfer broke "
                    f"off ({exc.__cause__}); nothing was saved in {folder}",
                    "la descarga se cortó a medias") from exc.__cause__
    raise AssertionError("unreachable")


class _Broken(Exception):
    """A transfer that stopped half-way: the one failure worth a retry."""


def _download(entry: Remote, target: Path, progress: bool) -> Path:
    import pooch
    import requests

    downloader = pooch.HTTPDownloader(progressbar=progress, timeout=TIMEOUT)
    where = f"nothing was saved in {target.parent}"
    try:
        with atomic_path(target) as tmp:
            downloader(entry.url, str(tmp), None)
            problem = entry.verify(tmp)
            if problem:
                raise DownloadError(
                    f"{entry.filename} downloaded from {entry.url} {problem} (the file is "
                    f"corrupt, cut short or was changed upstream); it was deleted and {where}",
                    "lo descargado no es el archivo fijado (tamaño o hash distintos)")
    except requests.HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "?"
        raise DownloadError(f"could not download {entry.filename} from {entry.url}: "
                            f"HTTP {status}; {where}", f"el servidor respondió HTTP {status}"
                            ) from exc
    except (requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError) as exc:
        raise _Broken() from exc
    except requests.Timeout as exc:
        raise DownloadError(f"could not download {entry.filename} from {entry.url}: "
                            f"{type(exc).__name__}: {exc}; {where}",
                            "el servidor no respondió a tiempo") from exc
    except requests.RequestException as exc:
        raise DownloadError(f"could not download {entry.filename} from {entry.url}: "
                            f"{type(exc).__name__}: {exc}; {where}",
                            "no hay conexión con el servidor") from exc
    return target


def link_into(source: Path, target: Path) -> Path:
    """Make ``source`` visible at ``target`` (another tool's cache): hard link, symlink or copy.

    An existing ``target`` is left alone. Used to place Keras' ``mnist.npz`` and the EMNIST zip
    where ``keras.datasets`` and the ``emnist`` package look for them.
    """
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_symlink():  # dangling link from an old cache
        target.unlink()
    try:
        os.link(source, target)
    except OSError:
        try:
            target.symlink_to(Path(source).resolve())
        except OSError:
            with atomic_path(target) as tmp:
                shutil.copyfile(source, tmp)
    return target
