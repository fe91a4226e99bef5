"""Synthetic tasks generated on the fly (no download, fully seeded)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import backend
from ..backend import Generator
from ..tensor import Tensor, from_numpy


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
    rng = backend.rng(generator, "two_spirals")
    y = np.arange(n) % 2
    r = rng.uniform(0.05, 1.0, size=n)
    theta = 2 * np.pi * turns * r + np.pi * y
    x = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)
    x += rng.normal(0.0, noise * 0.1, size=x.shape)
    perm = rng.permutation(n)
    return (from_numpy(x[perm].astype(backend.get_default_dtype().np)),
            from_numpy(y[perm].astype(np.int64)))


def _float(a: np.ndarray) -> Tensor:
    return from_numpy(np.ascontiguousarray(a, dtype=backend.get_default_dtype().np))


def _long(a: np.ndarray) -> Tensor:
    return from_numpy(np.ascontiguousarray(a, dtype=np.int64))


def _check_n(fn: str, n: int, least: int = 1) -> None:
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < least:
        raise ValueError(f"{fn}: n must be an int >= {least}, got {n!r}")


def moons(n: int = 1000, noise: float = 0.1, *,
          generator: Generator | None = None) -> tuple[Tensor, Tensor]:
    """Two interleaving half circles (scikit-learn's ``make_moons`` layout).

    Class 0: ``(cos t, sin t)``; class 1: ``(1 - cos t, 0.5 - sin t)``; ``t`` uniform in
    [0, pi], plus Gaussian noise of std ``noise`` on both coordinates.

    Returns:
        x: float32 (n, 2); y: int64 (n,), n // 2 of class 0 and the rest class 1, shuffled.
    """
    _check_n("moons", n, 2)
    rng = backend.rng(generator, "moons")
    y = np.arange(n) % 2
    t = rng.uniform(0.0, np.pi, size=n)
    x = np.where(y[:, None] == 0, np.stack([np.cos(t), np.sin(t)], 1),
                 np.stack([1 - np.cos(t), 0.5 - np.sin(t)], 1))
    x = x + rng.normal(0.0, noise, size=x.shape)
    perm = rng.permutation(n)
    return _float(x[perm]), _long(y[perm])


def xor(n: int = 200, noise: float = 0.1, *,
        generator: Generator | None = None) -> tuple[Tensor, Tensor]:
    """The XOR problem: points around the corners of the unit square, labelled ``a XOR b``.

    Point k sits at corner ``(a, b) = ((k // 2) % 2, k % 2)`` plus Gaussian noise of std
    ``noise``; its label is ``a ^ b``. Corners are used in turn (n = 4, noise = 0 is the
    truth table). Not linearly separable: the smallest problem that needs a hidden layer.

    Returns:
        x: float32 (n, 2); y: int64 (n,) in {0, 1}, shuffled.
    """
    _check_n("xor", n)
    rng = backend.rng(generator, "xor")
    k = np.arange(n)
    corners = np.stack([(k // 2) % 2, k % 2], axis=1)
    x = corners + rng.normal(0.0, noise, size=corners.shape)
    perm = rng.permutation(n)
    return _float(x[perm]), _long((corners[:, 0] ^ corners[:, 1])[perm])


def blobs(n: int = 300, centers: int | Sequence[Sequence[float]] = 3, n_features: int = 2,
          cluster_std: float = 1.0, center_box: tuple[float, float] = (-10.0, 10.0), *,
          generator: Generator | None = None) -> tuple[Tensor, Tensor]:
    """Isotropic Gaussian blobs (scikit-learn's ``make_blobs``).

    ``centers`` is a number of clusters (centres drawn uniformly in ``center_box`` per
    coordinate) or their coordinates (k, n_features). Sample i belongs to cluster i mod k
    and is ``centre + N(0, cluster_std^2 I)``.

    Returns:
        x: float32 (n, n_features); y: int64 (n,) in 0..k-1, shuffled.
    """
    _check_n("blobs", n)
    rng = backend.rng(generator, "blobs")
    if isinstance(centers, (int, np.integer)):
        if centers < 1:
            raise ValueError(f"blobs: centers must be >= 1, got {centers}")
        c = rng.uniform(center_box[0], center_box[1], size=(int(centers), n_features))
    else:
        c = np.asarray(centers, dtype=np.float64)
        if c.ndim != 2:
            raise ValueError(f"blobs: centers must be an int or a (k, n_features) array, got "
                             f"shape {c.shape}")
    y = np.arange(n) % len(c)
    x = c[y] + rng.normal(0.0, cluster_std, size=(n, c.shape[1]))
    perm = rng.permutation(n)
    return _float(x[perm]), _long(y[perm])


def noisy_sine(n: int = 200, noise: float = 0.1, x_range: tuple[float, float] = (-np.pi, np.pi),
               *, generator: Generator | None = None) -> tuple[Tensor, Tensor]:
    """A 1-D regression task: ``y = sin(x) + noise * N(0, 1)``, ``x`` uniform in ``x_range``.

    Returns:
        x: float32 (n, 1); y: float32 (n, 1).
    """
    _check_n("noisy_sine", n)
    rng = backend.rng(generator, "noisy_sine")
    x = rng.uniform(x_range[0], x_range[1], size=(n, 1))
    return _float(x), _float(np.sin(x) + rng.normal(0.0, noise, size=x.shape))


def adding_problem(n: int = 1000, seq_len: int = 50, *,
                   generator: Generator | None = None) -> tuple[Tensor, Tensor]:
    """The adding problem (Hochreiter & Schmidhuber 1997, LSTM paper, experiment 4; in the
    form of Le, Jaitly & Hinton 2015): remember two marked numbers across a long sequence.

    Each step carries a pair (value, marker): values uniform in [0, 1]; the marker is 1 at
    exactly two steps, one in the first half and one in the second half of the sequence,
    and 0 elsewhere. The target is the sum of the two marked values. Predicting 1 always
    gives a mean squared error of about 1/6, the baseline a model must beat.

    Returns:
        x: float32 (n, seq_len, 2), batch first (``x[..., 0]`` values, ``x[..., 1]``
        markers); y: float32 (n, 1).
    """
    _check_n("adding_problem", n)
    if seq_len < 2:
        raise ValueError(f"adding_problem: seq_len must be at least 2, got {seq_len}")
    rng = backend.rng(generator, "adding_problem")
    values = rng.uniform(0.0, 1.0, size=(n, seq_len))
    half = seq_len // 2
    first = rng.integers(0, half, size=n)
    second = rng.integers(half, seq_len, size=n)
    markers = np.zeros((n, seq_len))
    rows = np.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    y = values[rows, first] + values[rows, second]
    return _float(np.stack([values, markers], axis=-1)), _float(y[:, None])


def copy_task(n: int = 1000, seq_len: int = 10, delay: int = 20, n_symbols: int = 8, *,
              generator: Generator | None = None) -> tuple[Tensor, Tensor]:
    """The copy (memory) task (Hochreiter & Schmidhuber 1997; the form of Arjovsky, Shah &
    Bengio 2016): read ``seq_len`` symbols, wait, and reproduce them after a delimiter.

    Tokens: 0 is the blank, 1..n_symbols the symbols, ``n_symbols + 1`` the delimiter.
    Input, length ``L = 2 * seq_len + delay + 1``: the symbols, ``delay`` blanks, the
    delimiter, ``seq_len`` blanks. Target: blanks for the first ``seq_len + delay + 1``
    steps, then the symbols in the same order. Guessing blanks then random symbols gives a
    cross-entropy of ``seq_len * log(n_symbols) / L``, the memoryless baseline.

    Returns:
        x: int64 (n, L) tokens; y: int64 (n, L) tokens (use an Embedding or one-hot of
        ``n_symbols + 2`` classes; the per-step targets fit CrossEntropyLoss).
    """
    _check_n("copy_task", n)
    if seq_len < 1 or delay < 0 or n_symbols < 1:
        raise ValueError(f"copy_task: need seq_len >= 1, delay >= 0, n_symbols >= 1, got "
                         f"seq_len={seq_len}, delay={delay}, n_symbols={n_symbols}")
    rng = backend.rng(generator, "copy_task")
    symbols = rng.integers(1, n_symbols + 1, size=(n, seq_len))
    length = 2 * seq_len + delay + 1
    x = np.zeros((n, length), dtype=np.int64)
    y = np.zeros((n, length), dtype=np.int64)
    x[:, :seq_len] = symbols
    x[:, seq_len + delay] = n_symbols + 1
    y[:, -seq_len:] = symbols
    return _long(x), _long(y)
