"""Helpers shared by the op families: dimension checks and clear error messages."""

from __future__ import annotations

import functools
import inspect

import numpy as np

#: torch's names of the dtypes, as its error messages spell them
TORCH_DTYPE_NAME = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
                    "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
                    "bool": "Bool"}


def _prefix(op: str | None) -> str:
    return f"{op}: " if op else ""


def norm_dim(dim: int, ndim: int, op: str | None = None) -> int:
    """Wrap a negative dim; IndexError in PyTorch's words when it is out of range (prefixed
    with the op's name when ``op`` is given)."""
    lo, hi = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{_prefix(op)}dim must be an int, got {type(dim).__name__} "
                        f"({dim!r})")
    if dim < lo or dim > hi:
        raise IndexError(f"{_prefix(op)}Dimension out of range (expected to be in range of "
                         f"[{lo}, {hi}], but got {dim})")
    return int(dim) % max(ndim, 1)


def norm_dims(dim, ndim: int, op: str | None = None) -> tuple | None:
    """None (all dims), an int or a sequence of ints -> a sorted tuple of non-negative dims."""
    if dim is None:
        return None
    if isinstance(dim, (int, np.integer)) and not isinstance(dim, bool):
        dim = (dim,)
    if not isinstance(dim, (tuple, list)):
        raise TypeError(f"{_prefix(op)}dim must be an int or a tuple of ints, got "
                        f"{type(dim).__name__} ({dim!r})")
    dims = tuple(norm_dim(d, ndim, op) for d in dim)
    if ndim == 0:
        return ()  # dim 0 / -1 of a 0-d tensor names no axis of the array: nothing to reduce
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"{_prefix(op)}dim {tuple(dim)} appears multiple times in the list "
                           "of dims")
    return tuple(sorted(dims))


def reduce_dims(dim, ndim: int, op: str | None = None) -> tuple | None:
    """Dims of sum/mean/var/std/logsumexp: like :func:`norm_dims`, but an empty sequence means
    all dims (None), as in PyTorch."""
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        return None
    return norm_dims(dim, ndim, op)


def check_floating(arr, op: str, kernel: str | None = None, hint: str = "cast it with "
                   ".float()") -> None:
    """Refuse a non-floating input array where ``op`` computes only in floating point, with
    torch's NotImplementedError (``"kernel" not implemented for 'Long'``)."""
    if arr.dtype.kind != "f":
        name = TORCH_DTYPE_NAME.get(arr.dtype.name, arr.dtype.name)
        raise NotImplementedError(f'{op}: "{kernel or op}" not implemented for \'{name}\': '
                                  f"input of dtype {arr.dtype} (expected a floating point "
                                  f"dtype; {hint})")


def broadcast_error(op: str):
    """An ``error`` hook for binary ops: names the op and both shapes."""

    def error(arrays, kwargs, exc):
        shapes = [np.shape(a) for a in arrays]
        try:
            np.broadcast_shapes(*shapes)
        except ValueError:
            return RuntimeError(f"{op}: shapes {' and '.join(str(tuple(s)) for s in shapes)} "
                                "cannot be broadcast together (sizes must match or be 1, "
                                "aligned from the last dimension)")
        return None

    return staticmethod(error)


def keepdim_shape(shape: tuple, dims: tuple | None) -> tuple:
    """The shape a reduction over ``dims`` has with ``keepdim=True``."""
    if dims is None:
        return (1,) * len(shape)
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def numpy_names(fn):
    """Decorator: accept NumPy's ``axis=`` for ``dim=`` and ``keepdims=`` for ``keepdim=``
    where ``fn`` has those parameters, as torch's native functions and methods do (its argument
    parser's NumPy aliases: ``torch.sum(x, axis=0, keepdims=True)``). Giving a name and its
    alias together is a TypeError, as in torch."""
    params = inspect.signature(fn).parameters
    aliases = tuple((a, r) for a, r in (("axis", "dim"), ("keepdims", "keepdim")) if r in params)
    name = fn.__name__

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if kwargs:
            for alias, real in aliases:
                if alias in kwargs:
                    if real in kwargs:
                        raise TypeError(f"{name}() got an unexpected keyword argument "
                                        f"'{alias}' (it is an alias of '{real}', given too)")
                    kwargs[real] = kwargs.pop(alias)
        return fn(*args, **kwargs)

    return wrapper
