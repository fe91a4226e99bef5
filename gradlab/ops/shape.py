"""Shape and indexing ops: view/reshape, permute, expand, indexing, gather/scatter, cat/stack,
split, pad.

The views (reshape when possible, permute, expand, basic indexing) return NumPy views that share
memory with their input, as PyTorch's do; they are marked ``is_view`` so in-place changes are
tracked by a shared version counter.
"""

from __future__ import annotations

import numpy as np

from ..autograd import ArrayFunction
from ._util import norm_dim


class Reshape(ArrayFunction):
    # reshape moves no values: the gradient is reshaped back
    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape), None

    @staticmethod
    def error(arrays, kwargs, exc):
        x, shape = arrays
        return RuntimeError(f"reshape: shape {list(shape)} is invalid for input of shape "
                            f"{list(x.shape)} ({x.size} elements)")


class View(Reshape):
    # like reshape, but never copies (PyTorch's view contract)
    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        out = x.view()
        try:
            out.shape = shape
        except AttributeError:
            raise RuntimeError(
                f"view: shape {list(shape)} is not compatible with the input's shape "
                f"{list(x.shape)} and strides (the input is not contiguous); use .reshape(...) "
                "instead") from None
        return out


class Permute(ArrayFunction):
    # the gradient is permuted back with the inverse permutation
    is_view = True

    @staticmethod
    def forward(ctx, x, dims):
        ctx.inv = tuple(np.argsort(dims))
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, g):
        return g.transpose(ctx.inv), None


class Expand(ArrayFunction):
    # expanding is broadcasting: the engine sums the gradient back to the input's shape
    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return g, None

    @staticmethod
    def error(arrays, kwargs, exc):
        x, shape = arrays
        return RuntimeError(f"expand: the expanded size {list(shape)} must match the existing "
                            f"size {list(x.shape)} at each non-singleton dimension")


class Contiguous(ArrayFunction):
    # a copy into C order; the gradient passes through
    @staticmethod
    def forward(ctx, x):
        return np.ascontiguousarray(x)

    @staticmethod
    def backward(ctx, g):
        return g


def is_basic_index(idx: tuple) -> bool:
    """True when an index holds only ints, slices, None and Ellipsis (a NumPy view)."""
    return all(isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis
               for i in idx)


def has_int_array(idx: tuple) -> bool:
    return any(isinstance(i, np.ndarray) and i.dtype != np.bool_ for i in idx)


class Index(ArrayFunction):
    # x[idx] picks values: the gradient is scattered back, summing over repeated indices
    is_view = True

    @staticmethod
    def forward(ctx, x, idx):
        ctx.shape, ctx.idx = x.shape, idx
        return x[idx]

    @staticmethod
    def backward(ctx, g):
        gx = np.zeros(ctx.shape, dtype=g.dtype)
        if has_int_array(ctx.idx):
            np.add.at(gx, ctx.idx, g)  # repeated indices accumulate
        else:
            gx[ctx.idx] = g
        return gx, None

    @staticmethod
    def error(arrays, kwargs, exc):
        x, idx = arrays
        return IndexError(f"index {_show_index(idx)} is invalid for a tensor of shape "
                          f"{list(x.shape)}: {_mask_words(x, idx) or exc}")


def _mask_words(x, idx: tuple) -> str | None:
    """torch's words for a bool mask whose shape does not match the dims it indexes."""
    pos = 0
    for i in idx:
        if isinstance(i, np.ndarray) and i.dtype == np.bool_ and i.ndim:
            own = tuple(x.shape[pos:pos + i.ndim])
            if i.shape != own:
                return (f"the shape of the mask {list(i.shape)} at index {pos} does not match "
                        f"the shape of the indexed tensor {list(own)} at index {pos}")
            pos += i.ndim
        elif i is not None and i is not Ellipsis:
            pos += 1
        elif i is Ellipsis:
            return None
    return None


def _show_index(idx: tuple) -> str:
    parts = []
    for i in idx:
        if isinstance(i, np.ndarray):
            parts.append(f"<{i.dtype} array of shape {list(i.shape)}>")
        elif isinstance(i, slice):
            parts.append(":".join("" if v is None else str(v) for v in (i.start, i.stop, i.step))
                         .rstrip(":") or ":")
        else:
            parts.append(repr(i))
    return "[" + ", ".join(parts) + "]"


class IndexPut(ArrayFunction):
    # out = x with out[idx] = v: gradient of x is g with idx zeroed, gradient of v is g[idx]
    @staticmethod
    def forward(ctx, x, idx, v):
        out = x.copy()
        out[idx] = v
        ctx.idx = idx
        ctx.vshape = np.shape(v)
        return out

    @staticmethod
    def backward(ctx, g):
        nx, _, nv = ctx.needs_input_grad
        gx = gv = None
        if nx:
            gx = g.copy()
            gx[ctx.idx] = 0
        if nv:
            # v was broadcast into the slot: the engine sums the slot's extra axes; a v with
            # more (size-1) leading axes than the slot gets them back here
            gv = np.asarray(g[ctx.idx])
            lead = len(ctx.vshape) - gv.ndim
            if lead > 0:
                gv = gv.reshape((1,) * lead + gv.shape)
        return gx, None, gv

    @staticmethod
    def error(arrays, kwargs, exc):
        x, idx, v = arrays
        cls = IndexError if isinstance(exc, IndexError) else RuntimeError
        return cls(f"index assignment: cannot set {_show_index(idx)} of a tensor of "
                   f"shape {list(x.shape)} from a value of shape {list(np.shape(v))}: "
                   f"{_mask_words(x, idx) or exc}")


