"""Normalization with the closed-form backward (seed 003 BN, 000 Q64, 002 Q6, 004 §3.4).

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

from ..autograd import Function


class Normalize(Function):
    # y = gamma x_hat + beta ; dx = (g' - mean(g') - x_hat mean(g' x_hat)) / sigma, g' = g gamma
    @staticmethod
    def forward(ctx, x, gamma, beta, axes, eps):
        mean = x.mean(axis=axes, keepdims=True)
        xc = x - mean
        var = np.mean(xc * xc, axis=axes, keepdims=True)
        inv = 1.0 / np.sqrt(var + eps)
        xhat = xc * inv
        out = xhat if gamma is None else xhat * gamma
        if beta is not None:
            out = out + beta
        ctx.save_for_backward(xhat, inv, gamma)
        ctx.axes = axes
        # the batch statistics come out too (for running averages), without gradient
        ctx.mark_non_differentiable(mean, var)
        return out.astype(x.dtype, copy=False), mean, var

    @staticmethod
    def backward(ctx, g, _gmean, _gvar):
        xhat, inv, gamma = ctx.saved_tensors
        nx, ngamma, nbeta = ctx.needs_input_grad[:3]
        axes = ctx.axes
        gx = None
        if nx:
            gp = g if gamma is None else g * gamma
            gx = inv * (gp - gp.mean(axis=axes, keepdims=True)
                        - xhat * (gp * xhat).mean(axis=axes, keepdims=True))
        ggamma = g * xhat if ngamma else None
        return gx, ggamma, (g if nbeta else None), None, None

