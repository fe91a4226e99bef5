"""Symmetry: zero or constant initialization keeps the hidden units identical through training
(seed 004 §3.2); random initialization breaks the symmetry."""

from __future__ import annotations

from typing import Any

import numpy as np

import gradlab
import gradlab.nn.functional as F
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

HIDDEN = 32
LR = 0.5
CONSTANT = 0.1
INITS = ("zero", "constant", "random")
DRIFT_STEPS = 600


def make_net(init: str) -> nn.Sequential:
    """64 -> HIDDEN (sigmoid) -> 10 with all weights and biases 0 ("zero"), all weights
    CONSTANT and biases 0 ("constant"), or PyTorch's default random init ("random")."""
    net = nn.Sequential(nn.Linear(64, HIDDEN), nn.Sigmoid(), nn.Linear(HIDDEN, 10))
    if init in ("zero", "constant"):
        for lin in (net[0], net[2]):
            nn.init.constant_(lin.weight, 0.0 if init == "zero" else CONSTANT)
            nn.init.zeros_(lin.bias)
    elif init != "random":
        raise ValueError(f"make_net: init must be one of {INITS}, got {init!r}")
    return net


def pairwise_unit_difference(weight: np.ndarray) -> tuple[float, float]:
    """The largest and the smallest distance between two hidden units' incoming weight
    vectors (rows of ``weight``), relative to the mean row norm (0 when all rows are 0).

    max_{i<j} ||w_i - w_j|| / mean_i ||w_i||, and the same with min.

    Shape:
        weight: (units, inputs).
    """
    w = weight.astype(np.float64)
    d = np.sqrt(((w[:, None, :] - w[None, :, :]) ** 2).sum(-1))
    iu = np.triu_indices(len(w), 1)
    scale = float(np.linalg.norm(w, axis=1).mean())
    if scale == 0.0:
        return 0.0, 0.0
    return float(d[iu].max() / scale), float(d[iu].min() / scale)


