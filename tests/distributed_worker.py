"""The programs tests/test_distributed.py runs on several ranks:
``mpiexec -n 2 python tests/distributed_worker.py CASE``. Each case checks its results on
every rank (an AssertionError ends the job through the abort hook) and prints ``OK CASE rank R``
and, where the test compares figures, ``FIG name value`` lines from rank 0."""

from __future__ import annotations

import sys
import time

import numpy as np

import gradlab
import gradlab.distributed as dist
from gradlab import nn


def _data(rank: int, shape, dtype, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(1000 * seed + rank)
    if np.dtype(dtype).kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    return rng.integers(-5, 6, size=shape).astype(dtype)


def case_collectives() -> None:
    dist.init_process_group("mpi")
    r, n = dist.get_rank(), dist.get_world_size()
    assert dist.is_initialized() and dist.get_backend() == "mpi"
    shape = (3, 4)
    for dtype in ("float32", "float64", "int64"):
        every = [_data(k, shape, dtype) for k in range(n)]
        ops = {dist.ReduceOp.SUM: np.sum(every, axis=0), dist.ReduceOp.MAX: np.max(every, axis=0),
               dist.ReduceOp.MIN: np.min(every, axis=0),
               dist.ReduceOp.PRODUCT: np.prod(every, axis=0)}
        if dtype != "int64":
            ops[dist.ReduceOp.AVG] = np.sum(every, axis=0) / n
        for op, want in ops.items():
            for async_op in (False, True):
                t = gradlab.from_numpy(every[r].copy())
                w = dist.all_reduce(t, op=op, async_op=async_op)
                if async_op:
                    w.wait()
                    assert w.is_completed()
                else:
                    assert w is None
                np.testing.assert_allclose(t.numpy(), want.astype(dtype), rtol=1e-6)
                assert t.dtype == getattr(gradlab, dtype)
            # reduce to rank 1 (others keep their input)
            t = gradlab.from_numpy(every[r].copy())
            dist.reduce(t, dst=n - 1, op=op)
            np.testing.assert_allclose(t.numpy(), (want if r == n - 1 else every[r]).astype(dtype),
                                       rtol=1e-6)
        # a non-contiguous view is reduced in place through a copy
        base = gradlab.from_numpy(np.stack([every[r], every[r]], axis=-1))
        view = base[..., 0]
        dist.all_reduce(view)
        np.testing.assert_allclose(base.numpy()[..., 0], np.sum(every, axis=0), rtol=1e-6)
        np.testing.assert_allclose(base.numpy()[..., 1], every[r], rtol=1e-6)
        for async_op in (False, True):
            # broadcast from the last rank
            t = gradlab.from_numpy(every[r].copy())
            w = dist.broadcast(t, src=n - 1, async_op=async_op)
            if async_op:
                w.wait()
            np.testing.assert_array_equal(t.numpy(), every[n - 1])
            # all_gather
            outs = [gradlab.zeros(shape, dtype=getattr(gradlab, dtype)) for _ in range(n)]
            w = dist.all_gather(outs, gradlab.from_numpy(every[r].copy()), async_op=async_op)
            if async_op:
                w.wait()
            for k in range(n):
                np.testing.assert_array_equal(outs[k].numpy(), every[k])
            # reduce_scatter: rank k gets the sum over ranks of their input_list[k]
            ins = [gradlab.from_numpy(_data(r, shape, dtype, seed=k + 1)) for k in range(n)]
            out = gradlab.zeros(shape, dtype=getattr(gradlab, dtype))
            w = dist.reduce_scatter(out, ins, async_op=async_op)
            if async_op:
                w.wait()
            want = np.sum([_data(k, shape, dtype, seed=r + 1) for k in range(n)], axis=0)
            np.testing.assert_allclose(out.numpy(), want, rtol=1e-6)
            # gather to rank 0
            glist = ([gradlab.zeros(shape, dtype=getattr(gradlab, dtype)) for _ in range(n)]
                     if r == 0 else None)
            w = dist.gather(gradlab.from_numpy(every[r].copy()), glist, dst=0, async_op=async_op)
            if async_op:
                w.wait()
            if r == 0:
                for k in range(n):
                    np.testing.assert_array_equal(glist[k].numpy(), every[k])
            # scatter from rank 0
            slist = ([gradlab.from_numpy(_data(k, shape, dtype, seed=7)) for k in range(n)]
                     if r == 0 else None)
            t = gradlab.zeros(shape, dtype=getattr(gradlab, dtype))
            w = dist.scatter(t, slist, src=0, async_op=async_op)
            if async_op:
                w.wait()
            np.testing.assert_array_equal(t.numpy(), _data(r, shape, dtype, seed=7))
    # async handles overlap: several started, then waited in reverse
    ts = [gradlab.from_numpy(_data(r, (1000,), "float64", seed=s)) for s in range(4)]
    works = [dist.all_reduce(t, async_op=True) for t in ts]
    for w in reversed(works):
        w.wait()
    for s, t in enumerate(ts):
        want = np.sum([_data(k, (1000,), "float64", seed=s) for k in range(n)], axis=0)
        np.testing.assert_allclose(t.numpy(), want, rtol=1e-12)
    w = dist.barrier(async_op=True)
    w.wait()
    dist.barrier()
    objs = [None] * n
    dist.all_gather_object(objs, {"rank": r})
    assert objs == [{"rank": k} for k in range(n)]
    lst = [r, "x"] if r == 0 else [None, None]
    dist.broadcast_object_list(lst, src=0)
    assert lst == [0, "x"]
    # the version counter moves: a graph that saved the tensor refuses a stale backward
    p = gradlab.ones(3, requires_grad=True)
    y = (p * p).sum()
    with gradlab.no_grad():
        dist.all_reduce(p)
    try:
        y.backward()
    except RuntimeError as e:
        assert "modified by an inplace operation" in str(e)
    else:
        raise AssertionError("backward after an in-place all_reduce was not refused")
    # mismatched shapes and dtypes are refused on every rank with both ranks' layouts
    for bad in (gradlab.zeros(2 + r), gradlab.zeros(2, dtype=gradlab.float64 if r else
                                                      gradlab.float32)):
        try:
            dist.all_reduce(bad)
        except RuntimeError as e:
            msg = str(e)
            assert "all_reduce: the ranks called the collective with different arguments" in msg
            assert "rank 0:" in msg and "rank 1:" in msg, msg
        else:
            raise AssertionError("a mismatched all_reduce was not refused")
    # a wrong root or list is refused before anything moves
    for call, text in ((lambda: dist.broadcast(gradlab.zeros(2), src=n), "src=2 is not a rank"),
                       (lambda: dist.all_gather([gradlab.zeros(2)], gradlab.zeros(2)),
                        "one tensor per rank"),
                       (lambda: dist.all_reduce(gradlab.zeros(2, dtype=gradlab.int64),
                                                op=dist.ReduceOp.AVG), "needs a floating")):
        try:
            call()
        except (ValueError, TypeError) as e:
            assert text in str(e), str(e)
        else:
            raise AssertionError(text)
    dist.destroy_process_group()
    assert not dist.is_initialized()
    print(f"OK collectives rank {r}", flush=True)


def case_noinit() -> None:
    try:
        dist.all_reduce(gradlab.ones(2))
    except ValueError as e:
        print("ERR", e, flush=True)
    try:
        nn.parallel.DistributedDataParallel(nn.Linear(2, 2))
    except ValueError as e:
        print("ERR", e, flush=True)
    for backend in ("nccl", "gloo"):
        try:
            dist.init_process_group(backend)
        except ValueError as e:
            print("ERR", e, flush=True)
    try:
        dist.init_process_group("mpi", world_size=5)
    except ValueError as e:
        print("ERR", e, flush=True)


def case_fail() -> None:
    dist.init_process_group()
    if dist.get_rank() == 1:
        time.sleep(0.5)
        raise RuntimeError("rank one fails on purpose")
    dist.all_reduce(gradlab.ones(3))    # rank 0 waits here for a rank that will not come
    time.sleep(60)


# ---------------------------------------------------------------------------------- DDP
def _mlp(dtype):
    gradlab.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 16, dtype=dtype), nn.Tanh(), nn.Linear(16, 3, dtype=dtype))


