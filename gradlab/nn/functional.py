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
    # size_average/reduce (deprecated) were silently ignored; torch still honours them
    reduction = _reduction("cross_entropy", reduction, size_average, reduce)
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
    if p[-1] > k[-1] // 2 or p[0] > k[0] // 2:  # then torch checks the undilated kernel too
        raise RuntimeError(f"{op}: pad should be smaller than or equal to half of kernel size, "
                           f"but got padW = {p[-1]}, padH = {p[0]}, kW = {k[-1]}, kH = {k[0]}")
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
    if not return_indices:
        out = MaxPool2d.apply(x, k, s, p, d, ceil_mode, False)
        return out.squeeze(0) if unbatched else out
    out, idx = MaxPool2d.apply(x, k, s, p, d, ceil_mode, True)
    if unbatched:
        out, idx = out.squeeze(0), idx.squeeze(0)
    return out, idx


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


# ---------------------------------------------------------------- activations (ops/activation.py)
# ``inplace=True`` is accepted wherever torch has it, and computed out of place: the result is
# a new tensor and the input is left as it was (the values are the same either way).


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """max(x, 0) + negative_slope * min(x, 0) (Maas et al. 2013): a small slope for x < 0 keeps
    units from dying (seed 004 §1.1, ReLU variants). Shape: any."""
    from ..ops.activation import LeakyReLU

    return LeakyReLU.apply(input, float(negative_slope))


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """max(x, 0) + a * min(x, 0) with a learnable slope a (He et al. 2015), one for all channels
    or one per channel (dim 1).

    Shape: input (N, C, *) or any shape with a single slope; weight (1,) or (C,). Inputs with
    fewer than 2 dims have no channel dim (C = 1), as in torch.
    """
    from ..ops.activation import PReLU

    n = weight.numel()
    if n != 1:
        channels = input.shape[1] if input.ndim >= 2 else 1
        if channels != n:
            raise RuntimeError(f"prelu: Mismatch of parameter numbers and input channel size. "
                               f"Found parameter numbers = {n} and channel size = {channels} "
                               f"(input of shape {list(input.shape)}).")
        w = weight.reshape((1, n) + (1,) * (input.ndim - 2))
    else:
        w = weight.reshape((1,) * input.ndim)
    return PReLU.apply(input, w)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha (e^x - 1) otherwise (Clevert et al. 2016; seed 004 §1.1): smooth,
    and its negative saturation pushes mean activations toward 0. Shape: any."""
    from ..ops.activation import ELU

    return ELU.apply(input, float(alpha))


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^{beta x}) / beta, a smooth ReLU (seeds 003 activations, 004 §1.1); x itself
    where beta x > threshold, as torch. Computed as max(z, 0) + log1p(e^-|z|), which never
    overflows. Shape: any."""
    from ..ops.activation import Softplus

    return Softplus.apply(input, float(beta), float(threshold))


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x Phi(x), Phi the standard normal CDF (Hendrycks & Gimpel 2016).

    ``approximate='none'``: exact, Phi(x) = erfc(-x / sqrt 2) / 2 with a float64-accurate erfc
    (Chebyshev series, see ``ops/activation.py``). ``'tanh'``:
    0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))). Shape: any.
    """
    from ..ops.activation import GELU

    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"gelu: approximate argument must be either none or tanh, got "
                           f"{approximate!r}")
    return GELU.apply(input, approximate)


def rbf(input: Tensor, centers: Tensor, log_sigma: Tensor) -> Tensor:
    """Gaussian radial basis functions (gradlab's; torch has none):
    y_j = exp(-||x - c_j||^2 / (2 sigma_j^2)), sigma_j = exp(log_sigma_j).

    Output 1 at a centre, decaying with the distance from it (seed 003, RBF activation and
    "kernel regression and RBF networks"). ||x - c||^2 = ||x||^2 + ||c||^2 - 2 x.c, one GEMM.

    Shape: input (*, in), centers (out, in), log_sigma (out,) -> (*, out).
    """
    from ..ops.activation import RBF

    if centers.ndim != 2 or tuple(log_sigma.shape) != (centers.shape[0],):
        raise RuntimeError(f"rbf: expected centers (out, in) and log_sigma (out,), got "
                           f"{list(centers.shape)} and {list(log_sigma.shape)}")
    if input.ndim == 0 or input.shape[-1] != centers.shape[1]:
        raise RuntimeError(f"rbf: input of shape {list(input.shape)} does not match centers of "
                           f"shape {list(centers.shape)} (expected input (*, "
                           f"{centers.shape[1]}))")
    lead = tuple(input.shape[:-1])
    out = RBF.apply(input.reshape(-1, centers.shape[1]), centers, log_sigma)
    return out.reshape(lead + (centers.shape[0],))


# ---------------------------------------------------------------- losses (ops/loss.py)
# Elementwise losses insist on equal input and target shapes: torch only warns and broadcasts,
# and (N, 1) against (N,) silently becomes an (N, N) loss.


def _reduction(name: str, reduction: str, size_average=None, reduce=None,
               allowed: tuple = _REDUCTIONS) -> str:
    """The reduction to apply, from ``reduction`` or torch's deprecated size_average/reduce."""
    if size_average is not None or reduce is not None:
        import warnings

        warnings.warn("size_average and reduce args will be deprecated, please use "
                      "reduction='mean'/'sum'/'none' instead.", stacklevel=3)
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        return ("mean" if size_average else "sum") if reduce else "none"
    if reduction not in allowed:
        raise ValueError(f"{name}: {reduction} is not a valid value for reduction (expected "
                         f"one of {', '.join(repr(a) for a in allowed)})")
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def _check_same_shape(name: str, input: Tensor, target: Tensor) -> None:
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"{name}: target of shape {list(target.shape)} does not match input of "
                         f"shape {list(input.shape)} (they must be equal; reshape one of them)")


