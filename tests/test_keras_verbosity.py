"""quiet_tensorflow: TensorFlow loads without the C++ lines Jupyter shows as a pink block."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tlkit.keras import verbosity

pytest.importorskip("tensorflow")


def _stderr_of(code: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}  # as in a fresh kernel
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=300, check=True).stderr


def test_tensorflow_imports_without_its_start_up_logs():
    assert "oneDNN" in _stderr_of("import tensorflow")  # what a plain import prints here
    quiet = _stderr_of("from tlkit.keras import quiet_tensorflow\n"
                       "quiet_tensorflow()\nimport keras, tensorflow as tf\ntf.constant(1) + 1")
    assert quiet == ""


def test_only_start_up_noise_is_dropped(capfd):
    with verbosity._filtered_stderr_fd(verbosity._IMPORT_NOISE):
        os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called are "
                    b"written to STDERR\n"
                    b"I0000 00:00:1796448052.771251   10217 port.cc:153] oneDNN custom operations\n"
                    b"E0000 00:00:1796448052.771251   10217 loader.cc:1] a real error\n")
    err = capfd.readouterr().err
    assert err == "E0000 00:00:1796448052.771251   10217 loader.cc:1] a real error\n"


def test_keras_notes_reach_a_lesson_handler_but_not_stderr():
    code = ("import logging\nfrom tlkit.keras import quiet_tensorflow\nquiet_tensorflow()\n"
            "caught = []\nh = logging.Handler()\nh.emit = caught.append\n"
            "logging.getLogger('absl').addHandler(h)\n"
            "logging.getLogger('absl').warning('a legacy note')\nprint(len(caught))")
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=300, check=True)
    assert done.stdout.strip() == "1" and done.stderr == ""
