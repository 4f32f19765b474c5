"""Run-time settings read from the environment: profile, offline flag, device, seeds, paths.

Every function reads the environment when called (never at import), so a notebook or a test
can change a variable and see the effect at once. See the README for the variables.
"""

from __future__ import annotations

import os
import platform
import random
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

PROFILES = ("fast", "full")
# What a kernel sets before it imports a framework, unless already set: the setup cell of every
# notebook writes these lines (with the Spanish reason), and the kernels the kit starts get them.
# - TF_CPP_MIN_LOG_LEVEL=2: TensorFlow's C++ logs, errors only (Jupyter shows them in pink).
# - OMP_WAIT_POLICY=PASSIVE: PyTorch's OpenMP threads sleep while they wait instead of spinning.
#   A spinning thread holds a core another thread of the same step needs; beside a CPU hog a
#   ResNet training step ran 19x slower, not in proportion to the load (README, "Sharing the
#   CPU"). libgomp reads it once, when torch is loaded.
KERNEL_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": ("2", "sin los registros de C++ de TensorFlow"),
    "OMP_WAIT_POLICY": ("PASSIVE", "PyTorch cede la CPU si otros programas la usan"),
}


def set_kernel_env(environ=None) -> None:
    """Give ``environ`` (default ``os.environ``) each :data:`KERNEL_ENV` value it lacks."""
    environ = os.environ if environ is None else environ
    for name, (value, _) in KERNEL_ENV.items():
        environ.setdefault(name, value)
DEVICES = ("cuda", "mps", "cpu")
T = TypeVar("T")


class ConfigError(ValueError):
    """An environment variable of tlkit holds a value it cannot use."""


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def profile() -> str:
    """The course profile: ``full`` (the real run, default) or ``fast`` (CI, quick checks)."""
    value = os.environ.get("TLKIT_PROFILE", "full").strip().lower() or "full"
    if value not in PROFILES:
        raise ConfigError(f"TLKIT_PROFILE={value!r}: use one of {', '.join(PROFILES)}")
    return value


def is_fast() -> bool:
    """True in the ``fast`` profile."""
    return profile() == "fast"


def pick(*, fast: T, full: T) -> T:
    """The value for the current profile, so lessons hold no scattered ``if`` blocks.

    The same value for both profiles is an error: a ``pick`` that changes nothing would tell a
    student the profile matters where it does not (write the value itself).
    """
    if fast is full or (type(fast) is type(full) and fast == full):
        raise ValueError(f"config.pick(fast={fast!r}, full={full!r}): both profiles get the same "
                         f"value; write {full!r} without pick")
    return fast if is_fast() else full


def progress() -> bool:
    """False when ``TLKIT_PROGRESS=0`` (set by ``tlkit lessons`` and the real-data runs): no
    progress bars, so executed handouts keep one line per epoch instead of bar fragments."""
    return os.environ.get("TLKIT_PROGRESS", "1").strip() != "0"


def offline() -> bool:
    """True when ``TLKIT_OFFLINE`` forbids any download (no connection is attempted)."""
    return _truthy(os.environ.get("TLKIT_OFFLINE"))


def home() -> Path:
    """The kit's cache folder: ``TLKIT_HOME``, else ``~/.cache/tlkit``."""
    value = os.environ.get("TLKIT_HOME")
    return Path(value).expanduser() if value else Path.home() / ".cache" / "tlkit"


def data_dir() -> Path | None:
    """The local folder of official dataset files named by ``TLKIT_DATA_DIR``, if any."""
    value = os.environ.get("TLKIT_DATA_DIR")
    return Path(value).expanduser() if value else None


