"""Convolution as GEMMs over a channel-major, zero-padded copy of the input.

The input is copied once into a buffer of shape (C, N * Hp * Wp): each channel's padded
images laid end to end (the "grid"). Then:

- forward:      out = x ⋆ w. im2col gathers the windows from the grid by a strided view,
  (C kh kw, N Ho Wo) with rows ordered (c, i, j) like ``w.reshape(O, -1)``; one GEMM. The
  view's innermost run is a row of the image, contiguous for stride 1.
- input grad:   dx = g ⋆ flip(w)^T, a full correlation. The output gradient, dilated by the
  stride, is laid on the same grid behind a zero margin; a kernel tap (i, j) is then a fixed
  shift ``i d_h Wp + j d_w`` along the flat grid, so the columns are K = kh kw contiguous
  slices (no gather), and one GEMM with the channel-transposed kernel gives the gradient at
  every grid position; the padding is cropped. With fewer input than output channels the
  same sum is cheaper scattered (col2im): one GEMM of the kernel's transpose with g on the
  grid gives each tap's term, added at the tap's shift. Transposed convolution is exactly
  this map, so it needs no code of its own.
- weight grad:  dw = x ⋆ g. Either the window columns times g (one GEMM), or one GEMM per tap
  straight from the shifted grid slices (no column matrix), whichever reads less memory
  (``Geometry.per_tap_weight_grad``).

The forward saves its input x for the backward, not the padded grid nor the window columns:
x is usually saved anyway by the op that made it (a ReLU keeps its output), so the conv holds
no memory of its own between forward and backward, and the backward builds the grid (and,
for the column path, gathers the windows) again. An earlier version kept the columns of
layers whose weight gradient uses them (ResNet-20's step then went from 2.76x to 2.36x
PyTorch's time, timed in one process), but that held 9 times each such layer's input: 78 MiB
of the 137 MiB of arrays a batch-32 ResNet-20 step held after its forward (tracemalloc), and
twice PyTorch's peak RSS growth per step.

Results are contiguous (N, O, Ho, Wo) arrays, as PyTorch's, so ``out.view(n, -1)`` works:
returning views of the channel-major GEMM result instead saved one copy per layer (5-10% of a
ResNet-20 step, measured) but broke that common line of PyTorch code. Column matrices live
in this module's workspace (``gradlab/_workspace.py``: fresh 10-20 MiB arrays cost page faults
on every step, DESIGN.md "Speed"), and each GEMM takes the columns of a run of images of at
most ``CHUNK_BYTES``, not of the whole batch.

Shapes: x (N, C, H, W); w (O, C / groups, kh, kw); out (N, O, Ho, Wo) with
Ho = floor((H + pad_top + pad_bottom - d_h (kh - 1) - 1) / s_h) + 1.
Source 003 (CNN: local connection, weight sharing, output size formula), 004 §1.2-1.8.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .._workspace import Workspace
from ..autograd import ArrayFunction

#: column matrices: scratch owned by this module (see gradlab/_workspace.py)
_ws = Workspace("ops.conv")

#: the largest column matrix one GEMM takes: a convolution runs over its batch in runs of whole
#: images whose columns fit (``_image_chunks``). That bounds the scratch memory: ResNet-20's
#: first stage needs 19-21 MiB of columns for a batch of 32, and its training step's peak RSS
#: growth went from 106 to 62 MiB (PyTorch's: 79), LeNet-5's from 15.6 to 9.5 MiB (with the
#: scattered input gradient's terms in the same scratch). Steps did not get slower: the median
#: ratio to the whole-batch code, alternating step by step in one process at 2 threads, was
#: 0.95-0.97 (ResNet-20), 0.89-0.91 in three runs and 1.07 in one (ResNet-ish), 0.96-1.01
#: (LeNet-5).
CHUNK_BYTES = 4 << 20


@dataclass(frozen=True)
class Geometry:
    """Sizes of one convolution: input (N, C, H, W) padded by (top, bottom, left, right) to
    (Hp, Wp), kernel (O, C / groups, kh, kw), output (N, O, Ho, Wo)."""

    n: int
    c: int
    h: int
    w: int
    o: int
    kh: int
    kw: int
    stride: tuple
    pad: tuple
    dilation: tuple
    groups: int

    @property
    def hp(self) -> int:
        return self.h + self.pad[0] + self.pad[1]

    @property
    def wp(self) -> int:
        return self.w + self.pad[2] + self.pad[3]

    @property
    def ho(self) -> int:
        return (self.hp - self.dilation[0] * (self.kh - 1) - 1) // self.stride[0] + 1

    @property
    def wo(self) -> int:
        return (self.wp - self.dilation[1] * (self.kw - 1) - 1) // self.stride[1] + 1

    @property
    def grid(self) -> int:
        """G = N Hp Wp: positions of the padded grid."""
        return self.n * self.hp * self.wp

    @property
    def shifts(self) -> list:
        """Flat offset of each kernel tap (i, j) on the grid, in (i, j) order."""
        dh, dw = self.dilation
        return [i * dh * self.wp + j * dw for i in range(self.kh) for j in range(self.kw)]

    @property
    def reach(self) -> int:
        """The largest shift: how far a window reaches past its top-left corner."""
        return self.dilation[0] * (self.kh - 1) * self.wp + self.dilation[1] * (self.kw - 1)

    @property
    def per_tap_weight_grad(self) -> bool:
        """Whether the weight gradient is cheaper as one GEMM per tap on grid slices.

        That reads g and x once per tap, K (O + C) G values, against the window columns'
        2 C K (N Ho Wo) + O (N Ho Wo); it also computes at the G - N Ho Wo grid positions that
        are no output. Measured: 1.3-1.5x faster on ResNet-20's first stage (16 -> 16, 32x32),
        even on its third (64 -> 64, 8x8), slower on LeNet-5's (1 -> 6 and 6 -> 16, 5x5).
        """
        if self.stride != (1, 1):
            return False
        k, dense = self.kh * self.kw, self.n * self.ho * self.wo
        return k * (self.o + self.c) * self.grid <= 1.1 * (2 * self.c * k + self.o) * dense


    @property
    def scatters_input_grad(self) -> bool:
        """Whether the input gradient is cheaper scattered (col2im, K C rows of the grid)
        than as a full correlation (gathering K O rows): fewer input than output channels."""
        return self.c < self.o and self.kh * self.kw > 1


def geometry(x_shape: tuple, w_shape: tuple, stride: tuple, pad: tuple, dilation: tuple,
             groups: int) -> Geometry:
    n, c, h, w = x_shape
    o, _, kh, kw = w_shape
    return Geometry(n, c, h, w, o, kh, kw, tuple(stride), tuple(pad), tuple(dilation), groups)


def channel_major(x: np.ndarray) -> np.ndarray:
    """(N, C, H, W) -> the same values as a (C, N, H, W) array, contiguous (a free view when
    ``x`` is itself a view of channel-major memory, as conv outputs are)."""
    return np.ascontiguousarray(x.transpose(1, 0, 2, 3))


def input_grid(x: np.ndarray, geo: Geometry) -> np.ndarray:
    """x (N, C, H, W) -> zero-padded channel-major grid (C, G + tail), the tail (zeros) long
    enough for every shifted slice of a stride-1 conv."""
    t, _, l, _ = geo.pad
    tail = geo.reach if geo.per_tap_weight_grad else 0
    if not (any(geo.pad) or tail):
        return channel_major(x).reshape(geo.c, geo.grid)
    buf = np.zeros((geo.c, geo.grid + tail), dtype=x.dtype)
    grid = buf[:, :geo.grid].reshape(geo.c, geo.n, geo.hp, geo.wp)
    grid[:, :, t:t + geo.h, l:l + geo.w] = x.transpose(1, 0, 2, 3)
    return buf


def _shifted(buf: np.ndarray, starts: list, length: int) -> np.ndarray:
    """Rows (c, k) = buf[c, starts[k] : starts[k] + length]: im2col on a flat grid."""
    c = buf.shape[0]
    if len(starts) == 1 and starts[0] == 0 and buf.shape[1] == length:
        return buf
    cols = _ws.get("cols", (c, len(starts), length), buf.dtype)
    for k, s in enumerate(starts):
        cols[:, k] = buf[:, s:s + length]
    return cols.reshape(c * len(starts), length)


def _windows(xbuf: np.ndarray, geo: Geometry, keep: bool = False,
             images: tuple | None = None) -> np.ndarray:
    """im2col: the columns (C K, n Ho Wo) of images ``images = (n0, n1)`` (default all N),
    gathered from the grid by a window view (into the workspace, or a fresh array when
    ``keep``: columns kept past this call)."""
    c, kh, kw, ho, wo = geo.c, geo.kh, geo.kw, geo.ho, geo.wo
    n0, n1 = images if images is not None else (0, geo.n)
    grid = xbuf[:, :geo.grid].reshape(c, geo.n, geo.hp, geo.wp)[:, n0:n1]
    n = n1 - n0
    s_c, s_n, s_h, s_w = grid.strides
    (sh, sw), (dh, dw) = geo.stride, geo.dilation
    win = as_strided(grid, (c, kh, kw, n, ho, wo),
                     (s_c, s_h * dh, s_w * dw, s_n, s_h * sh, s_w * sw), writeable=False)
    shape = (c, kh, kw, n, ho, wo)
    cols = np.empty(shape, xbuf.dtype) if keep else _ws.get("cols", shape, xbuf.dtype)
    np.copyto(cols, win)
    return cols.reshape(c * kh * kw, n * ho * wo)


def _image_chunks(n: int, bytes_per_image: int) -> list:
    """``[(n0, n1), ...]``: the N images in the fewest runs of (nearly) equal length whose
    column matrices are at most ``CHUNK_BYTES`` (at least one image a run)."""
    if n <= 0:
        return []
    most = max(1, min(n, CHUNK_BYTES // max(1, bytes_per_image)))
    runs = -(-n // most)
    per = -(-n // runs)
    return [(n0, min(n, n0 + per)) for n0 in range(0, n, per)]


def columns(x: np.ndarray, geo: Geometry) -> np.ndarray:
    """im2col of ``x`` (N, C, H, W) for the convolution ``geo``: a fresh array (the caller owns
    it) of shape (C kh kw, N Ho Wo), rows ordered (c, i, j) like ``w.reshape(O, -1)``, padding
    positions zero. Any dtype (the integer convolution of ``compress.quantize`` uses it)."""
    return _windows(input_grid(x, geo), geo, keep=True)


def grouped_matmul(w2: np.ndarray, cols: np.ndarray, groups: int) -> np.ndarray:
    """(O, C K / groups) @ (C K, L) per group -> (O, L): the kernel rows of group g times
    the column rows of group g."""
    if groups == 1:
        return w2 @ cols
    o, ckg = w2.shape
    return np.matmul(w2.reshape(groups, o // groups, ckg),
                     cols.reshape(groups, ckg, -1)).reshape(o, -1)


def conv_forward(xbuf: np.ndarray, w: np.ndarray, bias, geo: Geometry) -> np.ndarray:
    """out = x ⋆ w (+ b), from the padded grid of x: (N, O, Ho, Wo), contiguous. One GEMM per
    run of images (``_image_chunks``), each written (with the bias) into its rows of out."""
    o, k = geo.o, geo.kh * geo.kw
    w2 = w.reshape(o, -1)
    dtype = np.result_type(w2.dtype, xbuf.dtype)
    b = None if bias is None else bias.reshape(-1, 1, 1).astype(dtype, copy=False)
    out = np.empty((geo.n, o, geo.ho, geo.wo), dtype=dtype)
    per_image = geo.c * k * geo.ho * geo.wo * xbuf.itemsize
    for n0, n1 in _image_chunks(geo.n, per_image):
        y = grouped_matmul(w2, _windows(xbuf, geo, images=(n0, n1)), geo.groups)
        y = y.reshape(o, n1 - n0, geo.ho, geo.wo).transpose(1, 0, 2, 3)
        if b is None:
            np.copyto(out[n0:n1], y)
        else:
            np.add(y, b, out=out[n0:n1])
    return out


def _grad_on_grid(g: np.ndarray, geo: Geometry, front: int) -> np.ndarray:
    """The output gradient (N, O, Ho, Wo) placed, dilated by the stride, at the top-left
    corners of its windows on the grid: (O, front + G), zeros elsewhere."""
    (sh, sw), (ho, wo) = geo.stride, g.shape[2:]
    buf = np.zeros((geo.o, front + geo.grid), dtype=g.dtype)
    grid = buf[:, front:].reshape(geo.o, geo.n, geo.hp, geo.wp)
    grid[:, :, :(ho - 1) * sh + 1:sh, :(wo - 1) * sw + 1:sw] = g.transpose(1, 0, 2, 3)
    return buf


def conv_weight_grad(xbuf: np.ndarray, g: np.ndarray, w_shape: tuple, geo: Geometry,
                     g_grid: np.ndarray | None = None) -> np.ndarray:
    """dw = x ⋆ g: (O, C / groups, kh, kw). ``g_grid``: g already on the grid, (O, G).

    Stride 1 with O not far above C: one GEMM per kernel tap straight from the shifted slices
    of the grid, no column matrix (measured 1.1-1.4x faster than im2col + one GEMM on
    ResNet-20's layers). That reads g once per tap, K (O + C) G values against im2col's
    G (2 C K + O), so few input channels (LeNet's first layers) use the columns.
    """
    groups, o, c = geo.groups, geo.o, geo.c
    og, cg, k = o // groups, c // groups, geo.kh * geo.kw
    if geo.per_tap_weight_grad:
        g2 = g_grid if g_grid is not None else _grad_on_grid(g, geo, 0)
        gt = g2.reshape(groups, og, -1).transpose(0, 2, 1)  # (groups, G, Og)
        dw = np.empty((k, groups, cg, og), dtype=g2.dtype)
        for tap, s in enumerate(geo.shifts):
            np.matmul(xbuf[:, s:s + geo.grid].reshape(groups, cg, -1), gt, out=dw[tap])
        # (K, groups, Cg, Og) -> (groups, Og, Cg, K)
        return np.ascontiguousarray(dw.transpose(1, 3, 2, 0)).reshape(w_shape)
    # computed as (cols g2^T)^T: OpenBLAS took 8-300x longer for g2 cols^T on these shapes
    # (a small O against a long shared dimension), measured on ResNet-20's layers; summed
    # over runs of images, so that the columns of only one run exist at a time
    dw = None
    per_image = c * k * geo.ho * geo.wo * xbuf.itemsize
    for n0, n1 in _image_chunks(geo.n, per_image):
        cols = _windows(xbuf, geo, images=(n0, n1))
        g2 = channel_major(g[n0:n1]).reshape(o, -1)
        part = np.matmul(cols.reshape(groups, cg * k, -1),
                         g2.reshape(groups, og, -1).transpose(0, 2, 1))  # (groups, Cg K, Og)
        if dw is None:
            dw = part
        else:
            dw += part
    if dw is None:  # an empty batch
        dw = np.zeros((groups, cg * k, og), dtype=np.result_type(xbuf.dtype, g.dtype))
    return np.ascontiguousarray(dw.transpose(0, 2, 1)).reshape(w_shape)


def conv_input_grad(g: np.ndarray, w: np.ndarray, geo: Geometry,
                    g_ext: np.ndarray | None = None) -> np.ndarray:
    """dx = g ⋆ flip(w)^T at every position of the padded grid: (C, N, Hp, Wp).

    ``g_ext``: g on the grid behind a zero margin of ``geo.reach`` (``_grad_on_grid``).
    Two equal ways, by which moves less memory (``Geometry.scatters_input_grad``):

    - full correlation: gather the K shifted slices of g (O K rows of the grid), one GEMM
      with the channel-transposed kernel;
    - scatter (col2im): one GEMM of the kernel's (K C, O) transpose with g on the grid gives
      each tap's contribution (K C rows), added at the tap's shift. For fewer input than
      output channels that is fewer rows: with it for LeNet-5's second layer (6 -> 16), a
      LeNet-5 training step (batch 64) took 0.81 times as long (median of 150 pairs, the old
      and new code alternating in one process, 1 and 2 threads alike); for C = O both ways
      took the same time (16 -> 16, 3x3).

    Both run over the batch in runs of images (``CHUNK_BYTES``).
    """
    reach = geo.reach
    if g_ext is None:
        g_ext = _grad_on_grid(g, geo, reach)
    groups, o, c = geo.groups, geo.o, geo.c
    og, cg, k = o // groups, c // groups, geo.kh * geo.kw
    plane = geo.hp * geo.wp
    dtype = np.result_type(w.dtype, g_ext.dtype)
    dx = np.empty((c, geo.grid), dtype=dtype)
    if geo.scatters_input_grad:
        # (groups, K Cg, Og) @ (groups, Og, L): row (k, c) = tap k's term for channel c, at
        # the grid positions a - reach .. b of a run of images; dx[q] = sum_k term_k[q - s_k]
        wk = w.reshape(groups, og, cg, k).transpose(0, 3, 2, 1).reshape(groups, k * cg, og)
        dxg = dx.reshape(groups, cg, geo.grid)
        for n0, n1 in _image_chunks(geo.n, k * c * plane * dx.itemsize):
            a, b = n0 * plane, n1 * plane
            span = b - a + reach
            terms = _ws.get("cols", (groups, k * cg, span), dtype)  # the columns' scratch
            np.matmul(wk, g_ext[:, a:b + reach].reshape(groups, og, span), out=terms)
            terms = terms.reshape(groups, k, cg, span)
            for tap, s in enumerate(geo.shifts):
                part = terms[:, tap, :, reach - s:reach - s + (b - a)]
                if tap == 0:
                    np.copyto(dxg[:, :, a:b], part)
                else:
                    dxg[:, :, a:b] += part
        return dx.reshape(c, geo.n, geo.hp, geo.wp)
    # row (c, (o, k)) of the channel-transposed kernel, per group
    wt = w.reshape(groups, og, cg, k).transpose(0, 2, 1, 3).reshape(c, og * k)
    for n0, n1 in _image_chunks(geo.n, o * k * plane * g_ext.itemsize):
        a, b = n0 * plane, n1 * plane
        cols = _shifted(g_ext, [reach - s + a for s in geo.shifts], b - a)
        dx[:, a:b] = grouped_matmul(wt, cols, groups)
    return dx.reshape(c, geo.n, geo.hp, geo.wp)


def crop_padding(grid: np.ndarray, geo: Geometry) -> np.ndarray:
    """(C, N, Hp, Wp) grid -> its unpadded part as a contiguous (N, C, H, W) array."""
    t, _, l, _ = geo.pad
    return np.ascontiguousarray(grid[:, :, t:t + geo.h, l:l + geo.w].transpose(1, 0, 2, 3))


def _bias_grad(g: np.ndarray) -> np.ndarray:
    return g.sum(axis=(0, 2, 3))


def conv2d_backward(xbuf, w, g, geo: Geometry, needs: tuple) -> tuple:
    """(dx, dw, db) of out = x ⋆ w + b, each None unless ``needs`` asks for it; ``xbuf``: the
    padded grid of x (``input_grid``; None when dw is not needed)."""
    nx, nw, nb = needs
    gx = gw = gb = None
    g_ext = None
    if nx:
        g_ext = _grad_on_grid(g, geo, geo.reach)
        gx = crop_padding(conv_input_grad(g, w, geo, g_ext), geo)
    if nw:
        g_grid = None if g_ext is None else g_ext[:, geo.reach:]
        gw = conv_weight_grad(xbuf, g, w.shape, geo, g_grid)
    if nb:
        gb = _bias_grad(g)
    return gx, gw, gb


class Conv2d(ArrayFunction):
    # out = pad(x) ⋆ w + b ;  dw = pad(x) ⋆ g ;  dx = crop(pad(dilate(g)) ⋆ flip(w)^T) ;
    # db = sum of g over N, H, W
    @staticmethod
    def forward(ctx, x, w, b, stride, pad, dilation, groups):
        geo = geometry(x.shape, w.shape, stride, pad, dilation, groups)
        ctx.geo = geo
        ctx.save_for_backward(x, w)
        return conv_forward(input_grid(x, geo), w, b, geo)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        geo, needs = ctx.geo, ctx.needs_input_grad[:3]
        xbuf = input_grid(x, geo) if needs[1] else None
        gx, gw, gb = conv2d_backward(xbuf, w, g, geo, needs)
        return gx, gw, gb, None, None, None, None


def _transposed_geometry(x_shape, w_shape, stride, padding, output_padding, dilation,
                         groups) -> Geometry:
    """The conv whose input map ConvTranspose2d is: its input is the transposed conv's padded
    output (N, Cout, Hf, Wf), its output the transposed conv's input (N, Cin, H, W)."""
    n, cin, h, wd = x_shape
    _, cog, kh, kw = w_shape
    hf = (h - 1) * stride[0] + dilation[0] * (kh - 1) + 1 + output_padding[0]
    wf = (wd - 1) * stride[1] + dilation[1] * (kw - 1) + 1 + output_padding[1]
    ph, pw = padding
    return Geometry(n, cog * groups, hf - 2 * ph, wf - 2 * pw, cin, kh, kw, tuple(stride),
                    (ph, ph, pw, pw), tuple(dilation), groups)


class ConvTranspose2d(ArrayFunction):
    # out = crop(dxp of the conv with weight w at g = x): the transpose of Conv2d's input map;
    # dx = pad(g) ⋆ w (a forward conv) ; dw = pad(g) ⋆ x ; db = sum of g over N, H, W
    @staticmethod
    def forward(ctx, x, w, b, stride, padding, output_padding, dilation, groups):
        geo = _transposed_geometry(x.shape, w.shape, stride, padding, output_padding,
                                   dilation, groups)
        out = crop_padding(conv_input_grad(x, w, geo), geo)
        if b is not None:
            out = out + b.reshape(1, -1, 1, 1).astype(out.dtype, copy=False)
        ctx.save_for_backward(x, w)
        ctx.geo = geo
        return out

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        geo = ctx.geo
        nx, nw, nb = ctx.needs_input_grad[:3]
        gbuf = input_grid(g, geo) if (nx or nw) else None
        gx = conv_forward(gbuf, w, None, geo) if nx else None
        if gx is not None and gx.shape != x.shape:  # rows the forward never read
            gx = gx[:, :, :x.shape[2], :x.shape[3]]
        if nw:
            if x.shape[2:] != (geo.ho, geo.wo):  # output_padding >= stride: rows x never had
                xz = np.zeros((geo.n, geo.o, geo.ho, geo.wo), dtype=x.dtype)
                xz[:, :, :x.shape[2], :x.shape[3]] = x
                x = xz
            gw = conv_weight_grad(gbuf, x, w.shape, geo)
        else:
            gw = None
        gb = _bias_grad(g) if nb else None
        return gx, gw, gb, None, None, None, None, None

