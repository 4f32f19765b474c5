"""Frozen-backbone head training, 5 epochs: feature cache vs a full forward pass every epoch.

Same frozen EfficientNet-Lite0 (real ImageNet weights), same head initialisation, same seed, no
augmentation: (a) every epoch pushes the images through the backbone; (b) the backbone runs once
(``tlkit.torch.cached_features``) and the head trains on the stored features. The limit of (a)/(b)
in total time is the number of epochs (one forward pass instead of five); per head epoch the
cache only does a matrix product. Run:

    .venv/bin/python benchmarks/feature_cache.py [--folder PATH] [--size 224] [--epochs 5]

Uses ../shared/data/flowers (train/ and val/) when present, else the embedded photos.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
SHARED_FLOWERS = ROOT.parent / "shared" / "data" / "flowers"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args(argv)

    from tlkit import config
    from tlkit.data import image_folder, load_images
    from tlkit.torch import (ImageDataset, build_classifier, cached_features, eval_transform,
                             feature_loader, fit, freeze, make_loader, stored_size)

    folder = args.folder or (SHARED_FLOWERS if SHARED_FLOWERS.is_dir() else None)
    data = image_folder(folder) if folder else load_images("embedded")
    source = f"{folder} (real photos)" if folder else "tlkit's embedded photos (no real-data folder found)"
    model = build_classifier("efficientnet_lite0", len(data.classes))
    freeze(model.backbone)
    norm = model.normalization
    transform = eval_transform(args.size, norm)
    train = ImageDataset(data.train, stored_size(args.size), transform)
    val = ImageDataset(data.val, stored_size(args.size), transform)
    print(f"{len(train)} train / {len(val)} val images from {source}; {args.size}px, "
          f"{args.epochs} epochs, {model.weights}\n")
    initial = {k: v.clone() for k, v in model.head.state_dict().items()}
    train_loader = make_loader(train, 32, shuffle=True, device="cpu")
    val_loader = make_loader(val, 50, device="cpu")

    # (a) full forward pass through the frozen backbone every epoch
    t0 = time.perf_counter()
    hist_full = fit(model, train_loader, val_loader, torch.optim.Adam(model.head.parameters(), 1e-3),
                    epochs=args.epochs, device="cpu", restore_best=False, progress=False, verbose=False)
    t_full = time.perf_counter() - t0

    # (b) features once, then the head alone
    head = nn.Linear(model.num_features, len(data.classes))
    head.load_state_dict(initial)
    fresh = tempfile.mkdtemp(prefix="tlkit-bench-features-")  # measure an extraction, not a read
    t0 = time.perf_counter()
    f_train, y_train = cached_features(model.backbone, make_loader(train, 50, device="cpu"), device="cpu",
                                       progress=False, cache_dir=fresh)
    f_val, y_val = cached_features(model.backbone, val_loader, device="cpu", progress=False, cache_dir=fresh)
    t_extract = time.perf_counter() - t0
    t0 = time.perf_counter()
    hist_cache = fit(head, feature_loader(f_train, y_train, 32, shuffle=True), feature_loader(f_val, y_val, 50),
                     torch.optim.Adam(head.parameters(), 1e-3), epochs=args.epochs, device="cpu",
                     restore_best=False, progress=False, verbose=False)
    t_head = time.perf_counter() - t0

    acc_full, acc_cache = hist_full.val_acc.iloc[-1], hist_cache.val_acc.iloc[-1]
    per_epoch_full = t_full / args.epochs
    per_epoch_cache = t_head / args.epochs
    print(f"{'method':<44} {'total s':>8} {'s/head epoch':>13} {'val_acc':>8}")
    print(f"{'full forward pass every epoch':<44} {t_full:8.1f} {per_epoch_full:13.3f} {acc_full:8.3f}")
    print(f"{'feature cache (extract once + head)':<44} {t_extract + t_head:8.1f} {per_epoch_cache:13.4f} {acc_cache:8.3f}")
    print(f"\ntotal speed-up {t_full / (t_extract + t_head):.1f}x (limit {args.epochs}x); "
          f"per head epoch {per_epoch_full / per_epoch_cache:.0f}x; "
          f"accuracy difference {abs(acc_full - acc_cache) * 100:.1f} points")
    config.seed_everything(0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
