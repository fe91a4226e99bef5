"""Preprocessing and augmentation: fit-on-train scalers and whitening, and image transforms
(torchvision.transforms' names and semantics).

Two kinds of transform live here.

*Fitted preprocessing* (source 004 §3.2: scaling, standardization, whitening; 002 Q6 on why
normalized inputs train faster): :class:`MinMaxScaler`, :class:`StandardScaler`,
:class:`PCAWhitening`, :class:`ZCAWhitening`. Each learns its statistics with ``fit`` on the
training set only and applies them with ``transform`` to any split (scikit-learn's method and
attribute names). Inputs are Tensors or NumPy arrays of shape (..., F): the feature axis is
the last one and every leading axis counts as samples; the output has the input's kind and
floating dtype. Statistics are computed in float64. Apply them once to the whole data tensor
and wrap the result in a TensorDataset, which keeps the DataLoader's whole-batch fast path.

*Image transforms* take one sample: :class:`ToTensor` (a NumPy HWC/HW image -> float CHW
tensor), :class:`Normalize`, :class:`RandomCrop`, :class:`RandomHorizontalFlip`,
:class:`RandomVerticalFlip`, :class:`GaussianNoise`, chained with :class:`Compose`. Apart
from ToTensor they act on Tensors (or arrays) of shape (..., H, W), channels first: a 3-D
NumPy array that looks like ToTensor's (H, W, C) input (last axis of 1, 3 or 4 entries, first
axis not) is refused by the crop and flips with a ValueError (apply ToTensor first, as
torchvision's tensor transforms expect). The random ones draw from
``generator=`` or gradlab's global stream, so ``gradlab.manual_seed`` repeats them. Given a
batch (N, C, H, W) they draw once and apply the same crop/flip/noise draw to the whole batch
(torchvision does the same); for per-sample randomness pass them as a dataset's
``transform=`` or wrap the dataset in :class:`TransformDataset`, which the DataLoader calls
sample by sample.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import backend
from .backend import Generator
from .tensor import Tensor, from_numpy
from .utils.data import Dataset

__all__ = [
    "Compose", "GaussianNoise", "Lambda", "MinMaxScaler", "Normalize", "PCAWhitening",
    "RandomCrop", "RandomHorizontalFlip", "RandomVerticalFlip", "StandardScaler", "ToTensor",
    "TransformDataset", "ZCAWhitening",
]


def _unwrap(x, who: str) -> np.ndarray:
    if isinstance(x, Tensor):
        return x.array
    if isinstance(x, np.ndarray):
        return x
    raise TypeError(f"{who}: expected a gradlab Tensor or a NumPy array, got {type(x).__name__}")


def _spatial(img, who: str) -> np.ndarray:
    """The array of an image for the spatial transforms, which read (..., H, W): a 3-D NumPy
    array laid out (H, W, C) as ToTensor's input (last axis 1, 3 or 4 entries, first axis
    not) is refused, since cropping or flipping it as (C, H, W) would cut the wrong axes."""
    arr = _unwrap(img, who)
    if isinstance(img, np.ndarray) and arr.ndim == 3 and arr.shape[-1] in (1, 3, 4) and \
            arr.shape[0] not in (1, 3, 4):
        raise ValueError(f"{who}: got a NumPy array of shape {list(arr.shape)}, which looks "
                         f"like an (H, W, C) image; the spatial transforms take (..., H, W) "
                         f"(channels first): apply ToTensor() first, or pass "
                         f"arr.transpose(2, 0, 1)")
    return arr


def _rewrap(like, arr: np.ndarray):
    return from_numpy(arr) if isinstance(like, Tensor) else arr


# ============================================================================ fitted preprocessing


class _Fitted:
    """Shared plumbing: 2-D float64 view of (..., F) input, fit_transform, not-fitted checks."""

    def _rows(self, X, who: str) -> tuple[np.ndarray, np.dtype]:
        arr = _unwrap(X, f"{type(self).__name__}.{who}")
        if arr.ndim == 0:
            raise ValueError(f"{type(self).__name__}.{who}: expected shape (..., features), "
                             "got a 0-d input")
        out_dtype = arr.dtype if arr.dtype.kind == "f" else backend.get_default_dtype().np
        return arr.reshape(-1, arr.shape[-1]).astype(np.float64), out_dtype

    def _check(self, X, who: str, features_attr: str = "n_features_in_"
               ) -> tuple[np.ndarray, np.dtype]:
        if not hasattr(self, "n_features_in_"):
            raise RuntimeError(f"{type(self).__name__}.{who}: not fitted yet; call fit(X_train) "
                               "first")
        features = getattr(self, features_attr)
        rows, dt = self._rows(X, who)
        if rows.shape[1] != features:
            raise ValueError(f"{type(self).__name__}.{who}: X has {rows.shape[1]} features "
                             f"(last axis), but {features} were expected")
        return rows, dt

    def _fit_rows(self, X) -> np.ndarray:
        rows, _ = self._rows(X, "fit")
        if rows.shape[0] == 0:
            raise ValueError(f"{type(self).__name__}.fit: X has no samples")
        self.n_features_in_ = rows.shape[1]
        self.n_samples_seen_ = rows.shape[0]
        return rows

    @staticmethod
    def _out(X, rows: np.ndarray, dt, features: int | None = None):
        shape = _unwrap(X, "").shape
        shape = shape[:-1] + ((features,) if features is not None else shape[-1:])
        return _rewrap(X, rows.astype(dt).reshape(shape))

    def fit_transform(self, X):
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)


def _nonzero(scale: np.ndarray) -> np.ndarray:
    """Constant features get scale 1 (they map to the range's low end / to 0, not to NaN)."""
    return np.where(scale == 0.0, 1.0, scale)


class MinMaxScaler(_Fitted):
    """Rescale each feature linearly so the training minimum maps to ``feature_range[0]`` and
    the training maximum to ``feature_range[1]`` (source 004 §3.2, "缩放归一化").

    ``x' = (x - min) / (max - min) * (b - a) + a``, stored as ``x' = x * scale_ + min_``.
    A constant feature maps to ``a``. ``clip=True`` clamps transformed test values to the range.

    Attributes: data_min_, data_max_, data_range_, scale_, min_ (each (F,)).

    Shape:
        X: (..., F) -> (..., F).
    """

    def __init__(self, feature_range: tuple[float, float] = (0.0, 1.0), clip: bool = False):
        a, b = feature_range
        if not a < b:
            raise ValueError("MinMaxScaler: feature_range must be (low, high) with low < high, "
                             f"got {feature_range!r}")
        self.feature_range = (float(a), float(b))
        self.clip = clip

    def fit(self, X) -> MinMaxScaler:
        rows = self._fit_rows(X)
        a, b = self.feature_range
        self.data_min_ = rows.min(axis=0)
        self.data_max_ = rows.max(axis=0)
        self.data_range_ = self.data_max_ - self.data_min_
        self.scale_ = (b - a) / _nonzero(self.data_range_)
        self.min_ = a - self.data_min_ * self.scale_
        return self

    def transform(self, X):
        rows, dt = self._check(X, "transform")
        out = rows * self.scale_ + self.min_
        if self.clip:
            np.clip(out, *self.feature_range, out=out)
        return self._out(X, out, dt)

    def inverse_transform(self, X):
        rows, dt = self._check(X, "inverse_transform")
        return self._out(X, (rows - self.min_) / self.scale_, dt)


class StandardScaler(_Fitted):
    """Give each feature zero mean and unit variance on the training set (source 004 §3.2,
    "标准归一化").

    ``x' = (x - mean_) / scale_`` with ``scale_ = sqrt(var_)`` (population variance, ddof=0);
    a constant feature keeps scale 1.

    Attributes: mean_, var_, scale_ (each (F,); None where disabled by with_mean/with_std).

    Shape:
        X: (..., F) -> (..., F).
    """

    def __init__(self, with_mean: bool = True, with_std: bool = True) -> None:
        self.with_mean = with_mean
        self.with_std = with_std

    def fit(self, X) -> StandardScaler:
        rows = self._fit_rows(X)
        self.mean_ = rows.mean(axis=0) if self.with_mean else None
        self.var_ = rows.var(axis=0) if self.with_std else None
        self.scale_ = _nonzero(np.sqrt(self.var_)) if self.with_std else None
        return self

    def transform(self, X):
        rows, dt = self._check(X, "transform")
        if self.with_mean:
            rows = rows - self.mean_
        if self.with_std:
            rows = rows / self.scale_
        return self._out(X, rows, dt)

    def inverse_transform(self, X):
        rows, dt = self._check(X, "inverse_transform")
        if self.with_std:
            rows = rows * self.scale_
        if self.with_mean:
            rows = rows + self.mean_
        return self._out(X, rows, dt)


def _eig_cov(rows: np.ndarray, who: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, eigenvalues (descending) and eigenvectors (columns) of the sample covariance
    ``C = Xc^T Xc / (N - 1)``."""
    n = rows.shape[0]
    if n < 2:
        raise ValueError(f"{who}.fit: whitening needs at least 2 samples, got {n}")
    mean = rows.mean(axis=0)
    xc = rows - mean
    lam, u = np.linalg.eigh(xc.T @ xc / (n - 1))
    order = np.argsort(lam)[::-1]
    return mean, np.clip(lam[order], 0.0, None), u[:, order]


class PCAWhitening(_Fitted):
    """PCA whitening: rotate centred data onto the principal axes and divide each axis by its
    standard deviation, so the features become uncorrelated with equal (unit) variance
    (source 004 §3.2, "白化").

    ``C = U diag(λ) U^T`` is the training covariance (divisor N - 1), λ descending.
    ``z = diag(1 / sqrt(λ_k + eps)) U_k^T (x - μ)`` keeps the top ``n_components`` axes.
    On the training set ``cov(z) = diag(λ_k / (λ_k + eps))``, the identity up to ``eps``,
    which guards the division for (near-)zero-variance directions.
    ``inverse_transform`` maps back (exactly when all components are kept).

    Attributes: mean_ (F,), n_components_ k, components_ (k, F) (rows are U's columns),
    explained_variance_ (k,) (the λ_k).

    Shape:
        X: (..., F) -> (..., k), k = n_components or F.
    """

    def __init__(self, n_components: int | None = None, eps: float = 1e-5) -> None:
        if n_components is not None and (not isinstance(n_components, int)
                                         or n_components < 1):
            raise ValueError(f"PCAWhitening: n_components must be a positive int or None, got "
                             f"{n_components!r}")
        if eps < 0:
            raise ValueError(f"PCAWhitening: eps must be >= 0, got {eps}")
        self.n_components = n_components
        self.eps = eps

    def fit(self, X) -> PCAWhitening:
        rows = self._fit_rows(X)
        k = self.n_components or rows.shape[1]
        if k > rows.shape[1]:
            raise ValueError(f"PCAWhitening.fit: n_components={k} exceeds the {rows.shape[1]} "
                             "features")
        self.mean_, lam, u = _eig_cov(rows, "PCAWhitening")
        self.n_components_ = k
        self.components_ = u[:, :k].T.copy()
        self.explained_variance_ = lam[:k]
        self._scale = np.sqrt(self.explained_variance_ + self.eps)
        return self

    def transform(self, X):
        rows, dt = self._check(X, "transform")
        z = (rows - self.mean_) @ self.components_.T / self._scale
        return self._out(X, z, dt, self.n_components_)

    def inverse_transform(self, X):
        rows, dt = self._check(X, "inverse_transform", "n_components_")
        return self._out(X, (rows * self._scale) @ self.components_ + self.mean_, dt,
                         self.n_features_in_)


class ZCAWhitening(_Fitted):
    """ZCA (Mahalanobis) whitening: PCA whitening rotated back to the original axes.

    ``W = U diag(1 / sqrt(λ + eps)) U^T`` (symmetric), ``z = W (x - μ)``. Of all matrices
    that whiten the data (``W C W^T = I``), ZCA's is the one whose output stays closest to
    the centred input in mean squared distance, so whitened images still look like images
    (Bell & Sejnowski 1997; Kessy, Lewin & Strimmer 2018). On the training set
    ``cov(z) = U diag(λ / (λ + eps)) U^T``.

    Attributes: mean_ (F,), whitening_matrix_ W (F, F), coloring_matrix_ W^{-1} (F, F).

    Shape:
        X: (..., F) -> (..., F).
    """

    def __init__(self, eps: float = 1e-5) -> None:
        if eps < 0:
            raise ValueError(f"ZCAWhitening: eps must be >= 0, got {eps}")
        self.eps = eps

    def fit(self, X) -> ZCAWhitening:
        rows = self._fit_rows(X)
        self.mean_, lam, u = _eig_cov(rows, "ZCAWhitening")
        s = np.sqrt(lam + self.eps)
        self.whitening_matrix_ = (u / s) @ u.T
        self.coloring_matrix_ = (u * s) @ u.T
        return self

    def transform(self, X):
        rows, dt = self._check(X, "transform")
        return self._out(X, (rows - self.mean_) @ self.whitening_matrix_, dt)

    def inverse_transform(self, X):
        rows, dt = self._check(X, "inverse_transform")
        return self._out(X, rows @ self.coloring_matrix_ + self.mean_, dt)


# ============================================================================ image transforms


class Compose:
    """Apply ``transforms`` one after the other."""

    def __init__(self, transforms: Sequence[Callable]) -> None:
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({inner}\n)"


class Lambda:
    """Wrap a function as a transform."""

    def __init__(self, lambd: Callable) -> None:
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ToTensor:
    """A NumPy image (H, W, C) or (H, W) -> a Tensor (C, H, W), as torchvision's ToTensor.

    uint8 images become float32 in [0, 1] (divided by 255); other dtypes are only moved to
    channels-first, values and dtype unchanged. A 2-D image gets one channel.

    Shape:
        (H, W, C) or (H, W) -> (C, H, W) or (1, H, W).
    """

    def __call__(self, pic) -> Tensor:
        if not isinstance(pic, np.ndarray):
            raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        if pic.ndim == 2:
            pic = pic[:, :, None]
        chw = np.ascontiguousarray(pic.transpose(2, 0, 1))
        if chw.dtype == np.uint8:
            dt = backend.get_default_dtype().np
            return from_numpy(chw.astype(dt) / dt.type(255))
        return from_numpy(chw)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Normalize:
    """Per-channel standardization of a float image: ``out[c] = (x[c] - mean[c]) / std[c]``.

    Computed in the tensor's dtype with gradlab ops (so it records a graph if the input
    requires grad). ``inplace=True`` overwrites the input.

    Shape:
        (..., C, H, W) -> same; mean and std have C entries (or one, broadcast).
    """

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False):
        self.mean = mean
        self.std = std
        self.inplace = inplace

    def __call__(self, tensor: Tensor) -> Tensor:
        if not isinstance(tensor, Tensor):
            raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
        if not tensor.is_floating_point():
            raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
        if tensor.ndim < 3:
            raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got "
                             f"tensor.size() = {tensor.shape}")
        dt = tensor.array.dtype
        mean = np.asarray(getattr(self.mean, "array", self.mean), dtype=dt).reshape(-1)
        std = np.asarray(getattr(self.std, "array", self.std), dtype=dt).reshape(-1)
        if (std == 0).any():
            raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, "
                             "leading to division by zero.")
        m, s = from_numpy(mean.reshape(-1, 1, 1)), from_numpy(std.reshape(-1, 1, 1))
        if self.inplace:
            return tensor.sub_(m).div_(s)
        return (tensor - m) / s

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


def _pair(size, who: str) -> tuple[int, int]:
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return int(size[0]), int(size[0])
    if isinstance(size, Sequence) and len(size) == 2:
        return int(size[0]), int(size[1])
    raise ValueError(f"{who}: please provide only two dimensions (h, w) for size, got {size!r}")


_PAD_MODES = {"constant": "constant", "edge": "edge", "reflect": "reflect",
              "symmetric": "symmetric"}


def _pad(arr: np.ndarray, padding, fill, mode: str) -> np.ndarray:
    """torchvision's padding spec: int (all sides), (lr, tb) or (left, top, right, bottom)."""
    if isinstance(padding, numbers.Number):
        left = top = right = bottom = int(padding)
    elif len(padding) == 1:
        left = top = right = bottom = int(padding[0])
    elif len(padding) == 2:
        left = right = int(padding[0])
        top = bottom = int(padding[1])
    elif len(padding) == 4:
        left, top, right, bottom = (int(p) for p in padding)
    else:
        raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, not a "
                         f"{len(padding)} element tuple")
    widths = [(0, 0)] * (arr.ndim - 2) + [(top, bottom), (left, right)]
    if mode == "constant":
        return np.pad(arr, widths, mode="constant", constant_values=fill)
    return np.pad(arr, widths, mode=_PAD_MODES[mode])


class RandomCrop:
    """Crop a random ``size`` window, after optional padding (torchvision's RandomCrop).

    Order: pad by ``padding`` (int: all sides; (lr, tb); or (left, top, right, bottom)); then,
    if ``pad_if_needed``, pad a too-narrow image by the shortfall on both left and right (and
    a too-short one top and bottom), as torchvision does; then pick the top-left corner
    ``i ~ U{0..H-h}``, ``j ~ U{0..W-w}`` from ``generator`` or the global stream (no draw
    when the image already has the crop's size). ``padding_mode``: constant (with ``fill``),
    edge, reflect or symmetric.

    Shape:
        (..., H, W) -> (..., h, w); Tensor or NumPy array in, the same kind out. A NumPy
        (H, W, C) image (last axis 1, 3 or 4, first not) is refused: apply ToTensor first.
    """

    def __init__(self, size, padding=None, pad_if_needed: bool = False, fill: float = 0,
                 padding_mode: str = "constant", *, generator: Generator | None = None):
        self.size = _pair(size, "RandomCrop")
        if padding_mode not in _PAD_MODES:
            raise ValueError("Padding mode should be either constant, edge, reflect or "
                             f"symmetric, got {padding_mode!r}")
        if padding is not None and not isinstance(padding, numbers.Number) and \
                len(padding) not in (1, 2, 4):
            raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, not a "
                             f"{len(padding)} element tuple")
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode
        self.generator = generator

    def get_params(self, h: int, w: int) -> tuple[int, int, int, int]:
        """(top, left, height, width) of the window in an (h, w) image."""
        th, tw = self.size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size "
                             f"{(h, w)}")
        if h == th and w == tw:
            return 0, 0, h, w
        rng = backend.rng(self.generator)
        i = int(rng.integers(0, h - th + 1))
        j = int(rng.integers(0, w - tw + 1))
        return i, j, th, tw

    def __call__(self, img):
        arr = _spatial(img, "RandomCrop")
        if arr.ndim < 2:
            raise ValueError(f"RandomCrop: expected an image (..., H, W), got shape {arr.shape}")
        if self.padding is not None:
            arr = _pad(arr, self.padding, self.fill, self.padding_mode)
        th, tw = self.size
        if self.pad_if_needed and arr.shape[-1] < tw:
            arr = _pad(arr, (tw - arr.shape[-1], 0), self.fill, self.padding_mode)
        if self.pad_if_needed and arr.shape[-2] < th:
            arr = _pad(arr, (0, th - arr.shape[-2]), self.fill, self.padding_mode)
        i, j, h, w = self.get_params(arr.shape[-2], arr.shape[-1])
        return _rewrap(img, np.ascontiguousarray(arr[..., i:i + h, j:j + w]))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


