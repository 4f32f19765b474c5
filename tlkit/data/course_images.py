"""The course's image sets by name, resolved offline-first (DESIGN §3).

``flowers`` (tf_flowers, 5 classes): ``TLKIT_DATA_DIR/flowers`` or ``flower_photos`` (folder or
archive), the cache, the pinned download, else the embedded photos. ``vegetables`` (Kaggle,
needs an account, so never downloaded): ``TLKIT_DATA_DIR/vegetables`` (folder or ``.zip``),
else the embedded photos; in Colab use ``image_folder("/content/drive/MyDrive/vegetables.zip")``.
``embedded``: the embedded photos directly. The candidates are declared in
:mod:`tlkit.data.sources`.
"""

from __future__ import annotations

from tlkit import provenance
from tlkit.data import sources
from tlkit.data.image_folders import ImageFolder, scan_folder

IMAGE_SETS = ("flowers", "vegetables", "embedded")


def load_images(name: str = "flowers", *, val: float = 0.2, test: float = 0.0, seed: int = 0,
                max_per_class: int | None = None) -> ImageFolder:
    """A course image set as an :class:`ImageFolder` (``.source`` says which source).

    ``val``/``test`` split sets that come without given splits; ``max_per_class`` keeps a
    seeded subset per class (e.g. ``config.pick(fast=40, full=None)``).
    """
    if name not in IMAGE_SETS:
        raise ValueError(f"unknown image set {name!r}; use one of {', '.join(IMAGE_SETS)}, or "
                         f"image_folder(path) for your own folder or zip")
    from tlkit.data.embedded_photos import embedded_images

    if name == "embedded":
        return embedded_images(seed=seed)
    where = sources.obtain(name)
    if where.found:
        folder = scan_folder(where.path, where.source(), val=val, test=test, seed=seed,
                             max_per_class=max_per_class)
        provenance.record(folder.source)
        return folder
    if name == "vegetables":
        print("El conjunto 'vegetables' (Kaggle) necesita una cuenta: súbelo a Drive como zip y "
              "usa image_folder('/content/drive/MyDrive/vegetables.zip').")
    return embedded_images(seed=seed, reason=where.reason)
