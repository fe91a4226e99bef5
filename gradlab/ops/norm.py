"""Normalization with the closed-form backward (source 003 BN, 000 Q64, 002 Q6, 004 §3.4).

All of BatchNorm, LayerNorm, GroupNorm and InstanceNorm are one computation on a suitably
reshaped input: standardise over some axes, then scale and shift,

    x_hat = (x - mean) / sqrt(var + eps),   y = gamma * x_hat + beta,

with mean and the biased var over ``axes``. Its backward needs no graph of the mean and var:

    dx = (1 / sigma) * (g' - mean(g') - x_hat * mean(g' * x_hat)),   g' = g * gamma,
    dgamma = sum(g * x_hat),   dbeta = sum(g)

(means over ``axes``; the engine sums dgamma and dbeta to the broadcast shapes of gamma/beta).
"""

from __future__ import annotations

import numpy as np

from ..autograd import ArrayFunction


def _sum_times(a: np.ndarray, b: np.ndarray, axes: tuple) -> np.ndarray:
    """sum(a * b) over ``axes`` (keepdims), in one pass without a full-size temporary."""
    letters = "abcdefghijklmnopqrstuvwxyz"[:a.ndim]
    keep = "".join(ch for i, ch in enumerate(letters) if i not in axes)
    r = np.einsum(f"{letters},{letters}->{keep}", a, b)
    return r.reshape([1 if i in axes else n for i, n in enumerate(a.shape)])


class Normalize(ArrayFunction):
    # y = gamma x_hat + beta ; dx = (g' - mean(g') - x_hat mean(g' x_hat)) / sigma, g' = g gamma
    @staticmethod
    def forward(ctx, x, gamma, beta, axes, eps):
        axes = tuple(a % x.ndim for a in axes)
        mean = x.mean(axis=axes, keepdims=True)
        xc = x - mean
        var = _sum_times(xc, xc, axes) / (x.size // mean.size)
        inv = 1.0 / np.sqrt(var + eps)
        if gamma is not None and gamma.shape == inv.shape:  # BatchNorm: one scale per channel
            out = xc * (gamma * inv)
        else:
            out = xc * inv
            if gamma is not None:
                out *= gamma
        if beta is not None:
            out += beta
        ctx.save_for_backward(xc, inv, gamma)
        ctx.axes = axes
        ctx.shapes = (None if gamma is None else gamma.shape,
                      None if beta is None else beta.shape)
        # the batch statistics come out too (for running averages), without gradient
        ctx.mark_non_differentiable(mean, var)
        return out.astype(x.dtype, copy=False), mean, var

    @staticmethod
    def backward(ctx, g, _gmean, _gvar):
        xc, inv, gamma = ctx.saved_tensors
        nx, ngamma, nbeta = ctx.needs_input_grad[:3]
        axes = ctx.axes
        gamma_shape, beta_shape = ctx.shapes
        m = xc.size // inv.size
        per_stat = gamma_shape in (None, inv.shape) and beta_shape in (None, inv.shape)
        gx = ggamma = gbeta = None
        if per_stat:
            # gamma shares the statistics' shape (BatchNorm, or no affine): everything below
            # is a per-channel coefficient times g or xc, with x_hat = xc inv never formed
            sum_g = g.sum(axis=axes, keepdims=True)
            sum_gxc = _sum_times(g, xc, axes)
            if nx:
                a = inv if gamma is None else gamma * inv
                gx = g * a
                gx -= xc * (a * inv * inv * sum_gxc / m)
                gx -= a * sum_g / m
            if ngamma:
                ggamma = sum_gxc * inv
            if nbeta:
                gbeta = sum_g
            return gx, ggamma, gbeta, None, None
        xhat = xc * inv
        if nx:
            gp = g * gamma
            gx = inv * (gp - gp.mean(axis=axes, keepdims=True)
                        - xhat * _sum_times(gp, xhat, axes) / m)
        ggamma = g * xhat if ngamma else None
        return gx, ggamma, (g if nbeta else None), None, None

