"""gradlab vs PyTorch on one training epoch of LeNet-5 (28x28) with a DataLoader.

Work: 6,000 synthetic 1x28x28 float32 images with labels 0-9 (an MNIST-like epoch at a tenth
of MNIST's size), batch 64, shuffled, SGD (lr 0.01, momentum 0.9), cross-entropy, the running
loss read every batch (``loss.item()``). Cases, each one epoch per timed step:

* ``fit``: gradlab's ``Trainer.fit`` (gradlab.utils.data.DataLoader, gradlab.optim.SGD) vs the
  hand-written loop in torch (torch.utils.data.DataLoader, torch.optim.SGD);
* ``manual loop``: the same hand-written loop in gradlab, so the Trainer's own cost shows as the
  difference between the two gradlab rows;
* ``loader only``: iterating the DataLoader alone (the data pipeline's share of an epoch), in
  each library.

The torch model is built from the same source file as gradlab's zoo (``gradlab/models/lenet.py``
run with ``torch.nn``) and starts from the same weights. Before timing, one unshuffled epoch in
each library from the same start must give the same per-batch losses (float32 tolerance) and
the same epoch loss: the timed work is the same.

Run: ``python benchmarks/bench_train.py [--quick] [--json PATH]``. A sample is one epoch (a
second or more), so this script defaults to ``--settle-ms 0 --retries 1`` (see DEFAULTS):
about 8 minutes with --quick on the 2-core development machines, more when they are busy.
"""

from __future__ import annotations

import sys

import numpy as np
import torch

import gradlab as gl
from gradlab import models
from gradlab.train import LambdaCallback, Trainer
from gradlab.utils.data import DataLoader, TensorDataset

try:
    from bench_conv import torch_twin
    from harness import Case, main
except ImportError:  # run as a module: python -m benchmarks.bench_train
    from benchmarks.bench_conv import torch_twin
    from benchmarks.harness import Case, main

N, BATCH, LR, MOMENTUM = 6000, 64, 0.01, 0.9
CHECK_BATCHES = 5


def make_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.random((N, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, N)
    return x, y


def make_pair(shuffle: bool = True):
    """Twin models (same weights), optimizers and loaders in gradlab and torch."""
    torch.manual_seed(0)  # the twin's initial weights, copied into gradlab's model
    x, y = make_data()
    t_model = torch_twin("lenet", "LeNet5", input_size=28, classic=False)
    g_model = models.LeNet5(input_size=28, classic=False)
    g_model.load_state_dict({k: v.detach().numpy() for k, v in t_model.state_dict().items()})
    g_loader = DataLoader(TensorDataset(gl.tensor(x), gl.tensor(y)), batch_size=BATCH,
                          shuffle=shuffle)
    t_loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y)), batch_size=BATCH,
        shuffle=shuffle)
    g_opt = gl.optim.SGD(g_model.parameters(), lr=LR, momentum=MOMENTUM)
    t_opt = torch.optim.SGD(t_model.parameters(), lr=LR, momentum=MOMENTUM)
    return (g_model, g_opt, g_loader), (t_model, t_opt, t_loader)


def loop_epoch(lib, model, opt, loader, losses: list | None = None) -> float:
    """One epoch of the hand-written loop; ``lib`` is ``gl`` or ``torch`` (the same API)."""
    loss_fn = lib.nn.CrossEntropyLoss()
    model.train()
    total, n = 0.0, 0
    for xb, yb in loader:
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        v = loss.item()
        if losses is not None:
            losses.append(v)
        total += v * yb.shape[0]
        n += yb.shape[0]
    return total / n


