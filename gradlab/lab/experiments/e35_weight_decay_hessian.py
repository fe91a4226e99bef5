"""Weight decay and the Hessian's eigenvalues (source 003 L502; Goodfellow, Bengio & Courville,
*Deep Learning* §7.1.1): with an L2 penalty (alpha / 2) ||w||^2 the regularized optimum is
``Q (Lambda + alpha I)^-1 Lambda Q^T w*``, the unregularized optimum ``w*`` rescaled along
Hessian eigenvector i by ``lambda_i / (lambda_i + alpha)``: directions of large curvature are
kept, directions of small curvature are shrunk towards 0.

Linear regression in float64 whose inputs have a designed covariance (Hessian eigenvalues
1e-3 ... 10, log-spaced). Several starts are trained side by side (one weight matrix, one
column per start) by full-batch gradlab SGD with ``weight_decay=alpha``, and the same starts
with the penalty added to the loss instead. The trained solution's coordinates in the
Hessian's eigenbasis are divided by those of the unregularized optimum and compared with
``lambda / (lambda + alpha)``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import gradlab
from gradlab import nn, optim
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

_DIM = 8                  # input dimension = number of Hessian eigenvalues
_SAMPLES = 100            # training points
_LAMBDA_RANGE = (1e-3, 10.0)
_ALPHA = 0.1              # the L2 coefficient / weight decay
_LR = 0.09                # < 2 / (10 + alpha): full-batch GD is stable on every direction
_NOISE = 0.03             # std of the label noise
_PROBES = 40              # how many times the factors are recorded during training


def design(seed: int) -> dict[str, np.ndarray]:
    """The regression problem of ``seed`` (float64): inputs ``x`` (N, d) whose second-moment
    matrix x^T x / N is ``V diag(lambdas) V^T`` for a random rotation V, targets
    ``y = x w_true + noise`` (N, 1) with w_true's coordinates along V of size 0.5-1.5 and random
    sign (so no coordinate of the optimum is near 0), and the starts are drawn separately."""
    rng = np.random.default_rng([35, seed])
    lambdas = np.logspace(math.log10(_LAMBDA_RANGE[0]), math.log10(_LAMBDA_RANGE[1]), _DIM)
    v, _ = np.linalg.qr(rng.standard_normal((_DIM, _DIM)))
    z, _ = np.linalg.qr(rng.standard_normal((_SAMPLES, _DIM)))    # orthonormal columns
    x = math.sqrt(_SAMPLES) * z @ np.diag(np.sqrt(lambdas)) @ v.T
    c = rng.choice([-1.0, 1.0], _DIM) * rng.uniform(0.5, 1.5, _DIM)
    y = x @ (v @ c) + _NOISE * rng.standard_normal(_SAMPLES)
    return {"x": x, "y": y[:, None], "lambdas": lambdas}


def starts(seed: int, k: int) -> np.ndarray:
    """``k`` starting weight vectors, N(0, 1) entries, as the columns of a (d, k) array."""
    return np.random.default_rng([35, seed, 1]).standard_normal((_DIM, k))


def eigen_factors(w: np.ndarray, w_star: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The ratio of each column of ``w`` to ``w_star`` along each eigenvector (column of
    ``v``): (V^T w)_i / (V^T w*)_i.

    Shape: w (d, k), w_star (d,), v (d, d) -> (k, d)."""
    return ((v.T @ w) / (v.T @ w_star)[:, None]).T


def train(x: np.ndarray, y: np.ndarray, w0: np.ndarray, steps: int, probe_at: list[int],
          v: np.ndarray, w_star: np.ndarray) -> dict[str, np.ndarray]:
    """Full-batch SGD (lr 0.09) from the columns of ``w0`` on the mean squared error
    (1 / 2N) ||x w - y||^2 of each column, two copies side by side: "decay" with
    ``SGD(weight_decay=alpha)``, "l2" with (alpha / 2) ||w||^2 added to the loss. Returns the
    final weights of each and the decay copy's eigen factors at the steps ``probe_at``."""
    xt, yt = gradlab.tensor(x), gradlab.tensor(y)
    wd = nn.Parameter(gradlab.tensor(w0.copy()))
    wl = nn.Parameter(gradlab.tensor(w0.copy()))
    opt = optim.SGD([{"params": [wd], "weight_decay": _ALPHA},
                     {"params": [wl], "weight_decay": 0.0}], lr=_LR)
    n = x.shape[0]
    probes = []
    for step in range(steps + 1):
        if step in probe_at:
            probes.append(eigen_factors(wd.detach().numpy(), w_star, v))
        if step == steps:
            break
        rd = xt @ wd - yt
        rl = xt @ wl - yt
        loss = ((rd * rd).sum() + (rl * rl).sum()) / (2 * n) + _ALPHA / 2 * (wl * wl).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return {"decay": wd.detach().numpy().copy(), "l2": wl.detach().numpy().copy(),
            "probes": np.array(probes)}


