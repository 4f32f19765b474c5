"""Downloads against a local HTTP server: success, cache reuse, wrong hash, truncated, 404,
offline (no connection attempted), and the loaders' download paths (MNIST, EMNIST zip)."""

from __future__ import annotations

import gzip
import hashlib
import io
import threading
import warnings
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from tlkit.data import download, registry
from tlkit.data.idx import write_idx
from tlkit.data.registry import Remote

PAYLOAD = bytes(range(256)) * 2000  # 512 kB


class _Server:
    def __init__(self):
        self.files: dict[str, bytes] = {"/good.bin": PAYLOAD, "/wrong.bin": PAYLOAD[::-1]}
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests.append(self.path)
                if self.path == "/truncated.bin":
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(PAYLOAD)))
                    self.end_headers()
                    self.wfile.write(PAYLOAD[: len(PAYLOAD) // 3])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404, "Not Found")
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def entry(self, path: str, content: bytes = PAYLOAD, name: str = "thing") -> Remote:
        return Remote(name=name, url=self.url + path, sha256=hashlib.sha256(content).hexdigest(),
                      size=len(content), filename=path.strip("/").replace("/", "_"))


@pytest.fixture
def server():
    srv = _Server()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


@pytest.fixture
def online(monkeypatch, tmp_path):
    """A fresh kit cache and frameworks' caches, downloads allowed."""
    monkeypatch.setenv("TLKIT_HOME", str(tmp_path / "tlkit"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("TLKIT_OFFLINE", raising=False)
    monkeypatch.delenv("TLKIT_DATA_DIR", raising=False)
    return tmp_path


def _cache_files():
    folder = download.downloads_dir()
    return sorted(p.name for p in folder.rglob("*")) if folder.exists() else []


def test_download_lands_in_cache_with_progress_and_is_reused(server, online, capfd):
    entry = server.entry("/good.bin")
    path = download.fetch(entry, retries=0)
    assert path == download.downloads_dir() / "good.bin"
    assert path.read_bytes() == PAYLOAD
    err = capfd.readouterr().err
    assert "100%" in err and "512k" in err.lower()  # tqdm's bar reached the full size
    assert server.requests == ["/good.bin"]
    assert download.fetch(entry, retries=0) == path
    assert server.requests == ["/good.bin"]  # the second call used the cache


def test_wrong_hash_is_refused_and_nothing_is_cached(server, online):
    entry = server.entry("/wrong.bin", content=PAYLOAD)  # serves other bytes than pinned
    with pytest.raises(download.DownloadError, match=r"wrong\.bin.*sha256") as info:
        download.fetch(entry, retries=0)
    assert entry.sha256 in str(info.value)
    assert _cache_files() == []


def test_truncated_transfer_fails_after_a_retry_and_leaves_nothing(server, online):
    entry = server.entry("/truncated.bin")
    with pytest.raises(download.DownloadError, match="truncated.bin"):
        download.fetch(entry, retries=1)
    assert server.requests == ["/truncated.bin"] * 2  # retried once
    assert _cache_files() == []


def test_404_gives_a_clear_error(server, online):
    entry = server.entry("/missing.bin")
    with pytest.raises(download.DownloadError, match=r"missing\.bin.*HTTP 404"):
        download.fetch(entry, retries=0)
    assert _cache_files() == []


def test_offline_attempts_no_connection(server, online, monkeypatch):
    monkeypatch.setenv("TLKIT_OFFLINE", "1")
    with pytest.raises(download.OfflineError, match="TLKIT_OFFLINE=1"):
        download.fetch(server.entry("/good.bin"))
    assert server.requests == []


def _npz_bytes():
    rng = np.random.default_rng(0)
    arrays = {"x_train": rng.integers(0, 256, (12, 28, 28), dtype=np.uint8),
              "y_train": rng.integers(0, 10, 12, dtype=np.uint8),
              "x_test": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
              "y_test": rng.integers(0, 10, 5, dtype=np.uint8)}
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue(), arrays


def test_load_mnist_downloads_npz_then_uses_cache(server, online, monkeypatch):
    from tlkit.data import load_mnist
    from tlkit.data.mnist import keras_cache_path

    content, arrays = _npz_bytes()
    server.files["/mnist.npz"] = content
    entry = server.entry("/mnist.npz", content, name="mnist")
    monkeypatch.setitem(registry.REGISTRY, "mnist", entry)

    first = load_mnist()
    (x_train, y_train), (x_test, y_test) = first
    assert first.source.origin == "download"
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])
    assert keras_cache_path().read_bytes() == content  # placed where keras.datasets looks
    again = load_mnist()
    assert again.source.origin == "cache"
    assert server.requests == ["/mnist.npz"]


def _emnist_zip(split="digits"):
    """A tiny zip laid out like EMNIST's gzip.zip, images stored transposed like EMNIST."""
    rng = np.random.default_rng(1)
    upright = {part: rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
               for part, n in (("train", 7), ("test", 3))}
    upright["train"][:, :, :3] = 255  # a recognisable left band, upright
    labels = {part: rng.integers(0, 10, len(upright[part]), dtype=np.uint8) for part in upright}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for part in upright:
            for kind, arr in (("images-idx3", upright[part].transpose(0, 2, 1)),
                              ("labels-idx1", labels[part])):
                zf.writestr(f"gzip/emnist-{split}-{part}-{kind}-ubyte.gz",
                            gzip.compress(_idx_bytes(arr), mtime=0))
        zf.writestr(f"gzip/emnist-{split}-mapping.txt",
                    "".join(f"{d} {48 + d}\n" for d in range(10)))
    return buf.getvalue(), upright, labels


def _idx_bytes(arr):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        return write_idx(Path(tmp) / "a.idx", arr).read_bytes()


def test_load_emnist_downloads_zip_links_it_for_the_emnist_package(server, online, monkeypatch):
    from tlkit.data import load_emnist
    from tlkit.data.sources import emnist_package_cache

    content, upright, labels = _emnist_zip()
    server.files["/gzip.zip"] = content
    monkeypatch.setitem(registry.REGISTRY, "emnist", server.entry("/gzip.zip", content, "emnist"))

    data = load_emnist("digits")
    (x_train, y_train), (x_test, y_test) = data
    assert data.source.origin == "download"
    np.testing.assert_array_equal(x_train, upright["train"])  # came out upright
    np.testing.assert_array_equal(y_test, labels["test"])
    assert data.mapping[3] == "3" and data.classes == list("0123456789")
    assert emnist_package_cache().read_bytes() == content

    import emnist  # the seed notebooks' package reads the placed zip (and also turns it upright)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # emnist 0.0 on numpy 2.3
        images, pkg_labels = emnist.extract_training_samples("digits")
    np.testing.assert_array_equal(images, upright["train"])
    np.testing.assert_array_equal(pkg_labels, labels["train"])

    assert load_emnist("digits").source.origin == "cache"
    assert server.requests == ["/gzip.zip"]


def _flowers_tgz():
    """A tiny archive laid out like flower_photos.tgz: a wrapping folder, a LICENSE file."""
    import tarfile

    from PIL import Image

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        def add(name, data):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))

        add("flower_photos/LICENSE.txt", b"CC BY 2.0")
        for k, cls in enumerate(("daisy", "roses", "tulips")):
            for i in range(5):
                img = io.BytesIO()
                Image.new("RGB", (16, 12), (40 * k, 10 * i, 200)).save(img, "JPEG")
                add(f"flower_photos/{cls}/{i}.jpg", img.getvalue())
    return buf.getvalue()


