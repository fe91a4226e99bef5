"""gradlab.utils.data against torch.utils.data: batches, lengths, samplers, collation dtypes,
determinism, random_split and the DataLoader's argument errors."""

from __future__ import annotations

import collections
import warnings

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import gradlab
import gradlab.utils.data as gud

Point = collections.namedtuple("Point", ["x", "y"])


def same(g, t) -> None:
    """Assert a gradlab structure equals a torch one: types, dtypes, shapes and values."""
    if isinstance(t, torch.Tensor):
        assert isinstance(g, gradlab.Tensor), type(g)
        assert g.dtype.name == str(t.dtype).removeprefix("torch."), (g.dtype, t.dtype)
        assert tuple(g.shape) == tuple(t.shape)
        np.testing.assert_array_equal(g.numpy(), t.numpy())
    elif isinstance(t, dict):
        assert type(g) is type(t) and list(g) == list(t)
        for k in t:
            same(g[k], t[k])
    elif isinstance(t, (list, tuple)):
        assert type(g) is type(t), (type(g), type(t))
        assert len(g) == len(t)
        for a, b in zip(g, t):
            same(a, b)
    else:
        assert type(g) is type(t) and g == t


def to_torch(x):
    """The same sample with gradlab Tensors replaced by torch tensors."""
    if isinstance(x, gradlab.Tensor):
        return torch.from_numpy(x.numpy().copy())
    if isinstance(x, dict):
        return type(x)({k: to_torch(v) for k, v in x.items()})
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*(to_torch(v) for v in x))
    if isinstance(x, (list, tuple)):
        return type(x)(to_torch(v) for v in x)
    return x


def xy(n=10, f=3, dtype=np.float32):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, f)).astype(dtype)
    y = np.arange(n, dtype=np.int64)
    return x, y


class ListDataset(gud.Dataset):
    """A plain map-style dataset over a list (no fast path)."""

    def __init__(self, items):
        self.items = items

    def __getitem__(self, i):
        return self.items[i]

    def __len__(self):
        return len(self.items)


class TorchListDataset(tud.Dataset):
    def __init__(self, items):
        self.items = items

    def __getitem__(self, i):
        return self.items[i]

    def __len__(self):
        return len(self.items)


# ----------------------------------------------------------------------------- collation

COLLATE_ROWS = {
    "python floats -> float64": [1.5, 2.0, -3.25],
    "python ints -> int64": [1, 2, 3],
    "python bools -> bool": [True, False],
    "mixed int/float": [1, 2.5],
    "strings pass through": ["a", "bc"],
    "bytes pass through": [b"a", b"b"],
    "numpy float32 arrays": [np.ones((2, 3), np.float32), np.zeros((2, 3), np.float32)],
    "numpy float64 arrays": [np.arange(3.0), np.arange(3.0) * 2],
    "numpy uint8 arrays": [np.arange(4, dtype=np.uint8), np.arange(4, dtype=np.uint8)],
    "numpy int32 arrays": [np.arange(4, dtype=np.int32), np.arange(4, dtype=np.int32)],
    "numpy 0-d arrays": [np.array(1.5, np.float32), np.array(2.5, np.float32)],
    "numpy float32 scalars": [np.float32(1.5), np.float32(2.0)],
    "numpy float64 scalars": [np.float64(1.5), np.float64(2.0)],
    "numpy int32 scalars": [np.int32(1), np.int32(2)],
    "numpy bool scalars": [np.bool_(True), np.bool_(False)],
    "tuples -> list": [(1, 2.0), (3, 4.0)],
    "lists": [[1, 2], [3, 4]],
    "dicts": [{"a": 1, "b": np.float32(2.0), "c": "s"}, {"a": 3, "b": np.float32(4.0), "c": "t"}],
    "ordered dict": [collections.OrderedDict(a=1.0), collections.OrderedDict(a=2.0)],
    "namedtuple": [Point(1, 2.0), Point(3, 4.0)],
    "nested": [{"x": (np.ones(2, np.float32), [1, 2])}, {"x": (np.zeros(2, np.float32), [3, 4])}],
    "tensors float32": [gradlab.tensor([1.0, 2.0]), gradlab.tensor([3.0, 4.0])],
    "tensors float64": [gradlab.tensor([1.0], dtype=gradlab.float64),
                        gradlab.tensor([2.0], dtype=gradlab.float64)],
    "0-d tensors int64": [gradlab.tensor(1), gradlab.tensor(2)],
    "tensor + int tuples": [(gradlab.tensor([1.0, 2.0]), 0), (gradlab.tensor([3.0, 4.0]), 1)],
}