def _gather_index(index: np.ndarray, dim: int) -> tuple:
    """Full index arrays that address ``x[..., index, ...]`` element by element along ``dim``."""
    grids = list(np.ogrid[tuple(slice(0, s) for s in index.shape)])
    grids[dim] = index
    return tuple(grids)


class Gather(ArrayFunction):
    # out[i][j] = x[i][index[i][j]] (dim=1): the gradient is scatter-added back
    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.shape, ctx.dim, ctx.index = x.shape, dim, index
        return x[_gather_index(index, dim)]

    @staticmethod
    def backward(ctx, g):
        gx = np.zeros(ctx.shape, dtype=g.dtype)
        np.add.at(gx, _gather_index(ctx.index, ctx.dim), g)
        return gx, None, None

    @staticmethod
    def error(arrays, kwargs, exc):
        x, dim, index = arrays
        return RuntimeError(f"gather: index of shape {list(index.shape)} does not fit input of "
                            f"shape {list(x.shape)} along dim {dim} (index must have the same "
                            "number of dims, sizes <= the input's, values in range): " + str(exc))


class ScatterAdd(ArrayFunction):
    # out = x; out[i][index[i][j]] += src[i][j]: d/dx = 1, d/dsrc = gather(g, index)
    @staticmethod
    def forward(ctx, x, dim, index, src):
        ctx.dim, ctx.index = dim, index
        out = x.copy()
        full = _gather_index(index, dim)
        np.add.at(out, full, src[tuple(slice(0, s) for s in index.shape)])
        return out

    @staticmethod
    def backward(ctx, g):
        gsrc = g[_gather_index(ctx.index, ctx.dim)] if ctx.needs_input_grad[3] else None
        return g, None, None, gsrc

    @staticmethod
    def error(arrays, kwargs, exc):
        x, dim, index, src = arrays
        return RuntimeError(f"scatter_add: index of shape {list(index.shape)} and src of shape "
                            f"{list(np.shape(src))} do not fit input of shape {list(x.shape)} "
                            f"along dim {dim}: {exc}")


class IndexSelect(ArrayFunction):
    # out = x.take(index, dim): the gradient is scatter-added back (repeats accumulate)
    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.shape, ctx.dim, ctx.index = x.shape, dim, index
        return np.take(x, index, axis=dim)

    @staticmethod
    def backward(ctx, g):
        gx = np.zeros(ctx.shape, dtype=g.dtype)
        np.add.at(gx, (slice(None),) * ctx.dim + (ctx.index,), g)
        return gx, None, None

    @staticmethod
    def error(arrays, kwargs, exc):
        x, dim, index = arrays
        return IndexError(f"index_select: index out of range for dim {dim} of size "
                          f"{x.shape[dim]} (index values {index.min()}..{index.max()})")


class Cat(ArrayFunction):
    # each input receives its own slice of the gradient
    @staticmethod
    def forward(ctx, *xs, dim):
        ref = xs[0]
        for k, x in enumerate(xs):
            if x.ndim != ref.ndim or any(a != b for i, (a, b) in
                                         enumerate(zip(x.shape, ref.shape)) if i != dim):
                raise RuntimeError(
                    f"cat: sizes of tensors must match except in dimension {dim}; got shape "
                    f"{list(ref.shape)} for tensor 0 and {list(x.shape)} for tensor {k}")
        ctx.dim = dim
        ctx.bounds = np.cumsum([x.shape[dim] for x in xs])[:-1]
        return np.concatenate(xs, axis=dim)

    @staticmethod
    def backward(ctx, g):
        return tuple(np.split(g, ctx.bounds, axis=ctx.dim))


class Stack(ArrayFunction):
    # input k receives the gradient's k-th slice along the new dim
    @staticmethod
    def forward(ctx, *xs, dim):
        for k, x in enumerate(xs):
            if x.shape != xs[0].shape:
                raise RuntimeError(f"stack: expects each tensor to be equal size, but got "
                                   f"{list(xs[0].shape)} at entry 0 and {list(x.shape)} at "
                                   f"entry {k}")
        ctx.dim = dim
        return np.stack(xs, axis=dim)

    @staticmethod
    def backward(ctx, g):
        return tuple(np.moveaxis(g, ctx.dim, 0))


