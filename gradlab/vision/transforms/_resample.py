"""Resampling kernels behind ``resize``: torch's ``F.interpolate`` rules for tensors and
Pillow's fixed-point bilinear filter for uint8 images given as NumPy arrays.

Every kernel is separable: per output axis a table of source indices and weights (computed
once per axis, a few hundred numbers), then one vectorized gather-multiply-add per filter tap
over the whole image. Tables follow the sources' arithmetic (float32 or float64 and where
they round), so the results agree with torch's and Pillow's bit for bit on the tables; only
the order of the float additions inside a tap sum can differ from torch's compiled kernels
(see ``bilinear``).

References: PyTorch ``aten/src/ATen/native/cpu/UpSampleKernel.cpp`` and ``UpSample.h``
(``area_pixel_compute_source_index``, ``_compute_indices_min_size_weights_aa``); Pillow
``src/libImaging/Resample.c`` (``precompute_coeffs``, ``normalize_coeffs_8bpc``).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

_PIL_PRECISION_BITS = 32 - 8 - 2


def _linear_table(n_in: int, n_out: int, dt: np.dtype):
    """Two taps per output index (torch's bilinear, align_corners=False, antialias=False).

    ``scale = n_in / n_out`` in ``dt``; ``src = max(scale * (i + 0.5) - 0.5, 0)`` rounded
    once to ``dt``; ``i0 = min(floor(src),
    n_in - 1)``, ``l1 = clamp(src - i0, 0, 1)``, ``l0 = 1 - l1``, ``i1 = i0 + (i0 < n_in - 1)``.
    """
    t = dt.type
    scale = t(n_in) / t(n_out)
    i = np.arange(n_out)
    # rounded once, as from a fused multiply-add: torch's float32 tables equal these for all
    # sizes 2..40 -> 2..45; its float64 ones for 96% of them (a last-bit difference else)
    if dt == np.float32:      # exact in float64, then one rounding
        src = (np.float64(scale) * (i + 0.5) - 0.5).astype(dt)
    else:                     # the exact value, rounded once (a loop over the table only)
        q = Fraction(float(scale))
        src = np.array([float(q * (2 * k + 1) / 2 - Fraction(1, 2)) for k in range(n_out)])
    src = np.maximum(src, t(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    l1 = np.clip(src - i0.astype(dt), t(0), t(1)).astype(dt)
    l0 = (t(1) - l1).astype(dt)
    i1 = i0 + (i0 < n_in - 1)
    return np.stack([i0, i1], axis=1), np.stack([l0, l1], axis=1)


def _aa_table(n_in: int, n_out: int, dt: np.dtype):
    """Variable taps per output index (torch's antialiased bilinear, Pillow's filter).

    ``scale = n_in / n_out``; ``support = scale`` when shrinking (else 1); for output ``i``
    the centre is ``scale (i + 0.5)``, the taps are ``xmin .. xmin + xsize - 1`` with
    ``xmin = max(int(centre - support + 0.5), 0)``, ``xsize = min(int(centre + support +
    0.5), n_in) - xmin``, and the weights ``tri((j + xmin - centre + 0.5) / max(scale, 1))``,
    ``tri(x) = max(1 - |x|, 0)``, normalised to sum 1. Computed in ``dt`` as torch does;
    padded taps repeat the last index with weight 0.
    """
    t = dt.type
    scale = t(n_in) / t(n_out)
    support = scale if scale >= 1.0 else t(1.0)
    max_taps = int(np.ceil(support)) * 2 + 1
    invscale = t(1.0 / np.float64(scale)) if scale >= 1.0 else t(1.0)
    center = (np.float64(scale) * (np.arange(n_out) + 0.5)).astype(dt)
    xmin = np.maximum(((center - support).astype(np.float64) + 0.5).astype(np.int64), 0)
    xmax = np.minimum(((center + support).astype(np.float64) + 0.5).astype(np.int64), n_in)
    xsize = np.clip(xmax - xmin, 0, max_taps)
    j = np.arange(max_taps)
    arg = ((j + xmin[:, None]) - center[:, None]).astype(dt).astype(np.float64) + 0.5
    w = np.maximum(1.0 - np.abs((arg * np.float64(invscale)).astype(dt)), 0).astype(dt)
    w[j[None, :] >= xsize[:, None]] = 0
    total = np.zeros(n_out, dt)
    for k in range(max_taps):          # torch sums the weights left to right in dt
        total += w[:, k]
    w = np.where(total[:, None] != 0, w / np.where(total == 0, 1, total)[:, None], w)
    idx = np.minimum(xmin[:, None] + j, n_in - 1)
    return idx, w.astype(dt)


def _nearest_table(n_in: int, n_out: int, dt: np.dtype):
    """torch's ``mode="nearest"``: ``src = min(floor(scale * i), n_in - 1)`` with ``scale``
    in float32 (torch's legacy rule, kept by torchvision's NEAREST)."""
    scale = np.float32(n_in) / np.float32(n_out)
    src = (scale * np.arange(n_out).astype(np.float32)).astype(np.float32)
    idx = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    return idx[:, None], np.ones((n_out, 1), dt)


def _apply(arr: np.ndarray, axis: int, idx: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``out[..., i, ...] = sum_k arr[..., idx[i, k], ...] * w[i, k]`` along ``axis``, the
    taps summed left to right in the array's dtype."""
    shape = [1] * arr.ndim
    shape[axis] = idx.shape[0]
    out = np.take(arr, idx[:, 0], axis=axis) * w[:, 0].reshape(shape)
    for k in range(1, idx.shape[1]):
        out += np.take(arr, idx[:, k], axis=axis) * w[:, k].reshape(shape)
    return out


def interpolate(arr: np.ndarray, size: tuple[int, int], mode: str,
                antialias: bool) -> np.ndarray:
    """torch's ``F.interpolate(x, size, mode, align_corners=False, antialias)`` on the last
    two axes of a float32/float64 array (..., H, W) -> (..., h, w).

    ``mode`` is "bilinear" or "nearest". An axis whose size does not change is copied, as
    torch does. Bilinear without antialias is separable with exactly torch's tables (so it
    equals torch's ``(x00 w00 + x01 w01) + ...`` up to the order of its float additions: a
    last-bit difference in float32 in a minority of pixels, none in float64 beyond 1e-13
    relative); with antialias the width pass runs first, then the height pass, as torch's
    separable kernel.
    """
    dt = arr.dtype
    h_out, w_out = size
    h_in, w_in = arr.shape[-2:]
    if mode == "nearest":
        table = _nearest_table
    elif antialias:
        table = _aa_table
    else:
        table = _linear_table
    out = arr
    if w_out != w_in:
        out = _apply(out, arr.ndim - 1, *table(w_in, w_out, dt))
    if h_out != h_in:
        out = _apply(out, arr.ndim - 2, *table(h_in, h_out, dt))
    return np.ascontiguousarray(out) if out is not arr else arr.copy()


def _pil_table(n_in: int, n_out: int):
    """Pillow's bilinear coefficients for one axis, as 22-bit fixed-point integers.

    ``precompute_coeffs`` in float64: ``scale = n_in / n_out``, ``filterscale = max(scale,
    1)``, support ``filterscale``, centre ``(i + 0.5) scale``, taps and weights as
    :func:`_aa_table` (normalised in float64); then ``normalize_coeffs_8bpc``:
    ``int(w 2^22 ± 0.5)`` (rounded away from zero).
    """
    scale = n_in / n_out
    filterscale = max(scale, 1.0)
    support = filterscale
    ksize = int(np.ceil(support)) * 2 + 1
    center = (np.arange(n_out) + 0.5) * scale
    xmin = np.maximum((center - support + 0.5).astype(np.int64), 0)
    xmax = np.minimum((center + support + 0.5).astype(np.int64), n_in) - xmin
    j = np.arange(ksize)
    w = np.maximum(1.0 - np.abs((j + xmin[:, None] - center[:, None] + 0.5)
                                * (1.0 / filterscale)), 0)
    w[j[None, :] >= xmax[:, None]] = 0
    total = np.zeros((n_out, 1))
    for t in range(ksize):            # Pillow sums the weights left to right
        total[:, 0] += w[:, t]
    w = np.where(total != 0, w / np.where(total == 0, 1, total), w)
    scaled = w * (1 << _PIL_PRECISION_BITS)
    k = np.where(scaled < 0, (scaled - 0.5).astype(np.int64), (scaled + 0.5).astype(np.int64))
    return np.minimum(xmin[:, None] + j, n_in - 1), k


def _pil_pass(arr: np.ndarray, axis: int, n_out: int) -> np.ndarray:
    idx, k = _pil_table(arr.shape[axis], n_out)
    shape = [1] * arr.ndim
    shape[axis] = n_out
    acc = np.full(np.take(arr, idx[:, 0], axis=axis).shape, 1 << (_PIL_PRECISION_BITS - 1),
                  dtype=np.int64)
    for t in range(idx.shape[1]):
        acc += np.take(arr, idx[:, t], axis=axis).astype(np.int64) * k[:, t].reshape(shape)
    return np.clip(acc >> _PIL_PRECISION_BITS, 0, 255).astype(np.uint8)


def pil_bilinear(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``PIL.Image.resize((w, h), BILINEAR)`` on a uint8 image (H, W) or (H, W, C) -> (h, w)
    or (h, w, C): the horizontal pass first, rounded to uint8, then the vertical pass
    (Pillow's ``ImagingResample``); an axis whose size does not change is skipped."""
    h_out, w_out = size
    out = img
    if w_out != img.shape[1]:
        out = _pil_pass(out, 1, w_out)
    if h_out != img.shape[0]:
        out = _pil_pass(out, 0, h_out)
    return out if out is not img else img.copy()
