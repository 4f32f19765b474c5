"""Freezing layers the way lesson 05 shows by hand: ``requires_grad`` plus BatchNorm in eval.

DESIGN §7: ``requires_grad = False`` stops the gradient, but a BatchNorm layer in training mode
still updates its running mean/variance on every forward pass, and ``model.train()`` puts every
BatchNorm back in training mode. Here a BatchNorm whose weight and bias are frozen counts as
frozen, and :func:`train_mode` (what ``tlkit.torch.fit`` calls each epoch) keeps it in eval.
"""

from __future__ import annotations

from collections.abc import Iterable

from torch import nn

Modules = nn.Module | Iterable[nn.Module]


def _modules(modules: Modules) -> list[nn.Module]:
    return [modules] if isinstance(modules, nn.Module) else list(modules)


def _set_trainable(modules: Modules, trainable: bool) -> None:
    for module in _modules(modules):
        for param in module.parameters():
            param.requires_grad = trainable
        if not trainable:
            set_bn_eval(module)


def freeze(modules: Modules) -> None:
    """No gradient for these modules' parameters, and their BatchNorm layers in eval mode."""
    _set_trainable(modules, False)


def unfreeze(modules: Modules) -> None:
    """Make every parameter of these modules trainable again (BatchNorm follows the next
    ``model.train()``)."""
    _set_trainable(modules, True)


def is_frozen_bn(module: nn.Module) -> bool:
    """A BatchNorm layer whose affine parameters receive no gradient."""
    if not isinstance(module, nn.modules.batchnorm._BatchNorm):
        return False
    params = list(module.parameters(recurse=False))
    return bool(params) and not any(p.requires_grad for p in params)


def set_bn_eval(model: nn.Module) -> int:
    """Put every frozen BatchNorm layer in eval mode (running statistics fixed); returns how many."""
    count = 0
    for module in model.modules():
        if is_frozen_bn(module):
            module.eval()
            count += 1
    return count


def train_mode(model: nn.Module) -> nn.Module:
    """``model.train()`` that leaves frozen BatchNorm layers in eval mode (see module doc)."""
    model.train()
    set_bn_eval(model)
    return model


def layer_groups(model: nn.Module) -> list[list[nn.Module]]:
    """The model's layer groups from input to output, the head last (fastai's convention)."""
    return [*model.groups, [model.head]]


def freeze_to(model: nn.Module, k: int) -> None:
    """Freeze the first ``k`` layer groups and unfreeze the rest (``k=-1``: only the head trains).

    ``k=0`` trains everything; ``k=len(model.groups)`` is the same as ``k=-1``.
    """
    groups = layer_groups(model)
    k = len(groups) + k if k < 0 else k
    if not 0 <= k < len(groups):
        raise ValueError(f"freeze_to: k must be in [-{len(groups) - 1}, {len(groups) - 1}], got {k}")
    for i, group in enumerate(groups):
        (freeze if i < k else unfreeze)(group)


def count_parameters(model: nn.Module, trainable: bool | None = None) -> int:
    """Number of parameters: all (``None``), only trainable (``True``) or only frozen (``False``)."""
    return sum(p.numel() for p in model.parameters()
               if trainable is None or p.requires_grad == trainable)


def trainable_parameters(model: nn.Module) -> list[nn.Parameter]:
    """The parameters the optimizer should update (``requires_grad=True``)."""
    return [p for p in model.parameters() if p.requires_grad]


def param_groups(model: nn.Module, backbone_lr: float, head_lr: float) -> list[dict]:
    """Optimizer parameter groups: the backbone at ``backbone_lr``, the head at ``head_lr``.

    Every parameter is listed, frozen ones too: they get no gradient, so the optimizer leaves
    them alone, and after an ``unfreeze`` the same optimizer starts updating them (lesson 05).
    """
    return [
        {"params": list(model.backbone.parameters()), "lr": backbone_lr, "name": "backbone"},
        {"params": list(model.head.parameters()), "lr": head_lr, "name": "head"},
    ]