def test_load_images_downloads_and_untars_flowers(server, online, monkeypatch):
    from tlkit.data import load_images

    content = _flowers_tgz()
    server.files["/flower_photos.tgz"] = content
    monkeypatch.setitem(registry.REGISTRY, "flowers",
                        server.entry("/flower_photos.tgz", content, "flowers"))
    ds = load_images("flowers", val=0.2)
    assert ds.source.origin == "download" and ds.source.name == "flowers"
    assert ds.classes == ["daisy", "roses", "tulips"] and ds.root.name == "flower_photos"
    assert (len(ds.train), len(ds.val)) == (12, 3) and ds.skipped == []
    again = load_images("flowers", val=0.2)
    assert again.source.origin == "cache" and again.val == ds.val
    assert server.requests == ["/flower_photos.tgz"]


def test_cli_fetch_downloads_into_the_cache(server, online, monkeypatch, capsys):
    from tlkit.cli import main
    from tlkit.data.mnist import keras_cache_path

    content, _ = _npz_bytes()
    server.files["/mnist.npz"] = content
    monkeypatch.setitem(registry.REGISTRY, "mnist", server.entry("/mnist.npz", content, "mnist"))
    assert main(["data", "fetch", "mnist", "--no-progress"]) == 0
    assert capsys.readouterr().out.strip().endswith("mnist.npz")
    assert (download.downloads_dir() / "mnist.npz").read_bytes() == content
    assert keras_cache_path().read_bytes() == content
    server.files["/mnist.npz"] = b"changed upstream"
    download.downloads_dir().joinpath("mnist.npz").unlink()
    assert main(["data", "fetch", "mnist", "--no-progress"]) == 1
    assert "not the pinned" in capsys.readouterr().err
