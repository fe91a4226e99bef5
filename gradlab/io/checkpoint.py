"""Checkpoints in the safetensors format, written and read with NumPy alone.

A safetensors file is an 8-byte little-endian header length, a JSON header mapping each name
to its ``dtype``, ``shape`` and ``data_offsets`` (plus an optional ``__metadata__`` dict of
strings), then the raw little-endian bytes. Nothing in it is executed on load, unlike pickle,
so loading an untrusted file cannot run code. Files are written atomically: to a temporary file
in the same directory, then renamed over the target.
"""

from __future__ import annotations

import json
import os
import secrets
from collections import OrderedDict

import numpy as np

from ..tensor import Tensor, from_numpy

_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64,
           "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}
_CODES = {np.dtype(v): k for k, v in _DTYPES.items()}
_MAX_HEADER = 100 * 1024 * 1024


class CheckpointError(ValueError):
    """A file that is not a valid safetensors checkpoint (truncated, foreign or corrupt)."""


def save(state_dict: dict, path: str | os.PathLike, metadata: dict | None = None) -> None:
    """Write a ``{name: tensor or array}`` dict (e.g. ``model.state_dict()``) to ``path``."""
    header: dict = {}
    if metadata:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise TypeError("save: metadata must map strings to strings")
        header["__metadata__"] = dict(metadata)
    arrays = []
    offset = 0
    for name, value in state_dict.items():
        if not isinstance(name, str):
            raise TypeError(f"save: keys must be strings, got {type(name).__name__}")
        arr = value.data if isinstance(value, Tensor) else np.asarray(value)
        if arr.dtype not in _CODES:
            raise TypeError(f"save: '{name}' has dtype {arr.dtype}, which safetensors cannot "
                            f"store (supported: {', '.join(str(d) for d in _CODES)})")
        arr = arr.astype(arr.dtype.newbyteorder("<"), order="C", copy=False)  # keeps 0-d
        header[name] = {"dtype": _CODES[np.dtype(arr.dtype.str.lstrip("<>="))],
                        "shape": list(arr.shape), "data_offsets": [offset, offset + arr.nbytes]}
        arrays.append(arr)
        offset += arr.nbytes
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # align the data to 8 bytes, as the reference writer does
    atomic_write(path, [len(raw).to_bytes(8, "little"), raw, *(a.data for a in arrays)])


def atomic_write(path: str | os.PathLike, data) -> None:
    """Write ``data`` (bytes, or an iterable of bytes-like chunks) to ``path`` through a
    temporary file in the same directory, flushed to disk, then renamed over ``path``: a reader,
    or a run killed while writing, never sees a half-written file. The file gets the usual
    permissions (0o666 less the umask)."""
    path = os.fspath(path)
    tmp = f"{path}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            for chunk in ([data] if isinstance(data, (bytes, bytearray)) else data):
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load(path: str | os.PathLike, *, with_metadata: bool = False):
    """Read a safetensors file into an ``OrderedDict`` of tensors (in file order).

    With ``with_metadata=True`` returns ``(tensors, metadata)``. Raises
    :class:`CheckpointError` naming the problem for truncated, foreign or corrupt files.
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise CheckpointError(f"{path}: not a safetensors file (only {len(data)} bytes; the "
                              "8-byte header length is missing)")
    n = int.from_bytes(data[:8], "little")
    if n > min(_MAX_HEADER, len(data) - 8):
        raise CheckpointError(f"{path}: not a safetensors file or truncated (header length "
                              f"{n} exceeds the {len(data) - 8} bytes that follow)")
    try:
        header = json.loads(data[8:8 + n])
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{path}: not a safetensors file (its header is not JSON: "
                              f"{exc})") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{path}: the header is not a JSON object")
    metadata = header.pop("__metadata__", {}) or {}
    body = data[8 + n:]
    out: OrderedDict = OrderedDict()
    entries = sorted(header.items(), key=lambda kv: _offsets(path, kv)[0])
    expected = 0
    for name, info in entries:
        start, end = _offsets(path, (name, info))
        code = info.get("dtype")
        if code not in _DTYPES:
            raise CheckpointError(f"{path}: tensor '{name}' has unknown dtype {code!r}")
        shape = tuple(info.get("shape", ()))
        dt = np.dtype(_DTYPES[code]).newbyteorder("<")
        if start != expected or end - start != int(np.prod(shape, dtype=np.int64)) * dt.itemsize:
            raise CheckpointError(f"{path}: tensor '{name}' has inconsistent data offsets "
                                  f"[{start}, {end}) for shape {list(shape)} and dtype {code}")
        if end > len(body):
            raise CheckpointError(f"{path}: truncated: tensor '{name}' needs bytes up to {end} "
                                  f"but the file holds {len(body)} after the header")
        arr = np.frombuffer(body, dtype=dt, count=(end - start) // dt.itemsize,
                            offset=start).reshape(shape)
        out[name] = from_numpy(arr.astype(dt.newbyteorder("="), copy=True))
        expected = end
    if expected != len(body):
        raise CheckpointError(f"{path}: {len(body) - expected} trailing bytes after the last "
                              "tensor (corrupt file)")
    order = list(header)
    out = OrderedDict((k, out[k]) for k in order)
    return (out, metadata) if with_metadata else out


def _offsets(path: str, kv) -> tuple:
    name, info = kv
    try:
        start, end = (int(v) for v in info["data_offsets"])
    except (KeyError, TypeError, ValueError):
        raise CheckpointError(f"{path}: tensor '{name}' has no valid data_offsets") from None
    if start < 0 or end < start:
        raise CheckpointError(f"{path}: tensor '{name}' has invalid data_offsets "
                              f"[{start}, {end})")
    return start, end
