"""Samplers whose epochs are huge draw their indices lazily, in chunks, as torch's do: a
``RandomSampler(ds, replacement=True, num_samples=10**12)`` yields its first indices at once
with the memory of one chunk, and the order stays seeded (same generator seed, same order;
without a generator, the order is fixed when iteration starts)."""

from __future__ import annotations

import itertools
import time
import tracemalloc

import numpy as np
import torch
import torch.utils.data as tud

import gradlab
import gradlab.utils.data as gud
from gradlab.utils.data.sampler import CHUNK

HUGE = 10**12
LIMIT = 10 * 2**20  # 10 MiB; all 10**12 int64 indices would be 8 TB


def first(iterable, k: int) -> list:
    return list(itertools.islice(iterable, k))


def peak_of(fn):
    """fn()'s result, its peak traced memory in bytes and its time in seconds."""
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        out = fn()
        return out, tracemalloc.get_traced_memory()[1], time.perf_counter() - t0
    finally:
        tracemalloc.stop()


def test_huge_sampler_with_replacement_yields_first_indices_in_small_memory():
    s = gud.RandomSampler(range(50), replacement=True, num_samples=HUGE,
                          generator=gradlab.Generator().manual_seed(0))
    got, peak, secs = peak_of(lambda: first(s, 1000))
    assert peak < LIMIT and secs < 5
    assert len(got) == 1000 and min(got) >= 0 and max(got) < 50 and len(set(got)) == 50
    assert len(s) == len(tud.RandomSampler(range(50), replacement=True, num_samples=HUGE))


def test_huge_sampler_through_a_dataloader_in_small_memory():
    ds = gud.TensorDataset(gradlab.arange(20))
    s = gud.RandomSampler(ds, replacement=True, num_samples=HUGE)
    dl = gud.DataLoader(ds, batch_size=10, sampler=s)
    assert len(dl) == HUGE // 10
    batches, peak, _ = peak_of(lambda: first(dl, 100))
    assert peak < LIMIT
    assert all(b[0].shape == (10,) for b in batches)
    dl1 = gud.DataLoader(ds, batch_size=None, sampler=s)
    items, peak, _ = peak_of(lambda: first(dl1, 1000))
    assert peak < LIMIT and all(0 <= int(v[0]) < 20 for v in items)


def test_huge_weighted_sampler_in_small_memory():
    w = gud.WeightedRandomSampler([1.0, 0.0, 3.0], HUGE,
                                  generator=gradlab.Generator().manual_seed(1))
    got, peak, _ = peak_of(lambda: first(w, 2000))
    assert peak < LIMIT and set(got) == {0, 2}
    assert 0.65 < got.count(2) / 2000 < 0.85


def test_without_replacement_is_fresh_permutations_as_torch():
    n = 1000
    for lib, gen in ((gud, gradlab.Generator().manual_seed(2)),
                     (tud, torch.Generator().manual_seed(2))):
        s = lib.RandomSampler(range(n), num_samples=HUGE, generator=gen)
        got, peak, _ = peak_of(lambda s=s: first(s, 3 * n + 7))
        assert peak < LIMIT
        for e in range(3):  # each block of n is one permutation of the dataset
            assert sorted(got[e * n:(e + 1) * n]) == list(range(n))
        assert len(set(got[3 * n:])) == 7
    s = gud.RandomSampler(range(10), num_samples=25, generator=gradlab.Generator().manual_seed(3))
    got = list(s)
    assert len(got) == 25 and sorted(got[:20]) == sorted(list(range(10)) * 2)


def test_chunked_order_is_seeded_and_the_same_on_every_path():
    k = 2 * CHUNK + 123  # three chunks
    for make in (lambda g: gud.RandomSampler(range(7), True, k, generator=g),
                 lambda g: gud.WeightedRandomSampler([1.0, 2.0, 3.0], k, generator=g),
                 lambda g: gud.RandomSampler(range(CHUNK + 1), num_samples=k, generator=g)):
        a = list(make(gradlab.Generator().manual_seed(5)))
        assert len(a) == k
        assert list(make(gradlab.Generator().manual_seed(5))) == a
        assert make(gradlab.Generator().manual_seed(5))._index_array().tolist() == a
        bs = gud.BatchSampler(make(gradlab.Generator().manual_seed(5)), 1000, drop_last=False)
        batches = list(bs._index_batches())
        assert np.concatenate(batches).tolist() == a
        assert [len(b) for b in batches] == [1000] * (k // 1000) + [k % 1000]
        assert [len(b) for b in bs] == [len(b) for b in batches]
        drop = gud.BatchSampler(make(gradlab.Generator().manual_seed(5)), 1000, drop_last=True)
        assert np.concatenate(list(drop._index_batches())).tolist() == a[:k - k % 1000]
        assert a != list(make(gradlab.Generator().manual_seed(6)))


def test_without_generator_the_order_is_fixed_when_iteration_starts():
    s = gud.RandomSampler(range(9), replacement=True, num_samples=HUGE)
    gradlab.manual_seed(4)
    it = iter(s)
    gradlab.randn(5)  # draws after iter() do not change this epoch's order
    a = first(it, 3 * CHUNK)
    gradlab.manual_seed(4)
    assert first(s, 3 * CHUNK) == a
    gradlab.manual_seed(5)
    assert first(s, 3 * CHUNK) != a


def test_one_chunk_epochs_draw_as_before():
    # a shuffled loader's epoch (one permutation) and a short draw with replacement come
    # straight from the stream, so seeded runs keep their orders
    g = gradlab.Generator().manual_seed(7)
    assert list(gud.RandomSampler(range(10), generator=g)) == \
        np.random.Generator(np.random.PCG64(7)).permutation(10).tolist()
    g.manual_seed(7)
    assert list(gud.RandomSampler(range(10), True, 30, generator=g)) == \
        np.random.Generator(np.random.PCG64(7)).integers(0, 10, 30).tolist()
