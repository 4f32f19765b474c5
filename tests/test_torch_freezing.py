"""Freezing helpers: counts, BatchNorm kept in inference mode as a state of the layer, parameter
groups (DESIGN §7, STYLE §13)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from tlkit.torch import (count_parameters, freeze, freeze_batchnorm, freeze_to,  # noqa: E402
                         is_frozen_bn, layer_groups, param_groups, unfreeze, unfreeze_batchnorm)
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
    unfreeze(model.backbone)  # BatchNorm stays frozen by default
    bn = sum(p.numel() for m in model.modules() if isinstance(m, nn.BatchNorm2d) for p in m.parameters())
    assert bn > 0 and count_parameters(model, trainable=True) == total - bn
    unfreeze(model.backbone, batchnorm=True)
    assert count_parameters(model, trainable=True) == total


def test_freeze_to_walks_the_groups(model):
    groups = layer_groups(model)
    sizes = [sum(p.numel() for m in g for p in m.parameters()) for g in groups]
    assert len(groups) == 10 and sum(sizes) == count_parameters(model)
    for k in range(len(groups)):
        freeze_to(model, k, batchnorm=True)
        assert count_parameters(model, trainable=True) == sum(sizes[k:])
    freeze_to(model, -1)
    assert count_parameters(model, trainable=True) == sizes[-1]
    freeze_to(model, 0, batchnorm=True)
    assert count_parameters(model, trainable=False) == 0
    freeze_to(model, 0)  # everything trains but the BatchNorm layers
    assert all(is_frozen_bn(m) for m in model.modules() if isinstance(m, nn.BatchNorm2d))
    assert count_parameters(model, trainable=True) < count_parameters(model)
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
    freeze_to(model, 5, batchnorm=True)  # stem + stages 1-4 frozen, the rest's BatchNorm trains
    frozen = [m for g in layer_groups(model)[:5] for m in g]
    frozen_params = {id(p): p.clone() for m in frozen for p in m.parameters()}
    before = [_bn_stats(m) for m in frozen]
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    model.train()  # a plain hand-written loop: the frozen layers hold their state themselves
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


def test_frozen_batchnorm_is_a_state_of_the_layer(model):
    """Any later ``.train()`` (the model's, a submodule's, the layer's own) keeps a frozen
    BatchNorm in inference mode; the state dict and the forward pass are those of the plain layer."""
    bn = model.backbone._bn1
    keys = set(model.state_dict())
    x = torch.randn(2, 3, 64, 64)
    model.eval()
    with torch.no_grad():
        expected = model(x)
    assert freeze_batchnorm(model.backbone) > 0
    assert isinstance(bn, nn.BatchNorm2d) and is_frozen_bn(bn) and "Inference" in repr(bn)
    before = _bn_stats(model.backbone)
    for call in (model.train, model.backbone.train, bn.train):
        call()
        assert not bn.training and model.head.training
    with torch.no_grad():
        assert torch.equal(model(x), expected), "inference mode: the stored statistics normalise"
    assert all(torch.equal(v, before[k]) for k, v in _bn_stats(model.backbone).items())
    assert set(model.state_dict()) == keys
    model.load_state_dict(model.state_dict())
    assert unfreeze_batchnorm(model.backbone) > 0 and not is_frozen_bn(bn)
    assert type(bn) is nn.BatchNorm2d and all(p.requires_grad for p in bn.parameters())
    model.train()
    assert bn.training


def test_unfreeze_keeps_batchnorm_frozen_unless_asked(model):
    freeze(model.backbone)
    unfreeze(model.backbone)
    model.train()
    bns = [m for m in model.backbone.modules() if isinstance(m, nn.BatchNorm2d)]
    assert bns and all(not m.training and not m.weight.requires_grad for m in bns)
    convs = [p for n, p in model.backbone.named_parameters() if "conv" in n]
    assert convs and all(p.requires_grad for p in convs)
    unfreeze(model.backbone, batchnorm=True)
    model.train()
    assert all(m.training and m.weight.requires_grad for m in bns)


def test_a_frozen_model_survives_deepcopy_and_pickling(model, tmp_path):
    import copy

    freeze(model.backbone)
    clone = copy.deepcopy(model)
    clone.train()
    assert is_frozen_bn(clone.backbone._bn1) and not clone.backbone._bn1.training
    torch.save(model, tmp_path / "m.pt")
    again = torch.load(tmp_path / "m.pt", weights_only=False)
    again.train()
    assert not again.backbone._bn1.training


def test_fit_keeps_a_batchnorm_frozen_by_hand_in_eval(model):
    """Exercise 03's ``congelar`` (requires_grad=False + eval) is respected by fit's train_mode."""
    from tlkit.torch import train_mode

    for p in model.backbone.parameters():
        p.requires_grad = False
    train_mode(model)
    bns = [m for m in model.backbone.modules() if isinstance(m, nn.BatchNorm2d)]
    assert bns and not any(m.training for m in bns) and model.head.training
    assert not any(is_frozen_bn(m) for m in bns), "by hand: no state was added to the layers"
