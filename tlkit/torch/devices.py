"""Run a model on a device for the length of a call, then put it back where it was.

The training loop, prediction and the feature cache use :func:`on_device`, so a model (and its
optimizer's state) never stays on CUDA behind the caller's back: code written for where the
model was (a locked exercise cell, tensors cloned before the call) keeps working on a GPU.
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn

from tlkit import config


def _device_of(model: nn.Module) -> torch.device:
    """Where the model's weights are (the CPU for a model without any)."""
    tensor = next(model.parameters(), None)
    if tensor is None:
        tensor = next(model.buffers(), None)
    return tensor.device if tensor is not None else torch.device("cpu")


def _move_optimizer_state(optimizer: torch.optim.Optimizer, device: torch.device) -> None:
    """Put the optimizer's per-parameter tensors (e.g. Adam's moments) on ``device``.

    ``step`` counters stay where the optimizer keeps them (on the CPU unless capturable).
    """
    for state in optimizer.state.values():
        for key, value in state.items():
            if torch.is_tensor(value) and key != "step":
                state[key] = value.to(device)


@contextlib.contextmanager
def on_device(model: nn.Module, device: str | None, amp: bool | None, optimizer=None):
    """Run ``model`` on ``device`` inside the block; afterwards it is back where it was.

    Yields ``(device, on_cuda, amp)``. ``model.to`` moves parameters in place, so an optimizer
    built before the call keeps pointing at them; its state travels with them.
    """
    device = torch.device(device or config.device())
    on_cuda = device.type == "cuda"
    amp = on_cuda if amp is None else bool(amp and on_cuda)
    home = _device_of(model)
    model.to(device)
    if optimizer is not None:
        _move_optimizer_state(optimizer, device)
    if on_cuda:  # faster convolutions with tensor cores; pointless on the CPU
        model.to(memory_format=torch.channels_last)
    try:
        yield device, on_cuda, amp
    finally:
        if on_cuda:
            model.to(memory_format=torch.contiguous_format)
        model.to(home)
        if optimizer is not None:
            _move_optimizer_state(optimizer, home)
