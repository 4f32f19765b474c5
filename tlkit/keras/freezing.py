"""Freeze and unfreeze Keras layers by name or position, and a BatchNorm-safe unfreeze.

Lesson 01 shows each step by hand first (``layer.trainable = False``); these helpers only save
typing afterwards. Remember: a change of ``trainable`` takes effect in ``fit`` only after a new
``compile()``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator


def _all_layers(model) -> Iterator:
    """Every layer inside ``model``, depth first, nested models included."""
    for layer in getattr(model, "layers", []):
        yield layer
        yield from _all_layers(layer)


def _select(target, names, indices) -> list:
    """The layers of ``target`` picked by ``names`` and/or ``indices`` (all when neither)."""
    if not hasattr(target, "layers"):  # a single layer or a list of layers
        layers = list(target) if isinstance(target, Iterable) else [target]
        if names is None and indices is None:
            return layers
    else:
        layers = list(target.layers)
        if names is None and indices is None:
            return [target]
    chosen = []
    if names is not None:
        names = [names] if isinstance(names, str) else list(names)
        by_name = {layer.name: layer for layer in layers}
        missing = [n for n in names if n not in by_name]
        if missing:
            raise KeyError(f"no layer named {missing}; the layers are {list(by_name)}")
        chosen += [by_name[n] for n in names]
    if indices is not None:
        if isinstance(indices, slice):
            chosen += layers[indices]
        else:
            indices = [indices] if isinstance(indices, int) else list(indices)
            chosen += [layers[i] for i in indices]
    return chosen


def _set(target, value: bool, names=None, indices=None) -> list[str]:
    chosen = _select(target, names, indices)
    for layer in chosen:
        # Keras propagates `trainable` to sub-layers, except that with the TensorFlow backend
        # `model.trainable = True` on a model that is already True is a no-op (its setattr
        # short-circuits `x is x`) and leaves frozen sub-layers frozen: set every one of them.
        layer.trainable = value
        for sub in _all_layers(layer):
            sub.trainable = value
    return [layer.name for layer in chosen]


def freeze(target, names: str | Iterable[str] | None = None,
           indices: int | Iterable[int] | slice | None = None) -> list[str]:
    """Set ``trainable = False`` on a model, a layer, a list of layers, or the chosen layers.

    ``freeze(model)`` freezes everything; ``freeze(model, names=["dense"])`` or
    ``freeze(model, indices=slice(0, -1))`` (all but the last layer) freeze only those
    top-level layers. Returns the names of the layers changed. Recompile afterwards.
    """
    return _set(target, False, names, indices)


def unfreeze(target, names: str | Iterable[str] | None = None,
             indices: int | Iterable[int] | slice | None = None) -> list[str]:
    """The opposite of :func:`freeze`: set ``trainable = True``. Recompile afterwards."""
    return _set(target, True, names, indices)


def batchnorm_layers(model) -> list:
    """Every ``BatchNormalization`` layer inside ``model`` (nested models included)."""
    import keras

    return [layer for layer in _all_layers(model)
            if isinstance(layer, keras.layers.BatchNormalization)]


def unfreeze_except_batchnorm(target) -> list[str]:
    """Unfreeze ``target`` but keep its BatchNormalization layers frozen; returns their names.

    Why (DESIGN §7, lesson 01): in Keras 3, once the base is trainable, ``fit()`` runs it with
    ``training=True`` even if the model was built with ``base(x, training=False)``, so the BN
    moving statistics drift towards the small new dataset. A BN layer with ``trainable=False``
    always runs in inference mode and keeps its ImageNet statistics. Recompile afterwards.
    """
    _set(target, True)
    kept = batchnorm_layers(target) if hasattr(target, "layers") else []
    for layer in kept:
        layer.trainable = False
    return [layer.name for layer in kept]
