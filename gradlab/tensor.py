"""The Tensor: an n-dimensional array (``.array``, a NumPy array) that remembers how it was made.

Every method is a thin call into ``ops/``; nothing here computes a derivative. Names, signatures
and semantics follow ``torch.Tensor``: ``.data`` is a Tensor sharing memory outside the graph,
``.numpy()`` the NumPy view. gradlab's one addition is ``.array``, the NumPy array itself, which
the library's own code uses (``w.array -= lr * w.grad.array`` works on raw arrays).
"""

from __future__ import annotations

import copy
import warnings
import weakref
from collections import namedtuple
from collections.abc import Callable
from operator import attrgetter
from typing import Any

import numpy as np

from . import _device, autograd, backend
from . import _shared_memory as _shm
from .autograd.array_function import ArrayFunction, _Version
from .backend import dtype as _dtype
from .ops import activation as A
from .ops import elementwise as E
from .ops import linalg as L
from .ops import reduce as R
from .ops import sampling as Smp
from .ops import shape as S
from .ops._names import rename
from .ops._util import check_floating, norm_dim, norm_dims, numpy_names, reduce_dims

_FLOAT, _INT, _BOOL = 2, 1, 0

max_return = namedtuple("max", ["values", "indices"])
min_return = namedtuple("min", ["values", "indices"])


class Size(tuple):
    """A tensor's shape: a tuple that prints like PyTorch's ``torch.Size``."""

    def __repr__(self) -> str:
        return f"gradlab.Size({list(self)})"

    def numel(self) -> int:
        return int(np.prod(self, dtype=np.int64))


# ------------------------------------------------------------------ dtype rules
# The one place for them: dtype inference from Python data (as_array), PyTorch's promotion for
# binary ops (promote_operands), and Python scalars as "weak" operands (scalar_or_tensor).


def dtype_category(d: np.dtype) -> int:
    """The promotion category of a NumPy dtype: bool < integer < floating."""
    k = d.kind
    return _FLOAT if k in "fc" else (_BOOL if k == "b" else _INT)


def as_array(data: Any, dtype=None) -> np.ndarray:
    """Convert Python data or arrays to an owned ndarray with PyTorch's dtype inference."""
    if isinstance(data, Tensor):
        arr = data.array
    elif isinstance(data, np.ndarray):
        arr = data
    else:
        if isinstance(data, (list, tuple)):
            data = [d.array if isinstance(d, Tensor) else d for d in data] if any(
                isinstance(d, Tensor) for d in data) else data
        if data is None:
            raise RuntimeError("tensor: Could not infer dtype of NoneType (data must be a "
                               "number, a nested sequence of numbers, an array or a tensor)")
        try:
            arr = np.asarray(data)
        except ValueError:
            raise ValueError(f"tensor: {_ragged_message(data)}") from None
        if arr.dtype == np.float64 and not _has_numpy_f64(data) and dtype is None:
            # Python floats take the default dtype; with a dtype given they go straight to it
            # (tensor([0.1], dtype=float64) holds the double 0.1, not float32's 0.1 widened)
            arr = arr.astype(backend.get_default_dtype().np)
        elif arr.dtype.kind in "iu" and arr.dtype != np.uint8:
            arr = arr.astype(np.int64)
        elif arr.dtype.kind in "OUS":
            bad = "str" if arr.dtype.kind in "US" else _first_non_number(data)
            raise TypeError(f"tensor: invalid data type '{bad}': could not infer a numeric dtype "
                            f"from {type(data).__name__} data (NumPy made {arr.dtype})")
    if dtype is not None:
        arr = arr.astype(dtype_arg(dtype, "tensor").np, copy=False)
    else:
        backend.from_numpy_dtype(arr.dtype)  # raises for unsupported dtypes
    return arr


def _ragged_message(data) -> str:
    """torch's words for a nested sequence that is not rectangular."""
    def walk(d, dim):
        if not isinstance(d, (list, tuple)) or not d:
            return None
        lens = [len(x) if isinstance(x, (list, tuple)) else None for x in d]
        for n in lens[1:]:
            if n != lens[0]:
                return f"expected sequence of length {lens[0]} at dim {dim + 1} (got {n})"
        for x in d:
            r = walk(x, dim + 1)
            if r:
                return r
        return None
    return walk(data, 0) or "data is not a rectangular nested sequence of numbers"


def _first_non_number(data) -> str:
    if isinstance(data, (list, tuple)):
        for d in data:
            r = _first_non_number(d)
            if r:
                return r
        return ""
    if isinstance(data, (int, float, bool, np.generic, np.ndarray, Tensor)):
        return ""
    return type(data).__name__


def dtype_arg(dtype, op: str) -> _dtype:
    """``dtype=`` of ``op`` as a gradlab dtype; TypeError naming the op for anything else."""
    try:
        return backend.to_dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"{op}: argument 'dtype' must be a dtype, got {type(dtype).__name__} "
                        f"({exc})") from None


