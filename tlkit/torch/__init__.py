"""PyTorch helpers of the course (lesson 05): backbones + new head, freezing, the training
loop, checkpoints, the feature cache, transforms and an in-memory image dataset.

Importing this package imports torch and torchvision; ``import tlkit`` alone does not.
"""

from tlkit.torch.checkpoints import load_checkpoint, save_checkpoint
from tlkit.torch.datasets import ImageDataset, make_loader
from tlkit.torch.features import cached_features, extract_features, feature_loader
from tlkit.torch.freezing import (count_parameters, freeze, freeze_batchnorm, freeze_to,
                                  is_frozen_bn, layer_groups, param_groups, train_mode,
                                  trainable_parameters, unfreeze, unfreeze_batchnorm)
from tlkit.torch.models import Classifier, build_classifier, fetch_weights, weights_available
from tlkit.torch.train import evaluate, fit, predict
from tlkit.torch.transforms import denormalize, eval_transform, stored_size, train_transform

__all__ = [
    "Classifier", "ImageDataset", "build_classifier", "cached_features", "count_parameters",
    "denormalize", "eval_transform", "evaluate", "extract_features", "feature_loader", "fit", "freeze",
    "freeze_batchnorm", "freeze_to", "is_frozen_bn", "layer_groups", "load_checkpoint", "make_loader",
    "param_groups", "predict", "save_checkpoint", "stored_size", "train_mode",
    "train_transform", "trainable_parameters", "unfreeze", "unfreeze_batchnorm", "weights_available", "fetch_weights",
]
