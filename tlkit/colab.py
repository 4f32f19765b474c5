"""Colab conveniences: mount Google Drive, and keep downloads on it across sessions.

A Colab runtime forgets its disk when it is recycled, so every session would download EMNIST
(562 MB), tf_flowers and the ImageNet weights again. :func:`keep_downloads_on_drive` points
``TLKIT_HOME`` (and Keras' and torch's caches) at a folder of the student's Drive. Outside Colab
both functions do nothing and return None, so a lesson can call them unconditionally.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

MOUNTPOINT = Path("/content/drive")


def on_colab() -> bool:
    """True inside a Colab runtime."""
    return "google.colab" in sys.modules


def mount_drive(mountpoint: str | os.PathLike = MOUNTPOINT) -> Path | None:
    """Mount Google Drive (Colab asks the student to allow it); its ``MyDrive`` folder, or None
    outside Colab."""
    if not on_colab():
        return None
    from google.colab import drive

    drive.mount(str(mountpoint))
    return Path(mountpoint) / "MyDrive"


def keep_downloads_on_drive(folder: str = "tlkit", mountpoint: str | os.PathLike = MOUNTPOINT) -> Path | None:
    """Mount Drive and use ``MyDrive/<folder>`` as ``TLKIT_HOME`` (and for Keras' and torch's
    weights), so the next session finds the downloads there. Call it before importing Keras or
    torch (they read their cache folder at import). Returns the folder, or None outside Colab."""
    my_drive = mount_drive(mountpoint)
    if my_drive is None:
        return None
    home = my_drive / folder
    for name, path in (("TLKIT_HOME", home), ("KERAS_HOME", home / "keras"),
                       ("TORCH_HOME", home / "torch")):
        path.mkdir(parents=True, exist_ok=True)
        os.environ[name] = str(path)
    print(f"Las descargas de tlkit, Keras y PyTorch se guardan en tu Drive ({home}): "
          "en la próxima sesión no hará falta descargarlas otra vez.")
    return home
