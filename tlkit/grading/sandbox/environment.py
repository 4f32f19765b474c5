"""The clean environment of a sandboxed worker and its kernel (no secrets, offline, strict)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import tlkit
from tlkit.grading.layout import in_scratch

PASSTHROUGH = ("TLKIT_PROFILE", "TLKIT_DEVICE", "TLKIT_DATA_DIR", "TF_CPP_MIN_LOG_LEVEL",
               "MPLBACKEND", "CUDA_VISIBLE_DEVICES", "TZ")


def tlkit_package() -> Path:
    """The ``tlkit`` package folder (mounted read-only in the sandbox)."""
    return Path(tlkit.__file__).resolve().parent


def tlkit_root() -> Path:
    """The folder holding the ``tlkit`` package (put on the kernel's ``PYTHONPATH``)."""
    return tlkit_package().parent


def python_env() -> dict[str, str]:
    """``PYTHONPATH`` (tlkit's root) and a minimal ``PATH`` holding this Python."""
    return {"PYTHONPATH": str(tlkit_root()), "PATH": os.pathsep.join(
        [str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"])}


def sandbox_env(scratch: str, threads: int = 1) -> dict[str, str]:
    """A clean environment for the worker and the kernel (no secrets, offline, strict).

    ``scratch`` is the scratch folder as the worker sees it. ``threads`` is each kernel's share
    of the CPUs (``cpus // jobs``): TensorFlow and PyTorch otherwise start one thread per CPU in
    every kernel, and parallel jobs then fight over the cores. Caches (``TLKIT_HOME``,
    ``KERAS_HOME``, ``TORCH_HOME``) start empty in it, so a submission can neither read nor
    poison the instructor's; official dataset files are read from ``TLKIT_DATA_DIR`` (DESIGN §3).
    """
    work = in_scratch(scratch, "work")
    env = {k: os.environ[k] for k in PASSTHROUGH if k in os.environ}
    env.update(python_env())
    env.update({
        "TLKIT_HOME": f"{work}/.cache/tlkit", "KERAS_HOME": f"{work}/.keras",
        "TORCH_HOME": f"{work}/.cache/torch", "HOME": work, "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8", "PYTHONDONTWRITEBYTECODE": "1",
        "TLKIT_CHECK_STRICT": "1", "TLKIT_OFFLINE": "1",
        "MPLBACKEND": env.get("MPLBACKEND", "Agg"), "MPLCONFIGDIR": f"{work}/.mpl",
        "JUPYTER_PATH": in_scratch(scratch, "jupyter"),
        "JUPYTER_RUNTIME_DIR": in_scratch(scratch, "runtime"),
        "JUPYTER_CONFIG_DIR": in_scratch(scratch, "config"),
        "JUPYTER_DATA_DIR": in_scratch(scratch, "jupyter"),
        "JUPYTER_PLATFORM_DIRS": "1", "IPYTHONDIR": in_scratch(scratch, "ipython"),
        "OMP_NUM_THREADS": str(threads), "OPENBLAS_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads), "TF_NUM_INTRAOP_THREADS": str(threads),
        "PYDEVD_DISABLE_FILE_VALIDATION": "1", "MALLOC_ARENA_MAX": "2",
        "TF_CPP_MIN_LOG_LEVEL": env.get("TF_CPP_MIN_LOG_LEVEL", "1"),
    })
    return env


def kernel_threads(jobs: int) -> int:
    """Each of ``jobs`` parallel kernels' share of the CPUs this process may use (at least 1)."""
    return max(1, len(os.sched_getaffinity(0)) // max(1, jobs))