def check_same_work() -> tuple[list, float, float]:
    """One unshuffled epoch from the same start in each library, through gradlab's fit and
    torch's loop: the first batches' losses agree at float32 tolerance, and so does the
    epoch's mean loss (the runs drift apart slowly by float32 rounding over 94 steps)."""
    (gm, go, gload), (tm, to, tload) = make_pair(shuffle=False)
    t_losses: list[float] = []
    t_mean = loop_epoch(torch, tm, to, tload, t_losses)
    g_losses: list[float] = []
    record = LambdaCallback(on_batch_end=lambda t, i, logs: g_losses.append(logs["loss"]))
    h = Trainer(gm, gl.nn.CrossEntropyLoss(), go, callbacks=[record]).fit(gload)
    g_mean = h[0]["train_loss"]
    assert len(g_losses) == len(t_losses) == -(-N // BATCH)
    first = list(zip(g_losses[:CHECK_BATCHES], t_losses[:CHECK_BATCHES]))
    for i, (a, b) in enumerate(first):
        assert np.isclose(a, b, rtol=1e-5, atol=1e-6), f"batch {i}: gradlab {a} vs torch {b}"
    assert np.isclose(g_mean, t_mean, rtol=1e-3), f"epoch loss: gradlab {g_mean} vs {t_mean}"
    return first, g_mean, t_mean


def cases() -> list[Case]:
    first, g_mean, t_mean = check_same_work()
    print("same work: one unshuffled epoch from the same weights, first batch losses "
          "(gradlab / torch): " + ", ".join(f"{a:.6f}/{b:.6f}" for a, b in first)
          + f"; epoch loss {g_mean:.6f} / {t_mean:.6f}")

    (gm, go, gload), (tm, to, tload) = make_pair()
    trainer = Trainer(gm, gl.nn.CrossEntropyLoss(), go)

    def g_fit():
        trainer.fit(gload, epochs=trainer.epoch + 1)
        return trainer.history[-1]["train_loss"]

    def t_epoch():
        return loop_epoch(torch, tm, to, tload)

    (gm2, go2, gload2), (tm2, to2, tload2) = make_pair()

    def g_loop():
        return loop_epoch(gl, gm2, go2, gload2)

    def t_loop():
        return loop_epoch(torch, tm2, to2, tload2)

    def g_iter():
        n = 0
        for _, yb in gload:
            n += yb.shape[0]
        return n

    def t_iter():
        n = 0
        for _, yb in tload:
            n += yb.shape[0]
        return n

    return [
        # shuffled orders differ between the libraries: checked above on a fixed order
        Case(f"LeNet-5 epoch {N} x 1x28x28 b{BATCH}: fit vs torch loop", g_fit, t_epoch,
             check=False),
        Case("  same, gradlab manual loop vs torch loop", g_loop, t_loop, check=False),
        Case(f"  loader only: {N} samples b{BATCH} shuffled", g_iter, t_iter),
    ]


def report(results, args) -> None:
    by_name = {r.name.strip().split(":")[0]: r for r in results}
    epoch = next((r for r in results if r.name.startswith("LeNet-5")), None)
    loop = by_name.get("same, gradlab manual loop vs torch loop")
    loader = next((r for r in results if "loader only" in r.name), None)
    if epoch is not None:
        print(f"epoch: gradlab fit {epoch.gradlab_ms / 1e3:.2f} s, torch loop "
              f"{epoch.torch_ms / 1e3:.2f} s: gradlab / torch = {epoch.ratio:.2f}")
    if epoch is not None and loop is not None:
        print(f"Trainer overhead: fit {epoch.gradlab_ms:.0f} ms vs gradlab manual loop "
              f"{loop.gradlab_ms:.0f} ms per epoch ({epoch.gradlab_ms / loop.gradlab_ms - 1:+.1%},"
              " within noise when small)")
    if loader is not None and epoch is not None:
        print(f"data pipeline: gradlab {loader.gradlab_ms:.1f} ms per epoch "
              f"({loader.gradlab_ms / epoch.gradlab_ms:.1%} of its epoch), torch "
              f"{loader.torch_ms:.1f} ms ({loader.torch_ms / epoch.torch_ms:.1%} of its epoch); "
              f"gradlab / torch = {loader.ratio:.2f}")


#: defaults for epoch-long samples, before the command line (which overrides them): no
#: untimed settling run before each sample (it would be a whole extra epoch; the other
#: library's spinning threads cost ~0.1 s, a few percent of an epoch) and one retry
DEFAULTS = ["--settle-ms", "0", "--retries", "1"]

if __name__ == "__main__":
    main(cases, "gradlab vs torch: one LeNet-5 training epoch with a DataLoader (float32)",
         argv=DEFAULTS + sys.argv[1:], after=report)
