"""Losses fused with their output layer where composing primitives would be slow or unstable.

Cross-entropy goes through log-softmax with the log-sum-exp shift, so large logits never
overflow (source 003 "softmax overflow/underflow"). Every cross-entropy variant (class indices,
class weights, ``ignore_index``, label smoothing, probability targets) is the same sum

    loss_i = - sum_c A_ic log p_ic,   p = softmax(x_i)

for a coefficient matrix A, so one backward serves all:  d loss_i / dx_ic = p_ic sum_c A_ic - A_ic.
With probability targets t, A = ((1 - ε) t + ε/C) w, so  d loss_i / dt_ic = -(1 - ε) w_c log p_ic.
"""

from __future__ import annotations

import numpy as np

from ..autograd import ArrayFunction
from .activation import _log_softmax


class CrossEntropy(ArrayFunction):
    # loss_i = -sum_c A_ic log p_ic; dx_ic = p_ic sum_c A_ic - A_ic; dt_ic = -(1-ε) w_c log p_ic
    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction, label_smoothing):
        # x: (N, C) logits; target: (N,) int64 class indices or (N, C) probabilities
        n, c = x.shape
        logp = _log_softmax(x, 1)
        ls = label_smoothing
        if target.dtype.kind in "iu":
            valid = target != ignore_index
            t = np.where(valid, target, 0)
            if t.size and (t.min() < 0 or t.max() >= c):
                bad = t[(t < 0) | (t >= c)][0]
                raise IndexError(f"cross_entropy: target {int(bad)} is out of bounds for "
                                 f"{c} classes")
            rows = np.arange(n)
            wt = weight[t] if weight is not None else np.ones(n, dtype=x.dtype)
            wt = wt * valid
            A = None
            if ls == 0 and weight is None:
                coef_sum = valid.astype(x.dtype)
            else:
                A = np.zeros((n, c), dtype=x.dtype)
                A[rows, t] = (1 - ls) * wt
                if ls:
                    wc = weight if weight is not None else np.ones(c, dtype=x.dtype)
                    A += (ls / c) * wc[None, :] * valid[:, None]
                coef_sum = A.sum(axis=1)
            if A is None:
                per = -logp[rows, t] * valid
            else:
                per = -(A * logp).sum(axis=1)
            denom = wt.sum()
        else:
            tp = target.astype(x.dtype, copy=False)
            if ls:
                tp = tp * (1 - ls) + ls / c
            A = tp * weight[None, :] if weight is not None else tp
            coef_sum = A.sum(axis=1)
            per = -(A * logp).sum(axis=1)
            t = rows = valid = None
            denom = n
        ctx.save_for_backward(logp)
        ctx.A, ctx.t, ctx.rows, ctx.valid = A, t, rows, valid
        ctx.coef_sum, ctx.reduction, ctx.denom = coef_sum, reduction, denom
        ctx.weight, ctx.ls = weight, ls
        if reduction == "none":
            return per.astype(x.dtype, copy=False)
        total = per.sum(dtype=x.dtype)
        if reduction == "sum":
            return np.asarray(total)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(total / np.asarray(denom, dtype=x.dtype))

    @staticmethod
    def backward(ctx, g):
        (logp,) = ctx.saved_tensors
        grad = np.exp(logp)
        grad *= ctx.coef_sum[:, None]
        if ctx.A is None:
            grad[ctx.rows, ctx.t] -= ctx.valid
        else:
            grad -= ctx.A
        if ctx.reduction == "none":
            scale = g[:, None]
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                scale = np.asarray(g if ctx.reduction == "sum" else g / ctx.denom, grad.dtype)
        with np.errstate(invalid="ignore"):
            grad *= scale
        if ctx.valid is not None and not ctx.denom:
            grad[~ctx.valid] = 0  # ignored rows get 0 even when the mean is 0/0 (as torch)
        gt = None
        if ctx.needs_input_grad[1]:
            gt = logp * (-(1 - ctx.ls) * scale)
            if ctx.weight is not None:
                gt *= ctx.weight
        return grad, gt, None, None, None, None


