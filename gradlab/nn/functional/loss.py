"""Losses (``ops/loss.py``): the reduction rules and every loss function."""

from __future__ import annotations

import warnings

import numpy as np

from ...autograd import is_grad_enabled
from ...functions import where
from ...ops import loss as _loss
from ...ops._util import check_floating
from ...tensor import Tensor, tensor_arg

_REDUCTIONS = ("none", "mean", "sum")

__all__ = ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div"]


# Elementwise losses insist on equal input and target shapes: torch only warns and broadcasts,
# and (N, 1) against (N,) silently becomes an (N, N) loss.


def _reduction(name: str, reduction: str, size_average=None, reduce=None,
               allowed: tuple = _REDUCTIONS) -> str:
    """The reduction to apply, from ``reduction`` or torch's deprecated size_average/reduce."""
    if size_average is not None or reduce is not None:
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


def _check_same_shape(name: str, input: Tensor, target: Tensor,
                      broadcast_error: bool = True) -> None:
    """Input and target of one shape. Shapes that do not broadcast raise torch's RuntimeError
    (``broadcast_error``; the binary cross entropies raise ValueError for any mismatch, as
    torch); shapes that broadcast raise ValueError, where torch only warns."""
    tensor_arg(input, name)
    tensor_arg(target, name, "target")
    a, b = tuple(input.shape), tuple(target.shape)
    if a == b:
        return
    try:
        np.broadcast_shapes(a, b)
        cls = ValueError
    except ValueError:
        cls = RuntimeError if broadcast_error else ValueError
    raise cls(f"{name}: target of shape {list(b)} does not match input of shape {list(a)} "
              "(they must be equal; reshape one of them)")


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
    if t.requires_grad and is_grad_enabled():
        raise RuntimeError(f"The function '{name}' is not differentiable with respect to "
                           f"argument '{arg}'. This input cannot have requires_grad True.")
    return t.array


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average=None, ignore_index: int = -100, reduce=None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy of logits against class indices or class probabilities, fused with
    log-softmax (log-sum-exp shift: large logits do not overflow).

    loss_i = -w_{y_i} log softmax(x_i)_{y_i}  (with label smoothing ε: the target is
    (1-ε) one_hot(y) + ε/C; ε above 1 is a RuntimeError, a negative ε counts as 0, as in
    torch). ``mean`` divides by the summed weights of non-ignored targets.

    Shape:
        input: (N, C), (C,) or (N, C, d1, ...); target: (N,), () or (N, d1, ...) int64 class
        indices, or the input's shape for probabilities; output: scalar, or (N, d1, ...) with
        ``reduction='none'``.
    """
    # size_average/reduce (deprecated) were silently ignored; torch still honours them
    reduction = _reduction("cross_entropy", reduction, size_average, reduce)
    if not label_smoothing <= 1.0:
        raise RuntimeError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0, got "
                           f"{label_smoothing}")
    label_smoothing = max(label_smoothing, 0.0)  # torch smooths only when it is positive
    tensor_arg(input, "cross_entropy")
    tensor_arg(target, "cross_entropy", "target")
    x, t = input, target
    check_floating(x.array, "cross_entropy", kernel="log_softmax_lastdim_kernel_impl")
    probs = t.array.dtype.kind == "f"
    if not probs and t.array.dtype.kind not in "iu":
        raise RuntimeError(f"cross_entropy: target must be int64 class indices or float "
                           f"probabilities, got {t.dtype}")
    if x.ndim == 0:
        raise RuntimeError("cross_entropy: input must have a class dimension, got a scalar")
    c = x.shape[0] if x.ndim == 1 else x.shape[1]
    expected = x.shape if probs else (x.shape[1:] if x.ndim == 1 else
                                      (x.shape[0],) + tuple(x.shape[2:]))
    if x.ndim == 1 and not probs:
        expected = ()
        if tuple(t.shape) == (1,):  # torch reads a 1-element target of a 1-D input as 0-d
            t = t.reshape(())
    if tuple(t.shape) != tuple(expected):
        if probs and t.ndim == x.ndim - 1:  # meant as class indices, but of a float dtype
            raise RuntimeError(f"cross_entropy: expected target dtype to be int64 (class "
                               f"indices) for a target of shape {list(t.shape)}, but got "
                               f"{t.dtype}; a float target holds probabilities, of the input's "
                               f"shape {list(x.shape)}")
        _target_shape_error("cross_entropy", x, t, expected,
                            "probabilities" if probs else "indices")
    w = None
    if weight is not None:
        w = weight.array.astype(x.array.dtype, copy=False)
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
        t2 = t2.to(x.array.dtype).reshape(-1, c)
    else:
        t2 = t.array.reshape(-1).astype(np.int64, copy=False)
    out = _loss.CrossEntropy.apply(x2, t2, w, ignore_index, reduction, label_smoothing)
    if reduction == "none":
        out = out.reshape(out_shape)
    return out


def _target_shape_error(name: str, x: Tensor, t: Tensor, expected: tuple, what: str = ""):
    """torch's errors for a class-index target of the wrong shape: ValueError when the batch
    sizes differ, RuntimeError otherwise."""
    kind = f" ({what})" if what else ""
    if x.ndim == 1 and t.ndim == 1 and what != "probabilities":
        raise ValueError(f"{name}: For 1D input, 1D target must have size 1, but got target "
                         f"size: {t.shape[0]} (input of shape {list(x.shape)})")
    if x.ndim >= 2 and t.ndim >= 1 and t.shape[0] != x.shape[0] and what != "probabilities":
        raise ValueError(f"{name}: input of shape {list(x.shape)} expects a target of shape "
                         f"{list(expected)}{kind}, got {list(t.shape)}: Expected input "
                         f"batch_size ({x.shape[0]}) to match target batch_size ({t.shape[0]})")
    raise RuntimeError(f"{name}: input of shape {list(x.shape)} expects a target of shape "
                       f"{list(expected)}{kind}, got {list(t.shape)}")


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities: loss_i = -w_{y_i} x_{i, y_i}; ``mean``
    divides by the summed weights of the non-ignored targets (nan if there are none, as torch).
    cross_entropy(x, y) = nll_loss(log_softmax(x, 1), y).

    Shape: input (N, C), (C,) or (N, C, d1, ...); target (N,), () or (N, d1, ...) int64 class
    indices (with a (C,) input, a (1,) target reads as ()); weight (C,); output scalar, or
    the target's shape with ``reduction='none'``.
    """
    r = _reduction("nll_loss", reduction, size_average, reduce)
    if target.array.dtype.kind not in "iu":
        raise RuntimeError(f"nll_loss: expected target dtype to be int64 (class indices), got "
                           f"{target.dtype}")
    if input.ndim == 0:
        raise ValueError("nll_loss: input must have a class dimension, got a scalar")
    c = input.shape[0] if input.ndim == 1 else input.shape[1]
    expected = () if input.ndim == 1 else (input.shape[0],) + tuple(input.shape[2:])
    if input.ndim == 1 and tuple(target.shape) == (1,):  # torch reads it as a 0-d target
        target = target.reshape(())
    if tuple(target.shape) != expected:
        _target_shape_error("nll_loss", input, target, expected)
    w = _no_grad_weight("nll_loss", "weight", weight)
    if w is not None:
        if w.shape != (c,):
            raise RuntimeError(f"nll_loss: weight must have shape [{c}] (one per class), got "
                               f"{list(w.shape)}")
        w = w.astype(input.array.dtype, copy=False)
    x = input.reshape(1, c) if input.ndim == 1 else input
    t = target.array.reshape((x.shape[0],) + tuple(x.shape[2:])).astype(np.int64, copy=False)
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
    check_floating(input.array, "mse_loss", kernel="mse_cpu")
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
            raise RuntimeError(f"{name}: {arg} of shape {list(w.shape)} cannot be broadcast to the "
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
    _check_same_shape("binary_cross_entropy", input, target, broadcast_error=False)
    p, t = input.array, target.array
    if t.dtype.kind != "f":
        raise RuntimeError(f"binary_cross_entropy: Found dtype {t.dtype} but expected {p.dtype} "
                           "(the target must be floating point, as the input)")
    inside = (p >= 0) & (p <= 1)
    if not inside.all():
        raise RuntimeError("binary_cross_entropy: all elements of input should be between 0 "
                           f"and 1, got {p[~inside].reshape(-1)[0]}")
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
    _check_same_shape(name, input, target, broadcast_error=False)
    if target.array.dtype.kind != "f":
        raise RuntimeError(f"{name}: result type Float can't be cast to the desired output type "
                           f"of the target, {target.dtype} (expected a floating point target; "
                           "cast it with .float())")
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
    allowed = _REDUCTIONS + ("batchmean",)
    if size_average is None and reduce is None and reduction == "mean":
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
