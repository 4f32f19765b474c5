"""The embedded image default: an image-folder dataset made from real photos that pip installed.

Five classes, one real photo each, shipped inside the scikit-image and scikit-learn wheels:
``gato`` (skimage ``chelsea``), ``taza`` (skimage ``coffee``), ``cohete`` (skimage ``rocket``),
``flor`` (sklearn ``flower.jpg``), ``templo`` (sklearn ``china.jpg``). Every sample is a random
crop (60-100 % of the region's short side, aspect 3:4-4:3), maybe mirrored and slightly
rotated, with brightness/contrast/saturation jitter, resized to ``size`` px and saved as JPEG.

Each photo is cut into two disjoint regions: training crops come from one, validation crops
from the other, so validation never shows pixels seen in training. The set is deterministic
for a seed (same bytes) and cached under ``<TLKIT_HOME>/embedded``. It is easy for a frozen
ImageNet backbone (five very different scenes) and hard for a small network trained from
scratch on a few dozen images: the contrast the lessons show.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from tlkit import config, provenance

VERSION = 1
# class -> (loader, train box, val box); boxes are (left, top, right, bottom) fractions.
PHOTOS = {
    "gato": ("skimage:chelsea.png", (0.0, 0.0, 0.55, 1.0), (0.55, 0.0, 0.95, 1.0)),
    "taza": ("skimage:coffee.png", (0.1, 0.0, 0.45, 0.8), (0.45, 0.0, 0.8, 0.8)),
    "cohete": ("skimage:rocket.jpg", (0.3, 0.0, 0.7, 0.55), (0.3, 0.55, 0.7, 1.0)),
    "flor": ("sklearn:flower.jpg", (0.2, 0.05, 0.48, 0.85), (0.48, 0.05, 0.76, 0.95)),
    "templo": ("sklearn:china.jpg", (0.03, 0.05, 0.3, 0.9), (0.3, 0.05, 0.56, 0.9)),
}


def default_sizes() -> dict[str, int]:
    """Image size and images per class and split, by profile."""
    return config.pick(fast={"size": 128, "n_train": 48, "n_val": 16},
                       full={"size": 224, "n_train": 160, "n_val": 40})


def _photo(spec: str) -> np.ndarray:
    """One source photo as an RGB array, read from the file inside the installed wheel."""
    from PIL import Image

    package, name = spec.split(":")
    relative = {"skimage": ("data", name), "sklearn": ("datasets", "images", name)}
    found = importlib.util.find_spec(package)
    path = Path(found.submodule_search_locations[0], *relative[package]) if found else None
    if path is None or not path.is_file():
        raise FileNotFoundError(f"the photo {name} of {package} is missing ({path}); the "
                                f"embedded images need scikit-image and scikit-learn installed")
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def _sample(photo, box, size: int, rng: np.random.Generator):
    from PIL import Image, ImageEnhance

    h, w = photo.shape[:2]
    left, top, right, bottom = (int(round(f * d)) for f, d in zip(box, (w, h, w, h)))
    rw, rh = right - left, bottom - top
    side = rng.uniform(0.6, 1.0) * min(rw, rh)
    aspect = np.exp(rng.uniform(np.log(3 / 4), np.log(4 / 3)))
    cw = int(min(rw, max(8, side * np.sqrt(aspect))))
    ch = int(min(rh, max(8, side / np.sqrt(aspect))))
    x = left + int(rng.integers(0, rw - cw + 1))
    y = top + int(rng.integers(0, rh - ch + 1))
    img = Image.fromarray(photo[y:y + ch, x:x + cw])
    if rng.random() < 0.5:
        img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    angle = rng.uniform(-10, 10)
    img = img.rotate(angle, resample=Image.Resampling.BILINEAR, expand=False)
    # Cut the corners the rotation left black.
    margin = int(np.ceil(abs(np.sin(np.deg2rad(angle))) * max(cw, ch) / 2))
    if 2 * margin < min(cw, ch) - 8:
        img = img.crop((margin, margin, cw - margin, ch - margin))
    img = img.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=3.0)
    for enhancer, spread in ((ImageEnhance.Brightness, 0.25), (ImageEnhance.Contrast, 0.25),
                             (ImageEnhance.Color, 0.3)):
        img = enhancer(img).enhance(float(rng.uniform(1 - spread, 1 + spread)))
    return img


def write_embedded_images(target: Path, *, size: int, n_train: int, n_val: int,
                          seed: int = 0) -> Path:
    """Write the dataset as ``target/{train,val}/<class>/NNN.jpg`` (atomically)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        for k, (cls, (spec, train_box, val_box)) in enumerate(PHOTOS.items()):
            photo = _photo(spec)
            for split, box, n in (("train", train_box, n_train), ("val", val_box, n_val)):
                rng = np.random.default_rng([seed, k, 0 if split == "train" else 1])
                folder = tmp / split / cls
                folder.mkdir(parents=True)
                for i in range(n):
                    _sample(photo, box, size, rng).save(folder / f"{cls}_{i:03d}.jpg",
                                                       quality=90, optimize=False)
        (tmp / "README.txt").write_text(
            "Generated by tlkit.data.embedded_images(): random crops of one real photo per "
            "class from scikit-image / scikit-learn.\nTraining and validation crops come from "
            "disjoint regions of each photo.\n", encoding="utf-8")
        try:
            os.replace(tmp, target)
        except OSError:  # another process made it first
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def embedded_images(*, size: int | None = None, n_train: int | None = None,
                    n_val: int | None = None, seed: int = 0, announce: bool = True,
                    reason: str = ""):
    """The embedded image dataset as an :class:`~tlkit.data.image_folders.ImageFolder`
    (``train`` and ``val`` splits, 5 classes), written once into the cache; sizes default by
    profile. ``reason`` (Spanish) says in the banner why the course set is not used."""
    from tlkit.data.image_folders import scan_folder

    defaults = default_sizes()
    size = size or defaults["size"]
    n_train = n_train or defaults["n_train"]
    n_val = n_val or defaults["n_val"]
    target = (config.home() / "embedded" /
              f"photos-v{VERSION}-{size}px-{n_train}+{n_val}-seed{seed}")
    if not target.is_dir():
        write_embedded_images(target, size=size, n_train=n_train, n_val=n_val, seed=seed)
    classes = ", ".join(PHOTOS)
    if announce:
        provenance.announce(
            "Imágenes de ejemplo generadas por el kit (no son el conjunto del curso)",
            (f"No se encontró el conjunto del curso ({reason}). " if reason else "") +
            f"Se usan {len(PHOTOS)} clases ({classes}) hechas con UNA foto real por clase de "
            f"las que traen scikit-image y scikit-learn: cada imagen es un recorte aleatorio "
            f"(con volteo, giro y cambios de color) de {size}x{size} px; {n_train} de "
            f"entrenamiento y {n_val} de validación por clase, sacadas de zonas distintas de "
            f"cada foto. Sirve para practicar el método; las cifras no son comparables con "
            f"las del conjunto real.",
        )
    source = provenance.Source(
        "data", "embedded-photos", "embedded",
        f"{len(PHOTOS)} classes x ({n_train} train + {n_val} val) crops at {size}px of "
        f"scikit-image/scikit-learn photos, seed {seed}: {target}")
    folder = scan_folder(target, source, val=0.0, test=0.0, seed=seed, max_per_class=None)
    provenance.record(source)
    return folder