def _weighted(name: str, loss: Tensor, weight: Tensor | None, reduction: str,
              mean_over_weights: bool) -> Tensor:
    """torch's per-element ``weight`` of mse/l1/huber: mse and l1 divide the weighted sum by
    sum(weight) for 'mean', huber takes the plain mean of the weighted loss."""
    if weight is None:
        return _reduce(loss, reduction)
    if tuple(weight.shape) != tuple(loss.shape):
        raise ValueError(f"{name}: weight of shape {list(weight.shape)} must have the input's "
                         f"shape {list(loss.shape)}")
    loss = loss * weight
    if reduction == "mean" and mean_over_weights:
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


def _no_grad_weight(name: str, arg: str, t: Tensor | None) -> np.ndarray | None:
    """A fused loss's weight as an array; torch refuses weights that require grad, so do we."""
    if t is None:
        return None
    if t.requires_grad and _grad_enabled():
        raise RuntimeError(f"The function '{name}' is not differentiable with respect to "
                           f"argument '{arg}'. This input cannot have requires_grad True.")
    return t.data


def _grad_enabled() -> bool:
    from ..autograd import is_grad_enabled

    return is_grad_enabled()


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities: loss_i = -w_{y_i} x_{i, y_i}; ``mean``
    divides by the summed weights of the non-ignored targets (nan if there are none, as torch).
    cross_entropy(x, y) = nll_loss(log_softmax(x, 1), y).

    Shape: input (N, C), (C,) or (N, C, d1, ...); target (N,), () or (N, d1, ...) int64 class
    indices; weight (C,); output scalar, or the target's shape with ``reduction='none'``.
    """
    r = _reduction("nll_loss", reduction, size_average, reduce)
    if target.data.dtype.kind not in "iu":
        raise RuntimeError(f"nll_loss: expected target dtype to be int64 (class indices), got "
                           f"{target.dtype}")
    if input.ndim == 0:
        raise ValueError("nll_loss: input must have a class dimension, got a scalar")
    c = input.shape[0] if input.ndim == 1 else input.shape[1]
    expected = () if input.ndim == 1 else (input.shape[0],) + tuple(input.shape[2:])
    if tuple(target.shape) != expected:
        raise ValueError(f"nll_loss: input of shape {list(input.shape)} expects a target of "
                         f"shape {list(expected)}, got {list(target.shape)}")
    w = _no_grad_weight("nll_loss", "weight", weight)
    if w is not None:
        if w.shape != (c,):
            raise RuntimeError(f"nll_loss: weight must have shape [{c}] (one per class), got "
                               f"{list(w.shape)}")
        w = w.astype(input.data.dtype, copy=False)
    x = input.reshape(1, c) if input.ndim == 1 else input
    t = target.data.reshape((x.shape[0],) + tuple(x.shape[2:])).astype(np.int64, copy=False)
    out = _loss.NLLLoss.apply(x, t, w, int(ignore_index), r)
    return out.reshape(()) if input.ndim == 1 and r == "none" else out


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Squared error (x - y)^2, reduced; with ``weight`` the 'mean' is sum(w (x-y)^2) / sum(w).

    Shape: input, target (and weight) of the same shape; output scalar, or that shape with
    ``reduction='none'``.
    """
    r = _reduction("mse_loss", reduction, size_average, reduce)
    _check_same_shape("mse_loss", input, target)
    d = input - target
    return _weighted("mse_loss", d * d, weight, r, True)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Absolute error |x - y|, reduced (gradient sign(x - y), 0 at 0); with ``weight`` the
    'mean' is sum(w |x - y|) / sum(w). Shape: as :func:`mse_loss`."""
    r = _reduction("l1_loss", reduction, size_average, reduce)
    _check_same_shape("l1_loss", input, target)
    return _weighted("l1_loss", (input - target).abs(), weight, r, True)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = x - y; Girshick 2015, Fast
    R-CNN); beta = 0 is the L1 loss. Shape: as :func:`mse_loss`."""
    from ..functions import where

    r = _reduction("smooth_l1_loss", reduction, size_average, reduce)
    _check_same_shape("smooth_l1_loss", input, target)
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta, got "
                           f"{beta}")
    d = input - target
    ad = d.abs()
    if beta == 0:
        return _reduce(ad, r)
    beta = float(beta)
    return _reduce(where(ad < beta, d * d * (0.5 / beta), ad - 0.5 * beta), r)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta) (Huber 1964): smooth_l1_loss
    times delta (equal at delta = 1). With ``weight`` 'mean' is mean(w loss), as torch.
    Shape: as :func:`mse_loss`."""
    from ..functions import where

    r = _reduction("huber_loss", reduction)
    _check_same_shape("huber_loss", input, target)
    if delta <= 0:
        raise RuntimeError(f"huber_loss does not support non-positive values for delta, got "
                           f"{delta}")
    delta = float(delta)
    d = input - target
    ad = d.abs()
    loss = where(ad < delta, d * d * 0.5, (ad - 0.5 * delta) * delta)
    return _weighted("huber_loss", loss, weight, r, False)


def _broadcast_weight(name: str, arg: str, w: np.ndarray | None, shape: tuple):
    if w is not None:
        try:
            ok = np.broadcast_shapes(w.shape, shape) == shape
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"{name}: {arg} of shape {list(w.shape)} cannot be broadcast to the "
                             f"input's shape {list(shape)}")
    return w


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """-w (y log p + (1 - y) log(1 - p)) for probabilities p in [0, 1], each log clamped at
    -100 as torch does, so p = 0 or 1 gives a finite loss (100). Prefer
    :func:`binary_cross_entropy_with_logits` on logits: it is stable without the clamp.

    Shape: input, target of the same shape; weight broadcastable to it; output scalar, or that
    shape with ``reduction='none'``.
    """
    r = _reduction("binary_cross_entropy", reduction, size_average, reduce)
    _check_same_shape("binary_cross_entropy", input, target)
    p, t = input.data, target.data
    if not ((p >= 0) & (p <= 1)).all():
        raise RuntimeError("binary_cross_entropy: all elements of input should be between 0 "
                           "and 1")
    if not ((t >= 0) & (t <= 1)).all():
        raise RuntimeError("binary_cross_entropy: all elements of target should be between 0 "
                           "and 1")
    w = _broadcast_weight("binary_cross_entropy", "weight",
                          _no_grad_weight("binary_cross_entropy", "weight", weight), p.shape)
    return _reduce(_loss.BinaryCrossEntropy.apply(input, target, w), r)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average=None, reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Sigmoid + binary cross-entropy fused: w ((1 - y) x + l softplus(-x)) with
    l = 1 + (pos_weight - 1) y and softplus(-x) = max(-x, 0) + log1p(e^-|x|), finite for every
    logit (no exp overflows, no log(0)). ``pos_weight`` (one per class, the last dim) scales the
    positive term: > 1 raises recall.

    Shape: input, target of the same shape; weight and pos_weight broadcastable to it.
    """
    r = _reduction("binary_cross_entropy_with_logits", reduction, size_average, reduce)
    name = "binary_cross_entropy_with_logits"
    _check_same_shape(name, input, target)
    shape = tuple(input.shape)
    w = _broadcast_weight(name, "weight", _no_grad_weight(name, "weight", weight), shape)
    pw = _broadcast_weight(name, "pos_weight", _no_grad_weight(name, "pos_weight", pos_weight),
                           shape)
    return _reduce(_loss.BCEWithLogits.apply(input, target, w, pw), r)


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence KL(target || model) with the model as log-probabilities:
    y (log y - x) pointwise (0 where y = 0), or e^y (y - x) with ``log_target``.

    ``'batchmean'`` (sum / N) is the true KL divergence per sample; ``'mean'`` divides by every
    element and warns, as torch.

    Shape: input, target of the same shape; output scalar, or that shape with ``'none'``.
    """
    from ..functions import where

    allowed = _REDUCTIONS + ("batchmean",)
    if size_average is None and reduce is None and reduction == "mean":
        import warnings

        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", stacklevel=2)
    r = _reduction("kl_div", reduction, size_average, reduce, allowed)
    _check_same_shape("kl_div", input, target)
    if log_target:
        loss = target.exp() * (target - input)
    else:  # xlogy(y, y) - y x; the inner where keeps log(0) out of the gradient
        zero = target == 0
        loss = where(zero, 0.0, target * where(zero, 1.0, target).log()) - target * input
    if r == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, r)


# ---------------------------------------------------------------- dropout


def _check_dropout_p(p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout_mask(input: Tensor, shape: tuple, p: float) -> Tensor:
    """Bernoulli(1 - p) / (1 - p) in the input's dtype, from the global generator."""
    from .. import backend

    dt = input.data.dtype
    if p == 1:
        return Tensor._wrap(np.zeros(shape, dtype=dt))
    keep = backend.rng().random(shape, dtype=np.float32) >= p
    return Tensor._wrap(keep.astype(dt) * (1 / (1 - p)))


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Inverted dropout (Srivastava et al. 2014; seeds 003 "dropout", 004 §3.5): in training
    each element is zeroed with probability p and the survivors are scaled by 1 / (1 - p), so
    the expected output is the input and evaluation is the identity. This is the classic
    scheme (weights multiplied by the keep probability 1 - p at test time) with the scaling
    moved to training. Seed 003 says to multiply by p, which it defines as the drop
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
    import warnings

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


