"""EMNIST, resolved offline-first (DESIGN §3), with upright images and explicit labels.

EMNIST stores every image transposed relative to MNIST; :func:`load_emnist` returns them
upright (``img.T``). The ``letters`` split numbers its classes 1..26 (1 = 'A', no class 0):
official labels are kept by default, ``zero_based=True`` gives 0..25 for a 26-way softmax.
The rendered stand-in is drawn once per split, size and seed and kept in
``<TLKIT_HOME>/embedded`` (a versioned ``.npz``; an unreadable one is rebuilt, with a warning).
"""

from __future__ import annotations

import gzip
import string
import warnings
import zipfile
from pathlib import Path

import numpy as np

from tlkit import config, provenance
from tlkit.data import download, sources
from tlkit.files import atomic_path
from tlkit.data.arrays import Arrays
from tlkit.data.idx import IMAGES_MAGIC, LABELS_MAGIC, parse_idx, read_idx

_BALANCED = list(string.digits + string.ascii_uppercase + "abdefghnqrt")
SPLITS: dict[str, list[str]] = {
    "balanced": _BALANCED,
    "bymerge": _BALANCED,
    "byclass": list(string.digits + string.ascii_uppercase + string.ascii_lowercase),
    "digits": list(string.digits),
    "mnist": list(string.digits),
    "letters": list(string.ascii_uppercase),
}
# Lower-case letters that EMNIST files under the upper-case class (balanced, bymerge).
MERGED_LOWER = "cijklmopsuvwxyz"
RENDERED_VERSION = 1  # bump when the renderer's output changes: old cache files are then unused


official_name = sources.emnist_file


def first_label(split: str) -> int:
    """The smallest official label of a split: 1 for ``letters`` (1 = 'A'), else 0."""
    return 1 if split == "letters" else 0


def default_mapping(split: str) -> dict[int, str]:
    """Official label → character of a split (as in ``emnist-<split>-mapping.txt``)."""
    _check_split(split)
    return dict(enumerate(SPLITS[split], start=first_label(split)))


def read_mapping(path: str | Path) -> dict[int, str]:
    """Read an ``emnist-<split>-mapping.txt`` file: label → character (see :func:`parse_mapping`)."""
    return parse_mapping(Path(path).read_text(encoding="ascii"), name=str(path))


def parse_mapping(text: str, *, name: str = "mapping") -> dict[int, str]:
    """Parse EMNIST mapping text (``label ascii [ascii...]`` per line): label → character, the
    first code (the upper case for merged letters, e.g. ``1 65 97`` → ``'A'``)."""
    mapping = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split()
        try:
            mapping[int(fields[0])] = chr(int(fields[1]))
        except (ValueError, IndexError):
            raise ValueError(f"{name}: line {n} is not 'label ascii': {line!r}") from None
    return mapping


def upright(images: np.ndarray) -> np.ndarray:
    """EMNIST's stored images turned upright: each (28, 28) image transposed."""
    return np.ascontiguousarray(np.asarray(images).transpose(0, 2, 1))


def load_emnist(split: str = "balanced", *, zero_based: bool = False, seed: int = 0,
                n_per_class: int | None = None) -> Arrays:
    """EMNIST ``split`` as ``(x_train, y_train), (x_test, y_test)`` (uint8, upright) with
    ``.mapping`` (label → character), ``.classes`` (characters in label order) and ``.source``.

    Order: official IDX files (or ``gzip.zip``) in ``TLKIT_DATA_DIR``; the zip in the kit's cache
    or the ``emnist`` package's cache; its download (562 MB, pinned sha256) unless offline;
    else characters rendered by the kit (``n_per_class`` training images per class, default
    by profile; ``seed``), announced with a banner. A resolved zip is also linked where the
    ``emnist`` package looks. ``zero_based=True`` shifts ``letters`` labels to 0..25.
    """
    _check_split(split)
    where = sources.obtain("emnist", split=split)
    if where.form == "idx":
        train, test, mapping = _read_folder(where.path, split)
    elif where.form == "zip":
        link_for_package(where.path)
        train, test, mapping = _read_zip(where.path, split)
    if where.found:
        train = (upright(train[0]), train[1])
        test = (upright(test[0]), test[1])
        source = where.source(name=f"emnist-{split}")
    else:
        train, test, detail = _embedded(split, seed, n_per_class, where.reason)
        mapping = default_mapping(split)
        source = where.source(name=f"emnist-{split}", detail=detail)
    if zero_based and first_label(split):
        shift = first_label(split)
        train = (train[0], (train[1] - shift).astype(train[1].dtype))
        test = (test[0], (test[1] - shift).astype(test[1].dtype))
        mapping = {label - shift: char for label, char in mapping.items()}
    provenance.record(source)
    classes = [mapping[k] for k in sorted(mapping)]
    return Arrays((train, test), source=source, classes=classes, mapping=mapping)


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"unknown EMNIST split {split!r}; use one of {', '.join(SPLITS)}")


def _read_folder(folder: Path, split: str):
    """One split's four official IDX files (and its mapping file, if any) from a folder."""
    def pair(part):
        images, labels = (sources.find_file(folder, official_name(split, part, kind))
                          for kind in ("images", "labels"))
        pair = (read_idx(images, expect_magic=IMAGES_MAGIC),
                read_idx(labels, expect_magic=LABELS_MAGIC))
        _check_pair(*pair, str(images))
        return pair

    mapping_file = folder / f"emnist-{split}-mapping.txt"
    mapping = read_mapping(mapping_file) if mapping_file.is_file() else default_mapping(split)
    return pair("train"), pair("test"), mapping


