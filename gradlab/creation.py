"""Creating tensors: from data, filled, ranges and random samples (PyTorch's signatures).

Each takes torch's ``device=``: None or the CPU (``'cpu'``, ``'cpu:0'``, ``gradlab.device('cpu')``)
is accepted, any other device raises RuntimeError (``gradlab._device.check_device``).

Those that take ``out=`` in torch do here too: the values are made in ``out``'s dtype (a
``dtype`` that differs is an error), ``out`` is resized silently to the size asked for (torch
warns only in ``arange``), and with grad mode on an ``out`` that requires grad is refused."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from . import autograd, backend
from ._device import check_device
from .backend import Generator
from .ops._util import TORCH_DTYPE_NAME
from .tensor import Tensor, _new_sizes, as_array, dtype_arg, from_numpy, tensor_arg


def _finish(arr: np.ndarray, requires_grad: bool, out: Tensor | None = None,
            op: str = "") -> Tensor:
    if out is not None:
        if autograd.is_grad_enabled() and out.requires_grad:
            raise RuntimeError(f"aten::{op}(): functions with out=... arguments don't support "
                               "automatic differentiation, but one of the arguments requires "
                               "grad.")
        if out.array.shape != arr.shape:
            if out._is_view:
                raise RuntimeError(f"{op}(): out= of shape {list(out.shape)} is a view and the "
                                   f"result has shape {list(arr.shape)}: gradlab cannot resize "
                                   "a view")
            out.array = np.empty(arr.shape, out.array.dtype)
        np.copyto(out.array, arr, casting="unsafe")
        autograd.graph.increment_version(out)
        t = out
    else:
        t = from_numpy(arr)
    if requires_grad:
        if t.array.dtype.kind != "f":
            raise RuntimeError(f"{op or 'tensor'}: only Tensors of floating point dtype can "
                               "require gradients (requires_grad=True with dtype "
                               f"{t.dtype})")
        t.requires_grad_(True)
    return t


def _int_arg(v, op: str, name: str) -> int:
    """An int argument of ``op`` (TypeError as torch's argument parser, e.g. for 2.5)."""
    if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
        raise TypeError(f"{op}(): argument '{name}' must be int, not {type(v).__name__} ({v!r})")
    return int(v)


def _random_float_dtype(dtype, op: str, kernel: str) -> np.dtype:
    """The dtype of ``rand``/``randn``: floating point only (torch's NotImplementedError)."""
    npdt = _float_dtype(dtype)
    if npdt.kind != "f":
        raise NotImplementedError(f'{op}: "{kernel}" not implemented for '
                                  f"'{TORCH_DTYPE_NAME.get(npdt.name, npdt.name)}' (dtype "
                                  f"{npdt.name}; {op} makes floating point values)")
    return npdt


def _out_dtype(out, dtype, op: str):
    """The dtype to make values in: ``out``'s when given (a different ``dtype`` is an error)."""
    if out is None:
        return dtype
    if not isinstance(out, Tensor):
        raise TypeError(f"{op}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if dtype is not None and backend.to_dtype(dtype).np != out.array.dtype:
        raise RuntimeError(f"{op}(): dtype {backend.to_dtype(dtype)} does not match dtype of "
                           f"out parameter ({out.dtype})")
    return out.dtype


def _float_dtype(dtype, op: str = "tensor") -> np.dtype:
    return (backend.get_default_dtype() if dtype is None else dtype_arg(dtype, op)).np


def tensor(data: Any, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, numbers, arrays or tensors).

    Python floats become float32 (the default dtype), ints int64, bools bool; NumPy arrays keep
    their dtype. ``device``: None or the CPU (see :func:`gradlab.device`); another raises.
    """
    check_device(device, "tensor")
    return _finish(np.array(as_array(data, dtype), copy=True), requires_grad, op="tensor")


def as_tensor(data: Any, dtype=None, device=None) -> Tensor:
    """Like :func:`tensor`, but shares memory with a NumPy array or tensor where it can."""
    check_device(device, "as_tensor")
    if isinstance(data, Tensor) and (dtype is None or backend.to_dtype(dtype).np ==
                                     data.array.dtype):
        return data
    return from_numpy(as_array(data, dtype))


def zeros(*size, out=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device(device, "zeros")
    dtype = _out_dtype(out, dtype, "zeros")
    arr = np.zeros(_new_sizes(size, "zeros"), dtype=_float_dtype(dtype, "zeros"))
    return _finish(arr, requires_grad, out, "zeros")


def ones(*size, out=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device(device, "ones")
    dtype = _out_dtype(out, dtype, "ones")
    arr = np.ones(_new_sizes(size, "ones"), dtype=_float_dtype(dtype, "ones"))
    return _finish(arr, requires_grad, out, "ones")


def empty(*size, out=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device(device, "empty")
    dtype = _out_dtype(out, dtype, "empty")
    arr = np.empty(_new_sizes(size, "empty"), dtype=_float_dtype(dtype, "empty"))
    return _finish(arr, requires_grad, out, "empty")


def full(size, fill_value, *, out=None, dtype=None, device=None,
         requires_grad: bool = False) -> Tensor:
    """Filled with ``fill_value``; the dtype follows it (float -> the default dtype, int ->
    int64, bool -> bool). ``size`` is a sequence of ints (a list, tuple or Size), as torch's:
    a bare int or a tensor is a TypeError."""
    check_device(device, "full")
    if not isinstance(size, (list, tuple)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__} ({size!r}); e.g. full(({size!r},), "
                        f"{fill_value!r})")
    dtype = _out_dtype(out, dtype, "full")
    if dtype is None:
        dtype = (backend.bool_ if isinstance(fill_value, bool) else
                 backend.int64 if isinstance(fill_value, int) else backend.get_default_dtype())
    fill_value = _fill_value(fill_value, "full")
    arr = np.full(_new_sizes((size,), "full"), fill_value, dtype=dtype_arg(dtype, "full").np)
    return _finish(arr, requires_grad, out, "full")


def zeros_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device(device, "zeros_like")
    tensor_arg(input, "zeros_like")
    return _finish(np.zeros(input.shape, dtype=_like_dtype(input, dtype, "zeros_like")),
                   requires_grad, op="zeros_like")


def ones_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device(device, "ones_like")
    tensor_arg(input, "ones_like")
    return _finish(np.ones(input.shape, dtype=_like_dtype(input, dtype, "ones_like")),
                   requires_grad, op="ones_like")


def empty_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device(device, "empty_like")
    tensor_arg(input, "empty_like")
    return _finish(np.empty(input.shape, dtype=_like_dtype(input, dtype, "empty_like")),
                   requires_grad, op="empty_like")


def full_like(input: Tensor, fill_value, *, dtype=None, device=None,
              requires_grad: bool = False) -> Tensor:
    check_device(device, "full_like")
    tensor_arg(input, "full_like")
    npdt = _like_dtype(input, dtype, "full_like")
    return _finish(np.full(input.shape, _fill_value(fill_value, "full_like"), dtype=npdt),
                   requires_grad, op="full_like")


def _like_dtype(input: Tensor, dtype, op: str) -> np.dtype:
    return input.array.dtype if dtype is None else dtype_arg(dtype, op).np


def _fill_value(v, op: str):
    """``fill_value``: a number or a one-element tensor (TypeError otherwise, as torch)."""
    if isinstance(v, Tensor) and v.numel() == 1:
        return v.item()
    if isinstance(v, (str, bytes)) or not isinstance(v, (int, float, bool, np.number)):
        raise TypeError(f"{op}(): argument 'fill_value' must be Number, not "
                        f"{type(v).__name__} ({v!r})")
    return v


def arange(start, end=None, step=1, *, out=None, dtype=None, device=None,
           requires_grad: bool = False) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 unless a bound is float."""
    check_device(device, "arange")
    dtype = _out_dtype(out, dtype, "arange")
    if end is None:
        start, end = 0, start
    for v in (start, end, step):
        if isinstance(v, (str, bytes)) or not isinstance(v, (int, float, np.number)):
            raise TypeError(f"arange(): start, end and step must be numbers, got "
                            f"{type(v).__name__} ({v!r})")
    if not all(math.isfinite(v) for v in (start, end, step)):
        raise RuntimeError(f"arange: unsupported range: {start} -> {end} (step {step}); the "
                           "bounds and step must be finite")
    if step == 0:
        raise RuntimeError(f"arange: step must be nonzero (got step={step})")
    if (end - start) * step < 0:
        raise RuntimeError(f"arange: upper bound and larger bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        dtype = backend.get_default_dtype() if is_float else backend.int64
    npdt = dtype_arg(dtype, "arange").np
    if npdt == np.bool_:
        raise NotImplementedError('arange: "arange_cpu" not implemented for \'Bool\' (dtype '
                                  "bool; use an integer or floating dtype)")
    n = int(np.ceil((end - start) / step))
    if out is not None and out.numel() not in (0, n):
        warnings.warn(f"The number of elements in the out tensor of shape {list(out.shape)} is "
                      f"{out.numel()} which does not match the computed number of elements {n}. "
                      "Note that this may occur as a result of rounding error. The out tensor "
                      f"will be resized to a tensor of shape ({n},).", UserWarning, stacklevel=2)
    return _finish((start + step * np.arange(n, dtype=np.float64)).astype(npdt)
                   if npdt.kind == "f" else np.arange(start, end, step, dtype=npdt), requires_grad,
                   out, "arange")


def linspace(start: float, end: float, steps: int, *, out=None, dtype=None, device=None,
             requires_grad: bool = False) -> Tensor:
    check_device(device, "linspace")
    dtype = _out_dtype(out, dtype, "linspace")
    steps = _int_arg(steps, "linspace", "steps")
    if steps < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative, got {steps}")
    return _finish(np.linspace(start, end, steps).astype(_float_dtype(dtype)), requires_grad,
                   out, "linspace")


def eye(n: int, m: int | None = None, *, out=None, dtype=None, device=None,
        requires_grad: bool = False) -> Tensor:
    check_device(device, "eye")
    dtype = _out_dtype(out, dtype, "eye")
    for arg, v in (("n", n), ("m", m)):
        if v is not None:
            _int_arg(v, "eye", arg)
        if v is not None and v < 0:
            raise RuntimeError(f"eye: {arg} must be greater or equal to 0, got {v}")
    return _finish(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad, out, "eye")


# ------------------------------------------------------------------ random


def rand(*size, generator: Generator | None = None, out=None, dtype=None, device=None,
         requires_grad: bool = False) -> Tensor:
    """Samples from U[0, 1)."""
    check_device(device, "rand")
    dtype = _out_dtype(out, dtype, "rand")
    npdt = _random_float_dtype(dtype, "rand", "check_uniform_bounds")
    arr = backend.rng(generator).random(_new_sizes(size, "rand"), dtype=np.float64)
    return _finish(arr.astype(npdt), requires_grad, out, "rand")


def randn(*size, generator: Generator | None = None, out=None, dtype=None, device=None,
          requires_grad: bool = False) -> Tensor:
    """Samples from N(0, 1)."""
    check_device(device, "randn")
    dtype = _out_dtype(out, dtype, "randn")
    npdt = _random_float_dtype(dtype, "randn", "normal_kernel_cpu")
    arr = backend.rng(generator).standard_normal(_new_sizes(size, "randn"))
    return _finish(arr.astype(npdt), requires_grad, out, "randn")


def randint(low: int, high: int | None = None, size=None, *,
            generator: Generator | None = None, out=None, dtype=None, device=None,
            requires_grad: bool = False) -> Tensor:
    """Integers uniformly from [low, high) (``randint(high, size)`` starts at 0)."""
    check_device(device, "randint")
    dtype = _out_dtype(out, dtype, "randint")
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint: missing the size argument, e.g. randint(0, 10, (3,))")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' must be a tuple of ints, not "
                        f"{type(size).__name__} ({size!r})")
    if high <= low:
        raise RuntimeError(f"randint: expects 'from' < 'to', got from={low} >= to={high}")
    arr = backend.rng(generator).integers(low, high, size=_new_sizes((size,), "randint"))
    return _finish(arr.astype(backend.int64.np if dtype is None
                              else backend.to_dtype(dtype).np), requires_grad, out, "randint")


def rand_like(input: Tensor, *, generator=None, dtype=None, device=None,
              requires_grad: bool = False) -> Tensor:
    check_device(device, "rand_like")
    tensor_arg(input, "rand_like")
    _random_float_dtype(dtype or input.dtype, "rand_like", "check_uniform_bounds")
    return rand(*input.shape, generator=generator, dtype=dtype or input.dtype,
                requires_grad=requires_grad)


def randn_like(input: Tensor, *, generator=None, dtype=None, device=None,
               requires_grad: bool = False) -> Tensor:
    check_device(device, "randn_like")
    tensor_arg(input, "randn_like")
    _random_float_dtype(dtype or input.dtype, "randn_like", "normal_kernel_cpu")
    return randn(*input.shape, generator=generator, dtype=dtype or input.dtype,
                 requires_grad=requires_grad)


def randint_like(input: Tensor, low: int, high: int | None = None, *, generator=None,
                 dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device(device, "randint_like")
    return randint(low, high, tuple(input.shape), generator=generator,
                   dtype=dtype or input.dtype, requires_grad=requires_grad)


def randperm(n: int, *, generator: Generator | None = None, out=None, dtype=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """A random permutation of 0..n-1."""
    check_device(device, "randperm")
    dtype = _out_dtype(out, dtype, "randperm")
    (n,) = _new_sizes((n,), "randperm")
    arr = backend.rng(generator).permutation(n)
    return _finish(arr.astype(backend.int64.np if dtype is None
                              else backend.to_dtype(dtype).np), requires_grad, out, "randperm")


def bernoulli(input: Tensor, *, generator: Generator | None = None) -> Tensor:
    """0/1 samples with the probabilities in ``input`` (each in [0, 1])."""
    tensor_arg(input, "bernoulli")
    p = input.array
    if p.size and not (p.min() >= 0 and p.max() <= 1):  # NaN fails both
        bad = p[~((p >= 0) & (p <= 1))].reshape(-1)[0]
        raise RuntimeError(f"bernoulli: expected all probabilities p to satisfy 0 <= p <= 1, "
                           f"got p={bad}")
    r = backend.rng(generator).random(input.shape)
    return from_numpy(np.asarray(r < input.array).astype(input.array.dtype))  # 0-d: an array
