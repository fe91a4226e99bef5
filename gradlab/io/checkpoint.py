"""``gradlab.save`` / ``gradlab.load``: checkpoints in the safetensors format, with NumPy alone.

A safetensors file is an 8-byte little-endian header length, a JSON header mapping each entry
name to its ``dtype``, ``shape`` and ``data_offsets`` (plus an optional ``__metadata__`` dict of
strings), then the raw little-endian bytes. Nothing in it is executed on load, unlike a pickle
(what ``torch.save`` writes), so loading an untrusted file cannot run code.

``save(obj, f)`` takes what a PyTorch checkpoint holds: any nesting of dicts and OrderedDicts
(str or int keys), lists and tuples, with tensors, str, int, float, bool and None as leaves,
e.g. ``{'epoch': 3, 'model_state_dict': model.state_dict(), 'optimizer_state_dict':
opt.state_dict(), 'loss': 0.12}``. The tensors become the file's entries; the rest is one JSON
document in ``__metadata__`` (:mod:`gradlab.io.structure` describes it), so any safetensors
reader still gets every tensor, and ``load`` gives back the same types, key order, dtypes,
shapes and values. A flat ``{name: tensor}`` dict (a ``state_dict()``) is written as a plain
safetensors file, byte for byte what gradlab wrote before nested checkpoints, and any file
without the structure document (those files, or one from another writer) loads as an
``OrderedDict`` of tensors in file order.

Where gradlab differs from ``torch.save`` / ``torch.load`` (which pickle):

- Only the types above are stored; a whole ``nn.Module``, an optimizer, a function, a set, a
  NumPy scalar or any other object raises TypeError naming it and its place in ``obj``
  (``obj['model']``): save ``model.state_dict()`` / ``opt.state_dict()`` instead. torch keeps
  keys of any picklable type; gradlab keeps str and int keys (not bool).
- NumPy arrays are accepted where a tensor may go and come back as gradlab Tensors (torch
  pickles them, and refuses them with ``weights_only=True``, its default).
- Tensors that share memory (views, or one tensor in two places) are stored once per place and
  load as separate tensors; torch keeps the sharing. A container in two places is stored twice;
  a container that contains itself raises TypeError.
- A Parameter comes back a Parameter, and ``requires_grad`` is kept, as in torch; ``.grad`` is
  not saved (nor by torch). A flat ``{name: tensor}`` dict comes back as an ``OrderedDict`` (a
  dict that compares equal to it): its file has no structure document.
- Files are written atomically when ``f`` is a path (to a temporary file
  ``<target>.<pid>.<8 hex digits>.tmp`` in the same directory, flushed, renamed over the
  target, then the directory flushed): a run killed while saving leaves the previous file
  intact, and the next save of the same target removes the temporary file the killed one left
  (only files of that pattern whose process is gone: :func:`remove_stale_temporaries`).
- Containers nest at most :data:`~gradlab.io.structure.MAX_DEPTH` (100) deep; torch pickles
  any depth its recursion allows.

Reading trusts nothing in the file. The whole header is checked before any tensor is
allocated: its length (at most 100,000,000 bytes, the reference implementation's bound, and
within the file), strict UTF-8 JSON (an object, no key twice, no NaN, no lone surrogate), each
entry (a known dtype, a shape of ints >= 0, two int offsets whose span is the shape's bytes),
the entries tiling the data from 0 without gaps or overlaps to the end of the file, and
``__metadata__`` mapping strings to strings. Anything wrong raises :class:`CheckpointError`
(a ValueError) naming the file and the problem, never a bare KeyError, TypeError,
RecursionError or MemoryError; every file the reference ``safetensors`` reader refuses is
refused (gradlab is stricter on a repeated entry name, which the reference resolves to the
last one, and on dtypes gradlab has no tensors for). The checks are linear in the header (the
header length bounds the number of entries: each takes more than 40 bytes), and a header of
1.68 million empty tensors loads in about the time the reference reader takes.

Each tensor is read straight from the file into its own array (no intermediate buffer): the
peak memory of a load is the size of its tensors, and the tensors do not depend on the file
afterwards (it may be replaced or removed). ``mmap=True`` (opt-in, as in torch) maps the file
instead, copy-on-write: pages are read when touched; on Linux replacing or removing the file
(a new file renamed over it, as :func:`save` does) leaves the mapped tensors intact, but
truncating or rewriting the same file in place changes or invalidates them.
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import os
import re
import secrets
import threading
import types
from collections import OrderedDict
from typing import Any

import numpy as np

from ..tensor import Tensor, from_numpy
from .structure import FORMAT, KEY, Encoder, StructureError, decode, is_flat

_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64,
           "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}
_CODES = {np.dtype(v): k for k, v in _DTYPES.items()}
#: dtypes of the safetensors spec that gradlab has no tensors for
_FOREIGN = ("BF16", "F8_E4M3", "F8_E5M2", "U16", "U32", "U64", "C64")
#: the bound on the header length, the reference implementation's
_MAX_HEADER = 100_000_000
_PICKLE_LOAD_ARGS = ("encoding", "errors", "fix_imports", "buffers")


class CheckpointError(ValueError):
    """A file that is not a valid safetensors checkpoint (truncated, foreign or corrupt)."""


# ----------------------------------------------------------------------------- writing


def save(obj: Any, f: str | os.PathLike | io.IOBase, pickle_module: Any = None,
         pickle_protocol: int = 2, *, metadata: dict | None = None) -> None:
    """Write ``obj`` (a tensor, a ``state_dict()``, or a checkpoint dict nesting them with
    numbers, strings, lists and tuples) to ``f`` as a safetensors file (see the module
    docstring for what is stored and how it differs from ``torch.save``).

    ``f``: a path (str or os.PathLike), written atomically, or a binary file object opened for
    writing (``io.BytesIO()``, ``open(path, 'wb')``), written at its position and left open.
    ``pickle_module`` and ``pickle_protocol`` are accepted for ``torch.save`` programs and
    unused: nothing is pickled. ``metadata``: extra ``{str: str}`` for the file's
    ``__metadata__`` (the key ``'gradlab.structure'`` is gradlab's own).

    Raises TypeError, before anything is written, for an object, dict key or array dtype that
    a checkpoint cannot hold, naming where in ``obj`` it is.
    """
    _check_pickle_module("save", pickle_module)
    if metadata is not None:
        if not isinstance(metadata, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise TypeError("save: metadata must map strings to strings")
        if KEY in metadata:
            raise ValueError(f"save: the metadata key {KEY!r} is reserved for the structure "
                             "of the saved object")
    if is_flat(obj):
        arrays = OrderedDict((k, v.array if isinstance(v, Tensor) else np.asarray(v))
                             for k, v in obj.items())
        meta = metadata
    else:
        enc = Encoder()
        doc = {"format": FORMAT, "obj": enc.encode(obj)}
        arrays = enc.arrays
        meta = {**(metadata or {}),
                KEY: json.dumps(doc, separators=(",", ":"), allow_nan=False)}
    chunks = _serialize(arrays, meta)
    if isinstance(f, (str, os.PathLike)):
        atomic_write(f, chunks)
        return
    if isinstance(f, io.TextIOBase):
        raise TypeError("save: f is a file opened in text mode; open it in binary mode ('wb')")
    if not callable(getattr(f, "write", None)):
        raise TypeError("save: f must be a path (str or os.PathLike) or a binary file object "
                        f"opened for writing, got {type(f).__name__}")
    for chunk in chunks:
        f.write(chunk)


def _serialize(arrays: OrderedDict, metadata: dict | None) -> list:
    """The file's bytes as chunks: length, header, then each array's data in order."""
    header: dict = {}
    if metadata:
        header["__metadata__"] = dict(metadata)
    data = []
    offset = 0
    for name, arr in arrays.items():
        code = _CODES.get(np.dtype(arr.dtype.char)) if arr.dtype.kind in "biuf" else None
        if code is None:
            raise TypeError(f"save: '{name}' has dtype {arr.dtype}, which safetensors cannot "
                            f"store (supported: {', '.join(str(d) for d in _CODES)})")
        arr = arr.astype(arr.dtype.newbyteorder("<"), order="C", copy=False)  # keeps 0-d
        header[name] = {"dtype": code, "shape": list(arr.shape),
                        "data_offsets": [offset, offset + arr.nbytes]}
        data.append(arr.data)
        offset += arr.nbytes
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # align the data to 8 bytes, as the reference writer does
    return [len(raw).to_bytes(8, "little"), raw, *data]


#: the name of the temporary file of an atomic write of ``<target>``: ``<target>.<pid>.<8 hex
#: digits>.tmp``, in the target's directory; nothing else is ever removed as a stale one
_TMP = re.compile(r"(?P<target>.+)\.(?P<pid>[0-9]+)\.[0-9a-f]{8}\.tmp\Z")
_writing: set[str] = set()  # temporary files this process is writing now
_writing_lock = threading.Lock()


def atomic_write(path: str | os.PathLike, data) -> None:
    """Write ``data`` (bytes, or an iterable of bytes-like chunks) to ``path`` through a
    temporary file in the same directory (``<path>.<pid>.<8 hex digits>.tmp``), flushed to
    disk, then renamed over ``path``, and the directory flushed: a reader, or a run killed
    while writing, never sees a half-written file, and once it returns the new file survives
    a crash. The file gets the usual permissions (0o666 less the umask).

    A temporary file of ``path`` left by a write that was killed (its process is gone, or it
    is this process and not writing it) is removed first (:func:`remove_stale_temporaries`)."""
    path = os.fspath(path)
    remove_stale_temporaries(os.path.dirname(path) or ".", os.path.basename(path))
    tmp = f"{path}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    with _writing_lock:
        _writing.add(os.path.abspath(tmp))
    try:
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
    finally:
        with _writing_lock:
            _writing.discard(os.path.abspath(tmp))
    _fsync_directory(os.path.dirname(path) or ".")


def _fsync_directory(dirpath: str) -> None:
    """Flush a directory's entries (the rename) to disk; a no-op where directories cannot be
    opened or flushed (some file systems, other systems than POSIX)."""
    try:
        fd = os.open(dirpath, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this process: its own writes in progress are in _writing
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # someone else's process (or an unknown case): leave its file alone
    return True


def remove_stale_temporaries(dirpath: str | os.PathLike, target: str | None = None) -> list:
    """Remove the temporary files that killed atomic writes left in ``dirpath``, of ``target``
    only (a file name in ``dirpath``) or of every file; returns the paths removed.

    Only names of the form ``<name>.<pid>.<8 hex digits>.tmp`` whose writing process has ended
    are touched (a file of this process counts when this process is not writing it now), so a
    user's own ``.tmp`` files and writes in progress elsewhere are left alone."""
    dirpath = os.fspath(dirpath)
    try:
        names = os.listdir(dirpath)
    except OSError:
        return []
    removed = []
    for name in names:
        m = _TMP.match(name)
        if m is None or (target is not None and m.group("target") != target):
            continue
        full = os.path.join(dirpath, name)
        with _writing_lock:
            if os.path.abspath(full) in _writing:
                continue
        if _alive(int(m.group("pid"))) or not os.path.isfile(full):
            continue
        try:
            os.unlink(full)
        except FileNotFoundError:
            continue  # another process removed it first
        removed.append(full)
    return removed


def _check_pickle_module(fn: str, pickle_module: Any) -> None:
    if pickle_module is not None and not isinstance(pickle_module, types.ModuleType):
        raise TypeError(f"{fn}: pickle_module must be None or a module (it is unused: gradlab "
                        f"checkpoints hold no pickle), got {type(pickle_module).__name__}"
                        + ("; pass metadata by keyword (metadata=...)" if fn == "save" else ""))


# ----------------------------------------------------------------------------- reading


def load(f: str | os.PathLike | io.IOBase, map_location: Any = None, pickle_module: Any = None,
         *, weights_only: bool | None = None, mmap: bool | None = None,
         with_metadata: bool = False, **pickle_load_args: Any) -> Any:
    """Read a file written by :func:`save` (or any safetensors file) back into the object.

    ``f``: a path or a seekable binary file object (read from its current position).
    A file with gradlab's structure document gives the saved object with its types; any other
    safetensors file an ``OrderedDict`` of tensors in file order. With ``with_metadata=True``
    returns ``(obj, metadata)``, the file's other ``__metadata__`` strings.

    ``map_location``: None, ``'cpu'``, ``'cpu:0'`` or a ``torch.device``-like object whose
    ``str`` is one of those; a dict as in torch (``{'cuda:0': 'cpu'}``: entries are stored on
    ``'cpu'``, so only its ``'cpu'`` entry, if any, is looked at); or a callable
    ``fn(tensor, 'cpu')`` called for each tensor, returning a Tensor to use instead, or None to
    keep it. Any other device raises RuntimeError: gradlab computes on the CPU.
    ``weights_only`` (True, False or None) is accepted and changes nothing: nothing is ever
    unpickled, so every load is as safe as torch's ``weights_only=True``. ``mmap=True``
    memory-maps a path instead of reading it (copy-on-write: writing to a tensor never changes
    the file); a file object raises ValueError, as in torch. ``pickle_module`` and torch's
    ``pickle_load_args`` (``encoding``, ``errors``, ``fix_imports``, ``buffers``) are accepted
    and unused.

    The reader reads the header, checks all of it (see the module docstring), then reads only
    the bytes of each entry, each into its own array. Raises :class:`CheckpointError` naming the
    file and the problem for a file that is not safetensors, truncated or corrupt: header
    length past the end or over 100,000,000 bytes, header not UTF-8 JSON or a key twice in it,
    an unknown dtype, a shape that is not a list of ints >= 0 or does not match its byte
    count, entries with gaps, overlaps or out of bounds, trailing bytes, ``__metadata__`` that
    is not strings, or a structure document that refers to a missing tensor, nests too deep
    or is malformed.
    """
    _check_pickle_module("load", pickle_module)
    unknown = sorted(set(pickle_load_args) - set(_PICKLE_LOAD_ARGS))
    if unknown:
        raise TypeError(f"load() got an unexpected keyword argument {unknown[0]!r}")
    if weights_only is not None and type(weights_only) is not bool:
        raise TypeError(f"load: weights_only must be True, False or None, got {weights_only!r}")
    if mmap is not None and type(mmap) is not bool:
        raise TypeError(f"load: mmap must be True, False or None, got {mmap!r}")
    mapper = _map_location(map_location)
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        with open(path, "rb") as fh:
            src = _Source(fh, path)
            entries, metadata, start = _read_header(src)
            if mmap:
                tensors = _map_tensors(path, entries, start)
            else:
                tensors = _read_tensors(src, entries, start)
    else:
        if mmap:
            raise ValueError("load: f must be a file path in order to use the mmap argument")
        src = _Source(_readable(f), _label(f))
        entries, metadata, start = _read_header(src)
        tensors = _read_tensors(src, entries, start)
        f.seek(src.base + src.size)
    if mapper is not None:
        for name, t in tensors.items():
            moved = mapper(t, "cpu")
            if moved is not None and not isinstance(moved, Tensor):
                raise TypeError(f"load: map_location returned a {type(moved).__name__} for "
                                f"'{name}', expected a Tensor or None")
            tensors[name] = t if moved is None else moved
    text = metadata.pop(KEY, None)
    if text is None:
        obj = tensors
    else:
        try:
            obj = decode(parse_json(text), tensors)
        except (ValueError, RecursionError) as exc:  # StructureError and JSON errors
            what = "" if isinstance(exc, StructureError) else "it is not JSON: "
            raise CheckpointError(f"{src.label}: bad structure in metadata {KEY!r}: "
                                  f"{what}{exc}") from None
    return (obj, metadata) if with_metadata else obj


def _map_location(m: Any):
    """None or the callable of a ``map_location``, after checking that it asks for the CPU."""
    if m is None:
        return None
    if isinstance(m, dict):
        _device(m.get("cpu", "cpu"))
        return None
    if isinstance(m, str) or (isinstance(getattr(m, "type", None), str) and not callable(m)):
        _device(str(m))
        return None
    if callable(m):
        return m
    raise TypeError("load: map_location must be None, a device string such as 'cpu', a dict or "
                    f"a callable, got {type(m).__name__}")


def _device(s: Any) -> None:
    if str(s) in ("cpu", "cpu:0"):
        return
    kind = re.match(r"[A-Za-z_]*", str(s)).group(0) or str(s)
    raise RuntimeError(f"load: map_location {str(s)!r} asks for a device gradlab does not "
                       f"have ({kind!r}): gradlab computes on the CPU only; load with "
                       "map_location='cpu' or None")


def _label(f: Any) -> str:
    name = getattr(f, "name", None)
    return name if isinstance(name, str) else f"<{type(f).__name__}>"


def _readable(f: Any) -> Any:
    if isinstance(f, io.TextIOBase):
        raise TypeError("load: f is a file opened in text mode; open it in binary mode ('rb')")
    if not callable(getattr(f, "read", None)) or not callable(getattr(f, "seek", None)):
        raise TypeError("load: f must be a path (str or os.PathLike) or a binary file object, "
                        f"got {type(f).__name__}")
    if callable(getattr(f, "seekable", None)) and not f.seekable():
        raise io.UnsupportedOperation("load: f must be seekable (it is read by offsets); "
                                      "read its bytes into io.BytesIO(...) and load that")
    return f


class _Source:
    """Reads byte ranges of a binary file object, counted from its position when wrapped."""

    def __init__(self, f: Any, label: str) -> None:
        self.f, self.label = f, label
        self.base = f.tell()
        f.seek(0, os.SEEK_END)
        self.size = f.tell() - self.base

    def read(self, offset: int, n: int) -> bytes:
        self.f.seek(self.base + offset)
        data = self.f.read(n)
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError(f"load: {self.label} returned {type(data).__name__} from read(), "
                            "not bytes: open it in binary mode ('rb')")
        if len(data) != n:
            raise CheckpointError(f"{self.label}: truncated while reading (wanted {n} bytes at "
                                  f"{offset}, got {len(data)})")
        return data

    def readinto(self, offset: int, buf: memoryview) -> None:
        if not callable(getattr(self.f, "readinto", None)):
            buf[:] = self.read(offset, len(buf))
            return
        self.f.seek(self.base + offset)
        got = 0
        while got < len(buf):
            n = self.f.readinto(buf[got:])
            if not n:
                raise CheckpointError(f"{self.label}: truncated while reading (wanted "
                                      f"{len(buf)} bytes at {offset}, got {got})")
            got += n


def parse_json(raw: bytes | str, *, unicode: bool = False) -> Any:
    """Strict JSON: UTF-8, no NaN/Infinity literals, no key twice in an object; with
    ``unicode=True`` also no string holding a lone surrogate (``"\\ud800"``: JSON allows the
    escape, the safetensors header does not; gradlab's own documents keep such strings).

    Duplicate keys are found without a Python call per key/value pair: the text is parsed by
    the C parser, counting the distinct keys of every object it builds; every key of the text
    is followed by a ``:``, so when the text holds no more ``:`` than distinct keys, no key
    was repeated. Otherwise (a repeated key, or ``:`` inside strings) it is parsed again with
    a hook that sees each object's pairs and names the repeated key."""
    def constant(name: str) -> None:
        raise json.JSONDecodeError(f"{name} is not JSON", "", 0)

    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    keys = 0

    def counted(obj: dict) -> dict:
        nonlocal keys
        keys += len(obj)
        return obj

    out = json.loads(text, object_hook=counted, parse_constant=constant)
    if unicode and _SURROGATE.search(text):
        _check_unicode(out)
    if text.count(":") == keys:
        return out

    def pairs(items: list) -> dict:
        out = dict(items)
        if len(out) != len(items):
            seen: set = set()
            dup = next(k for k, _ in items if k in seen or seen.add(k))
            raise json.JSONDecodeError(f"key {dup!r} appears twice in an object", "", 0)
        return out

    return json.loads(text, object_pairs_hook=pairs, parse_constant=constant)


#: a ``\\uD800``-``\\uDFFF`` escape, which JSON decodes to a surrogate unless it is half of a pair
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def _check_unicode(obj: Any) -> None:
    """Refuse a string (key or value, at any depth) holding a lone surrogate: JSON text may
    escape one, but it is not Unicode text (the reference reader refuses it too)."""
    stack = [obj]
    while stack:
        node = stack.pop()
        items = node.items() if type(node) is dict else enumerate(node) \
            if type(node) is list else ()
        for k, v in items:
            for text in (k, v):
                if type(text) is str:
                    try:
                        text.encode("utf-8")
                    except UnicodeEncodeError:
                        raise json.JSONDecodeError(
                            f"the string {text!r} holds a lone surrogate escape (not Unicode "
                            "text)", "", 0) from None
            if type(v) in (dict, list):
                stack.append(v)


def _read_header(src: _Source) -> tuple[list, dict, int]:
    """The checked entries ``[(name, numpy dtype, shape, start, end)]`` in header order, the
    ``__metadata__`` dict and where the data starts; raises CheckpointError.

    Everything is checked here, before any tensor is allocated: the header length against the
    bound and the file size, the header as strict UTF-8 JSON (an object, no key twice), each
    entry (dtype, shape, offsets, byte count), the entries tiling the data from 0 without gaps
    or overlaps up to the end of the file. The number of entries is bounded by the header
    length (each takes more than 40 bytes of JSON), and the checks are linear in it."""
    where = src.label
    if src.size < 8:
        raise CheckpointError(f"{where}: not a safetensors file (only {src.size} bytes; the "
                              "8-byte header length is missing)")
    n = int.from_bytes(src.read(0, 8), "little")
    if n > _MAX_HEADER:
        raise CheckpointError(f"{where}: not a safetensors file (header length {n} exceeds "
                              f"the {_MAX_HEADER}-byte bound of the format)")
    if n > src.size - 8:
        raise CheckpointError(f"{where}: not a safetensors file or truncated (header length "
                              f"{n} exceeds the {src.size - 8} bytes that follow)")
    try:
        with _collector_paused(n > _MANY):
            header = parse_json(src.read(8, n), unicode=True)
    except UnicodeDecodeError as exc:
        raise CheckpointError(f"{where}: not a safetensors file (its header is not UTF-8: "
                              f"{exc})") from None
    except (ValueError, RecursionError, MemoryError) as exc:  # JSONDecodeError is a ValueError
        what = ("nested too deeply" if isinstance(exc, RecursionError)
                else "too large to parse" if isinstance(exc, MemoryError) else str(exc))
        raise CheckpointError(f"{where}: not a safetensors file (its header is not JSON: "
                              f"{what})") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{where}: the header is not a JSON object (it is a JSON "
                              f"{type(header).__name__})")
    metadata = header.pop("__metadata__", None)
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise CheckpointError(f"{where}: __metadata__ must map strings to strings, got a JSON "
                              f"{type(metadata).__name__}")
    for k, v in metadata.items():
        if type(v) is not str:
            raise CheckpointError(f"{where}: __metadata__ must map strings to strings, but "
                                  f"{k!r} maps to {_short(v)}")
    with _collector_paused(n > _MANY):
        entries = [_entry(where, name, info) for name, info in header.items()]
    del header
    size = src.size - 8 - n
    ordered = entries
    if any(entries[i][3] > entries[i + 1][3] for i in range(len(entries) - 1)):
        ordered = sorted(entries, key=lambda e: (e[3], e[4]))
    expected = 0
    for name, _, _, start, end in ordered:
        if start != expected:
            raise CheckpointError(
                f"{where}: tensor '{name}' starts at byte {start} but the data before it ends "
                f"at {expected}: entries must follow each other without gaps or overlaps")
        if end > size:
            raise CheckpointError(f"{where}: truncated: tensor '{name}' needs bytes up to {end} "
                                  f"but the file holds {size} after the header")
        expected = end
    if expected != size:
        raise CheckpointError(f"{where}: {size - expected} trailing bytes after the last "
                              "tensor (corrupt file)")
    return entries, metadata, 8 + n


def _short(v: Any) -> str:
    """A JSON value for a message, cut to 60 characters."""
    text = repr(v) if not isinstance(v, (dict, list)) else json.dumps(v)[:61]
    return text if len(text) <= 60 else text[:57] + "..."


#: little-endian dtype of each code, checked once
_LE = {code: np.dtype(t).newbyteorder("<") for code, t in _DTYPES.items()}


def _entry(where: str, name: str, info: Any) -> tuple:
    if type(info) is not dict:
        raise CheckpointError(f"{where}: tensor '{name}' is described by {_short(info)}, not by "
                              "an object with dtype, shape and data_offsets")
    code = info.get("dtype")
    dt = _LE.get(code) if type(code) is str else None
    if dt is None:
        if code in _FOREIGN:
            raise CheckpointError(f"{where}: tensor '{name}' has dtype {code}, which gradlab "
                                  f"tensors cannot hold (they hold {', '.join(_DTYPES)})")
        if code is None and "dtype" not in info:
            raise CheckpointError(f"{where}: tensor '{name}' has no dtype")
        raise CheckpointError(f"{where}: tensor '{name}' has unknown dtype {_short(code)}")
    shape = info.get("shape")
    count = 1
    if type(shape) is not list:
        count = -1
    else:
        for d in shape:
            if type(d) is not int or d < 0:
                count = -1
                break
            count *= d
    if count < 0:
        raise CheckpointError(f"{where}: tensor '{name}' has shape {_short(shape)}, not a list "
                              "of sizes >= 0")
    offsets = info.get("data_offsets")
    if (type(offsets) is not list or len(offsets) != 2
            or type(offsets[0]) is not int or type(offsets[1]) is not int):
        raise CheckpointError(f"{where}: tensor '{name}' has no valid data_offsets "
                              f"(got {_short(offsets)}, expected [start, end])")
    start, end = offsets
    if start < 0 or end < start:
        raise CheckpointError(f"{where}: tensor '{name}' has invalid data_offsets "
                              f"[{start}, {end})")
    nbytes = count * dt.itemsize
    if end - start != nbytes:
        raise CheckpointError(f"{where}: tensor '{name}' has inconsistent data offsets "
                              f"[{start}, {end}) for shape {shape} and dtype {code} (which "
                              f"take {nbytes} bytes)")
    return name, dt, tuple(shape), start, end


def _read_tensors(src: _Source, entries: list, base: int) -> OrderedDict:
    """Each entry read into its own array (the caller owns it; the file can change or go)."""
    out: OrderedDict = OrderedDict()
    with _collector_paused(len(entries) > _MANY // 64):
        for name, dt, shape, start, end in entries:
            arr = np.empty(shape, dtype=dt)
            if end > start:
                src.readinto(base + start, memoryview(arr).cast("B"))
            if not dt.isnative:
                arr = arr.astype(dt.newbyteorder("="))
            out[name] = from_numpy(arr)
    return out


#: a header longer than this (in bytes; 64 bytes of JSON an entry, for entry counts) is read
#: with the cycle collector paused
_MANY = 1 << 20


@contextlib.contextmanager
def _collector_paused(pause: bool):
    """Pause Python's cycle collector while a big header's objects are made: they hold no
    cycles, and each collection would walk all of them made so far again (it doubles the time
    of a header of a million entries). The collector is enabled again after, if it was."""
    if not pause or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _map_tensors(path: str, entries: list, base: int) -> OrderedDict:
    """Tensors that are views of a copy-on-write memory map of the file (torch's mmap=True
    with shared=False): pages are read when touched, writes stay in memory."""
    mm = np.asarray(np.memmap(path, dtype=np.uint8, mode="c"))
    out: OrderedDict = OrderedDict()
    for name, dt, shape, start, end in entries:
        arr = mm[base + start:base + end].view(dt)
        out[name] = from_numpy(arr.astype(dt.newbyteorder("="), copy=False).reshape(shape))
    return out