def pad_slices(shape: tuple, pad: tuple) -> tuple:
    """For PyTorch's pad tuple (last dim first, (left, right) pairs, negatives crop): the output
    shape and the slices of the input and the output that hold the same values."""
    n = len(pad) // 2
    out_shape = list(shape)
    src = [slice(None)] * len(shape)
    dst = [slice(None)] * len(shape)
    for k in range(n):
        d = len(shape) - 1 - k
        lo, hi = pad[2 * k], pad[2 * k + 1]
        size = shape[d] + lo + hi
        if size < 0:
            raise RuntimeError(f"pad: padding ({lo}, {hi}) makes dimension {d} of size "
                               f"{shape[d]} negative")
        out_shape[d] = size
        src[d] = slice(max(-lo, 0), shape[d] - max(-hi, 0))
        dst[d] = slice(max(lo, 0), size - max(hi, 0))
    return tuple(out_shape), tuple(src), tuple(dst)


class Pad(ArrayFunction):
    # constant padding only copies values: the gradient is the matching crop of g
    @staticmethod
    def forward(ctx, x, pad, value):
        shape, src, dst = pad_slices(x.shape, pad)
        out = np.full(shape, value, dtype=x.dtype)
        out[dst] = x[src]
        ctx.shape, ctx.src, ctx.dst = x.shape, src, dst
        return out

    @staticmethod
    def backward(ctx, g):
        gx = np.zeros(ctx.shape, dtype=g.dtype)
        gx[ctx.src] = g[ctx.dst]
        return gx, None, None


def _tri_check(op: str, x, diagonal) -> None:
    if x.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions (got a "
                           f"{x.ndim}-D input of shape {list(x.shape)})")
    if not isinstance(diagonal, (int, np.integer)) or isinstance(diagonal, bool):
        raise TypeError(f"{op}(): argument 'diagonal' must be int, not "
                        f"{type(diagonal).__name__}")


class Tril(ArrayFunction):
    # out = x where column - row <= diagonal, else 0: the gradient is tril of g
    @staticmethod
    def forward(ctx, x, diagonal):
        _tri_check("tril", x, diagonal)
        ctx.diagonal = diagonal
        return np.tril(x, diagonal)

    @staticmethod
    def backward(ctx, g):
        return np.tril(g, ctx.diagonal), None


class Triu(ArrayFunction):
    # out = x where column - row >= diagonal, else 0: the gradient is triu of g
    @staticmethod
    def forward(ctx, x, diagonal):
        _tri_check("triu", x, diagonal)
        ctx.diagonal = diagonal
        return np.triu(x, diagonal)

    @staticmethod
    def backward(ctx, g):
        return np.triu(g, ctx.diagonal), None


def roll_args(shape: tuple, shifts, dims) -> tuple:
    """torch.roll's ``shifts`` and ``dims`` as (tuple of ints, tuple of dims or None for the
    flattened tensor), checked as torch checks them."""
    shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
    for s in shifts:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"roll: argument 'shifts' must be an int or a tuple of ints, got "
                            f"{type(s).__name__} ({s!r})")
    if dims is None or (isinstance(dims, (tuple, list)) and len(dims) == 0):
        if len(shifts) == 0:
            raise RuntimeError("roll: `shifts` required")
        if len(shifts) != 1:
            raise RuntimeError(f"roll: shifts and dimensions must align. shifts: {len(shifts)}, "
                               "dims:0")
        return tuple(int(s) for s in shifts), None
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    if len(shifts) != len(dims):
        raise RuntimeError(f"roll: shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims:{len(dims)}")
    if len(shape) == 0:
        raise IndexError(f"roll: dimension specified as {dims[0]} but tensor has no dimensions")
    return tuple(int(s) for s in shifts), tuple(norm_dim(d, len(shape), "roll") for d in dims)


class Roll(ArrayFunction):
    # out = x shifted cyclically by ``shifts`` along ``dims``: the gradient is g shifted back
    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return np.roll(x, shifts[0] if dims is None else shifts, dims)

    @staticmethod
    def backward(ctx, g):
        back = tuple(-s for s in ctx.shifts)
        return np.roll(g, back[0] if ctx.dims is None else back, ctx.dims), None, None


def narrow_index(shape: tuple, dim: int, start, length: int) -> tuple:
    """The index of ``narrow(dim, start, length)``: ``[..., start:start + length]`` at ``dim``,
    with torch's checks (start in [-size, size], wrapped when negative; length >= 0; the slice
    inside the dimension)."""
    if len(shape) == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = norm_dim(dim, len(shape), "narrow")
    size = shape[d]
    for name, v in (("start", start), ("length", length)):
        if getattr(v, "ndim", None) == 0 and np.asarray(v).dtype.kind in "iu":
            continue  # a 0-d integer tensor, as torch takes for start
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            raise TypeError(f"narrow(): argument '{name}' must be int, not {type(v).__name__} "
                            f"({v!r})")
    start = int(start)
    if length < 0:
        raise RuntimeError(f"narrow(): length must be non-negative, got {length}.")
    if not -size <= start <= size:
        raise IndexError(f"narrow(): start out of range (expected to be in range of [{-size}, "
                         f"{size}], but got {start})")
    if start < 0:
        start += size
    if start + length > size:
        raise RuntimeError(f"narrow(): start ({start}) + length ({length}) exceeds dimension "
                           f"size ({size}).")
    return (slice(None),) * d + (slice(start, start + length),)
