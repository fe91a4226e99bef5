"""Creating tensors: from data, filled, ranges and random samples (PyTorch's signatures)."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import backend
from .backend import Generator
from .tensor import Tensor, _sizes, as_array, from_numpy


def _finish(arr: np.ndarray, requires_grad: bool) -> Tensor:
    t = from_numpy(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _float_dtype(dtype) -> np.dtype:
    return (backend.get_default_dtype() if dtype is None else backend.to_dtype(dtype)).np


def tensor(data: Any, *, dtype=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, numbers, arrays or tensors).

    Python floats become float32 (the default dtype), ints int64, bools bool; NumPy arrays keep
    their dtype.
    """
    return _finish(np.array(as_array(data, dtype), copy=True), requires_grad)


def as_tensor(data: Any, dtype=None) -> Tensor:
    """Like :func:`tensor`, but shares memory with a NumPy array or tensor where it can."""
    if isinstance(data, Tensor) and (dtype is None or backend.to_dtype(dtype).np ==
                                     data.data.dtype):
        return data
    return from_numpy(as_array(data, dtype))


def zeros(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    return _finish(np.zeros(_sizes(size), dtype=_float_dtype(dtype)), requires_grad)


def ones(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    return _finish(np.ones(_sizes(size), dtype=_float_dtype(dtype)), requires_grad)


def empty(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    return _finish(np.empty(_sizes(size), dtype=_float_dtype(dtype)), requires_grad)


def full(size, fill_value, *, dtype=None, requires_grad: bool = False) -> Tensor:
    """Filled with ``fill_value``; the dtype follows it (float -> float32, int -> int64)."""
    if dtype is None:
        dtype = (backend.bool_ if isinstance(fill_value, bool) else
                 backend.int64 if isinstance(fill_value, int) else backend.get_default_dtype())
    return _finish(np.full(_sizes((size,)), fill_value, dtype=backend.to_dtype(dtype).np),
                   requires_grad)


def zeros_like(input: Tensor, *, dtype=None, requires_grad: bool = False) -> Tensor:
    return _finish(np.zeros(input.shape, dtype=_like_dtype(input, dtype)), requires_grad)


def ones_like(input: Tensor, *, dtype=None, requires_grad: bool = False) -> Tensor:
    return _finish(np.ones(input.shape, dtype=_like_dtype(input, dtype)), requires_grad)


def empty_like(input: Tensor, *, dtype=None, requires_grad: bool = False) -> Tensor:
    return _finish(np.empty(input.shape, dtype=_like_dtype(input, dtype)), requires_grad)


def full_like(input: Tensor, fill_value, *, dtype=None, requires_grad: bool = False) -> Tensor:
    return _finish(np.full(input.shape, fill_value, dtype=_like_dtype(input, dtype)),
                   requires_grad)


def _like_dtype(input: Tensor, dtype) -> np.dtype:
    return input.data.dtype if dtype is None else backend.to_dtype(dtype).np


def arange(start, end=None, step=1, *, dtype=None, requires_grad: bool = False) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 unless a bound is float."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(f"arange: upper bound and larger bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        dtype = backend.get_default_dtype() if is_float else backend.int64
    npdt = backend.to_dtype(dtype).np
    n = int(np.ceil((end - start) / step))
    return _finish((start + step * np.arange(n, dtype=np.float64)).astype(npdt)
                   if npdt.kind == "f" else np.arange(start, end, step, dtype=npdt), requires_grad)


def linspace(start: float, end: float, steps: int, *, dtype=None,
             requires_grad: bool = False) -> Tensor:
    if steps < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative, got {steps}")
    return _finish(np.linspace(start, end, steps).astype(_float_dtype(dtype)), requires_grad)


def eye(n: int, m: int | None = None, *, dtype=None, requires_grad: bool = False) -> Tensor:
    return _finish(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad)


# ------------------------------------------------------------------ random


def rand(*size, generator: Generator | None = None, dtype=None,
         requires_grad: bool = False) -> Tensor:
    """Samples from U[0, 1)."""
    arr = backend.rng(generator).random(_sizes(size), dtype=np.float64)
    return _finish(arr.astype(_float_dtype(dtype)), requires_grad)


def randn(*size, generator: Generator | None = None, dtype=None,
          requires_grad: bool = False) -> Tensor:
    """Samples from N(0, 1)."""
    arr = backend.rng(generator).standard_normal(_sizes(size))
    return _finish(arr.astype(_float_dtype(dtype)), requires_grad)


def randint(low: int, high: int | None = None, size=None, *,
            generator: Generator | None = None, dtype=None) -> Tensor:
    """Integers uniformly from [low, high) (``randint(high, size)`` starts at 0)."""
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint: missing the size argument, e.g. randint(0, 10, (3,))")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if high <= low:
        raise RuntimeError(f"randint: expects 'from' < 'to', got from={low} >= to={high}")
    arr = backend.rng(generator).integers(low, high, size=_sizes((size,)))
    return from_numpy(arr.astype(backend.int64.np if dtype is None
                                   else backend.to_dtype(dtype).np))


def rand_like(input: Tensor, *, generator=None, dtype=None) -> Tensor:
    return rand(*input.shape, generator=generator, dtype=dtype or input.dtype)


def randn_like(input: Tensor, *, generator=None, dtype=None) -> Tensor:
    return randn(*input.shape, generator=generator, dtype=dtype or input.dtype)


def randint_like(input: Tensor, low: int, high: int | None = None, *, generator=None,
                 dtype=None) -> Tensor:
    return randint(low, high, tuple(input.shape), generator=generator,
                   dtype=dtype or input.dtype)


def randperm(n: int, *, generator: Generator | None = None, dtype=None) -> Tensor:
    """A random permutation of 0..n-1."""
    arr = backend.rng(generator).permutation(n)
    return from_numpy(arr.astype(backend.int64.np if dtype is None
                                   else backend.to_dtype(dtype).np))


def bernoulli(input: Tensor, *, generator: Generator | None = None) -> Tensor:
    """0/1 samples with the probabilities in ``input``."""
    r = backend.rng(generator).random(input.shape)
    return from_numpy(np.asarray(r < input.data).astype(input.data.dtype))  # 0-d: an array