class _CNN(nn.Module):
    def __init__(self, dtype):
        super().__init__()
        gradlab.manual_seed(0)
        self.conv = nn.Conv2d(2, 4, 3, padding=1, dtype=dtype)
        self.bn = nn.BatchNorm2d(4, dtype=dtype)
        self.fc = nn.Linear(4 * 5 * 5, 3, dtype=dtype)

    def forward(self, x):
        return self.fc(self.bn(self.conv(x)).relu().flatten(1))


class _LSTM(nn.Module):
    def __init__(self, dtype):
        super().__init__()
        gradlab.manual_seed(0)
        self.rnn = nn.LSTM(4, 8, batch_first=True, dtype=dtype)
        self.fc = nn.Linear(8, 3, dtype=dtype)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.fc(out[:, -1])


_MODELS = {"mlp": (_mlp, (6,)), "cnn": (_CNN, (2, 5, 5)), "lstm": (_LSTM, (7, 4))}


def _train(model, xs, ys, steps, accumulate: bool = False) -> None:
    opt = gradlab.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for s in range(steps):
        opt.zero_grad()
        x, y = xs[s], ys[s]
        if accumulate and isinstance(model, nn.parallel.DistributedDataParallel):
            half = x.shape[0] // 2
            with model.no_sync():
                (gradlab.nn.functional.cross_entropy(model(x[:half]), y[:half]) / 2).backward()
            (gradlab.nn.functional.cross_entropy(model(x[half:]), y[half:]) / 2).backward()
        elif accumulate:
            half = x.shape[0] // 2
            (gradlab.nn.functional.cross_entropy(model(x[:half]), y[:half]) / 2).backward()
            (gradlab.nn.functional.cross_entropy(model(x[half:]), y[half:]) / 2).backward()
        else:
            gradlab.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()


