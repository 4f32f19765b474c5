"""Loaders against the real files in ../shared/data (skipped when absent): MNIST's t10k bytes,
EMNIST's orientation and label mapping."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from tlkit.data import load_emnist, load_mnist, load_mnist_test
from tlkit.data.emnist import upright
from tlkit.data.idx import IDXError, read_idx
from tlkit.data.emnist import default_mapping, read_mapping


def _corr(a, b):
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


@pytest.fixture
def mnist_test(shared_data):
    images = read_idx(shared_data / "mnist" / "t10k-images-idx3-ubyte.gz")
    labels = read_idx(shared_data / "mnist" / "t10k-labels-idx1-ubyte.gz")
    return images, labels


def test_mnist_t10k_official_bytes(mnist_test):
    images, labels = mnist_test
    assert images.shape == (10_000, 28, 28) and images.dtype == np.uint8
    assert labels.tolist()[:10] == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert np.bincount(labels).sum() == 10_000 and len(np.bincount(labels)) == 10


def test_read_idx_rejects_truncated_and_wrong_files(shared_data, tmp_path):
    raw = gzip.decompress((shared_data / "mnist" / "t10k-labels-idx1-ubyte.gz").read_bytes())
    (tmp_path / "short.idx").write_bytes(raw[:-10])
    with pytest.raises(IDXError, match=r"short\.idx.*truncated"):
        read_idx(tmp_path / "short.idx")
    (tmp_path / "cut.gz").write_bytes(
        (shared_data / "mnist" / "t10k-images-idx3-ubyte.gz").read_bytes()[:5000])
    with pytest.raises(IDXError, match=r"cut\.gz.*gzip"):
        read_idx(tmp_path / "cut.gz")
    with pytest.raises(IDXError, match="magic number 2049, expected 2051"):
        read_idx(shared_data / "mnist" / "t10k-labels-idx1-ubyte.gz", expect_magic=2051)
    (tmp_path / "text.idx").write_text("hello world")
    with pytest.raises(IDXError, match="not an IDX file"):
        read_idx(tmp_path / "text.idx")


def test_mnist_test_only_folder(shared_data, monkeypatch, mnist_test):
    monkeypatch.setenv("TLKIT_DATA_DIR", str(shared_data))
    x_test, y_test = load_mnist_test()
    assert load_mnist_test().source.origin == "data_dir"
    np.testing.assert_array_equal(y_test, mnist_test[1])
    monkeypatch.setenv("TLKIT_OFFLINE", "1")
    with pytest.warns(UserWarning, match=r"missing train-images-idx3-ubyte\.gz.*load_mnist_test"):
        partial = load_mnist()
    assert partial.source.origin != "data_dir"  # it never passes test files off as training data


def test_emnist_digits_are_upright_like_mnist(shared_data, mnist_test):
    folder = shared_data / "emnist"
    stored = read_idx(folder / "emnist-balanced-test-18496to18799-images-idx3-ubyte.gz")
    labels = read_idx(folder / "emnist-balanced-test-18496to18799-labels-idx1-ubyte.gz")
    digits = labels < 10
    mnist_images, mnist_labels = mnist_test
    mnist_mean = mnist_images.mean(axis=0)
    up = upright(stored)[digits]
    assert _corr(up.mean(axis=0), mnist_mean) > 0.75  # measured 0.82 upright, 0.59 stored
    assert _corr(up.mean(axis=0), mnist_mean) > _corr(stored[digits].mean(axis=0), mnist_mean) + 0.1
    # Each upright EMNIST digit is closest to the MNIST mean of its own class, mostly.
    class_means = np.stack([mnist_images[mnist_labels == d].mean(axis=0) for d in range(10)])
    flat = class_means.reshape(10, -1)
    flat = (flat - flat.mean(1, keepdims=True)) / flat.std(1, keepdims=True)

    def accuracy(images):
        x = images.reshape(len(images), -1).astype(float)
        x = (x - x.mean(1, keepdims=True)) / (x.std(1, keepdims=True) + 1e-9)
        return float(((x @ flat.T).argmax(1) == labels[digits]).mean())

    assert accuracy(up) > 0.5 and accuracy(stored[digits]) < 0.35  # measured 0.65 / 0.18


def test_emnist_letters_mapping_and_orientation(shared_data):
    folder = shared_data / "emnist"
    mapping = read_mapping(folder / "emnist-letters-mapping.txt")
    assert mapping[1] == "A" and mapping[26] == "Z" and 0 not in mapping
    assert mapping == default_mapping("letters")
    assert read_mapping(folder / "emnist-balanced-mapping.txt") == default_mapping("balanced")
    labels = read_idx(folder / "emnist-letters-AtoS-labels-idx1-ubyte.gz")
    assert labels.min() == 1 and labels.max() == 19  # A..S, 1-based
    images = upright(read_idx(folder / "emnist-letters-AtoS-images-idx3-ubyte.gz"))
    letter_i = images[labels == 9].mean(axis=0)  # 'I' (and 'i'): a vertical stroke upright
    assert mapping[9] == "I"
    assert letter_i.mean(axis=0).std() > 2 * letter_i.mean(axis=1).std()


def test_load_emnist_from_a_data_dir_with_official_names(shared_data, tmp_path, monkeypatch):
    src = shared_data / "emnist"
    dest = tmp_path / "emnist"
    dest.mkdir()
    for part in ("train", "test"):  # the fixture's letters under the official names
        for kind, idx in (("images", "idx3"), ("labels", "idx1")):
            (dest / f"emnist-letters-{part}-{kind}-{idx}-ubyte.gz").symlink_to(
                src / f"emnist-letters-AtoS-{kind}-{idx}-ubyte.gz")
    (dest / "emnist-letters-mapping.txt").symlink_to(src / "emnist-letters-mapping.txt")
    monkeypatch.setenv("TLKIT_DATA_DIR", str(tmp_path))
    data = load_emnist("letters")
    (x_train, y_train), (x_test, y_test) = data
    assert data.source.origin == "data_dir"
    assert x_train.shape == (12_950, 28, 28) and y_train.min() == 1
    assert data.mapping[int(y_train[0])] == data.classes[int(y_train[0]) - 1]
    stored = read_idx(src / "emnist-letters-AtoS-images-idx3-ubyte.gz")
    np.testing.assert_array_equal(x_train[5], stored[5].T)
    zero = load_emnist("letters", zero_based=True)
    assert zero[0][1].min() == 0 and zero.mapping[0] == "A"
    np.testing.assert_array_equal(zero[0][1], y_train - 1)