class _RandomFlip:
    axis = -1

    def __init__(self, p: float = 0.5, *, generator: Generator | None = None) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{type(self).__name__}: p must be in [0, 1], got {p}")
        self.p = p
        self.generator = generator

    def __call__(self, img):
        arr = _spatial(img, type(self).__name__)
        if backend.rng(self.generator).random() < self.p:
            return _rewrap(img, np.ascontiguousarray(np.flip(arr, axis=self.axis)))
        return img

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class RandomHorizontalFlip(_RandomFlip):
    """Mirror the image left-right with probability ``p`` (one uniform draw per call).

    Shape:
        (..., H, W) -> same.
    """

    axis = -1


class RandomVerticalFlip(_RandomFlip):
    """Flip the image upside down with probability ``p`` (one uniform draw per call).

    Shape:
        (..., H, W) -> same.
    """

    axis = -2


class GaussianNoise:
    """Add Gaussian noise: ``out = x + mean + sigma * n``, ``n ~ N(0, 1)`` per element, then
    clamp to [0, 1] if ``clip`` (torchvision.transforms.v2.GaussianNoise; an augmentation
    and a regularizer, source 004 §3.5).

    Shape:
        any float tensor -> same shape and dtype.
    """

    def __init__(self, mean: float = 0.0, sigma: float = 0.1, clip: bool = True, *,
                 generator: Generator | None = None) -> None:
        if sigma < 0:
            raise ValueError(f"sigma shouldn't be negative. Got {sigma}")
        self.mean = mean
        self.sigma = sigma
        self.clip = clip
        self.generator = generator

    def __call__(self, img):
        arr = _unwrap(img, "GaussianNoise")
        if arr.dtype.kind != "f":
            raise ValueError(f"Input tensor is expected to be in float dtype, got dtype="
                             f"{getattr(img, 'dtype', arr.dtype)}")
        noise = backend.rng(self.generator).standard_normal(arr.shape, dtype=arr.dtype)
        out = arr + (self.mean + noise * arr.dtype.type(self.sigma)).astype(arr.dtype)
        if self.clip:
            np.clip(out, 0, 1, out=out)
        return _rewrap(img, out)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mean={self.mean}, sigma={self.sigma}, clip={self.clip})"


class TransformDataset(Dataset):
    """Apply ``transform`` to each sample's input and ``target_transform`` to its target.

    A sample ``(x, y, ...)`` becomes ``(transform(x), target_transform(y), ...)``; a sample
    that is not a tuple or list is passed whole to ``transform``. Being per-sample, it draws
    fresh random augmentations for each sample (and the DataLoader reads it sample by
    sample).
    """

    def __init__(self, dataset: Dataset, transform: Callable | None = None,
                 target_transform: Callable | None = None) -> None:
        self.dataset = dataset
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index) -> Any:
        sample = self.dataset[index]
        if not isinstance(sample, (tuple, list)):
            return self.transform(sample) if self.transform is not None else sample
        out = list(sample)
        if self.transform is not None and out:
            out[0] = self.transform(out[0])
        if self.target_transform is not None and len(out) > 1:
            out[1] = self.target_transform(out[1])
        return tuple(out)
