"""Quieter TensorFlow/Keras output for lessons and tests (no effect on results)."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import tempfile
import warnings

# What TensorFlow's C++ part writes while it loads, before its log level applies: absl's banner
# and INFO lines such as "oneDNN custom operations are on" (glog format: I0000 00:00:... file:line]).
_IMPORT_NOISE = re.compile(r"^(WARNING: All log messages before absl::InitializeLog\(\) is called "
                           r"are written to STDERR|I\d{4} \d\d:\d\d:[\d.]+ +\d+ \S+:\d+\] .*)$")


def quiet_tensorflow(level: int = 2) -> None:
    """Import TensorFlow without its C++ start-up logs, and keep its later logs to errors.

    ``TF_CPP_MIN_LOG_LEVEL`` (kept when already set) applies only once TensorFlow's C++ logging
    is up; what it prints while loading (absl's banner, the oneDNN note) goes straight to the
    process' stderr, which Jupyter shows as a pink block. So TensorFlow is imported here with
    that stream captured, and only lines that are not this start-up noise are written back.
    Call it before ``import keras`` / ``import tensorflow``; the Python loggers are quieted too.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", str(level))
    if "tensorflow" not in sys.modules:
        with _filtered_stderr_fd(_IMPORT_NOISE):
            import tensorflow  # noqa: F401
    sys.modules["tensorflow"].get_logger().setLevel("ERROR")
    # Keras' notes through absl's logger ("compiled metrics have yet to be built", the legacy
    # .h5 format) stop at that logger: they reach a handler a lesson adds to read them (lesson
    # 02 reads the .h5 one), not stderr. The NullHandler keeps logging's last resort quiet.
    absl = logging.getLogger("absl")
    absl.propagate = False
    if not any(isinstance(h, logging.NullHandler) for h in absl.handlers):
        absl.addHandler(logging.NullHandler())
    # Keras 3.15 warns about its own default shuffle=True when fit() gets a tf.data.Dataset.
    warnings.filterwarnings("ignore", message=r"`shuffle=True` was passed, but will be ignored",
                            category=UserWarning)


@contextlib.contextmanager
def _filtered_stderr_fd(noise: re.Pattern):
    """Within the block, the process' file descriptor 2 goes to a file; afterwards the lines
    that ``noise`` does not match are written to ``sys.stderr`` (real errors stay visible)."""
    sys.stderr.flush()
    with tempfile.TemporaryFile(mode="w+b") as captured:
        saved = os.dup(2)
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            kept = [line for line in captured.read().decode(errors="replace").splitlines()
                    if line.strip() and not noise.match(line)]
            if kept:
                print("\n".join(kept), file=sys.stderr)


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
