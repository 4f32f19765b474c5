"""tlkit: a transfer-learning teaching kit (Keras and PyTorch lessons, offline-first data, grader).

Importing ``tlkit`` is cheap: it loads no deep-learning framework. Import what you need, e.g.
``from tlkit import config``, ``from tlkit.data import load_mnist``, ``import tlkit.torch``.
"""

__version__ = "0.1.0"
