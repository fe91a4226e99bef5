"""Pooling (``ops/pool.py``): max, average, adaptive and stochastic, over 2-D windows."""

from __future__ import annotations

from ... import backend
from ...ops.pool import (
    AdaptiveAvgPool2d,
    AdaptiveMaxPool2d,
    AvgPool2d,
    MaxPool2d,
    StochasticPool2d,
    pool_out_size,
)
from ...tensor import Tensor

__all__ = ["max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "adaptive_max_pool2d",
           "stochastic_pool2d"]


def _pool_input(input: Tensor, op: str) -> tuple:
    if input.ndim == 3:
        return input.unsqueeze(0), True
    if input.ndim != 4:
        raise RuntimeError(f"{op}: expected a 3-D (unbatched) or 4-D (batched) input, got "
                           f"shape {list(input.shape)}")
    return input, False


def _pair(v, name: str, op: str) -> tuple:
    """A window argument as two ints: one int or a sequence of one or two (torch's
    RuntimeError otherwise)."""
    vals = tuple(v) if isinstance(v, (tuple, list)) else (v,)
    if len(vals) not in (1, 2) or not all(isinstance(x, int) and not isinstance(x, bool)
                                          for x in vals):
        raise RuntimeError(f"{op}: {name} must either be a single int, or a tuple of two ints, "
                           f"got {name}={v!r}")
    return vals * 2 if len(vals) == 1 else vals


def _pool_args(kernel_size, stride, padding, dilation, op: str) -> tuple:
    k = _pair(kernel_size, "kernel_size", op)
    # torch: stride None or empty ([] or ()) means stride = kernel_size
    empty = isinstance(stride, (list, tuple)) and len(stride) == 0
    s = k if stride is None or empty else _pair(stride, "stride", op)
    p, d = _pair(padding, "padding", op), _pair(dilation, "dilation", op)
    if min(p) < 0:
        raise RuntimeError(f"{op}: pad must be non-negative, but got pad: {min(p)} "
                           f"(padding={padding})")
    if min(d) <= 0:
        raise RuntimeError(f"{op}: dilation should be greater than zero, but got "
                           f"dilation={d}")
    for kk, pp, dd in zip(k, p, d):
        if pp > (dd * (kk - 1) + 1) // 2:
            raise RuntimeError(f"{op}: pad should be at most half of effective kernel size, "
                               f"but got pad={pp}, kernel_size={kk} and dilation={dd}")
    if p[-1] > k[-1] // 2 or p[0] > k[0] // 2:  # then torch checks the undilated kernel too
        raise RuntimeError(f"{op}: pad should be smaller than or equal to half of kernel size, "
                           f"but got padW = {p[-1]}, padH = {p[0]}, kW = {k[-1]}, kH = {k[0]}")
    if min(k) <= 0 or min(s) <= 0:
        raise RuntimeError(f"{op}: kernel_size and stride must be positive, got {k} and {s}")
    return k, s, p, d


def _check_pool_output(input: Tensor, k, s, p, d, ceil_mode, op: str) -> None:
    ho = pool_out_size(input.shape[2], k[0], s[0], p[0], d[0], ceil_mode)
    wo = pool_out_size(input.shape[3], k[1], s[1], p[1], d[1], ceil_mode)
    if ho <= 0 or wo <= 0:
        raise RuntimeError(f"{op}: given input size {list(input.shape[1:])}, the calculated "
                           f"output size ({ho} x {wo}) is too small")


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """Max over each window; the gradient goes to the arg-max (source 002 Q8).

    Shape: (N, C, H, W) -> (N, C, Ho, Wo); indices (with ``return_indices``) index the H*W
    plane of the input, as PyTorch's.
    """
    x, unbatched = _pool_input(input, "max_pool2d")
    k, s, p, d = _pool_args(kernel_size, stride, padding, dilation, "max_pool2d")
    _check_pool_output(x, k, s, p, d, ceil_mode, "max_pool2d")
    if not return_indices:
        out = MaxPool2d.apply(x, k, s, p, d, ceil_mode, False)
        return out.squeeze(0) if unbatched else out
    out, idx = MaxPool2d.apply(x, k, s, p, d, ceil_mode, True)
    if unbatched:
        out, idx = out.squeeze(0), idx.squeeze(0)
    return out, idx


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """Mean over each window; the gradient is spread evenly (source 002 Q8).

    Shape: (N, C, H, W) -> (N, C, Ho, Wo).
    """
    x, unbatched = _pool_input(input, "avg_pool2d")
    k, s, p, _ = _pool_args(kernel_size, stride, padding, 1, "avg_pool2d")
    _check_pool_output(x, k, s, p, (1, 1), ceil_mode, "avg_pool2d")
    if divisor_override is not None and divisor_override <= 0:
        raise RuntimeError(f"avg_pool2d: divisor must be not zero, got "
                           f"divisor_override={divisor_override}")
    out = AvgPool2d.apply(x, k, s, p, ceil_mode, count_include_pad, divisor_override)
    return out.squeeze(0) if unbatched else out