class Symmetry(Experiment):
    """Hidden-unit symmetry under zero, constant and random initialization."""

    id = "symmetry"
    title = "Zero or constant initialization keeps hidden units identical"
    seed_ref = "seed 004 §3.2"
    claim = ("With parameters initialized to 0 all hidden units compute the same activation, "
             "so they cannot become different (symmetric weights); random initialization "
             "breaks the symmetry.")
    claim_zh = ("参数为0：在第一遍前向计算时，所有的隐层神经元的激活值都相同。"
                "这样会导致深层神经元没有区分性。这种现象也称为**对称权重**现象。")
    protocol = (f"A 64-{HIDDEN}-10 sigmoid MLP on the Digits training set, full-batch SGD "
                f"(lr {LR:g}) on cross-entropy, initialized with all zeros, all weights "
                f"{CONSTANT:g}, or PyTorch's random init. The symmetric inits train in float64 "
                "(exact symmetry) and in float32 (the default, where BLAS rounding can differ "
                f"between identical columns; zero init for {DRIFT_STEPS} steps). Measured: the "
                "largest and smallest distance between two hidden units' incoming weight "
                "vectors relative to their mean norm, and the training accuracy.")
    thresholds = {"identical_max_rel_diff": 1e-4, "distinct_min_rel_diff": 0.05}
    seed_error = None

    def measure(self, seed: int, quick: bool) -> Measurement:
        steps = 150 if quick else 600
        drift_steps = DRIFT_STEPS if quick else 3 * DRIFT_STEPS
        ds = Digits()
        X32 = gradlab.tensor(ds.data.data.reshape(len(ds), -1))
        Y = ds.targets
        numbers: dict[str, Any] = {"steps": steps, "drift_steps": drift_steps,
                                   "hidden": HIDDEN, "lr": LR}
        w = np.full((64, HIDDEN), CONSTANT, dtype=np.float32)
        prod = X32.data @ w
        numbers["float32_matmul_column_spread"] = float(
            np.abs(prod - prod[:, :1]).max() / np.abs(prod).max())
        curves = {}
        runs = [("zero", "float64", steps), ("constant", "float64", steps),
                ("random", "float32", steps), ("zero", "float32", drift_steps),
                ("constant", "float32", steps)]
        for init, dtype, n in runs:
            net = make_net(init)
            X = X32
            if dtype == "float64":
                net.double()
                X = X32.double()
            opt = gradlab.optim.SGD(net.parameters(), lr=LR)
            curve = []
            every = max(1, n // 40)
            for step in range(n + 1):
                if step % every == 0 or step == n:
                    mx, _ = pairwise_unit_difference(net[0].weight.data)
                    curve.append((step, mx))
                if step == n:
                    break
                opt.zero_grad()
                F.cross_entropy(net(X), Y).backward()
                opt.step()
            name = f"{init}_{dtype}"
            curves[name] = curve
            mx, mn = pairwise_unit_difference(net[0].weight.data)
            with gradlab.no_grad():
                acc = float((net(X).data.argmax(1) == Y.data).mean())
            numbers[f"{name}_max_rel_diff"] = mx
            numbers[f"{name}_min_rel_diff"] = mn
            numbers[f"{name}_train_acc"] = acc
        numbers["float32_drift_max_rel_diff"] = max(numbers["zero_float32_max_rel_diff"],
                                                    numbers["constant_float32_max_rel_diff"])

        fig, (ax1, ax2) = new_figure(ncols=2)
        for name, curve in curves.items():
            s, d = zip(*curve)
            ax1.plot(s, np.maximum(d, 1e-12), "-", label=name.replace("_", ", "))
        ax1.axhline(self.thresholds["identical_max_rel_diff"], color="k", ls="--", lw=1,
                    label="'identical' threshold")
        ax1.set_yscale("log")
        ax1.set_xlabel("SGD step")
        ax1.set_ylabel("max_{i,j} ||w_i - w_j|| / mean ||w_i||")
        ax1.set_title("unit differences (1e-12 = exactly equal)")
        ax1.legend(fontsize=6)
        names = list(curves)
        ax2.bar(range(len(names)), [numbers[f"{n}_train_acc"] for n in names],
                color=[f"C{i}" for i in range(len(names))])
        ax2.set_xticks(range(len(names)), [n.replace("_", "\n") for n in names], fontsize=7)
        ax2.set_ylabel("training accuracy")
        ax2.set_ylim(0, 1)
        ax2.set_title("after training")
        figs = [png(fig, "symmetry", "How different the hidden units' incoming weights become "
                    "during training for each initialization and precision (left) and the "
                    "accuracy reached (right).")]
        return Measurement(numbers, figs)

    def judge(self, numbers: dict[str, Any]) -> Verdict:
        t = self.thresholds
        exact_same = max(numbers["zero_float64_max_rel_diff"],
                         numbers["constant_float64_max_rel_diff"]) <= t["identical_max_rel_diff"]
        random_distinct = numbers["random_float32_min_rel_diff"] >= t["distinct_min_rel_diff"]
        drift = numbers["float32_drift_max_rel_diff"] > t["identical_max_rel_diff"]
        key = (f"unit difference: zero/constant {numbers['zero_float64_max_rel_diff']:.2g}/"
               f"{numbers['constant_float64_max_rel_diff']:.2g} (float64), random min "
               f"{numbers['random_float32_min_rel_diff']:.2g}")
        text = (f"After {numbers['steps']} steps in float64 the largest relative difference "
                f"between two hidden units' incoming weights is "
                f"{numbers['zero_float64_max_rel_diff']:.3g} with zero init and "
                f"{numbers['constant_float64_max_rel_diff']:.3g} with constant init (identical: "
                f"<= {t['identical_max_rel_diff']:g}; accuracy "
                f"{numbers['zero_float64_train_acc']:.1%} and "
                f"{numbers['constant_float64_train_acc']:.1%}), while with random init even the "
                f"closest pair differs by {numbers['random_float32_min_rel_diff']:.3g} (distinct: "
                f">= {t['distinct_min_rel_diff']:g}; accuracy "
                f"{numbers['random_float32_train_acc']:.1%}).")
        if not (exact_same and random_distinct):
            return Verdict(FAILS, text + " The thresholds are missed, so the claim does not "
                           "hold as measured.", key)
        if drift:
            return Verdict(CAVEATS, text + (
                f" In float32 the symmetry is only as exact as the arithmetic: the BLAS product "
                f"gives identical columns that differ by up to "
                f"{numbers['float32_matmul_column_spread']:.2g} (relative), and after "
                f"{numbers['drift_steps']} steps zero init's units differ by "
                f"{numbers['zero_float32_max_rel_diff']:.3g}, so training slowly breaks the "
                f"symmetry by itself."), key)
        return Verdict(HOLDS, text + (
            f" In float32 the units stay identical as well (largest difference "
            f"{numbers['float32_drift_max_rel_diff']:.3g})."), key)


EXPERIMENT = Symmetry()
