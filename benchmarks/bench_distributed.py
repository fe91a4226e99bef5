"""Data-parallel training on MPI ranks: time per step, speed-up of N ranks over one process,
and the communication each step costs.

Work: SGD steps (lr 0.01, momentum 0.9, cross-entropy) of two zoo models on the bundled digits
(as the ``gradlab train`` recipes feed them), global batch 256 (``--batch``), one BLAS thread
per process:

* ``lenet5``: ``recipes.build_model("lenet5", "digits")`` (1x28x28, 61,706 parameters);
* ``mlp``: ``recipes.build_model("mlp", "digits")`` (64-512-10 on the 8x8 images, dropout 0.3;
  38,410 parameters).

Rows: ``1 process`` is a plain loop (no DistributedDataParallel) on the global batch; ``N
ranks`` is ``mpiexec -n N`` with DistributedDataParallel, each rank a global batch / N shard.
Per row: median seconds per step over ``--steps`` timed steps (after 3 warm-up steps), the
speed-up over one process, the bytes each rank all-reduces per step (the gradient buckets: the
parameters' size), the seconds per step spent waiting for the buckets after backward, and the
time of one blocking all-reduce of a buffer that size alone. A last line gives the cost of the
cross-rank signature check of the public collectives (``all_reduce`` of 4 floats with and
without ``GRADLAB_DISTRIBUTED_CHECKS=0``).

Run: ``python benchmarks/bench_distributed.py [--nproc 2] [--steps 20] [--batch 256]``
(it launches its ranks itself with the mpiexec next to this Python). On a machine with fewer
idle cores than ranks the ranks share cores and the speed-up falls below N; the figures say
what the machine allowed when they ran.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def _data(model: str, n: int):
    import gradlab
    from gradlab.train import recipes

    splits = recipes.load_data("digits", model, val_fraction=0.0, seed=0)
    xs, ys = [], []
    for i in range(n):
        x, y = splits.train[i % len(splits.train)]
        xs.append(x.numpy())
        ys.append(int(y))
    return gradlab.from_numpy(np.stack(xs)), gradlab.from_numpy(np.array(ys, dtype=np.int64))


def worker(model_name: str, batch: int, steps: int, plain: bool) -> dict:
    import gradlab
    from gradlab import backend, nn
    from gradlab.train import recipes

    with backend.num_threads(1):
        rank, size = 0, 1
        if not plain:
            import gradlab.distributed as dist

            dist.init_process_group("mpi")
            rank, size = dist.get_rank(), dist.get_world_size()
        per = batch // size
        x, y = _data(model_name, batch)
        x, y = x[rank * per:(rank + 1) * per], y[rank * per:(rank + 1) * per]
        gradlab.manual_seed(0)
        model = recipes.build_model(model_name, "digits", 10)
        net = model if plain else nn.parallel.DistributedDataParallel(model)
        opt = gradlab.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        loss_fn = nn.CrossEntropyLoss()
        times, waits = [], []
        ddp_finish = None if plain else net._finish
        wait = [0.0]
        if not plain:
            def timed_finish():
                t = time.perf_counter()
                ddp_finish()
                wait[0] += time.perf_counter() - t
            net._finish = timed_finish
        for s in range(steps + 3):
            if not plain:
                dist.barrier()
            wait[0] = 0.0
            t0 = time.perf_counter()
            opt.zero_grad()
            loss_fn(net(x), y).backward()
            opt.step()
            if s >= 3:
                times.append(time.perf_counter() - t0)
                waits.append(wait[0])
        out = {"step_s": statistics.median(times)}
        nbytes = sum(p.array.nbytes for p in model.parameters())
        out["bytes"] = 0 if plain else nbytes
        if not plain:
            out["wait_s"] = statistics.median(waits)
            out["buckets"] = len(net._buckets)
            from gradlab.distributed.distributed_c10d import _allreduce_sum

            buf = np.ones(nbytes // 4, dtype=np.float32)
            ts = []
            for _ in range(10):
                dist.barrier()
                t = time.perf_counter()
                _allreduce_sum(buf)
                ts.append(time.perf_counter() - t)
            out["allreduce_s"] = statistics.median(ts)
            small = gradlab.ones(4)
            for checks in ("1", "0"):
                os.environ["GRADLAB_DISTRIBUTED_CHECKS"] = checks
                ts = []
                for _ in range(200):
                    t = time.perf_counter()
                    dist.all_reduce(small)
                    ts.append(time.perf_counter() - t)
                out[f"small_allreduce_checks{checks}_s"] = statistics.median(ts)
            # every rank ran the same number of steps; report rank 0's figures
            dist.barrier()
        return out if rank == 0 else {}


def _mpiexec() -> str:
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return here if os.path.exists(here) else (shutil.which("mpiexec") or "mpiexec")


def _run(args: list, n: int | None) -> dict:
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cmd = [sys.executable, os.path.abspath(__file__)] + args
    if n is not None:
        cmd = [_mpiexec(), "-n", str(n)] + cmd
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stdout}{out.stderr}")
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(out.stdout + out.stderr)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--nproc", type=int, default=2)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--worker", nargs=3, metavar=("MODEL", "MODE", "X"), help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.worker:
        model, mode, _ = a.worker
        res = worker(model, a.batch, a.steps, mode == "plain")
        if res:
            print("RESULT " + json.dumps(res), flush=True)
        return
    print(f"global batch {a.batch}, {a.steps} timed steps, 1 BLAS thread per process, "
          f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}")
    print(f"{'model':8} {'run':12} {'s/step':>8} {'speed-up':>8} {'bytes/step':>11} "
          f"{'buckets':>7} {'wait s':>8} {'allreduce s':>11}")
    small = None
    for model in ("lenet5", "mlp"):
        extra = ["--batch", str(a.batch), "--steps", str(a.steps), "--worker", model]
        one = _run(extra + ["plain", "x"], None)
        many = _run(extra + ["ddp", "x"], a.nproc)
        print(f"{model:8} {'1 process':12} {one['step_s']:8.4f} {1.0:8.2f} {0:11,d} "
              f"{'':>7} {'':>8} {'':>11}")
        print(f"{model:8} {f'{a.nproc} ranks':12} {many['step_s']:8.4f} "
              f"{one['step_s'] / many['step_s']:8.2f} {many['bytes']:11,d} "
              f"{many['buckets']:7d} {many['wait_s']:8.4f} {many['allreduce_s']:11.5f}")
        small = many
    print(f"all_reduce of 4 floats on {a.nproc} ranks: "
          f"{small['small_allreduce_checks1_s'] * 1e6:.0f} us with the signature check, "
          f"{small['small_allreduce_checks0_s'] * 1e6:.0f} us without "
          "(GRADLAB_DISTRIBUTED_CHECKS=0)")


if __name__ == "__main__":
    main()
