"""The UCI handwritten digits (8x8), the offline image set gradlab ships (as scikit-learn does)."""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import os
from collections.abc import Callable

import numpy as np

from ..tensor import from_numpy
from ._labelled import LabelledImages

_SIZES = (8, 28, 32)


#: the data file shipped inside gradlab (a byte copy of scikit-learn 1.9.1's
#: ``sklearn/datasets/data/digits.csv.gz``; source and licence in ``data/README.md``)
DATA_FILE = os.path.join(os.path.dirname(__file__), "data", "digits.csv.gz")
#: its SHA-256, checked on every load so a damaged install fails loudly
DATA_SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"


@functools.lru_cache(maxsize=1)
def _load() -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 images (N, 8, 8) uint8 in 0..16 and their labels (N,) int64.

    Read from the file gradlab ships (57 KB: one row per image, 64 pixels then the label), so
    neither scikit-learn nor SciPy is needed; a test checks that it gives exactly what
    ``sklearn.datasets.load_digits`` gives."""
    with open(DATA_FILE, "rb") as f:
        raw = f.read()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != DATA_SHA256:
        raise OSError(f"Digits: the data file {DATA_FILE} is damaged (SHA-256 {digest}, "
                      f"expected {DATA_SHA256}); reinstall gradlab")
    rows = np.loadtxt(io.StringIO(gzip.decompress(raw).decode("ascii")), delimiter=",",
                      dtype=np.float64)
    return rows[:, :64].reshape(-1, 8, 8).astype(np.uint8), rows[:, 64].astype(np.int64)


def _split(targets: np.ndarray, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Stratified split: per class, a seeded permutation; the first round(frac * n_c) go to
    the test set. Both index sets come back sorted (the original order)."""
    rng = np.random.Generator(np.random.PCG64(seed))
    test = []
    for c in range(int(targets.max()) + 1):
        idx = np.flatnonzero(targets == c)
        test.append(idx[rng.permutation(len(idx))[:round(test_fraction * len(idx))]])
    test = np.sort(np.concatenate(test))
    train = np.setdiff1d(np.arange(len(targets)), test)
    return train, test


def _resize(images: np.ndarray, size: int) -> np.ndarray:
    """(N, 8, 8) -> (N, size, size): each pixel becomes a 3x3 block (24x24), then a zero border
    of 2 (28x28, the MNIST frame) or 4 (32x32, the classic LeNet-5 input) pixels."""
    if size == 8:
        return images
    up = images.repeat(3, axis=1).repeat(3, axis=2)
    b = (size - 24) // 2
    return np.pad(up, ((0, 0), (b, b), (b, b)))


class Digits(LabelledImages):
    """The UCI ML handwritten digits: 1,797 grey 8x8 images of the digits 0-9 (about 180 each),
    shipped inside gradlab (the file scikit-learn's ``load_digits`` reads; no download, no
    scikit-learn needed).

    The split is fixed and stratified: per class, a permutation seeded with 0 puts
    round(20% of the class) into the test set, giving **1,438 training and 359 test images**
    (each class 80/20 to within one image). It does not depend on ``gradlab.manual_seed``.

    Pixels, 0..16 in the source, are scaled to [0, 1] by dividing by 16. ``size=28`` or
    ``size=32`` enlarges each image for LeNet-5-style nets: nearest-neighbour upsampling by 3
    (each pixel a 3x3 block, 24x24) and a zero border of 2 or 4 pixels (the digit sits
    centred, as in MNIST's 28x28 frame or LeNet-5's 32x32 input).

    Args:
        root: unused (the data ships with gradlab); kept for torchvision's signature.
        train: the training split (True) or the test split (False).
        transform: applied to each image tensor (1, size, size).
        target_transform: applied to each int label.
        download: accepted for torchvision's signature; nothing to fetch (the data ships).
        size: 8 (original), 28 or 32.

    Attributes:
        data: float32 Tensor (N, 1, size, size) in [0, 1]; targets: int64 Tensor (N,).

    Shape:
        a sample is ``(image, label)``: image float32 (1, size, size), label a Python int
        0..9; a DataLoader batch is ``[images (B, 1, size, size), labels int64 (B,)]``.

    Reference: Alpaydin & Kaynak, UCI "Optical Recognition of Handwritten Digits" (1998).
    """

    classes = [str(i) for i in range(10)]
    test_fraction = 0.2
    split_seed = 0

    def __init__(self, root: str | None = None, train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False, size: int = 8) -> None:
        if size not in _SIZES:
            raise ValueError(f"Digits: size must be one of {_SIZES}, got {size!r}")
        self.root = root
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        self.size = size
        images, targets = _load()
        tr, te = _split(targets, self.test_fraction, self.split_seed)
        idx = tr if train else te
        pixels = _resize(images[idx], size).astype(np.float32) / np.float32(16.0)
        self.data = from_numpy(np.ascontiguousarray(pixels[:, None]))
        self.targets = from_numpy(targets[idx].copy())

    _sample = staticmethod(from_numpy)

    def __repr__(self) -> str:
        return (f"Dataset Digits\n    Number of datapoints: {len(self)}\n"
                f"    Split: {'Train' if self.train else 'Test'}\n"
                f"    Size: {self.size}x{self.size}")
