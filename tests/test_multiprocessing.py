"""gradlab.multiprocessing and tensors across processes: pickling (against torch's), shared
memory (``Tensor.share_memory_``, ``Module.share_memory``) seen across ``fork``, tensors sent
through queues and to ``spawn`` children, and Hogwild training as torch's mnist_hogwild."""

from __future__ import annotations

import copy
import multiprocessing as std_mp
import os
import pickle
from multiprocessing.reduction import ForkingPickler

import numpy as np
import pytest
import torch
import torch.multiprocessing as torch_mp

import gradlab
import gradlab.multiprocessing as mp
from gradlab import _shared_memory, nn, optim

FORK = mp.get_context("fork")


# ------------------------------------------------------------------ the module


def test_module_reexports_multiprocessing_as_torch():
    for name in std_mp.__all__:
        assert name in mp.__all__ and hasattr(mp, name), name
    assert mp.Process is std_mp.Process and mp.get_context is std_mp.get_context
    assert set(torch_mp.__all__) == set(mp.__all__)
    assert gradlab.multiprocessing is mp


def test_sharing_strategy():
    assert mp.get_sharing_strategy() == torch_mp.get_sharing_strategy() == "file_descriptor"
    assert mp.get_all_sharing_strategies() == {"file_descriptor"}
    mp.set_sharing_strategy("file_descriptor")
    with pytest.raises(AssertionError, match=r"set_sharing_strategy: invalid sharing strategy "
                                             r"'file_system', expected one of"):
        mp.set_sharing_strategy("file_system")
    assert mp.get_sharing_strategy() == "file_descriptor"


# ------------------------------------------------------------------ pickling


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "uint8",
                                   "bool"])
def test_pickle_round_trips_values_and_dtype(dtype):
    arr = (np.arange(12).reshape(3, 4) % 3).astype(dtype)
    back = pickle.loads(pickle.dumps(gradlab.from_numpy(arr.copy())))
    assert type(back) is gradlab.Tensor and back.dtype == getattr(gradlab, dtype)
    np.testing.assert_array_equal(back.numpy(), arr)
    assert back.array.flags.writeable
    assert not back.requires_grad and back.is_leaf


def test_pickle_keeps_what_torch_keeps():
    """requires_grad, the class (a Parameter stays one) and Python attributes come back; .grad
    does not, and a non-leaf comes back a leaf that requires grad: torch's pickling."""
    for lib in (gradlab, torch):
        x = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        x.grad = lib.ones(3)
        x.note = "kept"
        bx = pickle.loads(pickle.dumps(x))
        assert bx.requires_grad and bx.grad is None and bx.is_leaf and bx.note == "kept"
        assert bx.tolist() == [1.0, -2.0, 3.0]
        y = x * 2
        by = pickle.loads(pickle.dumps(y))
        assert by.requires_grad and by.is_leaf and by.grad_fn is None
        assert by.tolist() == [2.0, -4.0, 6.0]
        p = lib.nn.Parameter(lib.ones(2, 2), requires_grad=False)
        bp = pickle.loads(pickle.dumps(p))
        assert type(bp) is lib.nn.Parameter and not bp.requires_grad
        assert bp.tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_pickle_of_views_zero_d_empty_and_containers():
    base = gradlab.arange(12.0).reshape(3, 4)
    view = base.t()[1:3]                       # non-contiguous
    out = pickle.loads(pickle.dumps({"v": view, "s": gradlab.tensor(2.5),
                                     "e": gradlab.zeros(0, 3), "l": [base, base]}))
    np.testing.assert_array_equal(out["v"].numpy(), view.numpy())
    assert out["s"].item() == 2.5 and out["s"].shape == () and out["e"].shape == (0, 3)
    assert out["l"][0] is out["l"][1]           # pickle's memo: one object twice
    shallow = copy.copy(base)                    # as torch's: a new tensor, the same memory
    assert shallow is not base and np.shares_memory(shallow.array, base.array)


def test_module_pickles():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    back = pickle.loads(pickle.dumps(model))
    x = gradlab.randn(5, 3)
    np.testing.assert_array_equal(back(x).detach().numpy(), model(x).detach().numpy())
    assert all(type(p) is nn.Parameter for p in back.parameters())


def test_process_pickler_refuses_a_non_leaf_that_requires_grad():
    y = gradlab.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="Cowardly refusing to serialize non-leaf tensor "
                                           "which requires_grad"):
        ForkingPickler.dumps(y)
    with pytest.raises(RuntimeError, match="Cowardly refusing"):
        ForkingPickler.dumps(torch.ones(2, requires_grad=True) * 2)
    back = pickle.loads(ForkingPickler.dumps(y.detach()))
    assert back.tolist() == [2.0, 2.0]


# ------------------------------------------------------------------ shared memory


def test_share_memory_keeps_the_tensor_and_its_values():
    t = gradlab.arange(6.0).reshape(2, 3).requires_grad_()
    arr = t.array
    assert not t.is_shared()
    assert t.share_memory_() is t and t.is_shared() and t.array is not arr
    np.testing.assert_array_equal(t.array, arr)
    assert t.requires_grad and t.dtype == gradlab.float32 and t.shape == (2, 3)
    shared = t.array
    assert t.share_memory_().array is shared          # a no-op the second time
    assert t[0].is_shared() and t.t().is_shared()    # views of shared memory are shared
    assert not (t * 2).is_shared()
    f = gradlab.from_numpy(np.asfortranarray(np.ones((2, 3), np.float64))).share_memory_()
    assert f.stride() == (1, 2) and f.is_shared()
    e = gradlab.zeros(0).share_memory_()
    assert e.is_shared() and e.shape == (0,)
    assert torch.ones(2).share_memory_().is_shared()  # the oracle agrees on the API


