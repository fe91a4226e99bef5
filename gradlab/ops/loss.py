"""Losses fused with their output layer where composing primitives would be slow or unstable.

Cross-entropy goes through log-softmax with the log-sum-exp shift, so large logits never
overflow (seed 003 "softmax overflow/underflow"). Every cross-entropy variant (class indices,
class weights, ``ignore_index``, label smoothing, probability targets) is the same sum

    loss_i = - sum_c A_ic log p_ic,   p = softmax(x_i)

for a coefficient matrix A, so one backward serves all:  d loss_i / dx_ic = p_ic sum_c A_ic - A_ic.
With probability targets t, A = ((1 - ε) t + ε/C) w, so  d loss_i / dt_ic = -(1 - ε) w_c log p_ic.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from .activation import _log_softmax


class CrossEntropy(Function):
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
        p = np.exp(logp)
        grad = p * ctx.coef_sum[:, None]
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