def tensor_arg(x, op: str, name: str = "input") -> None:
    """TypeError, as torch's argument parser, when ``x`` is not a Tensor."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(x).__name__}")


def _has_numpy_f64(data) -> bool:
    if isinstance(data, (np.floating, np.ndarray)):
        return data.dtype == np.float64
    if isinstance(data, (list, tuple)) and data:
        return _has_numpy_f64(data[0])
    return False


def scalar_or_tensor(x, op: str | None = None):
    """Python numbers pass through (they are 'weak' in type promotion); arrays become tensors."""
    if isinstance(x, (Tensor, int, float, bool)):
        return x
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, (np.ndarray, list, tuple)):
        return Tensor._wrap(as_array(x))
    raise TypeError(f"{op + ': ' if op else ''}unsupported operand type: {type(x).__name__} "
                    "(expected a Tensor or a number)")


def promote_operands(a: Tensor, b):
    """PyTorch's type promotion for a binary op: cast operands so NumPy computes in its dtype.

    Categories bool < int < float. Dimensioned tensors decide over 0-d tensors of the same
    category, and tensors over Python scalars; a Python float with an integer tensor gives the
    default float dtype.
    """
    if isinstance(b, Tensor):
        da, db = a.array.dtype, b.array.dtype
        if da == db:
            return a, b
        za, zb = a.array.ndim == 0, b.array.ndim == 0
        if za == zb:
            ca, cb = dtype_category(da), dtype_category(db)
            # across categories the higher one's dtype wins (int64 + float32 -> float32)
            dt = np.promote_types(da, db) if ca == cb else (da if ca > cb else db)
        else:
            (dd, zd) = (db, da) if za else (da, db)
            dt = zd if dtype_category(zd) > dtype_category(dd) else dd
        return (a if da == dt else a.to(dt)), (b if db == dt else b.to(dt))
    if isinstance(b, float) and dtype_category(a.array.dtype) != _FLOAT:
        return a.to(backend.get_default_dtype()), b
    if isinstance(b, bool):
        return a, b
    if isinstance(b, int) and a.array.dtype == np.bool_:
        return a.to(backend.int64), b
    return a, b


def _binary(fn: type[ArrayFunction], a: Tensor, b):
    b = scalar_or_tensor(b, fn.__name__.lower())
    if type(b) is not float or a.array.dtype.kind != "f":
        a, b = promote_operands(a, b)
    return fn.apply(a, b)


def _rbinary(fn: type[ArrayFunction], a: Tensor, b):
    b = scalar_or_tensor(b, fn.__name__.lower())
    if isinstance(b, Tensor):
        return _binary(fn, b, a)
    a, b = promote_operands(a, b)
    return fn.apply(b, a)


def _rounding_fn(rounding_mode, op: str) -> type[ArrayFunction]:
    """The op of ``div``'s ``rounding_mode`` (None, 'trunc' or 'floor', as torch's)."""
    if rounding_mode is None:
        return E.Div
    if not isinstance(rounding_mode, str):
        raise TypeError(f"{op}: argument 'rounding_mode' must be str or None, not "
                        f"{type(rounding_mode).__name__}")
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError(f"{op}: expected rounding_mode to be one of None, 'trunc', or "
                           f"'floor' but found {rounding_mode!r}")
    return E.DivFloor if rounding_mode == "floor" else E.DivTrunc


def _check_not_bool(a: Tensor, b, op: str, mode: str) -> None:
    """torch has no rounded division of two booleans (NotImplementedError)."""
    b_bool = isinstance(b, bool) or (isinstance(b, Tensor) and b.array.dtype == np.bool_)
    if a.array.dtype == np.bool_ and b_bool:
        raise NotImplementedError(f"{op}: \"div_{mode}_cpu\" not implemented for 'Bool' "
                                  "(both operands are bool)")


_TORCH_NAMES = {"equal": "eq", "not_equal": "ne", "less": "lt", "less_equal": "le",
                "greater": "gt", "greater_equal": "ge"}


def _compare(op: Callable, a: Tensor, b) -> Tensor:
    if not isinstance(b, (Tensor, int, float, np.ndarray, np.generic, list, tuple)):
        name = _TORCH_NAMES.get(op.__name__, op.__name__)
        if name in ("eq", "ne"):  # as torch: == with a non-number is False, != True
            return NotImplemented
        raise TypeError(f"{name}: unsupported operand type {type(b).__name__} (expected a "
                        "Tensor or a number)")
    if isinstance(b, (Tensor, int, float, np.ndarray, np.generic)):
        # compare in torch's promoted dtype (float32 [0.1] == float64 0-d 0.1 is True)
        with autograd.no_grad():
            a, b = promote_operands(a, scalar_or_tensor(b))
    b = b.array if isinstance(b, Tensor) else b
    try:
        return Tensor._wrap(op(a.array, b))
    except ValueError:
        raise RuntimeError(f"{_TORCH_NAMES.get(op.__name__, op.__name__)}: shapes "
                           f"{list(a.shape)} and {list(np.shape(b))} cannot be broadcast "
                           "together") from None


def _int_or_tensor_index(x) -> Any:
    if isinstance(x, Tensor):
        return x.array
    if isinstance(x, (list, tuple)) and not any(
            isinstance(v, (slice, type(None), type(Ellipsis))) for v in x):
        return np.asarray([v.item() if isinstance(v, Tensor) else v for v in x])
    return x


def _norm_index(idx) -> tuple:
    """A PyTorch index (ints, slices, None, ..., lists, int or bool tensors) as a NumPy index."""
    if isinstance(idx, list) and len(idx) < 32 and any(
            isinstance(i, (list, tuple, slice, Tensor, np.ndarray)) or i is None or i is Ellipsis
            for i in idx):
        idx = tuple(idx)  # torch (as old NumPy) reads x[[[0, 1], [2, 2]]] as x[[0, 1], [2, 2]]
    if not isinstance(idx, tuple):
        idx = (idx,)
    out = []
    for i in idx:
        if isinstance(i, slice) and i.step is not None:
            step = i.step.item() if isinstance(i.step, Tensor) else i.step
            if step == 0:
                raise ValueError("index: slice step cannot be zero (got step 0)")
            if step < 0:
                raise ValueError(f"index: step must be greater than zero, got step {step} "
                                 "(negative slice steps are not supported)")
        if isinstance(i, str):
            raise TypeError(f"index: invalid index of type str ({i!r}): only integers, slices, "
                            "ellipsis, None and long, int, byte or bool tensors are valid")
        if isinstance(i, float):
            raise IndexError(f"index: only integers, slices (`:`), ellipsis (`...`), None and "
                             f"long or byte Variables are valid indices (got float {i})")
        i = _int_or_tensor_index(i)
        if isinstance(i, np.ndarray):
            if i.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool "
                                 f"tensors, got {i.dtype}")
            if i.ndim == 0 and i.dtype != np.bool_:
                i = int(i)
        out.append(i)
    return tuple(out)


class _EllipsisSlice:
    """A full slice that a ``...`` stood for, among several ``...``."""


def _ellipses(idx: tuple, ndim: int) -> tuple:
    """An index with several ``...`` as torch reads it: each one stands for the dimensions the
    other entries leave (ndim - the dimensions they index), and those that land past the last
    dimension are dropped (x[..., 1, ...] is x[..., 1]). Where torch's reading is stranger (more
    entries than dimensions, an advanced index, an entry past the end) the index is left as it
    is, and indexing refuses it (IndexError: a single ellipsis). At most one ``...``: as is."""
    if sum(i is Ellipsis for i in idx) < 2:
        return idx
    def width(i):
        if i is None or i is Ellipsis:
            return 0
        if isinstance(i, np.ndarray) and i.dtype == np.bool_:
            return i.ndim
        return 1
    free = ndim - sum(width(i) for i in idx)
    if free < 0 or any(isinstance(i, np.ndarray) for i in idx):
        return idx  # torch's reading wraps around or moves the advanced index: refused here
    out: list = []
    for i in idx:
        out.extend([_EllipsisSlice] * free if i is Ellipsis else [i])
    used = sum(width(i) for i in out)
    while used > ndim and out and out[-1] is _EllipsisSlice:
        out.pop()
        used -= 1
    return tuple(slice(None) if i is _EllipsisSlice else i for i in out)


def _sizes(size, op: str | None = None) -> tuple:
    """Accept ``f(2, 3)`` and ``f((2, 3))`` forms of a size argument."""
    if len(size) == 1 and isinstance(size[0], (tuple, list, Size)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"{op + ': ' if op else ''}size must be a sequence of ints, got "
                            f"{size!r} (an element of type {type(s).__name__})")
    return tuple(int(s) for s in size)


def _check_index_range(idx: np.ndarray, shape: tuple, dim: int, op: str) -> None:
    """torch's bounds check for ``gather``/``scatter_add``/``index_select``: every index in
    ``[0, shape[dim])`` (NumPy would wrap a negative one round silently). index_select raises
    IndexError, the others RuntimeError, as torch's."""
    if idx.size == 0:
        return
    size = shape[dim] if shape else 1
    lo, hi = int(idx.min()), int(idx.max())
    if lo >= 0 and hi < size:
        return
    bad = lo if lo < 0 else hi
    if op == "index_select":
        raise IndexError(f"index_select: index out of range in self: index {bad} is out of "
                         f"bounds for dimension {dim} with size {size} (expected 0 <= index < "
                         f"{size})")
    raise RuntimeError(f"{op}: index {bad} is out of bounds for dimension {dim} with size "
                       f"{size} (expected 0 <= index < {size})")


def _new_sizes(size, op: str) -> tuple:
    """:func:`_sizes` for a tensor about to be created by ``op``: no negative dimension."""
    sizes = _sizes(size, op)
    for s in sizes:
        if s < 0:
            raise RuntimeError(f"{op}: Trying to create tensor with negative dimension {s}: "
                               f"{list(sizes)} (size must be non-negative)")
    return sizes


