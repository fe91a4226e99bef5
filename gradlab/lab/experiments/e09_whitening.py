"""Input normalization and whitening: gradient descent on raw, standardized and whitened
inputs, and the condition number that explains the difference (source 002 Q6, source 004 §3.2)."""

from __future__ import annotations

import math

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
    Revision,
    Verdict,
    new_figure,
    perturb,
    png,
)
from gradlab.nn import functional as F
from gradlab.transforms import PCAWhitening, StandardScaler, ZCAWhitening

_TOL = 1e-3      # converged: excess loss below this fraction of the variance of the targets
_FEATURES = 8
_RHO = 0.9       # correlation between every pair of features
_SAMPLES = 512
# what whitening and standardization guarantee by construction (checks, not verdict gates)
_WHITE_KAPPA_MAX = 1.5    # condition number of the whitened problem's Hessian (with the bias)
_WHITE_CORR_MAX = 1e-3    # largest |correlation| between two whitened features
_VAR_SPREAD_MAX = 1.01    # largest / smallest feature variance after either transform


def _problem(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A linear regression task with correlated features of very different scales and offsets.

    z ~ N(0, R), R = (1 - rho) I + rho 11^T; feature j is x_j = s_j (z_j + 3) with s_j
    log-spaced from 1 to 30; y = x . w + 0.1 noise.
    """
    corr = (1 - _RHO) * np.eye(_FEATURES) + _RHO
    z = rng.standard_normal((_SAMPLES, _FEATURES)) @ np.linalg.cholesky(corr).T
    scales = np.logspace(0, math.log10(30), _FEATURES)
    x = scales * (z + 3.0)
    w = rng.standard_normal(_FEATURES) / scales
    y = x @ w + 0.1 * rng.standard_normal(_SAMPLES)
    return x.astype(np.float32), y[:, None].astype(np.float32)


def _hessian(x: np.ndarray) -> np.ndarray:
    """Hessian of the mean squared error of ``Linear(F, 1)`` in (w, b): 2 A^T A / n, A = [x 1]."""
    a = np.hstack([x.astype(np.float64), np.ones((len(x), 1))])
    return 2.0 * a.T @ a / len(x)


def _descend(x: np.ndarray, y: np.ndarray, lr: float, steps: int, seed: int,
             stop_below: float) -> list[float]:
    """Full-batch gradient descent on MSE with a gradlab Linear(F, 1); loss per step. Runs
    ``steps`` steps, or twice the steps needed to get below ``stop_below`` (plus 10)."""
    gradlab.manual_seed(seed)
    model = perturb(nn.Linear(x.shape[1], 1))
    opt = optim.SGD(model.parameters(), lr=lr)
    X, Y = gradlab.tensor(x), gradlab.tensor(y)
    losses: list[float] = []
    end = steps
    for i in range(steps):
        loss = F.mse_loss(model(X), Y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
        if end == steps and losses[-1] < stop_below:
            end = min(steps, 2 * (i + 1) + 10)
        if i + 1 >= end:
            break
    return losses


def _optimum(x: np.ndarray, y: np.ndarray) -> float:
    a = np.hstack([x.astype(np.float64), np.ones((len(x), 1))])
    coef, *_ = np.linalg.lstsq(a, y.astype(np.float64), rcond=None)
    return float(np.mean((a @ coef - y) ** 2))


class WhiteningExperiment(Experiment):
    """Full-batch gradient descent on raw, standardized and whitened inputs of a linear
    regression, against the condition number of each problem's Hessian."""

    id = "whitening"
    title = "Input normalization and whitening: gradient descent and the condition number"
    source_ref = "source 002 Q6; source 004 §3.2"
    claim = ("Normalizing the inputs evens out features of different magnitudes so gradient "
             "descent converges faster; whitening also removes the correlation between "
             "features, giving them equal variance.")
    claim_zh = ("因为有些特征的数值比其他特征的数值高，归一化可以缓和差异，"
                "在梯度下降求解最优解时能较快地收敛 … "
                "输入数据经过白化处理后，特征之间相关性较低，并且所有特征具有相同的方差。")
    protocol = (
        "Linear regression on 512 samples of 8 features with pairwise correlation 0.9, scales "
        "from 1 to 30 and non-zero means. Inputs raw, standardized (StandardScaler), PCA- and "
        "ZCA-whitened (gradlab.transforms). Full-batch gradient descent on MSE with a "
        "Linear(8, 1) at lr = 1 / lambda_max of each problem's Hessian (the same safe step "
        "rule for all); steps until the excess loss (over the least-squares optimum) falls "
        "below 1e-3 of the targets' variance (cap 1,000 steps in quick mode, 20,000 in full). "
        "Condition numbers of the input covariance and of the Hessian (with the bias) are "
        "computed from the data.")
    thresholds = {
        "standardize_speedup_min": 2.0,   # raw steps / standardized steps
        "whiten_speedup_min": 2.0,        # standardized steps / whitened (PCA) steps
    }
    revisions = (
        Revision(
            date="2026-11-27",
            what="Convergence is measured as the excess loss over the least-squares optimum "
                 "falling below 1e-3 of the targets' variance (disclosed in the note of issue "
                 "7); the criterion it replaced is not in git (the first commit, c9cd29c, "
                 "already has this one).",
            why="A scale-free criterion, the same for every input transform (the review "
                "calls the change legitimate).",
            moved="not known",
            effect="Seeds 0-2 held after the change; the verdicts before it were not "
                   "recorded."),
        Revision(
            date="2026-12-06",
            what="The whitened Hessian's condition number (at most 1.5) is no longer a "
                 "condition of the verdict but a check, with the whitened features' "
                 "correlation and variance spread; the verdict comes from the two speed-ups "
                 "alone.",
            why="The condition number of whitened data is a property of the transform (about "
                "1 by construction), not a test of the claim that normalization speeds up "
                "gradient descent (outside review, issue 13).",
            moved="none",
            effect="Seeds 0-2, quick, SkylakeX and Haswell kernels: holds before and after "
                   "(whitened κ 1.00 passed the old condition); the removed condition could "
                   "only have lowered a verdict."),
    )

    def measure(self, seed: int, quick: bool) -> Measurement:
        rng = np.random.default_rng(seed)
        x, y = _problem(rng)
        x, y = perturb(x), perturb(y)
        cap = 1000 if quick else 20000
        inputs = {
            "raw": x,
            "standardized": StandardScaler().fit_transform(x),
            "pca": PCAWhitening().fit_transform(x),
            "zca": ZCAWhitening().fit_transform(x),
        }
        res, curves = {}, {}
        for name, xi in inputs.items():
            h = _hessian(xi)
            eig = np.linalg.eigvalsh(h)
            cov = np.linalg.eigvalsh(np.cov(xi.astype(np.float64), rowvar=False))
            xc = xi.astype(np.float64) - xi.mean(0)
            corr = np.corrcoef(xc, rowvar=False)
            best = _optimum(xi, y)
            scale = float(y.var())
            losses = np.array(_descend(xi, y, 1.0 / eig[-1], cap, seed,
                                       best + _TOL * scale))
            rel = np.maximum(losses - best, 0.0) / scale
            hit = np.flatnonzero(rel < _TOL)
            res[name] = {
                "kappa_hessian": float(eig[-1] / eig[0]),
                "kappa_cov": float(cov[-1] / cov[0]),
                "max_abs_corr": float(np.abs(corr - np.eye(len(corr))).max()),
                "var_spread": float(xc.var(0).max() / xc.var(0).min()),
                "steps": int(hit[0]) + 1 if hit.size else None,
                "final_rel_excess": float(rel[-1]),
                "lr": float(1.0 / eig[-1]),
            }
            curves[name] = rel
        steps = {k: (v["steps"] if v["steps"] is not None else cap) for k, v in res.items()}
        numbers = {
            "cap": cap, "tol": _TOL, "per_input": res,
            "raw_converged": res["raw"]["steps"] is not None,
            "standardize_speedup": steps["raw"] / steps["standardized"],
            "whiten_speedup": steps["standardized"] / steps["pca"],
            "zca_speedup": steps["standardized"] / steps["zca"],
            "kappa_raw": res["raw"]["kappa_hessian"],
            "kappa_standardized": res["standardized"]["kappa_hessian"],
            "kappa_whitened": max(res["pca"]["kappa_hessian"], res["zca"]["kappa_hessian"]),
            "steps_raw": steps["raw"], "steps_standardized": steps["standardized"],
            "steps_pca": steps["pca"], "steps_zca": steps["zca"],
        }
        return Measurement(numbers, self._figures(curves, res, numbers))

    @staticmethod
    def _figures(curves, res, n) -> list:
        fig, (a, b) = new_figure(ncols=2)
        colors = {"raw": "tab:gray", "standardized": "tab:blue", "pca": "tab:red",
                  "zca": "tab:orange"}
        for name, rel in curves.items():
            shown = np.maximum(rel, 1e-12)
            a.plot(np.arange(1, len(rel) + 1), shown, color=colors[name],
                   ls="--" if name == "zca" else "-",
                   label=f"{name} (κ = {res[name]['kappa_hessian']:.3g})")
        longest = max(len(rel) for rel in curves.values())
        a.plot([1, longest], [_TOL, _TOL], color="k", ls=":", lw=0.8, label="tolerance")
        a.set(xlabel="gradient-descent step", ylabel="excess loss / var(y) (floor 1e-12)",
              xscale="log", yscale="log", title="convergence")
        a.legend(fontsize=9)
        kap = [res[k]["kappa_hessian"] for k in curves]
        stp = [res[k]["steps"] or n["cap"] for k in curves]
        for k, kx, s in zip(curves, kap, stp):
            capped = res[k]["steps"] is None
            b.plot(kx, s, "^" if capped else ("s" if k == "zca" else "o"), color=colors[k],
                   ms=9 if k == "zca" else 6, fillstyle="none" if k == "zca" else "full",
                   label=k + (" (not reached: cap)" if capped else ""))
        grid = np.logspace(0, math.log10(max(kap)), 50)
        b.plot(grid, 0.5 * grid * math.log(1 / _TOL), "k:", lw=0.8,
               label="κ ln(1/tol) / 2")
        b.set(xlabel="condition number of the Hessian", ylabel="steps to tolerance",
              xscale="log", yscale="log", title="steps grow with κ")
        b.legend(fontsize=9)
        return [png(fig, "whitening", "Full-batch gradient descent on raw, standardized and "
                    "whitened inputs: relative excess loss per step (an excess of exactly 0 is "
                    "drawn at the 1e-12 floor), and steps to 1e-3 against the Hessian's "
                    "condition number.")]

    def judge(self, n) -> Verdict:
        t = self.thresholds
        std = Criterion("raw steps / standardized steps (gradient descent to the tolerance)",
                        n["standardize_speedup"], ">=", t["standardize_speedup_min"],
                        "standardize_speedup_min")
        white = Criterion("standardized steps / PCA-whitened steps", n["whiten_speedup"], ">=",
                          t["whiten_speedup_min"], "whiten_speedup_min")
        per = n["per_input"]
        raw = (f"{n['steps_raw']}" if n["raw_converged"] else f"more than {n['cap']}")
        text = (f"Gradient descent needed {raw} steps on raw inputs (Hessian condition number "
                f"{n['kappa_raw']:.3g}), {n['steps_standardized']} standardized (κ "
                f"{n['kappa_standardized']:.3g}) and {n['steps_pca']} PCA- / {n['steps_zca']} "
                f"ZCA-whitened (κ {n['kappa_whitened']:.3g}). Speed-ups: standardization "
                f"{n['standardize_speedup']:.1f}x (threshold {t['standardize_speedup_min']:g}x"
                f"{'' if n['raw_converged'] else ', a lower bound'}), whitening over "
                f"standardization {n['whiten_speedup']:.1f}x (threshold "
                f"{t['whiten_speedup_min']:g}x). Standardized features have variances within "
                f"a factor {per['standardized']['var_spread']:.3f} and correlations up to "
                f"{per['standardized']['max_abs_corr']:.2f}; PCA-whitened ones within "
                f"{per['pca']['var_spread']:.3f} and up to {per['pca']['max_abs_corr']:.1e}.")
        if std.passed and white.passed:
            verdict = HOLDS
        elif std.passed or white.passed:
            verdict = CAVEATS
            text += (" Only part of the claim shows: "
                     + ("standardization sped gradient descent up" if std.passed
                        else "standardization did not speed gradient descent up enough")
                     + ", " + ("whitening sped it up further" if white.passed
                               else "whitening did not speed it up enough further") + ".")
        else:
            verdict = FAILS
            text += " Neither normalization sped gradient descent up by the threshold here."
        key = (f"steps {raw} / {n['steps_standardized']} / {n['steps_pca']} "
               f"(κ {n['kappa_raw']:.2g} / {n['kappa_standardized']:.2g} / "
               f"{n['kappa_whitened']:.2g})")
        return Verdict(verdict, text, key, criteria=[std, white])

    def checks(self, n) -> list[Check]:
        """What the transforms guarantee by construction: whitened inputs (PCA and ZCA) have
        uncorrelated features of equal variance and a Hessian condition number near 1;
        standardized inputs have features of equal variance."""
        per = n["per_input"]
        out = []
        for name in ("pca", "zca"):
            p = per[name]
            out.append(Check(
                f"{name.upper()} whitening: condition number of the Hessian near 1",
                p["kappa_hessian"] <= _WHITE_KAPPA_MAX,
                f"κ {p['kappa_hessian']:.4f} (at most {_WHITE_KAPPA_MAX:g})"))
            out.append(Check(
                f"{name.upper()} whitening: features uncorrelated, of equal variance",
                p["max_abs_corr"] <= _WHITE_CORR_MAX and p["var_spread"] <= _VAR_SPREAD_MAX,
                f"largest |correlation| {p['max_abs_corr']:.1e} (at most {_WHITE_CORR_MAX:g}), "
                f"variance spread {p['var_spread']:.4f} (at most {_VAR_SPREAD_MAX:g})"))
        p = per["standardized"]
        out.append(Check("standardization: features of equal variance",
                         p["var_spread"] <= _VAR_SPREAD_MAX,
                         f"variance spread {p['var_spread']:.4f} (at most {_VAR_SPREAD_MAX:g})"))
        return out


EXPERIMENT = WhiteningExperiment()
