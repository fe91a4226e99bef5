"""The effective number of parameters of a Bayesian model adjusts to the size of the data set
(source 003 L696; Bishop, *Pattern Recognition and Machine Learning* §3.5.3; MacKay 1992).

Bayesian linear regression y = x w + noise with a Gaussian prior w ~ N(0, alpha^-1 I) and noise
precision beta. With lambda_i the eigenvalues of beta X^T X, the posterior counts

    gamma = sum_i lambda_i / (lambda_i + alpha)

parameters as determined by the data: a direction with lambda_i >> alpha is fitted, one with
lambda_i << alpha stays at the prior. alpha and beta are not set by hand: they maximize the
evidence p(y | alpha, beta) by MacKay's fixed point (alpha = gamma / ||m||^2,
beta = (N - gamma) / ||y - X m||^2). The features have scales from 1 down to 1e-3, so a small
data set determines only the large-scale directions, and every tenfold of data adds more.
Float64, NumPy's eigh and solve: the model has a closed form and no training loop.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

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

_DIM = 20                                   # parameters (features)
_SCALES = np.logspace(0.0, -3.0, _DIM)      # feature standard deviations, 1 ... 1e-3
_NOISE = 0.5                                # label noise std (beta = 4 is the truth)
_SIZES = (25, 100, 400, 1600, 6400, 25600)  # data-set sizes N
_MAX_ITER = 500
_TOL = 1e-10                                # fixed point: relative change of alpha and beta


def dataset(seed: int, n: int, r: int) -> tuple[np.ndarray, np.ndarray]:
    """Data set ``r`` of size ``n`` for ``seed``: x (n, d) with independent N(0, s_j^2)
    columns, y = x w* + N(0, 0.5^2) with w* ~ N(0, I) drawn per data set."""
    rng = np.random.default_rng([38, seed, n, r])
    x = rng.standard_normal((n, _DIM)) * _SCALES
    w = rng.standard_normal(_DIM)
    y = x @ w + _NOISE * rng.standard_normal(n)
    return x, y


def evidence_fit(x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """MacKay's evidence maximization for Bayesian linear regression (no bias), float64.

    From alpha = beta = 1, repeat: gamma = sum lam_i / (lam_i + alpha) with lam_i the
    eigenvalues of beta X^T X; the posterior mean m = beta S X^T y with
    S = (alpha I + beta X^T X)^-1; alpha = gamma / ||m||^2; beta = (N - gamma) / ||y - X m||^2,
    until both change by less than 1e-10 relative (at most 500 rounds).
    Returns alpha, beta, gamma, m, the per-direction ratios lam_i / (lam_i + alpha) (with the
    eigenvectors), the rounds and the last relative change."""
    n = x.shape[0]
    xtx = x.T @ x
    xty = x.T @ y
    eig, vec = np.linalg.eigh(xtx)
    eig = np.clip(eig, 0.0, None)
    proj = vec.T @ xty
    alpha, beta = 1.0, 1.0
    change = math.inf
    rounds = 0
    while change >= _TOL and rounds < _MAX_ITER:
        rounds += 1
        lam = beta * eig
        gamma = float(np.sum(lam / (lam + alpha)))
        m = vec @ (beta * proj / (lam + alpha))
        resid = y - x @ m
        new_alpha = gamma / float(m @ m)
        new_beta = (n - gamma) / float(resid @ resid)
        change = max(abs(new_alpha - alpha) / alpha, abs(new_beta - beta) / beta)
        alpha, beta = new_alpha, new_beta
    lam = beta * eig
    gamma = float(np.sum(lam / (lam + alpha)))
    m = vec @ (beta * proj / (lam + alpha))
    return {"alpha": alpha, "beta": beta, "gamma": gamma, "m": m, "ratios": lam / (lam + alpha),
            "vectors": vec, "rounds": rounds, "change": change, "xtx": xtx, "xty": xty}


class EffectiveParameters(Experiment):
    """The evidence-fitted effective number of parameters gamma of Bayesian linear regression
    against the size of the data set, medians over data sets."""

    id = "bayesian-effective-parameters"
    title = "A Bayesian model's effective number of parameters grows with the data"
    source_ref = "source 003 L696"
    claim = ("The effective number of parameters of a Bayesian model adjusts to the size of the "
             "data set by itself: with the prior and noise precisions fitted by the evidence, "
             "Bayesian linear regression counts gamma = sum lambda_i / (lambda_i + alpha) "
             "parameters as determined by the data, few on a small data set and more as the "
             "data grow, with nothing in the model changed.")
    claim_zh = "怎么理解贝叶斯模型的有效参数数据会根据数据集的规模自动调整"
    protocol = (
        "Bayesian linear regression, float64, d = 20 features with standard deviations "
        "log-spaced from 1 to 1e-3, y = x w* + N(0, 0.5^2), w* ~ N(0, I) per data set; "
        "N = 25, 100, 400, 1,600, 6,400, 25,600; 20 data sets per N (full mode 50). alpha "
        "and beta by MacKay's evidence fixed point from 1, 1 (to 1e-10 relative, at most 500 "
        "rounds). Measured: gamma per data set, its median per N. rise = (median gamma at "
        "the largest N - at the smallest) / d; dip = the largest fall of the median between "
        "consecutive N. Holds: rise >= 0.25 and dip <= 0.25 parameters. Does not hold: rise "
        "< 0.1 (gamma does not adjust). Holds with caveats otherwise (all fixed before any "
        "run).")
    thresholds = {
        "rise_holds": 0.25,   # rise of the median gamma, as a fraction of d, for 'holds'
        "rise_fails": 0.1,    # below this rise: does not hold
        "dip_max": 0.25,      # largest fall of the median gamma between consecutive N
    }

    def measure(self, seed: int, quick: bool) -> Measurement:
        reps = 20 if quick else 50
        gammas, alphas, betas, rounds, ratios = [], [], [], [], []
        worst_change = worst_identity = worst_ridge = 0.0
        bounds_ok = True
        for n in _SIZES:
            g_n, a_n, b_n, r_n = [], [], [], []
            for r in range(reps):
                x, y = dataset(seed, n, r)
                x, y = perturb(x), perturb(y)
                fit = evidence_fit(x, y)
                g_n.append(fit["gamma"])
                a_n.append(fit["alpha"])
                b_n.append(fit["beta"])
                r_n.append(fit["rounds"])
                worst_change = max(worst_change, fit["change"])
                # identities: gamma = d - alpha tr(S); m is the ridge solution at alpha / beta
                s = np.linalg.inv(fit["alpha"] * np.eye(_DIM) + fit["beta"] * fit["xtx"])
                worst_identity = max(worst_identity,
                                     abs(fit["gamma"] - (_DIM - fit["alpha"] * np.trace(s))))
                ridge = np.linalg.solve(fit["xtx"] + fit["alpha"] / fit["beta"] * np.eye(_DIM),
                                        fit["xty"])
                worst_ridge = max(worst_ridge, float(np.abs(ridge - fit["m"]).max()
                                                     / np.abs(ridge).max()))
                bounds_ok &= -1e-12 <= fit["gamma"] <= min(n, _DIM) + 1e-12
                if r == 0:
                    # the share of each feature's axis in the determined directions
                    per_feature = (fit["vectors"] ** 2) @ fit["ratios"]
                    ratios.append([float(v) for v in per_feature])
            gammas.append(g_n)
            alphas.append(a_n)
            betas.append(b_n)
            rounds.append(r_n)
        g = np.array(gammas)
        med = np.median(g, axis=1)
        steps = np.diff(med)
        nums: dict[str, Any] = {
            "dim": _DIM, "sizes": list(_SIZES), "datasets": reps,
            "scales": [float(s) for s in _SCALES], "noise": _NOISE,
            "gamma_runs": [[float(v) for v in row] for row in g],
            "gamma_median": [float(v) for v in med],
            "gamma_q25": [float(v) for v in np.percentile(g, 25, axis=1)],
            "gamma_q75": [float(v) for v in np.percentile(g, 75, axis=1)],
            "gamma_first": float(med[0]), "gamma_last": float(med[-1]),
            "rise": float((med[-1] - med[0]) / _DIM),
            "dip": float(max(0.0, -steps.min())),
            "alpha_median": [float(v) for v in np.median(alphas, axis=1)],
            "beta_median": [float(v) for v in np.median(betas, axis=1)],
            "rounds_max": int(np.max(rounds)),
            "fixed_point_change": float(worst_change),
            "gamma_identity_error": float(worst_identity),
            "ridge_error": float(worst_ridge),
            "gamma_in_bounds": bool(bounds_ok),
            "determined_per_feature": ratios,
        }
        return Measurement(nums, self._figures(nums))

    @staticmethod
    def _figures(n: dict[str, Any]) -> list:
        sizes = np.array(n["sizes"], dtype=float)
        fig, (a, b) = new_figure(ncols=2)
        for i, row in enumerate(n["gamma_runs"]):
            a.plot(np.full(len(row), sizes[i]), row, "o", color="tab:blue", alpha=0.3,
                   markersize=4, label="each data set" if i == 0 else None)
        a.plot(sizes, n["gamma_median"], "k-", lw=2, label="median")
        a.plot([sizes[0] / 1.5, sizes[-1] * 1.5], [n["dim"]] * 2, color="grey", ls=":",
               label=f"d = {n['dim']} parameters")
        a.set_xscale("log")
        a.set(xlabel="data-set size N", ylabel="effective parameters γ",
              title="γ = Σ λ/(λ+α), α and β by the evidence")
        a.legend(loc="lower right")
        scales = np.array(n["scales"])
        for i, row in enumerate(n["determined_per_feature"]):
            b.plot(scales, row, "o-", markersize=4, label=f"N = {n['sizes'][i]:,}")
        b.set_xscale("log")
        b.set(xlabel="feature standard deviation", ylabel="λ/(λ+α) along the feature",
              title="which directions the data determine")
        b.legend(fontsize=9, loc="upper left")
        return [png(fig, "effective_parameters",
                    f"Left: the effective number of parameters γ of Bayesian linear regression "
                    f"(d = {n['dim']}), its prior and noise precisions fitted by the evidence, "
                    f"against the data-set size (dots: each of {n['datasets']} data sets; "
                    f"line: median). Right: for the first data set of each size, how much each "
                    f"feature's axis counts as determined (1) or left to the prior (0), against "
                    f"the feature's scale.")]

    def judge(self, n: dict[str, Any]) -> Verdict:
        t = self.thresholds
        d = n["dim"]
        rise_h = Criterion(f"rise of the median γ from N = {n['sizes'][0]} to N = "
                           f"{n['sizes'][-1]:,}, as a fraction of d = {d}", n["rise"], ">=",
                           t["rise_holds"], "rise_holds")
        rise_f = Criterion("rise of the median γ (does not hold below)", n["rise"], ">=",
                           t["rise_fails"], "rise_fails")
        dip = Criterion("largest fall of the median γ between consecutive data-set sizes "
                        "(parameters)", n["dip"], "<=", t["dip_max"], "dip_max")
        if not rise_f.passed:
            verdict, criteria = FAILS, [rise_f]
        elif rise_h.passed and dip.passed:
            verdict, criteria = HOLDS, [rise_h, dip]
        else:
            verdict, criteria = CAVEATS, [rise_h, dip]
        meds = ", ".join(f"{g:.1f}" for g in n["gamma_median"])
        text = (f"With α and β fitted by the evidence, the median effective number of "
                f"parameters over {n['datasets']} data sets is {meds} at N = "
                f"{', '.join(f'{s:,}' for s in n['sizes'])} (d = {d}): from "
                f"{n['gamma_first']:.2f} to {n['gamma_last']:.2f}, a rise of "
                f"{n['rise']:.2f} of d (threshold {t['rise_holds']:g}), and it never falls by "
                f"more than {n['dip']:.2f} between sizes (at most {t['dip_max']:g}). ")
        if verdict == HOLDS:
            text += ("So the same model, with nothing changed but the data, counts more of its "
                     "parameters as determined as the data set grows.")
        elif verdict == CAVEATS:
            text += ("So γ grows with the data, but less, or less steadily, than the "
                     "registered thresholds ask.")
        else:
            text += "So γ does not adjust to the size of the data set."
        key = (f"γ {n['gamma_first']:.1f} -> {n['gamma_last']:.1f} of {d} from N = "
               f"{n['sizes'][0]} to {n['sizes'][-1]:,}")
        return Verdict(verdict, text, key, criteria=criteria)

    def checks(self, n: dict[str, Any]) -> list[Check]:
        med = np.array(n["gamma_median"])
        return [
            Check("the evidence fixed point converged for every data set",
                  n["fixed_point_change"] <= 1e-8,
                  f"largest last relative change {n['fixed_point_change']:.1e} (at most 1e-8) "
                  f"after at most {n['rounds_max']} rounds"),
            Check("γ = d − α tr(S), S = (αI + βXᵀX)⁻¹", n["gamma_identity_error"] <= 1e-8,
                  f"largest |difference| {n['gamma_identity_error']:.1e} (at most 1e-8)"),
            Check("the posterior mean is the ridge solution with λ = α/β",
                  n["ridge_error"] <= 1e-8,
                  f"largest relative difference {n['ridge_error']:.1e} (at most 1e-8)"),
            Check("0 ≤ γ ≤ min(N, d) for every data set", bool(n["gamma_in_bounds"]),
                  "in bounds" if n["gamma_in_bounds"] else "some γ out of bounds"),
            Check("the reported rise and dip are those of the medians",
                  math.isclose(n["rise"], (med[-1] - med[0]) / n["dim"], abs_tol=1e-12)
                  and math.isclose(n["dip"], max(0.0, float(-np.diff(med).min())),
                                   abs_tol=1e-12),
                  f"rise {n['rise']:.4f}, dip {n['dip']:.4f}"),
        ]


EXPERIMENT = EffectiveParameters()
