"""BatchNorm lowers the sensitivity to the initial weights' scale (source 003 BN 对初始化敏感;
source 004 §3.4 降低了参数初始化的要求): a 6-hidden-layer ReLU MLP on Digits with its He-normal
weights multiplied by g from 0.25 to 4, with and without BatchNorm before each ReLU; the
final training loss at each scale.

The module also holds :class:`NormStack`, ``nets`` MLPs with BatchNorm, LayerNorm or no
normalization trained side by side in one graph, and its training and evaluation helpers,
which e19 and e21 use too.
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

NORMS = ("none", "batch", "layer")


class NormStack(nn.Module):
    """``nets`` independent MLPs 64 -> widths[0] -> ... -> 10 trained side by side in one graph.

    Each hidden layer is Linear -> norm -> ReLU with norm ``"batch"`` (BatchNorm1d),
    ``"layer"`` (LayerNorm over the layer's units) or ``"none"``. The weights of net r are
    slice r of (nets, in, out) parameters, so one batched matmul runs every net. The
    BatchNorm1d has nets * width channels, one per unit of each net, so each net is normalized
    with its own batch statistics (and keeps its own running statistics) exactly as a separate
    BatchNorm1d would; LayerNorm normalizes each sample of each net over its own units, with a
    per-net gain and shift. Hidden weights are He-normal times ``gains[r]`` for net r
    (N(0, 2 g^2 / fan_in)), hidden biases zero; the head is drawn as ``nn.Linear``'s default
    (uniform in +-1/sqrt(fan_in)). ``from_stack`` copies another stack's Linear weights, so
    two variants can start from the same weights.

    Shape:
        input (B, 64), one batch for every net, or (nets, B, 64), a batch per net
        -> logits (nets, B, 10).
    """

    def __init__(self, nets: int, widths: tuple[int, ...], norm: str,
                 gains: np.ndarray | None = None) -> None:
        super().__init__()
        if norm not in NORMS:
            raise ValueError(f"NormStack: norm must be one of {NORMS}, got {norm!r}")
        g = np.ones(nets) if gains is None else np.asarray(gains, dtype=np.float64)
        if g.shape != (nets,):
            raise ValueError(f"NormStack: gains must have one value per net ({nets}), got "
                             f"shape {g.shape}")
        self.nets, self.widths, self.norm = nets, tuple(widths), norm
        self.layers = nn.ModuleList()
        d = 64
        for w in self.widths:
            layer = nn.Module()
            z = np.random.standard_normal((nets, d, w)) * math.sqrt(2.0 / d)
            layer.weight = nn.Parameter(gradlab.tensor((z * g[:, None, None])
                                                       .astype(np.float32)))
            layer.bias = nn.Parameter(gradlab.zeros(nets, 1, w))
            if norm == "batch":
                layer.norm = nn.BatchNorm1d(nets * w)
            elif norm == "layer":
                layer.gamma = nn.Parameter(gradlab.ones(nets, 1, w))
                layer.beta = nn.Parameter(gradlab.zeros(nets, 1, w))
            self.layers.append(layer)
            d = w
        bound = 1.0 / math.sqrt(d)
        self.head_w = nn.Parameter(gradlab.tensor(
            np.random.uniform(-bound, bound, (nets, d, 10)).astype(np.float32)))
        self.head_b = nn.Parameter(gradlab.tensor(
            np.random.uniform(-bound, bound, (nets, 1, 10)).astype(np.float32)))

    def linear_weights(self) -> list:
        """The Linear parameters (hidden weights and biases, head), in a fixed order."""
        out = []
        for layer in self.layers:
            out += [layer.weight, layer.bias]
        return out + [self.head_w, self.head_b]

    def copy_linear_from(self, other: NormStack) -> NormStack:
        """Set this stack's Linear weights to ``other``'s (same nets and widths); returns self."""
        with gradlab.no_grad():
            for mine, theirs in zip(self.linear_weights(), other.linear_weights()):
                mine.copy_(theirs)
        return self

    def buffer_count(self) -> int:
        """Number of buffers (running statistics) the stack keeps: 0 without BatchNorm."""
        return sum(1 for _ in self.buffers())

    def _normalize(self, layer, h):
        if self.norm == "batch":
            k, b, c = h.shape
            flat = h.transpose(0, 1).reshape(b, k * c)
            return layer.norm(flat).reshape(b, k, c).transpose(0, 1)
        if self.norm == "layer":
            return F.layer_norm(h, (h.shape[-1],)) * layer.gamma + layer.beta
        return h

    def forward(self, x):
        h = x if x.ndim == 3 else x.expand(self.nets, *x.shape)
        for layer in self.layers:
            h = F.relu(self._normalize(layer, h @ layer.weight + layer.bias))
        return h @ self.head_w + self.head_b


def per_net_loss(logits, y):
    """Each net's mean cross-entropy: logits (nets, B, 10), labels (nets, B) -> (nets,)."""
    k, b, c = logits.shape
    return F.cross_entropy(logits.reshape(k * b, c), y.reshape(k * b),
                           reduction="none").reshape(k, b).mean(1)


def evaluate(model: NormStack, X, y, chunk: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """Each net's mean cross-entropy and accuracy in eval mode (float64 means; a net whose
    weights are not finite gets NaN): on (X, y) shared by the nets, X (N, 64) and y (N,), or
    on a set per net, X (nets, N, 64) and y (nets, N)."""
    model.eval()
    yn = y.numpy()
    nll, hit = [], []
    with gradlab.no_grad(), np.errstate(all="ignore"):
        for i in range(0, yn.shape[-1], chunk):
            logits = model(X[..., i:i + chunk, :])
            yc = np.broadcast_to(yn[..., i:i + chunk], logits.shape[:2])
            lp = F.log_softmax(logits, dim=2).numpy().astype(np.float64)
            nll.append(-np.take_along_axis(lp, yc[..., None], axis=2)[..., 0])
            hit.append(logits.numpy().argmax(2) == yc)
    model.train()
    return np.concatenate(nll, 1).mean(1), np.concatenate(hit, 1).mean(1, dtype=np.float64)


def train(model: NormStack, opt, X, y, order: np.ndarray) -> np.ndarray:
    """One step per row of ``order`` (steps, nets, B): net r on the samples order[t, r];
    the sum of the nets' mean losses is minimized, so each net gets its own gradient. Returns
    the per-step, per-net batch losses (NaN once a net's loss is not finite)."""
    model.train()
    curve = np.empty(order.shape[:2])
    with np.errstate(all="ignore"):
        for t, idx in enumerate(order):
            it = gradlab.tensor(idx)
            per = per_net_loss(model(X[it]), y[it])
            opt.zero_grad()
            per.sum().backward()
            opt.step()
            curve[t] = per.detach().numpy()
    return curve



def init_scale_error(model: NormStack, gains: np.ndarray) -> float:
    """The largest relative difference, over nets and hidden layers, between the standard
    deviation of a net's initial weights and He's sqrt(2 / fan_in) times its gain."""
    worst = 0.0
    for layer in model.layers:
        w = layer.weight.detach().numpy().astype(np.float64)
        he = math.sqrt(2.0 / w.shape[1])
        std = w.reshape(len(w), -1).std(1)
        worst = max(worst, float(np.max(np.abs(std / (he * gains) - 1.0))))
    return worst


def _median_or_none(values: list[float | None]) -> float | None:
    """Median with a diverged run (None) counted as +infinity; None when the median is."""
    v = np.median([math.inf if a is None else a for a in values])
    return None if not math.isfinite(v) else float(v)


class BNInitSensitivity(Experiment):
    """Final training loss of a deep ReLU MLP on Digits with and without BatchNorm, from
    He-normal weights scaled by 0.25 to 4 (three starts per scale)."""

    id = "bn-init-sensitivity"
    title = "BatchNorm lowers the sensitivity to the scale of the initial weights"
    source_ref = "source 003 BN L247; source 004 §3.4 L515"
    claim = ("Without BatchNorm a deep net is sensitive to its initialization: scaling the "
             "initial weights up or down keeps it from training; with BatchNorm before each "
             "activation the same net trains from every scale. (Tested for the scale of the "
             "initial weights, at one learning rate; other aspects of the initialization are "
             "not.)")
    claim_zh = ("训练不稳定：不断变化的数据分布让学习过程变得不稳定；"
                "最明显的表现就是对初始化敏感 … 降低了参数初始化的要求。")
    protocol = (
        "Digits (1,438 training images). MLP with 6 hidden ReLU layers of 64 units and a linear "
        "head (nn.Linear's default init); hidden weights He-normal times g, g = 0.25, 0.5, 1, 2, "
        "4, biases zero; with BatchNorm1d before each ReLU vs none, the two from the same "
        "weights. Plain SGD lr 0.05, batch 64, 200 steps; 3 starts per g (5 in full mode; init "
        "and batch order), all trained side by side. Final training loss: cross-entropy on the "
        "whole training set in eval mode, median over the starts per g (a non-finite loss "
        "counts as diverged, +inf). Does not hold: BN's worst g above 1.0. Holds: BN's worst g "
        "at most 0.5 and the plain net above 1.0 (or diverged) at >= 2 of the 5 scales. "
        "Otherwise holds with caveats (C.2's 'both train at all scales', and the cases C.2 left "
        "open: BN's worst in (0.5, 1.0], or only one plain scale failing; fixed before any run).")
    thresholds = {
        "bn_worst_holds": 0.5,       # BN's worst median final loss over the scales, for holds
        "bn_worst_max": 1.0,         # above this at some scale, BN does not train: does not hold
        "plain_bad_loss": 1.0,       # a plain scale above this (or diverged) has not trained
        "plain_bad_min": 2.0,        # scales the plain net must fail at, for holds
    }
    revisions = ()

    gains = (0.25, 0.5, 1.0, 2.0, 4.0)
    widths = (64,) * 6

    def measure(self, seed: int, quick: bool) -> Measurement:
        tr = Digits(train=True)
        x = gradlab.tensor(perturb(tr.data.reshape(len(tr), 64).numpy()))
        y = tr.targets
        starts, steps, batch, lr = (3, 200, 64, 0.05) if quick else (5, 200, 64, 0.05)
        gains = np.repeat(np.array(self.gains), starts)     # net r: scale r // starts
        nets = len(gains)
        np.random.seed(2000 + seed)
        base = perturb(NormStack(nets, self.widths, "none", gains))
        rng = np.random.default_rng(seed)
        # start s has the same batch order at every scale and in both variants
        order = np.tile(rng.integers(0, len(y), (steps, 1, starts, batch)),
                        (1, len(self.gains), 1, 1)).reshape(steps, nets, batch)
        n: dict[str, Any] = {"gains": list(self.gains), "starts": starts, "steps": steps,
                             "lr": lr, "batch": batch,
                             "init_scale_error": init_scale_error(base, gains)}
        curves, diffs = {}, []
        for name, norm in (("plain", "none"), ("bn", "batch")):
            model = NormStack(nets, self.widths, norm).copy_linear_from(base)
            diffs.append(max(float(np.abs(a.detach().numpy() - b.detach().numpy()).max())
                             for a, b in zip(model.linear_weights(), base.linear_weights())))
            opt = optim.SGD(model.parameters(), lr=lr)
            curves[name] = train(model, opt, x, y, order)
            final, _ = evaluate(model, x, y)
            runs = [[float(v) if math.isfinite(v) else None
                     for v in final[i * starts:(i + 1) * starts]]
                    for i in range(len(self.gains))]
            n[f"{name}_final_runs"] = runs
            n[f"{name}_final"] = [_median_or_none(r) for r in runs]
        n["start_weight_diff"] = max(diffs)
        bn = [math.inf if v is None else v for v in n["bn_final"]]
        n["bn_worst"] = None if not math.isfinite(max(bn)) else max(bn)
        n["bn_worst_gain"] = self.gains[int(np.argmax(bn))]
        bad = self.thresholds["plain_bad_loss"]
        n["plain_bad_gains"] = [g for g, v in zip(self.gains, n["plain_final"])
                                if v is None or v > bad]
        n["plain_bad"] = len(n["plain_bad_gains"])
        n["plain_diverged_gains"] = [g for g, v in zip(self.gains, n["plain_final"])
                                     if v is None]
        return Measurement(n, [self._figure(n, curves)])

    def _figure(self, n, curves):
        from matplotlib.ticker import NullLocator

        fig, (a1, a2) = new_figure(ncols=2)
        cap = 10.0
        colors = {"plain": "tab:gray", "bn": "tab:blue"}
        labels = {"plain": "no normalization", "bn": "BatchNorm"}
        for name, mk in (("plain", "o"), ("bn", "s")):
            med = [cap if v is None else min(v, cap) for v in n[f"{name}_final"]]
            a1.plot(n["gains"], med, mk + "-", color=colors[name],
                    label=f"{labels[name]} (median)")
            pts = [(g, cap if v is None else min(v, cap))
                   for g, r in zip(n["gains"], n[f"{name}_final_runs"]) for v in r]
            a1.scatter([p[0] for p in pts], [p[1] for p in pts], s=12, alpha=0.5,
                       marker=mk, color=colors[name])
        a1.plot([n["gains"][0], n["gains"][-1]], [self.thresholds["plain_bad_loss"]] * 2,
                color="k", ls=":", lw=0.8, label="loss 1.0")
        a1.set_xscale("log", base=2)
        a1.set(yscale="log", ylim=(0.005, 20), xlabel="g (initial weights = g x He)",
               ylabel=f"final training loss\n(diverged or > {cap:g}: drawn at {cap:g})",
               title="after 200 SGD steps, lr 0.05")
        a1.set_xticks(n["gains"], [f"{g:g}" for g in n["gains"]])
        a1.xaxis.set_minor_locator(NullLocator())
        a1.legend(loc="lower right")
        starts = n["starts"]
        cmap = ["tab:purple", "tab:blue", "tab:green", "tab:orange", "tab:red"]
        for i, g in enumerate(n["gains"]):
            for name, ls in (("plain", "--"), ("bn", "-")):
                c = curves[name][:, i * starts:(i + 1) * starts]
                c = np.where(np.isfinite(c), np.minimum(c, cap), cap)
                a2.plot(np.arange(1, len(c) + 1), np.median(c, axis=1), ls, color=cmap[i],
                        label=f"g = {g:g}" if name == "bn" else None)
        a2.set(yscale="log", xlabel="SGD step", title="BatchNorm solid, plain dashed",
               ylabel=f"batch loss, median of {starts}\n(capped at {cap:g})")
        a2.legend()
        return png(fig, "bn_init_sensitivity",
                   "Final training loss of a 6-hidden-layer ReLU MLP against the scale g of "
                   "its He-normal initial weights, with and without BatchNorm (median over "
                   "starts; dots: each start; diverged runs drawn at 10), and the batch loss "
                   "per step at each g.")

    def judge(self, n: dict[str, Any]) -> Verdict:
        t = self.thresholds
        worst = math.inf if n["bn_worst"] is None else n["bn_worst"]
        k = n["starts"]
        bn_ok = Criterion(f"BatchNorm: worst over the scales of the median final training "
                          f"loss ({k} starts)", worst, "<=", t["bn_worst_max"], "bn_worst_max")
        bn_h = Criterion(f"BatchNorm: worst over the scales of the median final training "
                         f"loss ({k} starts)", worst, "<=", t["bn_worst_holds"],
                         "bn_worst_holds")
        plain = Criterion(f"no normalization: scales with a median final loss above "
                          f"{t['plain_bad_loss']:g} or diverged (of {len(n['gains'])})",
                          n["plain_bad"], ">=", t["plain_bad_min"], "plain_bad_min")
        if not bn_ok.passed:
            verdict, crit = FAILS, [bn_ok]
        elif bn_h.passed and plain.passed:
            verdict, crit = HOLDS, [bn_h, plain]
        else:
            verdict, crit = CAVEATS, [bn_h, plain, bn_ok]

        def fmt(v):
            return "diverged" if v is None else f"{v:.3f}"

        gs = ", ".join(f"{g:g}" for g in n["gains"])
        bad = ", ".join(f"{g:g}" for g in n["plain_bad_gains"]) or "none"
        text = (f"Median final training loss at g = {gs}: without normalization "
                f"{' / '.join(fmt(v) for v in n['plain_final'])}; with BatchNorm "
                f"{' / '.join(fmt(v) for v in n['bn_final'])}. "
                f"BatchNorm's worst is {fmt(n['bn_worst'])} at g = {n['bn_worst_gain']:g} "
                f"(holds needs at most {t['bn_worst_holds']:g}, above "
                f"{t['bn_worst_max']:g} does not hold); the plain net is above "
                f"{t['plain_bad_loss']:g} or diverged at {n['plain_bad']} of "
                f"{len(n['gains'])} scales (g = {bad}; holds needs {t['plain_bad_min']:g}). ")
        if verdict == HOLDS:
            text += "So the plain net is sensitive to the scale and BatchNorm trains from all."
        elif verdict == FAILS:
            text += "BatchNorm did not train from every scale."
        elif not plain.passed:
            text += ("The plain net is not sensitive enough here for BatchNorm to show its "
                     "effect.")
        else:
            text += "BatchNorm trains from every scale, but not to the holds threshold."
        key = (f"BN worst {fmt(n['bn_worst'])}; plain fails at {n['plain_bad']}/"
               f"{len(n['gains'])} scales")
        return Verdict(verdict, text, key, criteria=crit)

    def checks(self, n: dict[str, Any]) -> list[Check]:
        """The start: each net's hidden weights have He's standard deviation times its g
        (within 5%), and the BN and plain nets begin from the same Linear weights."""
        return [
            Check("initial weights: standard deviation = g x sqrt(2 / fan_in)",
                  n["init_scale_error"] <= 0.05,
                  f"largest relative error {n['init_scale_error']:.3f} (at most 0.05)"),
            Check("BN and plain nets start from the same Linear weights",
                  n["start_weight_diff"] == 0.0,
                  f"largest difference {n['start_weight_diff']:.1e}"),
        ]


EXPERIMENT = BNInitSensitivity()
