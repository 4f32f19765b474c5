"""Plots the lessons share: image grids, training histories, confusion matrices, result bars.

Each function draws with matplotlib and returns the Figure, so a lesson can show it, save it
or close it. Nothing here trains or computes metrics: that stays in the lesson.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def _plt():
    import matplotlib.pyplot as plt

    return plt


def _to_hwc(image: Any) -> np.ndarray:
    """An image as an HWC (or HW) array for imshow: accepts PIL, NumPy HWC/HW, CHW tensors."""
    if hasattr(image, "detach"):  # a torch tensor
        image = image.detach().cpu().numpy()
    array = np.asarray(image)
    if array.ndim == 3 and array.shape[0] in (1, 3) and array.shape[-1] not in (1, 3):
        array = np.transpose(array, (1, 2, 0))  # CHW -> HWC
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.dtype.kind == "f":
        lo, hi = float(array.min()), float(array.max())
        if lo < 0.0 or hi > 1.0:  # normalised input: rescale to [0, 1] for display only
            array = (array - lo) / (hi - lo + 1e-8)
    return array


def show_images(images: Sequence[Any], labels: Sequence[Any] | None = None,
                class_names: Sequence[str] | None = None, ncols: int = 8,
                title: str | None = None, size: float = 1.6):
    """A grid of images with their class names (labels as indices into ``class_names``)."""
    plt = _plt()
    images = list(images)
    if not images:
        raise ValueError("show_images: no images to show")
    ncols = max(1, min(ncols, len(images)))
    nrows = math.ceil(len(images) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + (0.4 if title else 0)),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= len(images):
            continue
        array = _to_hwc(images[i])
        ax.imshow(array, cmap="gray" if array.ndim == 2 else None)
        if labels is not None:
            label = labels[i]
            label = int(label) if hasattr(label, "__int__") and not isinstance(label, str) else label
            text = class_names[label] if class_names is not None and isinstance(label, int) else label
            ax.set_title(str(text), fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def one_per_class(labels: Sequence[int], per_class: int = 2, seed: int = 0) -> list[int]:
    """Indices of ``per_class`` examples of every class present in ``labels`` (seeded), class by
    class, so a sample grid shows all the classes instead of whatever comes first."""
    labels = np.asarray(labels, dtype=int)
    rng = np.random.default_rng(seed)
    picked = []
    for label in np.unique(labels):
        where = np.flatnonzero(labels == label)
        picked.extend(int(i) for i in rng.choice(where, min(per_class, len(where)), replace=False))
    return picked


def _history_frame(history: Any):
    import pandas as pd

    if isinstance(history, pd.DataFrame):
        return history
    if hasattr(history, "history") and isinstance(history.history, Mapping):  # keras History
        return pd.DataFrame(history.history)
    if isinstance(history, Mapping):
        return pd.DataFrame(dict(history))
    raise TypeError(f"plot_history: expected a keras History, dict or DataFrame, got {type(history).__name__}")


def plot_history(history: Any, metrics: Sequence[str] = ("loss", "accuracy"), title: str | None = None):
    """Curves per epoch for each metric, training and validation side by side.

    Accepts a keras ``History``, a dict of lists or a DataFrame. For each metric ``m`` it plots
    every column named ``m``, ``val_m``, ``train_m`` (Keras and tlkit.torch naming); ``acc`` and
    ``accuracy`` are treated alike.
    """
    from matplotlib.ticker import MaxNLocator

    plt = _plt()
    frame = _history_frame(history)
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.5), squeeze=False)
    for ax, metric in zip(axes.flat, metrics):
        aliases = {metric} | ({"acc", "accuracy"} if metric in {"acc", "accuracy"} else set())
        columns = [c for c in frame.columns
                   if c in aliases or any(c in (f"val_{a}", f"train_{a}") for a in aliases)]
        if not columns:
            raise KeyError(f"plot_history: no column for {metric!r} in {list(frame.columns)}")
        epochs = np.arange(1, len(frame) + 1)
        for column in columns:
            ax.plot(epochs, frame[column], marker="o", label=column)
        ax.set_xlabel("época")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def confusion_matrix(y_true: Sequence[int], y_pred: Sequence[int], num_classes: int) -> np.ndarray:
    """Counts ``[true, predicted]`` as an integer matrix (rows: true class)."""
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)), 1)
    return matrix


def plot_confusion(y_true: Sequence[int], y_pred: Sequence[int], class_names: Sequence[str],
                   title: str | None = None):
    """The confusion matrix with counts in each cell (rows: true class, columns: predicted)."""
    plt = _plt()
    matrix = confusion_matrix(y_true, y_pred, len(class_names))
    side = max(3.5, 0.55 * len(class_names) + 1.5)
    fig, ax = plt.subplots(figsize=(side, side))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(class_names)), class_names, rotation=45, ha="right")
    ax.set_yticks(range(len(class_names)), class_names)
    ax.set_xlabel("predicha")
    ax.set_ylabel("real")
    threshold = matrix.max() / 2 if matrix.size else 0
    for (i, j), count in np.ndenumerate(matrix):
        ax.text(j, i, str(count), ha="center", va="center",
                color="white" if count > threshold else "black", fontsize=8)
    ax.set_title(title or f"Matriz de confusión (acierto {np.trace(matrix) / max(1, matrix.sum()):.1%})")
    fig.tight_layout()
    return fig


def plot_bars(frame: Any, x: str, y: str, title: str | None = None, fmt: str = "{:.2f}"):
    """A bar per row of ``frame`` (``x`` labels, ``y`` values), each bar labelled with its value."""
    plt = _plt()
    labels = [str(v) for v in frame[x]]
    values = [float(v) for v in frame[y]]
    fig, ax = plt.subplots(figsize=(max(4, 1.2 * len(labels) + 1), 3.5))
    bars = ax.bar(labels, values, color="tab:blue")
    for bar, value in zip(bars, values):
        ax.annotate(fmt.format(value), (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center", va="bottom", fontsize=9)
    ax.set_ylabel(y)
    ax.tick_params(axis="x", rotation=20)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