@pytest.mark.parametrize("name", list(COLLATE_ROWS))
def test_default_collate_matches_torch(name):
    batch = COLLATE_ROWS[name]
    same(gud.default_collate(batch), tud.default_collate([to_torch(b) for b in batch]))


@pytest.mark.parametrize("name", ["numpy float32 arrays", "numpy float32 scalars", "dicts",
                                  "tuples -> list", "namedtuple", "python ints -> int64"])
def test_default_convert_matches_torch(name):
    sample = COLLATE_ROWS[name][0]
    same(gud.default_convert(sample), tud.default_convert(to_torch(sample)))


def test_collate_dtype_rules():
    assert gud.default_collate([0.5, 1.0]).dtype == gradlab.float64  # torch's rule for floats
    assert gud.default_collate([1, 2]).dtype == gradlab.int64
    assert gud.default_collate([np.ones(2, np.float32)] * 2).dtype == gradlab.float32


@pytest.mark.parametrize("batch,exc,msg", [
    ([object(), object()], TypeError, "default_collate: batch must contain tensors, numpy "
                                      "arrays, numbers, dicts or lists; found <class 'object'>"),
    ([np.array(["a"]), np.array(["b"])], TypeError, "found <U1"),
    ([[1, 2], [3]], RuntimeError, "each element in list of batch should be of equal size"),
])
def test_default_collate_errors(batch, exc, msg):
    with pytest.raises(exc) as g:
        gud.default_collate(batch)
    with pytest.raises(exc) as t:
        tud.default_collate(batch)
    assert msg in str(g.value) and msg in str(t.value)


def test_collate_unequal_tensors():
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but got "
                                           r"\[2\] at entry 0 and \[3\] at entry 1"):
        gud.default_collate([gradlab.ones(2), gradlab.ones(3)])


def test_collate_keeps_graph():
    w = gradlab.ones(2, requires_grad=True)
    out = gud.default_collate([w * 2, w * 3])
    out.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [5.0, 5.0])


# ----------------------------------------------------------------------------- DataLoader

@pytest.mark.parametrize("n,bs,drop_last", [(10, 3, False), (10, 3, True), (10, 5, False),
                                            (10, 5, True), (7, 10, False), (7, 10, True),
                                            (1, 1, False)])
def test_sequential_batches_and_len_match_torch(n, bs, drop_last):
    x, y = xy(n)
    g = gud.DataLoader(gud.TensorDataset(gradlab.from_numpy(x), gradlab.from_numpy(y)),
                       batch_size=bs, drop_last=drop_last)
    t = tud.DataLoader(tud.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
                       batch_size=bs, drop_last=drop_last)
    assert len(g) == len(t)
    gb, tb = list(g), list(t)
    assert len(gb) == len(tb) == len(g)
    for a, b in zip(gb, tb):
        same(a, b)
    assert len(iter(g)) == len(t)


def test_fast_path_equals_per_item_path():
    x, y = xy(23)
    tds = gud.TensorDataset(gradlab.from_numpy(x), gradlab.from_numpy(y))
    lds = ListDataset([(gradlab.from_numpy(x[i]), int(y[i])) for i in range(23)])
    for shuffle in (False, True):
        gradlab.manual_seed(5)
        fast = list(gud.DataLoader(tds, batch_size=4, shuffle=shuffle))
        gradlab.manual_seed(5)
        slow = list(gud.DataLoader(lds, batch_size=4, shuffle=shuffle))
        assert len(fast) == len(slow) == 6
        for (fx, fy), (sx, sy) in zip(fast, slow):
            np.testing.assert_array_equal(fx.numpy(), sx.numpy())
            np.testing.assert_array_equal(fy.numpy(), sy.numpy())
            assert fx.dtype == sx.dtype == gradlab.float32 and fy.dtype == sy.dtype
    # the batch is a copy: writing into it leaves the dataset alone
    b = next(iter(gud.DataLoader(tds, batch_size=4)))
    b[0].array[:] = 0
    assert np.abs(tds.tensors[0].numpy()[:4]).sum() > 0


