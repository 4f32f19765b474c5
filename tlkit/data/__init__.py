"""Offline-first data and weights for the lessons (DESIGN §3).

Every loader tries, in order: ``TLKIT_DATA_DIR`` (official file names), the kit's and the
frameworks' caches, a hash-checked download (never with ``TLKIT_OFFLINE=1``), and an embedded
default announced with a banner. Results carry ``.source`` and are recorded with
:func:`tlkit.provenance.record`. Importing this package loads no deep-learning framework.
See ``docs/data.md``.
"""

from tlkit.data.download import DownloadError, OfflineError, fetch
from tlkit.data.embedded import digits_as_mnist, render_characters
from tlkit.data.emnist import load_emnist, parse_mapping, read_mapping, upright
from tlkit.data.idx import IDXError, read_idx, write_idx
from tlkit.data.image_sets import load_images
from tlkit.data.images import ImageFolder, check_image, image_folder, load_rgb
from tlkit.data.archive import UnsafeArchiveError, safe_extract
from tlkit.data.mnist import load_mnist, load_mnist_test
from tlkit.data.photos import embedded_images
from tlkit.data.status import data_status
from tlkit.data.weights import (
    WeightsNotFoundError,
    available_weights,
    efficientnet_lite0_weights_path,
    weights_info,
)

__all__ = [
    "DownloadError", "IDXError", "ImageFolder", "OfflineError", "UnsafeArchiveError",
    "WeightsNotFoundError", "available_weights", "check_image", "data_status",
    "digits_as_mnist", "efficientnet_lite0_weights_path", "embedded_images", "fetch",
    "image_folder", "load_emnist", "load_images", "load_mnist", "load_mnist_test",
    "load_rgb", "parse_mapping", "read_idx", "read_mapping", "render_characters", "safe_extract", "upright",
    "weights_info", "write_idx",
]
