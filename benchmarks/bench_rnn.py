"""gradlab vs PyTorch on one training step of an LSTM and a GRU.

Input 32, hidden 128, length 50, batch 32 (time-major), one layer; the loss is the mean squared
error of a linear head on the last output; plain SGD on raw parameters. Both libraries start
from the same weights (torch's state_dict loaded into gradlab) and data. Target (the issue):
gradlab's step <= 2.5x torch's.

Before timing, both train fresh copies for a few steps and the losses must agree to float32
tolerance (an assert): the timed work is really the same.

Run: ``python benchmarks/bench_rnn.py [--quick] [--json PATH]``.
"""

from __future__ import annotations

import numpy as np
import torch

import gradlab as gl
import gradlab.nn as gnn

try:
    from harness import Case, main
except ImportError:  # run as a module: python -m benchmarks.bench_rnn
    from benchmarks.harness import Case, main

INPUT, HIDDEN, LENGTH, BATCH = 32, 128, 50, 32
LR = 0.05
TARGET = 2.5
CHECK_STEPS = 3


def setup(kind: str, seed: int = 0):
    """A torch layer, a gradlab layer with its weights, heads, data."""
    torch.manual_seed(seed)
    tm = getattr(torch.nn, kind)(INPUT, HIDDEN)
    gm = getattr(gnn, kind)(INPUT, HIDDEN)
    gm.load_state_dict({k: v.detach().numpy().copy() for k, v in tm.state_dict().items()})
    rng = np.random.default_rng(seed)
    head = (rng.standard_normal((HIDDEN, 1)) / np.sqrt(HIDDEN)).astype(np.float32)
    x = rng.standard_normal((LENGTH, BATCH, INPUT), dtype=np.float32)
    y = rng.standard_normal((BATCH, 1), dtype=np.float32)
    return gm, tm, head, x, y


def gradlab_step_fn(gm, head, x, y):
    params = list(gm.parameters())
    wh = gl.tensor(head.copy(), requires_grad=True)
    params.append(wh)
    xg, yg = gl.tensor(x), gl.tensor(y)

    def step():
        out, _ = gm(xg)
        loss = ((out[-1] @ wh - yg) ** 2).mean()
        loss.backward()
        with gl.no_grad():
            for p in params:
                p -= LR * p.grad
                p.grad = None
        return loss

    return step


def torch_step_fn(tm, head, x, y):
    params = list(tm.parameters())
    wh = torch.tensor(head.copy(), requires_grad=True)
    params.append(wh)
    xt, yt = torch.tensor(x), torch.tensor(y)

    def step():
        out, _ = tm(xt)
        loss = ((out[-1] @ wh - yt) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
                p.grad = None
        return loss

    return step


def check_same_training(kind: str) -> list[tuple[float, float]]:
    gm, tm, head, x, y = setup(kind)
    gs, ts = gradlab_step_fn(gm, head, x, y), torch_step_fn(tm, head, x, y)
    losses = []
    for i in range(CHECK_STEPS):
        lg, lt = float(gs().item()), float(ts().item())
        losses.append((lg, lt))
        assert np.isclose(lg, lt, rtol=1e-4, atol=1e-6), \
            f"{kind} step {i}: gradlab loss {lg!r} != torch loss {lt!r}"
    for (n, a), (_, b) in zip(gm.named_parameters(), tm.named_parameters()):
        np.testing.assert_allclose(a.array, b.detach().numpy(), rtol=1e-4, atol=1e-5,
                                   err_msg=f"{kind} {n} after {CHECK_STEPS} steps")
    return losses


def cases() -> list[Case]:
    out = []
    for kind in ("LSTM", "GRU"):
        losses = check_same_training(kind)
        print(f"same work ({kind}): {len(losses)} SGD steps from the same start, losses agree "
              "(gradlab / torch): " + ", ".join(f"{a:.6f}/{b:.6f}" for a, b in losses))
        gm, tm, head, x, y = setup(kind)
        out.append(Case(f"{kind.lower()} in{INPUT} h{HIDDEN} T{LENGTH} b{BATCH} step",
                        gradlab_step_fn(gm, head, x, y), torch_step_fn(tm, head, x, y),
                        rtol=1e-4, atol=1e-6))
    return out


def report(results, args) -> None:
    for r in results:
        verdict = "meets" if r.ratio <= TARGET else "MISSES"
        print(f"target: {r.name.split()[0]} step <= {TARGET}x torch: ratio {r.ratio:.2f} -> "
              f"{verdict} the target")


if __name__ == "__main__":
    main(cases, f"gradlab vs torch: LSTM / GRU training step (input {INPUT}, hidden {HIDDEN}, "
                f"length {LENGTH}, batch {BATCH}, SGD, float32)", after=report)
