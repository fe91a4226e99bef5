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
