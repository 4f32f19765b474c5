"""The pinned remote files of the course: name → URL, hash, size and file name (DESIGN §3).

One table, like d2l's ``DATA_HUB``: the resolver (:mod:`tlkit.data.sources`) and
``tlkit data fetch`` look names up here, and a file (downloaded or cached) is only accepted when
:meth:`Remote.verify` finds its pinned size and hash.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Remote:
    """A file the kit may download: where from, its pinned hash and size, its name on disk.

    ``sha256`` is the full digest, or its first hex digits when that is all the publisher pins
    (torchvision puts 8 of them in the file name, and ``torch.hub`` checks only those); Keras'
    application weights are pinned by ``md5`` instead.
    """

    name: str
    url: str
    sha256: str
    size: int | None
    filename: str
    description: str = ""
    md5: str = ""

    def verify(self, path: Path) -> str | None:
        """None when ``path`` has the pinned size and hash, else what is wrong (in English)."""
        size = Path(path).stat().st_size
        if self.size and size != self.size:
            return f"has {size:,} bytes, not the pinned {self.size:,} of {self.filename}"
        if self.md5 and file_digest(path, "md5") != self.md5:
            return f"does not have the pinned md5 {self.md5} of {self.filename}"
        if self.sha256 and not file_digest(path, "sha256").startswith(self.sha256):
            return f"does not have the pinned sha256 {self.sha256} of {self.filename}"
        return None


def file_digest(path: str | Path, algorithm: str) -> str:
    """The hex digest of a file, read in 1 MiB blocks."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_KERAS = "https://storage.googleapis.com/tensorflow/keras-applications/"

REGISTRY: dict[str, Remote] = {
    entry.name: entry
    for entry in (
        Remote(
            name="mnist",
            url="https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
            sha256="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
            size=11_490_434,
            filename="mnist.npz",
            description="MNIST as Keras ships it (60,000 + 10,000 digits, 28x28)",
        ),
        Remote(
            name="emnist",
            url="https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip",
            sha256="fb9bb67e33772a9cc0b895e4ecf36d2cf35be8b709693c3564cea2a019fcda8e",
            size=561_753_746,
            filename="gzip.zip",
            description="EMNIST, every split, official IDX gzip files inside one zip",
        ),
        Remote(
            name="flowers",
            url="https://storage.googleapis.com/download.tensorflow.org/example_images/"
            "flower_photos.tgz",
            sha256="4c54ace7911aaffe13a365c34f650e71dd5bf1be0a58b464e5a7183e3e595d9c",
            size=228_813_984,
            filename="flower_photos.tgz",
            description="tf_flowers: 3,670 photos of 5 kinds of flowers (CC BY 2.0)",
        ),
        Remote(
            name="resnet18",
            url="https://download.pytorch.org/models/resnet18-f37072fd.pth",
            sha256="f37072fd", size=None, filename="resnet18-f37072fd.pth",
            description="torchvision ResNet18_Weights.IMAGENET1K_V1",
        ),
        Remote(
            name="resnet50",
            url="https://download.pytorch.org/models/resnet50-11ad3fa6.pth",
            sha256="11ad3fa6", size=None, filename="resnet50-11ad3fa6.pth",
            description="torchvision ResNet50_Weights.IMAGENET1K_V2",
        ),
        Remote(
            name="keras-xception",
            url=_KERAS + "xception/xception_weights_tf_dim_ordering_tf_kernels_notop.h5",
            sha256="", md5="b0042744bf5b25fce3cb969f33bebb97", size=None,
            filename="xception_weights_tf_dim_ordering_tf_kernels_notop.h5",
            description="keras.applications Xception, ImageNet, include_top=False",
        ),
        Remote(
            name="keras-resnet50",
            url=_KERAS + "resnet/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
            sha256="", md5="4d473c1dd8becc155b73f8504c6f6626", size=None,
            filename="resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
            description="keras.applications ResNet50, ImageNet, include_top=False",
        ),
    )
}


def remote(name: str) -> Remote:
    """The registry entry called ``name``, or a clear error listing the known names."""
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise KeyError(f"no remote file called {name!r}; known: {known}") from None
