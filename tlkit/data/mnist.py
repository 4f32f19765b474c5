"""MNIST, resolved offline-first (DESIGN §3): official IDX files, caches, download, embedded.

``load_mnist()`` returns ``(x_train, y_train), (x_test, y_test)`` like
``keras.datasets.mnist.load_data()`` (uint8, (N, 28, 28) and (N,)), plus ``.source``.
``load_mnist_test()`` needs only the two ``t10k`` files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tlkit import provenance
from tlkit.data import download, sources
from tlkit.data.arrays import Arrays
from tlkit.data.idx import IMAGES_MAGIC, LABELS_MAGIC, read_idx
from tlkit.data.sources import MNIST_FILES as OFFICIAL_FILES

CLASSES = [str(d) for d in range(10)]


def load_mnist(*, seed: int = 0) -> Arrays:
    """MNIST as ``(x_train, y_train), (x_test, y_test)`` with ``.source``.

    Order (declared in :mod:`tlkit.data.sources`): the four official IDX files in
    ``TLKIT_DATA_DIR`` (or its ``mnist/`` folder); Keras' ``mnist.npz`` in the kit's cache or
    ``$KERAS_HOME/datasets`` (sha256 checked); its download unless offline; else scikit-learn's
    UCI digits at 28x28 (``seed`` picks their split), announced with a banner.
    """
    where = sources.obtain("mnist")
    if where.form == "idx":
        train = _read_pair(_files(where.path, "train"))
        test = _read_pair(_files(where.path, "test"))
        return _result((train, test), where.source())
    if where.form == "npz":
        if where.origin == "download":
            download.link_into(where.path, keras_cache_path())
        return _result(_read_npz(where.path), where.source())
    arrays, detail = _embedded(seed, where.reason)
    return _result(arrays, where.source(detail=detail))


def load_mnist_test() -> Arrays:
    """Only MNIST's official test set, ``(x_test, y_test)``, with ``.source``.

    For folders that hold just the two ``t10k`` files (like the course's shared fixtures);
    otherwise the test half of whatever :func:`load_mnist` resolves.
    """
    where = sources.locate("mnist", parts=("test",))
    if where.form == "idx":
        test = _read_pair(_files(where.path, "test"))
        return _result(test, where.source(name="mnist-test"))
    full = load_mnist()
    return Arrays(full[1], source=full.source, classes=CLASSES)


def _files(folder: Path, part: str) -> tuple[Path, Path]:
    return tuple(sources.find_file(folder, name) for name in OFFICIAL_FILES[part])


def _read_pair(paths: tuple[Path, Path]):
    images = read_idx(paths[0], expect_magic=IMAGES_MAGIC)
    labels = read_idx(paths[1], expect_magic=LABELS_MAGIC)
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"{paths[0]}: images of shape {images.shape}, expected (N, 28, 28)")
    if labels.shape != images.shape[:1]:
        raise ValueError(f"{paths[1]}: {labels.shape[0]} labels for {images.shape[0]} images "
                         f"in {paths[0].name}")
    return images, labels


def keras_cache_path() -> Path:
    """Where Keras keeps ``mnist.npz``: ``$KERAS_HOME/datasets`` (default ``~/.keras``)."""
    return sources.keras_home() / "datasets" / "mnist.npz"


def _read_npz(path: Path):
    with np.load(path) as data:
        missing = {"x_train", "y_train", "x_test", "y_test"} - set(data.files)
        if missing:
            raise ValueError(f"{path}: not Keras' mnist.npz (missing {sorted(missing)})")
        return (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"])


def _embedded(seed: int, why: str):
    from tlkit.data.embedded_arrays import digits_as_mnist

    (xtr, ytr), (xte, yte) = digits_as_mnist(seed)
    provenance.announce(
        "Datos de ejemplo: esto NO es MNIST",
        f"No se encontró MNIST (ni en TLKIT_DATA_DIR ni en la caché, y {why}). Se usan los "
        f"1.797 dígitos manuscritos reales de UCI que trae scikit-learn (8x8 píxeles), "
        f"ampliados a 28x28 como MNIST: {len(ytr)} para entrenar y {len(yte)} para test. "
        f"Las cifras de precisión no son comparables con las de MNIST.",
    )
    detail = f"scikit-learn UCI digits (8x8 -> 28x28), {len(ytr)} train / {len(yte)} test"
    return ((xtr, ytr), (xte, yte)), detail


def _result(items, source: provenance.Source) -> Arrays:
    return Arrays(items, source=provenance.record(source), classes=CLASSES)
