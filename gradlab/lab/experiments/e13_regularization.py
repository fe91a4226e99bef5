"""L2 regularization is weight decay for SGD (source 002 eq. 7), not for Adam; L1 gives sparse
weights (source 003's norms table).

Two measurements:

* the same MLP, same start, same batches, trained by SGD on ``loss + lambda/2 ||w||^2`` and
  by ``SGD(weight_decay=lambda)``: eq. 7 says the two updates are the same map
  ``w <- (1 - eta lambda) w - eta grad J``; the trajectories are compared step by step. The
  same pair with Adam (L2 in the loss) and AdamW (decoupled decay, Loshchilov & Hutter 2019)
  shows where the equivalence ends: Adam divides the penalty's gradient by its running RMS.
* softmax regression on Digits trained with an L1 penalty ``lambda ||W||_1`` or an L2 penalty
  ``lambda/2 ||W||_2^2`` over a grid of strengths (all trained at once as one batched
  model), measuring test accuracy and the fraction of near-zero weights; the penalties are
  compared at matched accuracy (the strongest of each within two points of no penalty).
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

_NEAR_ZERO = 0.01   # |w| < 1% of the model's largest |w| counts as zero


def _digits() -> tuple[gradlab.Tensor, gradlab.Tensor, gradlab.Tensor, gradlab.Tensor]:
    tr, te = Digits(train=True), Digits(train=False)
    return (perturb(tr.data.reshape(len(tr), 64)), tr.targets,
            te.data.reshape(len(te), 64), te.targets)


def _flat(model: nn.Module) -> np.ndarray:
    return np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])


def _pair_trajectories(kind: str, x, y, steps: int, lam: float, lr: float,
                       seed: int) -> dict[str, Any]:
    """Train two copies of one MLP from the same start on the same batches: A with
    ``lam/2 ||theta||^2`` added to the loss, B with the optimizer's decay. ``kind`` "sgd":
    SGD vs SGD(weight_decay); "adam": Adam (L2 in loss) vs AdamW (decoupled decay).
    Returns the relative parameter gap per step and both final parameter norms."""
    gradlab.manual_seed(seed)
    a = perturb(nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10)))
    b = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    c = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    b.load_state_dict(a.state_dict())
    c.load_state_dict(a.state_dict())
    if kind == "sgd":
        opt_a = gradlab.optim.SGD(a.parameters(), lr=lr)
        opt_b = gradlab.optim.SGD(b.parameters(), lr=lr, weight_decay=lam)
        opt_c = gradlab.optim.SGD(c.parameters(), lr=lr)
    else:
        opt_a = gradlab.optim.Adam(a.parameters(), lr=lr)
        opt_b = gradlab.optim.AdamW(b.parameters(), lr=lr, weight_decay=lam)
        opt_c = gradlab.optim.Adam(c.parameters(), lr=lr)
    order = np.random.default_rng(seed).integers(0, len(y), size=(steps, 64))
    gaps = []
    for idx in order:
        xb, yb = x[gradlab.tensor(idx)], y[gradlab.tensor(idx)]
        loss_a = F.cross_entropy(a(xb), yb)
        loss_a = loss_a + 0.5 * lam * sum((p * p).sum() for p in a.parameters())
        opt_a.zero_grad()
        loss_a.backward()
        opt_a.step()
        for model, opt in ((b, opt_b), (c, opt_c)):
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        fa, fb = _flat(a), _flat(b)
        gaps.append(float(np.abs(fa - fb).max() / np.abs(fa).max()))
    return {"gaps": gaps, "max_gap": float(max(gaps)),
            "norm_a": float(np.linalg.norm(_flat(a))),
            "norm_b": float(np.linalg.norm(_flat(b))),
            "norm_none": float(np.linalg.norm(_flat(c)))}


def _penalty_grid(x, y, xt, yt, l1: list[float], l2: list[float], steps: int,
                  lr: float) -> dict[str, Any]:
    """Softmax regression 64 -> 10 for every strength of both penalties (and none) at once:
    weights (K, 64, 10), full-batch gradient descent, per-model loss
    ``CE_k + l1_k ||W_k||_1 + l2_k/2 ||W_k||^2``. Returns accuracies and near-zero fractions."""
    lam1 = np.array([0.0] + list(l1) + [0.0] * len(l2), dtype=np.float32)
    lam2 = np.array([0.0] + [0.0] * len(l1) + list(l2), dtype=np.float32)
    k = len(lam1)
    bound = 1.0 / np.sqrt(64.0)
    w0 = perturb(np.random.uniform(-bound, bound, size=(1, 64, 10)).astype(np.float32))
    w = gradlab.tensor(np.repeat(w0, k, axis=0), requires_grad=True)
    b = gradlab.zeros(k, 1, 10, requires_grad=True)
    opt = gradlab.optim.SGD([w, b], lr=lr)
    l1t = gradlab.tensor(lam1.reshape(k, 1, 1))
    l2t = gradlab.tensor(lam2.reshape(k, 1, 1))
    n = len(y)
    yk = y.reshape(1, n).expand(k, n).reshape(k * n)
    for _ in range(steps):
        logits = (x @ w + b).reshape(k * n, 10)
        ce = F.cross_entropy(logits, yk, reduction="sum") / n
        pen = (l1t * w.abs()).sum() + 0.5 * (l2t * w * w).sum()
        opt.zero_grad()
        (ce + pen).backward()
        opt.step()
    with gradlab.no_grad():
        pred = (xt @ w + b).numpy().argmax(-1)
    acc = (pred == yt.numpy()[None, :]).mean(1)
    wn = np.abs(w.detach().numpy()).reshape(k, -1)
    zero = (wn < _NEAR_ZERO * wn.max(1, keepdims=True)).mean(1)
    return {"acc": [float(a) for a in acc], "zero": [float(z) for z in zero],
            "weights": w.detach().numpy()}


def _matched(acc: list[float], zero: list[float], lams: list[float], ref: float,
             tol: float) -> tuple[float | None, float, float | None]:
    """Among strengths whose accuracy is within ``tol`` of ``ref``, the strongest:
    (strength, its accuracy, its near-zero fraction); (None, ref, None) when none is."""
    best = None
    for lam, a, z in zip(lams, acc, zero):
        if a >= ref - tol and (best is None or lam > best[0]):
            best = (lam, a, z)
    return best if best is not None else (None, ref, None)


class Regularization(Experiment):
    """SGD + L2 vs SGD(weight_decay) and Adam + L2 vs AdamW trajectories on one MLP, and the
    weights' norm with and without the penalty; L1 vs L2 near-zero weight fractions of softmax
    regression on Digits at matched accuracy."""

    id = "l2-l1-regularization"
    title = "L2 penalty = weight decay for SGD (not for Adam); L1 gives sparse weights"
    source_ref = "source 002 Q2 eq. 7; source 003 norms table"
    claim = ("Adding lambda/2 ||w||^2 to the loss makes each gradient step multiply the weights "
             "by (1 - eta lambda) first, so the regularized weights decay (end smaller than "
             "without the penalty): L2 regularization is weight decay for plain SGD (with Adam "
             "it is not: AdamW decays separately); and an L1 penalty makes the weights sparse "
             "(more zeros than L2 at the same accuracy).")
    claim_zh = ("对比式(4)和(7)可以看出 w 的系数，正则化使得权重得以衰减。 / "
                "让权重变得稀疏（更多0），方便特征提取")
    protocol = ("(1) MLP 64-32-10 on Digits, one start, the same 64-sample batches, 100 steps "
                "(full: 600): SGD (lr 0.1) on CE + lambda/2 ||theta||^2, SGD(weight_decay="
                "lambda) and SGD without penalty, lambda = 0.01: the L2 net's parameter norm "
                "over the unpenalized net's, and (a check) the largest |theta_A - theta_B| / "
                "max |theta_A| over all steps. The same with Adam (L2 in the loss) vs "
                "AdamW(weight_decay=lambda), lr 1e-3. "
                "(2) Softmax regression on Digits (1,438 train / 359 test), full-batch GD lr 0.5, "
                "200 steps (full: 1000), L1 (lambda ||W||_1) and L2 (lambda/2 ||W||^2) at a grid "
                "of strengths reaching past the accuracy floor; near-zero weight: |w| < 1% of "
                "the model's max |w|; each penalty at its strongest strength within 2 accuracy "
                "points of no penalty.")
    thresholds = {
        "sgd_gap_max": 1e-5,        # check: SGD+L2 vs SGD(weight_decay), relative gap
        "l2_norm_ratio_max": 1.0,   # L2 net's parameter norm / unpenalized net's: it decays
        "adam_gap_min": 1e-2,       # Adam+L2 vs AdamW: relative gap showing they differ
        "accuracy_tol": 0.02,       # matched accuracy: within 2 points of no penalty
        "stronger_tried_min": 1.0,  # strengths tried above each matched one (not capped)
        "more_zeros_min": 0.0,      # L1 near-zero fraction - L2's: more zeros at all
        "sparsity_ratio_min": 2.0,  # L1 near-zero fraction / L2 near-zero fraction
        "sparsity_gain_min": 0.10,  # and at least 10 points more near-zero weights
    }
    revisions = (
        Revision(
            date="2026-11-27",
            what="Quick mode's paired MLP runs shortened from 150 to 100 steps (commit "
                 "06bea1a).",
            why="Not stated in the commit (it came with the tests of e12-e16 and the quick "
                "budget).",
            moved="none",
            effect="Re-measured on 2026-12-06: the Adam + L2 vs AdamW gap is 0.76 / 0.62 / "
                   "0.69 at 150 steps and 0.75 / 0.58 / 0.46 at 100 (seeds 0-2), far above "
                   "0.01 either way; SGD's gap is 0 at 100 steps; holds for seeds 0-2."),
        Revision(
            date="2026-12-06",
            what="SGD + L2 = SGD(weight_decay) is a check, no longer a condition of the "
                 "verdict; the source's 'the weights decay' is judged instead on the L2 net's "
                 "final parameter norm against the same net trained without the penalty "
                 "(ratio < 1), a new SGD run.",
            why="The SGD equivalence is an algebraic identity of the update (eq. 7) and of the "
                "implementation; the review notes that FAILS could only come from it.",
            moved="none",
            effect="holds for seeds 0-2 before and after, on both OpenBLAS kernels."),
        Revision(
            date="2026-12-06",
            what="The L1 and L2 strength grids reach further (quick: L1 up to 1e-1, L2 up to "
                 "3e-1; full: L1 up to 1e-1, L2 up to 1) and the comparison counts only when "
                 "each penalty's matched strength is below the top of its grid (else holds "
                 "with caveats).",
            why="Both matched strengths were the top of their quick grids (L1 1e-2, L2 3e-2): "
                "the match was capped by the grid, not by the accuracy floor (review).",
            moved="none",
            effect="the matched strengths stay L1 1e-2 and L2 3e-2 (the next ones, L1 3e-2 and "
                   "L2 1e-1, fall below the floor): holds for seeds 0-2 before and after."),
        Revision(
            date="2026-12-06",
            what="The sparsity claim alone can give 'does not hold': L1 with no more near-zero "
                 "weights than L2 at matched accuracy (difference <= 0); more, but short of "
                 "the registered 2x and +10 points, gives 'holds with caveats'. Adam + L2 "
                 "equal to AdamW still gives 'holds with caveats'.",
            why="Before, 'does not hold' needed the SGD identity to fail as well (review).",
            moved="toward does not hold",
            effect="no verdict changes on seeds 0-2 (holds before and after)."),
    )

    def measure(self, seed: int, quick: bool) -> Measurement:
        x, y, xt, yt = _digits()
        steps = 100 if quick else 600
        lam = 0.01
        sgd = _pair_trajectories("sgd", x, y, steps, lam, 0.1, seed)
        adam = _pair_trajectories("adam", x, y, steps, lam, 1e-3, seed)

        if quick:
            l1 = [1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1]
            l2 = [1e-4, 1e-3, 1e-2, 3e-2, 1e-1, 3e-1]
            gd_steps = 200
        else:
            l1 = [1e-4, 3e-4, 1e-3, 2e-3, 3e-3, 5e-3, 1e-2, 2e-2, 5e-2, 1e-1]
            l2 = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 2e-2, 3e-2, 1e-1, 3e-1, 1.0]
            gd_steps = 1000
        grid = _penalty_grid(x, y, xt, yt, l1, l2, gd_steps, lr=0.5)
        acc, zero = grid["acc"], grid["zero"]
        ref = acc[0]
        n1 = len(l1)
        tol = self.thresholds["accuracy_tol"]
        lam1, acc1, zero1 = _matched(acc[1:1 + n1], zero[1:1 + n1], l1, ref, tol)
        lam2, acc2, zero2 = _matched(acc[1 + n1:], zero[1 + n1:], l2, ref, tol)

        numbers: dict[str, Any] = {
            "lambda": lam, "steps": steps,
            "sgd_max_gap": sgd["max_gap"], "adam_adamw_max_gap": adam["max_gap"],
            "adam_l2_norm": adam["norm_a"], "adamw_norm": adam["norm_b"],
            "adam_none_norm": adam["norm_none"],
            "sgd_l2_norm": sgd["norm_a"], "sgd_wd_norm": sgd["norm_b"],
            "sgd_none_norm": sgd["norm_none"],
            "l2_norm_ratio": sgd["norm_a"] / sgd["norm_none"],
            "none_acc": ref, "none_zero": zero[0],
            "l1_strengths": l1, "l2_strengths": l2,
            "l1_acc": acc[1:1 + n1], "l1_zero": zero[1:1 + n1],
            "l2_acc": acc[1 + n1:], "l2_zero": zero[1 + n1:],
            "l1_matched_lambda": lam1, "l1_matched_acc": acc1, "l1_matched_zero": zero1,
            "l2_matched_lambda": lam2, "l2_matched_acc": acc2, "l2_matched_zero": zero2,
            # strengths tried above the matched one (0: the grid capped the match)
            "l1_stronger_tried": (sum(v > lam1 for v in l1) if lam1 is not None else 0),
            "l2_stronger_tried": (sum(v > lam2 for v in l2) if lam2 is not None else 0),
        }

        fig, (a1, a2) = new_figure(ncols=2)
        t = np.arange(1, steps + 1)
        a1.semilogy(t, np.maximum(sgd["gaps"], 1e-12), label="SGD + L2 vs SGD(weight_decay)")
        a1.semilogy(t, np.maximum(adam["gaps"], 1e-12), label="Adam + L2 vs AdamW")
        a1.set_xlabel("step")
        a1.set_ylabel("max |theta_A - theta_B| / max |theta_A|\n(0 drawn at 1e-12)")
        a1.set_title(f"lambda = {lam:g}")
        a1.legend()
        a2.plot(zero[1:1 + n1], acc[1:1 + n1], "o-", label="L1")
        a2.plot(zero[1 + n1:], acc[1 + n1:], "s-", label="L2")
        a2.plot([zero[0]], [ref], "k*", ms=9, label="no penalty")
        a2.axhline(ref - tol, color="grey", ls=":", lw=1, label="matched-accuracy floor")
        a2.set_xlabel(f"near-zero weights (|w| < {_NEAR_ZERO:g} max|w|)")
        a2.set_ylabel("test accuracy")
        a2.set_title("softmax regression on Digits")
        a2.legend()
        f1 = png(fig, "l2_decay_and_l1_sparsity",
                 "Left: parameter gap between L2-in-the-loss and the optimizer's weight decay, "
                 "per step (an exact 0 is drawn at 1e-12). Right: accuracy vs near-zero "
                 "weights over penalty strengths.")

        fig, ax = new_figure()
        w = grid["weights"]
        bins = np.linspace(-1.5, 1.5, 61)
        for i, label in ((1 + l1.index(lam1) if lam1 is not None else None, "L1"),
                         (1 + n1 + l2.index(lam2) if lam2 is not None else None, "L2")):
            if i is None:
                continue
            s = l1[i - 1] if label == "L1" else l2[i - 1 - n1]
            ax.hist(np.clip(w[i].ravel(), -1.5, 1.5), bins=bins, alpha=0.6,
                    label=f"{label}, lambda = {s:g}")
        ax.set_yscale("log")
        ax.set_xlabel("weight value (clipped to +-1.5)")
        ax.set_ylabel("count (empty bins not drawn)")
        ax.set_title("weights at matched accuracy")
        ax.legend()
        f2 = png(fig, "weight_histograms",
                 "Histogram of the softmax-regression weights with L1 and L2 at matched "
                 "accuracy.")
        return Measurement(numbers, [f1, f2])

    def checks(self, n: dict[str, Any]) -> list[Check]:
        t = self.thresholds
        return [Check(
            "SGD on loss + lambda/2 ||w||^2 = SGD(weight_decay=lambda) (eq. 7)",
            n["sgd_max_gap"] <= t["sgd_gap_max"],
            f"largest relative parameter gap {n['sgd_max_gap']:.1e} over {n['steps']} steps "
            f"(at most {t['sgd_gap_max']:.0e})")]

    def judge(self, n: dict[str, Any]) -> Verdict:
        t = self.thresholds
        decay = Criterion("L2 net's parameter norm / unpenalized net's (SGD)",
                          n["l2_norm_ratio"], "<", t["l2_norm_ratio_max"], "l2_norm_ratio_max")
        adam = Criterion("largest relative parameter gap, Adam + L2 vs AdamW",
                         n["adam_adamw_max_gap"], ">=", t["adam_gap_min"], "adam_gap_min")
        grid = Criterion("strengths tried above the matched one, the fewer of L1 and L2 "
                         "(0: the grid capped the match)",
                         min(n["l1_stronger_tried"], n["l2_stronger_tried"]), ">=",
                         t["stronger_tried_min"], "stronger_tried_min")
        criteria = [decay, grid, adam]
        z1, z2 = n["l1_matched_zero"], n["l2_matched_zero"]
        matched = n["l1_matched_lambda"] is not None and n["l2_matched_lambda"] is not None
        if matched:
            ratio = z1 / z2 if z2 > 0 else float("inf")
            more = Criterion("near-zero fraction, L1 minus L2, at matched accuracy", z1 - z2,
                             ">", t["more_zeros_min"], "more_zeros_min")
            clear_gain = Criterion("near-zero fraction gain of L1 over L2 (clear sparsity)",
                                   z1 - z2, ">=", t["sparsity_gain_min"], "sparsity_gain_min")
            criteria += [more, clear_gain]
            if math.isfinite(ratio):
                criteria.append(Criterion("near-zero fraction ratio L1 / L2",
                                          ratio, ">=", t["sparsity_ratio_min"],
                                          "sparsity_ratio_min"))
            sparse_fails = grid.passed and not more.passed
            sparse_clear = (grid.passed and clear_gain.passed
                            and ratio >= t["sparsity_ratio_min"])
        else:
            sparse_fails = sparse_clear = False
        if not decay.passed or sparse_fails:
            verdict = FAILS
        elif sparse_clear and adam.passed:
            verdict = HOLDS
        else:
            verdict = CAVEATS

        decay_txt = (
            f"With SGD the L2 penalty leaves the weights at {n['l2_norm_ratio']:.3f}x the norm "
            f"of the same net trained without it (decay means < {t['l2_norm_ratio_max']:g}; "
            f"{n['steps']} steps, lambda = {n['lambda']:g}), "
            + ("so the penalty decays the weights. " if decay.passed
               else "so the penalty did not make the weights smaller. "))
        adam_txt = (
            f"Adam with the L2 term and AdamW "
            f"{'differ' if adam.passed else 'do not measurably differ'} (largest relative gap "
            f"{n['adam_adamw_max_gap']:.2f}, threshold {t['adam_gap_min']:g}; final norms "
            f"{n['adam_l2_norm']:.2f} vs {n['adamw_norm']:.2f})"
            + (", so with Adam the L2 term is not weight decay. " if adam.passed else ". "))
        if matched:
            sparse_txt = (
                f"At matched accuracy ({n['l1_matched_acc']:.1%} with L1 lambda = "
                f"{n['l1_matched_lambda']:g}, {n['l2_matched_acc']:.1%} with L2 lambda = "
                f"{n['l2_matched_lambda']:g}; none: {n['none_acc']:.1%}), {z1:.0%} of the "
                f"L1 weights are near zero vs {z2:.0%} with L2 (ratio {ratio:.1f}, required "
                f">= {t['sparsity_ratio_min']:g} and +{t['sparsity_gain_min']:.0%})"
                + ("." if grid.passed else
                   f"; but a matched strength is the top of its grid (stronger strengths "
                   f"tried: L1 {n['l1_stronger_tried']}, L2 {n['l2_stronger_tried']}), so the "
                   f"match is capped by the grid."))
        else:
            sparse_txt = ("No strength of one of the penalties kept the accuracy within "
                          f"{t['accuracy_tol']:.0%} of no penalty, so sparsity was not "
                          "compared at matched accuracy.")
        explanation = decay_txt + adam_txt + sparse_txt
        key = (f"L2 norm x{n['l2_norm_ratio']:.2f}; near-zero L1 {z1:.0%} vs L2 {z2:.0%}"
               if matched else f"L2 norm x{n['l2_norm_ratio']:.2f}; no matched pair")
        return Verdict(verdict, explanation, key, criteria=criteria)


EXPERIMENT = Regularization()
