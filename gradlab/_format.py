"""``repr`` of tensors in PyTorch's style: ``tensor([[1., 2.], [3., 4.]], requires_grad=True)``."""

from __future__ import annotations

import numpy as np

from . import backend


def _float_formatter(arr: np.ndarray):
    finite = arr[np.isfinite(arr)]
    if finite.size == 0:
        return lambda v: f"{v}"
    amax = np.abs(finite).max()
    nonzero = np.abs(finite[finite != 0])
    amin = nonzero.min() if nonzero.size else 0.0
    if np.all(finite == np.round(finite)) and amax < 1e8:
        return lambda v: f"{v:.0f}." if np.isfinite(v) else f"{v}"
    if amax >= 1e8 or (amin and (amin < 1e-4 or amax / amin > 1e3)):
        return lambda v: f"{v:.4e}"
    return lambda v: f"{v:.4f}"


def _aligned(f, arr: np.ndarray):
    """Right-justify every value to the widest one, as PyTorch aligns its columns."""
    shown = arr.reshape(-1) if arr.size <= 1000 else np.concatenate(
        [arr.reshape(-1)[:3], arr.reshape(-1)[-3:]])
    width = max(len(f(v)) for v in shown)
    return lambda v: f(v).rjust(width)


def format_tensor(t) -> str:
    arr = t.array
    kind = arr.dtype.kind
    fmt = None
    if arr.size:
        if kind == "f":
            fmt = {"float_kind": _aligned(_float_formatter(arr), arr)}
        elif kind == "b":
            fmt = {"bool": _aligned(lambda v: "True" if v else "False", arr)}
        else:
            fmt = {"int": _aligned(str, arr)}
    prefix = "tensor("
    if arr.size == 0:
        body = "[]" if arr.ndim == 1 else f"[], size={tuple(arr.shape)}"
    else:
        body = np.array2string(arr, separator=", ", prefix=prefix, formatter=fmt,
                               threshold=1000, edgeitems=3, max_line_width=80)
    extras = []
    dt = backend.from_numpy_dtype(arr.dtype)
    if dt not in (backend.get_default_dtype(), backend.int64, backend.bool_):
        extras.append(f"dtype={dt}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    return prefix + body + "".join(", " + e for e in extras) + ")"
