"""Hash-checked downloads into the kit's cache, with pooch (DESIGN §3, step 3).

pooch streams to a temporary file beside the target, shows a tqdm progress bar, retries, checks
the sha256 and only then renames the file into place: a wrong or truncated download never
lands in the cache. With ``TLKIT_OFFLINE=1`` no connection is attempted at all.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tlkit import config
from tlkit.data.registry import Remote, remote


class DownloadError(RuntimeError):
    """A download failed (HTTP error, broken transfer, wrong hash); nothing was cached."""


class OfflineError(DownloadError):
    """A file is needed that is not cached, and ``TLKIT_OFFLINE=1`` forbids downloading it."""


def downloads_dir() -> Path:
    """Where downloaded files live: ``<TLKIT_HOME>/downloads``."""
    return config.home() / "downloads"


def cached_path(entry: Remote | str) -> Path | None:
    """The cached copy of a registry file if it is there (its hash was checked on download)."""
    entry = remote(entry) if isinstance(entry, str) else entry
    path = downloads_dir() / entry.filename
    return path if path.is_file() else None


def fetch(entry: Remote | str, *, progress: bool = True, retries: int = 2,
          timeout: float = 60) -> Path:
    """Download a registry file into the cache (or reuse a cached copy whose hash matches).

    Raises :class:`OfflineError` without touching the network when offline, and
    :class:`DownloadError` naming the file, the URL and the cause when the download fails.
    """
    entry = remote(entry) if isinstance(entry, str) else entry
    target = downloads_dir() / entry.filename
    if config.offline():
        if target.is_file():
            return target
        raise OfflineError(
            f"{entry.filename} is not in the cache ({target}) and TLKIT_OFFLINE=1 forbids "
            f"downloading it from {entry.url}. Unset TLKIT_OFFLINE, or put the file in "
            f"TLKIT_DATA_DIR."
        )

    import pooch
    import requests

    pup = pooch.create(
        path=downloads_dir(),
        base_url="",
        registry={entry.filename: f"sha256:{entry.sha256}"},
        urls={entry.filename: entry.url},
        retry_if_failed=retries,
    )
    downloader = pooch.HTTPDownloader(progressbar=progress, timeout=timeout)
    size = f" ({entry.size / 1e6:,.0f} MB)" if entry.size else ""
    print(f"Descargando {entry.filename}{size} de {entry.url} a {downloads_dir()}", flush=True)
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel("WARNING")  # our line above says it; pooch's handler may hold a closed stream
    try:
        return Path(pup.fetch(entry.filename, downloader=downloader))
    except requests.HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "?"
        raise DownloadError(
            f"could not download {entry.filename} from {entry.url}: HTTP {status}; "
            f"nothing was saved in {downloads_dir()}"
        ) from exc
    except requests.RequestException as exc:
        raise DownloadError(
            f"could not download {entry.filename} from {entry.url}: the transfer failed "
            f"({type(exc).__name__}: {exc}); nothing was saved in {downloads_dir()}"
        ) from exc
    except ValueError as exc:  # pooch's hash mismatch
        raise DownloadError(
            f"{entry.filename} downloaded from {entry.url} does not have the pinned sha256 "
            f"{entry.sha256} (the file is corrupt or was changed upstream); it was deleted "
            f"and nothing was saved in {downloads_dir()}. Details: {exc}"
        ) from exc
    finally:
        logger.setLevel(level)


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
            tmp = target.with_name(target.name + ".part")
            shutil.copyfile(source, tmp)
            os.replace(tmp, target)
    return target
