"""Convolution by im2col: a strided window view of the padded input, one copy into a column
matrix, and one GEMM per layer (per group for grouped convs).

Three kernels serve Conv2d, Conv1d and ConvTranspose2d (forward and backward):

- :func:`conv_valid`       out = xp ⋆ w             (cross-correlation of an already padded input)
- :func:`conv_weight_grad` dw = xp ⋆ g              (a GEMM of the output gradient and the columns)
- :func:`conv_input_grad`  dxp = pad(dilate(g)) ⋆ flip(w)^T
  (the input gradient as a stride-1 correlation of the zero-dilated, padded output gradient
  with the flipped, channel-transposed kernel; DESIGN.md "Speed" measured this faster than a
  col2im scatter-add). Transposed convolution is exactly this input gradient, so it needs no
  code of its own.

Shapes: x (N, C, H, W); w (O, C / groups, kh, kw); out (N, O, Ho, Wo) with
Ho = floor((H + pad_top + pad_bottom - dilation (kh - 1) - 1) / stride) + 1.
Seed 003 (CNN: local connection, weight sharing, output size formula), 004 §1.2-1.8.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..autograd import Function


def _columns(xp: np.ndarray, kh: int, kw: int, stride: tuple, dilation: tuple) -> tuple:
    """im2col: (N, C, Hp, Wp) -> (C * kh * kw, N * Ho * Wo).

    Channels and kernel offsets outermost, pixels innermost: the copy then reads runs along W
    (contiguous for stride 1), which measured 6x faster than a (pixels, C * kh * kw) layout
    whose innermost run is a kernel row.
    """
    n, c, hp, wp = xp.shape
    sh, sw = stride
    dh, dw = dilation
    ho = (hp - dh * (kh - 1) - 1) // sh + 1
    wo = (wp - dw * (kw - 1) - 1) // sw + 1
    s_n, s_c, s_h, s_w = xp.strides
    win = as_strided(xp, (c, kh, kw, n, ho, wo),
                     (s_c, s_h * dh, s_w * dw, s_n, s_h * sh, s_w * sw), writeable=False)
    return win.reshape(c * kh * kw, n * ho * wo), ho, wo


def conv_valid(xp: np.ndarray, w: np.ndarray, stride: tuple, dilation: tuple,
               groups: int) -> np.ndarray:
    """Cross-correlate a padded input with ``w``: (N, C, Hp, Wp) -> (N, O, Ho, Wo)."""
    o, cg, kh, kw = w.shape
    n = xp.shape[0]
    cols, ho, wo = _columns(xp, kh, kw, stride, dilation)
    if groups == 1:
        out = w.reshape(o, -1) @ cols  # (O, N Ho Wo): one GEMM for the whole batch
    else:
        c3 = cols.reshape(groups, cg * kh * kw, -1)
        out = np.matmul(w.reshape(groups, o // groups, cg * kh * kw), c3).reshape(o, -1)
    return np.ascontiguousarray(out.reshape(o, n, ho, wo).transpose(1, 0, 2, 3))


def conv_weight_grad(xp: np.ndarray, g: np.ndarray, w_shape: tuple, stride: tuple,
                     dilation: tuple, groups: int) -> np.ndarray:
    """d out / d w contracted with g: (O, C / groups, kh, kw)."""
    o, cg, kh, kw = w_shape
    cols, ho, wo = _columns(xp, kh, kw, stride, dilation)
    g2 = g.transpose(1, 0, 2, 3).reshape(o, -1)  # (O, N Ho Wo), columns ordered as cols
    # computed as (cols g2^T)^T: OpenBLAS took 8-300x longer for g2 cols^T on these shapes
    # (a small O against a long shared dimension), measured on ResNet-20's layers
    if groups == 1:
        return np.ascontiguousarray((cols @ g2.T).T).reshape(w_shape)
    g3 = g2.reshape(groups, o // groups, -1)
    c3 = cols.reshape(groups, cg * kh * kw, -1)
    return np.ascontiguousarray(np.matmul(c3, g3.transpose(0, 2, 1)).transpose(0, 2, 1)
                                ).reshape(w_shape)


def conv_input_grad(g: np.ndarray, w: np.ndarray, xp_shape: tuple, stride: tuple,
                    dilation: tuple, groups: int) -> np.ndarray:
    """d out / d xp contracted with g: the gradient of the padded input, shape ``xp_shape``."""
    n, o, ho, wo = g.shape
    _, c, hp, wp = xp_shape
    _, cg, kh, kw = w.shape
    sh, sw = stride
    dh, dw = dilation
    ph, pw = dh * (kh - 1), dw * (kw - 1)
    # g dilated by the stride and padded so that a stride-1 valid correlation yields hp x wp
    gp = np.zeros((n, o, hp + ph, wp + pw), dtype=g.dtype)
    gp[:, :, ph:ph + (ho - 1) * sh + 1:sh, pw:pw + (wo - 1) * sw + 1:sw] = g
    og = o // groups
    wt = w.reshape(groups, og, cg, kh, kw).transpose(0, 2, 1, 3, 4).reshape(c, og, kh, kw)
    return conv_valid(gp, np.ascontiguousarray(wt[:, :, ::-1, ::-1]), (1, 1), dilation,
                      groups)


def pad2d(x: np.ndarray, pad: tuple) -> np.ndarray:
    """Zero-pad H and W by (top, bottom, left, right)."""
    t, b, l, r = pad
    if not (t or b or l or r):
        return x
    n, c, h, w = x.shape
    out = np.zeros((n, c, h + t + b, w + l + r), dtype=x.dtype)
    out[:, :, t:t + h, l:l + w] = x
    return out


class Conv2d(Function):
    # out = pad(x) ⋆ w + b ;  dw = pad(x) ⋆ g ;  dx = crop(pad(dilate(g)) ⋆ flip(w)^T) ;
    # db = sum of g over N, H, W
    @staticmethod
    def forward(ctx, x, w, b, stride, pad, dilation, groups):
        xp = pad2d(x, pad)
        out = conv_valid(xp, w, stride, dilation, groups)
        if b is not None:
            out += b.reshape(1, -1, 1, 1)
        ctx.save_for_backward(xp, w)
        ctx.conf = (x.shape, stride, pad, dilation, groups)
        return out

    @staticmethod
    def backward(ctx, g):
        xp, w = ctx.saved_tensors
        x_shape, stride, pad, dilation, groups = ctx.conf
        nx, nw, nb = ctx.needs_input_grad[:3]
        gx = gw = gb = None
        if nx:
            gxp = conv_input_grad(g, w, xp.shape, stride, dilation, groups)
            t, _, l, _ = pad
            gx = gxp[:, :, t:t + x_shape[2], l:l + x_shape[3]]
        if nw:
            gw = conv_weight_grad(xp, g, w.shape, stride, dilation, groups)
        if nb:
            gb = g.sum(axis=(0, 2, 3))
        return gx, gw, gb, None, None, None, None


class ConvTranspose2d(Function):
    # the transpose of Conv2d's input map: out = crop(dxp of a conv with weight w at g = x);
    # dx = pad(g) ⋆ w (a forward conv) ; dw = pad(g) ⋆ x ; db = sum of g over N, H, W
    @staticmethod
    def forward(ctx, x, w, b, stride, padding, output_padding, dilation, groups):
        n, cin, h, wd = x.shape
        _, cog, kh, kw = w.shape
        full = (n, cog * groups,
                (h - 1) * stride[0] + dilation[0] * (kh - 1) + 1 + output_padding[0],
                (wd - 1) * stride[1] + dilation[1] * (kw - 1) + 1 + output_padding[1])
        out_full = conv_input_grad(x, w, full, stride, dilation, groups)
        ph, pw = padding
        ho, wo = full[2] - 2 * ph, full[3] - 2 * pw
        out = np.ascontiguousarray(out_full[:, :, ph:ph + ho, pw:pw + wo])
        if b is not None:
            out += b.reshape(1, -1, 1, 1)
        ctx.save_for_backward(x, w)
        ctx.conf = (full, stride, padding, dilation, groups)
        return out

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        full, stride, padding, dilation, groups = ctx.conf
        nx, nw, nb = ctx.needs_input_grad[:3]
        ph, pw = padding
        gfull = np.zeros(full, dtype=g.dtype)
        gfull[:, :, ph:ph + g.shape[2], pw:pw + g.shape[3]] = g
        gx = conv_valid(gfull, w, stride, dilation, groups) if nx else None
        gw = conv_weight_grad(gfull, x, w.shape, stride, dilation, groups) if nw else None
        gb = g.sum(axis=(0, 2, 3)) if nb else None
        if gx is not None and gx.shape != x.shape:  # rows the forward never read
            gx = gx[:, :, :x.shape[2], :x.shape[3]]
        return gx, gw, gb, None, None, None, None, None
