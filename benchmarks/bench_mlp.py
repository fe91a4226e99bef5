"""gradlab vs PyTorch on one full training step of an MLP 784-512-256-10.

ReLU, batch 128, cross-entropy, plain SGD written on raw tensors
(``with no_grad(): w -= lr * w.grad; w.grad = None``), the same initial weights and data in
both libraries. Target (the issue): gradlab's step <= 1.3x torch's.

Before timing, both libraries train fresh copies for a few steps and the losses and weights
must agree to float32 tolerance (an assert): the timed work is really the same.

Run: ``python benchmarks/bench_mlp.py [--quick] [--json PATH]``.
"""

from __future__ import annotations

import numpy as np
import torch

import gradlab as gl
import gradlab.nn.functional as GF

try:
    from harness import Case, main
except ImportError:  # run as a module: python -m benchmarks.bench_mlp
    from benchmarks.harness import Case, main

SIZES = (784, 512, 256, 10)
BATCH = 128
LR = 0.05
TARGET = 1.3
CHECK_STEPS = 5


def init(seed: int = 0):
    """Weights (in, out) with PyTorch's default Linear init bounds, data and labels."""
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        bound = 1 / np.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, (fan_in, fan_out)).astype(np.float32))
        params.append(rng.uniform(-bound, bound, (fan_out,)).astype(np.float32))
    x = rng.standard_normal((BATCH, SIZES[0]), dtype=np.float32)
    y = rng.integers(0, SIZES[-1], size=BATCH).astype(np.int64)
    return params, x, y


def gradlab_step_fn(params: list[np.ndarray], x: np.ndarray, y: np.ndarray):
    ps = [gl.tensor(p.copy(), requires_grad=True) for p in params]
    xg, yg = gl.tensor(x), gl.tensor(y)
    w1, b1, w2, b2, w3, b3 = ps

    def step():
        h = (xg @ w1 + b1).relu()
        h = (h @ w2 + b2).relu()
        loss = GF.cross_entropy(h @ w3 + b3, yg)
        loss.backward()
        with gl.no_grad():
            for p in ps:
                p -= LR * p.grad
                p.grad = None
        return loss

    return step, ps


def torch_step_fn(params: list[np.ndarray], x: np.ndarray, y: np.ndarray,
                  linear: bool = False):
    """The same step in torch; ``linear=True`` uses F.linear (one fused addmm per layer)
    instead of ``x @ w + b``, as nn.Linear would."""
    ps = [torch.tensor(p.copy(), requires_grad=True) for p in params]
    xt, yt = torch.tensor(x), torch.tensor(y)
    w1, b1, w2, b2, w3, b3 = ps
    F = torch.nn.functional

    def layer(h, w, b):
        return F.linear(h, w.t(), b) if linear else h @ w + b

    def step():
        h = layer(xt, w1, b1).relu()
        h = layer(h, w2, b2).relu()
        loss = F.cross_entropy(layer(h, w3, b3), yt)
        loss.backward()
        with torch.no_grad():
            for p in ps:
                p -= LR * p.grad
                p.grad = None
        return loss

    return step, ps


def check_same_training(steps: int = CHECK_STEPS) -> list[tuple[float, float]]:
    """Train fresh copies in both libraries; assert losses and weights agree (float32)."""
    params, x, y = init()
    gs, gps = gradlab_step_fn(params, x, y)
    ts, tps = torch_step_fn(params, x, y)
    losses = []
    for i in range(steps):
        lg, lt = float(gs().item()), float(ts().item())
        losses.append((lg, lt))
        assert np.isclose(lg, lt, rtol=1e-5, atol=1e-6), \
            f"step {i}: gradlab loss {lg!r} != torch loss {lt!r}"
    assert losses[-1][0] < losses[0][0], "the loss did not decrease: no training happened"
    for i, (a, b) in enumerate(zip(gps, tps)):
        assert a.array.dtype == np.float32, f"param {i} is {a.array.dtype}, not float32"
        np.testing.assert_allclose(a.array, b.detach().numpy(), rtol=1e-4, atol=1e-6,
                                   err_msg=f"param {i} after {steps} steps")
    return losses


def cases() -> list[Case]:
    losses = check_same_training()
    print(f"same work: {len(losses)} SGD steps from the same start, losses agree "
          "(gradlab / torch): " + ", ".join(f"{a:.6f}/{b:.6f}" for a, b in losses))
    params, x, y = init()
    gs, _ = gradlab_step_fn(params, x, y)
    ts, _ = torch_step_fn(params, x, y)
    ts_lin, _ = torch_step_fn(params, x, y, linear=True)
    # the losses drift apart after many steps (float32 rounding): only the first is compared
    return [
        Case("mlp 784-512-256-10 b128 step", gs, ts, rtol=1e-5, atol=1e-6),
        Case("  same, torch with F.linear (addmm)", gs, ts_lin, check=False),
    ]


def report(results, args) -> None:
    r = results[0] if results else None
    if r is None or not r.name.startswith("mlp"):
        return
    verdict = "meets" if r.ratio <= TARGET else "MISSES"
    print(f"target: gradlab step <= {TARGET}x torch: ratio {r.ratio:.2f} -> {verdict} the "
          "target")


if __name__ == "__main__":
    main(cases, "gradlab vs torch: MLP 784-512-256-10 training step (batch 128, SGD, float32)",
         after=report)
