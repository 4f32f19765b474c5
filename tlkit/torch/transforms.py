"""Image transforms for lesson 05: augmentation for training, a fixed crop for evaluation.

They work on uint8 CHW tensors (what :class:`tlkit.torch.datasets.ImageDataset` keeps in
memory) and end in float32 normalised with the statistics the backbone was trained with:
ImageNet's mean/std for torchvision's ResNets, (x - 127) / 128 for EfficientNet-Lite0
(``model.normalization``). Plain ``/255`` leaves every channel off-centre for a pretrained
network; lesson 05 measures the cost.
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
    if normalization is None:  # plain /255, as the course's original notebook did: lesson 05 shows why not
        return [v2.ToDtype(torch.float32, scale=True)]
    mean, std = normalization
    return [v2.ToDtype(torch.float32, scale=True), v2.Normalize(mean=list(mean), std=list(std))]


class RandomResizedCropFlip:
    """RandomResizedCrop + random horizontal flip + float32 normalisation, in one step.

    The same augmentation as ``v2.Compose([v2.RandomResizedCrop(size, scale), v2.RandomHorizontalFlip(),
    v2.ToDtype(float32, scale=True), v2.Normalize(mean, std)])`` (torchvision picks the crop box),
    but with plain tensor operations: torchvision's v2 pipeline spends most of its ~1 ms per
    image on dispatch, which is the bottleneck once decoding happens only once
    (``benchmarks/input_pipeline.py``). Bilinear resizing without antialiasing: the stored copy is
    at most ~1.14x the output size, so there is nothing to alias. Random numbers come from
    torch's global generator (seeded by ``config.seed_everything``).
    """

    def __init__(self, size: int, normalization=IMAGENET_NORMALIZATION,
                 scale: tuple[float, float] = (0.35, 1.0), ratio=(3 / 4, 4 / 3)):
        from torchvision import transforms as v1

        self.size, self.scale, self.ratio = size, tuple(scale), tuple(ratio)
        self.normalization = normalization
        self._get_params = v1.RandomResizedCrop.get_params
        if normalization is None:
            self._mean, self._std = torch.zeros(3, 1, 1), torch.ones(3, 1, 1)
        else:
            self._mean, self._std = (torch.tensor(v, dtype=torch.float32).view(3, 1, 1)
                                     for v in normalization)

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        top, left, h, w = self._get_params(image, list(self.scale), list(self.ratio))
        crop = image[:, top:top + h, left:left + w]
        if torch.rand(1).item() < 0.5:
            crop = crop.flip(-1)  # on the small uint8 crop: cheaper than on the float output
        out = torch.nn.functional.interpolate(crop.unsqueeze(0).float(), size=(self.size, self.size),
                                              mode="bilinear", align_corners=False)[0]
        return out.div_(255).sub_(self._mean).div_(self._std)

    def __repr__(self) -> str:
        return (f"RandomResizedCropFlip(size={self.size}, scale={self.scale}, ratio={self.ratio}, "
                f"normalization={self.normalization})")


def train_transform(size: int, normalization=IMAGENET_NORMALIZATION,
                    scale: tuple[float, float] = (0.35, 1.0)) -> RandomResizedCropFlip:
    """RandomResizedCrop + horizontal flip, then float32 normalised (see RandomResizedCropFlip).

    ``scale`` is milder than torchvision's default (0.08, 1): with a few epochs on a few hundred
    images, crops that keep most of the object train better.
    """
    return RandomResizedCropFlip(size, normalization, scale)


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
