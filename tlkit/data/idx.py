"""Read and write IDX files, the format of MNIST and EMNIST (plain or gzip-compressed).

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of dimensions),
one big-endian uint32 per dimension, then the data. Images have magic 2051, labels 2049.
"""

from __future__ import annotations

import gzip
import io
import os
import struct
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049


class IDXError(ValueError):
    """A file is not a valid IDX file (bad magic, truncated, wrong shape)."""


def read_idx(source: str | os.PathLike | BinaryIO, *, name: str | None = None,
             expect_magic: int | None = None) -> np.ndarray:
    """Read an IDX file (``.gz`` or plain, a path or a binary file object) into an array.

    Checks the magic number (2051 images, 2049 labels, or ``expect_magic``), the dimensions
    and the length, so a truncated or wrong file gives an error naming the file.
    """
    if isinstance(source, (str, os.PathLike)):
        name = name or str(source)
        with open(source, "rb") as fh:
            raw = fh.read()
    else:
        name = name or getattr(source, "name", "<stream>")
        raw = source.read()
    if raw[:2] == b"\x1f\x8b":  # gzip
        try:
            raw = gzip.decompress(raw)
        except (EOFError, OSError, zlib.error) as exc:
            raise IDXError(f"{name}: the gzip stream is truncated or corrupt ({exc})") from None
    return parse_idx(raw, name=name, expect_magic=expect_magic)


def parse_idx(raw: bytes, *, name: str = "<bytes>", expect_magic: int | None = None) -> np.ndarray:
    """Parse the uncompressed bytes of an IDX file (see :func:`read_idx`)."""
    if len(raw) < 4:
        raise IDXError(f"{name}: only {len(raw)} bytes, too short for an IDX header")
    zero, code, ndim = struct.unpack(">HBB", raw[:4])
    magic = struct.unpack(">I", raw[:4])[0]
    if zero != 0 or code not in _DTYPES or ndim == 0:
        raise IDXError(f"{name}: not an IDX file (magic number {magic}; images have 2051, "
                       f"labels 2049)")
    if expect_magic is not None and magic != expect_magic:
        raise IDXError(f"{name}: magic number {magic}, expected {expect_magic}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise IDXError(f"{name}: truncated header ({len(raw)} bytes, {ndim} dimensions)")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = np.dtype(_DTYPES[code])
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) < expected:
        raise IDXError(f"{name}: truncated: header says shape {shape} ({expected} bytes) but "
                       f"the file has {len(raw)} bytes")
    if len(raw) > expected:
        raise IDXError(f"{name}: {len(raw) - expected} unexpected bytes after the data of "
                       f"shape {shape}")
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="), copy=True)


def write_idx(path: str | os.PathLike, array: np.ndarray) -> Path:
    """Write ``array`` as an IDX file (gzip-compressed when ``path`` ends in ``.gz``).

    Used to build small test fixtures and to save subsets in the official format.
    """
    array = np.asarray(array)
    codes = {np.dtype(v).newbyteorder(">").str if np.dtype(v).itemsize > 1 else np.dtype(v).str:
             k for k, v in _DTYPES.items()}
    big = array.dtype.newbyteorder(">") if array.dtype.itemsize > 1 else array.dtype
    code = codes.get(big.str)
    if code is None:
        raise IDXError(f"{path}: cannot write dtype {array.dtype} as IDX")
    buf = io.BytesIO()
    buf.write(struct.pack(">HBB", 0, code, array.ndim))
    buf.write(struct.pack(f">{array.ndim}I", *array.shape))
    buf.write(array.astype(big).tobytes())
    data = buf.getvalue()
    path = Path(path)
    if path.suffix == ".gz":
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)
    return path
