"""Freezing layers the way lesson 05 shows by hand: ``requires_grad`` plus BatchNorm in inference.

DESIGN §7: ``requires_grad = False`` stops the gradient, but a BatchNorm layer in training mode
still updates its running mean/variance on every forward pass (and normalises with the batch's
statistics), and ``model.train()`` puts every BatchNorm back in training mode. Here a frozen
BatchNorm layer carries its state itself (STYLE §13, as Lightning's frozen BatchNorm does): its
class becomes an ``Inference…`` subclass whose ``train()`` always means ``eval()``, so any later
``.train()`` — ``fit``'s or a hand-written loop's — leaves it using its stored statistics. Its
``state_dict`` is unchanged (same keys and tensors) and ``print(model)`` shows the state.

Unfreezing a pretrained base keeps its BatchNorm layers frozen by default, the working fix the
Keras lessons teach too: on small batches, statistics re-estimated batch by batch ruin what the
base had learned (lesson 05 measures it). ``unfreeze(..., batchnorm=True)`` is that trap, for
the side-by-side comparison.
"""

from __future__ import annotations

from collections.abc import Iterable

from torch import nn

Modules = nn.Module | Iterable[nn.Module]
_BatchNorm = nn.modules.batchnorm._BatchNorm


class _InferenceMode:
    """Mixin of a frozen BatchNorm layer: ``train(mode)`` keeps it in eval mode."""

    def train(self, mode: bool = True):
        return super().train(False)


class InferenceBatchNorm1d(_InferenceMode, nn.BatchNorm1d):
    """A frozen ``BatchNorm1d``: normalises with its stored statistics, even in ``.train()``."""


class InferenceBatchNorm2d(_InferenceMode, nn.BatchNorm2d):
    """A frozen ``BatchNorm2d``: normalises with its stored statistics, even in ``.train()``."""


class InferenceBatchNorm3d(_InferenceMode, nn.BatchNorm3d):
    """A frozen ``BatchNorm3d``: normalises with its stored statistics, even in ``.train()``."""


_FROZEN = {nn.BatchNorm1d: InferenceBatchNorm1d, nn.BatchNorm2d: InferenceBatchNorm2d,
           nn.BatchNorm3d: InferenceBatchNorm3d}


def _frozen_class(cls: type) -> type:
    if cls not in _FROZEN:  # another BatchNorm class (a subclass of one's own, SyncBatchNorm)
        _FROZEN[cls] = type(f"Inference{cls.__name__}", (_InferenceMode, cls), {})
    return _FROZEN[cls]


def _modules(modules: Modules) -> list[nn.Module]:
    return [modules] if isinstance(modules, nn.Module) else list(modules)


def _batchnorms(modules: Modules) -> list[nn.Module]:
    return [m for module in _modules(modules) for m in module.modules() if isinstance(m, _BatchNorm)]


def is_frozen_bn(module: nn.Module) -> bool:
    """True for a BatchNorm layer kept in inference mode by :func:`freeze_batchnorm`."""
    return isinstance(module, _InferenceMode)


def freeze_batchnorm(modules: Modules) -> int:
    """Keep every BatchNorm layer in ``modules`` in inference mode from now on (stored
    statistics, no gradient for its affine parameters), whatever a later ``.train()`` says;
    returns how many layers."""
    layers = _batchnorms(modules)
    for bn in layers:
        if not is_frozen_bn(bn):
            bn.__class__ = _frozen_class(type(bn))
        bn.eval()
        for param in bn.parameters(recurse=False):
            param.requires_grad = False
    return len(layers)


def unfreeze_batchnorm(modules: Modules) -> int:
    """Undo :func:`freeze_batchnorm`: the layers follow ``.train()``/``.eval()`` again and their
    affine parameters train; returns how many layers."""
    layers = _batchnorms(modules)
    for bn in layers:
        if is_frozen_bn(bn):
            bn.__class__ = next(c for c in type(bn).__mro__[1:] if not issubclass(c, _InferenceMode))
        for param in bn.parameters(recurse=False):
            param.requires_grad = True
    return len(layers)


def train_mode(model: nn.Module) -> nn.Module:
    """``model.train()`` that also leaves in eval mode a BatchNorm frozen **by hand** (every affine
    parameter with ``requires_grad=False``, the convention of exercise 03's ``congelar``), so
    ``fit`` does not undo a student's freezing. Layers frozen with :func:`freeze` need nothing:
    they keep their state through any ``.train()``."""
    model.train()
    for module in model.modules():
        params = list(module.parameters(recurse=False))
        if isinstance(module, _BatchNorm) and params and not any(p.requires_grad for p in params):
            module.eval()
    return model


def freeze(modules: Modules) -> None:
    """No gradient for these modules' parameters, and their BatchNorm layers in inference mode."""
    for module in _modules(modules):
        for param in module.parameters():
            param.requires_grad = False
    freeze_batchnorm(modules)


def unfreeze(modules: Modules, *, batchnorm: bool = False) -> None:
    """Make these modules' parameters trainable again. Their BatchNorm layers stay frozen in
    inference mode unless ``batchnorm=True`` (then they re-estimate their statistics on every
    training batch: the trap lesson 05 measures)."""
    for module in _modules(modules):
        for param in module.parameters():
            param.requires_grad = True
    if batchnorm:
        unfreeze_batchnorm(modules)
    else:
        freeze_batchnorm(modules)


def layer_groups(model: nn.Module) -> list[list[nn.Module]]:
    """The model's layer groups from input to output, the head last (fastai's convention)."""
    return [*model.groups, [model.head]]


def freeze_to(model: nn.Module, k: int, *, batchnorm: bool = False) -> None:
    """Freeze the first ``k`` layer groups and unfreeze the rest (``k=-1``: only the head trains);
    ``batchnorm`` as in :func:`unfreeze` for the unfrozen groups.

    ``k=0`` trains everything; ``k=len(model.groups)`` is the same as ``k=-1``.
    """
    groups = layer_groups(model)
    k = len(groups) + k if k < 0 else k
    if not 0 <= k < len(groups):
        raise ValueError(f"freeze_to: k must be in [-{len(groups) - 1}, {len(groups) - 1}], got {k}")
    for i, group in enumerate(groups):
        if i < k:
            freeze(group)
        else:
            unfreeze(group, batchnorm=batchnorm)


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
