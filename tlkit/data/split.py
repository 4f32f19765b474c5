"""Stratified, seeded splits shared by the array and image-folder loaders."""

from __future__ import annotations

import numpy as np


def stratified_split(labels, fractions: tuple[float, ...], seed: int = 0) -> list[np.ndarray]:
    """Split indices class by class: the first part keeps the rest, the others get
    ``round(n * fraction)`` each (at least one when the class has enough items).

    ``fractions`` are the shares of the parts after the first, e.g. ``(val, test)``. The result
    depends only on the labels and the seed, and each part's indices come out sorted.
    """
    labels = np.asarray(labels)
    if any(f < 0 for f in fractions) or sum(fractions) >= 1:
        raise ValueError(f"split fractions {fractions} must be >= 0 and sum to less than 1")
    parts: list[list[int]] = [[] for _ in range(len(fractions) + 1)]
    for k, label in enumerate(np.unique(labels)):
        idx = np.flatnonzero(labels == label)
        idx = idx[np.random.default_rng([seed, k]).permutation(len(idx))]
        counts = [int(round(len(idx) * f)) for f in fractions]
        for j, f in enumerate(fractions):  # a requested part gets one item when possible
            if f > 0 and counts[j] == 0 and len(idx) - sum(counts) > 1:
                counts[j] = 1
        while counts and sum(counts) >= len(idx) > 0:  # keep at least one training item
            counts[int(np.argmax(counts))] -= 1
        start = len(idx) - sum(counts)
        parts[0].extend(idx[:start])
        for j, count in enumerate(counts):
            parts[j + 1].extend(idx[start:start + count])
            start += count
    return [np.sort(np.asarray(p, dtype=np.int64)) for p in parts]
