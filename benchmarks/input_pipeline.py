"""Input pipeline: tlkit's loader vs the seeds' Dataset, images per second over 5 epochs.

The seeds' Dataset (lesson 05's predecessor) reads every JPEG in every epoch with
``skimage.io.imread``, resizes it with albumentations' ``Resize`` and divides by 255 in float64.
tlkit's ``ImageDataset`` decodes each image once (like load_rgb), keeps a small uint8 copy and
only crops, flips and normalises per epoch, in float32, optionally in worker processes.

Both produce 224x224 float tensors with the same augmentation (a random resized crop and a
horizontal flip) from the same folder of up to 300 photos. Run:

    .venv/bin/python benchmarks/input_pipeline.py [--folder PATH] [--epochs 5]

albumentations is not a tlkit dependency: install it to run the exact baseline
(``pip install albumentations``); without it the baseline's resize is emulated with
``skimage.transform.resize`` (order 1, no anti-aliasing, like OpenCV's bilinear) and the table
says so. Ratios are measured in one run on this machine; the first epoch includes tlkit's
one-off decoding.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

ROOT = Path(__file__).resolve().parents[1]
SHARED_FLOWERS = ROOT.parent / "shared" / "data" / "flowers"
SIZE = 224


def find_samples(folder: Path | None, limit: int = 300):
    """Up to ``limit`` (path, label) pairs: the given folder, the shared real flowers, or the
    embedded default, in that order; returns (samples, description)."""
    from tlkit.data import image_folder, load_images

    if folder is None and SHARED_FLOWERS.is_dir():
        folder = SHARED_FLOWERS
    if folder is not None:
        data = image_folder(folder, val=0.0)
        source = f"{folder} (real photos)"
    else:
        data = load_images("embedded")
        source = "tlkit's embedded photos (no real-data folder found)"
    samples = (data.train + data.val + data.test)[:limit]
    return samples, source


def _resize_params(height: int, width: int, rng: np.random.Generator, scale=(0.35, 1.0)):
    """RandomResizedCrop's box (torchvision's algorithm, fixed ratio range)."""
    area = height * width
    for _ in range(10):
        target = area * rng.uniform(*scale)
        ratio = np.exp(rng.uniform(np.log(3 / 4), np.log(4 / 3)))
        w, h = int(round(np.sqrt(target * ratio))), int(round(np.sqrt(target / ratio)))
        if 0 < w <= width and 0 < h <= height:
            return int(rng.integers(0, height - h + 1)), int(rng.integers(0, width - w + 1)), h, w
    side = min(height, width)
    return (height - side) // 2, (width - side) // 2, side, side


class SeedsDataset(Dataset):
    """The seeds' way: read + resize every epoch, float64 /255 (same augmentation as tlkit's)."""

    def __init__(self, samples):
        from skimage import io  # imported here so its import time is not counted as loading

        self.imread = io.imread
        self.samples = samples
        self.rng = np.random.default_rng(0)
        try:
            import albumentations as A

            self.resize = A.Resize(SIZE, SIZE)
            self.kind = f"albumentations {A.__version__} Resize"
        except ImportError:
            self.resize = None
            self.kind = "skimage resize (albumentations not installed: emulated)"

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        path, label = self.samples[i]
        image = self.imread(path)
        if image.ndim == 2:
            image = np.stack([image] * 3, -1)
        image = image[..., :3]
        top, left, h, w = _resize_params(*image.shape[:2], self.rng)
        crop = image[top:top + h, left:left + w]
        if self.resize is not None:
            crop = self.resize(image=crop)["image"]
        else:
            from skimage.transform import resize

            crop = resize(crop, (SIZE, SIZE), order=1, anti_aliasing=False, preserve_range=True)
        if self.rng.random() < 0.5:
            crop = crop[:, ::-1]
        x = np.ascontiguousarray(crop, dtype=np.float64) / 255.0
        return torch.from_numpy(x.transpose(2, 0, 1).copy()), label


def images_per_second(make_loader, epochs: int) -> tuple[float, float]:
    """(images/s over all epochs including setup, seconds) for a loader factory."""
    t0 = time.perf_counter()
    loader = make_loader()
    n = 0
    for _ in range(epochs):
        for x, _y in loader:
            assert x.shape[1:] == (3, SIZE, SIZE)
            n += x.shape[0]
    seconds = time.perf_counter() - t0
    return n / seconds, seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)

    from tlkit.torch import ImageDataset, stored_size, train_transform

    torch.manual_seed(0)
    samples, source = find_samples(args.folder)
    seeds = SeedsDataset(samples)
    print(f"{len(samples)} images from {source}; {args.epochs} epochs, batch 32, {SIZE}x{SIZE}")
    print(f"baseline resize: {seeds.kind}; torch threads: {torch.get_num_threads()}\n")

    rows = []
    rate, sec = images_per_second(lambda: DataLoader(seeds, 32, shuffle=True, num_workers=0), args.epochs)
    rows.append(("seeds' Dataset (imread + Resize + float64 /255, 0 workers)", rate, sec))

    def tlkit_loader(workers):
        def make():
            dataset = ImageDataset(samples, stored_size(SIZE), train_transform(SIZE))
            return DataLoader(dataset, 32, shuffle=True, num_workers=workers,
                              persistent_workers=workers > 0)
        return make

    for workers in sorted({0, args.workers}):
        rate, sec = images_per_second(tlkit_loader(workers), args.epochs)
        rows.append((f"tlkit ImageDataset (decode once, uint8, float32, {workers} workers)", rate, sec))

    base = rows[0][1]
    print(f"{'loader':<66} {'img/s':>8} {'seconds':>8} {'ratio':>6}")
    for name, rate, sec in rows:
        print(f"{name:<66} {rate:8.1f} {sec:8.1f} {rate / base:5.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
