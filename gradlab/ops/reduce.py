"""Reductions: sum, mean, var/std, max/min (values and indices), amax/amin, logsumexp, prod,
cumsum.

``dims`` arguments arrive normalised (a sorted tuple of non-negative axes, or None for all).
A reduction's backward first restores the reduced axes as size 1 (``keepdim`` shape) and then
broadcasts against the input.
"""

from __future__ import annotations

import numpy as np

from ..autograd import ArrayFunction
from ._util import keepdim_shape


def _count(shape: tuple, dims: tuple | None) -> int:
    if dims is None:
        return int(np.prod(shape, dtype=np.int64))
    return int(np.prod([shape[d] for d in dims], dtype=np.int64))


def _expand_grad(g: np.ndarray, shape: tuple, dims: tuple | None) -> np.ndarray:
    """Reshape a reduced gradient to the keepdim shape and broadcast it to ``shape``."""
    return np.broadcast_to(g.reshape(keepdim_shape(shape, dims)), shape)


class Sum(ArrayFunction):
    # d sum(x)/dx_i = 1
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.shape, ctx.dims = x.shape, dims
        if dims is not None and len(dims) == 1 and dims[0] == 0 and x.ndim == 2 \
                and x.dtype.kind == "f" and x.flags.c_contiguous and not keepdim:
            return np.ones(x.shape[0], dtype=x.dtype) @ x  # one BLAS call (DESIGN "Speed")
        return x.sum(axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        return _expand_grad(g, ctx.shape, ctx.dims), None, None


class Mean(ArrayFunction):
    # d mean(x)/dx_i = 1/N
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.shape, ctx.dims = x.shape, dims
        return x.mean(axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        n = _count(ctx.shape, ctx.dims)
        return _expand_grad(g / n if n else g * np.nan, ctx.shape, ctx.dims), None, None


class Var(ArrayFunction):
    # var = sum((x - mean)^2) / (N - c);  d var/dx_i = 2 (x_i - mean) / (N - c)
    @staticmethod
    def forward(ctx, x, dims, correction, keepdim):
        n = _count(x.shape, dims)
        mean = x.mean(axis=dims, keepdims=True)
        d = x - mean
        with np.errstate(divide="ignore", invalid="ignore"):
            out = (d * d).sum(axis=dims, keepdims=keepdim) / max(n - correction, 0)
        ctx.save_for_backward(d)
        ctx.dims, ctx.denom = dims, max(n - correction, 0)
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (d,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            k = _expand_grad(g, d.shape, ctx.dims) * (2 / ctx.denom if ctx.denom else np.inf)
        return k * d, None, None, None


class Std(ArrayFunction):
    # std = sqrt(var);  d std/dx_i = (x_i - mean) / ((N - c) std)  (0 where std == 0, as torch)
    @staticmethod
    def forward(ctx, x, dims, correction, keepdim):
        n = _count(x.shape, dims)
        d = x - x.mean(axis=dims, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.sqrt((d * d).sum(axis=dims, keepdims=True) / max(n - correction, 0))
        out = out.astype(x.dtype, copy=False)
        ctx.save_for_backward(d, out)
        ctx.dims, ctx.denom = dims, max(n - correction, 0)
        return out if keepdim else out.reshape(
            tuple(s for i, s in enumerate(x.shape) if dims is not None and i not in dims))

    @staticmethod
    def backward(ctx, g):
        d, std = ctx.saved_tensors
        g = g.reshape(std.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            k = np.where(std == 0, 0, g / (std * ctx.denom))
        return k * d, None, None, None


class MaxMin(ArrayFunction):
    """Full max/min, or amax/amin over dims: the gradient is shared evenly among ties."""

    # d max(x)/dx_i = [x_i == max] / (number of maxima)  (full max of NaNs: the NaNs share it)
    @staticmethod
    def forward(ctx, x, dims, keepdim, is_max):
        out = (x.max if is_max else x.min)(axis=dims, keepdims=True)
        ctx.save_for_backward(x, out)
        ctx.dims = dims
        return out if keepdim else out.reshape(
            () if dims is None else tuple(s for i, s in enumerate(x.shape) if i not in dims))

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        if ctx.dims is None and np.isnan(out).any():
            mask = np.isnan(x)  # torch's max()/min(); amax/amin (dims given) give NaN instead
        else:
            mask = x == out
        ties = mask.sum(axis=ctx.dims, keepdims=True)
        return mask * (g.reshape(out.shape) / ties).astype(x.dtype), None, None, None


class MaxMinDim(ArrayFunction):
    """max/min along one dim: values and indices; the gradient goes to the returned index."""

    # d max_j(x_ij)/dx_ik = [k == argmax_j x_ij]
    @staticmethod
    def forward(ctx, x, dim, keepdim, is_max):
        shape0 = x.shape
        if x.ndim == 0:  # a 0-d tensor is its own max along dim 0, at index 0
            x = x.reshape(1)
            keepdim = False
        idx = (np.argmax if is_max else np.argmin)(x, axis=dim, keepdims=True)
        vals = np.take_along_axis(x, idx, axis=dim)
        if not keepdim:
            vals, idx = vals.squeeze(dim), idx.squeeze(dim)
        idx = idx.astype(np.int64, copy=False)
        ctx.save_for_backward(idx)
        ctx.dim, ctx.keepdim, ctx.shape, ctx.shape0 = dim, keepdim, x.shape, shape0
        ctx.mark_non_differentiable(idx)
        return vals, idx

    @staticmethod
    def backward(ctx, g, _gi):
        (idx,) = ctx.saved_tensors
        if not ctx.keepdim:
            g, idx = np.expand_dims(g, ctx.dim), np.expand_dims(idx, ctx.dim)
        gx = np.zeros(ctx.shape, dtype=g.dtype)
        np.put_along_axis(gx, idx, g, axis=ctx.dim)
        return gx.reshape(ctx.shape0), None, None, None


class LogSumExp(ArrayFunction):
    # d logsumexp(x)/dx_i = softmax(x)_i = exp(x_i - out)
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        m = x.max(axis=dims, keepdims=True) if x.size else np.zeros(
            keepdim_shape(x.shape, dims), x.dtype)
        m = np.where(np.isfinite(m), m, 0)
        with np.errstate(divide="ignore"):
            out = m + np.log(np.exp(x - m).sum(axis=dims, keepdims=True))
        ctx.save_for_backward(x, out)
        ctx.dims = dims
        return out if keepdim else out.reshape(
            tuple(s for i, s in enumerate(x.shape) if dims is not None and i not in dims))

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        return g.reshape(out.shape) * np.exp(x - out), None, None


class Prod(ArrayFunction):
    # d prod(x)/dx_i = prod_{j != i} x_j, computed from exclusive prefix and suffix products
    # (exact when some x_j are zero, unlike out / x_i)
    @staticmethod
    def forward(ctx, x, dim, keepdim):
        ctx.save_for_backward(x)
        if x.ndim == 0:
            dim = None  # dim 0 of a 0-d tensor: the product of its one value
        ctx.dim, ctx.keepdim = dim, keepdim
        if dim is None:
            out = np.prod(x)
            return np.reshape(out, (1,) * x.ndim) if keepdim else out
        return np.prod(x, axis=dim, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        dim = ctx.dim
        xs = x.reshape(-1) if dim is None else x
        ax = 0 if dim is None else dim
        if xs.shape[ax] == 0:
            return np.zeros(x.shape, g.dtype), None, None
        ones = np.ones_like(np.take(xs, [0], axis=ax))
        left = np.cumprod(np.concatenate([ones, np.delete(xs, -1, axis=ax)], axis=ax), axis=ax)
        rev = np.flip(xs, axis=ax)
        right = np.flip(np.cumprod(np.concatenate([ones, np.delete(rev, -1, axis=ax)], axis=ax),
                                   axis=ax), axis=ax)
        others = (left * right).reshape(x.shape)
        if dim is None:
            return g.reshape(()) * others, None, None
        gk = g if ctx.keepdim else np.expand_dims(g, dim)
        return gk * others, None, None


class Cumsum(ArrayFunction):
    # d cumsum(x)_j/dx_i = [i <= j]  =>  grad = reversed cumsum of g
    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        out = np.cumsum(x, axis=dim, dtype=x.dtype if x.dtype.kind == "f" else None)
        return out.reshape(x.shape)  # NumPy flattens a 0-d input to shape (1,)

    @staticmethod
    def backward(ctx, g):
        d = ctx.dim
        if g.ndim == 0:
            return g, None
        return np.flip(np.cumsum(np.flip(g, axis=d), axis=d), axis=d), None
