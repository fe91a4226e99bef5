"""Pooling over strided window views of the (padded) input.

Backward exactly as source 002 Q8 describes: max pooling routes each output gradient to the
arg-max position of its window; average pooling spreads it evenly over the window. Stochastic
pooling (Zeiler & Fergus 2013, source 002 Q7) samples one position per window with probability
proportional to its activation in training and takes the probability-weighted average in eval.

Output size (source 003): floor((H + 2p - d (k - 1) - 1) / s) + 1, or ceil(...) + 1 with
``ceil_mode``, where a last window that would start in the right padding is dropped (PyTorch).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..autograd import ArrayFunction


def pool_out_size(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    span = size + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1  # the last window must start inside the input or the left padding
    return out


def _padded(x: np.ndarray, k, s, p, d, ceil_mode, fill) -> tuple:
    """Pad H, W by p (plus what ceil_mode's last window needs) with ``fill``."""
    n, c, h, w = x.shape
    ho = pool_out_size(h, k[0], s[0], p[0], d[0], ceil_mode)
    wo = pool_out_size(w, k[1], s[1], p[1], d[1], ceil_mode)
    need_h = (ho - 1) * s[0] + d[0] * (k[0] - 1) + 1
    need_w = (wo - 1) * s[1] + d[1] * (k[1] - 1) + 1
    hp, wp = max(h + 2 * p[0], need_h), max(w + 2 * p[1], need_w)
    if hp == h and wp == w:
        return x, ho, wo
    xp = np.full((n, c, hp, wp), fill, dtype=x.dtype)
    xp[:, :, p[0]:p[0] + h, p[1]:p[1] + w] = x
    return xp, ho, wo


def _windows(xp: np.ndarray, k, s, d, ho: int, wo: int) -> np.ndarray:
    """(N, C, Hp, Wp) -> a view (N, C, Ho, Wo, kh, kw) of every window."""
    s_n, s_c, s_h, s_w = xp.strides
    n, c = xp.shape[:2]
    return as_strided(xp, (n, c, ho, wo, k[0], k[1]),
                      (s_n, s_c, s_h * s[0], s_w * s[1], s_h * d[0], s_w * d[1]),
                      writeable=False)


def _overlapping(k, s, d) -> bool:
    return any(st < dd * (kk - 1) + 1 for kk, st, dd in zip(k, s, d))


def _scatter_windows(g: np.ndarray, pos: np.ndarray, shape: tuple, overlap: bool) -> np.ndarray:
    """Add g[n, c, i, j] at flat positions pos[n, c, i, j] of each (n, c) plane of ``shape``."""
    n, c, hp, wp = shape
    plane = hp * wp
    flat = (pos + (np.arange(n * c) * plane).reshape(n, c, 1, 1)).ravel()
    if overlap:  # windows share positions: accumulate
        out = np.bincount(flat, weights=g.ravel(), minlength=n * c * plane)
        return out.astype(g.dtype).reshape(shape)
    out = np.zeros(n * c * plane, dtype=g.dtype)
    out[flat] = g.ravel()
    return out.reshape(shape)


def _tiles(x: np.ndarray, k, ho: int, wo: int) -> np.ndarray:
    """(N, C, H, W) -> a view (N, C, Ho, kh, Wo, kw) of non-overlapping k-windows (s = k)."""
    n, c = x.shape[:2]
    return x[:, :, :ho * k[0], :wo * k[1]].reshape(n, c, ho, k[0], wo, k[1])


def _tiled(k, s, p, d, shape, ho, wo) -> bool:
    """Windows tile the input: stride = kernel, no padding or dilation, none past the edge."""
    return (tuple(s) == tuple(k) and not any(p) and tuple(d) == (1, 1)
            and ho * k[0] <= shape[2] and wo * k[1] <= shape[3])


def _tile_max(x: np.ndarray, k, ho: int, wo: int) -> tuple:
    """Max and arg-max (tap index i kw + j) of each tile, a few output-sized passes per tap.

    Ties go to the first tap and a NaN wins (later NaNs replace earlier ones), as PyTorch's
    CPU kernel (``val > max || isnan(val)``) does. Taps only move forward, so the arg-max is
    the largest tap that updated: ``arg = max(arg, tap * updated)``, no masked copies (NumPy's
    ``copyto(where=)`` measured 7x slower than a comparison here)."""
    t = _tiles(x, k, ho, wo)
    best = np.array(t[:, :, :, 0, :, 0])
    itype = np.int8 if k[0] * k[1] < 128 else np.int64
    arg = np.zeros(best.shape, dtype=itype)
    upd = np.empty(best.shape, dtype=bool)
    nan = np.empty(best.shape, dtype=bool)
    step = np.empty(best.shape, dtype=itype)
    for tap in range(1, k[0] * k[1]):
        v = t[:, :, :, tap // k[1], :, tap % k[1]]
        np.greater(v, best, out=upd)
        upd |= np.not_equal(v, v, out=nan)
        np.multiply(upd, itype(tap), out=step)
        np.maximum(arg, step, out=arg)
        np.maximum(best, v, out=best)  # NaN propagates, as the kernel's output does
    return best, arg


class MaxPool2d(ArrayFunction):
    # d max(window)/dx = 1 at the window's arg-max, 0 elsewhere (source 002 Q8)
    @staticmethod
    def forward(ctx, x, k, s, p, d, ceil_mode, with_indices=True):
        n, c, h, w = x.shape
        ho = pool_out_size(h, k[0], s[0], p[0], d[0], ceil_mode)
        wo = pool_out_size(w, k[1], s[1], p[1], d[1], ceil_mode)
        if _tiled(k, s, p, d, x.shape, ho, wo):  # e.g. 2x2 stride 2: no window copy
            out, arg = _tile_max(x, k, ho, wo)
            ctx.save_for_backward(arg)
            # the tiled path keeps each tile's arg-max tap; backward routes g to it
            ctx.x_shape, ctx.tiled, ctx.kernel = x.shape, True, k
            if not with_indices:
                return out
            r = np.arange(ho).reshape(-1, 1) * k[0] + arg // k[1]
            q = np.arange(wo) * k[1] + arg % k[1]
            idx = r * w + q.astype(np.int64)
            ctx.mark_non_differentiable(idx)
            return out, idx
        xp, ho, wo = _padded(x, k, s, p, d, ceil_mode, -np.inf)
        win = _windows(xp, k, s, d, ho, wo).reshape(*xp.shape[:2], ho, wo, k[0] * k[1])
        arg = win.argmax(axis=-1)
        out = np.take_along_axis(win, arg[..., None], axis=-1)[..., 0]
        nan = np.isnan(out)
        if nan.any():  # argmax takes a window's first NaN, PyTorch's kernel its last
            last = win.shape[-1] - 1 - np.isnan(win[..., ::-1]).argmax(axis=-1)
            arg = np.where(nan, last, arg)
        # flat position of each arg-max inside the padded plane
        r = np.arange(ho).reshape(-1, 1) * s[0] + (arg // k[1]) * d[0]
        q = np.arange(wo) * s[1] + (arg % k[1]) * d[1]
        pos = r * xp.shape[3] + q
        ctx.save_for_backward(pos)
        # the window path keeps each arg-max's flat position in the padded plane
        ctx.x_shape, ctx.tiled, ctx.padded_shape = x.shape, False, xp.shape
        ctx.padding, ctx.overlap = p, _overlapping(k, s, d)
        # indices into the unpadded input plane, as PyTorch's return_indices
        if not with_indices:
            return np.ascontiguousarray(out)
        idx = ((r - p[0]) * x.shape[3] + (q - p[1])).astype(np.int64)
        ctx.mark_non_differentiable(idx)
        return np.ascontiguousarray(out), idx

    @staticmethod
    def backward(ctx, g, _gidx=None):
        x_shape = ctx.x_shape
        if ctx.tiled:  # route g to each tile's arg-max tap
            (arg,) = ctx.saved_tensors
            k = ctx.kernel
            n, c, ho, wo = g.shape
            tiled = (ho * k[0], wo * k[1]) == tuple(x_shape[2:])
            gx = (np.empty if tiled else np.zeros)(x_shape, dtype=g.dtype)
            t = _tiles(gx, k, ho, wo)
            hit = np.empty(arg.shape, dtype=bool)
            for tap in range(k[0] * k[1]):  # every tap of every tile is written once
                np.multiply(g, np.equal(arg, tap, out=hit), out=t[:, :, :, tap // k[1], :,
                                                                   tap % k[1]])
            return gx, None, None, None, None, None, None
        (pos,) = ctx.saved_tensors
        p = ctx.padding
        gxp = _scatter_windows(g, pos, ctx.padded_shape, ctx.overlap)
        return (gxp[:, :, p[0]:p[0] + x_shape[2], p[1]:p[1] + x_shape[3]],
                None, None, None, None, None, None)


def _avg_divisor(shape, k, s, p, ceil_mode, count_include_pad, ho, wo, xp_shape, dtype):
    """How many positions each window averages over (PyTorch's rules)."""
    h, w = shape[2], shape[3]
    one = np.zeros(xp_shape[2:], dtype=dtype)
    if count_include_pad:
        one[:h + 2 * p[0], :w + 2 * p[1]] = 1  # padding counts, ceil_mode's overhang does not
    else:
        one[p[0]:p[0] + h, p[1]:p[1] + w] = 1
    win = _windows(one[None, None], k, s, (1, 1), ho, wo)
    return win.sum(axis=(-1, -2))[0, 0]  # (Ho, Wo)


class AvgPool2d(ArrayFunction):
    # d mean(window)/dx = 1/divisor for each position of the window (source 002 Q8)
    @staticmethod
    def forward(ctx, x, k, s, p, ceil_mode, count_include_pad, divisor_override):
        xp, ho, wo = _padded(x, k, s, p, (1, 1), ceil_mode, 0)
        win = _windows(xp, k, s, (1, 1), ho, wo)
        if divisor_override:
            div = np.asarray(divisor_override, dtype=x.dtype)
        else:
            div = _avg_divisor(x.shape, k, s, p, ceil_mode, count_include_pad, ho, wo,
                               xp.shape, x.dtype)
        ctx.x_shape, ctx.padded_shape, ctx.kernel, ctx.stride, ctx.padding = (
            x.shape, xp.shape, k, s, p)
        ctx.divisor = div
        return (win.sum(axis=(-1, -2)) / div).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x_shape, xp_shape = ctx.x_shape, ctx.padded_shape
        k, s, p = ctx.kernel, ctx.stride, ctx.padding
        gd = g / ctx.divisor
        gxp = np.zeros(xp_shape, dtype=g.dtype)
        ho, wo = g.shape[2:]
        for a in range(k[0]):  # one strided add per kernel offset, never per pixel
            for b in range(k[1]):
                gxp[:, :, a:a + (ho - 1) * s[0] + 1:s[0], b:b + (wo - 1) * s[1] + 1:s[1]] += gd
        return (gxp[:, :, p[0]:p[0] + x_shape[2], p[1]:p[1] + x_shape[3]],
                None, None, None, None, None, None)


def adaptive_bounds(size: int, out: int) -> list:
    """PyTorch's adaptive windows: [floor(i size / out), ceil((i + 1) size / out))."""
    return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]


def averaging_matrix(size: int, out: int, dtype) -> np.ndarray:
    """(out, size) matrix whose row i averages adaptive window i."""
    m = np.zeros((out, size), dtype=dtype)
    for i, (a, b) in enumerate(adaptive_bounds(size, out)):
        m[i, a:b] = 1.0 / (b - a)
    return m


class AdaptiveAvgPool2d(ArrayFunction):
    # out = A_h x A_w^T per plane ;  dx = A_h^T g A_w
    @staticmethod
    def forward(ctx, x, out_size):
        ah = averaging_matrix(x.shape[2], out_size[0], x.dtype)
        aw = averaging_matrix(x.shape[3], out_size[1], x.dtype)
        ctx.save_for_backward(ah, aw)
        return np.ascontiguousarray(ah @ x @ aw.T)

    @staticmethod
    def backward(ctx, g):
        ah, aw = ctx.saved_tensors
        return ah.T @ g @ aw, None


class AdaptiveMaxPool2d(ArrayFunction):
    # d max(window)/dx = 1 at the window's arg-max (windows may overlap: accumulate)
    @staticmethod
    def forward(ctx, x, out_size):
        n, c, h, w = x.shape
        oh, ow = out_size
        out = np.empty((n, c, oh, ow), dtype=x.dtype)
        pos = np.empty((n, c, oh, ow), dtype=np.int64)
        # a loop over output cells (e.g. 7 x 7), vectorised over the batch and channels
        for i, (r0, r1) in enumerate(adaptive_bounds(h, oh)):
            for j, (c0, c1) in enumerate(adaptive_bounds(w, ow)):
                block = x[:, :, r0:r1, c0:c1].reshape(n, c, -1)
                a = block.argmax(axis=-1)
                out[:, :, i, j] = np.take_along_axis(block, a[..., None], -1)[..., 0]
                pos[:, :, i, j] = (r0 + a // (c1 - c0)) * w + c0 + a % (c1 - c0)
        ctx.save_for_backward(pos)
        ctx.shape = x.shape
        ctx.mark_non_differentiable(pos)
        return out, pos

    @staticmethod
    def backward(ctx, g, _gidx):
        (pos,) = ctx.saved_tensors
        return _scatter_windows(g, pos, ctx.shape, True), None


class StochasticPool2d(ArrayFunction):
    """Training: sample one position per window with p_i = a_i / sum(a); eval: sum(p_i a_i).

    Activations must be non-negative (after ReLU); an all-zero window gives 0.
    """

    # train: d out/d a = 1 at the sampled position ; eval: out = S2/S1 with S1 = sum a,
    # S2 = sum a^2, so d out/d a_i = (2 a_i S1 - S2) / S1^2
    @staticmethod
    def forward(ctx, x, k, s, training, rng):
        if x.size and x.min() < 0:
            raise ValueError("stochastic pooling needs non-negative inputs (apply it after "
                             f"ReLU); got a minimum of {x.min():.4g}")
        n, c, h, w = x.shape
        ho, wo = (h - k[0]) // s[0] + 1, (w - k[1]) // s[1] + 1
        win = _windows(x, k, s, (1, 1), ho, wo).reshape(n, c, ho, wo, k[0] * k[1])
        total = win.sum(axis=-1, keepdims=True)
        ctx.x_shape, ctx.kernel, ctx.stride, ctx.training = x.shape, k, s, training
        ctx.overlap = _overlapping(k, s, (1, 1))
        if training:
            cdf = np.cumsum(win, axis=-1)
            u = rng.random(total.shape) * total
            arg = np.minimum((cdf <= u).sum(axis=-1), k[0] * k[1] - 1)
            out = np.take_along_axis(win, arg[..., None], -1)[..., 0]
            out = np.where(total[..., 0] > 0, out, 0).astype(x.dtype)
            r = np.arange(ho).reshape(-1, 1) * s[0] + arg // k[1]
            q = np.arange(wo) * s[1] + arg % k[1]
            ctx.save_for_backward(r * w + q)
            return out
        with np.errstate(invalid="ignore", divide="ignore"):
            sq = (win * win).sum(axis=-1)
            out = np.where(total[..., 0] > 0, sq / total[..., 0], 0).astype(x.dtype)
        ctx.save_for_backward(win, total[..., 0], sq)
        return out

    @staticmethod
    def backward(ctx, g):
        shape, k, s = ctx.x_shape, ctx.kernel, ctx.stride
        if ctx.training:
            (pos,) = ctx.saved_tensors
            return _scatter_windows(g, pos, shape, ctx.overlap), None, None, None, None
        win, s1, s2 = ctx.saved_tensors
        with np.errstate(invalid="ignore", divide="ignore"):
            d = (2 * win * s1[..., None] - s2[..., None]) / (s1 * s1)[..., None]
        d = np.where(s1[..., None] > 0, d, 0) * g[..., None]
        n, c, ho, wo = g.shape
        gx = np.zeros(shape, dtype=g.dtype)
        d = d.reshape(n, c, ho, wo, k[0], k[1])
        for a in range(k[0]):
            for b in range(k[1]):
                gx[:, :, a:a + (ho - 1) * s[0] + 1:s[0], b:b + (wo - 1) * s[1] + 1:s[1]] += \
                    d[..., a, b]
        return gx, None, None, None, None


def to_pair(v, name: str) -> tuple:
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints, got {v}")
        return int(v[0]), int(v[1])
    return int(v), int(v)