# ---------------------------------------------------------------- embedding (ops/embedding.py)


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` picked by the integer indices in ``input``; the gradient adds up over
    repeated indices.

    ``padding_idx``: that row gets no gradient. ``max_norm``: rows looked up whose
    ``norm_type``-norm exceeds it are rescaled in place to norm max_norm (as torch, before the
    lookup). ``scale_grad_by_freq``: each row's gradient is divided by its count in ``input``.
    ``sparse=True`` is not supported (gradlab has no sparse tensors).

    Shape: input (*) int64; weight (num_embeddings, embedding_dim) -> (*, embedding_dim).
    """
    from ..ops.embedding import Embedding

    idx = input.data if isinstance(input, Tensor) else np.asarray(input)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"embedding: expected indices of an integer type (int64 or int32), "
                           f"got {idx.dtype}")
    if weight.ndim != 2:
        raise RuntimeError(f"embedding: 'weight' must be 2-D (num_embeddings, embedding_dim), "
                           f"got shape {list(weight.shape)}")
    if sparse:
        raise NotImplementedError("embedding: sparse=True (sparse gradients) is not supported "
                                  "by gradlab; use sparse=False for a dense gradient")
    n = weight.shape[0]
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise ValueError(f"embedding: padding_idx must be within num_embeddings ({n}), got "
                             f"{padding_idx}")
        padding_idx = padding_idx % n
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = idx[(idx < 0) | (idx >= n)].flat[0]
        raise IndexError(f"embedding: index {int(bad)} is out of range for {n} embeddings "
                         f"(index out of range in self)")
    if max_norm is not None:
        rows = np.unique(idx)
        w = weight.data[rows]
        norms = (np.abs(w) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
        big = norms > max_norm
        if big.any():
            scale = (max_norm / (norms[big] + 1e-7)).astype(w.dtype)
            weight.data[rows[big]] = w[big] * scale[:, None]
            weight._version.v += 1
    return Embedding.apply(weight, idx.astype(np.intp, copy=False), padding_idx,
                           bool(scale_grad_by_freq))


__all__ += ["leaky_relu", "prelu", "elu", "softplus", "gelu", "rbf", "nll_loss", "mse_loss",
            "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
            "binary_cross_entropy_with_logits", "kl_div", "dropout", "dropout2d", "embedding"]
