"""Residual connections vs plain stacks: the degradation problem (source 004 §1.8, He et al.
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
    Criterion,
    Experiment,
    Measurement,
    Revision,
    Verdict,
    new_figure,
    perturb,
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


class StackedNet(nn.Module):
    """``starts`` copies of ``_net(blocks, residual)`` trained side by side in one graph.

    Net k's weights are slice k of (starts, in, out) parameters, so one batched matmul runs
    every net; each BatchNorm1d has starts * width channels, one per unit of each net, so each
    net is normalized with its own batch statistics (and keeps its own running statistics)
    exactly as a separate BatchNorm1d would. ``from_nets`` copies the parameters of separate
    nets built by ``_net``, so the starting points are those of the separate nets.

    Shape:
        input (starts, B, 64) -> logits (starts, B, 10).
    """

    def __init__(self, starts: int, blocks: int, residual: bool) -> None:
        super().__init__()
        self.starts, self.blocks, self.residual = starts, blocks, residual
        dims = [(64, _WIDTH)] + [(_WIDTH, _WIDTH)] * (2 * blocks) + [(_WIDTH, 10)]
        self.linears = nn.ModuleList()
        for i, o in dims:
            layer = nn.Module()
            layer.weight = nn.Parameter(gradlab.zeros(starts, i, o))
            layer.bias = nn.Parameter(gradlab.zeros(starts, 1, o))
            self.linears.append(layer)
        self.norms = nn.ModuleList([nn.BatchNorm1d(starts * _WIDTH)
                                    for _ in range(2 * blocks)])

    @classmethod
    def from_nets(cls, nets: list[nn.Sequential], residual: bool) -> StackedNet:
        """The stacked twin of ``nets`` (all built by ``_net`` with the same ``blocks``)."""
        linears = [[m for m in n.modules() if isinstance(m, nn.Linear)] for n in nets]
        bns = [[m for m in n.modules() if isinstance(m, nn.BatchNorm1d)] for n in nets]
        model = cls(len(nets), len(bns[0]) // 2, residual)
        def stack(ts, f):
            return gradlab.tensor(f([t.detach().numpy() for t in ts]))

        with gradlab.no_grad():
            for i, layer in enumerate(model.linears):
                layer.weight.copy_(stack([ls[i].weight for ls in linears],
                                         lambda a: np.stack([w.T for w in a])))
                layer.bias.copy_(stack([ls[i].bias for ls in linears],
                                       lambda a: np.stack([v[None] for v in a])))
            for j, bn in enumerate(model.norms):
                bn.weight.copy_(stack([b[j].weight for b in bns], np.concatenate))
                bn.bias.copy_(stack([b[j].bias for b in bns], np.concatenate))
        return model

    def _linear(self, i: int, h):
        layer = self.linears[i]
        return h @ layer.weight + layer.bias

    def _norm(self, j: int, h):
        k, b, c = h.shape
        flat = h.transpose(0, 1).reshape(b, k * c)
        return self.norms[j](flat).reshape(b, k, c).transpose(0, 1)

    def forward(self, x):
        h = F.relu(self._linear(0, x))
        for blk in range(self.blocks):
            f = F.relu(self._norm(2 * blk, self._linear(1 + 2 * blk, h)))
            f = self._norm(2 * blk + 1, self._linear(2 + 2 * blk, f))
            h = F.relu(h + f if self.residual else f)
        return self._linear(2 * self.blocks + 1, h)


def _per_net_ce(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mean cross-entropy of each net: logits (K, B, 10), labels (K, B) or (B,)."""
    z = logits.astype(np.float64)
    z = z - z.max(-1, keepdims=True)
    lse = np.log(np.exp(z).sum(-1))
    yk = np.broadcast_to(y, z.shape[:2])
    return (lse - np.take_along_axis(z, yk[..., None], -1)[..., 0]).mean(-1)


