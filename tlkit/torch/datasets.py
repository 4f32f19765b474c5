"""A Dataset that decodes each image once and augments on the fly, and its DataLoader.

The course's original Dataset reads and resizes every JPEG in every epoch, in float64. Here each
image is decoded once (like ``tlkit.data.load_rgb``), kept as a small uint8 tensor,
and only cropping, flipping and normalisation (float32) run per epoch; workers overlap that with
training. ``benchmarks/input_pipeline.py`` measures the difference.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset


def decode(path: str | os.PathLike, shorter_side: int) -> torch.Tensor:
    """An RGB image as a uint8 CHW tensor whose shorter side is at most ``shorter_side`` pixels.

    Decoded exactly like :func:`tlkit.data.load_rgb` (EXIF orientation, transparency over white,
    16-bit and palette images scaled to 8 bits). Larger images are shrunk; smaller ones are kept
    as they are, since the crop transforms resize to the model's input anyway and upscaling here
    would only cost time and memory.
    """
    from PIL import Image

    from tlkit.data import load_rgb

    img = load_rgb(path)
    w, h = img.size
    ratio = shorter_side / min(w, h)
    if ratio < 1:
        new = (max(shorter_side, round(w * ratio)), max(shorter_side, round(h * ratio)))
        img = img.resize(new, Image.Resampling.BILINEAR, reducing_gap=None)
    array = np.asarray(img, dtype=np.uint8)
    return torch.from_numpy(array.copy()).permute(2, 0, 1).contiguous()


class ImageDataset(Dataset):
    """``(image, label)`` pairs from ``(path, label)`` samples, decoded once at construction.

    ``shorter_side`` is the size kept in memory (``transforms.stored_size(size)`` for crops of
    ``size``); ``transform`` turns the uint8 tensor into the model's float32 input.
    ``ImageDataset.from_arrays`` wraps images already in memory (HWC uint8 arrays).
    """

    def __init__(self, samples: Sequence[tuple[str | os.PathLike, int]], shorter_side: int,
                 transform: Callable | None = None):
        self.paths = [Path(p) for p, _ in samples]
        self.labels = [int(label) for _, label in samples]
        self.images = [decode(p, shorter_side) for p in self.paths]
        self.transform = transform

    @classmethod
    def from_arrays(cls, images: Sequence[np.ndarray], labels: Sequence[int],
                    transform: Callable | None = None) -> "ImageDataset":
        self = cls.__new__(cls)
        self.paths = [Path(f"<array {i}>") for i in range(len(images))]
        self.labels = [int(label) for label in labels]
        self.images = [torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1).contiguous()
                       for img in images]
        self.transform = transform
        return self

    def with_transform(self, transform: Callable | None) -> "ImageDataset":
        """The same decoded images with another transform (no second decoding)."""
        other = self.__class__.__new__(self.__class__)
        other.__dict__.update(self.__dict__)
        other.transform = transform
        return other

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int):
        image = self.images[index]
        if self.transform is not None:
            image = self.transform(image)
        return image, self.labels[index]


def default_workers(device: str = "cpu") -> int:
    """Loader worker processes: on CUDA one fewer than the cores (at most 4), so decoding and
    augmentation overlap with the GPU; on the CPU none, since the model's own math already uses
    every core and a worker would only compete with it (measured in benchmarks/input_pipeline.py)."""
    if not str(device).startswith("cuda"):
        return 0
    return max(0, min(4, (os.cpu_count() or 1) - 1))


def make_loader(dataset: Dataset, batch_size: int = 32, shuffle: bool = False, *,
                num_workers: int | None = None, device: str | None = None,
                drop_last: bool = False) -> DataLoader:
    """A DataLoader with worker processes and, on CUDA, pinned memory for fast copies.

    Shuffling draws from torch's global generator, so ``config.seed_everything`` (and a resumed
    checkpoint's RNG state) fix the order.
    """
    from tlkit import config

    device = device or config.device()
    workers = default_workers(device) if num_workers is None else num_workers
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, num_workers=workers,
                      pin_memory=str(device).startswith("cuda"), drop_last=drop_last)
