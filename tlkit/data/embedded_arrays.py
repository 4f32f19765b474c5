"""Embedded array defaults (DESIGN §3, step 4): data the kit makes from what pip installed.

* :func:`digits_as_mnist`: scikit-learn's real UCI handwritten digits (1,797 images, 8x8)
  brought to MNIST's format: 28x28 uint8, the digit fitted into a 20x20 box and centred by
  its centre of mass, like LeCun's preprocessing.
* :func:`render_characters`: EMNIST-like characters the kit draws with the TrueType fonts
  matplotlib ships (DejaVu, STIX), with random stroke width, rotation, shear and scale.

Both are deterministic for a seed. The loaders announce them with a banner: they are not the
real course data.
"""

from __future__ import annotations

import gzip
import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np

from tlkit.data.split import stratified_split

DIGITS_TEST_SIZE = 297  # 1,797 = 1,500 train + 297 test, about MNIST's 6:1 ratio

# Lower-case letters EMNIST merges into the upper-case class in the balanced/bymerge splits.
MERGED_LOWER = "cijklmopsuvwxyz"

_FONT_FILES = (
    "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf",
    "DejaVuSans-BoldOblique.ttf", "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf",
    "DejaVuSerif-Italic.ttf", "DejaVuSerif-BoldItalic.ttf", "DejaVuSansMono.ttf",
    "DejaVuSansMono-Bold.ttf", "DejaVuSansMono-Oblique.ttf", "STIXGeneral.ttf",
    "STIXGeneralItalic.ttf", "STIXGeneralBol.ttf", "STIXGeneralBolIta.ttf",
)
_CANVAS = 64  # glyphs are drawn large, transformed, then reduced to 20x20 like MNIST


def to_mnist_format(images: np.ndarray, *, box: int = 20, size: int = 28) -> np.ndarray:
    """Scale float images (N, h, w) to 0..255, fit them in a ``box`` and centre them by
    their centre of mass in a ``size`` x ``size`` uint8 canvas (MNIST's preprocessing)."""
    from PIL import Image

    images = np.asarray(images, dtype=np.float32)
    out = np.zeros((len(images), size, size), dtype=np.uint8)
    for i, img in enumerate(images):
        peak = max(float(img.max()), 1e-6)
        big = Image.fromarray(img / peak, mode="F").resize((box, box), Image.Resampling.BICUBIC)
        scaled = np.clip(np.asarray(big) * 255 + 0.5, 0, 255).astype(np.uint8)
        out[i] = _centre_by_mass(scaled, size)
    return out


def _centre_by_mass(img: np.ndarray, size: int) -> np.ndarray:
    """Paste ``img`` into a ``size`` x ``size`` canvas with its centre of mass in the middle."""
    canvas = np.zeros((size, size), dtype=np.uint8)
    h, w = img.shape
    rows = img.sum(axis=1, dtype=np.float64)
    total = rows.sum()
    if total == 0:
        cy, cx = (h - 1) / 2, (w - 1) / 2
    else:
        cy = (rows * np.arange(h)).sum() / total
        cx = (img.sum(axis=0, dtype=np.float64) * np.arange(w)).sum() / total
    top = min(max(int(round((size - 1) / 2 - cy)), 0), size - h)
    left = min(max(int(round((size - 1) / 2 - cx)), 0), size - w)
    canvas[top:top + h, left:left + w] = img
    return canvas


