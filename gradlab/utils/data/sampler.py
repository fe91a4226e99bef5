"""Samplers: which dataset indices a DataLoader reads, in which order
(``torch.utils.data.sampler``).

Randomness. A sampler given ``generator=`` draws from it; without one it draws from gradlab's
global stream (``gradlab.manual_seed``), once per epoch, when iteration starts. So
``manual_seed(s)`` before building the loader, or ``set_rng_state(state)`` before an epoch,
repeats the order. (torch's RandomSampler without a generator draws one seed from the default
generator per epoch; gradlab draws the permutation itself from the global stream. Either way
the global stream decides the order; the numbers differ from torch's.)

Laziness. ``RandomSampler(ds, replacement=True, num_samples=10**12)`` is a valid sampler (an
endless-looking stream of draws, as torch's): its indices are drawn in chunks of
:data:`CHUNK` while iterating, never all at once, so memory stays that of one chunk. Without
replacement the epoch is fresh permutations of the dataset, drawn one at a time when reached (as
torch's). An epoch that fits in one chunk (a shuffled DataLoader's is one permutation) is drawn
when iteration starts, from the generator or the global stream; one that needs more chunks and
has no ``generator=`` draws one seed from the global stream when iteration starts and its chunks
from a private stream started from it (torch draws one seed per epoch likewise), so the order is
fixed when iteration starts whatever else draws from the global stream meanwhile.

The samplers also offer ``_index_chunks()``: the epoch's indices as int64 arrays (the same
random calls as ``__iter__``), which the DataLoader slices into batches instead of building
Python lists, and ``_index_array()``: all of them as one array.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized

import numpy as np

from ... import backend
from ...backend import Generator

#: indices drawn per random call by samplers whose epochs may be huge (2**16 int64: 512 KiB)
CHUNK = 1 << 16


def _epoch_rng(generator: Generator | None, chunks: int) -> np.random.Generator:
    """The stream an epoch of ``chunks`` chunks draws from: the generator's, or the global
    stream for a one-chunk epoch, or a private stream seeded by one draw from the global one."""
    rng = backend.rng(generator)
    if generator is not None or chunks <= 1:
        return rng
    return np.random.Generator(np.random.PCG64(int(rng.integers(0, 2**63))))


def _chunked(k: int, draw: Callable[[np.random.Generator, int], np.ndarray],
             generator: Generator | None) -> Iterator[np.ndarray]:
    """``k`` indices as chunks of :data:`CHUNK`, ``draw(rng, size)`` making each one; the
    stream is chosen when iteration starts (see the module docstring)."""
    rng = _epoch_rng(generator, -(-k // CHUNK))
    for start in range(0, k, CHUNK):
        yield draw(rng, min(CHUNK, k - start))


def _started(chunks: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    """``chunks`` with its first chunk drawn now: the epoch's stream is chosen, and its first
    draw made, when iteration starts, not when the first index is read."""
    first = next(chunks, None)
    return iter(()) if first is None else itertools.chain((first,), chunks)


def _iter_chunks(chunks: Iterator[np.ndarray]) -> Iterator[int]:
    """The indices of ``chunks`` one by one, as Python ints."""
    return itertools.chain.from_iterable(c.tolist() for c in chunks)


def _check_batching(owner: str, batch_size, drop_last) -> None:
    """torch's ValueErrors for a batch size that is not a positive int and a drop_last that is
    not a bool (a BatchSampler's and a DataLoader's arguments)."""
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
        raise ValueError(f"{owner}: batch_size should be a positive integer value, but got "
                         f"batch_size={batch_size!r}")
    if not isinstance(drop_last, bool):
        raise ValueError(f"{owner}: drop_last should be a boolean value, but got "
                         f"drop_last={drop_last!r}")


class Sampler:
    """Base class: subclasses define ``__iter__`` over indices (and usually ``__len__``)."""

    def __init__(self, data_source: Sized | None = None) -> None:
        pass

    def __iter__(self) -> Iterator:
        raise NotImplementedError


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)

    def _index_array(self) -> np.ndarray:
        return np.arange(len(self.data_source), dtype=np.int64)


class RandomSampler(Sampler):
    """A random order of the dataset's indices.

    Without replacement: ``num_samples`` (default ``len(data_source)``) indices from
    concatenated fresh permutations. With ``replacement=True``: ``num_samples`` indices drawn
    uniformly and independently. Random numbers come from ``generator`` or the global stream
    (see the module docstring).
    """

    def __init__(self, data_source: Sized, replacement: bool = False,
                 num_samples: int | None = None, generator: Generator | None = None) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError("RandomSampler: replacement should be a boolean value, but got "
                            f"replacement={self.replacement}")
        if (not isinstance(self.num_samples, int) or isinstance(self.num_samples, bool)
                or self.num_samples <= 0):
            raise ValueError("RandomSampler: num_samples should be a positive integer value, "
                             "but got "
                             f"num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _index_chunks(self) -> Iterator[np.ndarray]:
        """The epoch as int64 arrays: chunks of uniform draws, or whole permutations (the
        last one cut to ``num_samples``), the first drawn now, each other when reached."""
        return _started(self._draw_chunks())

    def _draw_chunks(self) -> Iterator[np.ndarray]:
        n, k = len(self.data_source), self.num_samples
        if self.replacement:
            yield from _chunked(k, lambda rng, size: rng.integers(0, n, size=size,
                                                                  dtype=np.int64),
                                self.generator)
            return
        rng = _epoch_rng(self.generator, -(-k // n))
        for start in range(0, k, n):
            perm = rng.permutation(n)
            yield perm if k - start >= n else perm[:k - start]

    def _index_array(self) -> np.ndarray:
        return np.concatenate(list(self._index_chunks()))

    def __iter__(self) -> Iterator[int]:
        return _iter_chunks(self._index_chunks())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order (a fresh permutation each epoch)."""

    def __init__(self, indices: Sequence[int], generator: Generator | None = None) -> None:
        if not hasattr(indices, "__len__") or not hasattr(indices, "__getitem__"):
            raise TypeError(f"SubsetRandomSampler: indices must be a sequence of ints, got "
                            f"{type(indices).__name__} {indices!r}")
        self.indices = indices
        self.generator = generator

    def _index_array(self) -> np.ndarray:
        perm = backend.rng(self.generator).permutation(len(self.indices))
        return np.asarray(self.indices, dtype=np.int64).reshape(-1)[perm]

    def __iter__(self) -> Iterator[int]:
        for i in backend.rng(self.generator).permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probabilities proportional to ``weights``."""

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator: Generator | None = None) -> None:
        if (not isinstance(num_samples, int) or isinstance(num_samples, bool)
                or num_samples <= 0):
            raise ValueError("WeightedRandomSampler: num_samples should be a positive integer "
                             f"value, but got num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError("WeightedRandomSampler: replacement should be a boolean value, but "
                             "got "
                             f"replacement={replacement}")
        w = np.asarray(getattr(weights, "data", weights), dtype=np.float64)
        if w.ndim != 1:
            raise ValueError("WeightedRandomSampler: weights should be a 1d sequence but given "
                             f"weights have shape {tuple(w.shape)}")
        bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
        if bad.size:
            i = int(bad[0])
            raise RuntimeError(f"WeightedRandomSampler: weights must be finite and non-negative "
                               f"(invalid multinomial distribution), got weight {w[i]} at index "
                               f"{i}")
        if w.sum() <= 0:
            raise RuntimeError(f"WeightedRandomSampler: weights sum to {w.sum()}, expected a "
                               "positive sum (invalid multinomial distribution)")
        if not replacement and num_samples > np.count_nonzero(w):
            raise RuntimeError(f"WeightedRandomSampler: cannot draw {num_samples} samples "
                               f"without replacement from {np.count_nonzero(w)} non-zero weights")
        self.weights = w
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def _index_chunks(self) -> Iterator[np.ndarray]:
        """The draws as int64 arrays: chunks of :data:`CHUNK` with replacement (the first drawn
        now, each other when reached), one array without (at most the number of weights)."""
        return _started(self._draw_chunks())

    def _draw_chunks(self) -> Iterator[np.ndarray]:
        p = self.weights / self.weights.sum()
        if not self.replacement:
            yield backend.rng(self.generator).choice(
                len(p), size=self.num_samples, replace=False, p=p).astype(np.int64)
            return
        yield from _chunked(self.num_samples, lambda rng, size: rng.choice(
            len(p), size=size, p=p).astype(np.int64), self.generator)

    def _index_array(self) -> np.ndarray:
        return np.concatenate(list(self._index_chunks()))

    def __iter__(self) -> Iterator[int]:
        return _iter_chunks(self._index_chunks())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size`` (the last one shorter
    unless ``drop_last``)."""

    def __init__(self, sampler: Sampler | Iterable[int], batch_size: int,
                 drop_last: bool) -> None:
        _check_batching("BatchSampler", batch_size, drop_last)
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        it = iter(self.sampler)
        while True:
            batch = []
            for i in it:
                batch.append(i)
                if len(batch) == self.batch_size:
                    break
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield batch

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size

    def _index_batches(self) -> Iterator[np.ndarray] | None:
        """The batches as int64 arrays cut from the sampler's epoch chunks (or its one epoch
        array), or None when the sampler has neither ``_index_chunks`` nor ``_index_array``."""
        chunks = getattr(self.sampler, "_index_chunks", None)
        if chunks is not None:
            return _rebatch(chunks(), self.batch_size, self.drop_last)
        make = getattr(self.sampler, "_index_array", None)
        if make is None:
            return None
        idx = make()
        bs = self.batch_size
        stop = len(idx) - len(idx) % bs if self.drop_last else len(idx)
        return (idx[s:s + bs] for s in range(0, stop, bs))


def _rebatch(chunks: Iterator[np.ndarray], bs: int, drop_last: bool) -> Iterator[np.ndarray]:
    """Batches of ``bs`` indices cut from a stream of index arrays of any lengths (the last
    batch shorter, or dropped with ``drop_last``); slices where a batch lies in one chunk."""
    rest = np.empty(0, dtype=np.int64)
    for c in chunks:
        if len(rest):
            c = np.concatenate((rest, c))
        stop = len(c) - len(c) % bs
        for s in range(0, stop, bs):
            yield c[s:s + bs]
        rest = c[stop:]
    if len(rest) and not drop_last:
        yield rest
