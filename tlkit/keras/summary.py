"""Tables of what trains: per-layer trainable and non-trainable parameter counts (lesson 01)."""

from __future__ import annotations


def _count(weights) -> int:
    total = 0
    for w in weights:
        n = 1
        for d in w.shape:
            n *= int(d)
        total += n
    return total


def count_params(model_or_layer) -> dict[str, int]:
    """``{"trainable": …, "non_trainable": …, "total": …}`` for a model or a layer."""
    t = _count(model_or_layer.trainable_weights)
    n = _count(model_or_layer.non_trainable_weights)
    return {"trainable": t, "non_trainable": n, "total": t + n}


def trainable_summary(model, expand_nested: bool = False, totals: bool = True):
    """A DataFrame with one row per layer: name, class, trainable flag, trainable and
    non-trainable parameter counts, and a final ``TOTAL`` row.

    A nested model (a pretrained base inside your model) is one row, unless ``expand_nested``
    lists its layers as ``base/layer``. The totals equal ``model.trainable_weights`` and
    ``model.non_trainable_weights``: freezing a layer moves its count from one column to the
    other.
    """
    import pandas as pd

    rows = []

    def add(layer, prefix=""):
        if expand_nested and hasattr(layer, "layers"):
            for sub in layer.layers:
                add(sub, f"{prefix}{layer.name}/")
            return
        counts = count_params(layer)
        rows.append({"layer": prefix + layer.name, "class": type(layer).__name__,
                     "trainable": bool(layer.trainable),
                     "trainable_params": counts["trainable"],
                     "non_trainable_params": counts["non_trainable"]})

    for layer in model.layers:
        add(layer)
    df = pd.DataFrame(rows, columns=["layer", "class", "trainable", "trainable_params",
                                     "non_trainable_params"])
    if totals:
        counts = count_params(model)
        total = pd.DataFrame([{"layer": "TOTAL", "class": "", "trainable": "",
                               "trainable_params": counts["trainable"],
                               "non_trainable_params": counts["non_trainable"]}])
        df = pd.concat([df.astype({"trainable": object}), total], ignore_index=True)
    return df
