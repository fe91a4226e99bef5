"""Functional forms of activations, losses and padding (``torch.nn.functional``'s names)."""

from __future__ import annotations

import numpy as np

from ..ops import loss as _loss
from ..ops import shape as S
from ..tensor import Tensor

_REDUCTIONS = ("none", "mean", "sum")


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0). Shape: any."""
    return input.relu()


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x)), computed without overflow. Shape: any."""
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    return input.tanh()


def softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    """exp(x_i) / sum_j exp(x_j) along ``dim`` (max-shifted). Shape: any."""
    return (input if dtype is None else input.to(dtype)).softmax(dim)


def log_softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    """x_i - logsumexp(x) along ``dim``. Shape: any."""
    return (input if dtype is None else input.to(dtype)).log_softmax(dim)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Class indices (any shape, int64) to one-hot vectors: shape ``(*, num_classes)``, int64."""
    idx = tensor.data
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"one_hot is only applicable to index tensor, got {tensor.dtype}")
    if num_classes == -1:
        if idx.size == 0:
            raise RuntimeError("one_hot: can not infer total number of classes from empty "
                               "tensor")
        num_classes = int(idx.max()) + 1
    if idx.size and (idx.min() < 0 or idx.max() >= num_classes):
        raise RuntimeError(f"one_hot: class values must be in [0, {num_classes}), got "
                           f"{int(idx.min())}..{int(idx.max())}")
    return Tensor._wrap((idx[..., None] == np.arange(num_classes)).astype(np.int64))


def pad(input: Tensor, pad: tuple, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last ``len(pad) // 2`` dims; ``pad = (left, right, top, bottom, ...)`` starts at
    the last dim. Modes: ``constant`` (negative pads crop), ``reflect``, ``replicate``,
    ``circular``."""
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise RuntimeError(f"pad: padding length must be even and at most 2 * ndim "
                           f"({2 * input.ndim}), got {len(pad)}")
    if mode == "constant":
        return S.Pad.apply(input, pad, 0.0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"pad: mode '{mode}' is not one of 'constant', 'reflect', "
                                  "'replicate', 'circular'")
    out = input
    for k in range(len(pad) // 2):
        d = input.ndim - 1 - k
        lo, hi = pad[2 * k], pad[2 * k + 1]
        n = input.shape[d]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(f"pad: padding ({lo}, {hi}) should be less than the input "
                               f"dimension {d} of size {n} for mode 'reflect'")
        i = np.arange(-lo, n + hi)
        if mode == "reflect":
            i = np.abs(i)
            i = np.where(i >= n, 2 * (n - 1) - i, i)
        elif mode == "replicate":
            i = np.clip(i, 0, n - 1)
        else:  # negative pads crop first; the wrap-around then reads the cropped tensor
            start, kept = max(-lo, 0), n - max(-lo, 0) - max(-hi, 0)
            i = start + (i - start) % kept
        out = S.IndexSelect.apply(out, d, i)
    return out


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average=None, ignore_index: int = -100, reduce=None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy of logits against class indices or class probabilities, fused with
    log-softmax (log-sum-exp shift: large logits do not overflow).

    loss_i = -w_{y_i} log softmax(x_i)_{y_i}  (with label smoothing ε: the target is
    (1-ε) one_hot(y) + ε/C). ``mean`` divides by the summed weights of non-ignored targets.

    Shape:
        input: (N, C), (C,) or (N, C, d1, ...); target: (N,), () or (N, d1, ...) int64 class
        indices, or the input's shape for probabilities; output: scalar, or (N, d1, ...) with
        ``reduction='none'``.
    """
    if reduction not in _REDUCTIONS:
        raise ValueError(f"cross_entropy: {reduction} is not a valid value for reduction")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0, got "
                         f"{label_smoothing}")
    x, t = input, target
    probs = t.data.dtype.kind == "f"
    if not probs and t.data.dtype.kind not in "iu":
        raise RuntimeError(f"cross_entropy: target must be int64 class indices or float "
                           f"probabilities, got {t.dtype}")
    if x.ndim == 0:
        raise RuntimeError("cross_entropy: input must have a class dimension, got a scalar")
    c = x.shape[0] if x.ndim == 1 else x.shape[1]
    expected = x.shape if probs else (x.shape[1:] if x.ndim == 1 else
                                      (x.shape[0],) + tuple(x.shape[2:]))
    if x.ndim == 1 and not probs:
        expected = ()
    if tuple(t.shape) != tuple(expected):
        raise RuntimeError(f"cross_entropy: input of shape {list(x.shape)} expects a target of "
                           f"shape {list(expected)} ({'probabilities' if probs else 'indices'}),"
                           f" got {list(t.shape)}")
    w = None
    if weight is not None:
        w = weight.data.astype(x.data.dtype, copy=False)
        if w.shape != (c,):
            raise RuntimeError(f"cross_entropy: weight must have shape [{c}] (one per class), "
                               f"got {list(w.shape)}")
    out_shape = tuple(t.shape) if not probs else tuple(x.shape[:1] + x.shape[2:]) \
        if x.ndim > 1 else ()
    if x.ndim == 1:
        x2 = x.reshape(1, c)
    elif x.ndim == 2:
        x2 = x
    else:  # (N, C, d1, ...) -> (N * d1 * ..., C)
        x2 = x.permute(0, *range(2, x.ndim), 1).reshape(-1, c)
    if probs:  # the same (N * d1 * ..., C) layout as the input; a tensor, so it gets a gradient
        t2 = t.permute(0, *range(2, t.ndim), 1) if t.ndim > 2 else t
        t2 = t2.to(x.data.dtype).reshape(-1, c)
    else:
        t2 = t.data.reshape(-1).astype(np.int64, copy=False)
    out = _loss.CrossEntropy.apply(x2, t2, w, ignore_index, reduction, label_smoothing)
    if reduction == "none":
        out = out.reshape(out_shape)
    return out


__all__ = ["relu", "sigmoid", "tanh", "softmax", "log_softmax", "one_hot", "pad",
           "cross_entropy"]


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b. Shape: input (*, in), weight (out, in), bias (out,) -> (*, out)."""
    if input.shape[-1:] != weight.shape[-1:]:
        raise RuntimeError(f"linear: input of shape {list(input.shape)} does not match weight "
                           f"of shape {list(weight.shape)} (expected input (*, "
                           f"{weight.shape[-1]}))")
    out = input.matmul(weight.t())
    return out if bias is None else out + bias


# ---------------------------------------------------------------- convolution (ops/conv.py)


def _pair(v, name: str) -> tuple:
    from ..ops.pool import to_pair

    return to_pair(v, name)


def _conv_padding(padding, kernel: tuple, stride: tuple, dilation: tuple, op: str) -> tuple:
    """PyTorch's padding argument as (top, bottom, left, right)."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding != "same":
            raise ValueError(f"{op}: invalid padding string '{padding}', should be one of "
                             "'valid', 'same'")
        if any(s != 1 for s in stride):
            raise ValueError(f"{op}: padding='same' is not supported for strided convolutions")
        tot = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return (tot[0] // 2, tot[0] - tot[0] // 2, tot[1] // 2, tot[1] - tot[1] // 2)
    ph, pw = _pair(padding, "padding")
    if ph < 0 or pw < 0:
        raise RuntimeError(f"{op}: negative padding is not supported, got {padding}")
    return (ph, ph, pw, pw)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """2-D cross-correlation by im2col + GEMM (``gradlab/ops/conv.py``).

    out[n, o] = b[o] + sum_c w[o, c] ⋆ x[n, c] over the channels of o's group.

    Shape: input (N, C, H, W) or (C, H, W); weight (O, C / groups, kh, kw); bias (O,);
    output (N, O, Ho, Wo), Ho = floor((H + 2 p - d (kh - 1) - 1) / s) + 1.
    """
    from ..ops.conv import Conv2d

    unbatched = input.ndim == 3
    if unbatched:
        input = input.unsqueeze(0)
    if input.ndim != 4 or weight.ndim != 4:
        raise RuntimeError(f"conv2d: expected a 3-D (unbatched) or 4-D (batched) input and a "
                           f"4-D weight, got input of shape {list(input.shape)} and weight "
                           f"of shape {list(weight.shape)}")
    o, cg, kh, kw = weight.shape
    if groups < 1 or o % groups:
        raise RuntimeError(f"conv2d: out_channels ({o}) must be divisible by groups "
                           f"({groups})")
    if input.shape[1] != cg * groups:
        raise RuntimeError(f"conv2d: Given groups={groups}, weight of size {list(weight.shape)}"
                           f", expected input{list(input.shape)} to have {cg * groups} "
                           f"channels, but got {input.shape[1]} channels instead")
    stride, dilation = _pair(stride, "stride"), _pair(dilation, "dilation")
    pad = _conv_padding(padding, (kh, kw), stride, dilation, "conv2d")
    hp, wp = input.shape[2] + pad[0] + pad[1], input.shape[3] + pad[2] + pad[3]
    if hp < dilation[0] * (kh - 1) + 1 or wp < dilation[1] * (kw - 1) + 1:
        raise RuntimeError(f"conv2d: Calculated padded input size per channel: ({hp} x {wp})."
                           f" Kernel size: ({dilation[0] * (kh - 1) + 1} x "
                           f"{dilation[1] * (kw - 1) + 1}). Kernel size can't be greater than "
                           "actual input size")
    if bias is not None and tuple(bias.shape) != (o,):
        raise RuntimeError(f"conv2d: bias must have shape [{o}], got {list(bias.shape)}")
    out = Conv2d.apply(input, weight, bias, stride, pad, dilation, groups)
    return out.squeeze(0) if unbatched else out


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """1-D cross-correlation, computed as a 2-D one of height 1.

    Shape: input (N, C, L) or (C, L); weight (O, C / groups, k); output (N, O, Lo).
    """
    unbatched = input.ndim == 2
    if unbatched:
        input = input.unsqueeze(0)
    if input.ndim != 3 or weight.ndim != 3:
        raise RuntimeError(f"conv1d: expected a 2-D (unbatched) or 3-D (batched) input and a "
                           f"3-D weight, got input of shape {list(input.shape)} and weight "
                           f"of shape {list(weight.shape)}")
    one = lambda v: v[0] if isinstance(v, (tuple, list)) else v  # noqa: E731
    pad = padding if isinstance(padding, str) else (0, one(padding))
    out = conv2d(input.unsqueeze(2), weight.unsqueeze(2), bias, (1, one(stride)), pad,
                 (1, one(dilation)), groups).squeeze(2)
    return out.squeeze(0) if unbatched else out


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """Transposed convolution ("deconvolution", seed 003): the adjoint of conv2d's input map.

    Shape: input (N, Cin, H, W); weight (Cin, Cout / groups, kh, kw); output (N, Cout, Ho, Wo)
    with Ho = (H - 1) s - 2 p + d (kh - 1) + output_padding + 1.
    """
    from ..ops.conv import ConvTranspose2d

    unbatched = input.ndim == 3
    if unbatched:
        input = input.unsqueeze(0)
    if input.ndim != 4 or weight.ndim != 4:
        raise RuntimeError(f"conv_transpose2d: expected a 4-D input and weight, got input of "
                           f"shape {list(input.shape)} and weight of shape "
                           f"{list(weight.shape)}")
    if input.shape[1] != weight.shape[0] or weight.shape[0] % groups:
        raise RuntimeError(f"conv_transpose2d: Given transposed=1, weight of size "
                           f"{list(weight.shape)}, expected input{list(input.shape)} to have "
                           f"{weight.shape[0]} channels, but got {input.shape[1]} channels "
                           "instead")
    stride, padding = _pair(stride, "stride"), _pair(padding, "padding")
    output_padding, dilation = _pair(output_padding, "output_padding"), _pair(dilation,
                                                                              "dilation")
    for op_, s, d in zip(output_padding, stride, dilation):
        if op_ >= s and op_ >= d:
            raise RuntimeError(f"conv_transpose2d: output padding must be smaller than either "
                               f"stride or dilation, but got output_padding={output_padding}, "
                               f"stride={stride}, dilation={dilation}")
    out = ConvTranspose2d.apply(input, weight, bias, stride, padding, output_padding, dilation,
                                groups)
    return out.squeeze(0) if unbatched else out


# ---------------------------------------------------------------- pooling (ops/pool.py)


def _pool_input(input: Tensor, op: str) -> tuple:
    if input.ndim == 3:
        return input.unsqueeze(0), True
    if input.ndim != 4:
        raise RuntimeError(f"{op}: expected a 3-D (unbatched) or 4-D (batched) input, got "
                           f"shape {list(input.shape)}")
    return input, False


def _pool_args(kernel_size, stride, padding, dilation, op: str) -> tuple:
    k = _pair(kernel_size, "kernel_size")
    s = k if stride is None or stride == [] else _pair(stride, "stride")
    p, d = _pair(padding, "padding"), _pair(dilation, "dilation")
    for kk, pp, dd in zip(k, p, d):
        if pp > (dd * (kk - 1) + 1) // 2:
            raise RuntimeError(f"{op}: pad should be at most half of effective kernel size, "
                               f"but got pad={pp}, kernel_size={kk} and dilation={dd}")
    if min(k) <= 0 or min(s) <= 0:
        raise RuntimeError(f"{op}: kernel_size and stride must be positive, got {k} and {s}")
    return k, s, p, d


def _check_pool_output(input: Tensor, k, s, p, d, ceil_mode, op: str) -> None:
    from ..ops.pool import pool_out_size

    ho = pool_out_size(input.shape[2], k[0], s[0], p[0], d[0], ceil_mode)
    wo = pool_out_size(input.shape[3], k[1], s[1], p[1], d[1], ceil_mode)
    if ho <= 0 or wo <= 0:
        raise RuntimeError(f"{op}: given input size {list(input.shape[1:])}, the calculated "
                           f"output size ({ho} x {wo}) is too small")


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """Max over each window; the gradient goes to the arg-max (seed 002 Q8).

    Shape: (N, C, H, W) -> (N, C, Ho, Wo); indices (with ``return_indices``) index the H*W
    plane of the input, as PyTorch's.
    """
    from ..ops.pool import MaxPool2d

    x, unbatched = _pool_input(input, "max_pool2d")
    k, s, p, d = _pool_args(kernel_size, stride, padding, dilation, "max_pool2d")
    _check_pool_output(x, k, s, p, d, ceil_mode, "max_pool2d")
    out, idx = MaxPool2d.apply(x, k, s, p, d, ceil_mode)
    if unbatched:
        out, idx = out.squeeze(0), idx.squeeze(0)
    return (out, idx) if return_indices else out


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """Mean over each window; the gradient is spread evenly (seed 002 Q8).

    Shape: (N, C, H, W) -> (N, C, Ho, Wo).
    """
    from ..ops.pool import AvgPool2d

    x, unbatched = _pool_input(input, "avg_pool2d")
    k, s, p, _ = _pool_args(kernel_size, stride, padding, 1, "avg_pool2d")
    _check_pool_output(x, k, s, p, (1, 1), ceil_mode, "avg_pool2d")
    if divisor_override is not None and divisor_override <= 0:
        raise RuntimeError("avg_pool2d: divisor must be not zero")
    out = AvgPool2d.apply(x, k, s, p, ceil_mode, count_include_pad, divisor_override)
    return out.squeeze(0) if unbatched else out


def _adaptive_size(input: Tensor, output_size) -> tuple:
    oh, ow = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * 2
    return (input.shape[2] if oh is None else int(oh), input.shape[3] if ow is None else int(ow))


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average over PyTorch's adaptive windows; ``output_size=1`` is global average pooling.

    Shape: (N, C, H, W) -> (N, C, *output_size).
    """
    from ..ops.pool import AdaptiveAvgPool2d

    x, unbatched = _pool_input(input, "adaptive_avg_pool2d")
    out = AdaptiveAvgPool2d.apply(x, _adaptive_size(x, output_size))
    return out.squeeze(0) if unbatched else out


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max over PyTorch's adaptive windows. Shape: (N, C, H, W) -> (N, C, *output_size)."""
    from ..ops.pool import AdaptiveMaxPool2d

    x, unbatched = _pool_input(input, "adaptive_max_pool2d")
    out, idx = AdaptiveMaxPool2d.apply(x, _adaptive_size(x, output_size))
    if unbatched:
        out, idx = out.squeeze(0), idx.squeeze(0)
    return (out, idx) if return_indices else out


def stochastic_pool2d(input: Tensor, kernel_size, stride=None, training: bool = True,
                      generator=None) -> Tensor:
    """Stochastic pooling (Zeiler & Fergus 2013; seed 002 Q7): in training each window outputs
    one of its activations a_i, drawn with probability a_i / sum(a); in eval the expectation
    sum(a_i^2) / sum(a). Inputs must be non-negative (use after ReLU).

    Shape: (N, C, H, W) -> (N, C, Ho, Wo), Ho = floor((H - k) / s) + 1.
    """
    from .. import backend
    from ..ops.pool import StochasticPool2d

    x, unbatched = _pool_input(input, "stochastic_pool2d")
    k = _pair(kernel_size, "kernel_size")
    s = k if stride is None else _pair(stride, "stride")
    _check_pool_output(x, k, s, (0, 0), (1, 1), False, "stochastic_pool2d")
    out = StochasticPool2d.apply(x, k, s, training, backend.rng(generator))
    return out.squeeze(0) if unbatched else out


# ---------------------------------------------------------------- normalization (ops/norm.py)


def _affine_shape(t: Tensor | None, shape: tuple) -> Tensor | None:
    return None if t is None else t.reshape(shape)


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalization (Ioffe & Szegedy 2015; seed 003 BN): standardise each channel over
    the batch (and spatial) axes, then scale by gamma and shift by beta.

    Training uses the batch statistics and updates the running ones in place:
    running = (1 - momentum) running + momentum batch (the variance unbiased, n / (n - 1)).
    Eval uses the running statistics.

    Shape: input (N, C) or (N, C, *); running stats, weight, bias (C,).
    """
    from ..ops.norm import Normalize

    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected 2-D or higher input (N, C, ...), got shape "
                         f"{list(input.shape)}")
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
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {list(input.shape)}")
        out, mean, var = Normalize.apply(input, _affine_shape(weight, pshape),
                                         _affine_shape(bias, pshape), axes, eps)
        if running_mean is not None and running_var is not None:
            m = momentum
            rm, rv = running_mean.data, running_var.data
            rm *= 1 - m
            rm += m * mean.data.reshape(c).astype(rm.dtype)
            rv *= 1 - m
            rv += m * (var.data.reshape(c) * (n / (n - 1))).astype(rv.dtype)
            running_mean._version.v += 1
            running_var._version.v += 1
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
    from ..ops.norm import Normalize

    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(ns):]) != ns or len(ns) > input.ndim:
        raise RuntimeError(f"layer_norm: Given normalized_shape={list(ns)}, expected input with "
                           f"shape [*, {', '.join(map(str, ns))}], but got input of size"
                           f"{list(input.shape)}")
    axes = tuple(range(input.ndim - len(ns), input.ndim))
    return Normalize.apply(input, weight, bias, axes, eps)[0]


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Group normalization (Wu & He 2018): standardise each group of C / G channels of each
    sample over its channels and positions. G = 1 is LayerNorm over (C, *), G = C is
    InstanceNorm.

    Shape: input (N, C, *); weight, bias (C,).
    """
    from ..ops.norm import Normalize

    if input.ndim < 2:
        raise RuntimeError(f"group_norm: expected input (N, C, ...), got {list(input.shape)}")
    n, c = input.shape[:2]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(f"group_norm: Expected number of channels in input ({c}) to be "
                           f"divisible by num_groups ({num_groups})")
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
    from ..ops.norm import Normalize

    if input.ndim < 3:
        raise ValueError(f"instance_norm: expected input (N, C, L...) with at least one "
                         f"spatial dim, got {list(input.shape)}")
    c = input.shape[1]
    pshape = (1, c) + (1,) * (input.ndim - 2)
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum,
                          eps)
    axes = tuple(range(2, input.ndim))
    out, mean, var = Normalize.apply(input, _affine_shape(weight, pshape),
                                     _affine_shape(bias, pshape), axes, eps)
    if running_mean is not None and running_var is not None:
        k = int(np.prod(input.shape[2:]))
        rm, rv = running_mean.data, running_var.data
        rm *= 1 - momentum
        rm += momentum * mean.data.reshape(-1, c).mean(0).astype(rm.dtype)
        rv *= 1 - momentum
        rv += momentum * (var.data.reshape(-1, c).mean(0) * k / max(k - 1, 1)).astype(rv.dtype)
    return out