def test_custom_collate_and_subclass_skip_fast_path():
    x, y = xy(6)
    ds = gud.TensorDataset(gradlab.from_numpy(x), gradlab.from_numpy(y))
    seen = []

    def collate(batch):
        seen.append(len(batch))
        return gud.default_collate(batch)

    out = list(gud.DataLoader(ds, batch_size=4, collate_fn=collate))
    assert seen == [4, 2] and out[0][0].shape == (4, 3)

    class Doubled(gud.TensorDataset):
        def __getitem__(self, i):
            a, b = super().__getitem__(i)
            return a * 2, b

    b = next(iter(gud.DataLoader(Doubled(*ds.tensors), batch_size=6)))
    np.testing.assert_allclose(b[0].numpy(), 2 * x)


def test_subset_and_random_split_use_fast_path_with_same_values():
    x, y = xy(20)
    ds = gud.TensorDataset(gradlab.from_numpy(x), gradlab.from_numpy(y))
    sub = gud.Subset(ds, [5, 2, 9, 11])
    xb, yb = next(iter(gud.DataLoader(sub, batch_size=4)))
    assert yb.tolist() == [5, 2, 9, 11]
    np.testing.assert_array_equal(xb.numpy(), x[[5, 2, 9, 11]])
    assert sub[1][1].item() == 2 and len(sub) == 4


def test_digits_loader_batches():
    from gradlab.datasets import Digits

    ds = Digits(size=28)
    xb, yb = next(iter(gud.DataLoader(ds, batch_size=16)))
    assert xb.shape == (16, 1, 28, 28) and xb.dtype == gradlab.float32
    assert yb.shape == (16,) and yb.dtype == gradlab.int64
    np.testing.assert_array_equal(xb.numpy(), ds.data.numpy()[:16])


def test_requires_grad_tensor_dataset_batches_backprop():
    w = gradlab.ones(5, 2, requires_grad=True)
    (xb,) = next(iter(gud.DataLoader(gud.TensorDataset(w), batch_size=3)))
    xb.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy()[:, 0], [1, 1, 1, 0, 0])


def test_batch_size_none_and_custom_batch_sampler_match_torch():
    items = [(np.float32(i), i) for i in range(5)]
    same(list(gud.DataLoader(ListDataset(items), batch_size=None)),
         list(tud.DataLoader(TorchListDataset(items), batch_size=None)))
    bsamp = [[0, 1], [4], [2, 3]]
    g = gud.DataLoader(ListDataset(items), batch_sampler=bsamp)
    t = tud.DataLoader(TorchListDataset(items), batch_sampler=bsamp)
    same(list(g), list(t))
    assert len(g) == 3


def test_getitems_protocol_is_used():
    class Batched(gud.Dataset):
        calls = 0

        def __len__(self):
            return 6

        def __getitem__(self, i):
            raise AssertionError("per-item path used")

        def __getitems__(self, idx):
            Batched.calls += 1
            return [float(i) for i in idx]

    out = list(gud.DataLoader(Batched(), batch_size=4))
    assert Batched.calls == 2 and out[1].tolist() == [4.0, 5.0]


def test_iterable_dataset_matches_torch():
    class G(gud.IterableDataset):
        def __iter__(self):
            return iter(range(7))

        def __len__(self):
            return 7

    class T(tud.IterableDataset):
        def __iter__(self):
            return iter(range(7))

        def __len__(self):
            return 7

    for kw in ({"batch_size": 3}, {"batch_size": 3, "drop_last": True}, {"batch_size": None}):
        g, t = gud.DataLoader(G(), **kw), tud.DataLoader(T(), **kw)
        same(list(g), list(t))
        assert len(g) == len(t)
    same(list(gud.DataLoader(G() + G(), batch_size=5)),
         list(tud.DataLoader(T() + T(), batch_size=5)))


