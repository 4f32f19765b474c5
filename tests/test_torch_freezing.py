"""Freezing helpers: counts, BatchNorm kept in eval, parameter groups (DESIGN §7)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from tlkit.torch import (count_parameters, freeze, freeze_to, layer_groups,  # noqa: E402
                         param_groups, train_mode, unfreeze)
from tlkit.torch.models import build_classifier  # noqa: E402


@pytest.fixture
def model():
    torch.manual_seed(0)
    return build_classifier("efficientnet_lite0", 4, weights=None)


def test_freeze_unfreeze_counts(model):
    total, head = count_parameters(model), 1280 * 4 + 4
    freeze(model.backbone)
    assert count_parameters(model, trainable=True) == head
    assert count_parameters(model, trainable=False) == total - head
    unfreeze(model.backbone)
    assert count_parameters(model, trainable=True) == total


def test_freeze_to_walks_the_groups(model):
    groups = layer_groups(model)
    sizes = [sum(p.numel() for m in g for p in m.parameters()) for g in groups]
    assert len(groups) == 10 and sum(sizes) == count_parameters(model)
    for k in range(len(groups)):
        freeze_to(model, k)
        assert count_parameters(model, trainable=True) == sum(sizes[k:])
    freeze_to(model, -1)
    assert count_parameters(model, trainable=True) == sizes[-1]
    freeze_to(model, 0)
    assert count_parameters(model, trainable=False) == 0
    with pytest.raises(ValueError):
        freeze_to(model, len(groups))


def _bn_stats(module):
    return {k: v.clone() for k, v in module.state_dict().items() if "running" in k}


def test_requires_grad_alone_does_not_freeze_batchnorm(model):
    for p in model.backbone.parameters():  # the "by hand" loop, without the helper
        p.requires_grad = False
    before = _bn_stats(model.backbone)
    model.train()
    model(torch.randn(4, 3, 64, 64))
    after = _bn_stats(model.backbone)
    assert any(not torch.equal(before[k], after[k]) for k in before), "BN stats should move"


def test_frozen_batchnorm_does_not_move_after_a_training_step(model):
    freeze_to(model, 5)  # stem + stages 1-4 frozen
    frozen = [m for g in layer_groups(model)[:5] for m in g]
    frozen_params = {id(p): p.clone() for m in frozen for p in m.parameters()}
    before = [_bn_stats(m) for m in frozen]
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    train_mode(model)
    loss = nn.functional.cross_entropy(model(torch.randn(4, 3, 64, 64)), torch.tensor([0, 1, 2, 3]))
    loss.backward()
    opt.step()
    for m, stats in zip(frozen, before):
        for k, v in _bn_stats(m).items():
            assert torch.equal(v, stats[k]), k
        for p in m.parameters():
            assert torch.equal(p, frozen_params[id(p)])
    # the trainable part did train: its BatchNorm is in training mode and moved
    assert model.backbone._bn1.training and model.head.weight.grad is not None


def test_param_groups_lrs(model):
    freeze(model.backbone)
    opt = torch.optim.Adam(param_groups(model, backbone_lr=1e-4, head_lr=1e-3))
    assert [g["name"] for g in opt.param_groups] == ["backbone", "head"]
    assert [g["lr"] for g in opt.param_groups] == [1e-4, 1e-3]
    n_backbone = sum(p.numel() for p in opt.param_groups[0]["params"])
    assert n_backbone == count_parameters(model.backbone)
    assert {id(p) for p in opt.param_groups[1]["params"]} == {id(p) for p in model.head.parameters()}
