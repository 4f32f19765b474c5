"""Where each dataset would come from right now, without loading or downloading anything."""

from __future__ import annotations

from tlkit import config
from tlkit.data import download, emnist, image_sets, mnist
from tlkit.data.registry import remote


def _fallback(name: str, embedded: str) -> tuple[str, str]:
    if name in ("mnist", "emnist", "flowers") and not config.offline():
        return "download", remote(name).url
    return "embedded", embedded


def _mnist() -> tuple[str, str]:
    files, missing = mnist._official_files(("train", "test"))
    if files and not missing:
        return "data_dir", str(files["test"][0].parent)
    for path in (download.downloads_dir() / "mnist.npz", mnist.keras_cache_path()):
        if path.is_file():
            return "cache", str(path)
    return _fallback("mnist", "scikit-learn UCI digits at 28x28")


def _emnist() -> tuple[str, str]:
    for folder in emnist._candidate_folders():
        if (folder / emnist.official_name("balanced", "test", "images")).is_file():
            return "data_dir", str(folder)
        if (folder / "gzip.zip").is_file():
            return "data_dir", str(folder / "gzip.zip")
    for path in (download.downloads_dir() / "gzip.zip", emnist.emnist_package_cache()):
        if path.is_file():
            return "cache", str(path)
    return _fallback("emnist", "characters rendered with matplotlib's fonts")


def _images(name: str) -> tuple[str, str]:
    local = image_sets._local(name)
    if local:
        return local[1], local[2]
    if name in image_sets._REMOTE:
        cached = download.cached_path(image_sets._REMOTE[name])
        if cached:
            return "cache", str(cached)
        return _fallback(name, "embedded photos (scikit-image / scikit-learn)")
    return "embedded", "embedded photos (scikit-image / scikit-learn)"


def data_status():
    """A pandas DataFrame: dataset, origin it would use now, and the path/URL/description."""
    import pandas as pd

    rows = [("mnist", *_mnist()), ("emnist", *_emnist()), ("flowers", *_images("flowers")),
            ("vegetables", *_images("vegetables"))]
    return pd.DataFrame(rows, columns=["dataset", "origin", "detail"])
