"""The affine map (``ops/linalg.py``'s matmul): y = x W^T + b."""

from __future__ import annotations

from ...tensor import Tensor

__all__ = ["linear"]


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b. Shape: input (*, in), weight (out, in), bias (out,) -> (*, out)."""
    if input.shape[-1:] != weight.shape[-1:]:
        raise RuntimeError(f"linear: input of shape {list(input.shape)} does not match weight "
                           f"of shape {list(weight.shape)} (expected input (*, "
                           f"{weight.shape[-1]}))")
    out = input.matmul(weight.t())
    return out if bias is None else out + bias