def _adaptive_size(input: Tensor, output_size, op: str) -> tuple:
    """``output_size`` (an int or two, None keeping the input's size) as two ints, checked as
    torch checks it, with the input's non-batch sizes."""
    sizes = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * 2
    if len(sizes) != 2:
        raise RuntimeError(f"{op}: output_size must be 2, got output_size={list(sizes)}")
    oh, ow = (input.shape[2 + i] if v is None else v for i, v in enumerate(sizes))
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (oh, ow)):
        raise TypeError(f"{op}(): argument 'output_size' must be a tuple of ints, got "
                        f"{output_size!r}")
    if oh < 0 or ow < 0:
        raise RuntimeError(f"{op}: elements of output_size must be greater than or equal to 0 "
                           f"but received output_size=({oh}, {ow})")
    for i in (1, 2, 3):
        if input.shape[i] == 0:
            raise RuntimeError(f"{op}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(input.shape)} with "
                               f"dimension {i} being empty")
    return oh, ow


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average over PyTorch's adaptive windows; ``output_size=1`` is global average pooling.

    Shape: (N, C, H, W) -> (N, C, *output_size).
    """
    x, unbatched = _pool_input(input, "adaptive_avg_pool2d")
    out = AdaptiveAvgPool2d.apply(x, _adaptive_size(x, output_size, "adaptive_avg_pool2d"))
    return out.squeeze(0) if unbatched else out


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max over PyTorch's adaptive windows. Shape: (N, C, H, W) -> (N, C, *output_size)."""
    x, unbatched = _pool_input(input, "adaptive_max_pool2d")
    out, idx = AdaptiveMaxPool2d.apply(x, _adaptive_size(x, output_size,
                                                         "adaptive_max_pool2d"))
    if unbatched:
        out, idx = out.squeeze(0), idx.squeeze(0)
    return (out, idx) if return_indices else out


def stochastic_pool2d(input: Tensor, kernel_size, stride=None, training: bool = True,
                      generator=None) -> Tensor:
    """Stochastic pooling (Zeiler & Fergus 2013; source 002 Q7): in training each window outputs
    one of its activations a_i, drawn with probability a_i / sum(a); in eval the expectation
    sum(a_i^2) / sum(a). Inputs must be non-negative (use after ReLU). ``kernel_size`` and
    ``stride``: an int or a pair, as torch's pools; ``stride`` None, [] or () is the kernel size.

    Shape: (N, C, H, W) -> (N, C, Ho, Wo), Ho = floor((H - k) / s) + 1.
    """
    x, unbatched = _pool_input(input, "stochastic_pool2d")
    # kernel_size and stride as torch's pools take them: an int or a pair; stride None or
    # empty ([] or ()) is the kernel size; both positive
    k, s, _, _ = _pool_args(kernel_size, stride, 0, 1, "stochastic_pool2d")
    _check_pool_output(x, k, s, (0, 0), (1, 1), False, "stochastic_pool2d")
    out = StochasticPool2d.apply(x, k, s, training, backend.rng(generator))
    return out.squeeze(0) if unbatched else out
