"""torchvision.utils' ``make_grid`` and ``save_image``, with a small PNG writer (zlib and
struct only: gradlab's core needs neither Pillow nor matplotlib)."""

from __future__ import annotations

import math
import os
from typing import BinaryIO

import numpy as np

from .._png import COLOUR_TYPE, png_bytes
from ..tensor import Tensor, from_numpy

__all__ = ["make_grid", "save_image"]


def _stacked(tensor, who: str) -> np.ndarray:
    if isinstance(tensor, Tensor):
        return tensor.array
    if isinstance(tensor, list):
        for t in tensor:
            if not isinstance(t, Tensor):
                raise TypeError(f"tensor or list of tensors expected, got a list containing "
                                f"{type(t)}")
        if not tensor:
            raise ValueError(f"{who}: the list of tensors is empty")
        shapes = {tuple(t.shape) for t in tensor}
        if len(shapes) != 1:
            raise RuntimeError(f"{who}: stack expects each tensor to be equal size, got "
                               f"shapes {sorted(shapes)}")
        return np.stack([t.array for t in tensor])
    raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")


def make_grid(tensor: Tensor | list[Tensor], nrow: int = 8, padding: int = 2,
              normalize: bool = False, value_range: tuple[float, float] | None = None,
              scale_each: bool = False, pad_value: float = 0.0) -> Tensor:
    """Tile a batch of images into one image, ``nrow`` per row, ``padding`` pixels of
    ``pad_value`` around and between them (torchvision's make_grid).

    A grey batch (B, 1, H, W) (or a single (H, W) / (1, H, W) image) is repeated to 3
    channels. ``normalize`` maps ``value_range`` (default: the batch's min and max, or each
    image's with ``scale_each``) to [0, 1]: ``(clamp(x, lo, hi) - lo) / max(hi - lo, 1e-5)``.
    A batch of one image is returned without padding. The input is not changed.

    Shape: (B, C, H, W) or a list of B (C, H, W) -> (C, ceil(B / n) (H + p) + p,
    n (W + p) + p), n = min(nrow, B), p = padding.
    """
    arr = _stacked(tensor, "make_grid")
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim == 3:
        if arr.shape[0] == 1:
            arr = np.concatenate([arr] * 3, axis=0)
        arr = arr[None]
    if arr.ndim != 4:
        raise ValueError(f"make_grid: expected a (B, C, H, W) batch, (C, H, W) or (H, W) "
                         f"image, got shape {arr.shape}")
    if arr.shape[1] == 1:
        arr = np.concatenate([arr] * 3, axis=1)
    if not isinstance(padding, int) or padding < 0 or not isinstance(nrow, int) or nrow < 1:
        raise ValueError(f"make_grid: nrow must be a positive int and padding a non-negative "
                         f"int, got nrow={nrow!r}, padding={padding!r}")
    if normalize is True:
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and "
                            "max are numbers")
        if arr.dtype.kind != "f":
            raise RuntimeError(f"make_grid: normalize=True needs a floating-point tensor, got "
                               f"{arr.dtype}")
        dt = arr.dtype
        axes = (1, 2, 3) if scale_each is True else (0, 1, 2, 3)
        if value_range is not None:
            lo = np.full((arr.shape[0], 1, 1, 1), value_range[0], np.float64)
            hi = np.full((arr.shape[0], 1, 1, 1), value_range[1], np.float64)
        else:
            lo = arr.min(axis=axes, keepdims=True).astype(np.float64)
            hi = arr.max(axis=axes, keepdims=True).astype(np.float64)
        # torch clamps and subtracts with the bounds in the tensor's dtype, and divides by
        # max(hi - lo, 1e-5) worked out in Python floats
        arr = np.clip(arr, lo.astype(dt), hi.astype(dt)) - lo.astype(dt)
        arr = (arr / np.maximum(hi - lo, 1e-5).astype(dt)).astype(dt)
    if arr.shape[0] == 1:
        return from_numpy(np.ascontiguousarray(arr[0]))
    nmaps, c, h, w = arr.shape
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    height, width = h + padding, w + padding
    tiles = np.full((ymaps * xmaps, c, height, width), pad_value, dtype=arr.dtype)
    tiles[:nmaps, :, padding:, padding:] = arr
    grid = np.full((c, height * ymaps + padding, width * xmaps + padding), pad_value,
                   dtype=arr.dtype)
    grid[:, :height * ymaps, :width * xmaps] = (
        tiles.reshape(ymaps, xmaps, c, height, width).transpose(2, 0, 3, 1, 4)
        .reshape(c, ymaps * height, xmaps * width))
    return from_numpy(grid)


def save_image(tensor: Tensor | list[Tensor], fp: str | os.PathLike | BinaryIO,
               format: str | None = None, **kwargs) -> None:
    """Save an image or a batch (as :func:`make_grid` tiles it, ``**kwargs`` passed on) to a
    PNG file: values in [0, 1] become bytes by ``clamp(x * 255 + 0.5, 0, 255)`` truncated
    (torchvision's rounding).

    ``fp`` is a path or a binary file object; the format comes from ``format`` or the file
    name and must be PNG (gradlab writes PNG only, with zlib). Images with 1, 2, 3 or 4
    channels are written as grey, grey + alpha, RGB or RGBA.

    Shape: (B, C, H, W), (C, H, W) or (H, W), float.
    """
    grid = make_grid(tensor, **kwargs)
    arr = grid.array
    if arr.dtype.kind != "f":
        raise TypeError(f"save_image: expected a floating-point tensor with values in [0, 1], "
                        f"got {grid.dtype}")
    if arr.ndim != 3 or arr.shape[0] not in COLOUR_TYPE:
        raise ValueError(f"save_image: cannot write an image with {arr.shape[0]} channels as "
                         f"PNG (1 to 4 are possible), grid shape {tuple(arr.shape)}")
    name = os.fspath(fp) if isinstance(fp, (str, os.PathLike)) else getattr(fp, "name", None)
    fmt = format
    if fmt is None:
        ext = os.path.splitext(name)[1].lower() if isinstance(name, str) else ""
        if not ext:
            raise ValueError("save_image: unknown file extension; pass format='png' when "
                             "writing to a file object")
        fmt = ext[1:]
    if str(fmt).lower() != "png":
        raise ValueError(f"save_image: gradlab writes PNG files only, got format {fmt!r}")
    t = arr.dtype.type
    scaled = np.clip(arr * t(255) + t(0.5), 0, 255).astype(np.uint8)
    data = png_bytes(np.ascontiguousarray(scaled.transpose(1, 2, 0)))
    if isinstance(fp, (str, os.PathLike)):
        with open(fp, "wb") as f:
            f.write(data)
    else:
        fp.write(data)
