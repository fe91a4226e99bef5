"""Matrix products: ``matmul`` for 1-D, 2-D and batched (broadcast) operands."""

from __future__ import annotations

import numpy as np

from ..autograd import Function


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


class Matmul(Function):
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
