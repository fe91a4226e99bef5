"""Dropout: inverted element dropout and channel dropout (the mask is drawn here, no op)."""

from __future__ import annotations

import warnings

import numpy as np

from ... import backend
from ...tensor import Tensor, from_numpy

__all__ = ["dropout", "dropout2d"]


def _check_dropout_p(p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout_mask(input: Tensor, shape: tuple, p: float) -> Tensor:
    """Bernoulli(1 - p) / (1 - p) in the input's dtype, from the global generator."""
    dt = input.array.dtype
    if p == 1:
        return from_numpy(np.zeros(shape, dtype=dt))
    keep = backend.rng().random(shape, dtype=np.float32) >= p
    return from_numpy(keep.astype(dt) * (1 / (1 - p)))


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Inverted dropout (Srivastava et al. 2014; sources 003 "dropout", 004 §3.5): in training
    each element is zeroed with probability p and the survivors are scaled by 1 / (1 - p), so
    the expected output is the input and evaluation is the identity. This is the classic
    scheme (weights multiplied by the keep probability 1 - p at test time) with the scaling
    moved to training. Source 003 says to multiply by p, which it defines as the drop
    probability: that holds only if p is read as the keep probability (lab experiment
    ``dropout`` measures the difference).
    The gradient is the same mask: g * mask / (1 - p). ``inplace`` is computed out of place.

    Shape: any; output the input's shape.
    """
    _check_dropout_p(p)
    if not training or p == 0:
        return input
    return input * _dropout_mask(input, tuple(input.shape), p)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Channel dropout (Tompson et al. 2015): each whole channel of each sample is zeroed with
    probability p (neighbouring pixels are correlated, so dropping single ones barely
    regularizes); survivors are scaled by 1 / (1 - p).

    Shape: (N, C, H, W). As torch, a 3-D input is taken as (N, C, L) (with a warning) and other
    ranks warn and drop features along the first two dims.
    """
    _check_dropout_p(p)
    nd = input.ndim
    if nd not in (3, 4):
        warnings.warn(f"dropout2d: Received a {nd}-D input to dropout2d, which is deprecated "
                      "and will result in an error in a future release. To retain the behavior "
                      "and silence this warning, please use dropout instead. Note that "
                      "dropout2d exists to provide channel-wise dropout on inputs with 2 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension "
                      "(i.e. 3D or 4D inputs).", stacklevel=2)
    if nd == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that "
                      "channel-wise 1D dropout behavior is desired - input is interpreted as "
                      "shape (N, C, L), where C is the channel dim. This behavior will change in "
                      "a future release to interpret the input as one without a batch "
                      "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout "
                      "behavior, please switch to using dropout1d instead.", stacklevel=2)
    if nd < 2:
        raise RuntimeError(f"dropout2d: Feature dropout requires at least 2 dimensions in the "
                           f"input, got shape {list(input.shape)}")
    if not training or p == 0:
        return input
    return input * _dropout_mask(input, tuple(input.shape[:2]) + (1,) * (nd - 2), p)
