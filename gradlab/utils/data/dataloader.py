"""DataLoader: iterate over a dataset in (shuffled) mini-batches (``torch.utils.data.DataLoader``).

Loading runs in the calling process. ``num_workers > 0`` is accepted (so torch code runs
unchanged) and loads in-process all the same: NumPy fancy indexing of whole batches is fast
enough that worker processes would mostly add pickling cost. ``worker_init_fn`` is therefore
never called. ``pin_memory=True`` is accepted and, as in torch without an accelerator, each
epoch's iterator warns (UserWarning) that pinned memory will not be used; so does a
``pin_memory_device``, deprecated in torch.

Fast path: with the default ``collate_fn``, a dataset that defines ``_batch`` (TensorDataset,
a Subset of one, the built-in image datasets without per-sample transforms) hands over each
whole batch from one fancy index per tensor; the sampler's epoch order is drawn as one int64
array and sliced. Other datasets go through ``__getitems__`` or ``__getitem__`` per sample
and :func:`default_collate`, as in torch.

Determinism: with ``shuffle=True`` and no ``generator``, each epoch's permutation is drawn
from gradlab's global random stream when the epoch's iterator is created (``iter(loader)``,
i.e. at the top of a ``for`` loop). ``gradlab.manual_seed(s)`` therefore fixes every epoch's
order, and restoring ``gradlab.set_rng_state(state)`` taken before an epoch repeats that
epoch's order. With ``generator=g`` the permutations come from ``g`` alone, independent of
the global stream (and of model code that draws from it, such as dropout).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from ...backend import Generator
from .collate import default_collate, default_convert
from .dataset import Dataset, IterableDataset
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    _check_batching,
    _iter_chunks,
)

_LOCKED = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
           "persistent_workers")


class DataLoader:
    """Batches of samples from ``dataset``, in order or shuffled.

    Args:
        dataset: a map-style :class:`Dataset` (``len`` and ``[i]``) or an
            :class:`IterableDataset`.
        batch_size: samples per batch; ``None`` turns batching off (each item is
            passed through ``default_convert``).
        shuffle: reshuffle the order every epoch (a :class:`RandomSampler`).
        sampler: the index order (exclusive with ``shuffle``).
        batch_sampler: yields lists of indices (exclusive with ``batch_size``, ``shuffle``,
            ``sampler`` and ``drop_last``).
        num_workers: accepted, but loading always runs in-process (module docstring).
        collate_fn: list of samples -> batch (default :func:`default_collate`).
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        generator: the random stream for shuffling (default: the global stream).

    ``len(loader)`` is the number of batches per epoch.

    Shape:
        a batch holds B = ``batch_size`` samples (fewer in the last one unless ``drop_last``)
        stacked along a new first dim, e.g. ``[x (B, *), y (B,)]`` for a TensorDataset of
        ``x (N, *)`` and ``y (N,)``.
    """

    def __init__(self, dataset: Dataset, batch_size: int | None = 1,
                 shuffle: bool | None = None, sampler: Sampler | Iterable | None = None,
                 batch_sampler: Sampler | Iterable | None = None, num_workers: int = 0,
                 collate_fn: Callable[[list], Any] | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable[[int], None] | None = None,
                 multiprocessing_context=None, generator: Generator | None = None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True) -> None:
        if num_workers < 0:
            raise ValueError("DataLoader: num_workers option should be non-negative; use "
                             f"num_workers=0 to disable multiprocessing. (got "
                             f"num_workers={num_workers})")
        if timeout < 0:
            raise ValueError(f"DataLoader: timeout option should be non-negative, got {timeout}")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("DataLoader: prefetch_factor option could only be specified in "
                             "multiprocessing.let num_workers > 0 to enable multiprocessing, "
                             "otherwise set prefetch_factor to None.")
        if prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError(f"DataLoader: prefetch_factor option should be non-negative, got "
                             f"{prefetch_factor}")
        if persistent_workers and num_workers == 0:
            raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")
        if multiprocessing_context is not None and num_workers == 0:
            raise ValueError("DataLoader: multiprocessing_context can only be used with "
                             "multi-process loading (num_workers > 0), but got "
                             f"num_workers={num_workers}")

        iterable = isinstance(dataset, IterableDataset)
        if iterable:
            if shuffle not in {False, None}:
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        shuffle = bool(shuffle)

        for what, s in (("sampler", sampler), ("batch_sampler", batch_sampler)):
            if s is not None and not isinstance(s, Iterable) and not hasattr(s, "__getitem__"):
                raise TypeError(f"DataLoader: {what} must be an iterable (a Sampler or a "
                                f"sequence of indices), got {type(s).__name__} {s!r}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler option is mutually exclusive with "
                                 f"batch_size, shuffle, sampler, and drop_last (got "
                                 f"batch_size={batch_size!r}, shuffle={shuffle}, "
                                 f"sampler={sampler!r}, drop_last={drop_last!r})")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("DataLoader: batch_size=None option disables auto-batching and is "
                             "mutually exclusive with drop_last")
        elif batch_size is not None:
            _check_batching("DataLoader", batch_size, drop_last)
        if not iterable and sampler is None and batch_sampler is None and \
                not hasattr(dataset, "__len__"):
            raise TypeError(f"DataLoader: the dataset ({type(dataset).__name__}) has no len(); "
                            "a map-style dataset needs __len__ and __getitem__ (or give a "
                            "sampler, or use an IterableDataset)")

        if sampler is None and not iterable:
            sampler = (RandomSampler(dataset, generator=generator) if shuffle
                       else SequentialSampler(dataset))
        if batch_size is not None and batch_sampler is None and not iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        elif iterable and batch_size is not None:
            BatchSampler(range(0), batch_size, drop_last)  # torch's batch_size/drop_last checks

        self._iterable = iterable
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.generator = generator
        self.collate_fn = collate_fn if collate_fn is not None else (
            default_collate if self._auto_collation else default_convert)
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.pin_memory_device = pin_memory_device
        self.in_order = in_order
        self.__initialized = True

    def __setattr__(self, attr: str, val) -> None:
        if self.__dict__.get("_DataLoader__initialized") and attr in _LOCKED:
            raise ValueError(f"{attr} attribute should not be set after "
                             f"{type(self).__name__} is initialized")
        super().__setattr__(attr, val)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None or (self._iterable and
                                                  self.batch_size is not None)

    @property
    def _index_sampler(self):
        return self.batch_sampler if self.batch_sampler is not None else self.sampler

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self._index_sampler)

    def __iter__(self) -> _LoaderIter:
        return _LoaderIter(self)


class _LoaderIter:
    """One epoch over a DataLoader; the random order is drawn when it is created."""

    def __init__(self, loader: DataLoader) -> None:
        if loader.pin_memory and loader.pin_memory_device:
            warnings.warn("pin_memory_device is deprecated, the current accelerator will be used "
                          f"as the device,ignore pin_memory_device='{loader.pin_memory_device}'.",
                          UserWarning, stacklevel=3)
        if loader.pin_memory:  # torch's words where no accelerator is found
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, "
                          "then device pinned memory won't be used.", UserWarning, stacklevel=3)
        self._loader = loader
        self._len = len(loader) if _has_len(loader) else None
        self._it = self._batches(loader)

    def __iter__(self) -> _LoaderIter:
        return self

    def __next__(self):
        return next(self._it)

    def __len__(self) -> int:
        if self._len is None:
            raise TypeError("this DataLoader's dataset has no len()")
        return self._len

    @staticmethod
    def _batches(loader: DataLoader) -> Iterator:
        ds, collate = loader.dataset, loader.collate_fn
        if loader._iterable:
            return _iterable_batches(loader)
        if not loader._auto_collation:
            make = getattr(loader.sampler, "_index_chunks", None)
            order = _iter_chunks(make()) if make is not None else loader.sampler
            return (collate(ds[i]) for i in order)
        fast = getattr(ds, "_batch", None) if collate is default_collate else None
        bs = loader.batch_sampler
        arrays = bs._index_batches() if type(bs) is BatchSampler else None
        if arrays is None:
            arrays = (np.asarray(b, dtype=np.int64) for b in bs) if fast else iter(bs)
            if fast is None:
                return (_fetch(ds, collate, b) for b in arrays)
        return _fast_batches(ds, collate, fast, arrays)


def _has_len(loader: DataLoader) -> bool:
    try:
        len(loader)
    except TypeError:
        return False
    return True


def _fetch(ds, collate, indices):
    if not isinstance(indices, list):
        indices = indices.tolist() if isinstance(indices, np.ndarray) else list(indices)
    getitems = getattr(ds, "__getitems__", None)
    if callable(getitems):
        return collate(getitems(indices))
    return collate([ds[i] for i in indices])


def _fast_batches(ds, collate, fast, arrays: Iterator[np.ndarray]) -> Iterator:
    for idx in arrays:
        out = NotImplemented if fast is None else fast(idx)
        yield _fetch(ds, collate, idx) if out is NotImplemented else out


def _iterable_batches(loader: DataLoader) -> Iterator:
    collate, bs = loader.collate_fn, loader.batch_size
    if bs is None:
        for item in loader.dataset:
            yield collate(item)
        return
    batch = []
    for item in loader.dataset:
        batch.append(item)
        if len(batch) == bs:
            yield collate(batch)
            batch = []
    if batch and not loader.drop_last:
        yield collate(batch)
