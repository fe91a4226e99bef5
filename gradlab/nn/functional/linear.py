"""The affine map (``ops/linalg.py``'s Linear, one node): y = x W^T + b."""

from __future__ import annotations

import numpy as np

from ...ops._names import rename_linear
from ...ops.linalg import Linear
from ...tensor import Tensor, tensor_arg

__all__ = ["linear"]


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b. Shape: input (*, in), weight (out, in) or (in,), bias broadcastable to
    the output (*, out)."""
    tensor_arg(input, "linear")
    tensor_arg(weight, "linear", "weight")
    if input.ndim == 0 or weight.ndim == 0:
        raise RuntimeError(f"linear: both arguments to linear need to be at least 1D, but they "
                           f"are {input.ndim}D and {weight.ndim}D")
    if weight.ndim > 2:
        raise RuntimeError(f"linear: weight must be 1-D or 2-D (out_features, in_features), got "
                           f"weight of shape {list(weight.shape)}")
    # two floating dtypes are computed in the wider one (as matmul); torch wants one dtype
    kinds = (input.array.dtype.kind, weight.array.dtype.kind)
    if input.array.dtype != weight.array.dtype and kinds != ("f", "f"):
        raise RuntimeError(f"linear: expected input and weight to have the same dtype, but got "
                           f"input of dtype {input.array.dtype} and weight of dtype "
                           f"{weight.array.dtype}")
    if input.shape[-1:] != weight.shape[-1:]:
        raise RuntimeError(f"linear: input of shape {list(input.shape)} does not match weight "
                           f"of shape {list(weight.shape)} (expected input (*, "
                           f"{weight.shape[-1]}))")
    w = weight.array
    if (isinstance(input, Tensor) and isinstance(weight, Tensor) and w.ndim == 2
            and input.array.dtype == w.dtype and w.dtype.kind == "f"
            and (bias is None or (isinstance(bias, Tensor) and bias.array.dtype == w.dtype
                                  and bias.array.shape == w.shape[:1]))):
        return rename_linear(Linear.apply(input, weight, bias), input.array.ndim,
                             bias is not None)
    # mixed dtypes (promoted), a 1-D weight, a broadcast bias: the composed ops
    out = input.matmul(weight.t())
    if bias is None:
        return out
    tensor_arg(bias, "linear", "bias")
    try:
        fits = np.broadcast_shapes(tuple(bias.shape), tuple(out.shape)) == tuple(out.shape)
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(f"linear: bias of shape {list(bias.shape)} does not fit the output of "
                           f"shape {list(out.shape)} (expected bias ({weight.shape[0]},))")
    return out + bias
