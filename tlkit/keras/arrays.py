"""Image folders (``tlkit.data.image_folder`` / ``load_images``) as NumPy arrays for Keras."""

from __future__ import annotations

import numpy as np


def folder_arrays(items, size: int | tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` from ``[(path, label), ...]``: uint8 RGB images resized to ``size``, int labels.

    Small course sets fit in memory; keep pixels in [0, 255] and let the model rescale them
    (lesson 01).
    """
    from tlkit.data import load_rgb

    size = (size, size) if isinstance(size, int) else tuple(size)
    x = np.empty((len(items), size[1], size[0], 3), dtype="uint8")
    y = np.empty(len(items), dtype="int64")
    for i, (path, label) in enumerate(items):
        x[i] = np.asarray(load_rgb(path, size))
        y[i] = label
    return x, y
