"""Checkpoints written atomically: a crash while saving never corrupts the previous one.

``save_checkpoint`` writes through :func:`tlkit.files.atomic_path` (a temporary file in the
same folder, then ``os.replace``), which is atomic on POSIX and Windows.
``rng_state``/``set_rng_state`` carry the random generators across a resume so the resumed run
draws the same numbers (batches order, augmentations) as an uninterrupted one.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import torch

from tlkit.files import atomic_path


def save_checkpoint(state: dict, path: str | os.PathLike) -> Path:
    """``torch.save(state)`` to ``path`` atomically (temporary file + ``os.replace``)."""
    with atomic_path(path, fsync=True) as tmp, open(tmp, "wb") as fh:
        torch.save(state, fh)
    return Path(path)


def load_checkpoint(path: str | os.PathLike, map_location="cpu") -> dict:
    """A checkpoint written by :func:`save_checkpoint` (our own files: full unpickling)."""
    return torch.load(path, map_location=map_location, weights_only=False)


def load_scaler_state(scaler: torch.amp.GradScaler, state: dict | None) -> None:
    """Restore a GradScaler across devices: a checkpoint written on the CPU (scaler disabled,
    empty state) starts a fresh scale on CUDA instead of failing in ``load_state_dict({})``;
    on the CPU a CUDA scaler's state is ignored (the scaler is disabled there)."""
    if state and scaler.is_enabled():
        scaler.load_state_dict(state)


def rng_state() -> dict:
    """The state of Python's, NumPy's and torch's (CPU and CUDA) random generators."""
    state = {"python": random.getstate(), "numpy": np.random.get_state(),
             "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    """Restore what :func:`rng_state` returned."""
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda"])  # a CPU checkpoint has none: CUDA starts as seeded
