"""Shape functions (``ops/shape.py``): pad."""

from __future__ import annotations

import numpy as np

from ...ops import shape as S
from ...tensor import Tensor, tensor_arg

__all__ = ["pad"]


def pad(input: Tensor, pad: tuple, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last ``len(pad) // 2`` dims; ``pad = (left, right, top, bottom, ...)`` starts at
    the last dim. Modes: ``constant`` (negative pads crop), ``reflect``, ``replicate``,
    ``circular``."""
    tensor_arg(input, "pad")
    if not isinstance(pad, (tuple, list)):
        raise TypeError(f"pad(): argument 'pad' must be tuple of ints, not {type(pad).__name__}")
    for i, p in enumerate(pad):
        if not isinstance(p, (int, np.integer)) or isinstance(p, bool):
            raise TypeError(f"pad(): argument 'pad' must be tuple of ints, but found element of "
                            f"type {type(p).__name__} at pos {i} (pad={tuple(pad)})")
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise RuntimeError(f"pad: padding length must be even and at most 2 * ndim "
                           f"({2 * input.ndim}), got {len(pad)}: Padding length should be less "
                           f"than or equal to two times the input dimension but got padding "
                           f"length {len(pad)} and input of dimension {input.ndim}")
    if mode == "constant":
        return S.Pad.apply(input, pad, 0.0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"pad: mode '{mode}' is not one of 'constant', 'reflect', "
                                  "'replicate', 'circular'")
    if value is not None and value != 0:
        raise RuntimeError(f"pad: Padding mode \"{mode}\" doesn't take in value argument (got "
                           f"value={value})")
    k = len(pad) // 2
    if input.ndim not in (k + 1, k + 2):
        raise NotImplementedError(f"pad: Padding size {len(pad)} is not supported for "
                                  f"{input.ndim}D input tensor in mode '{mode}' (it pads the "
                                  f"last {k} dims of a {k + 1}D or {k + 2}D input)")
    out = input
    for k in range(len(pad) // 2):
        d = input.ndim - 1 - k
        lo, hi = pad[2 * k], pad[2 * k + 1]
        n = input.shape[d]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(f"pad: padding ({lo}, {hi}) should be less than the input "
                               f"dimension {d} of size {n} for mode 'reflect'")
        i = np.arange(-lo, n + hi)
        if mode == "reflect":
            i = np.abs(i)
            i = np.where(i >= n, 2 * (n - 1) - i, i)
        elif mode == "replicate":
            i = np.clip(i, 0, n - 1)
        else:  # negative pads crop first; the wrap-around then reads the cropped tensor
            start, kept = max(-lo, 0), n - max(-lo, 0) - max(-hi, 0)
            i = start + (i - start) % kept
        out = S.IndexSelect.apply(out, d, i)
    return out
