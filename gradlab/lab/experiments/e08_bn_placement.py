"""BatchNorm before or after the activation: source 003 calls the question disputed; measure it
on one task with many paired runs (each pair its own initialization and batch order) inside one
stacked graph."""

from __future__ import annotations

import math

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
    Revision,
    Verdict,
    new_figure,
    perturb,
    png,
)
from gradlab.nn import functional as F

_BN_EPS = 1e-5          # BatchNorm's eps (the default of nn.BatchNorm1d and F.batch_norm)
#: what BatchNorm guarantees on the data it normalizes, up to float32 sums over 1,438 samples:
#: |mean| below _BN_MEAN_TOL and |variance - var / (var + eps)| below _BN_VAR_TOL per unit
_BN_MEAN_TOL = 1e-4
_BN_VAR_TOL = 1e-4
_PAIRS = 120            # pairs, each its own init and batch order (revision of 2026-12-06)


class StackedMLP(nn.Module):
    """``nets`` independent MLPs 64 -> width (x depth) -> 10 trained side by side in one graph.

    Each hidden layer is Linear -> BatchNorm1d -> ReLU (``placement="before"``),
    Linear -> ReLU -> BatchNorm1d (``"after"``) or Linear -> ReLU without BatchNorm (``"none"``,
    the plain twin e07 compares with). The weights of net r form slice r of a
    (nets, in, out) parameter, so one batched matmul runs every net; the BatchNorm1d has
    nets * width channels, one per unit of each net, so each net is normalized with its own
    statistics exactly as a separate BatchNorm1d would. He-normal hidden weights, zero biases.

    Shape:
        input (B, 64), one batch for every net, or (nets, B, 64), a batch per net
        -> logits (nets, B, 10).
    """

    def __init__(self, nets: int, placement: str, depth: int = 3, width: int = 64) -> None:
        super().__init__()
        if placement not in ("before", "after", "none"):
            raise ValueError(f"StackedMLP: placement must be 'before', 'after' or 'none', got "
                             f"{placement!r}")
        self.nets, self.width, self.placement = nets, width, placement
        self.layers = nn.ModuleList()
        d = 64
        for _ in range(depth):
            layer = nn.Module()
            layer.weight = nn.Parameter(gradlab.randn(nets, d, width) * math.sqrt(2.0 / d))
            layer.bias = nn.Parameter(gradlab.zeros(nets, 1, width))
            if placement != "none":
                layer.norm = nn.BatchNorm1d(nets * width)
            self.layers.append(layer)
            d = width
        bound = 1.0 / math.sqrt(d)
        self.head_w = nn.Parameter(gradlab.rand(nets, d, 10) * (2 * bound) - bound)
        self.head_b = nn.Parameter(gradlab.rand(nets, 1, 10) * (2 * bound) - bound)

    def _norm(self, bn, h):
        b = h.shape[1]
        flat = h.transpose(0, 1).reshape(b, self.nets * self.width)
        return bn(flat).reshape(b, self.nets, self.width).transpose(0, 1)

    def forward(self, x):
        h = x
        for layer in self.layers:
            h = h @ layer.weight + layer.bias
            if self.placement == "none":
                h = F.relu(h)
            elif self.placement == "before":
                h = F.relu(self._norm(layer.norm, h))
            else:
                h = self._norm(layer.norm, F.relu(h))
        return h @ self.head_w + self.head_b


def _train(placement: str, nets: int, steps: int, lr: float, seed: int, X, y):
    """Train ``nets`` inits of one placement, net r on its own batch sequence r; per-step mean
    loss. The same ``seed`` gives both placements the same inits and the same batch sequences,
    so net r of 'before' and net r of 'after' form a pair that differs only in placement."""
    gradlab.manual_seed(seed)
    model = perturb(StackedMLP(nets, placement))
    opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    rng = np.random.default_rng(seed)
    curve = []
    for _ in range(steps):
        idx = gradlab.tensor(rng.integers(0, len(X), (nets, 64)))
        logits = model(X[idx])
        # the sum over nets of each net's mean loss: every net gets its own gradient
        loss = F.cross_entropy(logits.reshape(-1, 10), y[idx].reshape(-1)) * nets
        opt.zero_grad()
        loss.backward()
        opt.step()
        curve.append(float(loss) / nets)
    model.eval()
    return model, curve