def _starts(blocks: int, starts: int, seed: int) -> list[nn.Sequential]:
    """The ``starts`` initializations of a depth, drawn in turn from gradlab's stream seeded
    by ``seed`` and ``blocks`` (start 0 is the single start of the earlier protocol)."""
    gradlab.manual_seed(10_000 * seed + blocks)
    return [_net(blocks, False) for _ in range(starts)]


def _train(blocks: int, x, y, steps: int, starts: int, seed: int) -> dict[str, Any]:
    """Plain and residual nets of one depth from the same ``starts`` starts (each perturbed
    by the run's jitter), SGD (lr 0.02, momentum 0.9, batch 128) on the batch sequence of
    ``seed`` (start k's batches are the same at every depth and for both variants).
    Per variant and start: the batch-loss curve, the final training loss over the whole
    training set (eval mode) and the first layer's gradient norm at the first step and
    averaged over the steps."""
    base = perturb(StackedNet.from_nets(_starts(blocks, starts, seed), False))
    order = np.random.default_rng(seed).integers(0, len(y), size=(steps, starts, 128))
    out = {}
    for residual in (False, True):
        model = StackedNet(starts, blocks, residual)
        model.load_state_dict(base.state_dict())
        opt = gradlab.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
        curve, gnorm = [], []
        model.train()
        for idx in order:
            it = gradlab.tensor(idx)
            yb = y[it]
            logits = model(x[it])
            # the sum over nets of each net's mean loss: every net gets its own gradient
            loss = F.cross_entropy(logits.reshape(-1, 10), yb.reshape(-1)) * starts
            opt.zero_grad()
            loss.backward()
            g = model.linears[0].weight.grad.numpy().reshape(starts, -1)
            gnorm.append(np.linalg.norm(g.astype(np.float64), axis=1))
            opt.step()
            curve.append(_per_net_ce(logits.detach().numpy(), yb.numpy()))
        model.eval()
        with gradlab.no_grad():
            final = _per_net_ce(model(x.expand(starts, *x.shape)).numpy(), y.numpy())
        out[residual] = {"curve": np.array(curve), "final": final, "grad0": gnorm[0],
                         "grad_mean": np.mean(gnorm, axis=0)}
    return out