def test_num_workers_runs_in_process():
    x, y = xy(10)
    ds = gud.TensorDataset(gradlab.from_numpy(x), gradlab.from_numpy(y))
    a = [b[1].tolist() for b in gud.DataLoader(ds, batch_size=4, num_workers=2,
                                                prefetch_factor=2, persistent_workers=True)]
    assert a == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


# ----------------------------------------------------------------------------- errors


def _torch_ds():
    return tud.TensorDataset(torch.zeros(4, 2))


def _gradlab_ds():
    return gud.TensorDataset(gradlab.zeros(4, 2))


ERROR_ROWS = {
    "sampler and shuffle": lambda lib, ds: lib.DataLoader(
        ds, shuffle=True, sampler=lib.SequentialSampler(ds)),
    "batch_sampler and batch_size": lambda lib, ds: lib.DataLoader(
        ds, batch_size=2, batch_sampler=[[0, 1]]),
    "batch_sampler and shuffle": lambda lib, ds: lib.DataLoader(
        ds, shuffle=True, batch_sampler=[[0, 1]]),
    "batch_sampler and sampler": lambda lib, ds: lib.DataLoader(
        ds, sampler=[0, 1], batch_sampler=[[0, 1]]),
    "batch_sampler and drop_last": lambda lib, ds: lib.DataLoader(
        ds, drop_last=True, batch_sampler=[[0, 1]]),
    "batch_size None and drop_last": lambda lib, ds: lib.DataLoader(
        ds, batch_size=None, drop_last=True),
    "negative num_workers": lambda lib, ds: lib.DataLoader(ds, num_workers=-1),
    "negative timeout": lambda lib, ds: lib.DataLoader(ds, timeout=-1),
    "prefetch without workers": lambda lib, ds: lib.DataLoader(ds, prefetch_factor=2),
    "persistent without workers": lambda lib, ds: lib.DataLoader(ds, persistent_workers=True),
    "batch_size zero": lambda lib, ds: lib.DataLoader(ds, batch_size=0),
    "batch_size float": lambda lib, ds: lib.DataLoader(ds, batch_size=2.0),
    "drop_last not bool": lambda lib, ds: lib.BatchSampler(range(3), 2, drop_last=1),
    "num_samples zero": lambda lib, ds: lib.RandomSampler(ds, num_samples=0),
    "replacement not bool": lambda lib, ds: lib.RandomSampler(ds, replacement=1),
    "weighted 2-d weights": lambda lib, ds: lib.WeightedRandomSampler([[1.0]], 1),
    "weighted num_samples": lambda lib, ds: lib.WeightedRandomSampler([1.0], 0),
    "random_split bad sum": lambda lib, ds: lib.random_split(ds, [1, 2]),
    "random_split bad fraction": lambda lib, ds: lib.random_split(ds, [1.5, -0.5]),
    "tensor dataset size mismatch": lambda lib, ds: lib.TensorDataset(
        *((torch.zeros(2), torch.zeros(3)) if lib is tud else
          (gradlab.zeros(2), gradlab.zeros(3)))),
}


@pytest.mark.parametrize("name", list(ERROR_ROWS))
def test_errors_match_torch(name):
    fn = ERROR_ROWS[name]
    with pytest.raises(Exception) as t:
        fn(tud, _torch_ds())
    with pytest.raises(type(t.value)) as g:
        fn(gud, _gradlab_ds())
    assert str(t.value) in str(g.value), (str(g.value), str(t.value))


def test_attributes_locked_after_init():
    dl = gud.DataLoader(_gradlab_ds(), batch_size=2)
    with pytest.raises(ValueError, match="batch_size attribute should not be set after "
                                         "DataLoader is initialized"):
        dl.batch_size = 3
    dl.collate_fn = gud.default_collate  # not locked, as in torch


