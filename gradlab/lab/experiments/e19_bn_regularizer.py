"""BatchNorm as a regularizer (source 003 BN 降低过拟合; source 004 §3.4 BN 是一种正则化方法):
an over-sized MLP trained on 150 Digits images with and without BatchNorm before each ReLU;
the gap between test and training cross-entropy (eval mode) and the test accuracy.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import gradlab
from gradlab import optim
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
from gradlab.lab.experiments.e20_bn_init_sensitivity import NormStack, evaluate, train


def _subset(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    return np.concatenate([rng.choice(np.flatnonzero(labels == c), per_class, replace=False)
                           for c in range(10)])


class BNRegularizer(Experiment):
    """Test-minus-train cross-entropy and test accuracy of an MLP on 150 Digits images, with
    and without BatchNorm, from the same starts."""

    id = "bn-regularizer"
    title = "BatchNorm as a regularizer: a smaller train/test gap on a small data set"
    source_ref = "source 003 BN L252; source 004 §3.4 L510, L514"
    claim = ("BatchNorm reduces overfitting: on a small training set an over-sized net with "
             "BatchNorm has a smaller gap between test and training loss, and a test accuracy "
             "at least as high, than the same net without it. (The source's mechanism, that a "
             "sample's output depends on the rest of its batch, is not tested.)")
    claim_zh = ("BN 是一种**正则化**方法（减少泛化误差） … 防止过拟合：BN 可以看作在各层之间"
                "加入了一个新的计算层，**对数据分布进行额外的约束**，从而增强模型的泛化能力；")
    protocol = (
        "150 Digits training images (15 per class, drawn by the seed), test on the 359 test "
        "images. MLP 64-128-128-10 (He-normal hidden weights) with BatchNorm1d before each ReLU "
        "vs none; Adam lr 1e-3, batch 32 drawn at random, 300 steps, 3 starts (init and batch "
        "order, shared by the BN and the plain net of a start; 9 starts in full mode), trained "
        "side by side. Eval mode: gap = test CE - train CE, averaged over starts; gap ratio = "
        "BN gap / plain gap; gain = BN - plain mean test accuracy. Holds: ratio <= 0.8 and gain "
        ">= 0. Does not hold: ratio > 0.8 and gain < +1 pt. Holds with caveats otherwise "
        "(ratio <= 0.8 with gain < 0, or ratio > 0.8 with gain >= +1 pt; C.2's overlap, ratio "
        "> 0.8 with a gain in [0, 1) pt, is 'does not hold', fixed before any run). A plain "
        "gap <= 0 (no overfitting) counts as a ratio above 0.8.")
    thresholds = {
        "gap_ratio_max": 0.8,        # BN CE gap / plain CE gap
        "acc_gain_min": 0.0,         # BN - plain test accuracy (holds needs at least this)
        "acc_gain_rescue": 0.01,     # with the gap not narrower: below this gain, does not hold
    }
    revisions = (
        Revision(
            date="2026-12-06",
            what="9 starts instead of 3, each with its own draw of 15 images per class (before: "
                 "one draw per seed shared by the 3 starts); thresholds unchanged.",
            why="With 3 starts the verdict depended on the seed: the gain sat at the 1-pt "
                "threshold (seeds 0-2: +0.9 / +1.6 / +1.5 pt; gap ratio 0.90 / 0.90 / 0.96). "
                "More starts and more draws of the small training set for power.",
            moved="toward does not hold",
            effect="seeds 0-2: does not hold, holds with caveats, holds with caveats -> does "
                   "not hold x3 (gain +0.3 / +0.6 / +1.0 pt, seed 2 at 0.99 pt; gap ratio "
                   "0.91 / 0.92 / 0.94)."),
        Revision(
            date="2026-12-06",
            what="27 starts instead of 9 (each its own draw of 150 images).",
            why="With 9 starts seed 2's gain was 0.99 pt against the 1-pt threshold: one test "
                "image decided it. More power.",
            moved="toward holds",
            effect="seeds 0-2: does not hold x3 -> does not hold, holds with caveats, does not "
                   "hold (gain +0.86 / +1.08 / +0.89 pt; gap ratio 0.92 / 0.92 / 0.92). The "
                   "gain sits at the threshold: the verdict stays unstable."),
    )

    widths = (128, 128)
    #: starts in quick mode (twice as many in full mode); each its own 150 images
    starts = 27

    def measure(self, seed: int, quick: bool) -> Measurement:
        rng = np.random.default_rng(seed)
        tr, te = Digits(train=True), Digits(train=False)
        starts, steps, batch = (self.starts, 300, 32) if quick else (2 * self.starts, 300, 32)
        # start r: its own draw of 15 images per class, its own init and batch order
        idx = np.stack([_subset(tr.targets.numpy(), 15, rng) for _ in range(starts)])
        x = gradlab.tensor(perturb(tr.data.reshape(len(tr), 64).numpy()[idx]))
        y = gradlab.tensor(tr.targets.numpy()[idx])
        xt, yt = te.data.reshape(len(te), 64), te.targets
        np.random.seed(1000 + seed)
        base = perturb(NormStack(starts, self.widths, "none"))
        # order[t, r] indexes start r's own images (flat index into the (starts, 150) set)
        order = (rng.integers(0, idx.shape[1], (steps, starts, batch))
                 + idx.shape[1] * np.arange(starts)[None, :, None])
        xf, yf = x.reshape(-1, 64), y.reshape(-1)
        rows, curves, same_start = {}, {}, []
        for name, norm in (("plain", "none"), ("bn", "batch")):
            model = NormStack(starts, self.widths, norm).copy_linear_from(base)
            same_start.append(max(float(np.abs(a.detach().numpy() - b.detach().numpy()).max())
                                  for a, b in zip(model.linear_weights(),
                                                  base.linear_weights())))
            opt = optim.Adam(model.parameters(), lr=1e-3)
            curves[name] = train(model, opt, xf, yf, order)
            trl, tra = evaluate(model, x, y)
            tel, tea = evaluate(model, xt, yt)
            rows[name] = {"train_ce": trl, "train_acc": tra, "test_ce": tel, "test_acc": tea}

        counts = [np.bincount(y.numpy()[r], minlength=10).tolist() for r in range(starts)]
        n: dict[str, Any] = {"starts": starts, "steps": steps, "batch": batch,
                             "train_size": int(idx.shape[1]), "test_size": int(len(yt)),
                             "class_counts": counts[0],
                             "all_class_counts_equal": all(c == counts[0] for c in counts),
                             "start_weight_diff": max(same_start)}
        for name, r in rows.items():
            for key, v in r.items():
                n[f"{name}_{key}_runs"] = [float(a) for a in v]
                n[f"{name}_{key}"] = float(np.mean(v))
            n[f"{name}_gap_runs"] = [float(a) for a in r["test_ce"] - r["train_ce"]]
            n[f"{name}_gap"] = n[f"{name}_test_ce"] - n[f"{name}_train_ce"]
        n["gap_ratio"] = n["bn_gap"] / n["plain_gap"] if n["plain_gap"] > 0 else None
        n["acc_gain"] = n["bn_test_acc"] - n["plain_test_acc"]
        return Measurement(n, [self._figure(n, curves)])

    @staticmethod
    def _figure(n, curves):
        fig, (a1, a2) = new_figure(ncols=2)
        colors = {"plain": "tab:gray", "bn": "tab:blue"}
        labels = {"plain": "no normalization", "bn": "BatchNorm"}
        w = 10
        for name in ("plain", "bn"):
            c = np.median(curves[name], axis=1)
            a1.plot(np.arange(w, len(c) + 1), np.convolve(c, np.ones(w) / w, "valid"),
                    color=colors[name], label=labels[name])
        a1.set(yscale="log", xlabel="Adam step", title="training batch loss",
               ylabel=f"median of {n['starts']} starts\n(mean of {w} steps)")
        a1.legend()
        for i, name in enumerate(("plain", "bn")):
            for j, split in enumerate(("train", "test")):
                vals = n[f"{name}_{split}_ce_runs"]
                xpos = j + (i - 0.5) * 0.3
                a2.bar(xpos, n[f"{name}_{split}_ce"], width=0.28, color=colors[name],
                       alpha=0.6 if split == "train" else 1.0,
                       label=labels[name] if j == 1 else None)
                a2.scatter([xpos] * len(vals), vals, color="k", s=9, zorder=3)
        a2.set_xticks([0, 1], ["train (150 images)", "test (359)"])
        a2.set(ylabel="cross-entropy, eval mode", title="mean over starts (dots: each start)")
        a2.legend()
        return png(fig, "bn_regularizer",
                   "MLP 64-128-128-10 on 150 Digits images with and without BatchNorm: the "
                   "training loss per step, and the train and test cross-entropy in eval mode "
                   "(the gap between the two is what BatchNorm should narrow).")

    def judge(self, n: dict[str, Any]) -> Verdict:
        t = self.thresholds
        k = n["starts"]
        ratio = n["gap_ratio"]
        gap = Criterion(f"BN / plain test-minus-train CE gap (means over {k} starts; "
                        "infinite when the plain net has no gap)",
                        math.inf if ratio is None else ratio, "<=", t["gap_ratio_max"],
                        "gap_ratio_max")
        gain = Criterion("BN minus plain mean test accuracy", n["acc_gain"], ">=",
                         t["acc_gain_min"], "acc_gain_min")
        rescue = Criterion("BN minus plain mean test accuracy (with a gap not narrower)",
                           n["acc_gain"], ">=", t["acc_gain_rescue"], "acc_gain_rescue")
        if gap.passed and gain.passed:
            verdict, crit = HOLDS, [gap, gain]
        elif gap.passed:
            verdict, crit = CAVEATS, [gap, gain]
        elif rescue.passed:
            verdict, crit = CAVEATS, [gap, rescue]
        else:
            verdict, crit = FAILS, [gap, rescue]
        rtext = ("not defined (the plain net has no gap)" if ratio is None
                 else f"{ratio:.2f}")
        text = (f"On 150 training images, the test-minus-train cross-entropy gap (eval mode, "
                f"mean of {k} starts) is {n['bn_gap']:.3f} with BatchNorm and "
                f"{n['plain_gap']:.3f} without: ratio {rtext} (narrower means at most "
                f"{t['gap_ratio_max']:g}). Test accuracy is {n['bn_test_acc']:.1%} with "
                f"BatchNorm and {n['plain_test_acc']:.1%} without, a gain of "
                f"{100 * n['acc_gain']:+.1f} pt. ")
        if verdict == HOLDS:
            text += "So BatchNorm narrowed the gap without costing test accuracy."
        elif gap.passed:
            text += "BatchNorm narrowed the gap but cost test accuracy."
        elif verdict == CAVEATS:
            text += (f"BatchNorm did not narrow the gap, but it gained at least "
                     f"{100 * t['acc_gain_rescue']:g} pt of test accuracy.")
        else:
            text += (f"BatchNorm neither narrowed the gap nor gained "
                     f"{100 * t['acc_gain_rescue']:g} pt of test accuracy.")
        key = f"gap ratio {rtext}, accuracy {100 * n['acc_gain']:+.1f} pt"
        return Verdict(verdict, text, key, criteria=crit)

    def checks(self, n: dict[str, Any]) -> list[Check]:
        """The protocol's set-up: 15 training images per class; the BN and the plain net of
        each start begin from the same Linear weights."""
        counts = n["class_counts"]
        return [
            Check("15 training images per class", counts == [15] * 10,
                  f"class counts {counts}"),
            Check("BN and plain nets start from the same Linear weights",
                  n["start_weight_diff"] == 0.0,
                  f"largest difference {n['start_weight_diff']:.1e}"),
        ]


EXPERIMENT = BNRegularizer()