def uci_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's UCI digits: images (1797, 8, 8) valued 0..16 and labels.

    Read straight from the CSV inside the scikit-learn wheel (importing ``sklearn.datasets``
    costs seconds); falls back to ``load_digits`` if the file moved.
    """
    spec = importlib.util.find_spec("sklearn")
    folder = Path(spec.submodule_search_locations[0]) if spec else None
    path = folder / "datasets" / "data" / "digits.csv.gz" if folder else None
    if path is not None and path.is_file():
        with gzip.open(path, "rt") as fh:
            data = np.loadtxt(fh, delimiter=",", dtype=np.float32)
        return data[:, :-1].reshape(-1, 8, 8), data[:, -1].astype(np.uint8)
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.images.astype(np.float32), digits.target.astype(np.uint8)


@lru_cache(maxsize=1)
def _digits_28() -> tuple[np.ndarray, np.ndarray]:
    images, labels = uci_digits()
    x, y = to_mnist_format(images), labels
    x.flags.writeable = y.flags.writeable = False  # cached: callers get copies by indexing
    return x, y


def digits_as_mnist(seed: int = 0):
    """scikit-learn's UCI digits as MNIST-like arrays: ``(x_train, y_train), (x_test, y_test)``
    with 1,500 / 297 images (stratified, seeded split), uint8 (N, 28, 28), labels 0-9."""
    x, y = _digits_28()
    train, test = stratified_split(y, (DIGITS_TEST_SIZE / len(y),), seed=seed)
    return (x[train], y[train]), (x[test], y[test])


# --- rendered characters -------------------------------------------------------------------

def font_paths() -> list[Path]:
    """The TrueType fonts shipped with matplotlib that the renderer uses."""
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    paths = [folder / name for name in _FONT_FILES if (folder / name).is_file()]
    if not paths:
        raise FileNotFoundError(f"no TrueType fonts found in {folder} (matplotlib's fonts)")
    return paths


@lru_cache(maxsize=4096)
def _glyph(font_path: str, char: str, stroke: int) -> "object":
    """A white-on-black glyph drawn large in the middle of the canvas (cached)."""
    from PIL import Image, ImageDraw

    font = _font(font_path)
    img = Image.new("L", (_CANVAS, _CANVAS), 0)
    ImageDraw.Draw(img).text((_CANVAS / 2, _CANVAS / 2), char, fill=255, font=font,
                             anchor="mm", stroke_width=stroke, stroke_fill=255)
    return img


@lru_cache(maxsize=32)
def _font(font_path: str):
    from PIL import ImageFont

    return ImageFont.truetype(font_path, size=_CANVAS // 2)


def _render_one(char: str, font: str, rng: np.random.Generator) -> np.ndarray:
    from PIL import Image

    glyph = _glyph(font, char, int(rng.integers(0, 3)))  # thicker strokes fill bold fonts in
    angle = np.deg2rad(rng.uniform(-12, 12))
    shear = rng.uniform(-0.3, 0.3)
    sx, sy = rng.uniform(0.8, 1.2), rng.uniform(0.85, 1.15)
    # Inverse affine map (output -> input pixel), centred on the canvas.
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    fwd = rot @ np.array([[1, shear], [0, 1]]) @ np.diag([sx, sy])
    inv = np.linalg.inv(fwd)
    c = np.array([_CANVAS / 2, _CANVAS / 2])
    offset = c - inv @ c
    data = (inv[0, 0], inv[0, 1], offset[0], inv[1, 0], inv[1, 1], offset[1])
    warped = glyph.transform(glyph.size, Image.AFFINE, data, resample=Image.BILINEAR)
    bbox = warped.getbbox()
    if bbox is None:
        return np.zeros((28, 28), np.uint8)
    crop = warped.crop(bbox)
    w, h = crop.size
    scale = 20 / max(w, h)
    crop = crop.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.LANCZOS)
    return _centre_by_mass(np.asarray(crop, dtype=np.uint8), 28)


def render_characters(classes, n_per_class: int, seed: int = 0, *,
                      merged_lower: str = "", first_label: int = 0):
    """Draw ``n_per_class`` images of every class (uint8 (N, 28, 28), upright) and labels.

    ``classes`` are characters in label order; for an upper-case class whose lower case is in
    ``merged_lower`` (EMNIST's merged classes), half the samples are drawn in lower case.
    Fonts, stroke width, rotation, shear and scale are drawn from ``seed``.
    """
    fonts = [str(p) for p in font_paths()]
    rng = np.random.default_rng(seed)
    images = np.empty((len(classes) * n_per_class, 28, 28), dtype=np.uint8)
    labels = np.empty(len(classes) * n_per_class, dtype=np.uint8)
    i = 0
    for label, char in enumerate(classes, start=first_label):
        lower = char.lower() if char.lower() in merged_lower else None
        for _ in range(n_per_class):
            drawn = lower if lower and rng.random() < 0.5 else char
            images[i] = _render_one(drawn, fonts[int(rng.integers(len(fonts)))], rng)
            labels[i] = label
            i += 1
    order = rng.permutation(len(labels))
    return images[order], labels[order]
