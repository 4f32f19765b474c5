"""Quieter TensorFlow/Keras output for lessons and tests (no effect on results)."""

from __future__ import annotations

import contextlib
import os


def quiet_tensorflow(level: int = 1) -> None:
    """Hide TensorFlow's C++ INFO lines and Python INFO/WARNING logs.

    Set before TensorFlow is imported for the C++ part (``TF_CPP_MIN_LOG_LEVEL``); the Python
    logger is quieted at once if TensorFlow is already loaded.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", str(level))
    import sys

    if "tensorflow" in sys.modules:
        sys.modules["tensorflow"].get_logger().setLevel("ERROR")


@contextlib.contextmanager
def no_progress_bars():
    """Within the block, Keras prints no progress bars (e.g. around ``predict``)."""
    import keras

    was = keras.config.is_interactive_logging_enabled()
    keras.config.disable_interactive_logging()
    try:
        yield
    finally:
        if was:
            keras.config.enable_interactive_logging()


def device() -> str:
    """The device TensorFlow runs Keras on here: ``GPU:0`` (the first visible GPU) or ``CPU``."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return "GPU:0" if gpus else "CPU"
