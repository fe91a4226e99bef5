"""gradlab vs PyTorch on convolutions and full CNN training steps (float32, same weights).

Cases: Conv2d forward+backward at LeNet-5 and ResNet-block shapes, and one SGD training step of
LeNet-5 (batch 64, 1x28x28) and ResNet-20 (batch 32, 3x32x32). Targets (the nn issue):
LeNet-5 step <= 2.0x torch, ResNet-20 step <= 2.5x torch.

The torch models are built from the same source files as gradlab's zoo (``gradlab/models``),
executed with ``torch.nn`` in place of ``gradlab.nn``, and start from the same weights.

Run: ``python benchmarks/bench_conv.py [--quick] [--json PATH]``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

import gradlab as gl
import gradlab.nn.functional as GF
from gradlab import models

try:
    from harness import Case, main
except ImportError:  # run as a module: python -m benchmarks.bench_conv
    from benchmarks.harness import Case, main

LR = 0.01
TARGETS = {"LeNet-5": 2.0, "ResNet-20": 2.5}


def torch_twin(file: str, ctor: str, **kwargs):
    """The zoo model ``ctor`` from gradlab/models/<file>.py, built with torch.nn."""
    src = (Path(models.__file__).parent / f"{file}.py").read_text()
    src = (src.replace("from .. import nn", "import torch.nn as nn")
              .replace("from ..nn import functional as F", "import torch.nn.functional as F"))
    ns: dict = {"__name__": "torch_twin"}
    exec(compile(src, f"torch_twin/{file}.py", "exec"), ns)
    return ns[ctor](**kwargs)


def conv_case(name: str, n: int, c: int, hw: int, o: int, k: int, stride: int, pad: int):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, c, hw, hw)).astype(np.float32)
    w = (rng.normal(size=(o, c, k, k)) / np.sqrt(c * k * k)).astype(np.float32)
    b = rng.normal(size=o).astype(np.float32)
    xg, wg, bg = (gl.tensor(a, requires_grad=True) for a in (x, w, b))
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))

    def g_step():
        xg.grad = wg.grad = bg.grad = None
        out = GF.conv2d(xg, wg, bg, stride, pad)
        out.sum().backward()
        return out

    def t_step():
        xt.grad = wt.grad = bt.grad = None
        out = torch.nn.functional.conv2d(xt, wt, bt, stride, pad)
        out.sum().backward()
        return out

    return Case(name, g_step, t_step)


def train_case(name: str, g_model, t_model, n: int, c: int, hw: int) -> Case:
    g_model.load_state_dict({k: v.detach().numpy() for k, v in t_model.state_dict().items()})
    g_model.train()
    t_model.train()
    rng = np.random.default_rng(1)
    x = rng.normal(size=(n, c, hw, hw)).astype(np.float32)
    y = rng.integers(0, 10, n)
    xg, yg, xt, yt = gl.tensor(x), gl.tensor(y), torch.tensor(x), torch.tensor(y)
    gp, tp = list(g_model.parameters()), list(t_model.parameters())

    def g_step():
        loss = GF.cross_entropy(g_model(xg), yg)
        loss.backward()
        with gl.no_grad():
            for p in gp:
                p -= LR * p.grad
                p.grad = None
        return loss

    def t_step():
        loss = torch.nn.functional.cross_entropy(t_model(xt), yt)
        loss.backward()
        with torch.no_grad():
            for p in tp:
                p -= LR * p.grad
                p.grad = None
        return loss

    return Case(name, g_step, t_step, rtol=1e-4, atol=1e-5)


def cases() -> list[Case]:
    torch.manual_seed(0)
    gl.manual_seed(0)
    return [
        conv_case("conv LeNet c1 64x1x28x28 -> 6@5x5 pad 2", 64, 1, 28, 6, 5, 1, 2),
        conv_case("conv LeNet c3 64x6x14x14 -> 16@5x5", 64, 6, 14, 16, 5, 1, 0),
        conv_case("conv ResNet 32x16x32x32 -> 16@3x3", 32, 16, 32, 16, 3, 1, 1),
        conv_case("conv ResNet 32x32x16x16 -> 64@3x3 s2", 32, 32, 16, 64, 3, 2, 1),
        conv_case("conv ResNet 32x64x8x8 -> 64@3x3", 32, 64, 8, 64, 3, 1, 1),
        train_case("LeNet-5 step b64 1x28x28", models.LeNet5(input_size=28, classic=False),
                   torch_twin("lenet", "LeNet5", input_size=28, classic=False), 64, 1, 28),
        train_case("ResNet-20 step b32 3x32x32", models.resnet20(),
                   torch_twin("resnet", "resnet20"), 32, 3, 32),
    ]


def report(results, args) -> None:
    for r in results:
        for key, target in TARGETS.items():
            if r.name.startswith(key):
                verdict = "meets" if r.ratio <= target else "MISSES"
                print(f"target: {key} step <= {target}x torch: ratio {r.ratio:.2f} -> "
                      f"{verdict} the target")


if __name__ == "__main__":
    main(cases, "gradlab vs torch: convolutions and CNN training steps (float32)", after=report)