def case_ddp() -> None:
    """DDP on the shards against one process on the global batch, for each model and dtype."""
    dist.init_process_group("mpi")
    r, n = dist.get_rank(), dist.get_world_size()
    steps, per_rank = 4, 8
    for name, (make, in_shape) in _MODELS.items():
        for dtype in (gradlab.float64, gradlab.float32):
            npd = np.float64 if dtype is gradlab.float64 else np.float32
            rng = np.random.default_rng(5)
            xs = [gradlab.from_numpy(rng.standard_normal((n * per_rank,) + in_shape).astype(npd))
                  for _ in range(steps)]
            ys = [gradlab.from_numpy(rng.integers(0, 3, n * per_rank)) for _ in range(steps)]
            single = make(dtype)
            _train(single, xs, ys, steps, accumulate=name == "mlp")
            local = make(dtype)
            if r != 0:      # other ranks start elsewhere: construction must broadcast rank 0's
                with gradlab.no_grad():
                    for p in local.parameters():
                        p.add_(1.0)
            if name == "cnn":
                local = nn.SyncBatchNorm.convert_sync_batchnorm(local)
            ddp = nn.parallel.DistributedDataParallel(local, bucket_cap_mb=0.0005)
            sl = slice(r * per_rank, (r + 1) * per_rank)
            _train(ddp, [x[sl] for x in xs], [y[sl] for y in ys], steps,
                   accumulate=name == "mlp")
            # small buckets: all but the last started while backward was still running
            assert len(ddp._buckets) >= 2
            assert ddp.buckets_started_during_backward == len(ddp._buckets), (
                ddp.buckets_started_during_backward, len(ddp._buckets))
            diff = 0.0
            want = single.state_dict()
            got = ddp.state_dict()
            assert sorted(got) == sorted("module." + k for k in want), (sorted(got), list(want))
            for k, v in want.items():
                d = np.abs(got["module." + k].numpy().astype(np.float64) -
                           v.numpy().astype(np.float64))
                diff = max(diff, float(d.max()) if d.size else 0.0)
            tol = 1e-10 if dtype is gradlab.float64 else 1e-5
            assert diff <= tol, (name, dtype, diff)
            if r == 0:
                print(f"FIG {name} {npd.__name__} {diff:.3e}", flush=True)
    # a parameter outside the loss: an error on every rank, or zeros with find_unused_parameters
    for find in (False, True):
        gradlab.manual_seed(0)
        model = nn.ModuleDict({"used": nn.Linear(3, 2), "unused": nn.Linear(3, 2)})
        ddp = nn.parallel.DistributedDataParallel(model, find_unused_parameters=find)
        x = gradlab.from_numpy(_data(r, (4, 3), "float32"))
        try:
            ddp.module["used"](x).sum().backward()
        except RuntimeError as e:
            assert not find
            assert "received no gradient" in str(e) and "unused.weight" in str(e), str(e)
            assert "find_unused_parameters=True" in str(e)
        else:
            assert find
            assert np.all(model["unused"].weight.grad.numpy() == 0)
            want = np.sum([_data(k, (4, 3), "float32").sum(0) for k in range(n)], 0) / n
            np.testing.assert_allclose(model["used"].weight.grad.numpy()[0], want, rtol=1e-6)
    dist.destroy_process_group()
    print(f"OK ddp rank {r}", flush=True)


