"""tlkit: a transfer-learning teaching kit (Keras and PyTorch lessons, offline-first data, grader).

Importing ``tlkit`` is cheap: it loads no deep-learning framework. Import what you need, e.g.
``from tlkit import config``, ``from tlkit.data import load_mnist``, ``import tlkit.torch``.
"""

__version__ = "0.1.0"


def __getattr__(name: str):
    # ``tlkit.check`` (DESIGN §5) without importing the grading package at ``import tlkit``.
    if name == "check":
        from tlkit.grading.selfcheck import check

        return check
    raise AttributeError(f"module 'tlkit' has no attribute {name!r}")
