"""Residual connections vs plain stacks: the degradation problem (seed 004 §1.8, He et al.
2016): a deeper plain net reaches a HIGHER training loss than a shallower one, which is not
overfitting; the same net with identity shortcuts does not degrade. Also the gradient norm at
the first layer of each.

The nets are MLPs on Digits built like the literature's degradation setting (He et al. 2016,
Fig. 1 and 4: BatchNorm after every weight layer, ReLU, SGD with momentum): a stem
``Linear(64, 32) + ReLU``, then ``B`` blocks of two ``Linear(32, 32) + BatchNorm1d`` layers,
then ``Linear(32, 10)``; depth = 2B + 2 weight layers. A block is
``relu(x + BN(W2 relu(BN(W1 x))))`` with the shortcut and ``relu(BN(W2 relu(BN(W1 x))))``
without: the same parameters, the same start.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import gradlab
from gradlab import nn
from gradlab.datasets import Digits
from gradlab.lab.experiment import (
    CAVEATS,
    FAILS,
    HOLDS,
    Experiment,
    Measurement,
    Verdict,
    new_figure,
    png,
)
from gradlab.nn import functional as F

_WIDTH = 32


class Block(nn.Module):
    """Two ``Linear + BatchNorm1d`` layers, ``relu(x + F(x))`` with the identity shortcut
    (``residual=True``, He et al. 2016 eq. 1) or ``relu(F(x))`` without.

    Shape: (N, width) -> (N, width).
    """

    def __init__(self, width: int, residual: bool) -> None:
        super().__init__()
        self.residual = residual
        self.fc1, self.bn1 = nn.Linear(width, width), nn.BatchNorm1d(width)
        self.fc2, self.bn2 = nn.Linear(width, width), nn.BatchNorm1d(width)

    def forward(self, x):
        h = self.bn2(self.fc2(F.relu(self.bn1(self.fc1(x)))))
        return F.relu(x + h if self.residual else h)


def _net(blocks: int, residual: bool) -> nn.Sequential:
    return nn.Sequential(nn.Linear(64, _WIDTH), nn.ReLU(),
                         *[Block(_WIDTH, residual) for _ in range(blocks)],
                         nn.Linear(_WIDTH, 10))


def _train(blocks: int, residual: bool, x, y, steps: int, seed: int) -> dict[str, Any]:
    """SGD (lr 0.02, momentum 0.9, batch 128) from a start fixed by ``seed`` and ``blocks``;
    the batches are the same for the plain and the residual net. Returns the batch-loss curve,
    the final training loss over the whole training set (eval mode), and the first layer's
    gradient norm at the first step and averaged over training."""
    gradlab.manual_seed(10_000 * seed + blocks)
    model = _net(blocks, residual)
    opt = gradlab.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
    rng = np.random.default_rng(seed)
    curve, gnorm = [], []
    model.train()
    for _ in range(steps):
        idx = gradlab.tensor(rng.integers(0, len(y), size=128))
        loss = F.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        gnorm.append(float(np.linalg.norm(model[0].weight.grad.numpy())))
        opt.step()
        curve.append(float(loss.item()))
    model.eval()
    with gradlab.no_grad():
        final = float(F.cross_entropy(model(x), y).item())
    return {"curve": curve, "final": final, "grad0": gnorm[0],
            "grad_mean": float(np.mean(gnorm))}


class Residual(Experiment):
    """Final training loss and first-layer gradient norm of plain and residual BatchNorm MLPs
    on Digits at growing depth."""

    id = "residual-degradation"
    title = "Degradation: deeper plain nets train worse, residual nets do not"
    seed_ref = "seed 004 §1.8"
    claim = ("As plain networks get deeper, the training loss first falls, then saturates and "
             "then rises (degradation, not overfitting); residual networks, which learn "
             "F(x) = h(x) - x and add the identity, do not degrade and pass the gradient "
             "directly to shallow layers.")
    claim_zh = ("随着网络层数的增多，训练集loss逐渐下降，然后趋于饱和，当你再增加网络深度的话，"
                "训练集loss反而会增大。注意这并不是过拟合，因为在过拟合中训练loss是一直减小的。")
    protocol = ("MLPs on the 1,438 Digits training images: stem Linear(64, 32) + ReLU, B blocks "
                "of two Linear(32, 32) + BatchNorm1d layers, head Linear(32, 10); depth 2B + 2 "
                "(quick: 4 and 18; full: 4, 10, 18, 34). Each depth plain and with identity "
                "shortcuts (relu(x + F(x))), same start and batches; SGD lr 0.02, momentum 0.9, "
                "batch 128, 100 steps (full: 300). Final training cross-entropy on the whole "
                "training set (eval mode); first-layer gradient norm at the first step.")
    thresholds = {
        "degradation_margin": 0.1,   # nats: deepest minus shallowest final training loss
    }
    seed_error = ("Seed 004 §1.8 says BatchNorm keeps the gradient stable through the layers "
                  "(BN层能对各层的输出做归一化，这样梯度在反向层层传递后仍能保持大小稳定，"
                  "不会出现过小或过大的情况). A stack of BatchNorm layers does not: in a deep "
                  "plain net with BatchNorm after every layer the gradient at initialization "
                  "grows towards the input with depth (Yang et al. 2019, 'A mean field theory "
                  "of batch normalization'); grad_ratio_plain measures it here (deepest over "
                  "shallowest first-layer gradient norm), grad_ratio_residual the same with "
                  "identity shortcuts.")

    def measure(self, seed: int, quick: bool) -> Measurement:
        tr = Digits(train=True)
        x, y = tr.data.reshape(len(tr), 64), tr.targets
        blocks, steps = ([1, 8], 100) if quick else ([1, 4, 8, 16], 300)
        runs = {(b, res): _train(b, res, x, y, steps, seed)
                for b in blocks for res in (False, True)}
        depths = [2 * b + 2 for b in blocks]
        plain = [runs[(b, False)] for b in blocks]
        resid = [runs[(b, True)] for b in blocks]
        numbers: dict[str, Any] = {
            "depths": depths, "steps": steps,
            "plain_final_loss": [r["final"] for r in plain],
            "residual_final_loss": [r["final"] for r in resid],
            "plain_grad0": [r["grad0"] for r in plain],
            "residual_grad0": [r["grad0"] for r in resid],
            "plain_grad_mean": [r["grad_mean"] for r in plain],
            "residual_grad_mean": [r["grad_mean"] for r in resid],
        }
        numbers["plain_degradation"] = plain[-1]["final"] - plain[0]["final"]
        numbers["residual_degradation"] = resid[-1]["final"] - resid[0]["final"]
        numbers["grad_ratio_plain"] = plain[-1]["grad0"] / plain[0]["grad0"]
        numbers["grad_ratio_residual"] = resid[-1]["grad0"] / resid[0]["grad0"]

        fig, ax = new_figure(width=5.5)
        colors = ["tab:blue", "tab:orange", "tab:green", "tab:red"]
        k = 10
        for i, d in enumerate(depths):
            for res, ls in ((False, "--"), (True, "-")):
                c = np.convolve(runs[(blocks[i], res)]["curve"], np.ones(k) / k, mode="valid")
                ax.plot(np.arange(k, steps + 1), c, ls, color=colors[i % 4],
                        label=f"{d} layers, {'residual' if res else 'plain'}")
        ax.set_yscale("log")
        ax.set_xlabel("SGD step")
        ax.set_ylabel(f"training loss (batch, mean of {k})")
        ax.set_title("Digits MLPs with BatchNorm")
        ax.legend(fontsize=7, ncol=2)
        f1 = png(fig, "training_curves",
                 "Training loss per step: plain (dashed) and residual (solid) nets of each "
                 "depth.")

        fig, (a1, a2) = new_figure(ncols=2)
        a1.plot(depths, numbers["plain_final_loss"], "o--", label="plain")
        a1.plot(depths, numbers["residual_final_loss"], "s-", label="residual")
        a1.set_yscale("log")
        a1.set_xlabel("depth (weight layers)")
        a1.set_ylabel("final training loss (whole set)")
        a1.legend(fontsize=7)
        a2.plot(depths, numbers["plain_grad0"], "o--", label="plain")
        a2.plot(depths, numbers["residual_grad0"], "s-", label="residual")
        a2.set_yscale("log")
        a2.set_xlabel("depth (weight layers)")
        a2.set_ylabel("first-layer gradient norm, step 1")
        a2.legend(fontsize=7)
        f2 = png(fig, "depth",
                 "Final training loss and first-layer gradient norm at the start against "
                 "depth.")
        return Measurement(numbers, [f1, f2])

    def judge(self, n: dict[str, Any]) -> Verdict:
        m = self.thresholds["degradation_margin"]
        plain_degrades = n["plain_degradation"] > m
        resid_degrades = n["residual_degradation"] > m
        if not plain_degrades:
            verdict = FAILS       # no degradation to cure
        elif resid_degrades:
            verdict = CAVEATS     # degradation, but the shortcuts do not remove it
        else:
            verdict = HOLDS
        d0, d1 = n["depths"][0], n["depths"][-1]
        pl, rs = n["plain_final_loss"], n["residual_final_loss"]
        explanation = (
            f"Plain: the {d1}-layer net ends at a training loss of {pl[-1]:.3f} vs {pl[0]:.3f} "
            f"for {d0} layers (+{n['plain_degradation']:.3f} nats; degradation means "
            f"> {m:g}); residual: {rs[-1]:.3f} vs {rs[0]:.3f} "
            f"({n['residual_degradation']:+.3f}). "
            f"So the deeper plain net "
            f"{'trains worse' if plain_degrades else 'does not train worse'} and the residual "
            f"net {'also degrades' if resid_degrades else 'does not'}. "
            f"At the first step the first layer's gradient norm is {n['plain_grad0'][-1]:.3g} "
            f"({n['grad_ratio_plain']:.1f}x the {d0}-layer net's) in the plain net and "
            f"{n['residual_grad0'][-1]:.3g} ({n['grad_ratio_residual']:.1f}x) with shortcuts"
            + (": with BatchNorm the plain stack's gradient grows with depth rather than "
               "vanishing." if n["grad_ratio_plain"] > 1 else "."))
        key = (f"{d1} vs {d0} layers: plain +{n['plain_degradation']:.2f} nats, residual "
               f"{n['residual_degradation']:+.2f}")
        return Verdict(verdict, explanation, key)


EXPERIMENT = Residual()
