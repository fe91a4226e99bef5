"""Internal covariate shift and depth: while a deep ReLU MLP trains, how much the distribution
of each layer's pre-activations moves between probes, layer by layer (source 002 Q6 L199,
source 004 §3.4 L484); the same with BatchNorm, measured before the normalization.

Several starts are trained side by side in one graph: net k's layer l is slice k of a
(starts, in, out) weight, one batched matmul runs every net, and the BatchNorm of the BN net
normalizes each net's units with that net's own batch statistics (one channel per unit of
each net), so each net gets exactly the gradient it would get alone.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import gradlab
from gradlab import nn, optim
from gradlab.datasets import Digits
from gradlab.lab.experiment import (
    CAVEATS,
    FAILS,
    HOLDS,
    Check,
    Criterion,
    Experiment,
    Measurement,
    Verdict,
    new_figure,
    perturb,
    png,
)
from gradlab.nn import functional as F

_HIDDEN = 8      # hidden layers (Linear [+ BatchNorm] + ReLU), then a Linear(64, 10) head
_WIDTH = 64
_LR = 0.1
_BATCH = 64
_PROBE = 256     # the fixed probe batch
_PROBES = 30


class StackedNet(nn.Module):
    """``starts`` MLPs 64 -> (Linear(64) [+ BatchNorm1d] + ReLU) x 8 -> Linear(10), side by
    side. ``forward`` returns the logits and the pre-activations of the hidden layers (the
    Linear outputs, before BatchNorm in the BN net).

    Shape:
        input (starts, B, 64) -> logits (starts, B, 10), pre-activations 8 x (starts, B, 64).
    """

    def __init__(self, weights: list[np.ndarray], biases: list[np.ndarray], bn: bool) -> None:
        super().__init__()
        self.layers, self.bn = len(weights), bn
        k = weights[0].shape[0]
        for i, (w, b) in enumerate(zip(weights, biases)):
            setattr(self, f"w{i}", nn.Parameter(gradlab.tensor(w)))
            setattr(self, f"b{i}", nn.Parameter(gradlab.tensor(b)))
        if bn:
            for i in range(self.layers - 1):
                setattr(self, f"gamma{i}", nn.Parameter(gradlab.ones(k * _WIDTH)))
                setattr(self, f"beta{i}", nn.Parameter(gradlab.zeros(k * _WIDTH)))

    def _norm(self, i: int, h):
        k, b, c = h.shape
        flat = h.transpose(0, 1).reshape(b, k * c)
        out = F.batch_norm(flat, None, None, getattr(self, f"gamma{i}"),
                           getattr(self, f"beta{i}"), training=True)
        return out.reshape(b, k, c).transpose(0, 1)

    def forward(self, x):
        h, pre = x, []
        for i in range(self.layers):
            h = h @ getattr(self, f"w{i}") + getattr(self, f"b{i}")
            if i == self.layers - 1:
                break
            pre.append(h)
            h = F.relu(self._norm(i, h) if self.bn else h)
        return h, pre


def initial_weights(starts: int, seed: int) -> tuple[list, list]:
    """He-initialized weights (kaiming_normal_, ReLU: N(0, 2 / fan_in)) and zero biases of
    ``starts`` nets, drawn in turn from gradlab's stream seeded by ``seed``; per layer a
    (starts, in, out) weight and a (starts, 1, out) bias."""
    gradlab.manual_seed(1000 * seed + 22)
    dims = [64] + [_WIDTH] * _HIDDEN + [10]
    ws: list[list[np.ndarray]] = [[] for _ in range(_HIDDEN + 1)]
    for _ in range(starts):
        for i in range(_HIDDEN + 1):
            lin = nn.Linear(dims[i], dims[i + 1])
            nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
            ws[i].append(lin.weight.detach().numpy().T.copy())
    bs = [np.zeros((starts, 1, w[0].shape[1]), np.float32) for w in ws]
    return [np.stack(w) for w in ws], bs


def probe_times(steps: int, probes: int = _PROBES) -> list[int]:
    """The ``probes`` steps (0 = before training, ``steps`` = after it) at which the probe
    batch is run: evenly spaced over the whole run, rounded."""
    return [int(round(t)) for t in np.linspace(0, steps, probes)]


def layer_shift(stats: np.ndarray) -> np.ndarray:
    """The shift of each layer from per-probe unit statistics.

    ``stats`` (probes, layers, units, 2) holds each unit's mean and standard deviation over
    the probe batch. Between consecutive probes a and b a unit moves
    |mean_b - mean_a| / std_a + |log std_b - log std_a|; the layer's shift for the interval is
    the median over its units, and the layer's shift is the mean over the intervals.

    Shape: (probes, layers, units, 2) -> (layers,)."""
    mean, std = stats[..., 0], stats[..., 1]
    move = (np.abs(mean[1:] - mean[:-1]) / std[:-1]
            + np.abs(np.log(std[1:]) - np.log(std[:-1])))
    return np.median(move, axis=2).mean(axis=0)


def _probe(model: StackedNet, xp) -> np.ndarray:
    """Mean and std (float64) of every unit's pre-activation over the probe batch.

    Shape: -> (starts, layers, units, 2)."""
    k = model.w0.shape[0]
    with gradlab.no_grad():
        _, pre = model(xp.expand(k, *xp.shape))
    z = np.stack([p.numpy().astype(np.float64) for p in pre], axis=1)   # (k, L, B, U)
    return np.stack([z.mean(axis=2), z.std(axis=2)], axis=-1)


def train(weights, biases, bn: bool, order: np.ndarray, x, y, xp,
          steps: int) -> dict[str, np.ndarray]:
    """SGD (lr 0.1, no momentum) of the stacked nets from ``weights`` (perturbed by the run's
    jitter) on the batches ``order`` (steps, starts, batch), probing the fixed batch ``xp`` at
    ``probe_times(steps)``. Returns per start the layer shifts, the probe statistics and the
    batch loss per step."""
    model = perturb(StackedNet(weights, biases, bn))
    opt = optim.SGD(model.parameters(), lr=_LR)
    k = order.shape[1]
    times = set(probe_times(steps))
    stats, curve = [], []
    for step in range(steps + 1):
        if step in times:
            stats.append(_probe(model, xp))
        if step == steps:
            break
        it = gradlab.tensor(order[step])
        logits, _ = model(x[it])
        loss = F.cross_entropy(logits.reshape(-1, 10), y[it].reshape(-1)) * k
        opt.zero_grad()
        loss.backward()
        opt.step()
        curve.append(float(loss) / k)
    st = np.stack(stats, axis=1)       # (k, probes, L, U, 2)
    shifts = np.stack([layer_shift(s) for s in st])
    return {"shift": shifts, "stats": st, "curve": np.array(curve)}


class CovariateShift(Experiment):
    """How much the pre-activation distribution of each of 8 hidden layers moves while a
    ReLU MLP trains on Digits, with and without BatchNorm; judged on the plain net's
    last-layer / first-layer shift, the median over starts."""

    id = "covariate-shift-depth"
    title = "Internal covariate shift grows with depth"
    source_ref = "source 002 Q6 L199; source 004 §3.4 L484"
    claim = ("While a deep network trains, the distribution of a layer's inputs keeps "
             "changing because the layers below it are updated, and it changes more the deeper "
             "the layer (internal covariate shift grows with depth).")
    claim_zh = ("内部协方差指的是由于每一层参数更新使得上一层数据分布改变，并且随着网络层数的"
                "加深而变得更加严重 … 越深的层，其输入的分布会改变得越明显。")
    protocol = (
        "Digits (1,438 training images, pixels in [0, 1]); MLP of 8 hidden layers "
        "Linear(64) + ReLU (He init, zero biases) and a Linear(64, 10) head, without and "
        "with BatchNorm (batch statistics, gamma 1, beta 0 at the start) between each hidden "
        "Linear and its ReLU; SGD lr 0.1, batch 64, 300 steps, 3 starts side by side (full "
        "mode 9), the same batches for both nets. 30 probes evenly spaced over the run "
        "(steps 0 to 300) on one fixed batch of 256 training images: per unit the mean and "
        "std of its pre-activation (the Linear output, before BatchNorm in the BN net). "
        "shift_l = mean over the 29 intervals of the median over units of |Δmean| / std + "
        "|Δlog std|. Judged on the plain net's shift_8 / shift_1 (median over starts); the "
        "BN net's ratio is reported. Decided before any run: 'the 8 layers' are the 8 hidden "
        "layers (the head has no BatchNorm to compare).")
    thresholds = {
        "ratio_holds": 2.0,      # shift_8 / shift_1 at least this: holds
        "ratio_caveats": 1.2,    # in [1.2, 2): holds with caveats; below: does not hold
    }

    def measure(self, seed: int, quick: bool) -> Measurement:
        tr = Digits(train=True)
        x = perturb(tr.data.reshape(len(tr), 64))
        y = tr.targets
        starts, steps = (3, 300) if quick else (9, 300)
        rng = np.random.default_rng([seed, 22])
        xp = x[gradlab.tensor(rng.choice(len(y), size=_PROBE, replace=False))]
        order = rng.integers(0, len(y), size=(steps, starts, _BATCH))
        w0, b0 = initial_weights(starts, seed)
        runs = {name: train(w0, b0, bn, order, x, y, xp, steps)
                for name, bn in (("plain", False), ("bn", True))}
        n: dict[str, Any] = {"starts": starts, "steps": steps, "probes": _PROBES,
                             "probe_steps": probe_times(steps), "hidden_layers": _HIDDEN}
        for name, r in runs.items():
            sh = r["shift"]
            n[f"{name}_shift_runs"] = [[float(v) for v in row] for row in sh]
            n[f"{name}_shift"] = [float(v) for v in np.median(sh, axis=0)]
            per = sh[:, -1] / sh[:, 0]
            n[f"{name}_ratio_runs"] = [float(v) for v in per]
            n[f"{name}_ratio"] = float(np.median(per))
            n[f"{name}_final_batch_loss"] = float(r["curve"][-20:].mean())
            n[f"{name}_min_std"] = float(r["stats"][..., 1].min())
        return Measurement(n, self._figures(runs, n))

    @staticmethod
    def _figures(runs: dict[str, Any], n: dict[str, Any]) -> list:
        k = n["starts"]
        fig, (a, b) = new_figure(ncols=2)
        layers = np.arange(1, _HIDDEN + 1)
        for name, label, mk, c in (("plain", "plain", "o-", "tab:blue"),
                                   ("bn", "BatchNorm (before BN)", "s--", "tab:orange")):
            a.plot(layers, n[f"{name}_shift"], mk, color=c, label=f"{label}, median")
            for row in n[f"{name}_shift_runs"]:
                a.plot(layers, row, "-", color=c, alpha=0.3, lw=0.8)
        a.set(xlabel="hidden layer (1 = next to the input)",
              ylabel="shift per probe interval", title=f"{k} starts (thin) and median",
              ylim=(0, None))
        a.set_xticks(layers)
        a.legend()
        steps = np.arange(1, len(runs["plain"]["curve"]) + 1)
        for name, label, c in (("plain", "plain", "tab:blue"),
                               ("bn", "BatchNorm", "tab:orange")):
            cur = runs[name]["curve"]
            w = 10
            b.plot(steps[w - 1:], np.convolve(cur, np.ones(w) / w, mode="valid"), color=c,
                   label=label)
        b.set(xlabel="SGD step", ylabel=f"batch loss, mean of {k} starts\n(mean of 10 steps)",
              title="training", yscale="log")
        b.legend()
        return [png(fig, "covariate_shift",
                    f"Left: how far each hidden layer's pre-activation distribution moves "
                    f"between consecutive probes (|Δmean| / std + |Δlog std|, median over "
                    f"units, mean over {n['probes'] - 1} intervals) for the plain and the "
                    f"BatchNorm net. Right: the batch loss.")]

    def judge(self, n: dict[str, Any]) -> Verdict:
        t = self.thresholds
        k = n["starts"]
        name = (f"plain net: shift of hidden layer {n['hidden_layers']} / shift of layer 1 "
                f"(median over {k} starts)")
        strong = Criterion(name, n["plain_ratio"], ">=", t["ratio_holds"], "ratio_holds")
        some = Criterion(name, n["plain_ratio"], ">=", t["ratio_caveats"], "ratio_caveats")
        if strong.passed:
            verdict, criteria = HOLDS, [strong]
        elif some.passed:
            verdict, criteria = CAVEATS, [strong, some]
        else:
            verdict, criteria = FAILS, [some]
        sh, bs = n["plain_shift"], n["bn_shift"]
        r = n["plain_ratio_runs"]
        text = (f"Between consecutive probes the plain net's first hidden layer moved "
                f"{sh[0]:.3f} and its last {sh[-1]:.3f} (medians of {k} starts): "
                f"shift_8 / shift_1 = {n['plain_ratio']:.2f} ({min(r):.2f} to {max(r):.2f} over "
                f"starts; {t['ratio_holds']:g} for 'holds', {t['ratio_caveats']:g} for "
                f"'with caveats'). ")
        text += (f"Before its BatchNorm layers the BN net moved {bs[0]:.3f} and {bs[-1]:.3f}, "
                 f"a ratio of {n['bn_ratio']:.2f} (reported, not judged). ")
        if verdict == HOLDS:
            text += "The deeper layer's input distribution moves clearly more, as claimed."
        elif verdict == CAVEATS:
            text += "The deeper layer moves more, but by less than the factor registered."
        else:
            text += "The deepest hidden layer does not move clearly more than the first."
        key = (f"shift layer 8 / layer 1: plain {n['plain_ratio']:.2f}, "
               f"BN (pre-BN) {n['bn_ratio']:.2f}")
        return Verdict(verdict, text, key, criteria=criteria)

    def checks(self, n: dict[str, Any]) -> list[Check]:
        out = []
        for name in ("plain", "bn"):
            runs, per = n[f"{name}_shift_runs"], n[f"{name}_ratio_runs"]
            ok = all(math.isclose(row[-1] / row[0], p, rel_tol=1e-9)
                     for row, p in zip(runs, per))
            out.append(Check(f"{name} net: each start's ratio is its shift_8 / shift_1", ok,
                             f"{len(per)} starts, ratios "
                             + ", ".join(f"{p:.3f}" for p in per)))
        low = min(n["plain_min_std"], n["bn_min_std"])
        out.append(Check("every unit's pre-activation varies over the probe batch (std > 0)",
                         low > 0, f"smallest std {low:.2e}"))
        return out


EXPERIMENT = CovariateShift()
