"""tlkit.config reads the environment at call time and rejects values it cannot use."""

from __future__ import annotations

import random
import subprocess
import sys

import numpy as np
import pytest

from tlkit import config


def test_profile_defaults_to_full_and_reads_env(monkeypatch):
    monkeypatch.delenv("TLKIT_PROFILE", raising=False)
    assert config.profile() == "full"
    assert config.pick(fast=1, full=2) == 2
    monkeypatch.setenv("TLKIT_PROFILE", "FAST")
    assert config.profile() == "fast" and config.is_fast()
    assert config.pick(fast=1, full=2) == 1


def test_bad_profile_names_the_variable(monkeypatch):
    monkeypatch.setenv("TLKIT_PROFILE", "turbo")
    with pytest.raises(config.ConfigError, match="TLKIT_PROFILE"):
        config.profile()


@pytest.mark.parametrize("value, expected", [("1", True), ("true", True), ("0", False), ("", False)])
def test_offline_flag(monkeypatch, value, expected):
    monkeypatch.setenv("TLKIT_OFFLINE", value)
    assert config.offline() is expected


def test_paths_follow_env(monkeypatch, tmp_path):
    monkeypatch.setenv("TLKIT_HOME", str(tmp_path / "h"))
    monkeypatch.setenv("TLKIT_DATA_DIR", str(tmp_path / "d"))
    assert config.home() == tmp_path / "h"
    assert config.data_dir() == tmp_path / "d"
    monkeypatch.delenv("TLKIT_DATA_DIR")
    assert config.data_dir() is None


def test_device_auto_is_cpu_here_and_override_is_validated(monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.delenv("TLKIT_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    if expected == "cpu" and getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        expected = "mps"
    assert config.device() == expected
    monkeypatch.setenv("TLKIT_DEVICE", "cpu")
    assert config.device() == "cpu"
    monkeypatch.setenv("TLKIT_DEVICE", "tpu")
    with pytest.raises(config.ConfigError, match="TLKIT_DEVICE"):
        config.device()
    if not torch.cuda.is_available():
        monkeypatch.setenv("TLKIT_DEVICE", "cuda")
        with pytest.raises(config.ConfigError, match="no CUDA"):
            config.device()


def test_seed_everything_returns_seed_and_repeats_draws():
    torch = pytest.importorskip("torch")
    assert config.seed_everything(123) == 123
    first = (random.random(), np.random.rand(), torch.rand(1).item())
    config.seed_everything(123)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == first


def test_import_tlkit_loads_no_framework():
    code = ("import sys, tlkit, tlkit.config, tlkit.provenance, tlkit.viz, tlkit.cli, tlkit.runner; "
            "heavy = [m for m in ('torch', 'tensorflow', 'keras', 'matplotlib') if m in sys.modules]; "
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_pick_with_the_same_value_for_both_profiles_is_an_error():
    with pytest.raises(ValueError, match="both profiles get the same value"):
        config.pick(fast=None, full=None)
    with pytest.raises(ValueError, match="without pick"):
        config.pick(fast=32, full=32)
    assert config.pick(fast=None, full=12000) in (None, 12000)


@pytest.mark.parametrize("profile, gpu, hint", [("full", False, True), ("full", True, False),
                                                ("fast", False, False)])
def test_the_first_cell_says_how_to_switch_to_fast_when_full_finds_no_gpu(monkeypatch, profile, gpu, hint):
    monkeypatch.setenv("TLKIT_PROFILE", profile)
    monkeypatch.delenv("TLKIT_OFFLINE", raising=False)
    monkeypatch.setattr(config, "gpu_found", lambda: gpu)
    text = config.describe()
    assert text.startswith(f"Perfil «{profile}»")
    assert ("%env TLKIT_PROFILE=fast" in text) is hint
    assert "TLKIT_OFFLINE" not in text


def test_gpu_found_reads_no_framework_and_sees_apple_silicon(monkeypatch):
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    monkeypatch.setattr(config.Path, "exists", lambda self: False)
    monkeypatch.setattr(config.shutil, "which", lambda name: None)
    monkeypatch.setattr(config.sys, "platform", "linux")
    assert config.gpu_found() is False
    monkeypatch.setattr(config.sys, "platform", "darwin")
    monkeypatch.setattr(config.platform, "machine", lambda: "arm64")
    assert config.gpu_found() is True
    monkeypatch.setattr(config.shutil, "which", lambda name: "/usr/bin/nvidia-smi")
    monkeypatch.setattr(config.sys, "platform", "linux")
    assert config.gpu_found() is True


def test_kernel_env_fills_only_what_is_unset():
    environ = {"TF_CPP_MIN_LOG_LEVEL": "0"}  # a developer who wants every log keeps them
    config.set_kernel_env(environ)
    assert environ == {"TF_CPP_MIN_LOG_LEVEL": "0", "OMP_WAIT_POLICY": "PASSIVE"}


def test_torch_threads_wait_politely_in_a_fresh_kernel():
    """libgomp, loaded with torch, reads OMP_WAIT_POLICY set in the process before the import."""
    pytest.importorskip("torch")
    code = ("import os\nfrom tlkit import config\nconfig.set_kernel_env()\nimport torch\n"
            "print(os.environ['OMP_WAIT_POLICY'], torch.get_num_threads() >= 1)")
    env = {k: v for k, v in __import__("os").environ.items() if k != "OMP_WAIT_POLICY"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=300, check=True)
    assert done.stdout.split() == ["PASSIVE", "True"] and done.stderr == ""


def test_settings_without_device_shows_none_rather_than_a_guess(monkeypatch):
    """A lesson that does not import torch must not print ``dispositivo=cpu`` on a GPU machine."""
    from tlkit import config

    monkeypatch.setenv("TLKIT_DEVICE", "cpu")
    assert "dispositivo" not in str(config.settings(with_device=False))
    assert config.settings(with_device=False).device is None


def test_settings_with_device_shows_the_forced_device(monkeypatch):
    """``TLKIT_DEVICE`` reaches the printed settings (needs torch, which picks the device)."""
    pytest.importorskip("torch")
    from tlkit import config

    monkeypatch.setenv("TLKIT_DEVICE", "cpu")
    assert "dispositivo=cpu" in str(config.settings())