def _per_net(model, X, y, chunk: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Each net's accuracy and mean cross-entropy on (X, y), in eval mode, ``chunk`` samples at
    a time (each sample's output does not depend on the others; smaller arrays are faster)."""
    hit, nll = [], []
    yn = y.numpy()
    with gradlab.no_grad():
        for i in range(0, len(yn), chunk):
            logits = model(X[i:i + chunk])
            hit.append(logits.argmax(2).numpy() == yn[None, i:i + chunk])
            lp = F.log_softmax(logits, dim=2).numpy()
            nll.append(-np.take_along_axis(lp, yn[None, i:i + chunk, None], axis=2)[..., 0])
    hit, nll = np.concatenate(hit, axis=1), np.concatenate(nll, axis=1)
    return hit.mean(1, dtype=np.float64), nll.mean(1, dtype=np.float64)


def _bn_output_shape(model: StackedMLP, X) -> dict[str, float]:
    """Shape of the first BatchNorm's output of net 0 over the whole training set, normalized
    with that set's own statistics: the median over units of the fraction of samples at the
    unit's smallest value and of |skewness|, and what BN does guarantee, the largest |mean|
    (exactly 0) and the largest deviation of the variance from var / (var + eps) (exactly that:
    BN divides by sqrt(var + eps), which is 1 - eps / (var + eps), below 1 for a unit of small
    variance)."""
    layer = model.layers[0]
    with gradlab.no_grad():
        h = X @ layer.weight[0] + layer.bias[0]
        if model.placement == "after":
            h = F.relu(h)
        z = F.batch_norm(h, None, None, training=True, eps=_BN_EPS).numpy().astype(np.float64)
    at_min = (z <= z.min(0) + 1e-6).mean(0)
    skew = (z ** 3).mean(0) / np.maximum(z.var(0), 1e-12) ** 1.5
    var_h = h.numpy().astype(np.float64).var(0)
    # units (nearly) constant over the data set, whose variance BN's eps swamps, are skipped
    live = var_h > 1e-3
    return {"mass_at_min": float(np.median(at_min[live])),
            "abs_skew": float(np.median(np.abs(skew[live]))),
            "max_abs_mean": float(np.abs(z.mean(0)[live]).max()),
            "max_var_dev": float(np.abs(z.var(0) - var_h / (var_h + _BN_EPS))[live].max())}


def _paired_t(a: np.ndarray, b: np.ndarray) -> float:
    d = a - b
    se = d.std(ddof=1) / math.sqrt(len(d))
    return float(d.mean() / se) if se > 0 else (0.0 if d.mean() == 0 else math.copysign(1e9,
                                                                                       d.mean()))


class BNPlacementExperiment(Experiment):
    """Linear-BN-ReLU vs Linear-ReLU-BN on Digits over many paired runs, each pair with its
    own initialization and batch order."""

    id = "bn-placement"
    title = "BatchNorm before vs after the activation"
    source_ref = "source 003 BN"
    claim = ("Whether BatchNorm goes before or after the activation is disputed: before keeps "
             "inputs out of the saturated range, after (with ReLU) avoids homogenizing the "
             "features; neither placement is established as better. (Tested here: whether one "
             "placement is better on one task; the two mechanisms are not measured.)")
    claim_zh = "BN 应在激活层之前还是之后"
    protocol = (
        "Digits, an MLP with 3 hidden layers of 64 units, Linear-BN-ReLU ('before') vs "
        "Linear-ReLU-BN ('after'); 120 pairs (in quick and full mode), "
        "trained side by side (one stacked graph, per-net BN statistics). Each pair has its "
        "own He-normal initialization and its own sequence of batches, shared by its two nets: "
        "SGD with momentum 0.9, lr 0.05, batch 64, 200 steps (600 in full). Statistic: test "
        "accuracy per net, paired difference before - after and its paired t over the 120 "
        "pairs (the spread covers initializations and batch orders). "
        "|t| < 2: neither placement is ahead beyond the spread (holds); |t| >= 2 but a "
        "difference under 1 point over all pairs: a consistent small win (holds with "
        "caveats); |t| >= 2 and at least 1 point: one placement clearly wins (does not hold). "
        "The training loss on the whole training set is compared the same way (reported, not "
        "judged).")
    thresholds = {
        "t_max": 2.0,             # |paired t| below this: the difference is within the spread
        "margin_min": 0.01,       # a clear win: significant (|t| >= t_max) and >= 1 point
    }
    revisions = (
        Revision(
            date="2026-11-27",
            what="The 'holds with caveats' branch (|t| >= 2 with a difference under 1 point) "
                 "was folded into 'holds'; a clear win needed |t| >= 2 and at least 1 point, "
                 "anything else was 'holds' (disclosed in issue 7).",
            why="Seed 2's difference of +0.60 points had t = 3.17; the first rule made it "
                "'holds with caveats' while seeds 0 and 1 held.",
            moved="toward holds",
            effect="Seed 2: holds with caveats -> holds (t 3.17 on the SkylakeX kernel, 2.17 on "
                   "Haswell); seeds 0 and 1 (|t| 0.74 and 1.35) hold either way. The judge "
                   "could no longer return 'holds with caveats'."),
        Revision(
            date="2026-12-06",
            what="The 'holds with caveats' branch is restored: |t| >= 2 with a difference "
                 "under 1 point is a consistent but small win.",
            why="Issue 13 and the outside review: the fold was made after seeing seed 2 and "
                "left a verdict the judge could never return.",
            moved="toward does not hold",
            effect="On the design of the time (12 pairs, one batch order) seed 2 goes back to "
                   "'holds with caveats' (t 3.17 / 2.17, +0.60 points); seeds 0 and 1 hold."),
        Revision(
            date="2026-12-06",
            what="Each pair now trains on its own batch order (before: all 12 nets shared one "
                 "batch sequence), so the spread behind t covers batch orders as well as "
                 "initializations.",
            why="With one shared batch order the paired t used only init-to-init variance and "
                "overstated significance (review: per-seed SE 0.19-0.31 points vs a spread of "
                "0.43 points of the difference across seeds).",
            moved="toward holds",
            effect="Seeds 0-2 with 12 pairs: holds on both kernels (|t| 0.47-1.27), but seed 0 "
                   "under a 1e-6 jitter of its start gave t = 2.28 (holds with caveats) "
                   "against 0.91 without."),
        Revision(
            date="2026-12-06",
            what="The judged t is the median of the paired t of 3 independent replications "
                 "of 12 pairs (36 pairs, each its own init and batch order); the difference "
                 "is the mean over all 36 pairs.",
            why="The runs are chaotic (a 1e-6 jitter or another BLAS kernel gives a new draw "
                "of every pair), so one t over 12 pairs is itself a draw that crosses 2 in "
                "about 7% of runs when there is no difference (t, 11 degrees of freedom); the "
                "median of three crosses only when two of three do. The registered "
                "thresholds (2 and 1 point) are kept.",
            moved="toward holds",
            effect="Median t for seeds 0-2: 2.12 / 1.42 / 1.57 on the SkylakeX kernel (holds "
                   "with caveats, holds, holds), 0.84 / 1.59 / 1.33 on Haswell and 1.45 / 1.31 "
                   "/ 0.49 under a 1e-6 jitter (holds): the verdict still depends on the draw "
                   "for seed 0. 'before' was ahead in all nine runs, by 0.10 to 0.48 points."),
        Revision(
            date="2026-12-06",
            what="The judged t is one paired t over 120 pairs (each its own init and batch "
                 "order, all trained side by side in one stacked graph) instead of the median "
                 "t of 3 replications of 12 pairs; the difference is the mean over the same "
                 "120 pairs (new draws: the 36 earlier pairs are not among them). Each "
                 "net's accuracy and loss are averaged in float64, 400 samples at a time.",
            why="Written before these runs. In the nine runs of the previous design (seeds "
                "0-2 x SkylakeX, Haswell, 1e-6 jitter) 'before' led in all nine, by 0.10 to "
                "0.48 points (about 0.3 on average), with an sd of the per-pair difference of "
                "0.80 points (seed 0): the expected paired t of n pairs is then about "
                "0.375 sqrt(n), and a t statistic moves by about 1 between redraws, so a "
                "verdict that seeds, kernels and jitter do not flip needs the expected t about "
                "2 or more of those units away from 2, i.e. above 4. The median of three "
                "replications of n/3 pairs has expected value 0.375 sqrt(n/3) and a spread of "
                "about 0.67: it needs about 300 pairs (some 25 s CPU) for that; one t over "
                "all n pairs needs about 115. 120 pairs is what fits 12 s CPU in quick mode "
                "(0.08 s a pair; 8 s buys about 70 pairs, expected t 3.1, one unit above 2): "
                "expected t 4.1. The price: with no true difference, one t crosses 2 in about "
                "5% of runs, the median of three in about 1%. The thresholds 2 and 1 point "
                "are kept. The sample size comes from the lead seen in the earlier runs.",
            moved="toward does not hold",
            effect="Paired t over 120 pairs (difference in points) for seeds 0 / 1 / 2: "
                   "SkylakeX 3.73 (+0.31) / 1.33 (+0.10) / 1.00 (+0.07), Haswell 2.39 "
                   "(+0.20) / 0.20 (+0.01) / 1.42 (+0.12), 1e-6 jitter 3.05 (+0.23) / 0.40 "
                   "(-0.03) / 1.02 (+0.07): seed 0 holds with caveats on all three (before: "
                   "only on SkylakeX), seeds 1 and 2 hold. The verdict now agrees across "
                   "kernels and jitter but not across seeds. The lead of 'before' was smaller "
                   "than the 0.3 points the sample size assumed: 0.12 points on average over "
                   "these nine runs (three per seed, and those three are correlated), with an "
                   "sd of a pair's difference of 0.77-0.93 points, so 120 pairs give an "
                   "expected t of about 1.5, at the threshold; a t of 4 would need some 800 "
                   "pairs (over 60 s CPU), beyond the quick budget. Unresolved."),
    )

    def measure(self, seed: int, quick: bool) -> Measurement:
        train, test = Digits(train=True), Digits(train=False)
        X = perturb(train.data.reshape(-1, 64))
        Xt = perturb(test.data.reshape(-1, 64))
        y, yt = train.targets, test.targets
        nets, steps = (_PAIRS, 200) if quick else (_PAIRS, 600)
        res, curves = {}, {}
        for placement in ("before", "after"):
            model, curve = _train(placement, nets, steps, 0.05, 1000 + seed, X, y)
            acc, _ = _per_net(model, Xt, yt)
            _, train_nll = _per_net(model, X, y)
            res[placement] = {"test_acc": acc.tolist(), "train_loss": train_nll.tolist(),
                              "bn_output": _bn_output_shape(model, X)}
            curves[placement] = curve
        a, b = (np.array(res[p]["test_acc"]) for p in ("before", "after"))
        la, lb = (np.log(np.array(res[p]["train_loss"])) for p in ("before", "after"))
        d = a - b
        se = float(d.std(ddof=1) / math.sqrt(len(d)))
        numbers = {
            "nets": nets, "pairs": nets, "steps": steps, "test_size": len(yt),
            "per_net": res,
            "acc_before": float(a.mean()), "acc_after": float(b.mean()),
            "acc_sd_before": float(a.std(ddof=1)), "acc_sd_after": float(b.std(ddof=1)),
            "acc_diff": float(d.mean()), "acc_sd_diff": float(d.std(ddof=1)),
            "acc_diff_se": se,
            "acc_t": _paired_t(a, b),
            "wins_before": int((a > b).sum()), "wins_after": int((b > a).sum()),
            "train_loss_before": float(np.exp(la.mean())),
            "train_loss_after": float(np.exp(lb.mean())),
            "log_train_loss_t": _paired_t(la, lb),
            "after_bn_mass_at_min": res["after"]["bn_output"]["mass_at_min"],
            "after_bn_abs_skew": res["after"]["bn_output"]["abs_skew"],
            "before_bn_abs_skew": res["before"]["bn_output"]["abs_skew"],
        }
        return Measurement(numbers, self._figures(curves, a, b, numbers))

    @staticmethod
    def _figures(curves, a, b, n) -> list:
        fig, (ax1, ax2) = new_figure(ncols=2)
        for p, c in (("before", "tab:blue"), ("after", "tab:red")):
            cur = np.array(curves[p])
            k = 10
            smooth = np.convolve(cur, np.ones(k) / k, mode="valid")
            ax1.plot(np.arange(k, len(cur) + 1), smooth, color=c,
                     label=f"BN {p} ReLU ({n['pairs']}-net mean)")
        ax1.set(xlabel="SGD step", ylabel="training loss (10-step mean)", yscale="log",
                title="training")
        ax1.legend()
        # accuracy differences are multiples of one test image: one bin per multiple
        step = 100.0 / n["test_size"]
        d = np.rint((a - b) * n["test_size"])
        edges = (np.arange(d.min(), d.max() + 2) - 0.5) * step
        ax2.hist(d * step, bins=edges, color="tab:gray", edgecolor="k")
        ax2.axvline(0.0, color="k", lw=0.8)
        ax2.axvline(100 * n["acc_diff"], color="tab:blue", ls="--",
                    label=f"mean {100 * n['acc_diff']:+.2f} points")
        ax2.set(xlabel="test accuracy, before - after (points)", ylabel="pairs",
                title=f"{n['pairs']} pairs (paired t {n['acc_t']:.2f})")
        ax2.legend(loc="upper left")
        return [png(fig, "bn_placement", "BatchNorm before vs after ReLU on Digits: training "
                    "loss, and the test-accuracy difference of each pair (same initialization, "
                    "same batch order; one bin per test image).")]

    def judge(self, n) -> Verdict:
        t = self.thresholds
        crit_t = Criterion("|paired t over all pairs| (test accuracy)",
                           abs(n["acc_t"]), "<", t["t_max"], "t_max")
        crit_gap = Criterion("|test-accuracy difference| (before - after, all pairs)",
                             abs(n["acc_diff"]), "<", t["margin_min"], "margin_min")
        winner = "before" if n["acc_diff"] > 0 else "after"
        wins = n["wins_before"] if winner == "before" else n["wins_after"]
        text = (f"Test accuracy {n['acc_before']:.2%} (sd {n['acc_sd_before']:.2%}) with BN "
                f"before ReLU vs {n['acc_after']:.2%} (sd {n['acc_sd_after']:.2%}) after, over "
                f"{n['pairs']} pairs (each its own init and batch order): difference "
                f"{n['acc_diff']:+.2%} (sd {n['acc_sd_diff']:.2%} over the pairs); 'before' won "
                f"{n['wins_before']} and 'after' {n['wins_after']} of the pairs. "
                f"The paired t over the {n['pairs']} pairs is {n['acc_t']:.2f} (difference "
                f"+/- 2 standard errors: {n['acc_diff'] - 2 * n['acc_diff_se']:+.2%} to "
                f"{n['acc_diff'] + 2 * n['acc_diff_se']:+.2%}). "
                f"Final training loss: {n['train_loss_before']:.4f} before vs "
                f"{n['train_loss_after']:.4f} after (paired t on its log "
                f"{n['log_train_loss_t']:.2f}); BN standardizes but does not make Gaussian: "
                f"after ReLU a median {n['after_bn_mass_at_min']:.0%} of each unit's "
                f"normalized outputs sit at one value (|skewness| {n['after_bn_abs_skew']:.2f}; "
                f"before ReLU {n['before_bn_abs_skew']:.2f}).")
        if crit_t.passed:
            verdict = HOLDS
            text += (f" Neither placement is ahead beyond the spread of the pairs (|t| < "
                     f"{t['t_max']:g}), so on this task neither is established as better.")
        elif crit_gap.passed:
            verdict = CAVEATS
            text += (f" '{winner}' is ahead consistently (|t| >= {t['t_max']:g}, {wins} of "
                     f"{n['pairs']} pairs) but by less than {100 * t['margin_min']:g} point: "
                     "a small win on this task, not a clear one.")
        else:
            verdict = FAILS
            text += (f" '{winner}' clearly wins on this task (|t| >= {t['t_max']:g} and at "
                     f"least {100 * t['margin_min']:g} point).")
        if abs(abs(n["acc_t"]) - t["t_max"]) < 1:
            text += (f" |t| is within 1 of {t['t_max']:g}, about the spread of a t statistic "
                     f"between redraws of the pairs: whether it reaches {t['t_max']:g} is a "
                     "matter of the draw.")
        key = (f"acc diff {n['acc_diff']:+.2%} over {n['pairs']} pairs, paired t = "
               f"{n['acc_t']:.2f}")
        return Verdict(verdict, text, key, criteria=[crit_t, crit_gap])

    def checks(self, n) -> list[Check]:
        """BatchNorm's guarantee on the data it normalizes (mean 0, variance 1 per unit), for
        both placements: the Gaussian seed error rests on it."""
        out = []
        for p in ("before", "after"):
            shape = n["per_net"][p]["bn_output"]
            ok = (shape["max_abs_mean"] < _BN_MEAN_TOL and shape["max_var_dev"] < _BN_VAR_TOL)
            out.append(Check(
                f"BN output ({p} ReLU): mean 0, variance var / (var + eps) per unit", ok,
                f"largest |mean| {shape['max_abs_mean']:.1e} (< {_BN_MEAN_TOL:g}), largest "
                f"|variance - var / (var + eps)| {shape['max_var_dev']:.1e} (< {_BN_VAR_TOL:g}) "
                "over the training set"))
        return out


EXPERIMENT = BNPlacementExperiment()
