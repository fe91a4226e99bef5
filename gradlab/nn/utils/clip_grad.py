"""Gradient clipping (``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_``): bound the
size of an update when gradients explode (source 004 §3.3, "gradient clipping"; SCOPE F).

By norm, every gradient is scaled by the same factor, so the direction of the whole update is
kept; by value, each element is clamped, which can change the direction.
"""

from __future__ import annotations

import types
import warnings
from collections.abc import Iterable

import numpy as np

from ... import backend
from ...autograd.graph import increment_version
from ...tensor import Tensor, from_numpy

_TensorOrTensors = Tensor | Iterable[Tensor]


def _vector_norm(a: np.ndarray, p: float) -> np.ndarray:
    """‖a‖_p of all elements, in a's dtype: p = inf (max |a|), -inf (min |a|), 0 (number of
    non-zeros), else (Σ |a|^p)^(1/p); the 2-norm as √(a·a) (one BLAS call, no temporary)."""
    if a.size == 0:
        return np.zeros((), a.dtype)
    if p == 2:
        flat = a.reshape(-1)
        return np.sqrt(np.dot(flat, flat))
    if p == np.inf:
        return np.max(np.abs(a))
    if p == -np.inf:
        return np.min(np.abs(a))
    if p == 0:
        return np.asarray(np.count_nonzero(a), a.dtype)
    if p == 1:
        return np.sum(np.abs(a))
    return np.sum(np.abs(a) ** p) ** (1.0 / p)


def _as_list(tensors: _TensorOrTensors) -> list[Tensor]:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def get_total_norm(tensors: _TensorOrTensors, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """The p-norm of all the tensors' elements together, as if they were one vector:
    ‖(‖t₁‖_p, ‖t₂‖_p, ...)‖_p (p = ``norm_type``; ``inf`` for the largest |element|).

    Returns a 0-d Tensor in the tensors' (promoted) dtype; 0.0 when there are none. With
    ``error_if_nonfinite`` a NaN or infinite norm raises RuntimeError. ``foreach`` is accepted
    for PyTorch compatibility (gradlab has one NumPy implementation).
    """
    arrays = [t.array for t in _as_list(tensors)]
    p = float(norm_type)
    if not arrays:
        return from_numpy(np.zeros((), backend.get_default_dtype().np))
    dtype = np.result_type(*arrays)
    norms = np.array([_vector_norm(a, p) for a in arrays], dtype=dtype)
    total = np.asarray(_vector_norm(norms, p), dtype=dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {p} for gradients from `parameters` is "
                           "non-finite, so it cannot be clipped. To disable this error and "
                           "scale the gradients by the non-finite norm anyway, set "
                           "`error_if_nonfinite=False`")
    return from_numpy(total)


def clip_grads_with_norm_(parameters: _TensorOrTensors, max_norm: float, total_norm: Tensor,
                          foreach: bool | None = None) -> None:
    """Scale every ``.grad`` in place by min(max_norm / (total_norm + 1e-6), 1)."""
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return
    total = total_norm.array if isinstance(total_norm, Tensor) else np.asarray(total_norm)
    coef = np.minimum(np.asarray(float(max_norm), total.dtype) / (total + total.dtype.type(1e-6)),
                      total.dtype.type(1.0))
    coef_of = {}
    with np.errstate(invalid="ignore"):  # inf · 0 = NaN is the documented outcome, as torch
        for g in grads:
            dt = g.array.dtype
            c = coef_of.get(dt)
            if c is None:
                c = coef_of[dt] = coef.astype(dt)
            g.array *= c
            increment_version(g)


def clip_grad_norm_(parameters: _TensorOrTensors, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Rescale the gradients so that their total p-norm is at most ``max_norm``.

    With N = ‖(g₁, g₂, ...)‖_p over all gradients (see :func:`get_total_norm`), every gradient
    becomes g · min(max_norm / (N + 1e-6), 1), in place. Parameters without ``.grad`` are
    skipped.

    Args:
        parameters: a Tensor or an iterable of Tensors whose ``.grad`` are clipped.
        max_norm: the largest total norm allowed.
        norm_type: p; ``float('inf')`` for the largest absolute element (default 2).
        error_if_nonfinite: raise RuntimeError when the total norm is NaN or infinite
            (otherwise the gradients are scaled by it anyway, becoming NaN).
        foreach: accepted for PyTorch compatibility.

    Returns:
        The total norm of the gradients before clipping, a 0-d Tensor.
    """
    if isinstance(parameters, types.GeneratorType):
        parameters = list(parameters)
        if not parameters:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.",
                          stacklevel=2)
    params = _as_list(parameters)
    grads = [p.grad for p in params if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(params, max_norm, total, foreach)
    return total


def clip_grad_value_(parameters: _TensorOrTensors, clip_value: float,
                     foreach: bool | None = None) -> None:
    """Clamp every gradient element to [-clip_value, clip_value], in place.

    Args:
        parameters: a Tensor or an iterable of Tensors whose ``.grad`` are clipped.
        clip_value: the largest absolute value allowed.
        foreach: accepted for PyTorch compatibility.
    """
    c = float(clip_value)
    for p in _as_list(parameters):
        if p.grad is not None:
            np.clip(p.grad.array, -c, c, out=p.grad.array)
            increment_version(p.grad)
