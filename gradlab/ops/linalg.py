"""Matrix products (``matmul`` for 1-D, 2-D and batched (broadcast) operands) and vector norms
(``linalg.vector_norm``, ``norm``)."""

from __future__ import annotations

import math

import numpy as np

from .. import backend
from ..autograd import ArrayFunction
from ._util import TORCH_DTYPE_NAME, keepdim_shape, reduce_dims


def _shape_str(s) -> str:
    return "x".join(str(v) for v in s) if len(s) else "scalar"


def check_matmul(a_shape: tuple, b_shape: tuple, op: str = "matmul") -> None:
    """Raise a clear error unless ``a @ b`` is defined (PyTorch's rules)."""
    if len(a_shape) == 0 or len(b_shape) == 0:
        raise RuntimeError(f"{op}: both arguments need at least 1 dimension, got shapes "
                           f"{list(a_shape)} and {list(b_shape)}")
    k1 = a_shape[-1]
    k2 = b_shape[-2] if len(b_shape) > 1 else b_shape[0]
    if k1 != k2:
        raise RuntimeError(f"{op}: shapes {list(a_shape)} and {list(b_shape)} cannot be "
                           f"multiplied ({_shape_str(a_shape)} and {_shape_str(b_shape)}: "
                           f"inner sizes {k1} != {k2})")
    if len(a_shape) > 2 or len(b_shape) > 2:
        try:
            np.broadcast_shapes(a_shape[:-2], b_shape[:-2])
        except ValueError:
            raise RuntimeError(f"{op}: batch dimensions {list(a_shape[:-2])} and "
                               f"{list(b_shape[:-2])} of shapes {list(a_shape)} and "
                               f"{list(b_shape)} cannot be broadcast") from None


class Matmul(ArrayFunction):
    # C = A B:  dA = G B^T ; dB = A^T G  (1-D operands are treated as a row / a column)
    @staticmethod
    def forward(ctx, a, b):
        check_matmul(a.shape, b.shape)
        ctx.save_for_backward(a, b)
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        if a.ndim == 2 and b.ndim == 2:  # the common dense-layer case, no reshaping
            return (g @ b.T if na else None), (a.T @ g if nb else None)
        if a.ndim == 1 and b.ndim == 1:  # a dot product: g is 0-d
            return (g * b if na else None), (g * a if nb else None)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g
        if a.ndim == 1:
            g2 = np.expand_dims(g2, -2)
        if b.ndim == 1:
            g2 = np.expand_dims(g2, -1)
        ga = gb = None
        if na:
            ga = np.matmul(g2, np.swapaxes(b2, -1, -2))
            if a.ndim == 1:
                ga = ga.reshape(-1, a.shape[0]).sum(axis=0)
        if nb:
            gb = np.matmul(np.swapaxes(a2, -1, -2), g2)
            if b.ndim == 1:
                gb = gb.reshape(-1, b.shape[0]).sum(axis=0)
        return ga, gb


class Linear(ArrayFunction):
    """The affine map of ``F.linear`` as one node: y = x W^T + b.

    Shapes: x (*, in), W (out, in), b (out,) or None -> y (*, out); x, W, b of one float dtype.
    The leading dims of x are flattened to n rows (a view when x is contiguous), so every case
    is one GEMM forward and at most three BLAS calls backward.
    """

    # y = x W^T + b:  dx = G W ; dW = G^T x ; db = 1^T G  (G, x flattened to n rows)
    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        rows = math.prod(x.shape[:-1])  # not -1: a size-0 feature axis leaves it undetermined
        x2 = x.reshape(rows, x.shape[-1])
        out = np.empty((x2.shape[0], w.shape[0]), dtype=np.result_type(x, w))
        np.matmul(x2, w.T, out=out)
        if b is not None:
            np.add(out, b, out=out)
        return out.reshape(*x.shape[:-1], w.shape[0])

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        nx, nw, nb = ctx.needs_input_grad
        rows = math.prod(x.shape[:-1])
        g2 = g.reshape(rows, w.shape[0])
        gx = (g2 @ w).reshape(x.shape) if nx else None
        gw = g2.T @ x.reshape(rows, x.shape[-1]) if nw else None
        gb = np.ones(g2.shape[0], dtype=g2.dtype) @ g2 if nb else None
        return gx, gw, gb


def vector_norm_args(op: str, ord, dim, keepdim: bool, dtype, ndim: int) -> tuple:
    """``(ord, dims, keepdim, dtype)`` as :class:`VectorNorm` takes them, checked as
    ``torch.linalg.vector_norm`` checks them (dims None: all; dtype None or a NumPy float
    dtype)."""
    if isinstance(ord, bool) or not isinstance(ord, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op}(): argument 'ord' (position 2) must be Number, not "
                        f"{type(ord).__name__} ({ord!r})")
    npdt = None
    if dtype is not None:
        npdt = backend.to_dtype(dtype).np
        if npdt.kind != "f":
            raise RuntimeError(f"{op}: dtype should be floating point or complex, but got "
                               f"{TORCH_DTYPE_NAME[str(npdt)]}")
    dims = reduce_dims(dim, ndim, op)
    return float(ord), dims, bool(keepdim), npdt