def _check_pair(images, labels, name):
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"{name}: images of shape {images.shape}, expected (N, 28, 28)")
    if labels.shape != images.shape[:1]:
        raise ValueError(f"{name}: {labels.shape[0]} labels for {images.shape[0]} images")


def link_for_package(path: Path) -> None:
    """Place a resolved zip where the ``emnist`` package looks (the seed notebooks use it)."""
    target = sources.emnist_package_cache()
    if target.exists() or target.resolve() == path.resolve():
        return
    try:
        download.link_into(path, target)
    except OSError as exc:
        warnings.warn(f"could not place {path} at {target} for the emnist package: {exc}",
                      stacklevel=4)


def _read_zip(path: Path, split: str):
    """Read one split's four IDX members (and mapping) straight out of the zip."""
    with zipfile.ZipFile(path) as zf:
        by_name = {Path(n).name: n for n in zf.namelist()}

        def member(name: str) -> bytes:
            if name not in by_name:
                raise FileNotFoundError(f"{path}: no member {name} (is this EMNIST's gzip.zip?)")
            data = zf.read(by_name[name])
            return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data

        def pair(part):
            names = [official_name(split, part, k) for k in ("images", "labels")]
            images = parse_idx(member(names[0]), name=f"{path}:{names[0]}",
                               expect_magic=IMAGES_MAGIC)
            labels = parse_idx(member(names[1]), name=f"{path}:{names[1]}",
                               expect_magic=LABELS_MAGIC)
            _check_pair(images, labels, f"{path}:{names[0]}")
            return images, labels

        train, test = pair("train"), pair("test")
        mapping_name = f"emnist-{split}-mapping.txt"
        mapping = (parse_mapping(zf.read(by_name[mapping_name]).decode("ascii"),
                                 name=f"{path}:{mapping_name}")
                   if mapping_name in by_name else default_mapping(split))
    return train, test, mapping


def default_size(split: str) -> int:
    """Training images per class of the rendered default, by profile."""
    return config.pick(fast=60, full=400)


def rendered_cache_file(split: str, n: int, n_test: int, seed: int) -> Path:
    """Where the rendered stand-in of a split is kept (the key names everything it depends on)."""
    return (config.home() / "embedded" /
            f"emnist-rendered-v{RENDERED_VERSION}-{split}-{n}+{n_test}-seed{seed}.npz")


def _read_rendered(path: Path):
    """``(train, test)`` from a cache file, or None when absent; an unreadable file is ignored
    with a warning naming it and the reason (it is then rebuilt)."""
    if not path.is_file():
        return None
    try:
        with np.load(path) as npz:
            train = (npz["x_train"], npz["y_train"])
            test = (npz["x_test"], npz["y_test"])
        for images, labels in (train, test):
            _check_pair(images, labels, str(path))
    except Exception as exc:  # noqa: BLE001 - zip, pickle, shape or OS errors: a bad file
        warnings.warn(f"{path} is not a readable cache of rendered characters "
                      f"({type(exc).__name__}: {exc}): ignored, drawing them again",
                      stacklevel=4)
        return None
    return train, test


def _write_rendered(path: Path, train, test) -> bool:
    """Keep the rendered characters for the next call; an unwritable cache only warns."""
    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, x_train=train[0], y_train=train[1], x_test=test[0], y_test=test[1])
    except OSError as exc:
        warnings.warn(f"could not keep the rendered characters in {path} ({exc}); they will "
                      f"be drawn again next time", stacklevel=4)
        return False
    return True


def _embedded(split: str, seed: int, n_per_class: int | None, why: str):
    n = n_per_class or default_size(split)
    n_test = max(1, n // 5)
    classes = SPLITS[split]
    path = rendered_cache_file(split, n, n_test, seed)
    cached = _read_rendered(path)
    if cached is not None:
        train, test = cached
        how = f"read from {path}"
    else:
        train, test = _render(split, classes, n, n_test, seed)
        how = f"drawn now, kept in {path}" if _write_rendered(path, train, test) else "drawn now"
    provenance.announce(
        f"Datos de ejemplo: esto NO es EMNIST ({split})",
        f"No se encontró EMNIST (ni en TLKIT_DATA_DIR ni en la caché, y {why}). Se usan "
        f"caracteres que el kit dibuja con las fuentes de matplotlib (DejaVu, STIX), con "
        f"grosor, giro, inclinación y escala aleatorios: {len(classes)} clases, {n} imágenes "
        f"por clase para entrenar y {n_test} para test, 28x28. No es escritura a mano: las "
        f"cifras de precisión no son comparables con las de EMNIST.",
    )
    detail = (f"characters rendered with matplotlib's fonts, {len(classes)} classes x "
              f"{n} train / {n_test} test, seed {seed} ({how})")
    return train, test, detail


def _render(split: str, classes, n: int, n_test: int, seed: int):
    from tlkit.data.embedded_arrays import render_characters

    # EMNIST files these lower-case letters under the upper-case class.
    merged = {"balanced": MERGED_LOWER, "bymerge": MERGED_LOWER,
              "letters": string.ascii_lowercase}.get(split, "")
    kwargs = dict(merged_lower=merged, first_label=first_label(split))
    train = render_characters(classes, n, seed=seed * 2, **kwargs)
    test = render_characters(classes, n_test, seed=seed * 2 + 1, **kwargs)
    return train, test
