"""Datasets: the map-style and iterable protocols, TensorDataset, Subset, ConcatDataset and
random_split (``torch.utils.data.dataset``).

A map-style dataset answers ``len(ds)`` and ``ds[i]``. A dataset may also define
``_batch(indices)``, gradlab's fast path: given a 1-D int64 array of indices it returns the
batch exactly as ``default_collate([ds[i] for i in indices])`` would (or ``NotImplemented``
when it cannot, e.g. with a per-sample transform), in one fancy-index per tensor instead of a
Python loop over samples. :class:`~gradlab.utils.data.DataLoader` uses it when its
``collate_fn`` is the default one.
"""

from __future__ import annotations

import bisect
import itertools
import math
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from ... import backend
from ...backend import Generator
from ...tensor import Tensor, from_numpy


class Dataset:
    """A map-style dataset: subclasses define ``__getitem__(index)`` and usually ``__len__``.

    ``a + b`` is ``ConcatDataset([a, b])``.
    """

    def __getitem__(self, index) -> Any:
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A dataset that is a stream: subclasses define ``__iter__`` (and optionally ``__len__``).

    The DataLoader batches the stream in order; samplers and shuffling do not apply.
    """

    def __iter__(self) -> Iterator:
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __add__(self, other):
        return ChainDataset([self, other])


class ChainDataset(IterableDataset):
    """Several iterable datasets read one after the other."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = datasets

    def __iter__(self) -> Iterator:
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield from d

    def __len__(self) -> int:
        return sum(len(d) for d in self.datasets)


def _take(t: Tensor, idx) -> Tensor:
    """Rows ``idx`` of ``t``: a plain NumPy fancy index, or the graph-recording index op when
    ``t`` requires grad (so a batch of parameters still backpropagates, as with torch)."""
    if t.requires_grad:
        return t[idx]
    return from_numpy(t.array[idx])


class TensorDataset(Dataset):
    """Samples are rows of tensors that share their first dimension.

    ``ds[i]`` is ``tuple(t[i] for t in tensors)``. Batches from a DataLoader come from one
    fancy index per tensor (see the module docstring), with the same values and dtypes as
    stacking the samples.

    Shape:
        each tensor (N, *); a sample: a tuple of tensors of shape (*); a batch: a list of
        tensors of shape (B, *).
    """

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor")
        for i, t in enumerate(tensors):
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset: argument {i} is a {type(t).__name__}, "
                                "expected a gradlab Tensor")
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: argument {i} is a 0-d tensor; samples are "
                                 "rows along the first dimension")
        if any(tensors[0].shape[0] != t.shape[0] for t in tensors):
            raise AssertionError("TensorDataset: Size mismatch between tensors: first dimensions "
                                 f"{[t.shape[0] for t in tensors]}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def _batch(self, indices: np.ndarray):
        if type(self).__getitem__ is not TensorDataset.__getitem__:
            return NotImplemented  # a subclass changed what a sample is
        return [_take(t, indices) for t in self.tensors]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices
        self._cache: tuple[Any, np.ndarray] | None = None

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        n = len(self.indices)
        if isinstance(idx, (int, np.integer)) and not -n <= idx < n:
            raise IndexError(f"Subset: index {idx} is out of range for a subset of {n} samples "
                             "(list index out of range)")
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: list[int]) -> list:
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self) -> int:
        return len(self.indices)

    def _index_array(self) -> np.ndarray:
        if self._cache is None or self._cache[0] is not self.indices:
            self._cache = (self.indices, np.asarray(self.indices, dtype=np.int64))
        return self._cache[1]

    def _batch(self, indices: np.ndarray):
        inner = getattr(self.dataset, "_batch", None)
        if inner is None or type(self).__getitem__ is not Subset.__getitem__:
            return NotImplemented
        return inner(self._index_array()[indices])


class ConcatDataset(Dataset):
    """Several map-style datasets one after the other; ``cumulative_sizes[k]`` is the total
    length of the first k+1."""

    @staticmethod
    def cumsum(sequence) -> list[int]:
        return list(itertools.accumulate(len(e) for e in sequence))

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("ConcatDataset: datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise AssertionError(f"ConcatDataset does not support IterableDataset (got "
                                     f"{type(d).__name__})")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError(f"ConcatDataset: absolute value of index should not exceed "
                                 f"dataset length, got index {idx} for length {len(self)}")
            idx = len(self) + idx
        elif idx >= len(self):
            raise IndexError(f"ConcatDataset: index {idx} is out of range for length "
                             f"{len(self)} (list index out of range)")
        d = bisect.bisect_right(self.cumulative_sizes, idx)
        return self.datasets[d][idx if d == 0 else idx - self.cumulative_sizes[d - 1]]


def random_split(dataset: Dataset, lengths: Sequence[int | float],
                 generator: Generator | None = None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random :class:`Subset`\\ s of the given lengths.

    ``lengths`` are sizes summing to ``len(dataset)``, or fractions summing to 1: each split
    then gets ``floor(frac * len(dataset))`` and the remainder is dealt out one by one,
    round-robin from the first split (torch's rule, so the sizes match torch's). The order
    is one permutation drawn from ``generator`` (default: gradlab's global stream, so
    ``manual_seed`` makes the split repeat).
    """
    n = len(dataset)
    lengths = list(lengths)
    if lengths and math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        sizes = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"random_split: Fraction at index {i} is not between 0 and 1, "
                                 f"got {frac}")
            sizes.append(math.floor(n * frac))
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        for i, size in enumerate(sizes):
            if size == 0:
                warnings.warn(f"Length of split at index {i} is 0. "
                              "This might result in an empty dataset.", stacklevel=2)
        lengths = sizes
    for i, size in enumerate(lengths):
        if not isinstance(size, (int, np.integer)) or isinstance(size, bool) or size < 0:
            raise ValueError(f"random_split: lengths must be non-negative ints or fractions "
                             f"summing to 1, got {lengths[i]!r} at index {i}")
    if sum(lengths) != n:
        raise ValueError("random_split: Sum of input lengths does not equal the length of the "
                         "input dataset! "
                         f"(lengths {lengths} sum to {sum(lengths)}, the dataset has {n})")
    perm = backend.rng(generator).permutation(n).tolist()
    return [Subset(dataset, perm[end - size:end])
            for end, size in zip(itertools.accumulate(lengths), lengths)]
