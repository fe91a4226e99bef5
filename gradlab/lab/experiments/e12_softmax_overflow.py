"""Softmax overflow without the max shift, and cross-entropy vs MSE behind a sigmoid output
(source 003: "数值计算中的计算上溢与下溢问题，如 softmax 中的处理方式" and
"为什么交叉熵损失可以提高具有 sigmoid 和 softmax 输出的模型的性能，
而使用均方误差损失则会存在很多问题").

Four measurements. The first two are float32 arithmetic and are reported as checks:

* the naive ``exp(z) / sum(exp(z))`` in float32 on logits ``c + [0, -1, ..., -9]`` for
  ``c`` from -120 to 120, against gradlab's ``F.softmax`` / ``F.cross_entropy`` (both shift by
  the maximum, the log-sum-exp form) and a float64 reference;
* the gradient ``dL/dz`` of a sigmoid output at a saturated wrong answer (target 1, logit
  -10): MSE's is ``2 (s - y) s (1 - s)`` and vanishes with ``sigmoid'(z)``, cross-entropy's is
  ``s - y`` and does not.

The verdict comes from the two trainings:

* logistic regression on two Gaussian blobs started saturated and wrong (every logit about
  -15 x the right sign), trained by full-batch gradient descent with each loss;
* softmax regression on Digits from the default init, full-batch gradient descent with each
  loss at each learning rate of a grid: steps to 90% training accuracy at each loss's best lr.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import gradlab
from gradlab import nn
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

_OFFSETS = -np.arange(10, dtype=np.float64)   # logits c + [0, -1, ..., -9]
# the ordinary-init training: learning rates tried for each loss (the best is the one with the
# fewest steps to the target; it must lie inside the grid, a check) and the target accuracy
_DIGITS_LRS = tuple(float(f"{v:.3g}") for v in np.logspace(-1, 1, 21))
_TARGET_ACC = 0.9
# the arithmetic the protocol relies on (checks, not verdict gates)
_GRADLAB_ERR_MAX = 1e-6      # gradlab softmax: largest |p - p_ref| at any level c
_GRADLAB_CE_ERR_MAX = 1e-5   # gradlab cross-entropy: largest |error| in nats at any level c
_GRAD_RATIO_MAX = 0.01       # |g_MSE| / |g_CE| at z = -10, target 1
_GRAD_RTOL = 1e-3            # autograd's |dL/dz| against the closed forms


def _level(c: float | None) -> str:
    return "(none)" if c is None else f"{c:g}"


def _reference_softmax(z: np.ndarray) -> np.ndarray:
    """Softmax in float64 with the max shift (the reference)."""
    e = np.exp(z - z.max())
    return e / e.sum()


def _naive_softmax(z: gradlab.Tensor) -> gradlab.Tensor:
    """exp(z) / sum(exp(z)) with no shift: what overflows."""
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        e = z.exp()
        return e / e.sum()


def _softmax_sweep(levels: np.ndarray) -> dict[str, Any]:
    """For each level c: is the naive softmax finite, the errors of naive and gradlab softmax
    against the float64 reference, and gradlab's cross-entropy error."""
    naive_err, lab_err, ce_err, naive_finite, lab_finite = [], [], [], [], []
    for c in levels:
        z64 = c + _OFFSETS
        ref = _reference_softmax(z64)
        ref_ce = float(np.log(np.exp(z64 - z64.max()).sum()) + z64.max() - z64[0])
        z = gradlab.tensor(z64.astype(np.float32))
        naive = _naive_softmax(z).numpy().astype(np.float64)
        lab = F.softmax(z, dim=0).numpy().astype(np.float64)
        ce = float(F.cross_entropy(z.reshape(1, 10), gradlab.tensor([0])).item())
        naive_finite.append(bool(np.isfinite(naive).all()))
        lab_finite.append(bool(np.isfinite(lab).all() and np.isfinite(ce)))
        naive_err.append(float(np.abs(naive - ref).max()) if naive_finite[-1] else float("nan"))
        lab_err.append(float(np.abs(lab - ref).max()))
        ce_err.append(abs(ce - ref_ce))
    bad = [float(c) for c, ok in zip(levels, naive_finite) if not ok]
    over = [c for c in bad if c > 0]
    under = [c for c in bad if c < 0]
    return {
        "levels": [float(c) for c in levels],
        "naive_max_err": naive_err,
        "gradlab_max_err": lab_err,
        "naive_first_overflow": min(over) if over else None,
        "naive_first_underflow": max(under) if under else None,
        "naive_nonfinite_count": len(bad),
        "gradlab_all_finite": all(lab_finite),
        "gradlab_worst_err": float(max(lab_err)),
        "gradlab_worst_ce_err": float(max(ce_err)),
    }


