"""Helpers of the distributions (``torch.distributions.utils``): broadcasting parameters,
logits <-> probabilities, and the lazily computed parameter."""

from __future__ import annotations

import numbers
from collections.abc import Callable
from functools import update_wrapper

import numpy as np

from .. import backend
from ..autograd import enable_grad
from ..creation import tensor
from ..tensor import Tensor

__all__ = ["broadcast_all", "clamp_probs", "lazy_property", "logits_to_probs",
           "probs_to_logits"]


def _is_number(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, Tensor)


def broadcast_all(*values) -> tuple:
    """Tensors broadcast to one shape (``expand``: a view, gradients flow back to the
    original); numbers become tensors of the first tensor's dtype (the default dtype if all are
    numbers). Dtypes of tensors are kept, as in torch.

    Shape: each output has ``broadcast_shapes(*shapes)``; numbers count as shape ().
    """
    if not all(isinstance(v, Tensor) or _is_number(v) for v in values):
        got = ", ".join(type(v).__name__ for v in values)
        raise ValueError(f"Input arguments must all be instances of Number or gradlab.Tensor "
                         f"(got {got})")
    first = next((v for v in values if isinstance(v, Tensor)), None)
    dtype = first.dtype if first is not None else backend.get_default_dtype()
    ts = [v if isinstance(v, Tensor) else tensor(float(v) if dtype.is_floating_point else v,
                                                 dtype=dtype) for v in values]
    try:
        shape = np.broadcast_shapes(*(tuple(t.shape) for t in ts))
    except ValueError:
        shapes = " and ".join(str(list(t.shape)) for t in ts)
        raise RuntimeError(f"broadcast_all: the shapes {shapes} cannot be broadcast together "
                           f"(sizes must match or be 1, aligned from the last dimension)") from None
    return tuple(t if tuple(t.shape) == shape else t.expand(*shape) for t in ts)


def clamp_probs(probs: Tensor) -> Tensor:
    """``probs`` clamped to [eps, 1 - eps], eps the dtype's machine epsilon (so that their
    logarithms and log-odds are finite)."""
    eps = float(np.finfo(probs.array.dtype).eps)
    return probs.clamp(min=eps, max=1 - eps)


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """sigmoid(logits) for log-odds (``is_binary``), else softmax over the last dim."""
    return logits.sigmoid() if is_binary else logits.softmax(-1)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """log(p) (log-odds log(p) - log(1 - p) when ``is_binary``) of the clamped probabilities."""
    p = clamp_probs(probs)
    return p.log() - (-p).log1p() if is_binary else p.log()


class lazy_property:
    """A parameter computed from another on first access, then stored on the instance (a
    Categorical built from logits computes ``probs`` only when asked). Computed with grad
    enabled, so it stays differentiable even when first read inside ``no_grad``."""

    def __init__(self, wrapped: Callable) -> None:
        self.wrapped = wrapped
        update_wrapper(self, wrapped)

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return self
        with enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


def fmt(t: Tensor) -> str:
    """A tensor as torch's f-strings print it: a 0-d one as its number, others as tensors."""
    return str(t.item()) if t.ndim == 0 else str(t)
