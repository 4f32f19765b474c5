"""Offline-first data and weights for the lessons (DESIGN §3).

Every loader asks :mod:`tlkit.data.sources` (the one resolver) where its data is:
``TLKIT_DATA_DIR`` (official file names), the kit's and the frameworks' caches (each checked),
a hash-checked download (never with ``TLKIT_OFFLINE=1``), and an embedded default announced
with a banner. Results carry ``.source`` and are recorded with :func:`tlkit.provenance.record`.
Importing this package loads no deep-learning framework. See ``docs/data.md``.

This namespace holds what lessons use; everything else is imported from its module
(``tlkit.data.idx``, ``tlkit.data.archive``, ``tlkit.data.embedded_photos`` ...).
"""

from tlkit.data.course_images import load_images
from tlkit.data.emnist import load_emnist
from tlkit.data.image_folders import ImageFolder, image_folder, load_rgb
from tlkit.data.mnist import load_mnist, load_mnist_test
from tlkit.data.sources import data_status, locate, weights_status

available_weights = weights_status  # the name lesson 02 uses

__all__ = [
    "ImageFolder", "available_weights", "data_status", "image_folder", "load_emnist",
    "load_images", "load_mnist", "load_mnist_test", "load_rgb", "locate", "weights_status",
]
