"""The training loop: resumable, atomic checkpoints, feature cache equals the full forward."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

from tlkit.torch import (cached_features, feature_loader, fit, freeze,  # noqa: E402
                         load_checkpoint, save_checkpoint)
from tlkit.torch import checkpoints as ckpt_module  # noqa: E402
from tlkit.torch.checkpoints import load_scaler_state  # noqa: E402
from tlkit.torch.models import build_classifier  # noqa: E402

# Every loop, feature-cache and checkpoint test runs on each device present: the CPU always,
# CUDA when torch sees a GPU (the GPU CI job lists the [cuda] ones it ran).
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
on_each_device = pytest.mark.parametrize("device", DEVICES)


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


def _run(tmp, epochs, resume=False, net=None, device="cpu"):
    torch.manual_seed(123)  # same initial weights each time
    net = net or _net()
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    train, val = _data()
    return net, fit(net, DataLoader(train, 16, shuffle=True), DataLoader(val, 16), opt,
                    epochs=epochs, scheduler=sched, device=device, checkpoint_dir=tmp,
                    resume=resume, restore_best=False, progress=False, verbose=False, seed=7)


@on_each_device
def test_resume_matches_an_uninterrupted_run(tmp_path, device):
    net_a, hist_a = _run(tmp_path / "a", 4, device=device)
    _run(tmp_path / "b", 2, device=device)  # "interrupted" after two epochs
    net_b, hist_b = _run(tmp_path / "b", 4, resume=True, net=_net(), device=device)
    assert list(hist_b.epoch) == [1, 2, 3, 4]
    cols = ["train_loss", "train_acc", "val_loss", "val_acc", "lr"]
    assert hist_a[cols].equals(hist_b[cols])
    for (k, a), b in zip(net_a.state_dict().items(), net_b.state_dict().values()):
        assert torch.equal(a, b), k
    state = load_checkpoint(tmp_path / "b" / "last.pt")
    assert state["epoch"] == 4 and set(state) >= {"model", "optimizer", "scheduler", "rng"}


@on_each_device
def test_best_weights_restored(tmp_path, device):
    torch.manual_seed(0)
    net = _net()
    opt = torch.optim.SGD(net.parameters(), lr=0.5)
    train, val = _data()
    hist = fit(net, DataLoader(train, 16, shuffle=True), DataLoader(val, 16), opt, epochs=3,
               device=device, checkpoint_dir=tmp_path, progress=False, verbose=False)
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


@on_each_device
def test_feature_cache_head_gives_the_same_logits(tmp_path, device):
    torch.manual_seed(0)
    model = build_classifier("efficientnet_lite0", 3)
    freeze(model.backbone)
    x = torch.randn(6, 3, 64, 64)
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    loader = DataLoader(TensorDataset(x, y), batch_size=4)
    feats, labels = cached_features(model.backbone, loader, name="t", cache_dir=tmp_path,
                                    device=device, progress=False)
    again, _ = cached_features(model.backbone, loader, name="t", cache_dir=tmp_path,
                               device=device, progress=False)
    assert feats.device.type == "cpu" and _where(model) == "cpu", "the backbone came back"
    assert len(list(tmp_path.glob("t-*.pt"))) == 1 and torch.equal(feats, again)
    opt = torch.optim.Adam(model.head.parameters(), lr=1e-2)
    fit(model.head, feature_loader(feats, labels, 4, shuffle=True), feature_loader(feats, labels),
        opt, epochs=2, device=device, progress=False, verbose=False)
    model.eval()
    tol = 1e-4 if device == "cpu" else 2e-2  # CUDA extracts under float16 autocast
    with torch.no_grad():
        torch.testing.assert_close(model.head(feats), model(x), rtol=tol, atol=tol)
        assert torch.equal(labels, y)


def _where(module) -> str:
    return next(module.parameters()).device.type


@on_each_device
def test_helpers_put_the_model_and_optimizer_state_back(device):
    """Code after fit/predict/evaluate (e.g. exercise 03's locked cells) finds the model where
    it left it, with CPU tensors cloned before the call still comparable."""
    from tlkit.torch import evaluate, predict

    torch.manual_seed(0)
    net = _net()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    train, val = _data()
    fit(net, DataLoader(train, 16), DataLoader(val, 16), opt, epochs=1, device=device,
        progress=False, verbose=False)
    assert _where(net) == "cpu"
    assert all(v.device.type == "cpu" for s in opt.state.values() for v in s.values())
    assert any(not torch.equal(before[k], v) for k, v in net.state_dict().items())  # it trained
    y, pred, _ = predict(net, DataLoader(val, 16), device=device)
    assert _where(net) == "cpu" and len(pred) == len(y) == 32
    assert 0 <= evaluate(net, DataLoader(val, 16), device=device)["acc"] <= 1
    assert _where(net) == "cpu"
    x = val.tensors[0][:4]
    net.eval()
    with torch.no_grad():
        net(x)  # CPU batch, CPU model: what the exercise's precision() cell does
    fit(net, DataLoader(train, 16), DataLoader(val, 16), opt, epochs=1, device=device,
        progress=False, verbose=False)  # the same optimizer again: its state follows the model


def test_scaler_state_crosses_devices():
    """A CPU checkpoint holds a disabled scaler's empty state; CUDA's enabled scaler must start
    fresh instead of failing (an enabled CPU scaler stands in for CUDA's here)."""
    enabled = torch.amp.GradScaler("cpu", enabled=True, init_scale=2.0 ** 10)
    with pytest.raises(RuntimeError, match="empty"):
        enabled.load_state_dict({})  # what fit did before
    load_scaler_state(enabled, {})
    assert enabled.get_scale() == 2.0 ** 10
    cuda_state = {"scale": 512.0, "growth_factor": 2.0, "backoff_factor": 0.5,
                  "growth_interval": 2000, "_growth_tracker": 3}
    load_scaler_state(enabled, cuda_state)
    assert enabled.get_scale() == 512.0
    disabled = torch.amp.GradScaler("cpu", enabled=False)
    load_scaler_state(disabled, cuda_state)  # a CUDA checkpoint resumed on the CPU
    assert disabled.state_dict() == {}


def test_a_checkpoint_written_on_cuda_resumes_on_the_cpu(tmp_path):
    """A last.pt as a CUDA run writes it (scaler state, CUDA RNG states) resumes on the CPU."""
    net_a, hist_a = _run(tmp_path / "a", 3)
    _run(tmp_path / "b", 2)
    path = tmp_path / "b" / "last.pt"
    state = load_checkpoint(path)
    state["scaler"] = {"scale": 65536.0, "growth_factor": 2.0, "backoff_factor": 0.5,
                       "growth_interval": 2000, "_growth_tracker": 7}
    state["rng"]["cuda"] = [torch.zeros(16, dtype=torch.uint8)]
    save_checkpoint(state, path)
    net_b, hist_b = _run(tmp_path / "b", 3, resume=True, net=_net())
    cols = ["train_loss", "train_acc", "val_loss", "val_acc"]
    assert hist_a[cols].equals(hist_b[cols])


@pytest.mark.parametrize("enabled", [False, True])
def test_progress_bar_draws_no_extra_random_numbers(enabled):
    """The bar must not open an extra DataLoader iterator (tqdm.auto's asyncio class does): the
    same seed then gives fit() and a plain loop the same batches (lesson 04 relies on it)."""
    from torch.utils.data import DataLoader, TensorDataset

    from tlkit.torch.train import progress_bar

    loader = DataLoader(TensorDataset(torch.arange(10.0)), batch_size=2, shuffle=True)
    torch.manual_seed(0)
    plain = [b[0].tolist() for b in loader], torch.rand(1).item()
    torch.manual_seed(0)
    barred = [b[0].tolist() for b in progress_bar(loader, "x", enabled)], torch.rand(1).item()
    assert barred == plain


def _frozen_linear():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(3 * 16 * 16, 5))
    freeze(net)
    return net


def test_feature_cache_keeps_a_file_without_a_name_and_reads_it(tmp_path, monkeypatch):
    from tlkit.torch import features as features_module

    monkeypatch.setenv("TLKIT_HOME", str(tmp_path / "home"))
    _, val = _data()
    loader = DataLoader(val, batch_size=8)
    net = _frozen_linear()
    feats, labels = cached_features(net, loader, progress=False)
    files = list((tmp_path / "home" / "features").glob("*.pt"))
    assert [f.stem for f in files] == [features_module.fingerprint(net, loader)]

    def no_extraction(*args, **kwargs):
        raise AssertionError("computed again instead of read from the file")

    real = features_module.extract_features
    monkeypatch.setattr(features_module, "extract_features", no_extraction)
    again, again_labels = cached_features(net, loader, progress=False)
    assert torch.equal(again, feats) and torch.equal(again_labels, labels)
    monkeypatch.setattr(features_module, "extract_features", real)
    cached_features(net, loader, name="val", progress=False)  # the name is only a prefix
    assert len(list((tmp_path / "home" / "features").glob("val-*.pt"))) == 1


def test_feature_fingerprint_sees_the_data_the_weights_and_augmentation():
    from tlkit.torch.features import fingerprint
    from tlkit.torch.transforms import train_transform

    train, val = _data()
    net = _frozen_linear()
    key = fingerprint(net, DataLoader(val))
    other = TensorDataset(val.tensors[0] + 1, val.tensors[1])  # same length, other pixels
    assert fingerprint(net, DataLoader(other)) not in (None, key)
    with torch.no_grad():
        net[1].bias += 1
    assert fingerprint(net, DataLoader(val)) != key
    assert fingerprint(net, DataLoader(train)) is None, "a TensorDataset subclass is unknown"
    val.transform = train_transform(16)
    assert fingerprint(net, DataLoader(val)) is None, "random augmentation is never cached"


def test_only_transforms_known_to_be_deterministic_are_cached():
    """Augmentations without "Random" in their name (ColorJitter, GaussianBlur), a Lambda or a
    class of one's own count as random; the kit's eval transform and plain resizing do not."""
    from torchvision.transforms import v2

    from tlkit.torch import eval_transform
    from tlkit.torch.features import deterministic

    for transform in (None, eval_transform(32), v2.Compose([v2.Resize(8), v2.CenterCrop(8)]),
                      v2.Normalize([0.5], [0.5])):
        assert deterministic(transform), transform
    for transform in (v2.ColorJitter(0.4), v2.GaussianBlur(3), v2.Compose([v2.Resize(8),
                      v2.RandomApply([v2.Grayscale()])]), v2.Lambda(lambda x: x), str.lower,
                      v2.Compose([eval_transform(32), v2.ColorJitter(0.2)])):
        assert not deterministic(transform), transform
    _, val = _data()
    val.transform = v2.ColorJitter(brightness=0.5)
    assert fingerprint_of(val) is None, "ColorJitter changes every pass: never cached"


def fingerprint_of(dataset):
    from tlkit.torch.features import fingerprint

    return fingerprint(_frozen_linear(), DataLoader(dataset))


def test_feature_fingerprint_sees_a_photo_replaced_under_the_same_path(tmp_path):
    from PIL import Image

    from tlkit.torch import ImageDataset, eval_transform
    from tlkit.torch.features import fingerprint

    paths = []
    for i, colour in enumerate(("red", "blue")):
        paths.append(tmp_path / f"{i}.png")
        Image.new("RGB", (20, 20), colour).save(paths[-1])
    net = nn.Sequential(nn.Flatten(), nn.LazyLinear(2))
    net(torch.zeros(1, 3, 16, 16))
    dataset = ImageDataset([(p, k) for k, p in enumerate(paths)], 16, eval_transform(16))
    key = fingerprint(net, DataLoader(dataset))
    assert key == fingerprint(net, DataLoader(dataset))
    Image.new("RGB", (24, 24), "green").save(paths[0])  # new bytes, same path
    assert fingerprint(net, DataLoader(dataset)) != key


def test_feature_cache_survives_an_unwritable_folder_and_a_corrupt_file(tmp_path):
    _, val = _data()
    loader = DataLoader(val, batch_size=8)
    net = _frozen_linear()
    expected, _ = cached_features(net, loader, cache_dir=tmp_path / "ok", progress=False)
    (tmp_path / "a-file").write_text("in the way")
    with pytest.warns(UserWarning, match="could not keep the features"):
        feats, _ = cached_features(net, loader, cache_dir=tmp_path / "a-file" / "features",
                                   progress=False)
    assert torch.equal(feats, expected)
    [cached] = (tmp_path / "ok").glob("*.pt")
    cached.write_bytes(cached.read_bytes()[:50])
    with pytest.warns(UserWarning, match="not a readable feature cache"):
        feats, _ = cached_features(net, loader, cache_dir=tmp_path / "ok", progress=False)
    assert torch.equal(feats, expected) and load_checkpoint(cached)["features"].shape == (32, 5)
