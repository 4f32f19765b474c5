"""The course's image sets by name, resolved offline-first (DESIGN §3).

``flowers`` (tf_flowers, 5 classes): ``TLKIT_DATA_DIR/flowers`` or ``flower_photos`` (folder or
archive), the cache, the pinned download, else the embedded photos. ``vegetables`` (Kaggle,
needs an account, so never downloaded): ``TLKIT_DATA_DIR/vegetables`` (folder or ``.zip``),
else the embedded photos; in Colab use ``image_folder("/content/drive/MyDrive/vegetables.zip")``.
``embedded``: the embedded photos directly.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from tlkit import config, provenance
from tlkit.data import download
from tlkit.data.images import ImageFolder, _scan, extract_archive, with_source
from tlkit.data.registry import remote

LOCAL_NAMES = {
    "flowers": ("flowers", "flower_photos", "flowers.zip", "flower_photos.zip",
                "flower_photos.tgz", "flower_photos.tar.gz"),
    "vegetables": ("vegetables", "vegetables.zip", "Vegetable Images", "vegetable_images.zip"),
}
IMAGE_SETS = (*LOCAL_NAMES, "embedded")


def load_images(name: str = "flowers", *, val: float = 0.2, test: float = 0.0, seed: int = 0,
                max_per_class: int | None = None) -> ImageFolder:
    """A course image set as an :class:`ImageFolder` (``.source`` says which source).

    ``val``/``test`` split sets that come without given splits; ``max_per_class`` keeps a
    seeded subset per class (e.g. ``config.pick(fast=40, full=None)``).
    """
    if name not in IMAGE_SETS:
        raise ValueError(f"unknown image set {name!r}; use one of {', '.join(IMAGE_SETS)}, or "
                         f"image_folder(path) for your own folder or zip")
    opts = dict(val=val, test=test, seed=seed, max_per_class=max_per_class)
    if name != "embedded":
        found = _local(name) or (_cached_or_downloaded(name) if name in _REMOTE else None)
        if found:
            path, origin, detail = found
            folder = _scan(path, origin=origin, name=name, **opts)
            folder = with_source(folder, origin, detail, name)
            provenance.record(folder.source)
            return folder
    from tlkit.data.photos import embedded_images

    if name == "vegetables":
        print("El conjunto 'vegetables' (Kaggle) necesita una cuenta: súbelo a Drive como zip y "
              "usa image_folder('/content/drive/MyDrive/vegetables.zip').")
    return embedded_images(seed=seed)


_REMOTE = {"flowers": "flowers"}


def _local(name: str):
    root = config.data_dir()
    if not root:
        return None
    for candidate in LOCAL_NAMES[name]:
        path = root / candidate
        if path.exists():
            return path, "data_dir", str(path)
    return None


def _cached_or_downloaded(name: str):
    entry = remote(_REMOTE[name])
    archive = download.cached_path(entry)
    origin = "cache"
    if archive is None:
        if config.offline():
            return None
        try:
            archive = download.fetch(entry)
        except download.DownloadError as exc:
            warnings.warn(f"{name}: download failed, using the embedded photos: {exc}",
                          stacklevel=3)
            return None
        origin = "download"
    folder = extract_archive(archive)
    return folder, origin, entry.url if origin == "download" else str(Path(archive))
