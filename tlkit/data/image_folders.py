"""Image-folder datasets: any ``root/<class>/*`` tree (or a zip/tar of one), checked and split.

:func:`image_folder` finds the classes, ignores junk (``.DS_Store``, ``__MACOSX/``,
``Thumbs.db``, hidden files), decodes every image once so broken files are reported by path
instead of crashing training later, and makes a stratified, seeded train/val/test split (or
uses the given ``train/``, ``val/``, ``test/`` folders). :func:`load_rgb` opens any of them as
an RGB PIL image.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tlkit import provenance
from tlkit.data.archive import extract_archive, is_archive
from tlkit.data.split import stratified_split

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
JUNK_NAMES = {"thumbs.db", "desktop.ini", "__macosx", "__pycache__", "icon\r"}
SPLIT_NAMES = {"train": "train", "training": "train", "val": "val", "valid": "val",
               "validation": "val", "test": "test", "testing": "test"}


class UnreadableImagesWarning(UserWarning):
    """Some files of an image folder could not be decoded and were left out."""


@dataclass
class ImageFolder:
    """An image-folder dataset: classes, ``(path, label)`` lists per split, and what was left
    out (``skipped``: unreadable or unsupported files with the reason; ``empty_classes``:
    class folders with no usable image, which get no label)."""

    root: Path
    classes: list[str]
    train: list[tuple[Path, int]]
    val: list[tuple[Path, int]]
    test: list[tuple[Path, int]]
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    empty_classes: list[str] = field(default_factory=list)
    source: provenance.Source | None = None
    layout: str = "classes"  # "classes" (split here) or "splits" (given train/val/test folders)

    def counts(self) -> dict[str, dict[str, int]]:
        """Images per class in each split: ``{"train": {"daisy": 32, ...}, ...}``."""
        out = {}
        for split in ("train", "val", "test"):
            labels = [label for _, label in getattr(self, split)]
            out[split] = {c: labels.count(i) for i, c in enumerate(self.classes)}
        return out

    @staticmethod
    def load_rgb(path: str | os.PathLike, size: int | tuple[int, int] | None = None):
        """The image at ``path`` as 8-bit RGB (see :func:`load_rgb`)."""
        return load_rgb(path, size)

    def __str__(self) -> str:
        text = (f"{self.root}: {len(self.classes)} classes ({', '.join(self.classes)}); "
                f"train={len(self.train)} val={len(self.val)} test={len(self.test)}")
        if self.skipped:
            text += f"; {len(self.skipped)} files skipped"
        if self.empty_classes:
            text += f"; empty classes: {', '.join(self.empty_classes)}"
        return text


def load_rgb(path: str | os.PathLike, size: int | tuple[int, int] | None = None):
    """Open an image as an 8-bit RGB PIL image, whatever its mode (grayscale, 16-bit, RGBA or
    palette with transparency over white, CMYK), turned by its EXIF orientation; ``size``
    (an int for a square, or ``(width, height)``) resizes it."""
    from PIL import Image, ImageOps

    with _strict_decoding(), Image.open(path) as im:
        im = ImageOps.exif_transpose(im)
        im = _to_rgb(im)
    if size is not None:
        size = (size, size) if isinstance(size, int) else tuple(size)
        im = im.resize(size, Image.Resampling.BILINEAR, reducing_gap=3.0)
    return im


def _to_rgb(im):
    from PIL import Image

    if im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(im, dtype=np.float64)
        top = 65535.0 if im.mode.startswith("I;16") or arr.max() > 255 else 255.0
        if im.mode == "F":
            lo, hi = float(arr.min()), float(arr.max())
            arr, top = arr - lo, max(hi - lo, 1e-12)
        im = Image.fromarray(np.clip(arr / top * 255 + 0.5, 0, 255).astype(np.uint8), "L")
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return im.convert("RGB") if im.mode != "RGB" else im.copy()


@contextlib.contextmanager
def _strict_decoding():
    """Truncated files must fail, even if a notebook set ``LOAD_TRUNCATED_IMAGES = True``."""
    from PIL import ImageFile

    before = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before


def check_image(path: str | os.PathLike) -> str | None:
    """None if ``path`` decodes completely as an image, else the reason it does not."""
    from PIL import Image

    try:
        with _strict_decoding():
            with Image.open(path) as im:
                im.verify()
            with Image.open(path) as im:
                if im.format == "JPEG":  # decode at reduced scale: all data read, less work
                    im.draft("RGB", (max(1, im.width // 8), max(1, im.height // 8)))
                im.load()
    except Exception as exc:  # noqa: BLE001 - any decoder error means "unreadable"
        return f"cannot be decoded as an image ({type(exc).__name__}: {exc})"
    return None


def is_junk(name: str) -> bool:
    """Files and folders no dataset means to include: hidden, macOS and Windows metadata."""
    return name.startswith(".") or name.lower() in JUNK_NAMES


def image_folder(path: str | os.PathLike, *, val: float = 0.2, test: float = 0.0,
                 seed: int = 0, max_per_class: int | None = None,
                 name: str | None = None) -> ImageFolder:
    """Describe the image dataset at ``path``: a ``root/<class>/*`` tree, a tree with
    ``train/`` and ``val/`` (or ``test/``) folders of classes, or a zip/tar of either
    (extracted safely into the kit's cache; a single wrapping folder is looked through).

    Without given splits, each class is split ``val``/``test`` by a seeded shuffle; with given
    ``train/`` and ``test/`` but no ``val/``, ``val`` is taken from train. ``max_per_class``
    keeps a seeded subset of that many files per class and split (fast profile). Unreadable
    files are skipped with a warning listing them.
    """
    folder = scan_folder(path, None, val=val, test=test, seed=seed,
                         max_per_class=max_per_class, name=name)
    if not folder.classes:
        loose = sum(1 for _, why in folder.skipped if why == "not inside a class folder")
        hint = (f" ({loose} image(s) lie directly in it: did you point at one class folder "
                "instead of its parent?)" if loose else "")
        raise ValueError(f"{path}: no class folders with readable images; expected "
                         f"root/<class>/<image> or root/train/<class>/<image>{hint}")
    provenance.record(folder.source)
    return folder


def scan_folder(path, source: provenance.Source | None, *, val: float, test: float, seed: int,
                max_per_class: int | None, name: str | None = None) -> ImageFolder:
    """The :class:`ImageFolder` at ``path`` (folder or archive) with ``source`` (by default
    ``data_dir``, named ``name`` or after the folder, detail the path given: an archive, not
    its extraction folder). Not recorded: the callers record what they return."""
    path = Path(path).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such folder or archive")
    given = path
    if path.is_file():
        if not is_archive(path):
            raise ValueError(f"{path}: not a folder nor a .zip/.tar archive of images")
        path = extract_archive(path)
    root = _unwrap(path)
    splits = _split_folders(root)
    skipped: list[tuple[Path, str]] = []
    if splits:
        files = {s: _class_files(d, skipped) for s, d in splits.items()}
        layout = "splits"
    else:
        files = {"all": _class_files(root, skipped)}
        layout = "classes"
    _root_level_images(root, skipped)

    names = sorted({c for per_split in files.values() for c in per_split})
    rng_key = 0
    for per_split in files.values():
        for cls, paths in per_split.items():
            if max_per_class and len(paths) > max_per_class:
                pick = np.random.default_rng([seed, rng_key]).choice(len(paths), max_per_class,
                                                                     replace=False)
                per_split[cls] = sorted(paths[i] for i in pick)
            rng_key += 1

    good: dict[str, dict[str, list[Path]]] = {}
    for split, per_split in files.items():
        good[split] = {}
        for cls, paths in per_split.items():
            ok = []
            for p in paths:
                reason = check_image(p)
                if reason:
                    skipped.append((p, reason))
                else:
                    ok.append(p)
            good[split][cls] = ok
    classes = [c for c in names if any(good[s].get(c) for s in good)]
    empty = [c for c in names if c not in classes]
    label = {c: i for i, c in enumerate(classes)}

    def items(split):
        return [(p, label[c]) for c in classes for p in good.get(split, {}).get(c, [])]

    if layout == "splits":
        train, val_items, test_items = items("train"), items("val"), items("test")
        if not val_items and val > 0 and train:
            train, val_items = _split_items(train, (val,), seed)
    else:
        train, val_items, test_items = _split_items(items("all"), (val, test), seed)

    _warn(given, skipped, empty)
    source = source or provenance.Source("data", name or root.name, "data_dir", str(given))
    return ImageFolder(root=root, classes=classes, train=train, val=val_items,
                       test=test_items, skipped=skipped, empty_classes=empty, source=source,
                       layout=layout)


def _split_items(items, fractions, seed):
    labels = [label for _, label in items]
    parts = stratified_split(labels, tuple(f for f in fractions), seed=seed) if items else \
        [np.array([], dtype=int)] * (len(fractions) + 1)
    out = [[items[i] for i in part] for part in parts]
    return out + [[] for _ in range(3 - len(out))]


def _entries(folder: Path) -> list[os.DirEntry]:
    with os.scandir(folder) as it:
        return sorted((e for e in it if not is_junk(e.name)), key=lambda e: e.name)


def _unwrap(root: Path) -> Path:
    """Look through single wrapping folders (``data.zip`` → ``data/`` → classes)."""
    while True:
        entries = _entries(root)
        dirs = [e for e in entries if e.is_dir()]
        images = [e for e in entries if e.is_file() and e.name.lower().endswith(IMAGE_EXTENSIONS)]
        if len(dirs) == 1 and not images and any(e.is_dir() for e in _entries(Path(dirs[0]))):
            if dirs[0].name.lower() in SPLIT_NAMES:
                return root
            root = Path(dirs[0].path)
        else:
            return root


def _split_folders(root: Path) -> dict[str, Path]:
    dirs = [e for e in _entries(root) if e.is_dir()]
    known = {SPLIT_NAMES.get(e.name.lower()): Path(e.path) for e in dirs}
    if "train" in known and all(e.name.lower() in SPLIT_NAMES for e in dirs):
        return {k: v for k, v in known.items() if k}
    return {}


def _class_files(folder: Path, skipped: list) -> dict[str, list[Path]]:
    """Files of each class folder (recursively), junk left out, other types reported."""
    out = {}
    for entry in _entries(folder):
        if not entry.is_dir():
            continue
        paths = []
        for dirpath, dirnames, filenames in os.walk(entry.path):
            dirnames[:] = sorted(d for d in dirnames if not is_junk(d))
            for fname in sorted(filenames):
                if is_junk(fname):
                    continue
                p = Path(dirpath) / fname
                if fname.lower().endswith(IMAGE_EXTENSIONS):
                    paths.append(p)
                else:
                    skipped.append((p, f"not a supported image type (use "
                                       f"{', '.join(IMAGE_EXTENSIONS)})"))
        out[entry.name] = paths
    return out


def _root_level_images(root: Path, skipped: list) -> None:
    for entry in _entries(root):
        if entry.is_file() and entry.name.lower().endswith(IMAGE_EXTENSIONS):
            skipped.append((Path(entry.path), "not inside a class folder"))


def _warn(given: Path, skipped, empty) -> None:
    if skipped:
        shown = "\n".join(f"  {p}: {why}" for p, why in skipped[:20])
        more = f"\n  … and {len(skipped) - 20} more" if len(skipped) > 20 else ""
        warnings.warn(f"{given}: {len(skipped)} files left out:\n{shown}{more}",
                      UnreadableImagesWarning, stacklevel=3)
    if empty:
        warnings.warn(f"{given}: classes with no usable image (they get no label): "
                      f"{', '.join(empty)}", UnreadableImagesWarning, stacklevel=3)


def folder_arrays(items, size: int | tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` from ``[(path, label), ...]``: uint8 RGB images resized to ``size``, int labels.

    Small course sets fit in memory; keep pixels in [0, 255] and let the model rescale them
    (lesson 01).
    """
    size = (size, size) if isinstance(size, int) else tuple(size)
    x = np.empty((len(items), size[1], size[0], 3), dtype="uint8")
    y = np.empty(len(items), dtype="int64")
    for i, (path, label) in enumerate(items):
        x[i] = np.asarray(load_rgb(path, size))
        y[i] = label
    return x, y
