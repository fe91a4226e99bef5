"""gradlab.distributed on 2 MPI ranks: each test runs ``mpiexec -n 2 python
tests/distributed_worker.py CASE`` and reads what the ranks printed; the worker checks the
numbers on every rank (collectives against NumPy, DDP against one process on the global batch).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import gradlab

ROOT = Path(__file__).resolve().parents[1]
WORKER = ROOT / "tests" / "distributed_worker.py"


def _mpiexec() -> str:
    """mpiexec next to this Python (the venv's bin, where the mpich wheel puts it), else on
    PATH."""
    here = Path(sys.executable).parent / "mpiexec"
    if here.exists():
        return str(here)
    found = shutil.which("mpiexec")
    assert found, "mpiexec not found next to sys.executable nor on PATH: pip install mpich"
    return found


def _launch(case: str, n: int = 2, timeout: float = 120):
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [_mpiexec(), "-n", str(n), sys.executable, str(WORKER), case]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env,
                         timeout=timeout)
    return out, time.perf_counter() - t0


def _ok(case: str, n: int = 2):
    out, _ = _launch(case, n)
    text = out.stdout + out.stderr
    assert out.returncode == 0, text
    for r in range(n):
        assert f"OK {case} rank {r}" in out.stdout, text
    return out.stdout


def test_collectives_against_numpy():
    """all_reduce (every op, sync and async), reduce, broadcast, all_gather, reduce_scatter,
    gather, scatter, barrier and the object collectives, in float32, float64 and int64; and the
    refusals (mismatched shapes/dtypes across ranks, a bad root or list)."""
    _ok("collectives")


def test_a_collective_before_init_and_a_foreign_backend_are_refused():
    out, _ = _launch("noinit", n=1)
    assert out.returncode == 0, out.stderr
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("ERR")]
    assert lines[0] == ("ERR Default process group has not been initialized, please make sure "
                        "to call init_process_group.")
    assert lines[1] == lines[0]     # DistributedDataParallel before init_process_group
    assert "backend 'nccl' is not available" in lines[2] and "MPI" in lines[2]
    assert "backend 'gloo' is not available" in lines[3]
    assert "world_size=5 but MPI started 1 process(es)" in lines[4]


def test_a_failing_rank_ends_the_job_with_its_message():
    """Rank 1 raises while rank 0 waits in all_reduce: the abort hook ends both."""
    out, elapsed = _launch("fail", timeout=60)
    assert out.returncode != 0
    assert elapsed < 30, elapsed
    text = out.stdout + out.stderr
    assert "[gradlab.distributed rank 1] uncaught RuntimeError" in text, text
    assert "rank one fails on purpose" in text


def test_gradlab_imports_the_package_without_mpi4py():
    code = ("import sys; sys.modules['mpi4py'] = None; import gradlab, gradlab.distributed as d;"
            " print(d.is_available(), d.is_initialized())\n"
            "try:\n    d.init_process_group()\nexcept RuntimeError as e:\n    print(e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         check=True)
    first, second = out.stdout.splitlines()
    assert first == "False False"
    assert "init_process_group: gradlab.distributed needs mpi4py" in second


def test_ddp_on_two_ranks_ends_with_the_weights_of_one_process_on_the_global_batch():
    """An MLP (with no_sync gradient accumulation), a small CNN whose BatchNorm2d becomes
    SyncBatchNorm, and an LSTM, 4 SGD+momentum steps each: the 2-rank DDP state dict
    (``module.``-prefixed, running statistics included) against one process on the whole batch;
    rank 1 starts from other weights, so construction must broadcast rank 0's. The worker also
    checks that every bucket started during backward, and that a parameter outside the loss is
    an error on every rank unless find_unused_parameters=True (then its gradient is zero)."""
    out = _ok("ddp")
    figs = dict(((m, d), float(v)) for m, d, v in
                re.findall(r"^FIG (\w+) (\w+) (\S+)$", out, flags=re.M))
    assert set(figs) == {(m, d) for m in ("mlp", "cnn", "lstm") for d in ("float64", "float32")}
    for (_, dtype), diff in figs.items():
        assert diff <= (1e-10 if dtype == "float64" else 1e-5), figs


@pytest.mark.parametrize("n", [1, 7, 10, 12, 13])
@pytest.mark.parametrize("replicas", [1, 2, 3, 4, 5, 16])
@pytest.mark.parametrize("drop_last", [False, True])
def test_distributed_sampler_shards_as_torch(n, replicas, drop_last):
    """shuffle=False: each rank's shard is torch's exactly (order, padding by repetition from
    the start, cutting with drop_last, len); shuffle=True: the same structure over gradlab's
    permutation (torch draws a different one), new with each epoch."""
    from torch.utils.data.distributed import DistributedSampler as TorchSampler

    from gradlab.utils.data import DistributedSampler
    from gradlab.utils.data.distributed import DistributedSampler as Same

    assert Same is DistributedSampler
    data = list(range(n))
    for rank in range(replicas):
        ours = DistributedSampler(data, num_replicas=replicas, rank=rank, shuffle=False,
                                  drop_last=drop_last)
        theirs = TorchSampler(data, num_replicas=replicas, rank=rank, shuffle=False,
                              drop_last=drop_last)
        assert list(ours) == list(theirs)
        assert len(ours) == len(theirs) == len(list(ours))
        assert (ours.num_samples, ours.total_size) == (theirs.num_samples, theirs.total_size)
    shards = {}
    for epoch in (0, 1):
        every = []
        for rank in range(replicas):
            s = DistributedSampler(data, num_replicas=replicas, rank=rank, seed=3,
                                   drop_last=drop_last)
            s.set_epoch(epoch)
            every.append(list(s))
            assert len(every[-1]) == len(TorchSampler(data, num_replicas=replicas, rank=rank,
                                                      drop_last=drop_last))
        # interleaving the shards back gives one permutation, padded from its start or cut
        woven = [every[k % replicas][k // replicas] for k in range(len(every[0]) * replicas)]
        perm = gradlab.randperm(n, generator=gradlab.Generator().manual_seed(3 + epoch)).tolist()
        padded = (perm * (1 + len(woven) // max(n, 1)))[:len(woven)]
        assert woven == padded
        if not drop_last:
            assert sorted(set(woven)) == data
        shards[epoch] = every
    if n > 2 and len(shards[0][0]) > 0:
        assert shards[0] != shards[1]


def test_sync_batchnorm_backward_across_ranks_matches_finite_differences():
    """SyncBatchNorm's backward on 2 ranks (input, weight, bias) against central differences of
    the loss summed over the ranks, float64 (the worker asserts max error < 1e-7)."""
    _ok("syncbn_gradcheck")


def test_sync_batchnorm_alone_is_batchnorm_and_converts_as_torch():
    """Without a process group SyncBatchNorm is BatchNorm (outputs, gradients, running
    statistics); convert_sync_batchnorm replaces BatchNorm1d/2d at any depth keeping their
    tensors, as torch's (same repr)."""
    import torch

    from gradlab import nn

    def build(lib):
        lib.manual_seed(0)
        return lib.nn.Sequential(lib.nn.Conv2d(1, 2, 3), lib.nn.BatchNorm2d(2),
                                 lib.nn.Sequential(lib.nn.Flatten(), lib.nn.BatchNorm1d(18)))

    ours, theirs = build(gradlab), build(torch)
    ours.load_state_dict({k: gradlab.from_numpy(v.detach().numpy().copy())
                          for k, v in theirs.state_dict().items()})
    bn = ours[1]
    conv_ours = nn.SyncBatchNorm.convert_sync_batchnorm(ours)
    conv_theirs = torch.nn.SyncBatchNorm.convert_sync_batchnorm(theirs)
    assert repr(conv_ours) == repr(conv_theirs)
    assert conv_ours[1].weight is bn.weight and conv_ours[1].running_mean is bn.running_mean
    x = np.random.default_rng(0).standard_normal((4, 1, 5, 5))
    xo = gradlab.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True, dtype=torch.float32)
    conv_theirs.float()
    yo, yt = conv_ours(xo.float()), conv_theirs(xt)
    np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-5)
    (yo * yo).sum().backward()
    (yt * yt).sum().backward()
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-5)
    for (k, a), b in zip(conv_ours.state_dict().items(), conv_theirs.state_dict().values()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6, err_msg=k)
    with pytest.raises(ValueError, match="SyncBatchNorm: expected at least 2D input"):
        nn.SyncBatchNorm(3)(gradlab.ones(3))


