"""Symmetry: zero or constant initialization makes all hidden units compute the same thing
(source 004 §3.2), so the layer is worth one unit; random initialization breaks the symmetry.
Judged in float64: how far a symmetric net falls behind a random one, whether it does better
than a net with one hidden unit, and whether a float32-sized asymmetry stays tiny."""

from __future__ import annotations

from typing import Any

import numpy as np

import gradlab
import gradlab.nn.functional as F
from gradlab import backend, nn
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

HIDDEN = 32
LR = 0.5
CONSTANT = 0.1
INITS = ("zero", "constant", "random")
DRIFT_STEPS = 600
#: relative size of the asymmetry added to a symmetric net (float32's rounding is ~6e-8)
ASYMMETRY = 1e-7
#: the asymmetry is added after this many SGD steps (zero init's weights are all 0 before)
ASYMMETRY_STEP = 2
#: lower edge of the figure's log axis; exactly equal units are drawn there
FLOOR = 1e-12


def make_net(init: str, hidden: int = HIDDEN) -> nn.Sequential:
    """64 -> hidden (sigmoid) -> 10 with all weights and biases 0 ("zero"), all weights
    CONSTANT and biases 0 ("constant"), or PyTorch's default random init ("random")."""
    net = nn.Sequential(nn.Linear(64, hidden), nn.Sigmoid(), nn.Linear(hidden, 10))
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


