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

from .. import _threads
from ..autograd import ArrayFunction


def _sum_times(a: np.ndarray, b: np.ndarray, axes: tuple) -> np.ndarray:
    """sum(a * b) over ``axes`` (keepdims), in one pass without a full-size temporary."""
    letters = "abcdefghijklmnopqrstuvwxyz"[:a.ndim]
    keep = "".join(ch for i, ch in enumerate(letters) if i not in axes)
    r = np.einsum(f"{letters},{letters}->{keep}", a, b)
    return r.reshape([1 if i in axes else n for i, n in enumerate(a.shape)])


def _channel_axis(x: np.ndarray, axes: tuple, params: tuple) -> int | None:
    """The one axis that is not normalized over, when the affine parameters are per channel
    (BatchNorm) and the input is big enough for :func:`gradlab._threads.split` to pay: the
    channels are then split over the threads (each statistic belongs to one channel, so the
    parts compute exactly what one call computes). Else None."""
    kept = [i for i in range(x.ndim) if i not in axes]
    if (len(kept) != 1 or x.dtype.kind != "f" or x.shape[kept[0]] < 2
            or x.nbytes < _threads.MIN_BYTES):
        return None
    stat = tuple(1 if i in axes else n for i, n in enumerate(x.shape))
    return kept[0] if all(p is None or p.shape == stat for p in params) else None


def _part(a, ax: int, lo: int, hi: int):
    """``a``'s channels [lo, hi) along ``ax`` (None stays None)."""
    return None if a is None else a[(slice(None),) * ax + (slice(lo, hi),)]


def _standardize(x, gamma, beta, axes, eps, out, xc) -> tuple:
    """Writes xc = x - mean and out = gamma (xc / sigma) + beta; returns (mean, var, inv)."""
    mean = x.mean(axis=axes, keepdims=True)
    np.subtract(x, mean, out=xc)
    var = _sum_times(xc, xc, axes) / (x.size // mean.size)
    inv = 1.0 / np.sqrt(var + eps)
    if gamma is not None and gamma.shape == inv.shape:  # BatchNorm: one scale per channel
        np.multiply(xc, gamma * inv, out=out)
    else:
        np.multiply(xc, inv, out=out)
        if gamma is not None:
            out *= gamma
    if beta is not None:
        out += beta
    return mean, var, inv


def _per_stat_grad_x(g, xc, inv, gamma, sum_g, sum_gxc, m, gx) -> None:
    """gx = a g - xc a inv^2 sum(g xc) / m - a sum(g) / m, a = gamma inv (per channel)."""
    a = inv if gamma is None else gamma * inv
    np.multiply(g, a, out=gx)
    gx -= xc * (a * inv * inv * sum_gxc / m)
    gx -= a * sum_g / m


class Normalize(ArrayFunction):
    # y = gamma x_hat + beta ; dx = (g' - mean(g') - x_hat mean(g' x_hat)) / sigma, g' = g gamma
    @staticmethod
    def forward(ctx, x, gamma, beta, axes, eps):
        axes = tuple(a % x.ndim for a in axes)
        dtypes = [x.dtype] + [p.dtype for p in (gamma, beta) if p is not None]
        out = np.empty(x.shape, np.result_type(*dtypes))
        xc = np.empty(x.shape, x.dtype)
        ax = _channel_axis(x, axes, (gamma, beta))
        if ax is None:
            mean, var, inv = _standardize(x, gamma, beta, axes, eps, out, xc)
        else:
            stat = tuple(1 if i in axes else n for i, n in enumerate(x.shape))
            mean, var = np.empty(stat, x.dtype), np.empty(stat, x.dtype)
            inv = np.empty(stat, x.dtype)

            def part(lo: int, hi: int) -> None:
                m, v, i = _standardize(*(_part(a, ax, lo, hi) for a in (x, gamma, beta)), axes,
                                       eps, _part(out, ax, lo, hi), _part(xc, ax, lo, hi))
                _part(mean, ax, lo, hi)[...] = m
                _part(var, ax, lo, hi)[...] = v
                _part(inv, ax, lo, hi)[...] = i

            _threads.split(part, x.shape[ax], x.nbytes)
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
            ax = _channel_axis(xc, axes, (gamma,))
            sum_g = np.empty(inv.shape, g.dtype)
            sum_gxc = np.empty(inv.shape, np.result_type(g.dtype, xc.dtype))
            if nx:
                dtypes = [g.dtype, inv.dtype] + ([] if gamma is None else [gamma.dtype])
                gx = np.empty(g.shape, np.result_type(*dtypes))

            def part(lo: int, hi: int) -> None:
                gs, xs, ins, gms = (_part(a, ax, lo, hi) for a in (g, xc, inv, gamma))
                sg, sgx = _part(sum_g, ax, lo, hi), _part(sum_gxc, ax, lo, hi)
                sg[...] = gs.sum(axis=axes, keepdims=True)
                sgx[...] = _sum_times(gs, xs, axes)
                if nx:
                    _per_stat_grad_x(gs, xs, ins, gms, sg, sgx, m, _part(gx, ax, lo, hi))

            if ax is None:  # one part: the whole array
                ax = 0
                part(0, xc.shape[0])
            else:
                _threads.split(part, xc.shape[ax], xc.nbytes)
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
