"""The training loop of the PyTorch lessons: ``fit``, ``evaluate`` and ``predict``.

``fit`` takes everything it uses as arguments (no notebook globals): progress bars with running
loss/accuracy, a history DataFrame, best-model tracking, atomic per-epoch checkpoints that a
later call can resume, mixed precision and channels_last on CUDA only. Lesson 05 explains
what is frozen and why; a BatchNorm frozen with ``freeze`` keeps itself in eval through
``model.train()``, and ``train_mode`` also respects one frozen by hand (``tlkit.torch.freezing``).

Each function runs the model on ``device`` (default: ``config.device()``, the GPU when there
is one) and puts it back where it was, in its memory format, when it returns: code after a call
(a locked exercise cell, a comparison with tensors cloned before) never meets a model that moved
to CUDA behind its back.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from tlkit import config
from tlkit.torch.checkpoints import (load_checkpoint, load_scaler_state, rng_state, save_checkpoint,
                                     set_rng_state)
from tlkit.torch.devices import on_device
from tlkit.torch.freezing import train_mode

HISTORY_COLUMNS = ["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds"]
LAST, BEST = "last.pt", "best.pt"


def progress_bar(iterable, desc: str, enabled: bool = True, total: int | None = None):
    """A tqdm bar that disappears when done; none when ``TLKIT_PROGRESS=0`` (set by
    ``tlkit lessons`` so executed handouts keep one line per epoch, not bar fragments).

    ``tqdm.autonotebook``, not ``tqdm.auto``: the latter's asyncio class calls ``iter()`` on a
    DataLoader when the bar is created, an extra iterator that draws from the random generator
    (and starts workers) before the loop's own; a plain ``for`` loop over the loader would then
    see different batches from the same seed (lesson 04 compares the two).
    """
    import warnings

    from tqdm import TqdmWarning

    if not (enabled and config.progress()):
        from tqdm import tqdm

        return tqdm(iterable, total=total, disable=True)
    with warnings.catch_warnings():  # a notebook without ipywidgets gets a text bar: no warning
        warnings.simplefilter("ignore", TqdmWarning)
        from tqdm.autonotebook import tqdm
    return tqdm(iterable, desc=desc, total=total, leave=False, mininterval=0.5)


def _to_device(x: torch.Tensor, y: torch.Tensor, device, on_cuda: bool):
    x = x.to(device, non_blocking=True)
    if on_cuda and x.dim() == 4:
        x = x.contiguous(memory_format=torch.channels_last)
    return x, y.to(device, non_blocking=True)


def _run_epoch(model, loader, loss_fn, device, on_cuda, amp, optimizer=None, scaler=None,
               desc="", progress=True):
    """One pass over ``loader``; trains when an optimizer is given. Returns (loss, accuracy)."""
    training = optimizer is not None
    total_loss, correct, seen = 0.0, 0, 0
    bar = progress_bar(loader, desc, progress, total=len(loader))
    with torch.set_grad_enabled(training):
        for x, y in bar:
            x, y = _to_device(x, y, device, on_cuda)
            with torch.autocast(device.type, dtype=torch.float16, enabled=amp):
                logits = model(x)
                loss = loss_fn(logits, y)
            if training:
                optimizer.zero_grad(set_to_none=True)
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
            n = y.shape[0]
            total_loss += loss.item() * n
            correct += (logits.argmax(1) == y).sum().item()
            seen += n
            bar.set_postfix(loss=f"{total_loss / seen:.3f}", acc=f"{correct / seen:.3f}")
    bar.close()
    return total_loss / max(seen, 1), correct / max(seen, 1)


def evaluate(model: nn.Module, loader, *, device: str | None = None,
             loss_fn: nn.Module | None = None, progress: bool = False) -> dict:
    """``{"loss", "acc"}`` of ``model`` on ``loader`` in eval mode (the model stays in eval)."""
    with on_device(model, device, None) as (device, on_cuda, amp):
        model.eval()
        loss, acc = _run_epoch(model, loader, loss_fn or nn.CrossEntropyLoss(), device, on_cuda,
                               amp, desc="eval", progress=progress)
    return {"loss": loss, "acc": acc}


@torch.no_grad()
def predict(model: nn.Module, loader, *, device: str | None = None):
    """``(y_true, y_pred, probabilities)`` as NumPy arrays, in the loader's order."""
    ys, probs = [], []
    with on_device(model, device, None) as (device, on_cuda, amp):
        model.eval()
        for x, y in loader:
            x, _ = _to_device(x, y, device, on_cuda)
            with torch.autocast(device.type, dtype=torch.float16, enabled=amp):
                logits = model(x)
            probs.append(logits.float().softmax(1).cpu())
            ys.append(torch.as_tensor(y))
    p = torch.cat(probs).numpy()
    return torch.cat(ys).numpy(), p.argmax(1), p


def _state_dict_copy(model: nn.Module) -> dict:
    return {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}


