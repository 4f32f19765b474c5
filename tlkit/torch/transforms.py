"""Image transforms for lesson 03: augmentation for training, a fixed crop for evaluation.

They work on uint8 CHW tensors (what :class:`tlkit.torch.datasets.ImageDataset` keeps in
memory) and end in float32 normalised with the statistics the backbone was trained with:
ImageNet's mean/std for torchvision's ResNets, (x - 127) / 128 for EfficientNet-Lite0
(``model.normalization``). Plain ``/255`` leaves every channel off-centre for a pretrained
network; lesson 03 measures the cost.
"""

from __future__ import annotations

import torch
from torchvision.transforms import v2

from tlkit.torch.models import IMAGENET_NORMALIZATION

# Shorter side kept in memory relative to the crop, as in the usual "resize 256, crop 224".
RESIZE_RATIO = 256 / 224


def stored_size(size: int) -> int:
    """Shorter side of the uint8 copy kept in memory for crops of ``size`` pixels."""
    return round(size * RESIZE_RATIO)


def _to_float(normalization) -> list:
    if normalization is None:  # the seeds' plain /255: shown in lesson 03 as what not to do
        return [v2.ToDtype(torch.float32, scale=True)]
    mean, std = normalization
    return [v2.ToDtype(torch.float32, scale=True), v2.Normalize(mean=list(mean), std=list(std))]


def train_transform(size: int, normalization=IMAGENET_NORMALIZATION,
                    scale: tuple[float, float] = (0.35, 1.0)) -> v2.Compose:
    """RandomResizedCrop + horizontal flip, then float32 normalised.

    ``scale`` is milder than torchvision's default (0.08, 1): with a few epochs on a few hundred
    images, crops that keep most of the object train better.
    """
    return v2.Compose([
        v2.RandomResizedCrop(size, scale=scale, antialias=True),
        v2.RandomHorizontalFlip(),
        *_to_float(normalization),
    ])


def eval_transform(size: int, normalization=IMAGENET_NORMALIZATION) -> v2.Compose:
    """Resize the shorter side to ``stored_size(size)``, centre crop ``size``, float32 normalised."""
    return v2.Compose([
        v2.Resize(stored_size(size), antialias=True),
        v2.CenterCrop(size),
        *_to_float(normalization),
    ])


def denormalize(images: torch.Tensor, normalization=IMAGENET_NORMALIZATION) -> torch.Tensor:
    """Undo the normalisation (for showing a batch): back to 0..1 floats."""
    if normalization is None:
        return images.clamp(0, 1)
    mean, std = (torch.tensor(v, dtype=images.dtype).view(-1, 1, 1) for v in normalization)
    return (images * std + mean).clamp(0, 1)