class Tensor:
    """An n-dimensional array with reverse-mode automatic differentiation.

    Attributes:
        array: the values, the NumPy array itself (float32 unless asked otherwise), shape
            ``self.shape``. gradlab's addition to torch's API: zero-copy NumPy access that,
            unlike ``numpy()``, never refuses (also when ``requires_grad``), and that can be
            rebound. ``array`` is short, says exactly what it holds (an ``np.ndarray``), and
            does not collide with torch's names (``data``, ``values()``, ``storage()``).
            Writing into it is not seen by autograd (like writing through ``.data``).
        data: as in torch, a Tensor that shares ``array`` but is outside the graph
            (``requires_grad=False``, no ``grad_fn``); assigning a Tensor to it rebinds
            ``array`` to that tensor's array.
        grad: after ``backward()``, a Tensor of the same shape holding d(output)/d(self)
            (leaves only, unless ``retain_grad()`` was called).
        requires_grad: whether ops on this tensor record a graph.
        grad_fn: the node that made this tensor (None for leaves).
    """

    __slots__ = ("array", "_grad", "_requires_grad", "_ctx", "_out_idx", "_version", "_hooks",
                 "_is_view", "__weakref__", "__dict__")

    __array_priority__ = 1000
    __array_ufunc__ = None  # makes ``ndarray + Tensor`` call Tensor.__radd__

    def __init__(self, data: Any = (), *, dtype=None, requires_grad: bool = False) -> None:
        self.array = np.array(as_array(data, dtype), copy=True)
        self._grad = None
        self._requires_grad = False
        self._ctx = None
        self._out_idx = 0
        self._version = _Version()
        self._hooks = None
        self._is_view = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, arr) -> Tensor:
        """Wrap an ndarray without copying (internal fast path)."""
        t = object.__new__(Tensor)
        t.array = arr if type(arr) is np.ndarray else np.asarray(arr)
        t._grad = None
        t._requires_grad = False
        t._ctx = None
        t._out_idx = 0
        t._version = _Version()
        t._hooks = None
        t._is_view = False
        return t

    # ------------------------------------------------------------------ attributes
    def _set_requires_grad(self, value: bool) -> None:
        """``t.requires_grad = value``: leaves only (a graph result refuses, as torch's);
        gradlab's own code writes the ``_requires_grad`` slot directly."""
        if self._ctx is not None:
            if value:
                raise RuntimeError("requires_grad: you can only change requires_grad flags of "
                                   "leaf variables (got requires_grad=True on a non-leaf "
                                   f"made by {type(self._ctx).__name__})")
            raise RuntimeError("requires_grad: you can only change requires_grad flags of leaf "
                               "variables. If you want to use a computed variable in a subgraph "
                               "that doesn't require differentiation use var_no_grad = "
                               f"var.detach() (got requires_grad={value!r} on a non-leaf made "
                               f"by {type(self._ctx).__name__})")
        self.requires_grad_(bool(value))

    requires_grad = property(attrgetter("_requires_grad"), _set_requires_grad,
                             doc="Whether ops on this tensor record a graph.")

    def _set_grad(self, value) -> None:
        """``t.grad = value``: None, or a Tensor of this tensor's shape and dtype (torch's
        checks); the autograd engine writes the ``_grad`` slot directly."""
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError("grad: assigned grad expected to be a Tensor or None but got "
                                f"grad of type {type(value).__module__}.{type(value).__name__}"
                                if type(value).__module__ != "builtins" else
                                "grad: assigned grad expected to be a Tensor or None but got "
                                f"grad of type {type(value).__name__}")
            if value.array.shape != self.array.shape:
                raise RuntimeError(f"grad: attempting to assign a gradient of size "
                                   f"'{list(value.array.shape)}' to a tensor of size "
                                   f"'{list(self.array.shape)}'. Please ensure that the "
                                   "gradient and the tensor are the same size")
            if value.array.dtype != self.array.dtype:
                raise RuntimeError(f"grad: attempting to assign a gradient with dtype "
                                   f"'{value.dtype}' to a tensor with grad_dtype "
                                   f"'{self.dtype}'. The gradient must match the tensor's "
                                   "grad_dtype (the tensor's dtype)")
        self._grad = value

    grad = property(attrgetter("_grad"), _set_grad,
                    doc="d(output)/d(self) after ``backward()`` (a Tensor of self's shape and "
                        "dtype), or None.")

    @property
    def shape(self) -> Size:
        return Size(self.array.shape)

    @numpy_names
    def size(self, dim: int | None = None):
        """The shape, or the size of one dimension."""
        if dim is None:
            return Size(self.array.shape)
        return self.array.shape[norm_dim(dim, self.array.ndim, "size")]

    @property
    def ndim(self) -> int:
        return self.array.ndim

    def dim(self) -> int:
        return self.array.ndim

    def numel(self) -> int:
        return int(self.array.size)

    nelement = numel

    @property
    def dtype(self) -> _dtype:
        return backend.from_numpy_dtype(self.array.dtype)

    @property
    def device(self) -> _device.device:
        """Where the data lives: always ``device(type='cpu')``."""
        return _device.CPU

    is_cpu = True
    is_cuda = False
    is_mps = False
    is_meta = False

    def get_device(self) -> int:
        """-1: the CPU, as torch answers for a CPU tensor."""
        return -1

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def grad_fn(self):
        return self._ctx

    @property
    def _base_version(self) -> int:
        return self._version.v

    def is_floating_point(self) -> bool:
        return self.array.dtype.kind == "f"

    def element_size(self) -> int:
        return self.array.itemsize

    def is_contiguous(self) -> bool:
        return bool(self.array.flags.c_contiguous)

    @numpy_names
    def stride(self, dim: int | None = None):
        st = tuple(s // self.array.itemsize for s in self.array.strides)
        return st if dim is None else st[norm_dim(dim, self.array.ndim, "stride")]

    @property
    def T(self) -> Tensor:
        return self.permute(*range(self.ndim - 1, -1, -1))

    @property
    def mT(self) -> Tensor:
        return self.transpose(-2, -1)

    # ------------------------------------------------------------------ conversion
    def item(self):
        """The single value as a Python number."""
        if self.array.size != 1:
            raise RuntimeError(f"item: a Tensor with {self.array.size} elements cannot be "
                               "converted to Scalar")
        return self.array.reshape(-1)[0].item()

    def tolist(self):
        return self.array.tolist()

    @property
    def data(self) -> Tensor:
        """torch's ``Tensor.data``: a plain Tensor sharing this tensor's array (no copy),
        ``requires_grad=False``, no ``grad_fn``, with its own version counter, so in-place
        changes through it (``p.data.add_(g, alpha=-lr)``) write this tensor's values and
        are not tracked by autograd (a graph that saved the array sees the new values)."""
        return Tensor._wrap(self.array)

    @data.setter
    def data(self, value: Tensor) -> None:
        """``t.data = other``: t now holds other's array (no copy; shape and dtype may
        change), as torch. A NumPy array is refused, as torch refuses one: assign to
        ``t.array`` for that."""
        if not isinstance(value, Tensor):
            raise TypeError(f"Tensor.data: Variable data has to be a tensor, but got "
                            f"{type(value).__module__}.{type(value).__name__} (to set a NumPy "
                            "array, assign it to Tensor.array)")
        if self.requires_grad and value.array.dtype.kind not in "fc":
            raise RuntimeError("Tensor.data: data set to a tensor that requires gradients must "
                               f"be floating point or complex dtype (got {value.dtype})")
        self.array = value.array

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The values as a NumPy array sharing memory (PyTorch refuses when grad is tracked)."""
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        return self.array

    def __array__(self, dtype=None, copy=None):
        arr = self.array
        if dtype is not None:
            arr = arr.astype(dtype, copy=False)
        return arr.copy() if copy else arr

    def to(self, *args, **kwargs) -> Tensor:
        """``to(device=None, dtype=None, non_blocking=False, copy=False)``, ``to(dtype, ...)``
        or ``to(other, ...)``: self where nothing changes (a copy with ``copy=True``), else a
        differentiable cast. A device other than the CPU raises RuntimeError."""
        dt, copy_ = backend.to_args(args, kwargs, "Tensor.to")
        npdt = self.array.dtype if dt is None else dt.np
        if npdt == self.array.dtype:
            return self.clone() if copy_ else self
        if self.requires_grad and npdt.kind != "f":
            return Tensor._wrap(self.array.astype(npdt))
        return E.Cast.apply(self, npdt)

    def type(self, dtype=None):
        """``type()``: the type's name; ``type(dtype)``: a cast, as ``to(dtype)``. A string
        names a gradlab dtype (``'gradlab.float64'``, ``'float64'``)."""
        if dtype is None:
            return f"gradlab.{self.dtype.name}"
        if isinstance(dtype, str):
            name = dtype[len("gradlab."):] if dtype.startswith("gradlab.") else dtype
            try:
                dt = backend.to_dtype(name)
            except TypeError:
                raise ValueError(f"type: invalid type: {dtype!r} (expected a dtype or its "
                                 "name, e.g. 'gradlab.float64')") from None
            return self.to(dt)
        if any(dtype is t for t in (float, int, bool, complex)):
            raise ValueError(f"type: invalid type: {dtype.__name__!r} (a Python type names no "
                             "tensor type here; pass a dtype such as gradlab.float64)")
        try:
            dt = backend.to_dtype(dtype)
        except TypeError:
            raise TypeError(f"type: dtype must be a type, str, or dtype object, got "
                            f"{type(dtype).__name__} ({dtype!r})") from None
        return self.to(dt)

    def type_as(self, other: Tensor) -> Tensor:
        tensor_arg(other, "type_as", "other")
        return self.to(other.array.dtype)

    def float(self) -> Tensor:
        return self.to(backend.float32)

    def double(self) -> Tensor:
        return self.to(backend.float64)

    def half(self) -> Tensor:
        return self.to(backend.float16)

    def long(self) -> Tensor:
        return self.to(backend.int64)

    def int(self) -> Tensor:
        return self.to(backend.int32)

    def bool(self) -> Tensor:
        return self.to(backend.bool_)

    def cpu(self, memory_format=None) -> Tensor:
        """Self: the data is on the CPU already."""
        return self

    def cuda(self, device=None, non_blocking: bool = False, memory_format=None) -> Tensor:
        """Raises RuntimeError: gradlab computes on the CPU."""
        raise _device.cuda_refusal(device, "Tensor.cuda")

    def pin_memory(self, device=None) -> Tensor:
        """Raises RuntimeError as torch does without an accelerator (pinned memory only speeds
        copies to one)."""
        raise _device.DeviceUnavailableError(
            f"Tensor.pin_memory: {_device.NO_ACCELERATOR} gradlab computes on the CPU, where "
            "pinned memory has no use; drop the pin_memory() call")

    def is_pinned(self, device=None) -> bool:
        """False: nothing is pinned without an accelerator."""
        return False

    def share_memory_(self) -> Tensor:
        return _shm.share_tensor_(self)

    def is_shared(self) -> bool:
        return _shm.is_shared(self.array)

    def __len__(self) -> int:
        if self.array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.array.shape[0]

    def __iter__(self):
        if self.array.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self) -> bool:
        if self.array.size != 1:
            raise RuntimeError(f"bool: Boolean value of Tensor with {self.array.size} values is "
                               "ambiguous")
        return bool(self.array.reshape(-1)[0])

    def _scalar(self, op: str):
        if self.array.size != 1:
            raise ValueError(f"{op}: only one element tensors can be converted to Python "
                             f"scalars, got a tensor with {self.array.size} elements")
        return self.item()

    def __float__(self) -> float:
        return float(self._scalar("float"))

    def __int__(self) -> int:
        return int(self._scalar("int"))

    def __index__(self) -> int:
        if self.array.dtype.kind not in "iub" or self.array.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.item())

    __hash__ = object.__hash__

    def __format__(self, spec: str) -> str:
        """torch's rule: a 0-d Tensor formats as its Python number, anything else as object."""
        if self.array.ndim == 0 and type(self) is Tensor:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __repr__(self) -> str:
        from ._format import format_tensor

        return format_tensor(self)

    def __deepcopy__(self, memo: dict) -> Tensor:
        """``copy.deepcopy`` of a leaf: new memory, same class (a Parameter stays one),
        requires_grad, grad and attributes; graph results refuse, as in torch."""
        if self._ctx is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol; call .detach() first")
        if id(self) in memo:
            return memo[id(self)]
        new = object.__new__(type(self))
        memo[id(self)] = new
        new.array = self.array.copy()
        new.grad = None if self.grad is None else copy.deepcopy(self.grad, memo)
        new._requires_grad = self._requires_grad
        new._ctx = None
        new._out_idx = 0
        new._version = _Version()
        new._hooks = None
        new._is_view = False
        new.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return new

    def __reduce_ex__(self, protocol):
        return _shm.reduce_tensor(Tensor, self)

    # ------------------------------------------------------------------ autograd
    def backward(self, gradient: Tensor | None = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs=None) -> None:
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        ``gradient`` is required unless self has one element; the graph's saved arrays are
        freed afterwards unless ``retain_graph=True``.
        """
        autograd.backward(self, gradient, retain_graph, create_graph, inputs)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place (leaves only; floating-point dtypes only)."""
        if requires_grad and self.array.dtype.kind != "f":
            raise RuntimeError("requires_grad: only Tensors of floating point dtype can require "
                               f"gradients (got {self.dtype})")
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If "
                               "you want to use a computed variable in a subgraph that doesn't "
                               "require differentiation use var_no_grad = var.detach().")
        self._requires_grad = bool(requires_grad)
        return self

    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's data (and version counter), with no graph."""
        t = Tensor._wrap(self.array)
        t._version = self._version
        return t

    def detach_(self) -> Tensor:
        self._ctx = None
        self._requires_grad = False
        return self

    def retain_grad(self) -> None:
        """Make a non-leaf tensor keep its ``.grad`` after ``backward``."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._ctx is None:
            return
        if self._ctx.retained is None:
            self._ctx.retained = {}
        self._ctx.retained[self._out_idx] = weakref.ref(self)

    @property
    def retains_grad(self) -> bool:
        c = self._ctx
        return c is not None and bool(c.retained) and self._out_idx in c.retained

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor
        replaces the gradient. Returns a handle whose ``remove()`` unregisters it."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that doesn't "
                               "require gradient")
        if self._ctx is None:
            if self._hooks is None:
                self._hooks = []
            lst = self._hooks
        else:
            if self._ctx.hooks is None:
                self._ctx.hooks = {}
            lst = self._ctx.hooks.setdefault(self._out_idx, [])
        lst.append(hook)
        return _HookHandle(lst, hook)

    def register_post_accumulate_grad_hook(self, hook: Callable[[Tensor], None]):
        """Call ``hook(self)`` after backward has added this leaf's gradient into ``.grad``
        (as soon as that gradient is complete, before the rest of backward has run). Returns
        a handle whose ``remove()`` unregisters it."""
        if self._ctx is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require "
                               "gradient")
        return _HookHandle(autograd.engine.add_post_accumulate_grad_hook(self, hook), hook)

    # ------------------------------------------------------------------ in-place
    def _check_inplace(self, op: str = "in-place operation") -> None:
        if self._is_view and self.requires_grad and autograd._mode.enabled:
            raise RuntimeError(f"{op}: an in-place operation on a view of a tensor that requires "
                               "grad is not supported by gradlab; use the out-of-place op")
        if self._ctx is None and self.requires_grad and autograd._mode.enabled:
            raise RuntimeError(f"{op}: a leaf Variable that requires grad is being used in an "
                               "in-place operation. (Wrap it in gradlab.no_grad() to update it.)")

    def _assume(self, out: Tensor, op: str = "in-place operation") -> Tensor:
        """Become ``out``: an in-place op on a graph tensor is recorded as an out-of-place op
        whose result takes over this tensor (the old values stay alive for the graph)."""
        if out.array.shape != self.array.shape:
            raise RuntimeError(f"{op}: output with shape {list(self.array.shape)} doesn't match "
                               f"the broadcast shape {list(out.array.shape)}")
        self.array = out.array.astype(self.array.dtype, copy=False)
        self._requires_grad = out._requires_grad
        self._ctx, self._out_idx = out._ctx, out._out_idx
        # the old array is untouched (graphs that saved it stay valid): a fresh counter
        fresh = _Version()
        fresh.v = self._version.v + 1
        self._version = fresh
        return self

    def _snapshot(self) -> Tensor:
        t = Tensor._wrap(self.array)
        t._requires_grad, t._ctx, t._out_idx, t._version = (self._requires_grad, self._ctx,
                                                           self._out_idx, self._version)
        return t

    def _inplace(self, fn: type[ArrayFunction], ufunc, other, op: str) -> Tensor:
        self._check_inplace(op)
        other = scalar_or_tensor(other, op)
        o = other.array if isinstance(other, Tensor) else other
        try:
            out_shape = np.broadcast_shapes(self.array.shape, np.shape(o))
        except ValueError:
            out_shape = None
        if out_shape != self.array.shape:
            raise RuntimeError(f"{op}: output with shape {list(self.shape)} doesn't match the "
                               f"broadcast shape "
                               f"{list(out_shape) if out_shape is not None else 'of'} "
                               f"({list(self.shape)} and {list(np.shape(o))})")
        with autograd.no_grad():
            res = promote_operands(self, other)[0].array.dtype
        if fn is E.Div and res.kind != "f":
            res = backend.get_default_dtype().np
        if dtype_category(res) > dtype_category(self.array.dtype):
            raise RuntimeError(f"{op}: result type {res} can't be cast to the desired output "
                               f"type {self.array.dtype}")
        graph = autograd._mode.enabled and (
            self.requires_grad or (isinstance(other, Tensor) and other.requires_grad))
        if graph:
            return self._assume(_binary(fn, self._snapshot(), other), op)
        ufunc(self.array, o, out=self.array, casting="unsafe")
        self._version.v += 1
        return self

    def add_(self, other, *, alpha=1) -> Tensor:
        return self._inplace(E.Add, np.add, other if alpha == 1 else other * alpha, "add_")

    def sub_(self, other, *, alpha=1) -> Tensor:
        return self._inplace(E.Sub, np.subtract, other if alpha == 1 else other * alpha, "sub_")

    def mul_(self, other) -> Tensor:
        return self._inplace(E.Mul, np.multiply, other, "mul_")

    def div_(self, other, *, rounding_mode=None) -> Tensor:
        """In-place :meth:`div`; with a rounding mode an integer tensor stays integer."""
        fn = _rounding_fn(rounding_mode, "div_")
        if fn is E.Div:
            return self._inplace(E.Div, np.true_divide, other, "div_")
        _check_not_bool(self, other, "div_", rounding_mode)
        return self._inplace(fn, E.floor_divide_arrays if fn is E.DivFloor
                             else E.trunc_divide_arrays, other, "div_")

    def floor_divide_(self, other) -> Tensor:
        _check_not_bool(self, other, "floor_divide_", "floor")
        return self._inplace(E.FloorDivide, E.floor_divide_arrays, other, "floor_divide_")

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_
    __ifloordiv__ = floor_divide_

    def _overwrite(self, values: np.ndarray, op: str) -> Tensor:
        self._check_inplace(op)
        if self.requires_grad and autograd._mode.enabled:
            # stays in the graph with a zero gradient to the old values (torch's ZeroBackward)
            return self._assume(S.IndexPut.apply(self._snapshot(), (Ellipsis,), values), op)
        self.array[...] = values
        self._version.v += 1
        return self

    def _apply_(self, fn: type[ArrayFunction], *args) -> Tensor:
        """An in-place op: in a graph recorded out of place (the result takes over self),
        otherwise written into self's array (its views see it)."""
        self._check_inplace(f"{fn.__name__.lower()}_")
        if self.requires_grad and autograd._mode.enabled:
            return self._assume(fn.apply(self._snapshot(), *args))
        self.array[...] = fn.apply(self, *args).array
        self._version.v += 1
        return self

    def tril_(self, diagonal: int = 0) -> Tensor:
        return self._apply_(S.Tril, diagonal)

    def triu_(self, diagonal: int = 0) -> Tensor:
        return self._apply_(S.Triu, diagonal)

    def zero_(self) -> Tensor:
        return self._overwrite(np.zeros((), self.array.dtype), "zero_")

    def fill_(self, value) -> Tensor:
        if isinstance(value, Tensor):
            if value.ndim != 0:
                raise RuntimeError(f"fill_: only supports 0-dimension value tensor but got tensor "
                                   f"with {value.ndim} dimensions (shape {list(value.shape)})")
            value = value.item()
        elif isinstance(value, (str, bytes)) or not isinstance(value, (int, float, np.number)):
            raise TypeError(f"fill_: argument 'value' must be a number or a 0-d Tensor, not "
                            f"{type(value).__name__}")
        return self._overwrite(np.asarray(value), "fill_")

    def copy_(self, src) -> Tensor:
        """Copy ``src``'s values (broadcast, cast to self's dtype) into self."""
        src = scalar_or_tensor(src, "copy_")
        if isinstance(src, Tensor) and src.requires_grad and autograd._mode.enabled:
            self._check_inplace("copy_")
            src = src.expand(*self.shape).to(self.array.dtype)
            # self stays in the graph: its old values get a zero gradient, src gets g
            return self._assume(S.IndexPut.apply(self._snapshot(), (Ellipsis,), src), "copy_")
        try:
            return self._overwrite(src.array if isinstance(src, Tensor) else np.asarray(src),
                                   "copy_")
        except ValueError:
            raise RuntimeError(f"copy_: src of shape {list(np.shape(src))} cannot be broadcast "
                               f"to {list(self.shape)}") from None

    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator=None) -> Tensor:
        """Fill with samples from U(a, b)."""
        if a > b:
            raise RuntimeError(f"uniform_: expects to return a [from, to) range, but found "
                               f"from={a} > to={b}")
        self._check_inplace("uniform_")
        r = backend.rng(generator).random(self.array.shape, dtype=np.float64)
        return self._overwrite((a + (b - a) * r).astype(self.array.dtype), "uniform_")

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
        """Fill with samples from N(mean, std^2)."""
        if std < 0:
            raise RuntimeError(f"normal_: expects std >= 0.0, but found std {std}")
        self._check_inplace("normal_")
        r = backend.rng(generator).standard_normal(self.array.shape)
        return self._overwrite((mean + std * r).astype(self.array.dtype), "normal_")

    def multinomial(self, num_samples: int, replacement: bool = False, *,
                    generator=None) -> Tensor:
        """Category indices drawn with probabilities proportional to the weights in each row
        (see ``ops/sampling.py``). Shape: (K,) -> (num_samples,); (rows, K) -> (rows,
        num_samples); int64, no gradient."""
        return from_numpy(Smp.multinomial(self.array, num_samples, replacement,
                                          backend.rng(generator, "multinomial")))

    def clamp_(self, min=None, max=None) -> Tensor:
        self._check_inplace("clamp_")
        if self.requires_grad and autograd._mode.enabled:
            return self._assume(self._snapshot().clamp(min, max), "clamp_")
        np.clip(self.array, min, max, out=self.array)
        self._version.v += 1
        return self

    def __setitem__(self, idx, value) -> None:
        index = _ellipses(_norm_index(idx), self.ndim)
        if not isinstance(value, (Tensor, int, float, bool, np.generic, np.ndarray, list,
                                  tuple)):
            raise TypeError(f"index assignment: can't assign a {type(value).__name__} to a "
                            f"tensor of dtype {self.dtype} (expected a number or a tensor)")
        value = scalar_or_tensor(value, "index assignment")
        if isinstance(value, Tensor):
            value = value.to(self.array.dtype) if value.array.dtype != self.array.dtype else value
        graph = autograd._mode.enabled and (
            self.requires_grad or (isinstance(value, Tensor) and value.requires_grad))
        if graph:
            self._check_inplace("index assignment")
            self._assume(S.IndexPut.apply(self._snapshot(), index, value), "index assignment")
            return
        v = value.array if isinstance(value, Tensor) else value
        try:
            self.array[index] = v
        except (ValueError, IndexError) as exc:
            raise S.IndexPut.error([self.array, index, v], {}, exc) from None
        self._version.v += 1

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, other):
        return _binary(E.Add, self, other)

    def __radd__(self, other):
        return _binary(E.Add, self, other)  # commutative: self first, as torch's node

    def __sub__(self, other):
        return _binary(E.Sub, self, other)

    def __rsub__(self, other):
        out = _rbinary(E.Sub, self, other)
        return out if isinstance(other, Tensor) else rename(out, "RsubBackward1")

    def __mul__(self, other):
        return _binary(E.Mul, self, other)

    def __rmul__(self, other):
        return _binary(E.Mul, self, other)  # commutative: self first, as torch's node

    def __truediv__(self, other):
        a = self if self.array.dtype.kind == "f" or (
            isinstance(other, Tensor) and other.array.dtype.kind == "f") else self.float()
        return _binary(E.Div, a, other)

    def __rtruediv__(self, other):
        a = self if self.array.dtype.kind == "f" or isinstance(other, float) else self.float()
        return _rbinary(E.Div, a, other)

    def __pow__(self, other):
        out = _binary(E.Pow, self, other)
        return rename(out, "PowBackward1") if isinstance(other, Tensor) else out

    def __rpow__(self, other):
        out = _rbinary(E.Pow, self, other)
        return out if isinstance(other, Tensor) else rename(out, "PowBackward2")

    def __matmul__(self, other):
        return self.matmul(other)

    def __rmatmul__(self, other):
        a, b = promote_operands(Tensor._wrap(as_array(other)), self)
        return a._matmul(b, "matmul")

    def __neg__(self):
        return E.Neg.apply(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return E.Abs.apply(self)

    def add(self, other, *, alpha=1):
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other, *, alpha=1):
        return self - (other if alpha == 1 else other * alpha)

    def mul(self, other):
        return self * other

    def div(self, other, *, rounding_mode=None):
        """``self / other``. ``rounding_mode``: None (true division, integers give floats),
        ``'trunc'`` (rounded toward 0) or ``'floor'`` (toward -inf, as Python's ``//``); the
        rounded forms keep an integer dtype and have a zero gradient, as torch's."""
        fn = _rounding_fn(rounding_mode, "div")
        if fn is E.Div:
            return self / other
        _check_not_bool(self, other, "div", rounding_mode)
        return _binary(fn, self, other)

    divide = div
    true_divide = __truediv__

    def floor_divide(self, other):
        """``self // other``: rounded toward -inf (Python's ``//``), the integer dtype kept.
        As torch, it has no derivative (``div(other, rounding_mode='floor')`` has a zero one)."""
        _check_not_bool(self, other, "floor_divide", "floor")
        return _binary(E.FloorDivide, self, other)

    __floordiv__ = floor_divide

    def __rfloordiv__(self, other):
        _check_not_bool(self, other, "floor_divide", "floor")
        return _rbinary(E.FloorDivide, self, other)

    def pow(self, exponent):
        return self ** exponent

    def neg(self):
        return E.Neg.apply(self)

    def abs(self):
        return E.Abs.apply(self)

    def exp(self):
        return E.Exp.apply(self._floating())

    def log(self):
        return E.Log.apply(self._floating())

    def log1p(self):
        return E.Log1p.apply(self._floating())

    def sqrt(self):
        return E.Sqrt.apply(self._floating())

    def rsqrt(self):
        return E.Rsqrt.apply(self._floating())

    def sin(self):
        return E.Sin.apply(self._floating())

    def cos(self):
        return E.Cos.apply(self._floating())

    def tanh(self):
        return A.Tanh.apply(self._floating())

    def sigmoid(self):
        return A.Sigmoid.apply(self._floating())

    def relu(self):
        return A.ReLU.apply(self)

    def _floating(self) -> Tensor:
        return self if self.array.dtype.kind == "f" else self.float()

    def clamp(self, min=None, max=None):
        """Limit values to [min, max]; the gradient is 1 inside (bounds included), 0 outside."""
        if min is None and max is None:
            raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
        for name, bound in (("min", min), ("max", max)):
            if bound is not None and (isinstance(bound, (str, bytes)) or not isinstance(
                    bound, (Tensor, int, float, np.number, np.ndarray))):
                raise TypeError(f"clamp: argument '{name}' must be a number or a Tensor, not "
                                f"{type(bound).__name__} ({bound!r})")
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            # one op, not maximum/minimum: at ties the whole gradient goes to self (PyTorch)
            a = self
            for bound in (min, max):
                if bound is not None:
                    a, _ = promote_operands(a, scalar_or_tensor(bound))
            lo, hi = (b.to(a.array.dtype) if isinstance(b, Tensor) else b for b in (min, max))
            return E.Clamp.apply(a, lo, hi)
        a = self._floating() if isinstance(min, float) or isinstance(max, float) else self
        return E.Clamp.apply(a, min, max)

    clip = clamp

    def maximum(self, other):
        return _binary(E.Maximum, self, other)

    def minimum(self, other):
        return _binary(E.Minimum, self, other)

    def sign(self):
        return Tensor._wrap(np.sign(self.array))

    def clone(self):
        return E.Clone.apply(self)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        _device.check_device(device, "new_zeros")
        return _made(np.zeros(_new_sizes(size, "new_zeros"), _like(self, dtype)), requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        _device.check_device(device, "new_ones")
        return _made(np.ones(_new_sizes(size, "new_ones"), _like(self, dtype)), requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        _device.check_device(device, "new_empty")
        return _made(np.empty(_new_sizes(size, "new_empty"), _like(self, dtype)), requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None,
                 requires_grad: bool = False) -> Tensor:
        _device.check_device(device, "new_full")
        return _made(np.full(_new_sizes((_size_arg(size),), "new_full"), _value(fill_value),
                             _like(self, dtype)), requires_grad)

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        _device.check_device(device, "new_tensor")
        return _made(np.array(as_array(_copied(data), _like(self, dtype))), requires_grad)

    # ------------------------------------------------------------------ comparisons
    def __eq__(self, other):  # type: ignore[override]
        return _compare(np.equal, self, other)

    def __ne__(self, other):  # type: ignore[override]
        return _compare(np.not_equal, self, other)

    def __lt__(self, other):
        return _compare(np.less, self, other)

    def __le__(self, other):
        return _compare(np.less_equal, self, other)

    def __gt__(self, other):
        return _compare(np.greater, self, other)

    def __ge__(self, other):
        return _compare(np.greater_equal, self, other)

    lt, le, gt, ge = __lt__, __le__, __gt__, __ge__

    def eq(self, other):
        return self._method_compare(self.__eq__(other), "eq", other)

    def ne(self, other):
        return self._method_compare(self.__ne__(other), "ne", other)

    @staticmethod
    def _method_compare(out, op: str, other):
        """``t.eq(x)``/``t.ne(x)``: unlike ``==``, a non-number ``x`` is a TypeError (torch)."""
        if out is NotImplemented:
            raise TypeError(f"{op}(): argument 'other' must be a Tensor or a number, not "
                            f"{type(other).__name__}")
        return out

    def _logical(self, op, other=None):
        if other is None:
            return Tensor._wrap(op(self.array))
        return _compare(op, self, other)

    # bitwise on the promoted dtype: bool & bool is bool, bool & int64 is int64 (as torch)
    def __and__(self, other):
        return self._logical(np.bitwise_and, other)

    def __or__(self, other):
        return self._logical(np.bitwise_or, other)

    def __xor__(self, other):
        return self._logical(np.bitwise_xor, other)

    def __invert__(self):
        if self.array.dtype.kind == "f":
            raise TypeError("~ (bitwise not) is only defined for integer and bool tensors")
        return self._logical(np.invert)

    def logical_and(self, other):
        return self._logical(np.logical_and, other)

    def logical_or(self, other):
        return self._logical(np.logical_or, other)

    def logical_xor(self, other):
        return self._logical(np.logical_xor, other)

    def logical_not(self):
        return self._logical(np.logical_not)

    def isnan(self):
        return Tensor._wrap(np.isnan(self.array))

    def isinf(self):
        return Tensor._wrap(np.isinf(self.array))

    def isfinite(self):
        return Tensor._wrap(np.isfinite(self.array))

    @numpy_names
    def all(self, dim=None, keepdim: bool = False):
        return Tensor._wrap(np.all(self.array, axis=norm_dims(dim, self.ndim, "all"),
                                   keepdims=keepdim))

    @numpy_names
    def any(self, dim=None, keepdim: bool = False):
        return Tensor._wrap(np.any(self.array, axis=norm_dims(dim, self.ndim, "any"),
                                   keepdims=keepdim))

    def allclose(self, other, rtol: float = 1e-05, atol: float = 1e-08,
                 equal_nan: bool = False) -> bool:
        o = np.asarray(other)
        try:
            np.broadcast_shapes(self.array.shape, o.shape)
        except ValueError:
            raise RuntimeError(f"allclose: shapes {list(self.shape)} and {list(o.shape)} cannot "
                               "be broadcast together") from None
        return bool(np.allclose(self.array, o, rtol, atol, equal_nan))

    def equal(self, other) -> bool:
        o = np.asarray(other)
        return self.array.shape == o.shape and bool(np.array_equal(self.array, o))

    # ------------------------------------------------------------------ linear algebra
    def matmul(self, other):
        """Matrix product with PyTorch's rules for 1-D, 2-D and batched (broadcast) operands."""
        if isinstance(other, np.ndarray):  # a NumPy operand is promoted, as in `x + array`
            return Tensor._matmul(*promote_operands(self, Tensor._wrap(as_array(other))),
                                  "matmul")
        if not isinstance(other, Tensor):
            raise TypeError("matmul: argument 'other' must be Tensor, not "
                            f"{type(other).__name__}")
        return self._matmul(other, "matmul")

    def _matmul(self, other: Tensor, op: str):
        """``self @ other`` for ``op`` (matmul, mm, bmm, dot). torch wants one dtype: gradlab
        refuses an integer or bool operand with a floating one, and computes two floating
        dtypes in the wider one (float32 data through a float64 model)."""
        a, b = self, other
        if a.array.dtype != b.array.dtype:
            if a.array.dtype.kind != "f" or b.array.dtype.kind != "f":
                raise RuntimeError(f"{op}: expected both operands to have the same dtype, but "
                                   f"got {a.array.dtype} and {b.array.dtype}")
            a, b = promote_operands(a, b)
        L.check_matmul(a.array.shape, b.array.shape, op)
        out = L.Matmul.apply(a, b)
        if a.array.ndim != 2 or b.array.ndim != 2:  # torch's node names for the other cases
            nd = (a.array.ndim, b.array.ndim)
            name = {(2, 1): "MvBackward0", (1, 1): "DotBackward0", (3, 3): "BmmBackward0"}.get(nd)
            if name is not None:
                rename(out, name)
        return out

    def mm(self, mat2):
        tensor_arg(mat2, "mm", "mat2")
        if self.ndim != 2 or mat2.ndim != 2:
            raise RuntimeError(f"mm: expected 2-D tensors, got shapes {list(self.shape)} and "
                               f"{list(mat2.shape)}")
        return self._matmul(mat2, "mm")

    def bmm(self, mat2):
        tensor_arg(mat2, "bmm", "mat2")
        if self.ndim != 3 or mat2.ndim != 3 or self.shape[0] != mat2.shape[0]:
            raise RuntimeError(f"bmm: expected 3-D tensors with the same batch size, got shapes "
                               f"{list(self.shape)} and {list(mat2.shape)}")
        return self._matmul(mat2, "bmm")

    def dot(self, other):
        tensor_arg(other, "dot", "tensor")
        if self.ndim != 1 or other.ndim != 1:
            raise RuntimeError(f"dot: 1D tensors expected, but got {self.ndim}D and "
                               f"{other.ndim}D tensors")
        return self._matmul(other, "dot")

    def norm(self, p="fro", dim=None, keepdim: bool = False, dtype=None):
        return L.VectorNorm.apply(self, *L.norm_args(p, dim, keepdim, dtype, self.ndim))

    # ------------------------------------------------------------------ reductions
    @numpy_names
    def sum(self, dim=None, keepdim: bool = False, *, dtype=None):
        """Sum over ``dim`` (int, tuple, or None for all)."""
        x = self if dtype is None else self.to(dtype)
        if x.array.dtype.kind in "biu" and dtype is None:
            x = x.to(backend.int64)
        out = R.Sum.apply(x, reduce_dims(dim, self.ndim, "sum"), keepdim)
        return out if dim is None else rename(out, "SumBackward1")

    @numpy_names
    def mean(self, dim=None, keepdim: bool = False, *, dtype=None):
        x = self if dtype is None else self.to(dtype_arg(dtype, "mean"))
        if x.array.dtype.kind != "f":
            which, got = ("Input", self.dtype) if dtype is None else ("Optional", x.dtype)
            raise RuntimeError(f"mean(): could not infer output dtype. {which} dtype must be "
                               f"either a floating point or complex dtype. Got: {got}")
        out = R.Mean.apply(x, reduce_dims(dim, self.ndim, "mean"), keepdim)
        return out if dim is None else rename(out, "MeanBackward1")

    def _check_var(self, op: str) -> None:
        if self.array.dtype.kind != "f":
            raise RuntimeError(f"{op}: std and var only support floating point and complex "
                               f"dtypes, got {self.dtype} (cast it with .float())")

    def _correction(self, unbiased, correction) -> float:
        if unbiased is not None and correction is not None:
            raise RuntimeError("var/std: pass either unbiased or correction, not both")
        if correction is None:
            correction = 1 if unbiased is None or unbiased else 0
        return correction

    @numpy_names
    def var(self, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
            correction=None):
        """Variance: sum((x - mean)^2) / (N - correction), correction=1 by default (Bessel)."""
        if isinstance(dim, bool):
            dim, unbiased = None, dim
        self._check_var("var")
        return R.Var.apply(self._floating(), reduce_dims(dim, self.ndim, "var"),
                           self._correction(unbiased, correction), keepdim)

    @numpy_names
    def std(self, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
            correction=None):
        """Standard deviation: sqrt of :meth:`var`."""
        if isinstance(dim, bool):
            dim, unbiased = None, dim
        self._check_var("std")
        return R.Std.apply(self._floating(), reduce_dims(dim, self.ndim, "std"),
                           self._correction(unbiased, correction), keepdim)

    def _maxmin(self, dim, keepdim, is_max: bool):
        name = "max" if is_max else "min"
        if isinstance(dim, Tensor):
            return self.maximum(dim) if is_max else self.minimum(dim)
        if self.array.size == 0 and dim is None:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for "
                               "input.numel() == 0. Specify the reduction dim with the 'dim' "
                               "argument.")
        _check_nonempty_dims(self, None if dim is None else (dim,), name)
        if dim is None:
            out = R.MaxMin.apply(self, None, False, is_max)
            return out if is_max else rename(out, "MinBackward1")
        vals, idx = R.MaxMinDim.apply(self, norm_dim(dim, self.ndim, name), keepdim, is_max)
        return (max_return if is_max else min_return)(vals if is_max else
                                                      rename(vals, "MinBackward0"), idx)

    @numpy_names
    def max(self, dim=None, keepdim: bool = False):
        """``max()`` the largest value; ``max(dim)`` (values, indices); ``max(other)`` maximum."""
        return self._maxmin(dim, keepdim, True)

    @numpy_names
    def min(self, dim=None, keepdim: bool = False):
        return self._maxmin(dim, keepdim, False)

    @numpy_names
    def amax(self, dim=(), keepdim: bool = False):
        """Largest values over ``dim``; the gradient is shared evenly among ties."""
        # all dims named, not None: None is max()'s reduction, whose NaN gradient differs
        dims = tuple(range(self.ndim)) if dim == () or dim is None else norm_dims(dim, self.ndim,
                                                                                  "amax")
        _check_nonempty_dims(self, dims, "amax")
        return rename(R.MaxMin.apply(self, dims, keepdim, True), "AmaxBackward0")

    @numpy_names
    def amin(self, dim=(), keepdim: bool = False):
        dims = tuple(range(self.ndim)) if dim == () or dim is None else norm_dims(dim, self.ndim,
                                                                                  "amin")
        _check_nonempty_dims(self, dims, "amin")
        return rename(R.MaxMin.apply(self, dims, keepdim, False), "AminBackward0")

    @numpy_names
    def argmax(self, dim=None, keepdim: bool = False):
        _check_nonempty_dims(self, None if dim is None else (dim,), "argmax")
        if dim is None:
            return Tensor._wrap(np.asarray(np.argmax(self.array, keepdims=keepdim), np.int64))
        return Tensor._wrap(np.argmax(self.array, axis=norm_dim(dim, self.ndim, "argmax"),
                                      keepdims=keepdim).astype(np.int64))

    @numpy_names
    def argmin(self, dim=None, keepdim: bool = False):
        _check_nonempty_dims(self, None if dim is None else (dim,), "argmin")
        if dim is None:
            return Tensor._wrap(np.asarray(np.argmin(self.array, keepdims=keepdim), np.int64))
        return Tensor._wrap(np.argmin(self.array, axis=norm_dim(dim, self.ndim, "argmin"),
                                      keepdims=keepdim).astype(np.int64))

    @numpy_names
    def logsumexp(self, dim, keepdim: bool = False):
        """log(sum(exp(x))) over ``dim``, shifted by the max so it never overflows."""
        return R.LogSumExp.apply(self._floating(), reduce_dims(dim, self.ndim, "logsumexp"),
                                 keepdim)

    @numpy_names
    def prod(self, dim=None, keepdim: bool = False):
        if dim is None:
            return R.Prod.apply(self, None, keepdim)
        return rename(R.Prod.apply(self, norm_dim(dim, self.ndim, "prod"), keepdim),
                      "ProdBackward1")

    @numpy_names
    def cumsum(self, dim: int):
        x = self.to(backend.int64) if self.array.dtype.kind in "bu" else self
        return R.Cumsum.apply(x, norm_dim(dim, self.ndim, "cumsum"))

    def _softmax_input(self, dim, dtype, op: str) -> tuple:
        d = norm_dim(dim, self.ndim, op)
        x = self if dtype is None else self.to(dtype_arg(dtype, op))
        check_floating(x.array, op, f"{op}_lastdim_kernel_impl",
                       "pass dtype= or cast it with .float()")
        return x, d

    @numpy_names
    def softmax(self, dim: int, dtype=None):
        """exp(x) / sum(exp(x)) along ``dim`` (max-shifted, so it never overflows), computed
        in ``dtype`` when given; a non-floating input needs ``dtype``, as in torch."""
        return A.Softmax.apply(*self._softmax_input(dim, dtype, "softmax"))

    @numpy_names
    def log_softmax(self, dim: int, dtype=None):
        """x - logsumexp(x) along ``dim`` (in ``dtype`` when given)."""
        return A.LogSoftmax.apply(*self._softmax_input(dim, dtype, "log_softmax"))

    # ------------------------------------------------------------------ shape
    def _resolve_shape(self, shape: tuple, op: str) -> tuple:
        shape = _sizes(shape, op)
        if shape.count(-1) > 1:
            raise RuntimeError(f"{op}: only one dimension can be inferred, got {list(shape)}")
        if -1 in shape:
            known = int(np.prod([s for s in shape if s != -1], dtype=np.int64))
            if known == 0 or self.array.size % known:
                raise RuntimeError(f"{op}: shape {list(shape)} is invalid for input of shape "
                                   f"{list(self.shape)} ({self.array.size} elements)")
            shape = tuple(self.array.size // known if s == -1 else s for s in shape)
        if int(np.prod(shape, dtype=np.int64)) != self.array.size:
            raise RuntimeError(f"{op}: shape {list(shape)} is invalid for input of shape "
                               f"{list(self.shape)} ({self.array.size} elements)")
        return shape

    def reshape(self, *shape):
        return S.Reshape.apply(self, self._resolve_shape(shape, "reshape"))

    def view(self, *shape):
        """Same data, new shape; fails (like PyTorch) where that would need a copy."""
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer, tuple, list, Size)):
            return self._view_dtype(dtype_arg(shape[0], "view").np)
        return S.View.apply(self, self._resolve_shape(shape, "view"))

    def _view_dtype(self, npdt: np.dtype) -> Tensor:
        """``view(dtype)``: the same bytes read as ``dtype`` (no cast), as torch. With another
        item size the last dim (contiguous) is rescaled; outside the graph unless the dtype is
        self's."""
        if npdt == self.array.dtype:
            return S.View.apply(self, self.array.shape)
        a, new = self.array, npdt.itemsize
        if new != a.itemsize:
            if a.ndim == 0 or (a.shape[-1] != 1 and a.strides[-1] != a.itemsize) or \
                    (a.shape[-1] * a.itemsize) % new:
                raise RuntimeError(f"view: to view a tensor of dtype {a.dtype} (shape "
                                   f"{list(a.shape)}) as {npdt}, the size of its last dim times "
                                   f"{a.itemsize} bytes must be divisible by {new} and the last "
                                   "dim must be contiguous")
        try:
            return Tensor._wrap(a.view(npdt))
        except ValueError:
            return Tensor._wrap(np.ascontiguousarray(a).view(npdt))

    def view_as(self, other):
        return self.view(other.shape)

    def reshape_as(self, other):
        return self.reshape(other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1):
        if self.ndim == 0:
            return self.reshape(1)
        s, e = norm_dim(start_dim, self.ndim, "flatten"), norm_dim(end_dim, self.ndim,
                                                                   "flatten")
        if s > e:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        sh = self.array.shape
        return self.reshape(sh[:s] + (int(np.prod(sh[s:e + 1], dtype=np.int64)),) +
                            sh[e + 1:])

    def unflatten(self, dim: int, sizes):
        d = norm_dim(dim, self.ndim, "unflatten")
        sizes = _sizes((sizes,), "unflatten")
        if sizes.count(-1) > 1:
            raise RuntimeError(f"unflatten: only one dimension can be inferred, got sizes "
                               f"{list(sizes)}")
        sh = self.array.shape
        known = int(np.prod([s for s in sizes if s != -1], dtype=np.int64))
        if -1 in sizes:
            sizes = tuple(sh[d] // known if s == -1 else s for s in sizes)
        if int(np.prod(sizes, dtype=np.int64)) != sh[d]:
            raise RuntimeError(f"unflatten: provided sizes {list(sizes)} don't multiply up to "
                               f"the size of dim {dim} ({sh[d]}) in the input tensor")
        return self.reshape(sh[:d] + sizes + sh[d + 1:])

    @numpy_names
    def squeeze(self, dim=None):
        sh = self.array.shape
        if dim is None:
            new = tuple(s for s in sh if s != 1)
        else:
            dims = norm_dims(dim, self.ndim, "squeeze")
            new = tuple(s for i, s in enumerate(sh) if not (i in dims and s == 1))
        if new == sh:
            return self
        return rename(S.Reshape.apply(self, new),
                      "SqueezeBackward0" if dim is None else "SqueezeBackward1")

    @numpy_names
    def unsqueeze(self, dim: int):
        d = norm_dim(dim, self.ndim + 1, "unsqueeze")
        sh = self.array.shape
        return rename(S.Reshape.apply(self, sh[:d] + (1,) + sh[d:]), "UnsqueezeBackward0")

    def expand(self, *sizes):
        sizes = _sizes(sizes, "expand")
        sh = self.array.shape
        if len(sizes) < len(sh):
            raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be "
                               f"greater or equal to the number of dimensions in the tensor "
                               f"({len(sh)}): size={list(sizes)} for a tensor of shape "
                               f"{list(sh)}")
        lead = len(sizes) - len(sh)
        full = tuple(sh[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes))
        if any(s < 0 for s in full):
            raise RuntimeError(f"expand: -1 is not allowed in a new leading dimension, got "
                               f"{list(sizes)}")
        return S.Expand.apply(self, full)

    def expand_as(self, other):
        return self.expand(*other.shape)

    def permute(self, *dims):
        dims = _sizes(dims, "permute") if dims and not isinstance(dims[0], (tuple, list)) \
            else _sizes((dims[0],), "permute")
        if len(dims) != self.ndim:
            raise RuntimeError(f"permute: number of dims don't match: the tensor has "
                               f"{self.ndim} dims but {len(dims)} were given ({list(dims)})")
        nd = tuple(norm_dim(d, self.ndim, "permute") for d in dims)
        if len(set(nd)) != len(nd):
            raise RuntimeError(f"permute: duplicate dims are not allowed, got dims {list(dims)}")
        return S.Permute.apply(self, nd)

    def transpose(self, dim0: int, dim1: int):
        return self._swap(dim0, dim1, "transpose")

    def swapaxes(self, axis0: int, axis1: int):
        return self._swap(axis0, axis1, "swapaxes")

    def _swap(self, dim0: int, dim1: int, op: str):
        perm = list(range(self.ndim))
        a, b = norm_dim(dim0, self.ndim, op), norm_dim(dim1, self.ndim, op)
        perm[a], perm[b] = perm[b], perm[a]
        return rename(S.Permute.apply(self, tuple(perm)), "TransposeBackward0")

    def t(self):
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                               f"{self.ndim}D")
        # a view even for 0-D and 1-D (as torch's), so it has a node of its own
        perm = (1, 0) if self.ndim == 2 else tuple(range(self.ndim))
        return rename(S.Permute.apply(self, perm), "TBackward0")

    def contiguous(self):
        return self if self.array.flags.c_contiguous else S.Contiguous.apply(self)

    def __getitem__(self, idx):
        idx = _ellipses(_norm_index(idx), self.ndim)
        out = S.Index.apply(self, idx)
        if out._ctx is not None:  # torch's node: a select for ints, a slice for slices
            kinds = {type(i) for i in idx}
            if kinds == {int}:
                rename(out, "SelectBackward0")
            elif kinds == {slice}:
                rename(out, "SliceBackward0")
        return out

    @numpy_names
    def gather(self, dim: int, index: Tensor):
        """out[i][j] = self[i][index[i][j]] for dim=1 (and likewise for other dims)."""
        d = norm_dim(dim, self.ndim, "gather")
        idx = _index_array(index, "gather")
        if idx.ndim != self.ndim:
            raise RuntimeError(f"gather: index tensor must have the same number of dimensions "
                               f"as input tensor (input {list(self.shape)}, index "
                               f"{list(idx.shape)})")
        for i, (n, s) in enumerate(zip(idx.shape, self.array.shape)):
            if i != d and n > s:
                raise RuntimeError(f"gather: Size does not match at dimension {i} expected index "
                                   f"{list(idx.shape)} to be no larger than self "
                                   f"{list(self.shape)} apart from dimension {d}")
        _check_index_range(idx, self.array.shape, d, "gather")
        return S.Gather.apply(self, d, idx)

    @numpy_names
    def scatter_add(self, dim: int, index: Tensor, src: Tensor):
        """A copy of self with ``out[i][index[i][j]] += src[i][j]`` (dim=1)."""
        d = norm_dim(dim, self.ndim, "scatter_add")
        idx = _index_array(index, "scatter_add")
        tensor_arg(src, "scatter_add", "src")
        if src.array.dtype != self.array.dtype:
            raise RuntimeError(f"scatter_add: Expected self.dtype to be equal to src.dtype, got "
                               f"{self.array.dtype} and {src.array.dtype}")
        if idx.size and not (idx.ndim == self.ndim == src.ndim):
            raise RuntimeError(f"scatter_add: Index tensor must have the same number of "
                               f"dimensions as self and src tensors: index {list(idx.shape)} "
                               f"({idx.ndim}-D), self {list(self.shape)} ({self.ndim}-D), src "
                               f"{list(src.shape)} ({src.ndim}-D)")
        if idx.size and any(n > s for n, s in zip(idx.shape, src.array.shape)) or any(
                i != d and n > s for i, (n, s) in enumerate(zip(idx.shape, self.array.shape))):
            raise RuntimeError(f"scatter_add: Expected index {list(idx.shape)} to be no larger "
                               f"than self {list(self.shape)} apart from dimension {d} and to "
                               f"be no larger than src {list(src.shape)}")
        if idx.ndim == self.ndim:
            _check_index_range(idx, self.array.shape, d, "scatter_add")
        return S.ScatterAdd.apply(self, d, idx, src)

    @numpy_names
    def index_select(self, dim: int, index: Tensor):
        idx = _index_array(index, "index_select")
        if idx.ndim > 1:
            raise IndexError(f"index_select: Index is supposed to be a vector (0-D or 1-D), got "
                             f"a {idx.ndim}-D index of shape {list(idx.shape)}")
        d = norm_dim(dim, self.ndim, "index_select")
        _check_index_range(idx, self.array.shape, d, "index_select")
        return S.IndexSelect.apply(self, d, idx.reshape(-1))

    def masked_fill(self, mask: Tensor, value):
        m = mask.array if isinstance(mask, Tensor) else np.asarray(mask)
        if m.dtype != np.bool_:
            raise RuntimeError(f"masked_fill only supports boolean masks, but got mask with "
                               f"dtype {m.dtype}")
        if isinstance(value, Tensor):
            if value.ndim != 0:
                raise RuntimeError(f"masked_fill: only supports a 0-dimensional value tensor, "
                                   f"but got tensor with {value.ndim} dimension(s) (shape "
                                   f"{list(value.shape)})")
        elif isinstance(value, (str, bytes)) or not isinstance(value, (int, float, np.number)):
            raise TypeError(f"masked_fill: argument 'value' must be a number or a 0-d Tensor, "
                            f"not {type(value).__name__}")
        try:
            np.broadcast_shapes(m.shape, self.array.shape)
        except ValueError:
            raise RuntimeError(f"masked_fill: mask of shape {list(m.shape)} cannot be broadcast "
                               f"with the input's shape {list(self.shape)}") from None
        # the result keeps self's dtype, whatever the value's (as torch)
        return E.Where.apply(m, value.to(self.array.dtype), self) if isinstance(value, Tensor) \
            else E.Where.apply(m, np.asarray(value, dtype=self.array.dtype), self)

    def split(self, split_size_or_sections, dim: int = 0):
        d = norm_dim(dim, self.ndim, "split")
        n = self.array.shape[d]
        if isinstance(split_size_or_sections, (int, np.integer)) and not isinstance(
                split_size_or_sections, bool):
            step = int(split_size_or_sections)
            if step < 0:
                raise RuntimeError(f"split: split expects split_size be non-negative, but got "
                                   f"split_size={step}")
            if step == 0 and n > 0:
                raise RuntimeError(f"split: split_size can only be 0 if dimension size is 0, "
                                   f"but got split_size=0 and dimension size {n}")
            bounds = [(i, min(i + step, n)) for i in range(0, n, step)] or [(0, 0)]
        else:
            if not isinstance(split_size_or_sections, (tuple, list, Size)):
                raise TypeError(f"split: split_size_or_sections must be an int or a list of "
                                f"ints, got {type(split_size_or_sections).__name__} "
                                f"({split_size_or_sections!r})")
            sizes = list(_sizes((split_size_or_sections,), "split"))
            if any(s < 0 for s in sizes):
                raise RuntimeError(f"split: split_with_sizes expects split_sizes have only "
                                   f"non-negative entries, but got split_sizes={sizes}")
            if sum(sizes) != n:
                raise RuntimeError(f"split: split_with_sizes expects split_sizes to sum exactly "
                                   f"to {n} (input tensor's size at dimension {dim}), but got "
                                   f"split_sizes={sizes}")
            starts = np.cumsum([0] + sizes)
            bounds = list(zip(starts[:-1].tolist(), starts[1:].tolist()))
        pre = (slice(None),) * d
        return tuple(self[pre + (slice(a, b),)] for a, b in bounds)

    @numpy_names
    def chunk(self, chunks: int, dim: int = 0):
        if chunks <= 0:
            raise RuntimeError(f"chunk: chunks must be greater than 0, got {chunks}")
        n = self.array.shape[norm_dim(dim, self.ndim, "chunk")]
        return self.split(max(-(-n // chunks), 1), dim)

    @numpy_names
    def unbind(self, dim: int = 0):
        d = norm_dim(dim, self.ndim, "unbind")
        pre = (slice(None),) * d
        return tuple(self[pre + (i,)] for i in range(self.array.shape[d]))

    def repeat(self, *sizes):
        sizes = _sizes(sizes, "repeat")
        if len(sizes) < self.ndim:
            raise RuntimeError(f"repeat: number of repeat dims can not be smaller than number "
                               f"of dimensions of tensor (got {len(sizes)} repeats {list(sizes)} "
                               f"for a {self.ndim}-D tensor)")
        if any(r < 0 for r in sizes):
            raise RuntimeError(f"repeat: repeats must be non-negative, got {list(sizes)}")
        x = self.reshape((1,) * (len(sizes) - self.ndim) + self.array.shape)
        # repeat = expand over a new axis before each dim, then merge the pairs
        sh = x.array.shape
        inter = []
        for r, s in zip(sizes, sh):
            inter += [r, s]
        y = x.reshape(tuple(v for s in sh for v in (1, s))).expand(*inter)
        return y.reshape(tuple(r * s for r, s in zip(sizes, sh)))

    def tril(self, diagonal: int = 0):
        return S.Tril.apply(self, diagonal)

    def triu(self, diagonal: int = 0):
        return S.Triu.apply(self, diagonal)

    def roll(self, shifts, dims=None):
        return S.Roll.apply(self, *S.roll_args(self.array.shape, shifts, dims))

    @numpy_names
    def narrow(self, dim: int, start, length: int):
        return self[S.narrow_index(self.array.shape, dim, start, length)]



def from_numpy(arr: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``arr`` (changes to one show in the other), as
    ``torch.from_numpy``: no copy, the array's dtype kept. This is also how the library's own
    modules turn an array they computed into a tensor. Raises TypeError for anything but an
    ndarray of a supported dtype."""
    if type(arr) is not np.ndarray:
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"from_numpy: expected np.ndarray (got {type(arr).__name__})")
        arr = np.asarray(arr)  # a subclass (np.matrix, a memmap): the plain array view
    try:
        backend.from_numpy_dtype(arr.dtype)
    except TypeError as exc:
        raise TypeError(f"from_numpy: can't convert np.ndarray of dtype {arr.dtype}: "
                        f"{exc}") from None
    return Tensor._wrap(arr)

# Tensor.new_zeros and its kin: self's dtype unless ``dtype`` is given
def _made(arr: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor._wrap(arr)
    return t.requires_grad_() if requires_grad else t


def _like(t: Tensor, dtype) -> np.dtype:
    return t.array.dtype if dtype is None else backend.to_dtype(dtype).np


def _size_arg(size) -> tuple:
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"new_full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__}")
    return _sizes((size,))


def _value(v):
    return v.item() if isinstance(v, Tensor) else v


def _copied(data):
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use "
                      "sourceTensor.detach().clone() or sourceTensor.detach().clone()"
                      ".requires_grad_(True), rather than tensor.new_tensor(sourceTensor).",
                      UserWarning, stacklevel=3)
        return data.array
    return data


def _check_nonempty_dims(t: Tensor, dims, op: str) -> None:
    """torch's IndexError for a reduction with no identity over an empty dimension (all
    dims when ``dims`` is None)."""
    if t.array.size:
        return
    if dims is None:
        if op in ("argmax", "argmin"):
            raise IndexError(f"{op}(): Expected reduction dim to be specified for input.numel() "
                             "== 0 (the input has shape "
                             f"{list(t.shape)})")
        return
    for d in dims:
        d = norm_dim(d, t.ndim, op)
        if t.ndim and t.array.shape[d] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size (input "
                             f"of shape {list(t.shape)})")


def _index_array(index, op: str) -> np.ndarray:
    idx = index.array if isinstance(index, Tensor) else np.asarray(index)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): Expected dtype int64 for index, got {idx.dtype}")
    return idx.astype(np.int64, copy=False)


class _HookHandle:
    def __init__(self, lst: list, hook) -> None:
        self._lst, self._hook = lst, hook

    def remove(self) -> None:
        if self._hook in self._lst:
            self._lst.remove(self._hook)


autograd.register_tensor_type(Tensor)
