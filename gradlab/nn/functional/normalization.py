"""Normalization (``ops/norm.py``): batch, layer, group and instance norm."""

from __future__ import annotations

import numpy as np

from ...autograd.graph import increment_version
from ...ops._names import rename
from ...ops.norm import Normalize
from ...tensor import Tensor

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm"]


def _affine_shape(t: Tensor | None, shape: tuple) -> Tensor | None:
    return None if t is None else t.reshape(shape)


def _check_floating(input: Tensor, op: str, kernel: str, weight: Tensor | None = None,
                    bias: Tensor | None = None) -> None:
    """torch's dtype check: normalization needs a floating-point input. With a (float) weight
    or bias, layer_norm and group_norm report the mixed dtypes, as torch's."""
    dt = input.array.dtype
    if dt.kind in "fc":
        return
    affine = next((t for t in (weight, bias) if t is not None), None)
    if affine is not None and op != "batch_norm" and affine.array.dtype != dt:
        raise RuntimeError(f"{op}: mixed dtype (CPU): all inputs must share same datatype "
                           f"(input is {input.dtype}, weight/bias {affine.dtype}; expected a "
                           "floating-point input)")
    raise NotImplementedError(f'{op}: "{kernel}" not implemented for {input.dtype} input '
                              "(expected a floating-point dtype)")


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalization (Ioffe & Szegedy 2015; source 003 BN): standardise each channel over
    the batch (and spatial) axes, then scale by gamma and shift by beta.

    Training uses the batch statistics and updates the running ones in place:
    running = (1 - momentum) running + momentum batch (the variance unbiased, n / (n - 1)).
    Eval uses the running statistics. ``eps`` must be non-negative (ValueError); eps = 0 is
    accepted in training too, where torch refuses it (a constant channel then gives NaN).

    Shape: input (N, C) or (N, C, *); running stats, weight, bias (C,).
    """
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected 2-D or higher input (N, C, ...), got shape "
                         f"{list(input.shape)}")
    _check_floating(input, "batch_norm", "batch_norm")
    if eps < 0:  # eps = 0 is kept in training too (torch refuses it there)
        raise ValueError(f"batch_norm: batch_norm eps must be non-negative, but got eps={eps}")
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (c,):
            raise RuntimeError(f"batch_norm: {name} should have shape [{c}] (one per channel "
                               f"of input {list(input.shape)}), got {list(t.shape)}")
    pshape = (1, c) + (1,) * (input.ndim - 2)
    axes = (0,) + tuple(range(2, input.ndim))
    if training:
        n = input.numel() // c
        if n <= 1:
            raise ValueError(f"batch_norm: Expected more than 1 value per channel when "
                             f"training, got input size {list(input.shape)}")
        out, mean, var = Normalize.apply(input, _affine_shape(weight, pshape),
                                         _affine_shape(bias, pshape), axes, eps)
        if running_mean is not None and running_var is not None:
            m = momentum
            rm, rv = running_mean.array, running_var.array
            rm *= 1 - m
            rm += m * mean.array.reshape(c).astype(rm.dtype)
            rv *= 1 - m
            rv += m * (var.array.reshape(c) * (n / (n - 1))).astype(rv.dtype)
            increment_version(running_mean)
            increment_version(running_var)
        return out
    if running_mean is None or running_var is None:
        raise RuntimeError("batch_norm: running_mean and running_var must be given when "
                           "training=False")
    scale = (running_var + eps).rsqrt()
    if weight is not None:
        scale = scale * weight
    shift = -running_mean * scale
    if bias is not None:
        shift = shift + bias
    return input * scale.reshape(pshape) + shift.reshape(pshape)


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Layer normalization (Ba et al. 2016): standardise over the last dims of each sample.

    Shape: input (*, *normalized_shape); weight, bias: normalized_shape.
    """
    _check_floating(input, "layer_norm", "LayerNormKernelImpl", weight, bias)
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(ns):]) != ns or len(ns) > input.ndim:
        raise RuntimeError(f"layer_norm: Given normalized_shape={list(ns)}, expected input with "
                           f"shape [*, {', '.join(map(str, ns))}], but got input of size"
                           f"{list(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != ns:
            raise RuntimeError(f"layer_norm: Expected {name} to be of same shape as "
                               f"normalized_shape, but got {name} of shape {list(t.shape)} and "
                               f"normalized_shape = {list(ns)}")
    axes = tuple(range(input.ndim - len(ns), input.ndim))
    return rename(Normalize.apply(input, weight, bias, axes, eps)[0], "NativeLayerNormBackward0")


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Group normalization (Wu & He 2018): standardise each group of C / G channels of each
    sample over its channels and positions. G = 1 is LayerNorm over (C, *), G = C is
    InstanceNorm.

    Shape: input (N, C, *); weight, bias (C,).
    """
    if input.ndim < 2:
        raise RuntimeError(f"group_norm: expected input (N, C, ...), got {list(input.shape)}")
    _check_floating(input, "group_norm", "GroupNormKernelImpl", weight, bias)
    n, c = input.shape[:2]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(f"group_norm: Expected number of channels in input ({c}) to be "
                           f"divisible by num_groups ({num_groups}), but got input of shape "
                           f"{list(input.shape)} and num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (c,):
            raise RuntimeError(f"group_norm: Expected {name} to be a vector of size equal to "
                               f"the number of channels in input ({c}), but got {name} of "
                               f"shape {list(t.shape)} and input of shape {list(input.shape)}")
    x = input.reshape(n, num_groups, c // num_groups, -1)
    pshape = (1, num_groups, c // num_groups, 1)
    out = Normalize.apply(x, _affine_shape(weight, pshape), _affine_shape(bias, pshape),
                          (2, 3), eps)[0]
    return out.reshape(input.shape)


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Instance normalization (Ulyanov et al. 2016): standardise each channel of each sample
    over its positions. Running statistics (if given) average the per-instance ones.

    Shape: input (N, C, *); running stats, weight, bias (C,).
    """
    if input.ndim < 3:
        raise ValueError(f"instance_norm: expected input (N, C, L...) with at least one "
                         f"spatial dim, got {list(input.shape)}")
    _check_floating(input, "instance_norm", "batch_norm")
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (c,):
            raise RuntimeError(f"instance_norm: {name} should have shape [{c}] (one per "
                               f"channel of input {list(input.shape)}), got {list(t.shape)}")
    if use_input_stats and int(np.prod(input.shape[2:])) <= 1:
        raise ValueError(f"instance_norm: Expected more than 1 spatial element when training, "
                         f"got input size {list(input.shape)}")
    pshape = (1, c) + (1,) * (input.ndim - 2)
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum,
                          eps)
    axes = tuple(range(2, input.ndim))
    out, mean, var = Normalize.apply(input, _affine_shape(weight, pshape),
                                     _affine_shape(bias, pshape), axes, eps)
    if running_mean is not None and running_var is not None:
        k = int(np.prod(input.shape[2:]))
        rm, rv = running_mean.array, running_var.array
        rm *= 1 - momentum
        rm += momentum * mean.array.reshape(-1, c).mean(0).astype(rm.dtype)
        rv *= 1 - momentum
        rv += momentum * (var.array.reshape(-1, c).mean(0) * k / max(k - 1, 1)).astype(rv.dtype)
    return out
