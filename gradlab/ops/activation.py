"""Activation functions and the (log-)softmax, written to be numerically stable.

Each saves its output where the derivative is cheaper from it (sigmoid, tanh, relu, softmax).
Seeds: 002 Q1, 003 activations and softmax, 004 §1.1.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function


class Sigmoid(Function):
    # d sigma(x)/dx = sigma(x) (1 - sigma(x)) = out (1 - out)
    @staticmethod
    def forward(ctx, x):
        # exp(-|x|) never overflows: sigma(x) = 1/(1+e) for x >= 0 and e/(1+e) for x < 0
        e = np.exp(-np.abs(x))
        r = 1 / (1 + e)
        out = np.where(x >= 0, r, e * r)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out * (1 - out)


class Tanh(Function):
    # d tanh(x)/dx = 1 - tanh(x)^2 = 1 - out^2
    @staticmethod
    def forward(ctx, x):
        out = np.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (1 - out * out)


class ReLU(Function):
    # d max(x, 0)/dx = 1 where x > 0 (out > 0), else 0
    @staticmethod
    def forward(ctx, x):
        out = np.maximum(x, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (out > 0)


def _log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    """x - logsumexp(x) along ``axis``, as (x - max) - log(sum(exp(x - max))): exp never
    overflows, and the max is not added back (1000.31 - 1000 would lose float32 digits)."""
    m = x.max(axis=axis, keepdims=True)
    s = x - np.where(np.isfinite(m), m, 0)
    return s - np.log(np.exp(s).sum(axis=axis, keepdims=True))


class Softmax(Function):
    # d softmax_i/dx_j = y_i (delta_ij - y_j)  =>  grad = y * (g - sum(g * y))
    @staticmethod
    def forward(ctx, x, dim):
        e = np.exp(x - x.max(axis=dim, keepdims=True))
        out = e / e.sum(axis=dim, keepdims=True)
        ctx.save_for_backward(out)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        gy = g * y
        return gy - y * gy.sum(axis=ctx.dim, keepdims=True), None


class LogSoftmax(Function):
    # log_softmax = x - logsumexp(x);  grad = g - softmax * sum(g) = g - exp(out) * sum(g)
    @staticmethod
    def forward(ctx, x, dim):
        out = _log_softmax(x, dim)
        ctx.save_for_backward(out)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g - np.exp(out) * g.sum(axis=ctx.dim, keepdims=True), None
