"""The pinned remote files of the course: name → URL, sha256, size and file name (DESIGN §3).

One table, like d2l's ``DATA_HUB``: loaders and ``tlkit data fetch`` look names up here, and a
download is only accepted when its sha256 matches.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Remote:
    """A file the kit may download: where from, its pinned hash and size, its name on disk."""

    name: str
    url: str
    sha256: str
    size: int | None
    filename: str
    description: str = ""


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
    )
}


def remote(name: str) -> Remote:
    """The registry entry called ``name``, or a clear error listing the known names."""
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise KeyError(f"no remote dataset called {name!r}; known: {known}") from None