def case_syncbn_gradcheck() -> None:
    """SyncBatchNorm's own backward (the all-reduced sums of g and g*(x-mean)) against central
    finite differences of the loss summed over all ranks, float64: every rank perturbs, in
    turn, each element of rank k's input and the shared weight and bias, and all ranks run
    each forward together."""
    dist.init_process_group("mpi")
    r, n = dist.get_rank(), dist.get_world_size()
    bn = nn.SyncBatchNorm(2, dtype=gradlab.float64)
    with gradlab.no_grad():
        bn.weight.copy_(gradlab.tensor([1.5, -0.7], dtype=gradlab.float64))
        bn.bias.copy_(gradlab.tensor([0.2, 0.3], dtype=gradlab.float64))
    x = gradlab.from_numpy(_data(r, (3, 2, 2), "float64")).requires_grad_()
    w_out = gradlab.from_numpy(_data(r, (3, 2, 2), "float64", seed=1))

    def total() -> float:
        with gradlab.no_grad():
            loss = gradlab.tensor([float((bn(x) * w_out).sum())], dtype=gradlab.float64)
        dist.all_reduce(loss)
        return float(loss.item())

    (bn(x) * w_out).sum().backward()
    analytic = {"x": x.grad.numpy().copy(), "weight": bn.weight.grad.numpy().copy(),
                "bias": bn.bias.grad.numpy().copy()}
    for name in ("weight", "bias"):  # shared: the summed gradient of every rank's loss
        g = gradlab.from_numpy(analytic[name].copy())
        dist.all_reduce(g)
        analytic[name] = g.numpy()
    h, worst = 1e-6, 0.0
    for owner in range(n):
        for i in range(x.numel()):
            a = x.array.reshape(-1)
            keep = a[i]
            num = 0.0
            for sign in (1, -1):
                if r == owner:
                    a[i] = keep + sign * h
                num += sign * total()
                if r == owner:
                    a[i] = keep
            if r == owner:
                worst = max(worst, abs(num / (2 * h) - analytic["x"].reshape(-1)[i]))
    for name in ("weight", "bias"):
        p = getattr(bn, name).array
        for c in range(2):
            keep = p[c]
            p[c] = keep + h
            up = total()
            p[c] = keep - h
            down = total()
            p[c] = keep
            worst = max(worst, abs((up - down) / (2 * h) - analytic[name][c]))
    assert worst < 1e-7, f"SyncBatchNorm gradcheck: max |numeric - analytic| = {worst}"
    dist.destroy_process_group()
    print(f"FIG syncbn_gradcheck_rank{r} {worst:.3g}", flush=True)
    print(f"OK syncbn_gradcheck rank {r}", flush=True)


if __name__ == "__main__":
    {"collectives": case_collectives, "noinit": case_noinit, "fail": case_fail,
     "ddp": case_ddp, "syncbn_gradcheck": case_syncbn_gradcheck}[sys.argv[1]]()
