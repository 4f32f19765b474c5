"""What a graded test hands from the student's kernel to the verifier: plain data, nothing else.

A test cell's *collect* part runs in the student's kernel and leaves values in its namespace;
:func:`hand_over` (called there by the grader's version of the cell) writes the values of the
names the test's *verdict* part reads into two files: a JSON tree of plain values and an
``.npz`` of the arrays it points to. The verifier reads them back with :func:`decode`, which
only knows JSON and ``numpy.load(allow_pickle=False)``: no object, class, function or pickle can
cross, so whatever the student's code did to its own kernel (a patched ``numpy.array_equal``, a
float whose ``<`` always holds) stays there.

Data is: ``None``, ``bool``, ``int``, ``float``, ``str``, lists, tuples, sets and dicts of data,
NumPy arrays and scalars of numeric, boolean or text type, and tensors (PyTorch, TensorFlow),
which arrive as NumPy arrays. Types must be exact: a subclass of ``float`` is not data.
"""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path

ENV = "TLKIT_HANDOVER"  # the folder hand_over writes to (set in the grader's kernelspec)
STEM = "test"  # hand_over writes STEM.json and STEM.npz there
MAX_DEPTH = 32
MAX_ITEMS = 1_000_000
MAX_BYTES = 64 * 2**20  # per test and file (JSON, npz); more is refused (a test fails)
ARRAY_KINDS = "biufcUS"  # bool, int, uint, float, complex, text, bytes


class NotData(TypeError):
    """A value that cannot cross to the verifier (its message names it, in Spanish)."""


class DisguisedData(NotData):
    """A value of a subclass of a data type (a float whose ``<`` always holds): the grader
    counts handing one over as tampering."""


DATA_TYPES = (bool, int, float, str, list, tuple, set, frozenset, dict)


def _tensor_array(value):
    """A PyTorch or TensorFlow tensor as a NumPy array, or None for anything else."""
    module = type(value).__module__ or ""
    if module.split(".")[0] not in ("torch", "tensorflow", "keras"):
        return None
    if hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    if hasattr(value, "numpy"):
        return value.numpy()
    return None


class _Encoder:
    def __init__(self):
        self.arrays: dict[str, object] = {}
        self.items = 0

    def array(self, value, where: str) -> str:
        if value.dtype.kind not in ARRAY_KINDS or value.dtype.fields is not None:
            raise NotData(f"«{where}» es un array de tipo {value.dtype}, que el corrector no lee")
        key = f"a{len(self.arrays)}"
        self.arrays[key] = value
        return key

    def __call__(self, value, where: str, depth: int = 0):
        np = sys.modules.get("numpy")  # not imported: no value can be an array (no import cost)
        self.items += 1
        if depth > MAX_DEPTH or self.items > MAX_ITEMS:
            raise NotData(f"«{where}» es demasiado grande o anidado para el corrector")
        kind = type(value)
        if value is None or kind in (bool, int, str):
            return value
        if kind is float:
            return {"float": repr(value)}
        if kind in (list, tuple, set, frozenset):
            items = sorted(value, key=repr) if kind in (set, frozenset) else value
            tag = {list: "list", tuple: "tuple", set: "set", frozenset: "set"}[kind]
            return {tag: [self(v, where, depth + 1) for v in items]}
        if kind is dict:
            return {"dict": [[self(k, where, depth + 1), self(v, where, depth + 1)]
                             for k, v in value.items()]}
        if np is not None and kind is np.ndarray:
            return {"array": self.array(value, where)}
        if np is not None and isinstance(value, np.generic) and type(value).__module__ == "numpy":
            return {"scalar": self.array(np.asarray(value), where)}
        array = _tensor_array(value)
        if array is not None and type(array) is sys.modules["numpy"].ndarray:
            return {"array": self.array(array, where)}
        if isinstance(value, DATA_TYPES) or (np is not None and isinstance(value, np.ndarray)):
            raise DisguisedData(f"«{where}» se hace pasar por un dato ({kind.__name__} imita a "
                                "un tipo básico): el corrector no lo acepta")
        raise NotData(f"«{where}» no es un dato que el corrector pueda leer (es {kind.__name__}"
                      "): las pruebas comparan números, textos, listas y arrays")


def encode(values: dict[str, object]) -> tuple[str, bytes]:
    """The JSON text and the ``.npz`` bytes of ``values`` (raises :class:`NotData`)."""
    encoder = _Encoder()
    tree = {name: encoder(value, name) for name, value in values.items()}
    buffer = io.BytesIO()
    if encoder.arrays:
        sys.modules["numpy"].savez(buffer, **encoder.arrays)
    return json.dumps(tree, allow_nan=False), buffer.getvalue()


def hand_over(names: tuple[str, ...], namespace: dict) -> None:
    """Write the values of ``names`` in ``namespace`` as this test's hand-over.

    The worker reads the files right after the test's cell and empties the folder after
    every cell, so the files found after a test are that test's.
    A name the namespace lacks raises ``NameError``, as the test itself would have in the
    student's notebook.
    """
    for name in names:
        if name not in namespace:
            raise NameError(f"name {name!r} is not defined", name=name)
    text, arrays = encode({n: namespace[n] for n in names})
    folder = Path(os.environ[ENV])
    if arrays:
        (folder / f"{STEM}.npz").write_bytes(arrays)
    (folder / f"{STEM}.json").write_text(text, encoding="utf-8")


class BadHandover(ValueError):
    """Handed-over files that are not what :func:`encode` writes."""


def decode(text: str, arrays: bytes) -> dict[str, object]:
    """The values :func:`encode` wrote, read with JSON and ``numpy.load(allow_pickle=False)``."""
    import numpy as np

    try:
        tree = json.loads(text)
        loaded = {}
        if arrays:
            with np.load(io.BytesIO(arrays), allow_pickle=False) as npz:
                loaded = {key: npz[key] for key in npz.files}
    except (ValueError, OSError, EOFError) as exc:
        raise BadHandover(f"unreadable handover: {exc}") from exc
    for value in loaded.values():
        if value.dtype.kind not in ARRAY_KINDS or value.dtype.fields is not None:
            raise BadHandover(f"array of dtype {value.dtype}")

    def build(node, depth: int = 0):
        if depth > MAX_DEPTH:
            raise BadHandover("too deep")
        if node is None or type(node) in (bool, int, str):
            return node
        if type(node) is not dict or len(node) != 1:
            raise BadHandover(f"unexpected node {type(node).__name__}")
        (tag, body), = node.items()
        if tag == "float" and type(body) is str:
            return float(body)
        if tag in ("array", "scalar") and type(body) is str and body in loaded:
            return loaded[body] if tag == "array" else loaded[body][()]
        if tag in ("list", "tuple", "set") and type(body) is list:
            items = [build(v, depth + 1) for v in body]
            return {"list": list, "tuple": tuple, "set": set}[tag](items)
        if tag == "dict" and type(body) is list:
            out = {}
            for pair in body:
                if type(pair) is not list or len(pair) != 2:
                    raise BadHandover("bad dict item")
                out[build(pair[0], depth + 1)] = build(pair[1], depth + 1)
            return out
        raise BadHandover(f"unknown tag {tag!r}")

    if type(tree) is not dict:
        raise BadHandover("not a mapping of names")
    try:
        return {str(name): build(node) for name, node in tree.items()}
    except TypeError as exc:  # an unhashable key
        raise BadHandover(str(exc)) from exc
