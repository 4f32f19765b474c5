"""Keras helpers of tlkit: what trains (summaries), freezing, pretrained bases, EfficientNet-Lite0.

Importing this package loads neither Keras nor TensorFlow; each function imports Keras when
called. Lessons 01 and 02 show every step by hand before using these helpers.
"""

from tlkit.data.image_folders import folder_arrays
from tlkit.keras.bases import PretrainedBase, pretrained_base
from tlkit.keras.efficientnet_lite import (
    PretrainedWeightsUnavailable,
    efficientnet_lite0,
    preprocess_input,
    rescaling_layer,
)
from tlkit.keras.freezing import batchnorm_layers, freeze, unfreeze, unfreeze_except_batchnorm
from tlkit.keras.summary import count_params, trainable_summary
from tlkit.keras.verbosity import device, no_progress_bars, quiet_tensorflow

__all__ = [
    "PretrainedBase",
    "PretrainedWeightsUnavailable",
    "batchnorm_layers",
    "count_params",
    "device",
    "efficientnet_lite0",
    "folder_arrays",
    "freeze",
    "no_progress_bars",
    "preprocess_input",
    "pretrained_base",
    "quiet_tensorflow",
    "rescaling_layer",
    "trainable_summary",
    "unfreeze",
    "unfreeze_except_batchnorm",
]
