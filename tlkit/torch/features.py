"""Feature cache: run a frozen backbone once, then train only the head on stored features.

With the backbone frozen and no augmentation, every epoch would push the same images through
the same backbone and get the same features. Computing them once and training the head on
them gives the same result for a fraction of the time (lesson 05 measures it;
``benchmarks/feature_cache.py`` too). The cache lives in memory, and on disk under
``config.home() / "features"`` when a name is given.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from tlkit import config
from tlkit.torch.checkpoints import load_checkpoint, save_checkpoint
from tlkit.torch.devices import on_device


def fingerprint(module: nn.Module, loader: DataLoader) -> str:
    """A short hash of the weights, the dataset's files/labels and its transform (the cache key)."""
    h = hashlib.sha256()
    for name, tensor in module.state_dict().items():
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    dataset = loader.dataset
    h.update(repr([str(p) for p in getattr(dataset, "paths", [])]).encode())
    h.update(repr(list(getattr(dataset, "labels", []))).encode())
    h.update(repr(getattr(dataset, "transform", None)).encode())
    h.update(str(len(dataset)).encode())
    return h.hexdigest()[:16]


@torch.no_grad()
def extract_features(backbone: nn.Module, loader: DataLoader, *, device: str | None = None,
                     progress: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """``(features, labels)`` of every batch of ``loader`` through ``backbone`` in eval mode.

    The backbone runs on ``device`` (default: ``config.device()``) and is back on its own
    device afterwards, left in eval mode; the features are CPU tensors.
    """
    from tqdm.auto import tqdm

    feats, labels = [], []
    with on_device(backbone, device, None) as (device, on_cuda, amp):
        backbone.eval()
        for x, y in tqdm(loader, desc="extrayendo características", leave=False,
                         disable=not progress):
            with torch.autocast(device.type, dtype=torch.float16, enabled=amp):
                feats.append(backbone(x.to(device, non_blocking=True)).float().cpu())
            labels.append(torch.as_tensor(y))
    return torch.cat(feats), torch.cat(labels)


def cached_features(backbone: nn.Module, loader: DataLoader, *, name: str | None = None,
                    cache_dir: str | Path | None = None, device: str | None = None,
                    progress: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Like :func:`extract_features`, but read from / written to a file when ``name`` is given.

    The file name holds a fingerprint of the weights and the data, so changing either computes
    the features again instead of reusing stale ones.
    """
    if name is None:
        return extract_features(backbone, loader, device=device, progress=progress)
    folder = Path(cache_dir) if cache_dir is not None else config.home() / "features"
    path = folder / f"{name}-{fingerprint(backbone, loader)}.pt"
    if path.is_file():
        state = load_checkpoint(path)
        return state["features"], state["labels"]
    features, labels = extract_features(backbone, loader, device=device, progress=progress)
    save_checkpoint({"features": features, "labels": labels}, path)
    return features, labels


def feature_loader(features: torch.Tensor, labels: torch.Tensor, batch_size: int = 32,
                   shuffle: bool = False, drop_last: bool = False) -> DataLoader:
    """A DataLoader over stored features (no workers needed: it is just indexing)."""
    return DataLoader(TensorDataset(features, labels), batch_size=batch_size, shuffle=shuffle,
                      drop_last=drop_last)