def _gradients(zs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """|dL/dz| for target 1 at each logit z: MSE on sigmoid(z), and cross-entropy (BCE with
    logits), both through gradlab's autograd."""
    z = gradlab.tensor(zs.astype(np.float32), requires_grad=True)
    y = gradlab.ones(len(zs))
    F.mse_loss(F.sigmoid(z), y, reduction="sum").backward()
    g_mse = np.abs(z.grad.numpy().astype(np.float64))
    z.grad = None
    F.binary_cross_entropy_with_logits(z, y, reduction="sum").backward()
    g_ce = np.abs(z.grad.numpy().astype(np.float64))
    return g_mse, g_ce


def _blobs(n: int, rng: np.random.Generator) -> tuple[gradlab.Tensor, gradlab.Tensor]:
    """Two Gaussian blobs at +-(1.5, 1.5), unit variance, labels 1 and 0."""
    y = (np.arange(n) % 2).astype(np.float32)
    x = rng.normal(0.0, 1.0, size=(n, 2)) + np.where(y[:, None] == 1, 1.5, -1.5)
    return gradlab.tensor(perturb(x.astype(np.float32))), gradlab.tensor(y[:, None])


def _train_from_saturated(loss_name: str, x, y, steps: int, lr: float) -> dict[str, Any]:
    """Logistic regression started at w = (-5, -5), b = 0 (wrong and saturated), trained by
    full-batch gradient descent; returns the accuracy curve and the first step at 90%."""
    model = nn.Linear(2, 1)
    with gradlab.no_grad():
        model.weight.copy_(gradlab.tensor([[-5.0, -5.0]]))
        model.bias.zero_()
    perturb(model)
    opt = gradlab.optim.SGD(model.parameters(), lr=lr)
    acc, loss_curve = [], []
    first = None
    for step in range(steps + 1):
        z = model(x)
        a = float(((z.detach().numpy() > 0) == (y.numpy() > 0.5)).mean())
        acc.append(a)
        if first is None and a >= 0.9:
            first = step
        if loss_name == "ce":
            loss = F.binary_cross_entropy_with_logits(z, y)
        else:
            loss = F.mse_loss(F.sigmoid(z), y)
        loss_curve.append(float(loss.item()))
        if step == steps:
            break
        opt.zero_grad()
        loss.backward()
        opt.step()
    return {"acc": acc, "loss": loss_curve, "steps_to_90": first, "final_acc": acc[-1]}


def _train_ordinary(loss_name: str, x, y, steps: int, seeds: list[int]) -> dict[str, Any]:
    """Softmax regression (``Linear(64, 10)`` at gradlab's default init for each of
    ``seeds``) on ``x``, ``y`` by full-batch gradient descent, one copy per init and learning
    rate of ``_DIGITS_LRS`` trained side by side: cross-entropy, or the squared error of the
    softmax probabilities against the one-hot targets (summed over classes, averaged over
    samples). Per init: the (interpolated) step at which the first lr reaches ``_TARGET_ACC``
    training accuracy (None if none does within ``steps``; no lr reaching it later can be the
    best, so training stops there), that lr, and that lr's accuracy per step."""
    n_init, n_lr = len(seeds), len(_DIGITS_LRS)
    copies = n_init * n_lr
    ws, bs = [], []
    for s in seeds:
        gradlab.manual_seed(s)
        base = perturb(nn.Linear(x.shape[1], 10))
        ws.append(np.tile(base.weight.detach().numpy().T, (1, n_lr)))
        bs.append(np.tile(base.bias.detach().numpy(), n_lr))
    # all copies in one matrix: column block c (10 columns) is copy c = init * n_lr + lr index
    w = nn.Parameter(gradlab.tensor(np.concatenate(ws, 1)))      # (64, copies * 10)
    b = nn.Parameter(gradlab.tensor(np.concatenate(bs)))         # (copies * 10,)
    lrs = np.repeat(np.tile(np.array(_DIGITS_LRS, dtype=np.float32), n_init), 10)
    onehot = F.one_hot(y, 10).float().reshape(-1, 1, 10)
    labels = y.numpy()[:, None]
    acc: list[np.ndarray] = []
    first: list[float | None] = [None] * n_init
    best_lr: list[float | None] = [None] * n_init
    for step in range(steps + 1):
        z = (x @ w + b).reshape(len(labels), copies, 10)
        acc.append((z.detach().numpy().argmax(-1) == labels).mean(0).reshape(n_init, n_lr))
        for i in range(n_init):
            hit = np.flatnonzero(acc[-1][i] >= _TARGET_ACC)
            if first[i] is None and hit.size:
                # the crossing of the target between this step and the one before, by linear
                # interpolation (step counts of 5-20 are too coarse to compare as integers)
                if step == 0:
                    cross = np.zeros(len(hit))
                else:
                    before, now = acc[-2][i][hit], acc[-1][i][hit]
                    cross = step - (now - _TARGET_ACC) / (now - before)
                j = int(np.argmin(cross))
                first[i], best_lr[i] = float(cross[j]), _DIGITS_LRS[int(hit[j])]
        if step == steps or all(f is not None for f in first):
            break
        if loss_name == "ce":
            per = -(F.log_softmax(z, dim=-1) * onehot).sum(-1).mean(0)
        else:
            per = ((F.softmax(z, dim=-1) - onehot) ** 2).sum(-1).mean(0)
        w.grad = b.grad = None
        per.sum().backward()                      # each copy's gradient is its own loss's
        with gradlab.no_grad():
            w.array -= lrs * w.grad.numpy()
            b.array -= lrs * b.grad.numpy()
    a = np.stack(acc, -1)                                       # (inits, lrs, steps)
    shown = [a[i, _DIGITS_LRS.index(best_lr[i])] if best_lr[i] is not None else a[i].max(0)
             for i in range(n_init)]
    return {"steps_to_target": first, "best_lr": best_lr,
            "acc_first_init": shown[0].tolist()}


class SoftmaxOverflow(Experiment):
    """Cross-entropy vs MSE behind a sigmoid output started saturated and wrong, and behind a
    softmax output from an ordinary init; with the arithmetic behind them (naive vs
    max-shifted softmax over logit levels -120..1000, |dL/dz| of MSE and CE at a saturated
    wrong sigmoid output) as checks."""

    id = "softmax-overflow"
    title = "Softmax overflow without log-sum-exp; cross-entropy vs MSE behind a sigmoid or softmax"
    source_ref = "source 003 (softmax over/underflow; CE vs MSE)"
    claim = ("With a sigmoid or softmax output, cross-entropy trains where MSE fails or lags: "
             "from a saturated wrong answer MSE's gradient vanishes with sigmoid'(z) while "
             "cross-entropy's does not, and from an ordinary init cross-entropy reaches a "
             "target accuracy in fewer steps, each loss at its best learning rate. (The "
             "arithmetic, shown as checks: softmax computed naively as exp/sum overflows in "
             "float32 from logits around 89 unless shifted by the maximum.)")
    claim_zh = ("数值计算中的计算上溢与下溢问题，如 softmax 中的处理方式; "
                "为什么交叉熵损失可以提高具有 sigmoid 和 softmax 输出的模型的性能，"
                "而使用均方误差损失则会存在很多问题")
    protocol = ("(1) Logistic regression on two 2-D Gaussian blobs (200 points) started at "
                "w = (-5, -5) (logits about -15 on the wrong side), full-batch GD lr 1, 200 "
                "steps (2,000 in full) for both losses; steps to 90% training accuracy. (2) "
                "Softmax regression on Digits from gradlab's default init (11 inits), "
                "full-batch GD with cross-entropy or the squared error of the probabilities, "
                "each at 21 lrs from 0.1 to 10 (10 per decade): per init the (interpolated) "
                "step at which its best lr first reaches 90% training accuracy; medians over "
                "the inits. Checks: logits c + [0, -1, ..., -9], c = -120..120 and 1000, "
                "float32 naive exp/sum vs F.softmax and F.cross_entropy against float64; "
                "|dL/dz| at target 1 for z in [-15, 15] through autograd vs the closed forms.")
    thresholds = {
        "speedup_min": 10.0,             # saturated start: MSE steps to 90% / CE steps
        "ordinary_speedup_min": 2.0,     # ordinary init: median MSE steps / median CE steps
    }
    revisions = (
        Revision(
            date="2026-12-06",
            what="The naive-softmax overflow, gradlab's softmax accuracy and the MSE/CE "
                 "gradient ratio at z = -10 are checks instead of conditions of the verdict; "
                 "the verdict comes from training.",
            why="They are float32 arithmetic that cannot fail as a test of the claim "
                "(outside review, issue 13).",
            moved="none",
            effect="Seeds 0-2: holds before; all three passed, so removing them moved no "
                   "verdict by itself."),
        Revision(
            date="2026-12-06",
            what="Added the ordinary-init training (Digits softmax regression, each loss at "
                 "its best lr) as a second criterion, MSE/CE steps to 90% at least 2; either "
                 "criterion failing gives caveats, both failing 'does not hold'.",
            why="The review: the verdict came only from a deliberately saturated wrong start, "
                "and no run from an ordinary init tested 'MSE has many problems'.",
            moved="toward does not hold",
            effect="Seeds 0-2, quick: holds before and after; see the next revision for how "
                   "close the new criterion is to its threshold."),
        Revision(
            date="2026-12-06",
            what="The ordinary-init statistic, after its first results: first 8 lrs 0.03-100 "
                 "(x3 apart), one init, integer steps: MSE/CE 2.12 / 1.67 / 2.00 for seeds "
                 "0-2 (the verdict flipped with the seed); then 36 lrs at 10 per decade with "
                 "interpolated crossing steps and the median of 5 inits: 2.16 / 2.0001 / "
                 "2.34; now 21 lrs 0.1-10 (the best lrs, 1.2-5, lie inside) and 11 inits.",
            why="Step counts of 5-20 compared as integers and a x3 grid quantize the ratio by "
                "up to 20%, and one init is one draw; the threshold 2 was not changed.",
            moved="toward holds",
            effect="Seeds 0-2, quick: holds with caveats for seed 1 and holds for seeds 0 and "
                   "2 with the first statistic; holds for all three now (ratio 2.15 / 2.45 / "
                   "2.21 on both BLAS kernels, 8-22% above the threshold: the effect measured "
                   "is about 2x, close to the threshold itself)."),
    )

    def measure(self, seed: int, quick: bool) -> Measurement:
        rng = np.random.default_rng(seed)
        levels = np.arange(-120.0, 121.0, 1.0)
        levels = np.concatenate([levels, [1000.0]])
        sm = _softmax_sweep(levels)

        zs = np.linspace(-15.0, 15.0, 61)
        g_mse, g_ce = _gradients(zs)
        i10 = int(np.argmin(np.abs(zs + 10.0)))

        steps = 200 if quick else 2000
        x, y = _blobs(200, rng)
        ce = _train_from_saturated("ce", x, y, steps, lr=1.0)
        mse = _train_from_saturated("mse", x, y, steps, lr=1.0)

        train = Digits(train=True)
        dx = gradlab.tensor(perturb(train.data.reshape(-1, 64).numpy().astype(np.float32)))
        inits = [100 * seed + i for i in range(11)]
        o_steps = 300 if quick else 1000
        ordinary = {k: _train_ordinary(k, dx, train.targets, o_steps, inits)
                    for k in ("ce", "mse")}

        def median_steps(k):
            st = ordinary[k]["steps_to_target"]
            return float(np.median([o_steps + 1 if v is None else v for v in st]))

        o_ce, o_mse = median_steps("ce"), median_steps("mse")
        numbers: dict[str, Any] = {
            **{k: v for k, v in sm.items() if k not in ("levels", "naive_max_err",
                                                        "gradlab_max_err")},
            "grad_z": float(zs[i10]),
            "grad_mse_at_minus10": float(g_mse[i10]),
            "grad_ce_at_minus10": float(g_ce[i10]),
            "grad_ratio_at_minus10": float(g_mse[i10] / g_ce[i10]),
            "train_steps": steps,
            "ce_steps_to_90": ce["steps_to_90"],
            "mse_steps_to_90": mse["steps_to_90"],
            "ce_final_acc": ce["final_acc"],
            "mse_final_acc": mse["final_acc"],
            "ce_final_loss": ce["loss"][-1],
            "mse_final_loss": mse["loss"][-1],
            "ordinary_inits": len(inits), "ordinary_steps": o_steps,
            "ordinary_lrs": list(_DIGITS_LRS),
            "ordinary_ce_steps": ordinary["ce"]["steps_to_target"],
            "ordinary_mse_steps": ordinary["mse"]["steps_to_target"],
            "ordinary_ce_best_lrs": ordinary["ce"]["best_lr"],
            "ordinary_mse_best_lrs": ordinary["mse"]["best_lr"],
            "ordinary_ce_median_steps": o_ce,
            "ordinary_mse_median_steps": o_mse,
            "ordinary_speedup": o_mse / max(o_ce, 1e-9),
        }
        fig, (a1, a2) = new_figure(ncols=2)
        lv = np.array(sm["levels"])
        keep = lv < 500
        naive = np.array(sm["naive_max_err"])
        a1.semilogy(lv[keep], np.maximum(np.array(sm["gradlab_max_err"])[keep], 1e-12),
                    label="gradlab F.softmax (max-shifted)")
        fin = keep & np.isfinite(naive)
        a1.semilogy(lv[fin], np.maximum(naive[fin], 1e-12), ".", ms=3, label="naive exp/sum")
        for c in lv[keep & ~np.isfinite(naive)]:
            a1.axvspan(c - 0.5, c + 0.5, color="tab:red", alpha=0.15, lw=0)
        a1.set_xlabel("largest logit c (float32)")
        a1.set_ylabel("max |p - p_ref| (floor 1e-12)")
        a1.set_title("naive softmax: inf/nan in red bands")
        a1.legend(fontsize=9)
        a2.semilogy(zs, np.maximum(g_mse, 1e-12), label="MSE on sigmoid")
        a2.semilogy(zs, np.maximum(g_ce, 1e-12), label="cross-entropy")
        a2.axvspan(-10.1, -9.9, color="grey", alpha=0.5, lw=0)
        a2.set_xlabel("logit z (target 1)")
        a2.set_ylabel("|dL/dz| (floor 1e-12)")
        a2.set_title("gradient at a wrong answer")
        a2.legend(fontsize=9)
        f1 = png(fig, "softmax_and_gradients",
                 "Left: max error of softmax vs a float64 reference; the naive form gives "
                 f"inf/nan (red) from c = {_level(sm['naive_first_overflow'])} up and from "
                 f"c = {_level(sm['naive_first_underflow'])} down. Right: |dL/dz| for target 1.")

        fig, (b1, b2, b3) = new_figure(ncols=3, width=4.0)
        t = np.arange(steps + 1)
        b1.plot(t, ce["acc"], label="cross-entropy")
        b1.plot(t, mse["acc"], label="MSE on sigmoid")
        b1.set_xscale("symlog", linthresh=1)
        b1.set_xlabel("GD step")
        b1.set_ylabel("training accuracy")
        b1.legend(fontsize=9)
        b2.plot(t, ce["loss"], label="cross-entropy")
        b2.plot(t, mse["loss"], label="MSE on sigmoid")
        b2.set_xscale("symlog", linthresh=1)
        b2.set_yscale("log")
        b2.set_xlabel("GD step")
        b2.set_ylabel("training loss")
        b2.legend(fontsize=9)
        for k, label in (("ce", "cross-entropy"), ("mse", "MSE on softmax")):
            a = ordinary[k]["acc_first_init"]
            b3.plot(np.arange(len(a)), a,
                    label=f"{label}, lr {ordinary[k]['best_lr'][0]}")
        b3.plot([0, max(len(ordinary[k]["acc_first_init"]) for k in ordinary) - 1],
                [_TARGET_ACC, _TARGET_ACC], "k:", lw=0.8, label="target")
        b3.set_xlabel("GD step")
        b3.set_ylabel("training accuracy")
        b3.set_title("Digits, ordinary init (first init)")
        b3.legend(fontsize=9)
        b1.set_title("saturated start")
        b2.set_title("saturated start")
        f2 = png(fig, "saturated_start",
                 "Left and middle: logistic regression started saturated and wrong, accuracy "
                 "and loss per full-batch GD step (lr 1) with each loss. Right: softmax "
                 "regression on Digits from the default init (first of the inits), each loss "
                 "at its best lr, until the first lr reaches 90%.")
        return Measurement(numbers, [f1, f2])

    @staticmethod
    def saturated_speedup(n: dict[str, Any]) -> float:
        """MSE's steps to 90% over cross-entropy's from the saturated start (MSE not reaching
        it counts as the budget + 1, a lower bound; CE not reaching it gives 0)."""
        ce_steps, mse_steps = n["ce_steps_to_90"], n["mse_steps_to_90"]
        mse_eff = n["train_steps"] + 1 if mse_steps is None else mse_steps
        if ce_steps is None:
            return 0.0
        return mse_eff / max(ce_steps, 1)

    def judge(self, n: dict[str, Any]) -> Verdict:
        t = self.thresholds
        sat = Criterion("saturated start: MSE's steps to 90% / cross-entropy's",
                        self.saturated_speedup(n), ">=", t["speedup_min"], "speedup_min")
        ordi = Criterion("ordinary init: median MSE steps to 90% / cross-entropy's, best lrs",
                         n["ordinary_speedup"], ">=", t["ordinary_speedup_min"],
                         "ordinary_speedup_min")
        ce_steps, mse_steps = n["ce_steps_to_90"], n["mse_steps_to_90"]
        mse_txt = (f"is still at {n['mse_final_acc']:.0%} after {n['train_steps']} steps"
                   if mse_steps is None else f"needs {mse_steps} steps")
        ce_txt = (f"does not reach it within {n['train_steps']} steps" if ce_steps is None
                  else f"reaches 90% training accuracy in {ce_steps} steps")
        explanation = (
            f"From a saturated wrong start (logits about -15), cross-entropy {ce_txt} and MSE "
            f"on the sigmoid {mse_txt} (ratio {sat.value:.3g}, threshold "
            f"{t['speedup_min']:g}); at such an output (z = -10) |dL/dz| is "
            f"{n['grad_mse_at_minus10']:.1e} for MSE vs {n['grad_ce_at_minus10']:.2f} for "
            f"cross-entropy. From an ordinary init on Digits, each loss at its best lr, the "
            f"median over {n['ordinary_inits']} inits is {n['ordinary_ce_median_steps']:.2f} "
            f"steps to 90% for cross-entropy and {n['ordinary_mse_median_steps']:.2f} for MSE "
            f"(ratio {n['ordinary_speedup']:.2f}, threshold {t['ordinary_speedup_min']:g}).")
        if sat.passed and ordi.passed:
            verdict = HOLDS
        elif sat.passed or ordi.passed:
            verdict = CAVEATS
            explanation += (" Only part of the claim shows: cross-entropy is "
                            + ("not ahead by the threshold from the saturated start"
                               if not sat.passed else
                               "not ahead by the threshold from an ordinary init") + ".")
        else:
            verdict = FAILS
            explanation += (" Cross-entropy is ahead by neither threshold, from the saturated "
                            "start or from an ordinary init.")
        key = (f"saturated: MSE/CE steps {sat.value:.3g}x; ordinary init: "
               f"{n['ordinary_speedup']:.2f}x")
        return Verdict(verdict, explanation, key, criteria=[sat, ordi])

    def checks(self, n: dict[str, Any]) -> list[Check]:
        """The float32 arithmetic: the naive softmax first overflows at the first integer
        above ln(float32 max); gradlab's max-shifted softmax and cross-entropy stay finite
        and accurate; autograd's |dL/dz| at z = -10 matches the closed forms, MSE's far below
        cross-entropy's. And the ordinary-init best lrs lie inside the grid."""
        out = []
        expect = float(math.ceil(math.log(float(np.finfo(np.float32).max))))
        over = n["naive_first_overflow"]
        out.append(Check("naive float32 softmax overflows from c = ceil(ln(float32 max))",
                         over is not None and over == expect,
                         f"first non-finite level {_level(over)} (expected {expect:g})"))
        out.append(Check("gradlab's softmax and cross-entropy stay finite and accurate",
                         bool(n["gradlab_all_finite"])
                         and n["gradlab_worst_err"] <= _GRADLAB_ERR_MAX
                         and n["gradlab_worst_ce_err"] <= _GRADLAB_CE_ERR_MAX,
                         f"finite at every level: {bool(n['gradlab_all_finite'])}; worst "
                         f"softmax error {n['gradlab_worst_err']:.1e} (at most "
                         f"{_GRADLAB_ERR_MAX:g}), cross-entropy {n['gradlab_worst_ce_err']:.1e} "
                         f"(at most {_GRADLAB_CE_ERR_MAX:g})"))
        zv = n["grad_z"]
        sig = 1.0 / (1.0 + math.exp(-zv))
        mse_ref, ce_ref = 2 * sig * (1 - sig) ** 2, 1 - sig
        rel = max(abs(n["grad_mse_at_minus10"] - mse_ref) / mse_ref,
                  abs(n["grad_ce_at_minus10"] - ce_ref) / ce_ref)
        out.append(Check("|dL/dz| at a saturated wrong output: autograd = closed form, MSE's "
                         "vanishes",
                         rel <= _GRAD_RTOL and n["grad_ratio_at_minus10"] <= _GRAD_RATIO_MAX,
                         f"z = {zv:g}: MSE {n['grad_mse_at_minus10']:.3e} vs 2s(1-s)^2 = "
                         f"{mse_ref:.3e}, CE {n['grad_ce_at_minus10']:.4f} vs 1-s = "
                         f"{ce_ref:.4f} (relative error {rel:.1e}, at most {_GRAD_RTOL:g}); "
                         f"ratio {n['grad_ratio_at_minus10']:.1e} (at most {_GRAD_RATIO_MAX:g})"))
        lrs = n["ordinary_lrs"]
        used = [v for v in n["ordinary_ce_best_lrs"] + n["ordinary_mse_best_lrs"]
                if v is not None]
        inside = bool(used) and all(lrs[0] < v < lrs[-1] for v in used)
        out.append(Check("ordinary init: every best lr lies inside the grid", inside,
                         f"best lrs {min(used, default=float('nan')):g} to "
                         f"{max(used, default=float('nan')):g} of {lrs[0]:g} to {lrs[-1]:g}"))
        return out


EXPERIMENT = SoftmaxOverflow()
