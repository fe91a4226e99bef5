"""torchvision.transforms.functional on gradlab Tensors and NumPy images.

Two kinds of image, as torchvision has two (a tensor and a PIL image):

* a gradlab **Tensor** (..., C, H, W) (or (..., H, W)): torchvision's tensor rules
  (``torch.nn.functional.interpolate`` for resizing, ``torch.nn.functional.pad`` for padding);
* a **NumPy array** (H, W) or (H, W, C), the stand-in for a PIL image (gradlab's MNIST hands
  out uint8 (28, 28) arrays where torchvision hands out PIL images): Pillow's rules where
  they differ (its fixed-point bilinear filter, its grey conversion), and the result is again
  an array of the same layout, for ``ToTensor`` to finish.

The functions are data preprocessing: they work on the arrays and record no autograd graph.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from enum import Enum

import numpy as np

from ... import backend
from ...tensor import Tensor, from_numpy
from ...transforms import Normalize, ToTensor
from . import _resample

__all__ = [
    "InterpolationMode", "center_crop", "convert_image_dtype", "crop", "get_dimensions",
    "hflip", "normalize", "pad", "resize", "resized_crop", "rgb_to_grayscale", "to_grayscale",
    "to_tensor", "vflip",
]


class InterpolationMode(Enum):
    """Interpolation modes (torchvision's names and values). gradlab implements NEAREST
    (tensors) and BILINEAR (tensors, and uint8 NumPy images with Pillow's filter)."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


_FROM_PIL_INT = {0: InterpolationMode.NEAREST, 2: InterpolationMode.BILINEAR,
                 3: InterpolationMode.BICUBIC, 4: InterpolationMode.BOX,
                 5: InterpolationMode.HAMMING, 1: InterpolationMode.LANCZOS}


def _interpolation(mode, who: str) -> InterpolationMode:
    if isinstance(mode, int) and not isinstance(mode, bool) and mode in _FROM_PIL_INT:
        mode = _FROM_PIL_INT[mode]
    if not isinstance(mode, InterpolationMode):
        raise TypeError("Argument interpolation should be a InterpolationMode or a "
                        "corresponding Pillow integer constant")
    if mode not in (InterpolationMode.NEAREST, InterpolationMode.BILINEAR):
        raise ValueError(f"{who}: interpolation {mode} is not implemented in gradlab "
                         "(NEAREST and BILINEAR are)")
    return mode


def _image(img, who: str) -> tuple[np.ndarray, bool]:
    """(array, is_tensor); checks the layout: Tensor (..., H, W), array (H, W) or (H, W, C)."""
    if isinstance(img, Tensor):
        if img.ndim < 2:
            raise TypeError(f"{who}: Tensor is not a torch image (expected (..., H, W), got "
                            f"shape {tuple(img.shape)})")
        return img.array, True
    if isinstance(img, np.ndarray):
        if img.ndim not in (2, 3):
            raise ValueError(f"{who}: a NumPy image must be (H, W) or (H, W, C), got shape "
                             f"{img.shape}")
        return img, False
    raise TypeError(f"{who}: img should be a gradlab Tensor or a NumPy image. Got {type(img)}")


def _axes(is_tensor: bool, arr: np.ndarray) -> tuple[int, int]:
    return (arr.ndim - 2, arr.ndim - 1) if is_tensor else (0, 1)


def _out(is_tensor: bool, arr: np.ndarray):
    return from_numpy(np.ascontiguousarray(arr)) if is_tensor else np.ascontiguousarray(arr)


def get_dimensions(img) -> list[int]:
    """[channels, height, width] of a Tensor (..., C, H, W) / (H, W) or a NumPy image."""
    arr, is_tensor = _image(img, "get_dimensions")
    if is_tensor:
        return [1 if arr.ndim == 2 else arr.shape[-3], arr.shape[-2], arr.shape[-1]]
    return [1 if arr.ndim == 2 else arr.shape[2], arr.shape[0], arr.shape[1]]


def to_tensor(pic) -> Tensor:
    """NumPy (H, W, C) / (H, W) -> Tensor (C, H, W); uint8 scaled to [0, 1] (``ToTensor``)."""
    return ToTensor()(pic)


def normalize(tensor: Tensor, mean: Sequence[float], std: Sequence[float],
              inplace: bool = False) -> Tensor:
    """``(x - mean[c]) / std[c]`` per channel of a float Tensor (..., C, H, W)."""
    return Normalize(mean, std, inplace)(tensor)


def hflip(img):
    """Mirror left-right. Shape: unchanged."""
    arr, t = _image(img, "hflip")
    return _out(t, np.flip(arr, axis=_axes(t, arr)[1]))


def vflip(img):
    """Flip upside down. Shape: unchanged."""
    arr, t = _image(img, "vflip")
    return _out(t, np.flip(arr, axis=_axes(t, arr)[0]))


def _ltrb(padding, who: str) -> list[int]:
    if isinstance(padding, bool) or not isinstance(padding, (int, tuple, list)):
        raise TypeError(f"{who}: Got inappropriate padding arg {padding!r}")
    if isinstance(padding, int):
        return [padding] * 4
    if len(padding) not in (1, 2, 4):
        raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, not a "
                         f"{len(padding)} element tuple")
    p = [int(v) for v in padding]
    if len(p) == 1:
        return p * 4
    if len(p) == 2:
        return [p[0], p[1], p[0], p[1]]
    return p


def _pad_array(arr: np.ndarray, ha: int, wa: int, ltrb: list[int], fill, mode: str,
               who: str, is_tensor: bool) -> np.ndarray:
    left, top, right, bottom = ltrb
    # a negative padding crops (torch.nn.functional.pad and the PIL path both do)
    sl = [slice(None)] * arr.ndim
    sl[ha] = slice(max(-top, 0), arr.shape[ha] - max(-bottom, 0))
    sl[wa] = slice(max(-left, 0), arr.shape[wa] - max(-right, 0))
    arr = arr[tuple(sl)]
    left, top, right, bottom = (max(v, 0) for v in ltrb)
    widths = [(0, 0)] * arr.ndim
    widths[ha], widths[wa] = (top, bottom), (left, right)
    if mode == "constant":
        if isinstance(fill, (tuple, list)):
            if is_tensor:
                raise TypeError(f"{who}: Got inappropriate fill arg {fill!r} (a number for "
                                "tensors)")
            fill = np.asarray(fill, dtype=np.float64)
            c = arr.shape[2] if arr.ndim == 3 else 1
            if fill.size not in (1, c):
                raise ValueError(f"{who}: fill has {fill.size} values, the image {c} channels")
            out = np.empty([s + a + b for s, (a, b) in zip(arr.shape, widths)], arr.dtype)
            out[...] = fill.reshape(-1) if arr.ndim == 3 else fill.reshape(())
            core = [slice(a, a + s) for s, (a, _) in zip(arr.shape, widths)]
            out[tuple(core)] = arr
            return out
        return np.pad(arr, widths, mode="constant", constant_values=fill)
    if mode == "reflect" and is_tensor and (max(top, bottom) >= arr.shape[ha]
                                            or max(left, right) >= arr.shape[wa]):
        raise RuntimeError(f"{who}: Padding size should be less than the corresponding input "
                           f"dimension, but got padding {ltrb} for an image of "
                           f"{arr.shape[ha]}x{arr.shape[wa]}")
    if mode == "symmetric" and is_tensor and (max(top, bottom) > arr.shape[ha]
                                              or max(left, right) > arr.shape[wa]):
        raise ValueError(f"{who}: symmetric padding {ltrb} is larger than the image "
                         f"{arr.shape[ha]}x{arr.shape[wa]}")
    return np.pad(arr, widths, mode={"edge": "edge", "reflect": "reflect",
                                     "symmetric": "symmetric"}[mode])


def pad(img, padding, fill=0, padding_mode: str = "constant"):
    """Pad the borders by ``padding``: an int (all four), (left/right, top/bottom) or
    (left, top, right, bottom); a negative value crops instead. ``padding_mode``: constant
    (``fill``: a number; for a NumPy image also one value per channel), edge, reflect (the
    edge pixel not repeated) or symmetric (repeated).

    Shape: (..., H, W) -> (..., H + top + bottom, W + left + right).
    """
    arr, t = _image(img, "pad")
    if fill is None:
        fill = 0
    if not isinstance(fill, (numbers.Number, tuple, list)):
        raise TypeError(f"pad: Got inappropriate fill arg {fill!r}")
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    ha, wa = _axes(t, arr)
    return _out(t, _pad_array(arr, ha, wa, _ltrb(padding, "pad"), fill, padding_mode, "pad", t))


def crop(img, top: int, left: int, height: int, width: int):
    """The window rows ``top .. top + height - 1``, columns ``left .. left + width - 1``;
    parts outside the image are zeros (torchvision's and Pillow's rule).

    Shape: (..., H, W) -> (..., height, width).
    """
    arr, t = _image(img, "crop")
    ha, wa = _axes(t, arr)
    h, w = arr.shape[ha], arr.shape[wa]
    right, bottom = left + width, top + height
    sl = [slice(None)] * arr.ndim
    sl[ha] = slice(max(top, 0), max(bottom, 0))
    sl[wa] = slice(max(left, 0), max(right, 0))
    arr = arr[tuple(sl)]
    if left < 0 or top < 0 or right > w or bottom > h:
        ltrb = [max(-left + min(0, right), 0), max(-top + min(0, bottom), 0),
                max(right - max(w, left), 0), max(bottom - max(h, top), 0)]
        arr = _pad_array(arr, ha, wa, ltrb, 0, "constant", "crop", t)
    return _out(t, arr)


def center_crop(img, output_size):
    """The centred ``output_size`` (int or (h, w)) window; an image smaller than it is first
    padded with zeros, the odd pixel going right/bottom. The top-left corner is
    ``round((H - h) / 2), round((W - w) / 2)`` (Python's rounding, half to even).

    Shape: (..., H, W) -> (..., h, w).
    """
    if isinstance(output_size, numbers.Number):
        output_size = (int(output_size), int(output_size))
    elif isinstance(output_size, (tuple, list)) and len(output_size) == 1:
        output_size = (output_size[0], output_size[0])
    _, ih, iw = get_dimensions(img)
    ch, cw = output_size
    if cw > iw or ch > ih:
        ltrb = [(cw - iw) // 2 if cw > iw else 0, (ch - ih) // 2 if ch > ih else 0,
                (cw - iw + 1) // 2 if cw > iw else 0, (ch - ih + 1) // 2 if ch > ih else 0]
        img = pad(img, ltrb, fill=0)
        _, ih, iw = get_dimensions(img)
        if cw == iw and ch == ih:
            return img
    return crop(img, int(round((ih - ch) / 2.0)), int(round((iw - cw) / 2.0)), ch, cw)


def _resized_hw(h: int, w: int, size, max_size) -> list[int]:
    """torchvision's output size: a 1-element size is the smaller edge (the longer one
    ``int(size * long / short)``, capped at ``max_size``); 2 elements are (h, w)."""
    short, long = (w, h) if w <= h else (h, w)
    if len(size) == 1:
        new_short, new_long = size[0], int(size[0] * long / short)
        if max_size is not None:
            if max_size <= size[0]:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the "
                                 f"requested size for the smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
        return [new_h, new_w]
    return [size[0], size[1]]


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size: int | None = None,
           antialias: bool | None = True):
    """Resize to ``size``: an int (or [int]) is the smaller edge, keeping the aspect ratio;
    (h, w) is the output size.

    Tensors follow ``torchvision.transforms.functional.resize``: float32/float64 are
    resampled in their dtype by ``F.interpolate(mode, align_corners=False, antialias)``'s
    rules; other dtypes in float32, then rounded (integers) and cast back. ``antialias``
    (bilinear only) widens the triangle filter by the shrink factor (Pillow's filter);
    ``False`` or ``None`` is plain two-tap bilinear. uint8 NumPy images use Pillow's bilinear
    resize (always antialiased; 22-bit fixed-point weights, uint8 after each pass).

    Shape: (..., H, W) -> (..., h, w); a NumPy image (H, W[, C]) -> (h, w[, C]).
    """
    mode = _interpolation(interpolation, "resize")
    if isinstance(size, bool) or not isinstance(size, (int, list, tuple)):
        raise TypeError(f"Size should be int or sequence. Got {type(size)}")
    if isinstance(size, (list, tuple)):
        if len(size) not in (1, 2):
            raise ValueError("Size must be an int or a 1 or 2 element tuple/list, not a "
                             f"{len(size)} element tuple/list")
        if max_size is not None and len(size) != 1:
            raise ValueError("max_size should only be passed if size specifies the length of "
                             "the smaller edge, i.e. size should be an int or a sequence of "
                             "length 1 in torchscript mode.")
    size = [size] if isinstance(size, int) else [int(s) for s in size]
    if min(size) < 1:
        raise ValueError(f"resize: the output size must be positive, got {size}")
    _, h, w = get_dimensions(img)
    out_hw = _resized_hw(h, w, size, max_size)
    if out_hw == [h, w]:
        return img
    arr, t = _image(img, "resize")
    if not t:
        if arr.dtype != np.uint8 or (arr.ndim == 3 and arr.shape[2] not in (1, 3)):
            raise TypeError(f"resize: a NumPy image must be uint8 (H, W), (H, W, 1) or "
                            f"(H, W, 3) (Pillow's L or RGB), got {arr.dtype} {arr.shape}")
        if mode is not InterpolationMode.BILINEAR:
            raise ValueError("resize: NumPy images are resized with Pillow's BILINEAR only")
        return _resample.pil_bilinear(arr, tuple(out_hw))
    dt = arr.dtype
    work = arr if dt in (np.float32, np.float64) else arr.astype(np.float32)
    out = _resample.interpolate(work, tuple(out_hw), mode.value,
                                bool(antialias) and mode is InterpolationMode.BILINEAR)
    if dt.kind in "iu":
        out = np.round(out)
    return from_numpy(out.astype(dt, copy=False))


def resized_crop(img, top: int, left: int, height: int, width: int, size,
                 interpolation=InterpolationMode.BILINEAR, antialias: bool | None = True):
    """``crop`` then ``resize`` (what RandomResizedCrop applies)."""
    return resize(crop(img, top, left, height, width), size, interpolation,
                  antialias=antialias)


def _max_value(d: np.dtype) -> int:
    return int(np.iinfo(d).max) if d.kind in "iu" else 1


def convert_image_dtype(image: Tensor, dtype=backend.float32) -> Tensor:
    """Convert a Tensor image's dtype, rescaling values: floats live in [0, 1], integers in
    [0, max of the type].

    int -> float: ``x / max_in``; float -> int: ``x * (max_out + 1 - 0.001)`` truncated;
    int -> int: multiplied or floor-divided by ``(max + 1)`` ratios; float -> float: a cast.

    Shape: unchanged.
    """
    if not isinstance(image, Tensor):
        raise TypeError(f"Input img should be Tensor Image. Got {type(image)}")
    target = backend.to_dtype(dtype).np
    arr = image.array
    if arr.dtype == target:
        return image
    if arr.dtype == np.bool_ or target == np.bool_:
        raise TypeError(f"convert_image_dtype: bool images are not supported ({arr.dtype} -> "
                        f"{target})")
    if arr.dtype.kind == "f":
        if target.kind == "f":
            return from_numpy(arr.astype(target))
        if (arr.dtype == np.float32 and target in (np.int32, np.int64)) or (
                arr.dtype == np.float64 and target == np.int64):
            raise RuntimeError(f"The cast from {image.dtype} to {backend.to_dtype(target)} "
                               "cannot be performed safely.")
        op = np.float32 if arr.dtype == np.float16 else arr.dtype
        scaled = (arr.astype(op) * op.type(_max_value(target) + 1.0 - 1e-3)).astype(arr.dtype)
        return from_numpy(scaled.astype(target))
    in_max = _max_value(arr.dtype)
    if target.kind == "f":
        op = np.float32 if target == np.float16 else target
        return from_numpy((arr.astype(target).astype(op) / op.type(in_max)).astype(target))
    out_max = _max_value(target)
    if in_max > out_max:
        factor = (in_max + 1) // (out_max + 1)
        return from_numpy(np.floor_divide(arr, factor).astype(target))
    factor = (out_max + 1) // (in_max + 1)
    return from_numpy(arr.astype(target) * target.type(factor))


_TORCH_GREY = (0.2989, 0.587, 0.114)


def rgb_to_grayscale(img, num_output_channels: int = 1):
    """Luma of an RGB image.

    Tensor (..., 3, H, W): ``0.2989 R + 0.587 G + 0.114 B`` in the float dtype (float32 for
    integer images, then truncated back); a 1-channel tensor is copied. As torchvision, the
    result keeps the input's channel count when ``num_output_channels=3`` (one channel in,
    one out). NumPy (H, W, 3) uint8: Pillow's ``convert("L")``, ``(19595 R + 38470 G + 7471 B
    + 2^15) >> 16``; (H, W) is already grey. ``num_output_channels=3`` repeats the grey
    plane.

    Shape: (..., 3, H, W) -> (..., k, H, W); (H, W, 3) -> (H, W) or (H, W, 3).
    """
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    arr, t = _image(img, "rgb_to_grayscale")
    if not t:
        if arr.ndim == 3 and arr.shape[2] == 3:
            if arr.dtype != np.uint8:
                raise TypeError(f"rgb_to_grayscale: a NumPy RGB image must be uint8, got "
                                f"{arr.dtype}")
            a = arr.astype(np.int64)
            grey = ((a[..., 0] * 19595 + a[..., 1] * 38470 + a[..., 2] * 7471 + 0x8000)
                    >> 16).astype(np.uint8)
        elif arr.ndim == 2 or arr.shape[2] == 1:
            grey = arr.reshape(arr.shape[:2]).copy()
        else:
            raise TypeError(f"rgb_to_grayscale: a NumPy image must be (H, W), (H, W, 1) or "
                            f"(H, W, 3), got {arr.shape}")
        return np.ascontiguousarray(np.dstack([grey] * 3)) if num_output_channels == 3 else grey
    if arr.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found "
                        f"{arr.ndim}")
    c = arr.shape[-3]
    if c not in (1, 3):
        raise TypeError(f"Input image tensor permitted channel values are [1, 3], but found {c}")
    if c == 1:
        return from_numpy(arr.copy())
    ft = arr.dtype if arr.dtype.kind == "f" else backend.get_default_dtype().np
    op = np.float32 if ft == np.float16 else ft

    def mul(x, k):
        return (x.astype(op) * op.type(k)).astype(ft)

    r, g, b = (arr[..., i, :, :] for i in range(3))
    grey = mul(r, _TORCH_GREY[0])
    grey = (grey.astype(op) + mul(g, _TORCH_GREY[1]).astype(op)).astype(ft)
    grey = (grey.astype(op) + mul(b, _TORCH_GREY[2]).astype(op)).astype(ft)
    grey = grey.astype(arr.dtype)[..., None, :, :]
    if num_output_channels == 3:
        grey = np.repeat(grey, 3, axis=-3)
    return from_numpy(np.ascontiguousarray(grey))


def to_grayscale(img, num_output_channels: int = 1):
    """Grey version of a NumPy (PIL-style) image; tensors go to :func:`rgb_to_grayscale`."""
    return rgb_to_grayscale(img, num_output_channels)

