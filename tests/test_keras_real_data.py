"""Acceptance on real data (issue 4): the lesson-02 CNN on official MNIST test images, and its
frozen base transferred to real EMNIST letters A–S. Skips when ../shared/data is absent."""

from __future__ import annotations

import time

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from tlkit.data.emnist import upright  # noqa: E402
from tlkit.data.idx import read_idx  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.shared_data]


def mnist_cnn():
    """The small CNN of lesson 02 (notebooks/02_guardar_cargar_reutilizar.ipynb)."""
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(32, 3, activation="relu", name="conv_1"),
        keras.layers.MaxPooling2D(name="pool_1"),
        keras.layers.Conv2D(64, 3, activation="relu", name="conv_2"),
        keras.layers.MaxPooling2D(name="pool_2"),
        keras.layers.Flatten(name="flatten"),
        keras.layers.Dropout(0.3, name="dropout"),
        keras.layers.Dense(64, activation="relu", name="dense_64"),
        keras.layers.Dense(10, activation="softmax", name="salida_10"),
    ], name="cnn_mnist")


def test_mnist_cnn_then_frozen_transfer_to_emnist_letters(shared_data):
    start = time.perf_counter()
    keras.utils.set_random_seed(0)
    x = read_idx(shared_data / "mnist" / "t10k-images-idx3-ubyte.gz")[..., None] / 255.0
    y = read_idx(shared_data / "mnist" / "t10k-labels-idx1-ubyte.gz").astype("int64")
    assert x.shape == (10000, 28, 28, 1) and list(y[:10]) == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]

    cnn = mnist_cnn()
    cnn.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    cnn.fit(x[:8000], y[:8000], epochs=6, batch_size=64, verbose=0)
    mnist_acc = cnn.evaluate(x[8000:], y[8000:], verbose=0)[1]

    # EMNIST letters A..S: stored transposed (upright() applies .T), labels 1..19 (1 = A)
    xl = upright(read_idx(shared_data / "emnist" / "emnist-letters-AtoS-images-idx3-ubyte.gz"))
    yl = read_idx(shared_data / "emnist" / "emnist-letters-AtoS-labels-idx1-ubyte.gz").astype("int64") - 1
    assert yl.min() == 0 and yl.max() == 18
    xl = xl[..., None] / 255.0
    order = np.random.default_rng(0).permutation(len(yl))
    held_out, train = order[:2590], order[2590:]  # 20 % held out

    # the frozen convolutional base (conv_1 .. flatten: 1,600 features) and a new classifier
    conv_base = cnn.layers[:cnn.layers.index(cnn.get_layer("flatten")) + 1]
    for layer in conv_base:
        layer.trainable = False
    frozen_before = [w.copy() for w in cnn.get_layer("conv_2").get_weights()]
    letters = keras.Sequential([keras.Input((28, 28, 1)), *conv_base,
                                keras.layers.Dense(19, activation="softmax", name="letras")])
    assert sum(int(np.prod(w.shape)) for w in letters.trainable_weights) == 1600 * 19 + 19
    letters.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                    metrics=["accuracy"])
    letters.fit(xl[train], yl[train], epochs=5, batch_size=64, verbose=0)
    letters_acc = letters.evaluate(xl[held_out], yl[held_out], verbose=0)[1]
    for a, b in zip(frozen_before, cnn.get_layer("conv_2").get_weights()):
        np.testing.assert_array_equal(a, b)

    elapsed = time.perf_counter() - start
    print(f"MNIST CNN on 8,000 t10k images: {mnist_acc:.4f} on the other 2,000; "
          f"frozen conv base -> letters A-S: {letters_acc:.4f} on {len(held_out)} held out ({elapsed:.0f} s)")
    assert mnist_acc >= 0.97
    assert letters_acc >= 0.80