def _write(t, value):
    t.array[...] = value


def test_a_forked_child_writes_shared_memory_the_parent_reads():
    shared = gradlab.zeros(2, 3).share_memory_()
    private = gradlab.zeros(2, 3)
    p = FORK.Process(target=_write, args=(shared, 7.0))
    p.start()
    p.join()
    q = FORK.Process(target=_write, args=(private, 7.0))
    q.start()
    q.join()
    assert p.exitcode == q.exitcode == 0
    assert shared.tolist() == [[7.0] * 3] * 2
    assert private.tolist() == [[0.0] * 3] * 2       # copy-on-write memory stays private


def _receive_and_write(inbox, outbox):
    t = inbox.get()
    outbox.put((t.is_shared(), t.tolist(), type(t).__name__, t.requires_grad))
    t.array[...] = -1.0
    outbox.put("written")


def test_tensors_sent_through_a_queue():
    """A shared tensor arrives as its memory (the child's write shows in the parent), a view
    included; any other tensor arrives as a copy."""
    for t, expect_shared in ((gradlab.nn.Parameter(gradlab.ones(3)).share_memory_(), True),
                             (gradlab.arange(8.0).share_memory_()[2:5], True),
                             (gradlab.ones(3), False)):
        before = t.tolist()
        inbox, outbox = FORK.Queue(), FORK.Queue()
        p = FORK.Process(target=_receive_and_write, args=(inbox, outbox))
        p.start()
        inbox.put(t)
        info = outbox.get(timeout=20)
        assert outbox.get(timeout=20) == "written"
        p.join()
        assert info == (expect_shared, before, type(t).__name__, t.requires_grad)
        assert t.tolist() == ([-1.0] * 3 if expect_shared else before)


def test_a_spawned_child_maps_a_shared_argument():
    """With ``spawn`` the process object is pickled: the shared tensor (here the target is its
    view's bound ``fill_``, so the child imports no test module) travels as its descriptor."""
    shared = gradlab.zeros(4).share_memory_()
    p = mp.get_context("spawn").Process(target=shared[1:3].fill_, args=(5.0,))
    p.start()
    p.join(timeout=60)
    assert p.exitcode == 0 and shared.tolist() == [0.0, 5.0, 5.0, 0.0]


def test_without_memfd_the_memory_is_an_anonymous_shared_mapping(monkeypatch):
    monkeypatch.delattr(os, "memfd_create")
    t = gradlab.zeros(3).share_memory_()
    assert t.is_shared() and _shared_memory.buffer_of(t.array).fd is None
    p = FORK.Process(target=_write, args=(t, 3.0))
    p.start()
    p.join()
    assert t.tolist() == [3.0, 3.0, 3.0]
    back = pickle.loads(ForkingPickler.dumps(t))      # no descriptor to send: by value
    assert back.tolist() == [3.0, 3.0, 3.0] and not back.is_shared()


def test_module_share_memory():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    model(gradlab.randn(5, 3)).sum().backward()
    params = list(model.parameters())
    opt = optim.SGD(model.parameters(), lr=0.1)
    assert model.share_memory() is model
    assert list(model.parameters()) == params
    for t in [*params, *model.buffers()]:
        assert t.is_shared(), t.shape
    assert all(p.grad.is_shared() for p in params)
    shared = params[0].array
    opt.step()                                        # an optimizer made before still applies
    assert params[0].array is shared


# ------------------------------------------------------------------ Hogwild


def _data(seed: int, n: int = 64):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    return gradlab.from_numpy(x), gradlab.from_numpy(y)


def _train(rank: int, model, steps: int = 5):
    """mnist_hogwild's ``train``: each process its own optimizer, its own shard."""
    x, y = _data(rank)
    opt = optim.SGD(model.parameters(), lr=0.5, momentum=0.5)
    for i in range(steps):
        xb, yb = x[i * 8:(i + 1) * 8], y[i * 8:(i + 1) * 8]
        opt.zero_grad()
        nn.functional.cross_entropy(model(xb), yb).backward()
        opt.step()


def _model():
    gradlab.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))


def _loss(model) -> float:
    x, y = _data(99, 256)
    with gradlab.no_grad():
        return nn.functional.cross_entropy(model(x), y).item()


def test_hogwild_two_processes_train_one_model():
    model = _model()
    model.share_memory()
    start = [p.detach().clone() for p in model.parameters()]
    before = _loss(model)
    workers = [FORK.Process(target=_train, args=(rank, model)) for rank in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert [w.exitcode for w in workers] == [0, 0]
    for p, s in zip(model.parameters(), start):
        assert not np.array_equal(p.array, s.array)
    assert _loss(model) < before


def test_hogwild_updates_are_visible_to_the_next_process():
    """Processes run one after the other on shared weights equal training both shards in
    turn in this process: each sees what the one before wrote, and so does the parent."""
    shared, serial = _model().share_memory(), _model()
    for rank in range(2):
        w = FORK.Process(target=_train, args=(rank, shared))
        w.start()
        w.join()
        assert w.exitcode == 0
        _train(rank, serial)
    for a, b in zip(shared.parameters(), serial.parameters()):
        np.testing.assert_array_equal(a.array, b.array)
