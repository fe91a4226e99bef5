"""The transform classes torchvision.transforms has that gradlab.transforms lacks: Resize,
CenterCrop, Pad, RandomResizedCrop, ConvertImageDtype, Grayscale. Each holds its arguments
and calls :mod:`gradlab.vision.transforms.functional`; ``repr`` is torchvision's.

Inputs are gradlab Tensors (..., C, H, W) or NumPy images (H, W) / (H, W, C) (the PIL
stand-in; see the functional module). RandomResizedCrop draws from ``generator=`` or
gradlab's global stream, so ``gradlab.manual_seed`` repeats it; given a batch it draws once
for the whole batch, as torchvision does.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence

from ... import backend
from ...backend import Generator
from . import functional as F
from .functional import InterpolationMode

__all__ = ["CenterCrop", "ConvertImageDtype", "Grayscale", "Pad", "RandomResizedCrop",
           "Resize"]


def _setup_size(size, error_msg: str) -> tuple[int, int]:
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    if not isinstance(size, Sequence) or len(size) != 2:
        raise ValueError(error_msg)
    return size


class Resize:
    """Resize to ``size`` (an int: the smaller edge, keeping the aspect ratio; (h, w): the
    output size) with ``interpolation`` (BILINEAR or NEAREST) and, for bilinear tensors,
    ``antialias`` (see :func:`functional.resize`).

    Shape: (..., H, W) -> (..., h, w); NumPy (H, W[, C]) -> (h, w[, C]).
    """

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR,
                 max_size: int | None = None, antialias: bool | None = True) -> None:
        if isinstance(size, bool) or not isinstance(size, (int, Sequence)):
            raise TypeError(f"Size should be int or sequence. Got {type(size)}")
        if isinstance(size, Sequence) and len(size) not in (1, 2):
            raise ValueError("If size is a sequence, it should have 1 or 2 values")
        self.size = size
        self.max_size = max_size
        self.interpolation = F._interpolation(interpolation, "Resize")
        self.antialias = antialias

    def __call__(self, img):
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(size={self.size}, interpolation="
                f"{self.interpolation.value}, max_size={self.max_size}, "
                f"antialias={self.antialias})")


class CenterCrop:
    """Crop the centred ``size`` window (zero-padding an image smaller than it).

    Shape: (..., H, W) -> (..., h, w).
    """

    def __init__(self, size) -> None:
        self.size = _setup_size(size, "Please provide only two dimensions (h, w) for size.")

    def __call__(self, img):
        return F.center_crop(img, self.size)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size})"


class Pad:
    """Pad the borders (see :func:`functional.pad`): ``padding`` an int, (lr, tb) or
    (left, top, right, bottom); ``padding_mode`` constant (``fill``), edge, reflect or
    symmetric.

    Shape: (..., H, W) -> (..., H + top + bottom, W + left + right).
    """

    def __init__(self, padding, fill=0, padding_mode: str = "constant") -> None:
        if not isinstance(padding, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate padding arg")
        if not isinstance(fill, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate fill arg")
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError("Padding mode should be either constant, edge, reflect or "
                             "symmetric")
        if isinstance(padding, Sequence) and len(padding) not in (1, 2, 4):
            raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, not a "
                             f"{len(padding)} element tuple")
        self.padding = padding
        self.fill = fill
        self.padding_mode = padding_mode

    def __call__(self, img):
        return F.pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(padding={self.padding}, fill={self.fill}, "
                f"padding_mode={self.padding_mode})")


class RandomResizedCrop:
    """Crop a random window of random area and aspect ratio, then resize it to ``size``
    (the Inception crop; torchvision's RandomResizedCrop).

    Up to 10 tries: area ``A = H W u``, ``u ~ U(scale)``; aspect ``r = exp(v)``,
    ``v ~ U(log ratio)``; ``w = round(sqrt(A r))``, ``h = round(sqrt(A / r))``; the first
    (h, w) that fits gets a uniform top-left corner. Otherwise the centred crop of the whole
    image clamped to the ratio range. Then :func:`functional.resized_crop`.

    Shape: (..., H, W) -> (..., size[0], size[1]).
    """

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation=InterpolationMode.BILINEAR, antialias: bool | None = True, *,
                 generator: Generator | None = None) -> None:
        self.size = _setup_size(size, "Please provide only two dimensions (h, w) for size.")
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            warnings.warn("Scale and ratio should be of kind (min, max)", stacklevel=2)
        if min(scale) < 0 or min(ratio) <= 0:
            raise ValueError(f"RandomResizedCrop: scale must be >= 0 and ratio > 0, got "
                             f"scale={tuple(scale)}, ratio={tuple(ratio)}")
        self.interpolation = F._interpolation(interpolation, "RandomResizedCrop")
        self.antialias = antialias
        self.scale = scale
        self.ratio = ratio
        self.generator = generator

    @staticmethod
    def get_params(img, scale, ratio, generator: Generator | None = None
                   ) -> tuple[int, int, int, int]:
        """(top, left, height, width) of a random crop of ``img``, drawn as the class says."""
        _, height, width = F.get_dimensions(img)
        area = height * width
        rng = backend.rng(generator, "RandomResizedCrop.get_params")
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            target_area = area * float(rng.uniform(scale[0], scale[1]))
            aspect_ratio = math.exp(float(rng.uniform(log_ratio[0], log_ratio[1])))
            w = int(round(math.sqrt(target_area * aspect_ratio)))
            h = int(round(math.sqrt(target_area / aspect_ratio)))
            if 0 < w <= width and 0 < h <= height:
                i = int(rng.integers(0, height - h + 1))
                j = int(rng.integers(0, width - w + 1))
                return i, j, h, w
        in_ratio = float(width) / float(height)
        if in_ratio < min(ratio):
            w = width
            h = int(round(w / min(ratio)))
        elif in_ratio > max(ratio):
            h = height
            w = int(round(h * max(ratio)))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def __call__(self, img):
        i, j, h, w = self.get_params(img, self.scale, self.ratio, self.generator)
        return F.resized_crop(img, i, j, h, w, list(self.size), self.interpolation,
                              antialias=self.antialias)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(size={self.size}, "
                f"scale={tuple(round(s, 4) for s in self.scale)}, "
                f"ratio={tuple(round(r, 4) for r in self.ratio)}, "
                f"interpolation={self.interpolation.value}, antialias={self.antialias})")


class ConvertImageDtype:
    """Convert a Tensor image to ``dtype``, rescaling the values
    (:func:`functional.convert_image_dtype`). Shape: unchanged."""

    def __init__(self, dtype) -> None:
        self.dtype = backend.to_dtype(dtype)

    def __call__(self, image):
        return F.convert_image_dtype(image, self.dtype)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Grayscale:
    """Convert to grey with ``num_output_channels`` 1 or 3 (:func:`functional.rgb_to_grayscale`).

    Shape: (..., 3, H, W) -> (..., k, H, W); NumPy (H, W, 3) -> (H, W) or (H, W, 3).
    """

    def __init__(self, num_output_channels: int = 1) -> None:
        self.num_output_channels = num_output_channels

    def __call__(self, img):
        return F.rgb_to_grayscale(img, self.num_output_channels)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(num_output_channels={self.num_output_channels})"
