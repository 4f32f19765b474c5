"""Embedded defaults (deterministic, documented shapes and classes, announced), the weights
report, the ``tlkit data`` command and import hygiene."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest

from tlkit import provenance
from tlkit.data import available_weights, load_emnist, load_mnist, sources
from tlkit.data.embedded_arrays import digits_as_mnist
from tlkit.data.embedded_photos import PHOTOS, embedded_images
from tlkit.data.emnist import SPLITS


@pytest.fixture
def offline(monkeypatch, tmp_path):
    monkeypatch.setenv("TLKIT_OFFLINE", "1")
    monkeypatch.setenv("TLKIT_HOME", str(tmp_path / "tlkit"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("TLKIT_DATA_DIR", raising=False)
    return tmp_path


def test_embedded_mnist_is_announced_recorded_and_mnist_shaped(offline, capsys):
    data = load_mnist()
    (x_train, y_train), (x_test, y_test) = data
    assert "NO es MNIST" in capsys.readouterr().out
    assert data.source.origin == "embedded" and data.source in provenance.recorded()
    assert x_train.shape == (1500, 28, 28) and x_test.shape == (297, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert np.bincount(y_test).min() >= 28  # stratified: every digit in the test set
    assert x_train.max() == 255
    rows = (x_train > 0).any(axis=2)
    heights = rows.shape[1] - rows[:, ::-1].argmax(axis=1) - rows.argmax(axis=1)
    assert heights.max() <= 20  # fitted in a 20x20 box like MNIST
    ys, xs = np.indices((28, 28))
    mass = x_train.astype(float).sum(axis=(1, 2))
    cy = (x_train * ys).sum(axis=(1, 2)) / mass
    cx = (x_train * xs).sum(axis=(1, 2)) / mass
    assert np.abs(cy - 13.5).max() < 1 and np.abs(cx - 13.5).max() < 1  # centred by mass


def test_embedded_digits_are_deterministic():
    a, b = digits_as_mnist(0), digits_as_mnist(0)
    np.testing.assert_array_equal(a[0][0], b[0][0])
    np.testing.assert_array_equal(a[1][1], b[1][1])
    assert not np.array_equal(digits_as_mnist(1)[1][0], a[1][0])


@pytest.mark.parametrize("split", list(SPLITS))
def test_rendered_emnist_has_the_split_classes(offline, split, capsys):
    data = load_emnist(split, n_per_class=3)
    (x_train, y_train), (x_test, y_test) = data
    assert f"NO es EMNIST ({split})" in capsys.readouterr().out
    n = {"balanced": 47, "bymerge": 47, "byclass": 62, "digits": 10, "mnist": 10,
         "letters": 26}[split]
    assert len(data.classes) == n and x_train.shape == (3 * n, 28, 28)
    assert x_test.shape == (n, 28, 28) and x_train.dtype == np.uint8
    first = 1 if split == "letters" else 0
    assert sorted(set(y_train.tolist())) == list(range(first, first + n))
    assert data.mapping[first] == ("A" if split == "letters" else "0")
    assert data.source.origin == "embedded" and data.source.name == f"emnist-{split}"


def test_rendered_emnist_is_fast_in_the_fast_profile(offline, monkeypatch):
    monkeypatch.setenv("TLKIT_PROFILE", "fast")
    start = time.perf_counter()
    data = load_emnist("balanced")
    elapsed = time.perf_counter() - start
    assert len(data[0][1]) == 47 * 60
    assert elapsed < 8, f"rendering took {elapsed:.1f} s"  # measured ~2 s on 2 shared cores


def test_rendered_emnist_is_deterministic_and_upright(offline, monkeypatch):
    a = load_emnist("balanced", n_per_class=15)
    monkeypatch.setenv("TLKIT_HOME", str(offline / "other-cache"))  # drawn again, not read
    b = load_emnist("balanced", n_per_class=15)
    assert "drawn now" in b.source.detail
    np.testing.assert_array_equal(a[0][0], b[0][0])
    assert not np.array_equal(load_emnist("balanced", n_per_class=15, seed=1)[0][0], a[0][0])
    (x, y), _ = a
    ones = x[y == a.classes.index("1")].mean(axis=0)  # '1' upright: a vertical stroke
    assert ones.mean(axis=0).std() > 1.5 * ones.mean(axis=1).std()
    zero = load_emnist("letters", zero_based=True, n_per_class=2)
    assert zero[0][1].min() == 0 and zero.mapping[0] == "A" and zero.classes[0] == "A"


def test_rendered_emnist_is_read_back_from_its_cache_file(offline, monkeypatch, capsys):
    from tlkit.data import embedded_arrays
    from tlkit.data.emnist import rendered_cache_file

    first = load_emnist("balanced", n_per_class=4)
    path = rendered_cache_file("balanced", 4, 1, 0)
    assert path.is_file() and path.parent == offline / "tlkit" / "embedded"
    assert f"drawn now, kept in {path}" in first.source.detail
    capsys.readouterr()

    def no_drawing(*args, **kwargs):
        raise AssertionError("the characters were drawn again instead of read from the file")

    real = embedded_arrays.render_characters
    monkeypatch.setattr(embedded_arrays, "render_characters", no_drawing)
    second = load_emnist("balanced", n_per_class=4)
    assert f"read from {path}" in second.source.detail
    assert "NO es EMNIST (balanced)" in capsys.readouterr().out  # still announced loudly
    for got, expected in zip((*second[0], *second[1]), (*first[0], *first[1])):
        np.testing.assert_array_equal(got, expected)
    monkeypatch.setattr(embedded_arrays, "render_characters", real)

    path.write_bytes(path.read_bytes()[:300])  # an interrupted copy, say
    with pytest.warns(UserWarning, match="not a readable cache of rendered characters"):
        third = load_emnist("balanced", n_per_class=4)
    assert "drawn now" in third.source.detail
    np.testing.assert_array_equal(third[0][0], first[0][0])
    with np.load(path) as npz:  # rebuilt whole
        np.testing.assert_array_equal(npz["x_train"], first[0][0])
        assert npz["y_test"].shape == (47,)


def test_embedded_images_same_bytes_for_a_seed(tmp_path, monkeypatch, capsys):
    sizes = dict(size=48, n_train=4, n_val=2)
    folders = []
    for sub in ("one", "two"):
        monkeypatch.setenv("TLKIT_HOME", str(tmp_path / sub))
        folders.append(embedded_images(seed=5, **sizes))
    assert "Imágenes de ejemplo" in capsys.readouterr().out
    a, b = folders
    assert a.classes == sorted(PHOTOS) and len(a.classes) >= 4
    assert (len(a.train), len(a.val)) == (4 * len(PHOTOS), 2 * len(PHOTOS))
    assert a.source.origin == "embedded" and a.skipped == []
    for (pa, la), (pb, lb) in zip(a.train + a.val, b.train + b.val):
        assert la == lb and pa.read_bytes() == pb.read_bytes()
    other = embedded_images(seed=6, **sizes)
    assert other.train[0][0].read_bytes() != a.train[0][0].read_bytes()
    from PIL import Image

    with Image.open(a.val[0][0]) as im:
        assert im.size == (48, 48) and im.mode == "RGB"


def test_embedded_photo_regions_keep_validation_apart():
    for cls, (_, train, val) in PHOTOS.items():
        overlap_x = min(train[2], val[2]) - max(train[0], val[0])
        overlap_y = min(train[3], val[3]) - max(train[1], val[1])
        assert overlap_x <= 0 or overlap_y <= 0, cls


def test_default_embedded_images_in_fast_profile(offline, monkeypatch):
    monkeypatch.setenv("TLKIT_PROFILE", "fast")
    from tlkit.data import load_images

    start = time.perf_counter()
    ds = load_images("flowers")  # offline, nothing local: the embedded photos
    elapsed = time.perf_counter() - start
    assert ds.source.origin == "embedded"
    assert len(ds.classes) == 5 and len(ds.train) == 5 * 48 and len(ds.val) == 5 * 16
    assert elapsed < 15, f"writing the embedded photos took {elapsed:.1f} s"


def test_weights_report_is_honest_offline(offline):
    table = available_weights()
    assert set(table["origin"]) <= {"cache", "package", "missing"}  # never "online" offline
    lite0 = table[table.model == "efficientnet_lite0"].iloc[0]
    assert lite0.origin == "package" and lite0.available
    assert sources.lite0_package_file().stat().st_size > 10_000_000
    resnet = table[(table.framework == "torchvision") & (table.model == "resnet18")].iloc[0]
    assert resnet.origin == "missing" and not resnet.available


def test_weights_report_sees_valid_caches_only(offline, monkeypatch):
    import dataclasses
    import hashlib

    from tlkit.data import registry

    checkpoint = offline / "torch" / "hub" / "checkpoints" / "resnet18-f37072fd.pth"
    checkpoint.parent.mkdir(parents=True)
    checkpoint.write_bytes(b"x")  # the name of the real file, not its sha256 prefix
    keras_file = offline / "keras" / "models" / "xception_weights_tf_dim_ordering_tf_kernels_notop.h5"
    keras_file.parent.mkdir(parents=True)
    keras_file.write_bytes(b"weights")
    monkeypatch.setitem(registry.REGISTRY, "keras-xception", dataclasses.replace(
        registry.remote("keras-xception"), md5=hashlib.md5(b"weights").hexdigest()))
    monkeypatch.delenv("TLKIT_OFFLINE")
    table = available_weights().set_index(["framework", "model", "variant"])
    resnet18 = table.loc[("torchvision", "resnet18", "IMAGENET1K_V1")]
    assert resnet18.origin == "online" and "sha256 f37072fd" in resnet18.detail
    assert table.loc[("keras", "Xception", "notop"), "origin"] == "cache"
    assert table.loc[("keras", "Xception", "notop"), "detail"] == str(keras_file)
    assert table.loc[("torchvision", "resnet50", "IMAGENET1K_V2"), "origin"] == "online"


def test_cli_status_and_offline_fetch(offline, capsys):
    from tlkit.cli import main

    assert main(["data", "status"]) == 0
    out = capsys.readouterr().out
    assert "mnist" in out and "efficientnet_lite0" in out and "embedded" in out
    assert main(["data", "fetch", "mnist"]) == 1
    assert "TLKIT_OFFLINE=1" in capsys.readouterr().err


def test_import_loads_no_framework():
    code = ("import sys, tlkit.data; heavy = [m for m in ('torch', 'tensorflow', 'keras', "
            "'sklearn', 'skimage', 'pandas') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
