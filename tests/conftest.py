"""Shared fixtures: isolated caches for every test session, and the real-data folder."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tlkit import config as tlkit_config

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"

collect_ignore = ["fixtures"]


def pytest_configure(config):
    # Point every cache at a fresh folder so nothing leaks between runs (DESIGN §2); the
    # notebooks' kernels inherit this environment.
    base = Path(tempfile.mkdtemp(prefix="tlkit-test-"))
    config._tlkit_cache_base = base
    for var, sub in (("TLKIT_HOME", "tlkit"), ("KERAS_HOME", "keras"), ("TORCH_HOME", "torch"),
                     ("MPLCONFIGDIR", "mpl")):
        os.environ[var] = str(base / sub)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    tlkit_config.set_kernel_env()  # what the notebooks' setup cell sets (OMP threads that sleep ...)
    os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_unconfigure(config):
    base = getattr(config, "_tlkit_cache_base", None)
    if base is not None:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def shared_data() -> Path:
    """The real-data fixtures in ../shared/data; skips the test when they are absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real-data fixtures not found at {SHARED_DATA} (see shared/data/README.md)")
    return SHARED_DATA