def train(net: nn.Sequential, X, Y, steps: int, asymmetry_rng=None) -> dict[str, Any]:
    """Full-batch SGD (lr LR) on cross-entropy for ``steps`` steps. With ``asymmetry_rng``,
    every parameter is multiplied by 1 + ASYMMETRY u (u uniform in [-1, 1], one per element)
    after ASYMMETRY_STEP steps. Returns the curve of the largest relative unit difference
    (step, value; for nets with two or more hidden units), the difference right after the
    asymmetry, the final largest and smallest differences and the training accuracy."""
    opt = gradlab.optim.SGD(net.parameters(), lr=LR)
    multi = net[0].weight.shape[0] > 1
    curve: list[tuple[int, float]] = []
    injected = None
    every = max(1, steps // 40)
    for step in range(steps + 1):
        if asymmetry_rng is not None and step == ASYMMETRY_STEP:
            for p in net.parameters():
                u = asymmetry_rng.uniform(-1.0, 1.0, size=p.array.shape)
                p.array *= (1.0 + ASYMMETRY * u).astype(p.array.dtype)
            injected = pairwise_unit_difference(net[0].weight.array)[0]
        if multi and (step % every == 0 or step == steps):
            curve.append((step, pairwise_unit_difference(net[0].weight.array)[0]))
        if step == steps:
            break
        opt.zero_grad()
        F.cross_entropy(net(X), Y).backward()
        opt.step()
    mx, mn = pairwise_unit_difference(net[0].weight.array) if multi else (0.0, 0.0)
    with gradlab.no_grad():
        acc = float((net(X).array.argmax(1) == Y.array).mean())
    return {"curve": curve, "injected": injected, "max": mx, "min": mn, "acc": acc}


class Symmetry(Experiment):
    """Hidden-unit symmetry under zero, constant and random initialization."""

    id = "symmetry"
    title = "Zero or constant initialization keeps hidden units identical"
    source_ref = "source 004 §3.2"
    claim = ("With parameters initialized to 0 all hidden units compute the same activation, "
             "so they cannot become different (symmetric weights) and the layer has no more "
             "distinct units than one; random initialization breaks the symmetry.")
    claim_zh = ("参数为0：在第一遍前向计算时，所有的隐层神经元的激活值都相同。"
                "这样会导致深层神经元没有区分性。这种现象也称为对称权重现象。")
    protocol = (f"A 64-{HIDDEN}-10 sigmoid MLP on the Digits training set, full-batch SGD "
                f"(lr {LR:g}) on cross-entropy in float64, initialized with all zeros, all "
                f"weights {CONSTANT:g} or PyTorch's random init, against a 64-1-10 net with "
                "random init (one hidden unit). The symmetric inits are also trained with every "
                f"parameter multiplied by 1 + {ASYMMETRY:g} u after {ASYMMETRY_STEP} steps (u "
                f"uniform in [-1, 1]; float32 rounding is that size) for {DRIFT_STEPS} steps. "
                "Measured: the largest and smallest distance between two hidden units' incoming "
                "weight vectors relative to their mean norm, and the training accuracy. The "
                "same symmetric nets in float32 show this machine's BLAS rounding (a note).")
    thresholds = {"identical_max_rel_diff": 1e-4, "distinct_min_rel_diff": 0.05,
                  "random_gap_min": 0.2, "width1_excess_max": 0.05}
    revisions = (
        Revision(
            date="2026-11-27",
            what=("The test's expected verdict follows the float32 column spread of the BLAS "
                  "product: holds where identical columns come out identical, holds with "
                  "caveats where they do not (commit 291a0bb)."),
            why=("On a machine whose BLAS kernel computes identical columns identically the "
                 "float32 drift was 0 and the verdict holds, not the caveats measured first."),
            moved="none",
            effect=("the experiment's verdict was not changed: holds on SkylakeX kernels, "
                    "holds with caveats on Haswell kernels (seeds 0-2); the test accepted both")),
        Revision(
            date="2026-12-06",
            what=("Judged in float64 only. Float64 symmetry is a check; the float32 drift is a "
                  "note. New criteria: accuracy gap random - symmetric >= 0.2 and symmetric - "
                  "one-unit net <= 0.05 (else does not hold); largest unit difference after a "
                  "1e-7 relative asymmetry at step 2, float64, 600 steps <= 1e-4 (else holds "
                  "with caveats). Random init now trains in float64 too."),
            why=("Issue 13 and the outside review (LAB-REVIEW A, B, e03): 'does not hold' "
                 "needed an identity (float64 symmetry) to fail, and the verdict was set by the "
                 "BLAS kernel (float32 drift 0 on SkylakeX, 0.03 on Haswell)."),
            moved="toward does not hold",
            effect=("quick seeds 0-2: holds on SkylakeX kernels and holds with caveats on "
                    "Haswell kernels before; holds with caveats on both after (the 1e-7 "
                    "asymmetry grows to 0.0075-0.0085 with zero init, above 1e-4)")),
    )

    def measure(self, seed: int, quick: bool) -> Measurement:
        steps = 150 if quick else 600
        drift_steps = DRIFT_STEPS if quick else 3 * DRIFT_STEPS
        ds = Digits()
        X32 = gradlab.tensor(perturb(ds.data.array.reshape(len(ds), -1)))
        X64 = X32.double()
        Y = ds.targets
        numbers: dict[str, Any] = {"steps": steps, "drift_steps": drift_steps,
                                   "hidden": HIDDEN, "lr": LR, "asymmetry": ASYMMETRY,
                                   "asymmetry_step": ASYMMETRY_STEP,
                                   "blas_core": backend.blas_info().get("core")}
        w = np.full((64, HIDDEN), CONSTANT, dtype=np.float32)
        prod = X32.array @ w
        numbers["float32_matmul_column_spread"] = float(
            np.abs(prod - prod[:, :1]).max() / np.abs(prod).max())

        def start(init: str, hidden: int = HIDDEN) -> nn.Sequential:
            # a symmetric start stays symmetric under the jitter (one factor for all)
            return perturb(make_net(init, hidden), shared=init != "random")

        asym_rng = np.random.default_rng([seed, 3])
        runs = {  # name: (init, hidden, dtype, steps, asymmetry)
            "zero_float64": ("zero", HIDDEN, "float64", steps, False),
            "constant_float64": ("constant", HIDDEN, "float64", steps, False),
            "random_float64": ("random", HIDDEN, "float64", steps, False),
            "width1_float64": ("random", 1, "float64", steps, False),
            "zero_asym_float64": ("zero", HIDDEN, "float64", drift_steps, True),
            "constant_asym_float64": ("constant", HIDDEN, "float64", drift_steps, True),
            "zero_float32": ("zero", HIDDEN, "float32", drift_steps, False),
            "constant_float32": ("constant", HIDDEN, "float32", steps, False),
        }
        curves = {}
        for name, (init, hidden, dtype, n, asym) in runs.items():
            net = start(init, hidden)
            if dtype == "float64":
                net.double()
            r = train(net, X64 if dtype == "float64" else X32, Y, n,
                      asym_rng if asym else None)
            curves[name] = r["curve"]
            numbers[f"{name}_train_acc"] = r["acc"]
            if hidden > 1:
                numbers[f"{name}_max_rel_diff"] = r["max"]
                numbers[f"{name}_min_rel_diff"] = r["min"]
            if asym:
                numbers[f"{name}_injected_rel_diff"] = r["injected"]
        numbers["symmetric_float64_max_rel_diff"] = max(numbers["zero_float64_max_rel_diff"],
                                                        numbers["constant_float64_max_rel_diff"])
        sym_acc = max(numbers["zero_float64_train_acc"], numbers["constant_float64_train_acc"])
        numbers["symmetric_float64_best_acc"] = sym_acc
        numbers["random_minus_symmetric_acc"] = numbers["random_float64_train_acc"] - sym_acc
        numbers["symmetric_minus_width1_acc"] = sym_acc - numbers["width1_float64_train_acc"]
        numbers["asym_float64_max_rel_diff"] = max(numbers["zero_asym_float64_max_rel_diff"],
                                                   numbers["constant_asym_float64_max_rel_diff"])
        numbers["asym_float64_injected_rel_diff"] = max(
            numbers["zero_asym_float64_injected_rel_diff"],
            numbers["constant_asym_float64_injected_rel_diff"])
        numbers["float32_drift_max_rel_diff"] = max(numbers["zero_float32_max_rel_diff"],
                                                    numbers["constant_float32_max_rel_diff"])
        numbers["curves"] = {k: [[int(s), float(d)] for s, d in v] for k, v in curves.items()
                             if v}

        fig, (ax1, ax2) = new_figure(ncols=2, width=5.4, height=5.0)
        styles = {"zero_float64": ("C0", "-"), "constant_float64": ("C1", "--"),
                  "random_float64": ("C2", "-"), "zero_asym_float64": ("C0", ":"),
                  "constant_asym_float64": ("C1", ":"), "zero_float32": ("C4", "-."),
                  "constant_float32": ("C5", "-.")}
        labels = {"zero_float64": "zero", "constant_float64": "constant",
                  "random_float64": "random", "zero_asym_float64": "zero + 1e-7 asym.",
                  "constant_asym_float64": "constant + 1e-7 asym.",
                  "zero_float32": "zero, float32", "constant_float32": "constant, float32"}
        for name, (color, ls) in styles.items():
            s, d = zip(*curves[name])
            ax1.plot(s, np.maximum(d, FLOOR), color=color, ls=ls, label=labels[name])
        ax1.axhline(self.thresholds["identical_max_rel_diff"], color="k", ls="--", lw=1,
                    label="'identical' threshold")
        ax1.set_yscale("log")
        ax1.set_ylim(FLOOR / 3, 10.0)
        ax1.set_xlabel("SGD step (float64 unless marked)")
        ax1.set_ylabel(f"largest unit difference\n(exactly 0 drawn at {FLOOR:g})")
        ax1.set_title("how different the hidden units become")
        ax1.legend(fontsize=9, ncols=2, loc="upper center", bbox_to_anchor=(0.5, -0.2))
        bars = [("random", "random_float64"), ("1 unit", "width1_float64"),
                ("zero", "zero_float64"), ("const.", "constant_float64"),
                ("zero\n+asym.", "zero_asym_float64"), ("const.\n+asym.", "constant_asym_float64")]
        ax2.bar(range(len(bars)), [numbers[f"{k}_train_acc"] for _, k in bars],
                color=["C2", "C3", "C0", "C1", "C0", "C1"])
        ax2.set_xticks(range(len(bars)), [b for b, _ in bars])
        ax2.set_ylabel("training accuracy (float64)")
        ax2.set_ylim(0, 1)
        ax2.set_title(f"after {steps} steps ({drift_steps} with asym.)")
        figs = [png(fig, "symmetry", "How different the hidden units' incoming weights become "
                    "during training for each initialization (left; exactly equal units are "
                    f"drawn at {FLOOR:g}) and the accuracy reached (right).")]
        return Measurement(numbers, figs)

    def judge(self, numbers: dict[str, Any]) -> Verdict:
        t = self.thresholds
        gap = Criterion("training accuracy: random init - best symmetric init (float64)",
                        numbers["random_minus_symmetric_acc"], ">=", t["random_gap_min"],
                        "random_gap_min")
        one_unit = Criterion("training accuracy: best symmetric init - net with one hidden "
                             "unit (float64)", numbers["symmetric_minus_width1_acc"], "<=",
                             t["width1_excess_max"], "width1_excess_max")
        distinct = Criterion("random init: closest pair of hidden units (relative difference)",
                             numbers["random_float64_min_rel_diff"], ">=",
                             t["distinct_min_rel_diff"], "distinct_min_rel_diff")
        stays = Criterion("largest unit difference after a 1e-7 asymmetry (float64)",
                          numbers["asym_float64_max_rel_diff"], "<=",
                          t["identical_max_rel_diff"], "identical_max_rel_diff")
        criteria = [gap, one_unit, distinct, stays]
        key = (f"accuracy symmetric {numbers['symmetric_float64_best_acc']:.0%} vs random "
               f"{numbers['random_float64_train_acc']:.0%}, 1 unit "
               f"{numbers['width1_float64_train_acc']:.0%}; 1e-7 asymmetry -> "
               f"{numbers['asym_float64_max_rel_diff']:.2g}")
        text = (f"In float64 the zero and constant inits reach "
                f"{numbers['zero_float64_train_acc']:.1%} and "
                f"{numbers['constant_float64_train_acc']:.1%} training accuracy after "
                f"{numbers['steps']} steps: {numbers['random_minus_symmetric_acc']:.3f} below "
                f"random init's {numbers['random_float64_train_acc']:.1%} (threshold >= "
                f"{t['random_gap_min']:g}) and {numbers['symmetric_minus_width1_acc']:+.3f} "
                f"against a net with one hidden unit ({numbers['width1_float64_train_acc']:.1%};"
                f" threshold <= {t['width1_excess_max']:g}), while random init's closest pair "
                f"of units differs by {numbers['random_float64_min_rel_diff']:.3g} (threshold "
                f">= {t['distinct_min_rel_diff']:g}).")
        drift = (f" A relative {numbers['asymmetry']:g} asymmetry added at step "
                 f"{numbers['asymmetry_step']} (up to "
                 f"{numbers['asym_float64_injected_rel_diff']:.2g} between units) reaches "
                 f"{numbers['zero_asym_float64_max_rel_diff']:.3g} with zero init and "
                 f"{numbers['constant_asym_float64_max_rel_diff']:.3g} with constant init after "
                 f"{numbers['drift_steps']} steps (largest "
                 f"{numbers['asym_float64_max_rel_diff']:.3g}, threshold "
                 f"{t['identical_max_rel_diff']:g}")
        notes = [
            f"float32 on this machine's BLAS kernel ({numbers.get('blas_core') or 'unknown'}): "
            f"identical columns of one product differ by "
            f"{numbers['float32_matmul_column_spread']:.2g} (relative); after "
            f"{numbers['drift_steps']} steps zero init's units differ by "
            f"{numbers['zero_float32_max_rel_diff']:.3g}, after {numbers['steps']} steps "
            f"constant init's by {numbers['constant_float32_max_rel_diff']:.3g}. Other kernels "
            "round identical columns differently; the verdict uses float64 only."]
        if not (gap.passed and one_unit.passed and distinct.passed):
            missed = "; ".join(c.name for c in criteria[:3] if not c.passed)
            return Verdict(FAILS, text + f" Missed: {missed}, so the claim does not hold as "
                           "measured.", key, criteria, notes)
        if not stays.passed:
            return Verdict(CAVEATS, text + drift + "), so the units stay identical only in "
                           "exact arithmetic: a rounding-sized difference grows past the "
                           "threshold within the budget.",
                           key, criteria, notes)
        return Verdict(HOLDS, text + drift + "), so even a rounding-sized difference does not "
                       "separate the units within this budget.", key, criteria, notes)

    def checks(self, numbers: dict[str, Any]) -> list[Check]:
        """Exact symmetry in float64: with identical units the gradients of their weights are
        identical, so zero and constant init keep the units' weight vectors equal."""
        limit = self.thresholds["identical_max_rel_diff"]
        z, c = numbers["zero_float64_max_rel_diff"], numbers["constant_float64_max_rel_diff"]
        return [Check("float64 symmetry: zero and constant init keep the units identical",
                      max(z, c) <= limit,
                      f"largest relative unit difference after {numbers['steps']} steps: zero "
                      f"init {z:.3g}, constant init {c:.3g} (identical: <= {limit:g})")]


EXPERIMENT = Symmetry()
