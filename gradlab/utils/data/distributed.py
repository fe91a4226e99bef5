"""``DistributedSampler``: each rank's shard of a dataset, as
``torch.utils.data.distributed.DistributedSampler``."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sized

from ...backend import Generator
from .sampler import Sampler

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler):
    """The indices of rank ``rank``'s shard of ``dataset`` among ``num_replicas`` ranks.

    The order (all ranks alike) is ``0 .. len(dataset) - 1``, or with ``shuffle=True`` a
    permutation drawn from a generator seeded with ``seed + epoch`` (call :meth:`set_epoch` at
    the start of each epoch to reshuffle). Without ``drop_last`` the order is padded by
    repeating it from the start up to a multiple of ``num_replicas``; with it the tail is cut
    off. Rank ``r`` takes every ``num_replicas``-th index from position ``r``: each shard has
    ``len(self)`` indices and the shards together are the (padded or cut) order.

    This is torch's structure exactly (with ``shuffle=False`` the shards are torch's). The
    permutation itself is gradlab's ``randperm``, which draws differently from torch's, so
    with ``shuffle=True`` the indices differ from torch's while the shards still partition one
    permutation and change with the epoch.

    Args:
        dataset: anything with ``len``.
        num_replicas: the number of ranks (default: ``gradlab.distributed``'s world size).
        rank: this rank (default: ``gradlab.distributed.get_rank()``).
        shuffle, seed, drop_last: as above.
    """

    def __init__(self, dataset: Sized, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            from ... import distributed as dist

            if not dist.is_available():
                raise RuntimeError("Requires distributed package to be available")
            if num_replicas is None:
                num_replicas = dist.get_world_size()
            if rank is None:
                rank = dist.get_rank()
        if not isinstance(num_replicas, int) or num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas should be a positive integer, "
                             f"got {num_replicas!r}")
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def _order(self) -> list:
        n = len(self.dataset)
        if self.shuffle:
            from ... import creation

            g = Generator().manual_seed(self.seed + self.epoch)
            return creation.randperm(n, generator=g).tolist()
        return list(range(n))

    def __iter__(self) -> Iterator[int]:
        indices = self._order()
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """The epoch for the next iteration's permutation (seed + epoch)."""
        self.epoch = epoch