class WeightDecayHessian(Experiment):
    """Per-eigendirection shrink factor of the weight-decayed linear-regression optimum
    against lambda / (lambda + alpha)."""

    id = "weight-decay-eigendirections"
    title = "Weight decay shrinks along the Hessian's flat directions"
    source_ref = "source 003 L502-504 (book p231-234)"
    claim = ("An L2 penalty (alpha / 2) ||w||^2 rescales the unregularized optimum along each "
             "eigenvector of the Hessian by lambda_i / (lambda_i + alpha): directions of large "
             "curvature (lambda_i >> alpha) are kept, directions of small curvature "
             "(lambda_i << alpha) are shrunk towards 0 (Deep Learning book §7.1.1).")
    claim_zh = ("正则化过程中，权重衰减与 Hessian 矩阵中特征值的一些关系，"
                "以及与梯度弥散，梯度爆炸的关系")
    protocol = (
        "Linear regression in float64, d = 8, N = 100, inputs designed so that the Hessian "
        "x^T x / N has eigenvalues log-spaced 1e-3 ... 10 (random eigenvectors), targets "
        "x w + N(0, 0.03^2) noise; alpha = 0.1. 5 starts (full mode 9), N(0, 1), trained side "
        "by side by full-batch gradlab SGD, lr 0.09, weight_decay = alpha, 3,000 steps (full "
        "6,000); the same starts with the penalty in the loss as a control. The unregularized "
        "optimum w* is the float64 solve of the normal equations (gradient descent would need "
        "~1e5 steps along lambda = 1e-3; decided before any run). Measured: the factor "
        "(V^T w)_i / (V^T w*)_i per eigenvector of the measured Hessian, median over starts. "
        "Holds: every factor within 0.02 of lambda / (lambda + alpha), the largest-eigenvalue "
        "factor >= 0.9 and the smallest-eigenvalue factor <= 0.1. Does not hold: the largest "
        "is < 0.9 or the smallest > 0.1 (no curvature-dependent shrinkage). Holds with "
        "caveats: both of those pass but some factor is off lambda / (lambda + alpha) by "
        "more than 0.02 (all fixed before any run).")
    thresholds = {
        "factor_tol": 0.02,     # largest |measured factor - lambda / (lambda + alpha)|
        "kept_min": 0.9,        # factor along the largest-eigenvalue direction
        "shrunk_max": 0.1,      # factor along the smallest-eigenvalue direction
    }

    def measure(self, seed: int, quick: bool) -> Measurement:
        k, steps = (5, 3000) if quick else (9, 6000)
        d = design(seed)
        x, y = perturb(d["x"]), perturb(d["y"])
        w0 = perturb(starts(seed, k))
        n = x.shape[0]
        h = x.T @ x / n
        b = (x.T @ y / n)[:, 0]
        lam, v = np.linalg.eigh(h)
        w_star = np.linalg.solve(h, b)
        ridge = np.linalg.solve(h + _ALPHA * np.eye(_DIM), b)
        closed = v @ np.diag(lam / (lam + _ALPHA)) @ v.T @ w_star
        lam_reg = np.linalg.eigvalsh(h + _ALPHA * np.eye(_DIM))
        probe_at = sorted({int(round(t)) for t in np.geomspace(1, steps, _PROBES)} | {0})
        out = train(x, y, w0, steps, probe_at, v, w_star)
        pred = lam / (lam + _ALPHA)
        f_runs = eigen_factors(out["decay"], w_star, v)
        f_l2 = eigen_factors(out["l2"], w_star, v)
        f = np.median(f_runs, axis=0)
        dev_probe = np.abs(np.median(out["probes"], axis=1) - pred).max(axis=1)

        nums: dict[str, Any] = {
            "dim": _DIM, "samples": n, "alpha": _ALPHA, "lr": _LR, "starts": k,
            "steps": steps,
            "eigenvalues": [float(t) for t in lam],
            "predicted": [float(t) for t in pred],
            "factor": [float(t) for t in f],
            "factor_l2_loss": [float(t) for t in np.median(f_l2, axis=0)],
            "factor_runs": [[float(t) for t in row] for row in f_runs],
            "coord_unregularized": [float(t) for t in v.T @ w_star],
            "coord_regularized": [float(t) for t in np.median(v.T @ out["decay"], axis=1)],
            "lambda_largest": float(lam[-1]), "lambda_smallest": float(lam[0]),
            "factor_largest": float(f[-1]), "factor_smallest": float(f[0]),
            "predicted_largest": float(pred[-1]), "predicted_smallest": float(pred[0]),
            "max_deviation": float(np.abs(f - pred).max()),
            "worst_eigenvalue": float(lam[int(np.argmax(np.abs(f - pred)))]),
            "start_spread": float(np.ptp(f_runs, axis=0).max()),
            "min_abs_coord_unregularized": float(np.abs(v.T @ w_star).min()),
            "trained_vs_ridge_error": float(np.abs(out["decay"] - ridge[:, None]).max()),
            "decay_vs_l2_loss_error": float(np.abs(out["decay"] - out["l2"]).max()),
            "closed_form_error": float(np.abs(closed - ridge).max()),
            "hessian_asymmetry": float(np.abs(h - h.T).max()),
            "penalized_eigen_error": float(np.abs(lam_reg - (lam + _ALPHA)).max()),
            "design_eigen_error": float(np.abs(lam / d["lambdas"] - 1.0).max()),
            "cond_hessian": float(lam[-1] / lam[0]),
            "cond_penalized": float(lam_reg[-1] / lam_reg[0]),
            "probe_steps": probe_at,
            "probe_deviation": [float(t) for t in dev_probe],
        }
        return Measurement(nums, self._figures(nums))

    @staticmethod
    def _figures(n: dict[str, Any]) -> list:
        lam = np.array(n["eigenvalues"])
        alpha = n["alpha"]
        fig, (a, b, c) = new_figure(ncols=3, width=4.2, height=3.6)
        grid = np.geomspace(lam[0] / 3, lam[-1] * 3, 200)
        a.plot(grid, grid / (grid + alpha), "k-", label="λ / (λ + α)")
        for i, row in enumerate(n["factor_runs"]):
            a.plot(lam, row, "o", color="tab:blue", alpha=0.5, markersize=7,
                   label="trained, each start" if i == 0 else None)
        a.plot(lam, n["factor_l2_loss"], "x", color="tab:red", markersize=8,
               label="L2 in the loss (median)")
        a.axvline(alpha, color="grey", ls=":", label=f"λ = α = {alpha:g}")
        a.set_xscale("log")
        a.set(xlabel="Hessian eigenvalue λ", ylabel="shrink factor (V^T w)_i / (V^T w*)_i",
              title="factor per eigendirection")
        a.legend(loc="upper left", fontsize=9)
        b.plot(lam, n["coord_unregularized"], "o", mfc="none", color="k", markersize=8,
               label="unregularized w*")
        b.plot(lam, n["coord_regularized"], "o", color="tab:blue", label="weight decay α")
        b.plot([lam[0] / 3, lam[-1] * 3], [0.0, 0.0], color="grey", lw=0.8)
        b.set_xscale("log")
        b.set(xlabel="Hessian eigenvalue λ", ylabel="coordinate along eigenvector",
              title="optimum in the eigenbasis")
        b.legend(fontsize=9)
        floor = 1e-16
        c.plot(np.maximum(n["probe_steps"], 1), np.maximum(n["probe_deviation"], floor),
               "-", color="tab:blue")
        c.set_xscale("log")
        c.set_yscale("log")
        c.set(xlabel="SGD step (step 0 drawn at 1)",
              ylabel="max_i |factor − λ/(λ+α)| (floor 1e-16)",
              title="convergence (median of starts)")
        return [png(fig, "weight_decay_eigendirections",
                    f"Left: the trained weight-decayed solution's coordinate along each "
                    f"Hessian eigenvector divided by the unregularized optimum's, per "
                    f"eigenvalue (dots: each of {n['starts']} starts; crosses: the penalty in "
                    f"the loss instead of weight_decay), against λ/(λ+α) with α = {alpha:g}. "
                    f"Middle: the coordinates themselves. Right: the largest deviation from "
                    f"λ/(λ+α) during {n['steps']} full-batch SGD steps (values below 1e-16 "
                    f"drawn at 1e-16; step 0 drawn at step 1).")]

    def judge(self, n: dict[str, Any]) -> Verdict:
        t = self.thresholds
        k = n["starts"]
        fit = Criterion(f"largest |measured factor − λ/(λ+α)| over the {n['dim']} "
                        f"eigendirections (median of {k} starts)", n["max_deviation"], "<=",
                        t["factor_tol"], "factor_tol")
        kept = Criterion(f"factor along the largest-eigenvalue direction "
                         f"(λ = {n['lambda_largest']:.3g})", n["factor_largest"], ">=",
                         t["kept_min"], "kept_min")
        shrunk = Criterion(f"factor along the smallest-eigenvalue direction "
                           f"(λ = {n['lambda_smallest']:.3g})", n["factor_smallest"], "<=",
                           t["shrunk_max"], "shrunk_max")
        criteria = [fit, kept, shrunk]
        if not (kept.passed and shrunk.passed):
            verdict = FAILS
        elif fit.passed:
            verdict = HOLDS
        else:
            verdict = CAVEATS
        text = (f"With α = {n['alpha']:g}, the weight-decayed optimum keeps "
                f"{n['factor_largest']:.4f} of the unregularized coordinate along the "
                f"largest-curvature eigenvector (λ = {n['lambda_largest']:.3g}; λ/(λ+α) = "
                f"{n['predicted_largest']:.4f}; threshold ≥ {t['kept_min']:g}) and "
                f"{n['factor_smallest']:.4f} along the smallest (λ = "
                f"{n['lambda_smallest']:.3g}; λ/(λ+α) = {n['predicted_smallest']:.4f}; "
                f"threshold ≤ {t['shrunk_max']:g}), medians of {k} starts after "
                f"{n['steps']} SGD steps. ")
        text += (f"Over all {n['dim']} eigendirections the measured factor is at most "
                 f"{n['max_deviation']:.1e} from λ/(λ+α) (tolerance {t['factor_tol']:g}). ")
        if verdict == HOLDS:
            text += ("So weight decay rescales each eigendirection by λ/(λ+α): high-curvature "
                     "directions are kept and flat ones shrunk towards 0.")
        elif verdict == CAVEATS:
            text += (f"So the shrinkage does depend on curvature as claimed, but the factors "
                     f"are not λ/(λ+α) (worst at λ = {n['worst_eigenvalue']:.3g}).")
        else:
            parts = []
            if not kept.passed:
                parts.append("the high-curvature direction is not kept")
            if not shrunk.passed:
                parts.append("the flat direction is not shrunk towards 0")
            text += "So " + " and ".join(parts) + "."
        key = (f"factor {n['factor_largest']:.3f} at λ = {n['lambda_largest']:.3g}, "
               f"{n['factor_smallest']:.4f} at λ = {n['lambda_smallest']:.3g}; "
               f"max |Δ| vs λ/(λ+α) {n['max_deviation']:.0e}")
        return Verdict(verdict, text, key, criteria=criteria)

    def checks(self, n: dict[str, Any]) -> list[Check]:
        lam = np.array(n["eigenvalues"])
        pred_ok = np.allclose(n["predicted"], lam / (lam + n["alpha"]), rtol=1e-12, atol=0.0)
        ends = (math.isclose(n["factor_largest"], n["factor"][-1], rel_tol=1e-12)
                and math.isclose(n["factor_smallest"], n["factor"][0], rel_tol=1e-12))
        return [
            Check("closed form: Q (Λ + αI)^-1 Λ Q^T w* equals the ridge solve "
                  "(H + αI)^-1 X^T y / N",
                  n["closed_form_error"] <= 1e-10,
                  f"largest |difference| {n['closed_form_error']:.1e} (at most 1e-10)"),
            Check("the trained weight-decayed weights reach the ridge solution",
                  n["trained_vs_ridge_error"] <= 1e-8,
                  f"largest |difference| {n['trained_vs_ridge_error']:.1e} (at most 1e-8)"),
            Check("SGD weight_decay = α gives the same weights as (α/2)||w||² in the loss",
                  n["decay_vs_l2_loss_error"] <= 1e-10,
                  f"largest |difference| {n['decay_vs_l2_loss_error']:.1e} (at most 1e-10)"),
            Check("the penalized Hessian H + αI has eigenvalues λ_i + α",
                  n["penalized_eigen_error"] <= 1e-10,
                  f"largest |difference| {n['penalized_eigen_error']:.1e} (at most 1e-10); "
                  f"condition number {n['cond_hessian']:.3g} -> {n['cond_penalized']:.3g}"),
            Check("the Hessian is symmetric and its spectrum is the designed one (within 1%)",
                  n["hessian_asymmetry"] <= 1e-12 and n["design_eigen_error"] <= 0.01,
                  f"asymmetry {n['hessian_asymmetry']:.1e}, largest relative eigenvalue "
                  f"error {n['design_eigen_error']:.1e}"),
            Check("the unregularized coordinates are away from 0, so the factors are defined",
                  n["min_abs_coord_unregularized"] >= 0.05,
                  f"smallest |(V^T w*)_i| {n['min_abs_coord_unregularized']:.3f} "
                  "(at least 0.05)"),
            Check("every start reaches the same factors (the regularized optimum is unique)",
                  n["start_spread"] <= 1e-6,
                  f"largest spread over starts {n['start_spread']:.1e} (at most 1e-6)"),
            Check("predicted factors are λ/(λ+α) and the reported ends are the first and last",
                  bool(pred_ok and ends),
                  f"largest-eigenvalue factor {n['factor_largest']:.6f}, smallest "
                  f"{n['factor_smallest']:.6f}"),
        ]


EXPERIMENT = WeightDecayHessian()
