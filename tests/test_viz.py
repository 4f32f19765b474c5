"""tlkit.viz draws what it is given and refuses what it cannot draw."""

from __future__ import annotations

import numpy as np
import pytest

from tlkit import viz


def test_confusion_matrix_counts():
    m = viz.confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0], 3)
    assert m.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]


def test_plots_return_figures_with_expected_content():
    import matplotlib

    matplotlib.use("Agg")
    images = [np.full((8, 8, 3), i * 20, dtype=np.uint8) for i in range(5)]
    fig = viz.show_images(images, [0, 1, 0, 1, 0], ["gato", "perro"], ncols=3)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["gato", "perro", "gato", "perro", "gato"]
    chw = np.random.default_rng(0).normal(size=(3, 8, 8)).astype("float32")  # normalised tensor
    assert viz._to_hwc(chw).shape == (8, 8, 3) and viz._to_hwc(chw).min() >= 0
    fig = viz.plot_history({"loss": [1, 0.5], "val_loss": [1.2, 0.7], "accuracy": [0.5, 0.8],
                            "val_accuracy": [0.4, 0.7]})
    assert [len(ax.lines) for ax in fig.axes] == [2, 2]
    fig = viz.plot_history({"train_loss": [1, 0.5], "val_loss": [1, 0.6], "train_acc": [0.1, 0.2],
                            "val_acc": [0.1, 0.3]})
    assert [len(ax.lines) for ax in fig.axes] == [2, 2]
    with pytest.raises(KeyError, match="accuracy"):
        viz.plot_history({"loss": [1.0]})
    fig = viz.plot_confusion([0, 1, 1], [0, 1, 0], ["a", "b"])
    assert "66.7%" in fig.axes[0].get_title()
    import pandas as pd

    fig = viz.plot_bars(pd.DataFrame({"estrategia": ["a", "b"], "acc": [0.5, 0.9]}), "estrategia", "acc")
    assert [t.get_text() for t in fig.axes[0].texts] == ["0.50", "0.90"]


def test_history_epoch_axis_has_whole_numbers_only():
    import matplotlib

    matplotlib.use("Agg")
    fig = viz.plot_history({"loss": [1.0, 0.7, 0.5], "val_loss": [1.1, 0.9, 0.8],
                            "accuracy": [0.3, 0.5, 0.6], "val_accuracy": [0.2, 0.4, 0.5]})
    for ax in fig.axes:
        fig.canvas.draw()
        ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        assert ticks and all(float(t).is_integer() for t in ticks), ticks


def test_one_per_class_shows_every_class():
    labels = [0] * 50 + [1] * 3 + [2] * 1
    picked = viz.one_per_class(labels, per_class=2, seed=0)
    assert sorted(labels[i] for i in picked) == [0, 0, 1, 1, 2]
    assert len(set(picked)) == len(picked)
    assert picked == viz.one_per_class(labels, per_class=2, seed=0)  # seeded