def norm_args(p, dim, keepdim: bool, dtype, ndim: int) -> tuple:
    """``torch.norm``'s arguments as :class:`VectorNorm` takes them: a number p or 'fro'
    (over at most two dims, which is the 2-norm of the flattened entries) is a vector norm;
    torch's other matrix norms ('nuc') are refused by name."""
    if isinstance(p, str):
        nd = ndim if dim is None else (1 if isinstance(dim, (int, np.integer)) else len(dim))
        if p == "fro" and (dim is None or nd <= 2):
            return vector_norm_args("linalg.vector_norm", 2, dim, keepdim, dtype, ndim)
        if p in ("fro", "nuc"):
            dims = list(range(ndim)) if dim is None else dim
            if p == "fro" or len(dims) != 2:
                raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got "
                                   f"{' '.join(str(d) for d in dims)}")
            raise RuntimeError("norm: p='nuc' (the nuclear norm, a sum of singular values) is "
                               "not supported by gradlab; p may be a number or 'fro'")
        raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
    return vector_norm_args("linalg.vector_norm", 2.0 if p is None else p, dim, keepdim,
                            dtype, ndim)


class VectorNorm(ArrayFunction):
    """||x||_p over ``dims``: (sum |x|^p)^(1/p); p = inf: max |x|, -inf: min |x|, 0: the
    number of non-zeros. Computed in ``dtype`` when given (the gradient comes back in x's)."""

    @staticmethod
    def forward(ctx, x, ord, dims, keepdim, dtype):
        if x.dtype.kind != "f":
            raise RuntimeError("linalg.vector_norm: Expected a floating point or complex "
                               f"tensor as input. Got {TORCH_DTYPE_NAME[str(x.dtype)]} "
                               f"(dtype {x.dtype}; cast it with .float())")
        ctx.in_dtype = x.dtype
        if dtype is not None:
            x = x.astype(dtype)
        axis = dims
        if math.isinf(ord) and x.size == 0 and (dims is None or any(x.shape[d] == 0
                                                                    for d in dims)):
            raise RuntimeError(f"linalg.vector_norm cannot compute the {ord:g} norm on an "
                               "empty tensor because the operation does not have an identity")
        a = np.abs(x)
        if ord == 2:
            out = np.sqrt(np.sum(a * a, axis=axis, keepdims=keepdim))
        elif ord == 1:
            out = np.sum(a, axis=axis, keepdims=keepdim)
        elif ord == 0:
            out = np.sum(a != 0, axis=axis, keepdims=keepdim).astype(x.dtype)
        elif math.isinf(ord):
            out = (np.max if ord > 0 else np.min)(a, axis=axis, keepdims=keepdim)
        else:
            with np.errstate(divide="ignore"):
                out = np.sum(a ** ord, axis=axis, keepdims=keepdim) ** (1.0 / ord)
        out = np.asarray(out, dtype=x.dtype)
        ctx.save_for_backward(x, out)
        ctx.ord, ctx.dims, ctx.keepdim = ord, dims, keepdim
        return out

    # torch's conventions (norm_backward): with n the norm and g broadcast back over dims,
    # p=2: g x / n (0 where n = 0); p=1: g sign(x); p=0: no gradient;
    # p=+-inf: g sign(x) shared evenly among the entries with |x| = n;
    # p<1: g sign(x) |x|^(p-1) n^(1-p) (0 where x = 0); else g sign(x) |x|^(p-1) / n^(p-1)
    # (0 where n = 0)
    @staticmethod
    def backward(ctx, g):
        x, n = ctx.saved_tensors
        p = ctx.ord
        if p == 0:
            return None, None, None, None, None
        if not ctx.keepdim:
            shape = keepdim_shape(x.shape, ctx.dims)
            g, n = g.reshape(shape), n.reshape(shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == 2:
                gx = g * np.where(n == 0, 0, x / n)
            elif p == 1:
                gx = g * np.sign(x)
            elif math.isinf(p):
                mask = (np.abs(x) == n) | np.isnan(x)
                count = np.sum(mask, axis=ctx.dims, keepdims=True)
                gx = np.sign(x) * (g / count) * mask
            elif p < 1:
                scaled = np.where(x == 0, 0, np.sign(x) * np.abs(x) ** (p - 1))
                gx = scaled * g * n ** (1 - p)
            else:
                gx = np.sign(x) * np.abs(x) ** (p - 1) * np.where(n == 0, 0, g / n ** (p - 1))
        return gx.astype(ctx.in_dtype, copy=False), None, None, None, None