def device() -> str:
    """The torch device to use: ``TLKIT_DEVICE`` if set, else CUDA, then Apple MPS, then CPU."""
    forced = os.environ.get("TLKIT_DEVICE", "").strip().lower()
    import torch

    if forced:
        kind = forced.split(":")[0]
        if kind not in DEVICES:
            raise ConfigError(f"TLKIT_DEVICE={forced!r}: use one of {', '.join(DEVICES)}")
        if kind == "cuda" and not torch.cuda.is_available():
            raise ConfigError("TLKIT_DEVICE=cuda, but torch sees no CUDA device here")
        if kind == "mps" and not _mps_available(torch):
            raise ConfigError("TLKIT_DEVICE=mps, but torch sees no Apple MPS device here")
        return forced
    if torch.cuda.is_available():
        return "cuda"
    if _mps_available(torch):
        return "mps"
    return "cpu"


def _mps_available(torch) -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend and backend.is_available())


def seed_everything(seed: int = 0) -> int:
    """Seed Python, NumPy, PyTorch, and TensorFlow/Keras if already imported; return the seed.

    Frameworks the notebook has not imported are left alone: importing TensorFlow just to seed
    it costs seconds and changes the torch/TF import order (see DESIGN §2 on triton).
    """
    import sys

    import numpy as np

    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)  # also seeds every CUDA device
    if "keras" in sys.modules:
        sys.modules["keras"].utils.set_random_seed(seed)
    elif "tensorflow" in sys.modules:
        sys.modules["tensorflow"].random.set_seed(seed)
    return seed


@dataclass(frozen=True)
class Settings:
    """A snapshot of the settings, printed at the top of every lesson."""

    profile: str
    offline: bool
    home: Path
    data_dir: Path | None
    device: str | None  # None: not read here (the lesson prints its framework's device)

    def __str__(self) -> str:
        data = str(self.data_dir) if self.data_dir else "(sin TLKIT_DATA_DIR)"
        shown = f"  dispositivo={self.device}" if self.device else ""
        return (
            f"perfil={self.profile}  offline={self.offline}{shown}\n"
            f"caché={self.home}  datos locales={data}"
        )


def settings(with_device: bool = True) -> Settings:
    """Read every setting now; ``with_device=False`` avoids importing torch and shows no device
    (never a guessed one: the lesson prints the device its framework uses once imported)."""
    return Settings(
        profile=profile(),
        offline=offline(),
        home=home(),
        data_dir=data_dir(),
        device=device() if with_device else None,
    )


def gpu_found() -> bool:
    """True when a GPU is there for the lessons: torch's device once torch is loaded, else
    without importing a framework (an NVIDIA driver, or Apple silicon's MPS)."""
    if "torch" in sys.modules:
        return device() != "cpu"
    return (Path("/proc/driver/nvidia/version").exists() or shutil.which("nvidia-smi") is not None
            or (sys.platform == "darwin" and platform.machine() == "arm64"))


FAST_INSTEAD = ("⚠️ No hay GPU: con este perfil la lección puede tardar "
                "horas en la CPU. Para una pasada rápida, ejecuta ahora en una celda nueva "
                "`%env TLKIT_PROFILE=fast` y sigue{colab}.")
FAST_INSTEAD_COLAB = (" (o pide una GPU: Entorno de ejecución → Cambiar tipo de entorno de "
                      "ejecución, y ejecuta de nuevo desde el principio)")


def describe() -> str:
    """What a lesson runs with, in Spanish, for its first cell (:func:`announce`)."""
    lines = [{"fast": "Perfil «fast»: pocos datos y pocas épocas, para comprobar rápido.",
              "full": "Perfil «full»: el curso completo."}[profile()]]
    if offline():
        lines.append("Sin descargas (TLKIT_OFFLINE=1): datos de la caché o de ejemplo, avisados.")
    if data_dir():
        lines.append(f"Datos locales: {data_dir()}")
    if profile() == "full" and not gpu_found():
        lines.append(FAST_INSTEAD.format(colab=FAST_INSTEAD_COLAB if "google.colab" in sys.modules else ""))
    return "\n".join(lines)


def announce() -> None:
    """Print :func:`describe` (the setup cell of every notebook calls it)."""
    print(describe())