class Residual(Experiment):
    """Final training loss and first-layer gradient norm of plain and residual BatchNorm MLPs
    on Digits at two (full mode: four) depths, each from nine starts; judged on the median
    over starts."""

    id = "residual-degradation"
    title = "Degradation: deeper plain nets train worse, residual nets do not"
    source_ref = "source 004 §1.8"
    claim = ("Past some depth, a deeper plain network reaches a higher training loss than a "
             "shallower one (degradation: it is the training loss, so not overfitting); the "
             "same network with identity shortcuts (residual, learning F(x) = h(x) - x) does "
             "not degrade. Tested on two depths in quick mode: the source's depth curve (first "
             "falls, then saturates, then rises) is not tested.")
    claim_zh = ("随着网络层数的增多，训练集loss逐渐下降，然后趋于饱和，当你再增加网络深度的话，"
                "训练集loss反而会增大。注意这并不是过拟合，因为在过拟合中训练loss是一直减小的。")
    protocol = ("MLPs on the 1,438 Digits training images: stem Linear(64, 32) + ReLU, B blocks "
                "of two Linear(32, 32) + BatchNorm1d layers, head Linear(32, 10); depth 2B + 2 "
                "(quick: 4 and 18; full: 4, 10, 18, 34). Each depth plain and with identity "
                "shortcuts (relu(x + F(x))) from the same 9 starts (inits; start k has its own "
                "batch order, the same at every depth and for both variants), trained side by "
                "side; SGD lr 0.02, momentum 0.9, batch 128, 100 steps (full: 300). Final "
                "training cross-entropy on the whole training set (eval mode); degradation = "
                "deepest minus shallowest, per start; judged on the median over the 9 starts. "
                "First-layer gradient norm at the first step (reported, not judged).")
    thresholds = {
        "degradation_margin": 0.1,   # nats: deepest minus shallowest final training loss
    }
    revisions = (
        Revision(
            date="2026-12-06",
            what="Each depth and variant is trained from 9 starts (inits and batch orders) "
                 "side by side instead of 1, and judged on the median over starts of the "
                 "per-start degradation (deepest minus shallowest final training loss); the "
                 "0.1-nat threshold is unchanged.",
            why="One start is chaotic (SGD with momentum through 18 BatchNorm layers): the "
                "residual degradation of seed 0 was +0.052 on OpenBLAS's SkylakeX kernel and "
                "-0.005 on its Haswell kernel, a swing of 0.057 against a margin of 0.048; "
                "a median over starts is what a 1e-7 difference cannot move across the "
                "threshold. 9 starts is what fits the 8 s quick budget.",
            moved="none",
            effect="holds for seeds 0-2 before (one start) and after (median of 9), on both "
                   "kernels."),
        Revision(
            date="2026-12-06",
            what="The claim is narrowed to what the protocol measures: the source's depth curve "
                 "('first falls, then saturates, then rises') and 'passes the gradient "
                 "directly to shallow layers' are no longer part of the judged claim; the "
                 "gradient norms stay as reported numbers.",
            why="Quick mode compares two depths, and the gradient norms never entered the "
                "verdict; the full mode's depth curve (review: 0.007 / 0.018 / 0.071 / 1.119 "
                "at 4 / 10 / 18 / 34 layers) rises monotonically and never falls.",
            moved="none",
            effect="no verdict changes (the judge never used either part)."),
    )

    #: starts per depth and variant (the median is over these)
    starts = 9

    def measure(self, seed: int, quick: bool) -> Measurement:
        tr = Digits(train=True)
        x, y = perturb(tr.data.reshape(len(tr), 64)), tr.targets
        blocks, steps = ([1, 8], 100) if quick else ([1, 4, 8, 16], 300)
        k = self.starts
        runs = {b: _train(b, x, y, steps, k, seed) for b in blocks}
        depths = [2 * b + 2 for b in blocks]

        def per_depth(res: bool, key: str) -> list[list[float]]:
            return [[float(v) for v in runs[b][res][key]] for b in blocks]

        def med(values) -> float:
            return float(np.median(values))

        numbers: dict[str, Any] = {"depths": depths, "steps": steps, "starts": k}
        for name, res in (("plain", False), ("residual", True)):
            final = per_depth(res, "final")
            grad0 = per_depth(res, "grad0")
            deg = [d - s for d, s in zip(final[-1], final[0])]
            numbers[f"{name}_final_loss_runs"] = final
            numbers[f"{name}_final_loss"] = [med(f) for f in final]
            numbers[f"{name}_degradation_runs"] = deg
            numbers[f"{name}_degradation"] = med(deg)
            numbers[f"{name}_grad0_runs"] = grad0
            numbers[f"{name}_grad0"] = [med(g) for g in grad0]
            numbers[f"{name}_grad_mean"] = [med(g) for g in per_depth(res, "grad_mean")]
            numbers[f"grad_ratio_{name}"] = med([d / s for d, s in zip(grad0[-1], grad0[0])])

        fig, ax = new_figure(width=5.5)
        colors = ["tab:blue", "tab:orange", "tab:green", "tab:red"]
        w = 10
        for i, (b, d) in enumerate(zip(blocks, depths)):
            for res, ls in ((False, "--"), (True, "-")):
                curve = np.median(runs[b][res]["curve"], axis=1)
                c = np.convolve(curve, np.ones(w) / w, mode="valid")
                ax.plot(np.arange(w, steps + 1), c, ls, color=colors[i % 4],
                        label=f"{d} layers, {'residual' if res else 'plain'}")
        ax.set_yscale("log")
        ax.set_xlabel("SGD step")
        ax.set_ylabel(f"batch loss, median of {k} starts\n(mean of {w} steps)")
        ax.set_title("Digits MLPs with BatchNorm")
        ax.legend(ncol=2)
        f1 = png(fig, "training_curves",
                 f"Training loss per step (median over {k} starts): plain (dashed) and "
                 "residual (solid) nets of each depth.")

        fig, (a1, a2) = new_figure(ncols=2)
        for name, mk, ls, off in (("plain", "o", "--", -0.25), ("residual", "s", "-", 0.25)):
            for key, axis in (("final_loss", a1), ("grad0", a2)):
                axis.plot(depths, numbers[f"{name}_{key}"], mk + ls, label=f"{name} (median)")
                pts = numbers[f"{name}_{key}_runs"]
                axis.scatter([d + off for d, p in zip(depths, pts) for _ in p],
                             [v for p in pts for v in p], s=9, alpha=0.4, marker=mk)
        a1.set_yscale("log")
        a1.set_xlabel("depth (weight layers)")
        a1.set_ylabel("final training loss (whole set)")
        a1.legend()
        a2.set_yscale("log")
        a2.set_xlabel("depth (weight layers)")
        a2.set_ylabel("first-layer gradient norm, step 1")
        a2.legend()
        f2 = png(fig, "depth",
                 f"Final training loss and first-layer gradient norm at the start against "
                 f"depth: the median over {k} starts (line) and each start (points).")
        return Measurement(numbers, [f1, f2])

    def judge(self, n: dict[str, Any]) -> Verdict:
        m = self.thresholds["degradation_margin"]
        k = n["starts"]
        plain = Criterion(f"plain net: median over {k} starts of deepest minus shallowest "
                          "final training loss (nats)", n["plain_degradation"], ">", m,
                          "degradation_margin")
        resid = Criterion(f"residual net: median over {k} starts of deepest minus shallowest "
                          "final training loss (nats)", n["residual_degradation"], "<=", m,
                          "degradation_margin")
        if not plain.passed:
            verdict = FAILS       # no degradation to cure
        elif not resid.passed:
            verdict = CAVEATS     # degradation, but the shortcuts do not remove it
        else:
            verdict = HOLDS
        d0, d1 = n["depths"][0], n["depths"][-1]
        pl, rs = n["plain_final_loss"], n["residual_final_loss"]
        pr, rr = n["plain_degradation_runs"], n["residual_degradation_runs"]
        explanation = (
            f"Median over {k} starts, the {d1}-layer plain net ends at a training loss of "
            f"{pl[-1]:.3f} vs {pl[0]:.3f} for {d0} layers; per start the difference is "
            f"{n['plain_degradation']:+.3f} nats in the median ({min(pr):+.3f} to "
            f"{max(pr):+.3f}; degradation means > {m:g}). "
            f"With shortcuts: {rs[-1]:.3f} vs {rs[0]:.3f}, difference "
            f"{n['residual_degradation']:+.3f} in the median ({min(rr):+.3f} to "
            f"{max(rr):+.3f}; degradation > {m:g}). "
            f"So the deeper plain net "
            f"{'trains worse' if plain.passed else 'does not train worse'} and the residual "
            f"net {'does not' if resid.passed else 'also degrades'}. "
            f"At the first step the first layer's gradient norm of the {d1}-layer net is "
            f"{n['grad_ratio_plain']:.1f}x the {d0}-layer net's without shortcuts and "
            f"{n['grad_ratio_residual']:.1f}x with them (medians; reported, not judged).")
        key = (f"{d1} vs {d0} layers, median of {k}: plain {n['plain_degradation']:+.2f} "
               f"nats, residual {n['residual_degradation']:+.2f}")
        return Verdict(verdict, explanation, key, criteria=[plain, resid])


EXPERIMENT = Residual()
