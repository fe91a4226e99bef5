"""The IDX file format of MNIST and its relatives: read_idx / write_idx.

An IDX file is a big-endian header and the raw array: two zero bytes, a type-code byte, the
number of dimensions ``d``, then ``d`` 4-byte sizes, then the values in C order. Files may be
gzip-compressed (recognised by their content, not their name).

======  =========
code    dtype
======  =========
0x08    uint8
0x09    int8
0x0B    int16
0x0C    int32
0x0D    float32
0x0E    float64
======  =========

Reference: LeCun, Cortes & Burges, "THE MNIST DATABASE of handwritten digits", file formats.
"""

from __future__ import annotations

import gzip
import os
import zlib

import numpy as np

_CODES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_CODE_OF = {np.dtype(v).newbyteorder("="): k for k, v in _CODES.items()}
_GZIP_MAGIC = b"\x1f\x8b"


def _known() -> str:
    return ", ".join(f"0x{k:02X} {np.dtype(v).name}" for k, v in _CODES.items())


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (raw or gzip) into a native-endian NumPy array.

    Raises ValueError naming the file for a corrupt gzip stream, a bad magic number, an
    unknown type code, or a length that does not match the header's shape.
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise ValueError(f"read_idx: {path} is a corrupt gzip file ({e})") from None
    if len(raw) < 4:
        raise ValueError(f"read_idx: {path} is too short ({len(raw)} bytes) to hold an IDX "
                         "header")
    magic = int.from_bytes(raw[:4], "big")
    code, ndim = raw[2], raw[3]
    if raw[:2] != b"\x00\x00" or ndim == 0:
        raise ValueError(f"read_idx: {path} is not an IDX file: bad magic number 0x{magic:08X} "
                         "(expected 0x0000TTDD: two zero bytes, a type code, the number of "
                         "dimensions)")
    if code not in _CODES:
        raise ValueError(f"read_idx: {path}: unknown data type code 0x{code:02X} in magic "
                         f"number 0x{magic:08X} (known: {_known()})")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"read_idx: {path} is truncated inside its header ({len(raw)} bytes, "
                         f"the header of a {ndim}-d array needs {header})")
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    dt = np.dtype(_CODES[code])
    want = int(np.prod(shape, dtype=np.int64)) * dt.itemsize
    if len(raw) - header != want:
        raise ValueError(f"read_idx: {path}: the header says shape {shape} of {dt.name}, "
                         f"{want} bytes of data, but the file holds {len(raw) - header}")
    arr = np.frombuffer(raw, dtype=dt, offset=header).reshape(shape)
    return arr.astype(dt.newbyteorder("="))


def write_idx(path: str | os.PathLike, array, compress: bool | None = None) -> str:
    """Write ``array`` (uint8, int8, int16, int32, float32 or float64; at least 1-d) as an
    IDX file; gzip it if ``compress`` or, when ``compress`` is None, if the name ends in
    ``.gz``. Returns the path."""
    path = os.fspath(path)
    arr = np.asarray(getattr(array, "array", array))
    code = _CODE_OF.get(arr.dtype.newbyteorder("="))
    if code is None:
        raise ValueError(f"write_idx: dtype {arr.dtype} has no IDX type code (known: {_known()})")
    if arr.ndim == 0 or arr.ndim > 255:
        raise ValueError(f"write_idx: expected an array with 1 to 255 dims, got {arr.ndim}")
    header = bytes([0, 0, code, arr.ndim]) + b"".join(
        int(s).to_bytes(4, "big") for s in arr.shape)
    payload = header + np.ascontiguousarray(arr, dtype=_CODES[code]).tobytes()
    if compress if compress is not None else path.endswith(".gz"):
        payload = gzip.compress(payload, mtime=0)
    with open(path, "wb") as f:
        f.write(payload)
    return path