class NLLLoss(ArrayFunction):
    # loss_i = -w_{y_i} x_{i, y_i} (0 where y_i is ignored);  d loss_i / d x_ic = -w_c [c = y_i]
    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction):
        # x: (N, C, d1...) log-probabilities; target: (N, d1...) int64 class indices
        c = x.shape[1]
        valid = target != ignore_index
        t = np.where(valid, target, 0)
        if t.size and (t.min() < 0 or t.max() >= c):
            bad = t[(t < 0) | (t >= c)][0]
            raise IndexError(f"nll_loss: target {int(bad)} is out of bounds for {c} classes")
        t = np.expand_dims(t, 1)
        picked = np.take_along_axis(x, t, axis=1)[:, 0]
        wt = (weight[t[:, 0]] if weight is not None else np.ones(valid.shape, x.dtype)) * valid
        wt = wt.astype(x.dtype, copy=False)
        per = -(wt * picked)
        ctx.t, ctx.wt, ctx.shape, ctx.reduction = t, wt, x.shape, reduction
        if reduction == "none":
            return per
        total = per.sum(dtype=x.dtype)
        if reduction == "sum":
            return np.asarray(total)
        ctx.denom = wt.sum(dtype=x.dtype)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(total / ctx.denom)  # nan when every weight is 0, as torch

    @staticmethod
    def backward(ctx, g):
        wt = ctx.wt
        if ctx.reduction == "mean":
            # all-ignored (or zero-weight) batch: loss nan, gradient 0 (as torch)
            coef = -wt * (g / ctx.denom) if ctx.denom else np.zeros_like(wt)
        else:
            coef = -wt * g
        grad = np.zeros(ctx.shape, dtype=wt.dtype)
        np.put_along_axis(grad, ctx.t, np.expand_dims(coef, 1), axis=1)
        return grad, None, None, None, None


#: torch's clamp of p (1 - p) in the BCE gradient: 1e-12 rounded to float32 (a float constant
#: in its kernel; float64 gradients near p = 0 or 1 match torch only with this value)
_BCE_EPS = float(np.float32(1e-12))


class BinaryCrossEntropy(ArrayFunction):
    # loss = -w (t max(log p, -100) + (1 - t) max(log(1 - p), -100));
    # dp = w (p - t) / max(p (1 - p), 1e-12) ;  dt = w (log(1 - p) - log p)   (torch's formulas)
    @staticmethod
    def forward(ctx, p, t, w):
        with np.errstate(divide="ignore"):
            logp, log1mp = np.log(p), np.log1p(-p)
        # torch clamps each log at -100, so p = 0 or 1 gives a finite loss of 100 (not inf)
        loss = (t - 1) * np.maximum(log1mp, -100) - t * np.maximum(logp, -100)
        if w is not None:
            loss = loss * w
        ctx.save_for_backward(p, t)
        ctx.w = w
        return loss.astype(p.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        p, t = ctx.saved_tensors
        gw = g if ctx.w is None else g * ctx.w
        dp = dt = None
        if ctx.needs_input_grad[0]:
            dp = gw * (p - t) / np.maximum(p * (1 - p), _BCE_EPS)
        if ctx.needs_input_grad[1]:
            with np.errstate(divide="ignore"):
                dt = gw * (np.log1p(-p) - np.log(p))
        return dp, dt, None


def _softplus_neg(x: np.ndarray) -> np.ndarray:
    """log(1 + e^-x) = max(-x, 0) + log1p(e^-|x|), finite for every x."""
    return np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))


class BCEWithLogits(ArrayFunction):
    # loss = w ((1 - t) x + l softplus(-x)), l = 1 + (pw - 1) t;
    # dx = w (l sigmoid(x) - pw t) ;  dt = w (-x + (pw - 1) softplus(-x))
    @staticmethod
    def forward(ctx, x, t, w, pos_weight):
        sp = _softplus_neg(x)
        if pos_weight is None:
            loss = (1 - t) * x + sp
        else:
            loss = (1 - t) * x + (1 + (pos_weight - 1) * t) * sp
        if w is not None:
            loss = loss * w
        ctx.save_for_backward(x, t)
        ctx.w, ctx.pw = w, pos_weight
        return loss.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        pw = ctx.pw
        gw = g if ctx.w is None else g * ctx.w
        dx = dt = None
        if ctx.needs_input_grad[0]:
            e = np.exp(-np.abs(x))
            r = 1 / (1 + e)
            sig = np.where(x >= 0, r, e * r)
            if pw is None:
                dx = gw * (sig - t)
            else:
                dx = gw * ((1 + (pw - 1) * t) * sig - pw * t)
        if ctx.needs_input_grad[1]:
            dt = gw * (-x if pw is None else (pw - 1) * _softplus_neg(x) - x)
        return dx, dt, None, None
