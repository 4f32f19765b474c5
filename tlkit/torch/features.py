"""Feature cache: run a frozen backbone once, then train only the head on stored features.

With the backbone frozen and no augmentation, every epoch would push the same images through
the same backbone and get the same features. Computing them once and training the head on
them gives the same result for a fraction of the time (lesson 05 measures it;
``benchmarks/feature_cache.py`` too). :func:`cached_features` also keeps them in a file under
``config.home() / "features"`` named by a fingerprint of the weights and the data (file paths,
sizes and modification times, labels, transform), so a second run, or a second notebook with
the same frozen base and photos (the grader's students), reads them instead of computing them;
a changed weight or photo gives another fingerprint and an honest computation.
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from tlkit import config
from tlkit.torch.checkpoints import load_checkpoint, save_checkpoint
from tlkit.torch.devices import on_device


# torchvision transforms that give the same output for the same input on every call.
DETERMINISTIC = frozenset({
    "CenterCrop", "ConvertImageDtype", "Grayscale", "Identity", "Normalize", "Pad",
    "PILToTensor", "Resize", "ToDtype", "ToImage", "ToPureTensor", "ToTensor"})


def deterministic(transform) -> bool:
    """True when ``transform`` is None or built only from :data:`DETERMINISTIC` torchvision
    transforms (``Compose`` of them included). Anything else may be an augmentation
    (``ColorJitter``, ``GaussianBlur``, ``RandomApply``, a ``Lambda``, a class of one's own) and
    counts as random: caching it would hand every epoch the same "augmented" samples."""
    if transform is None:
        return True
    cls = type(transform)
    if not cls.__module__.startswith("torchvision.transforms"):
        return False
    if cls.__name__ == "Compose":
        return all(deterministic(t) for t in transform.transforms)
    return cls.__name__ in DETERMINISTIC


def _data_key(dataset) -> bytes | None:
    """What identifies a dataset's samples: its files (path, size, mtime) or its tensors.

    None when the samples cannot be identified (an unknown dataset type) or may change on every
    pass (a transform that is not :func:`deterministic`): then nothing is cached on disk.
    """
    if not deterministic(getattr(dataset, "transform", None)):
        return None
    h = hashlib.sha256()
    paths = [Path(p) for p in getattr(dataset, "paths", [])]
    images = getattr(dataset, "images", None)
    if paths and len(paths) == len(dataset) and all(p.is_file() for p in paths):
        for path in paths:
            stat = path.stat()
            h.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        if images is not None:  # the size the images were decoded at (``shorter_side``)
            h.update(repr([tuple(img.shape) for img in images]).encode())
    elif images is not None:
        for img in images:
            h.update(repr(tuple(img.shape)).encode())
            h.update(torch.as_tensor(img).contiguous().numpy().tobytes())
    elif type(dataset) is TensorDataset:  # a subclass may change __getitem__
        for tensor in dataset.tensors:
            h.update(repr((tuple(tensor.shape), str(tensor.dtype))).encode())
            h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    else:
        return None
    return h.digest()


def fingerprint(module: nn.Module, loader: DataLoader) -> str | None:
    """A short hash of the weights, the data (:func:`_data_key`), the labels and the transform
    (the cache key); None when the dataset's samples cannot be identified."""
    dataset = loader.dataset
    data = _data_key(dataset)
    if data is None:
        return None
    h = hashlib.sha256(data)
    for name, tensor in module.state_dict().items():
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
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
    from tlkit.torch.train import progress_bar

    feats, labels = [], []
    with on_device(backbone, device, None) as (device, on_cuda, amp):
        backbone.eval()
        for x, y in progress_bar(loader, "extrayendo características", progress):
            with torch.autocast(device.type, dtype=torch.float16, enabled=amp):
                feats.append(backbone(x.to(device, non_blocking=True)).float().cpu())
            labels.append(torch.as_tensor(y))
    return torch.cat(feats), torch.cat(labels)


def cached_features(backbone: nn.Module, loader: DataLoader, *, name: str | None = None,
                    cache_dir: str | Path | None = None, device: str | None = None,
                    progress: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Like :func:`extract_features`, read from / written to ``<cache_dir>/[name-]<fingerprint>.pt``.

    ``cache_dir`` defaults to ``config.home() / "features"``; ``name`` is an optional prefix
    for the file. Changing the weights or the data computes the features again instead of
    reusing stale ones. An unreadable cache file is ignored (with a warning) and replaced; an
    unwritable folder only warns: the features are computed and returned all the same.
    """
    key = fingerprint(backbone, loader)
    if key is None:
        return extract_features(backbone, loader, device=device, progress=progress)
    folder = Path(cache_dir) if cache_dir is not None else config.home() / "features"
    path = folder / (f"{name}-{key}.pt" if name else f"{key}.pt")
    if path.is_file():
        try:
            state = load_checkpoint(path)
            return state["features"], state["labels"]
        except Exception as exc:  # noqa: BLE001 - a truncated or foreign file: compute again
            warnings.warn(f"{path} is not a readable feature cache ({type(exc).__name__}): "
                          f"ignored, computing the features again", stacklevel=2)
    features, labels = extract_features(backbone, loader, device=device, progress=progress)
    try:
        save_checkpoint({"features": features, "labels": labels}, path)
    except OSError as exc:
        warnings.warn(f"could not keep the features in {folder} ({exc}); computed without "
                      f"caching", stacklevel=2)
    return features, labels


def feature_loader(features: torch.Tensor, labels: torch.Tensor, batch_size: int = 32,
                   shuffle: bool = False, drop_last: bool = False) -> DataLoader:
    """A DataLoader over stored features (no workers needed: it is just indexing)."""
    return DataLoader(TensorDataset(features, labels), batch_size=batch_size, shuffle=shuffle,
                      drop_last=drop_last)
