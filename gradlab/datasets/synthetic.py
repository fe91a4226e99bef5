"""Synthetic tasks generated on the fly (no download, fully seeded)."""

from __future__ import annotations

import numpy as np

from .. import backend
from ..backend import Generator
from ..tensor import Tensor


def two_spirals(n: int = 1000, noise: float = 0.2, turns: float = 1.5, *,
                generator: Generator | None = None) -> tuple[Tensor, Tensor]:
    """Two interleaved spirals in the plane, a classic problem no linear model can solve.

    Point ``k`` of class ``c`` lies at radius ``r`` and angle ``theta = 2 pi turns r + pi c``
    with ``r`` uniform in (0.05, 1], plus Gaussian noise of std ``noise * 0.1``.

    Returns:
        x: float32 tensor of shape (n, 2); y: int64 tensor of shape (n,) with classes 0 and 1
        (n // 2 of class 0, the rest of class 1), shuffled.
    """
    if n < 2:
        raise ValueError(f"two_spirals: n must be at least 2, got {n}")
    rng = backend.rng(generator)
    y = np.arange(n) % 2
    r = rng.uniform(0.05, 1.0, size=n)
    theta = 2 * np.pi * turns * r + np.pi * y
    x = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)
    x += rng.normal(0.0, noise * 0.1, size=x.shape)
    perm = rng.permutation(n)
    return (Tensor._wrap(x[perm].astype(backend.get_default_dtype().np)),
            Tensor._wrap(y[perm].astype(np.int64)))