def test_iterable_dataset_rejects_shuffle_and_samplers():
    class G(gud.IterableDataset):
        def __iter__(self):
            return iter(range(3))

    with pytest.raises(ValueError, match="expected unspecified shuffle option, but got "
                                         "shuffle=True"):
        gud.DataLoader(G(), shuffle=True)
    with pytest.raises(ValueError, match="expected unspecified sampler option"):
        gud.DataLoader(G(), sampler=[0])


def test_base_dataset_errors():
    with pytest.raises(NotImplementedError, match="should implement __getitem__"):
        gud.Dataset()[0]
    with pytest.raises(TypeError, match="argument 1 is a ndarray"):
        gud.TensorDataset(gradlab.zeros(2), np.zeros(2))


# ----------------------------------------------------------------------------- samplers

def test_sequential_and_batch_sampler_match_torch():
    assert list(gud.SequentialSampler(range(5))) == list(tud.SequentialSampler(range(5)))
    for bs, dl in [(3, False), (3, True), (5, False), (6, True)]:
        g = gud.BatchSampler(gud.SequentialSampler(range(10)), bs, dl)
        t = tud.BatchSampler(tud.SequentialSampler(range(10)), bs, dl)
        assert list(g) == list(t) and len(g) == len(t)


def test_random_sampler_properties():
    gen = gradlab.Generator().manual_seed(1)
    s = gud.RandomSampler(range(10), generator=gen)
    a = list(s)
    assert sorted(a) == list(range(10)) and all(type(i) is int for i in a)
    b = list(s)
    assert sorted(b) == list(range(10)) and a != b  # a fresh permutation each epoch
    s = gud.RandomSampler(range(4), num_samples=10, generator=gen)
    a = list(s)
    assert len(a) == len(s) == 10
    assert sorted(a[:4]) == sorted(a[4:8]) == [0, 1, 2, 3] and len(set(a[8:])) == 2
    s = gud.RandomSampler(range(3), replacement=True, num_samples=50, generator=gen)
    a = list(s)
    assert len(a) == 50 and set(a) == {0, 1, 2}


def test_subset_and_weighted_samplers():
    gen = gradlab.Generator().manual_seed(0)
    s = gud.SubsetRandomSampler([7, 3, 9], generator=gen)
    assert sorted(s) == [3, 7, 9] and len(s) == 3
    w = gud.WeightedRandomSampler([0.0, 1.0, 3.0], 400, generator=gen)
    a = np.array(list(w))
    assert len(w) == 400 and 0 not in a and 0.6 < (a == 2).mean() < 0.9
    w = gud.WeightedRandomSampler([1.0, 0.0, 1.0, 1.0], 3, replacement=False, generator=gen)
    assert sorted(w) == [0, 2, 3]


def test_iter_and_index_array_draw_the_same_order():
    for cls, kw in [(gud.RandomSampler, {}), (gud.RandomSampler, {"replacement": True}),
                    (gud.RandomSampler, {"num_samples": 13})]:
        s = cls(range(6), generator=gradlab.Generator().manual_seed(3), **kw)
        a = list(s)
        s.generator.manual_seed(3)
        assert s._index_array().tolist() == a


# ----------------------------------------------------------------------------- determinism

def _order(loader):
    return [b[1].tolist() for b in loader]


def _loader(**kw):
    x, y = xy(17)
    return gud.DataLoader(gud.TensorDataset(gradlab.from_numpy(x), gradlab.from_numpy(y)),
                          batch_size=5, **kw)


def test_same_seed_same_order_and_epochs_differ():
    gradlab.manual_seed(0)
    dl = _loader(shuffle=True)
    e1, e2 = _order(dl), _order(dl)
    assert e1 != e2
    assert sorted(sum(e1, [])) == list(range(17))
    gradlab.manual_seed(0)
    assert [_order(dl), _order(dl)] == [e1, e2]


