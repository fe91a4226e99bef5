"""gradlab vs PyTorch: one optimizer step over ~1M float32 parameters.

The parameters are an MLP's tensors (1024x768, 768x320, 320x10 weights and their biases,
1,036,490 values in 6 tensors) with fixed random gradients; a step is ``optimizer.step()``
alone (no forward or backward). Cases: Adam (defaults) and SGD with momentum 0.9, each
against torch's default CPU implementation (one tensor at a time), and again against torch
with ``foreach=True`` (its multi-tensor kernels) for reference.

Before timing, both libraries step fresh copies a few times and the parameters must agree to
float32 tolerance (an assert): the timed work is really the same.

Run: ``python benchmarks/bench_optim.py [--quick] [--json PATH]``.
"""

from __future__ import annotations

import numpy as np
import torch

import gradlab as gl
import gradlab.optim as gl_optim

try:
    from harness import Case, main
except ImportError:  # run as a module: python -m benchmarks.bench_optim
    from benchmarks.harness import Case, main

SHAPES = [(1024, 768), (768,), (768, 320), (320,), (320, 10), (10,)]
CHECK_STEPS = 5
OPTIMIZERS = {
    "Adam": {"lr": 1e-3},
    "SGD": {"lr": 1e-2, "momentum": 0.9},
}


def init(seed: int = 0) -> tuple[list[np.ndarray], list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    values = [rng.standard_normal(s, dtype=np.float32) for s in SHAPES]
    grads = [rng.standard_normal(s, dtype=np.float32) for s in SHAPES]
    return values, grads


def gradlab_step_fn(name: str, values, grads):
    ps = [gl.tensor(v.copy(), requires_grad=True) for v in values]
    for p, g in zip(ps, grads):
        p.grad = gl.tensor(g.copy())
    opt = getattr(gl_optim, name)(ps, **OPTIMIZERS[name])

    def step():
        opt.step()
        return ps

    return step, ps


def torch_step_fn(name: str, values, grads, foreach: bool | None = None):
    ps = [torch.tensor(v.copy(), requires_grad=True) for v in values]
    for p, g in zip(ps, grads):
        p.grad = torch.tensor(g.copy())
    opt = getattr(torch.optim, name)(ps, foreach=foreach, **OPTIMIZERS[name])

    def step():
        opt.step()
        return ps

    return step, ps


def check_same_work(name: str) -> None:
    values, grads = init()
    gs, gps = gradlab_step_fn(name, values, grads)
    ts, tps = torch_step_fn(name, values, grads)
    for _ in range(CHECK_STEPS):
        gs()
        ts()
    for i, (a, b) in enumerate(zip(gps, tps)):
        assert a.array.dtype == np.float32, f"{name}: param {i} is {a.array.dtype}"
        np.testing.assert_allclose(a.array, b.detach().numpy(), rtol=1e-5, atol=1e-6,
                                   err_msg=f"{name}: param {i} after {CHECK_STEPS} steps")


def cases() -> list[Case]:
    values, grads = init()
    n = sum(v.size for v in values)
    out = []
    for name in OPTIMIZERS:
        check_same_work(name)
        label = f"{name}({', '.join(f'{k}={v}' for k, v in OPTIMIZERS[name].items())})"
        gs, _ = gradlab_step_fn(name, values, grads)
        ts, _ = torch_step_fn(name, values, grads)
        tf, _ = torch_step_fn(name, values, grads, foreach=True)
        out.append(Case(f"{label} step, {n:,} params", gs, ts, rtol=1e-5, atol=1e-6))
        out.append(Case("  same, torch foreach=True", gs, tf, check=False))
    print(f"same work: {CHECK_STEPS} steps of each optimizer from the same start agree "
          "(float32 tolerance)")
    return out


if __name__ == "__main__":
    main(cases, "gradlab vs torch: one optimizer step over ~1M float32 parameters")