def test_cli_train_nproc_relaunches_under_mpiexec_and_rank_0_writes(tmp_path):
    """gradlab train --nproc 2 --hostfile F: one log (rank 0's), one set of files, a
    checkpoint with the single-process keys that a plain model loads."""
    hosts = tmp_path / "hosts"
    hosts.write_text("localhost:2\n")
    out_dir = tmp_path / "run"
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("GRADLAB_TRAIN_NPROC", None)
    proc = subprocess.run(
        [sys.executable, "-m", "gradlab", "train", "--model", "mlp", "--epochs", "1",
         "--nproc", "2", "--hostfile", str(hosts), "--out", str(out_dir), "--no-plot",
         "--seed", "3"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert " -n 2 -f " + str(hosts) in lines[0] and "--seed 3" in lines[0]
    assert "--nproc" not in lines[0]
    assert sum(ln.startswith("test accuracy") for ln in lines) == 1
    assert "2 MPI ranks" in proc.stdout
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "best.safetensors", "history.csv", "last.safetensors", "metrics.json"]
    from gradlab.train import load_checkpoint, recipes

    state = load_checkpoint(str(out_dir / "last.safetensors"))["model"]
    model = recipes.build_model("mlp", "digits", 10)
    model.load_state_dict(state)
    assert not any(k.startswith("module.") for k in state)


def test_cli_train_nproc_refusals():
    import contextlib
    import io

    from gradlab.cli import main

    for argv, text in ((["--nproc", "0"], "--nproc must be >= 1, got 0"),
                       (["--hostfile", "nowhere"], "--hostfile needs --nproc N"),
                       (["--nproc", "2", "--hostfile", "/no/such/file"],
                        "--hostfile /no/such/file does not exist")):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            code = main(["train", "--epochs", "1"] + argv)
        assert code == 2
        assert text in err.getvalue()