def test_restoring_rng_state_repeats_the_epoch():
    dl = _loader(shuffle=True)
    gradlab.manual_seed(11)
    _order(dl)
    state = gradlab.get_rng_state()
    e2 = _order(dl)
    gradlab.randn(3)  # unrelated draws in between
    gradlab.set_rng_state(state)
    assert _order(dl) == e2


def test_generator_is_independent_of_global_stream():
    a = _order(_loader(shuffle=True, generator=gradlab.Generator().manual_seed(4)))
    gradlab.manual_seed(999)
    gradlab.randn(10)
    b = _order(_loader(shuffle=True, generator=gradlab.Generator().manual_seed(4)))
    assert a == b
    g = gradlab.Generator().manual_seed(4)
    state = gradlab.get_rng_state()
    _order(_loader(shuffle=True, generator=g))
    assert gradlab.get_rng_state()["bit_generator"] == state["bit_generator"]


def test_unbatched_shuffle_is_seeded():
    ds = ListDataset(list(range(9)))
    dl = gud.DataLoader(ds, batch_size=None, shuffle=True)
    gradlab.manual_seed(4)
    it = iter(dl)
    gradlab.randn(5)  # draws after iter() do not change this epoch's order
    a = list(it)
    assert sorted(a) == list(range(9))
    gradlab.manual_seed(4)
    assert list(dl) == a


def test_order_is_drawn_when_the_epoch_starts():
    dl = _loader(shuffle=True)
    gradlab.manual_seed(2)
    it = iter(dl)
    gradlab.randn(5)  # draws after iter() do not change this epoch's order
    a = [b[1].tolist() for b in it]
    gradlab.manual_seed(2)
    assert a == _order(dl)


# ----------------------------------------------------------------------------- datasets

def test_random_split_sizes_match_torch():
    for n, fr in [(10, [0.3, 0.3, 0.4]), (11, [0.5, 0.5]), (7, [0.1, 0.2, 0.7]),
                  (1797, [0.8, 0.2])]:
        g = gud.random_split(range(n), fr, generator=gradlab.Generator().manual_seed(0))
        t = tud.random_split(range(n), fr, generator=torch.Generator().manual_seed(0))
        assert [len(s) for s in g] == [len(s) for s in t]


def test_random_split_disjoint_cover_reproducible():
    ds = ListDataset(list(range(50)))
    parts = gud.random_split(ds, [20, 25, 5], generator=gradlab.Generator().manual_seed(7))
    items = [[p[i] for i in range(len(p))] for p in parts]
    assert [len(i) for i in items] == [20, 25, 5]
    assert sorted(sum(items, [])) == list(range(50))
    again = gud.random_split(ds, [20, 25, 5], generator=gradlab.Generator().manual_seed(7))
    assert [p.indices for p in again] == [p.indices for p in parts]
    gradlab.manual_seed(3)
    a = gud.random_split(ds, [0.5, 0.5])
    gradlab.manual_seed(3)
    b = gud.random_split(ds, [0.5, 0.5])
    assert [p.indices for p in a] == [p.indices for p in b]
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        gud.random_split(ListDataset([1, 2]), [0.9, 0.1])
    assert any("Length of split at index 1 is 0" in str(x.message) for x in w)


def test_concat_dataset_matches_torch():
    g = gud.ConcatDataset([ListDataset([0, 1, 2]), ListDataset([3, 4])])
    t = tud.ConcatDataset([TorchListDataset([0, 1, 2]), TorchListDataset([3, 4])])
    assert len(g) == len(t) == 5 and g.cumulative_sizes == t.cumulative_sizes
    assert [g[i] for i in range(-5, 5)] == [t[i] for i in range(-5, 5)]
    assert [(ListDataset([0]) + ListDataset([1]))[i] for i in (0, 1)] == [0, 1]
    with pytest.raises(ValueError, match="absolute value of index should not exceed"):
        g[-6]
    with pytest.raises(AssertionError, match="datasets should not be an empty iterable"):
        gud.ConcatDataset([])
    same(list(gud.DataLoader(g, batch_size=2)), list(tud.DataLoader(t, batch_size=2)))