def fit(model: nn.Module, train_loader, val_loader, optimizer: torch.optim.Optimizer, *,
        epochs: int, scheduler=None, loss_fn: nn.Module | None = None, device: str | None = None,
        checkpoint_dir: str | Path | None = None, resume: bool = False, amp: bool | None = None,
        restore_best: bool = True, seed: int | None = 0, progress: bool = True,
        verbose: bool = True) -> pd.DataFrame:
    """Train ``model`` for ``epochs`` epochs and return the history (one row per epoch).

    Columns: ``epoch, train_loss, train_acc, val_loss, val_acc, lr, seconds``. The best epoch
    (highest ``val_acc``, first one on ties) is tracked; with ``restore_best=True`` its weights
    are loaded back at the end, else the last epoch's weights stay (the message says which).
    ``history.attrs`` holds ``best_epoch`` and ``best_val_acc``.

    ``checkpoint_dir``: after every epoch ``last.pt`` (model, optimizer, scheduler, scaler,
    epoch, RNG states, history) is written atomically, and ``best.pt`` when the epoch is the
    best so far. ``resume=True`` continues from ``last.pt`` up to ``epochs`` in total, drawing
    the same random numbers as an uninterrupted run. ``scheduler.step()`` runs once per epoch.
    ``amp`` (mixed precision) and channels_last are used on CUDA only (``amp=None``: on CUDA).
    A checkpoint resumes on either device, whichever wrote it (CPU ↔ CUDA). The model and the
    optimizer's state are back on their original device when ``fit`` returns.
    """
    with on_device(model, device, amp, optimizer) as (device, on_cuda, amp):
        loss_fn = loss_fn or nn.CrossEntropyLoss()
        scaler = torch.amp.GradScaler(device.type, enabled=amp)
        ckpt = Path(checkpoint_dir) if checkpoint_dir is not None else None
        rows: list[dict] = []
        start, best_acc, best_epoch, best_state = 0, -1.0, 0, None

        if resume and ckpt is not None and (ckpt / LAST).is_file():
            state = load_checkpoint(ckpt / LAST)
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            if scheduler is not None and state.get("scheduler") is not None:
                scheduler.load_state_dict(state["scheduler"])
            load_scaler_state(scaler, state.get("scaler"))
            rows, start = state["history"], state["epoch"]
            best_acc, best_epoch = state["best_val_acc"], state["best_epoch"]
            if (ckpt / BEST).is_file():
                best_state = load_checkpoint(ckpt / BEST)["model"]
            set_rng_state(state["rng"])
            if verbose:
                print(f"Reanudado desde {LAST}: {start} época(s) hechas de {epochs}.")
        elif seed is not None:
            config.seed_everything(seed)

        for epoch in range(start + 1, epochs + 1):
            t0 = time.perf_counter()
            train_mode(model)  # model.train(); a BatchNorm frozen by hand stays in eval too
            train_loss, train_acc = _run_epoch(model, train_loader, loss_fn, device, on_cuda, amp,
                                               optimizer, scaler, f"época {epoch}/{epochs} train",
                                               progress)
            model.eval()
            val_loss, val_acc = _run_epoch(model, val_loader, loss_fn, device, on_cuda, amp,
                                           desc=f"época {epoch}/{epochs} val", progress=progress)
            lr = optimizer.param_groups[-1]["lr"]
            if scheduler is not None:
                scheduler.step()
            rows.append({"epoch": epoch, "train_loss": train_loss, "train_acc": train_acc,
                         "val_loss": val_loss, "val_acc": val_acc, "lr": lr,
                         "seconds": time.perf_counter() - t0})
            improved = val_acc > best_acc
            if improved:
                best_acc, best_epoch, best_state = val_acc, epoch, _state_dict_copy(model)
            if verbose:
                print(f"época {epoch}/{epochs}: train_loss={train_loss:.3f} train_acc={train_acc:.3f} "
                      f"val_loss={val_loss:.3f} val_acc={val_acc:.3f}" + ("  *" if improved else ""))
            if ckpt is not None:
                if improved:
                    save_checkpoint({"model": best_state, "epoch": epoch, "val_acc": val_acc}, ckpt / BEST)
                save_checkpoint({
                    "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict() if scheduler is not None else None,
                    "scaler": scaler.state_dict(), "epoch": epoch, "history": rows,
                    "best_val_acc": best_acc, "best_epoch": best_epoch, "rng": rng_state(),
                }, ckpt / LAST)

    history = pd.DataFrame(rows, columns=HISTORY_COLUMNS)
    history.attrs.update(best_epoch=best_epoch, best_val_acc=best_acc)
    if rows and restore_best and best_state is not None and best_epoch != rows[-1]["epoch"]:
        model.load_state_dict(best_state)
        if verbose:
            print(f"Restaurados los pesos de la mejor época ({best_epoch}, val_acc={best_acc:.3f}).")
    elif rows and verbose:
        last = rows[-1]["epoch"]
        note = "que es la mejor" if best_epoch == last else f"la mejor fue la {best_epoch}"
        print(f"Se quedan los pesos de la última época ({last}, {note}; val_acc={best_acc:.3f}).")
    return history
