"""The training loop: resumable, atomic checkpoints, feature cache equals the full forward."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

from tlkit.torch import (cached_features, feature_loader, fit, freeze,  # noqa: E402
                         load_checkpoint, save_checkpoint)
from tlkit.torch import checkpoints as ckpt_module  # noqa: E402
from tlkit.torch.models import build_classifier  # noqa: E402


class Noisy(TensorDataset):
    """Random augmentation drawn from torch's global generator, like the real transforms."""

    def __getitem__(self, i):
        x, y = super().__getitem__(i)
        return x + 0.1 * torch.randn_like(x), y


def _data(n=64):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(n, 3, 16, 16, generator=g)
    y = (x[:, 0].mean((1, 2)) > 0).long()
    return Noisy(x, y), TensorDataset(x[:32], y[:32])


def _net():
    return nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                         nn.Flatten(), nn.Dropout(0.2), nn.Linear(8, 2))


def _run(tmp, epochs, resume=False, net=None):
    torch.manual_seed(123)  # same initial weights each time
    net = net or _net()
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    train, val = _data()
    return net, fit(net, DataLoader(train, 16, shuffle=True), DataLoader(val, 16), opt,
                    epochs=epochs, scheduler=sched, device="cpu", checkpoint_dir=tmp,
                    resume=resume, restore_best=False, progress=False, verbose=False, seed=7)


def test_resume_matches_an_uninterrupted_run(tmp_path):
    net_a, hist_a = _run(tmp_path / "a", 4)
    _run(tmp_path / "b", 2)  # "interrupted" after two epochs
    net_b, hist_b = _run(tmp_path / "b", 4, resume=True, net=_net())
    assert list(hist_b.epoch) == [1, 2, 3, 4]
    cols = ["train_loss", "train_acc", "val_loss", "val_acc", "lr"]
    assert hist_a[cols].equals(hist_b[cols])
    for (k, a), b in zip(net_a.state_dict().items(), net_b.state_dict().values()):
        assert torch.equal(a, b), k
    state = load_checkpoint(tmp_path / "b" / "last.pt")
    assert state["epoch"] == 4 and set(state) >= {"model", "optimizer", "scheduler", "rng"}


def test_best_weights_restored(tmp_path):
    torch.manual_seed(0)
    net = _net()
    opt = torch.optim.SGD(net.parameters(), lr=0.5)
    train, val = _data()
    hist = fit(net, DataLoader(train, 16, shuffle=True), DataLoader(val, 16), opt, epochs=3,
               device="cpu", checkpoint_dir=tmp_path, progress=False, verbose=False)
    best = load_checkpoint(tmp_path / "best.pt")
    assert best["epoch"] == hist.attrs["best_epoch"]
    assert hist.val_acc.max() == hist.attrs["best_val_acc"]
    for k, v in net.state_dict().items():
        assert torch.equal(v, best["model"][k])


def test_crash_while_saving_keeps_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "last.pt"
    save_checkpoint({"epoch": 1}, path)

    def broken_save(obj, fh):
        fh.write(b"half a checkpoint")
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(ckpt_module.torch, "save", broken_save)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint({"epoch": 2}, path)
    monkeypatch.undo()
    assert load_checkpoint(path)["epoch"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["last.pt"]  # no temporary file left


def test_feature_cache_head_gives_the_same_logits(tmp_path):
    torch.manual_seed(0)
    model = build_classifier("efficientnet_lite0", 3)
    freeze(model.backbone)
    x = torch.randn(6, 3, 64, 64)
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    loader = DataLoader(TensorDataset(x, y), batch_size=4)
    feats, labels = cached_features(model.backbone, loader, name="t", cache_dir=tmp_path,
                                    device="cpu", progress=False)
    again, _ = cached_features(model.backbone, loader, name="t", cache_dir=tmp_path,
                               device="cpu", progress=False)
    assert len(list(tmp_path.glob("t-*.pt"))) == 1 and torch.equal(feats, again)
    opt = torch.optim.Adam(model.head.parameters(), lr=1e-2)
    fit(model.head, feature_loader(feats, labels, 4, shuffle=True), feature_loader(feats, labels),
        opt, epochs=2, device="cpu", progress=False, verbose=False)
    model.eval()
    with torch.no_grad():
        torch.testing.assert_close(model.head(feats), model(x), rtol=1e-4, atol=1e-4)
        assert torch.equal(labels, y)
