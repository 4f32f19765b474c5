"""MNIST, resolved offline-first (DESIGN §3): official IDX files, caches, download, embedded.

``load_mnist()`` returns ``(x_train, y_train), (x_test, y_test)`` like
``keras.datasets.mnist.load_data()`` (uint8, (N, 28, 28) and (N,)), plus ``.source``.
``load_mnist_test()`` needs only the two ``t10k`` files.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path

import numpy as np

from tlkit import config, provenance
from tlkit.data import download
from tlkit.data.arrays import Arrays
from tlkit.data.idx import IMAGES_MAGIC, LABELS_MAGIC, read_idx
from tlkit.data.registry import remote

OFFICIAL_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
CLASSES = [str(d) for d in range(10)]


def load_mnist(*, seed: int = 0) -> Arrays:
    """MNIST as ``(x_train, y_train), (x_test, y_test)`` with ``.source``.

    Order: the four official IDX files in ``TLKIT_DATA_DIR`` (or its ``mnist/`` folder);
    Keras' ``mnist.npz`` in the kit's cache or ``$KERAS_HOME/datasets``; its download (pinned
    sha256) unless offline; else scikit-learn's UCI digits at 28x28 (``seed`` picks their
    split), announced with a banner.
    """
    files, missing = _official_files(("train", "test"))
    if files and not missing:
        train = _read_pair(files["train"])
        test = _read_pair(files["test"])
        return _result((train, test), "data_dir", str(files["test"][0].parent))
    if files:
        warnings.warn(
            f"{files['test' if 'test' in files else 'train'][0].parent} holds only part of "
            f"MNIST (missing {', '.join(missing)}): load_mnist() needs the four official files, "
            f"so it uses the next source; load_mnist_test() reads the t10k files alone.",
            stacklevel=2,
        )
    found = _npz()
    if found:
        (train, test), origin, detail = found
        return _result((train, test), origin, detail)
    arrays, reason = _embedded(seed)
    return _result(arrays, "embedded", reason)


def load_mnist_test() -> Arrays:
    """Only MNIST's official test set, ``(x_test, y_test)``, with ``.source``.

    For folders that hold just the two ``t10k`` files (like the course's shared fixtures);
    otherwise the test half of whatever :func:`load_mnist` resolves.
    """
    files, _ = _official_files(("test",))
    if "test" in files:
        test = _read_pair(files["test"])
        return _result(test, "data_dir", str(files["test"][0].parent), name="mnist-test")
    full = load_mnist()
    return Arrays(full[1], source=full.source, classes=CLASSES)


def official_folders() -> list[Path]:
    """Folders of ``TLKIT_DATA_DIR`` where the official IDX files may be."""
    root = config.data_dir()
    return [root, root / "mnist", root / "MNIST" / "raw"] if root else []


def _official_files(parts) -> tuple[dict[str, tuple[Path, Path]], list[str]]:
    """Official files present (gz or plain) in the first folder holding any, and the missing."""
    for folder in official_folders():
        found, missing = {}, []
        for part in parts:
            paths = [_existing(folder, name) for name in OFFICIAL_FILES[part]]
            if all(paths):
                found[part] = tuple(paths)
            else:
                missing += [n for n, p in zip(OFFICIAL_FILES[part], paths) if p is None]
        if found:
            return found, missing
    return {}, []


def _existing(folder: Path, name: str) -> Path | None:
    for candidate in (folder / name, folder / name.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    return None


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
    keras_home = os.environ.get("KERAS_HOME") or str(Path.home() / ".keras")
    return Path(keras_home).expanduser() / "datasets" / "mnist.npz"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _npz():
    """(arrays, origin, detail) from a cached or downloaded ``mnist.npz``, else None."""
    entry = remote("mnist")
    for path in (download.downloads_dir() / entry.filename, keras_cache_path()):
        if path.is_file():
            if _sha256(path) == entry.sha256:
                return _read_npz(path), "cache", str(path)
            warnings.warn(f"{path} does not have the sha256 of Keras' mnist.npz "
                          f"({entry.sha256[:12]}…): ignored", stacklevel=3)
    if config.offline():
        return None
    try:
        path = download.fetch(entry)
    except download.DownloadError as exc:
        warnings.warn(f"MNIST download failed, using the embedded digits: {exc}", stacklevel=3)
        return None
    download.link_into(path, keras_cache_path())
    return _read_npz(path), "download", entry.url


def _read_npz(path: Path):
    with np.load(path) as data:
        missing = {"x_train", "y_train", "x_test", "y_test"} - set(data.files)
        if missing:
            raise ValueError(f"{path}: not Keras' mnist.npz (missing {sorted(missing)})")
        return (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"])


def _embedded(seed: int):
    from tlkit.data.embedded import digits_as_mnist

    (xtr, ytr), (xte, yte) = digits_as_mnist(seed)
    why = ("TLKIT_OFFLINE=1 impide descargarlo" if config.offline()
           else "no se pudo descargar")
    provenance.announce(
        "Datos de ejemplo: esto NO es MNIST",
        f"No se encontró MNIST (ni en TLKIT_DATA_DIR ni en la caché, y {why}). Se usan los "
        f"1.797 dígitos manuscritos reales de UCI que trae scikit-learn (8x8 píxeles), "
        f"ampliados a 28x28 como MNIST: {len(ytr)} para entrenar y {len(yte)} para test. "
        f"Las cifras de precisión no son comparables con las de MNIST.",
    )
    detail = f"scikit-learn UCI digits (8x8 -> 28x28), {len(ytr)} train / {len(yte)} test"
    return ((xtr, ytr), (xte, yte)), detail


def _result(items, origin: str, detail: str, name: str = "mnist") -> Arrays:
    source = provenance.record(provenance.Source("data", name, origin, detail))
    return Arrays(items, source=source, classes=CLASSES)
