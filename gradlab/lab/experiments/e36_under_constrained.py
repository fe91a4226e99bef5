"""Under-constrained problems and regularization (source 003 L514; Goodfellow, Bengio &
Courville, *Deep Learning* §7.3): when the data do not determine the solution, plain iterative
training does not settle on one. On linearly separable data the logistic-regression weights
grow without end (scaling them up always lowers the loss); an under-determined least-squares
fit keeps the null-space part of its start, so it ends wherever the start leads. An L2 penalty
(weight decay) makes both problems strongly convex, and training converges to one finite
solution.

Both problems are trained together, in float64, by full-batch gradlab SGD in one autograd
graph: each has several starts stacked as the rows of a (starts, d) parameter (each row's loss
depends only on that row, so each start gets its own gradient), once with weight decay 0 and
once with a positive weight decay (parameter groups of one optimizer).
"""

from __future__ import annotations

from itertools import combinations
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
from gradlab.nn import functional as F

_STARTS = 5
_RECORD_EVERY = 100          # ||theta|| is recorded every this many steps

# A. separable logistic regression
_LOG_POINTS = 200
_LOG_CENTRE = 2.0            # x = y * (2, 0) + N(0, 0.5^2 I)
_LOG_NOISE = 0.5
_LOG_MARGIN = 0.5            # every point has y * x_1 >= 0.5 (redrawn until it does)
_LOG_INIT = 0.01             # starts w, b ~ N(0, 0.01^2)
_LOG_LR = 0.5
_LOG_DECAY = 1e-2

# B. under-determined least squares
_LSQ_SAMPLES = 20
_LSQ_FEATURES = 50
_LSQ_NOISE = 0.1
_LSQ_LR = 0.1
_LSQ_DECAY = 0.1


def logistic_data(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The separable set of ``seed``: labels ``y`` (200,), +1 for the first half and -1 for
    the second, points ``x`` (200, 2) = y (2, 0) + N(0, 0.5^2 I), every point with
    y x_1 < 0.5 redrawn until none is left, so the direction (1, 0) separates them with margin
    0.5."""
    rng = np.random.default_rng([36, seed, 0])
    half = _LOG_POINTS // 2
    y = np.concatenate([np.ones(half), -np.ones(_LOG_POINTS - half)])
    x = y[:, None] * np.array([_LOG_CENTRE, 0.0]) + _LOG_NOISE * rng.standard_normal(
        (_LOG_POINTS, 2))
    bad = y * x[:, 0] < _LOG_MARGIN
    while bad.any():
        x[bad] = (y[bad, None] * np.array([_LOG_CENTRE, 0.0])
                  + _LOG_NOISE * rng.standard_normal((int(bad.sum()), 2)))
        bad = y * x[:, 0] < _LOG_MARGIN
    return x, y


def lsq_data(seed: int) -> dict[str, np.ndarray]:
    """The under-determined regression of ``seed``: ``x`` (20, 50) with N(0, 1) entries,
    ``w_true`` (50,) N(0, 1), targets ``y = x w_true + 0.1 N(0, 1)`` (20,)."""
    rng = np.random.default_rng([36, seed, 1])
    x = rng.standard_normal((_LSQ_SAMPLES, _LSQ_FEATURES))
    w_true = rng.standard_normal(_LSQ_FEATURES)
    y = x @ w_true + _LSQ_NOISE * rng.standard_normal(_LSQ_SAMPLES)
    return {"x": x, "y": y, "w_true": w_true}


def starts(seed: int, k: int) -> dict[str, np.ndarray]:
    """``k`` starts of each problem: ``logistic`` (k, 3) = (w_1, w_2, b) ~ N(0, 0.01^2) and
    ``lsq`` (k, 50) ~ N(0, 1)."""
    rng = np.random.default_rng([36, seed, 2])
    return {"logistic": _LOG_INIT * rng.standard_normal((k, 3)),
            "lsq": rng.standard_normal((k, _LSQ_FEATURES))}


def logistic_losses(theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mean logistic loss mean_i log(1 + exp(-y_i (w.x_i + b))) of each row (w_1, w_2, b) of
    ``theta`` (k, 3); x (N, 2), y (N,) -> (k,)."""
    margins = (theta[:, :2] @ x.T + theta[:, 2:]) * y
    return np.logaddexp(0.0, -margins).mean(axis=1)


def pair_spread(theta: np.ndarray) -> float:
    """Median over the pairs of rows of ||theta_i - theta_j||, divided by the median of the
    rows' norms ||theta_i||."""
    gaps = [np.linalg.norm(theta[i] - theta[j]) for i, j in combinations(range(len(theta)), 2)]
    return float(np.median(gaps) / np.median(np.linalg.norm(theta, axis=1)))


def train(x_log: np.ndarray, y_log: np.ndarray, x_lsq: np.ndarray, y_lsq: np.ndarray,
          theta_log: np.ndarray, theta_lsq: np.ndarray, steps: int) -> dict[str, np.ndarray]:
    """Full-batch SGD, ``steps`` steps, on both problems in one graph. Logistic: rows
    (w_1, w_2, b) of two copies of ``theta_log``, the mean logistic loss of each row, lr 0.5,
    weight decay 0 and 1e-2 (on w and b alike). Least squares: rows of two copies of
    ``theta_lsq``, 0.5 * mean squared error of each row, lr 0.1, weight decay 0 and 0.1. Returns
    the final parameters and ||theta|| of every row every 100 steps (step 0 included)."""
    n_log, n_lsq = len(y_log), len(y_lsq)
    # the margins y_i (w.x_i + b) of every row are theta @ a^T with a_i = y_i (x_i, 1)
    a = gradlab.tensor(-(y_log[:, None] * np.column_stack([x_log, np.ones(n_log)])).T.copy())
    xt = gradlab.tensor(x_lsq.T.copy())
    yt = gradlab.tensor(y_lsq[None, :].copy())
    log0 = nn.Parameter(gradlab.tensor(theta_log.copy()))
    log_d = nn.Parameter(gradlab.tensor(theta_log.copy()))
    lsq0 = nn.Parameter(gradlab.tensor(theta_lsq.copy()))
    lsq_d = nn.Parameter(gradlab.tensor(theta_lsq.copy()))
    opt = optim.SGD([
        {"params": [log0], "lr": _LOG_LR, "weight_decay": 0.0},
        {"params": [log_d], "lr": _LOG_LR, "weight_decay": _LOG_DECAY},
        {"params": [lsq0], "lr": _LSQ_LR, "weight_decay": 0.0},
        {"params": [lsq_d], "lr": _LSQ_LR, "weight_decay": _LSQ_DECAY},
    ], lr=_LSQ_LR)
    params = (log0, log_d, lsq0, lsq_d)
    norms: list[list[np.ndarray]] = [[] for _ in params]
    for step in range(steps + 1):
        if step % _RECORD_EVERY == 0:
            for rec, p in zip(norms, params):
                rec.append(np.linalg.norm(p.array, axis=1))
        if step == steps:
            break
        # both copies of a problem in one product (fewer graph nodes; each row's loss still
        # depends only on that row)
        r = gradlab.cat([lsq0, lsq_d]) @ xt - yt
        loss = (F.softplus(gradlab.cat([log0, log_d]) @ a).sum() / n_log
                + (r * r).sum() / (2 * n_lsq))
        opt.zero_grad()
        loss.backward()
        opt.step()
    out = {name: p.detach().numpy().copy()
           for name, p in zip(("log0", "log_d", "lsq0", "lsq_d"), params)}
    for name, rec in zip(("log0", "log_d", "lsq0", "lsq_d"), norms):
        out["norms_" + name] = np.array(rec)          # (records, starts)
    return out


def _floats(a) -> list:
    return [float(v) for v in a]


class UnderConstrained(Experiment):
    """Separable logistic regression and under-determined least squares, trained from several
    starts with and without weight decay: does training settle on one finite solution?"""

    id = "under-constrained"
    title = "Under-constrained problems: regularization makes training settle on one solution"
    source_ref = "source 003 L514"
    claim = ("When the data do not determine the solution, plain iterative training does not "
             "settle on one: on linearly separable data the weights of logistic regression "
             "grow without end, and an under-determined least-squares fit ends wherever its "
             "start leads. An L2 penalty (weight decay) makes training converge to one finite "
             "solution.")
    claim_zh = "什么是欠约束，为什么大多数的正则化可以使欠约束下的欠定问题在迭代过程中收敛"
    protocol = (
        "Float64, full-batch gradlab SGD, 5 starts per problem trained side by side in one "
        "graph as (starts, d) parameters. A: 200 separable 2-D points (labels ±1 half each, "
        "x = y (2, 0) + N(0, 0.5² I), points with y x_1 < 0.5 redrawn), p = sigmoid(w.x + b), "
        "starts (w, b) ~ N(0, 0.01²), mean logistic loss, lr 0.5, weight_decay 0 and 1e-2 "
        "(SGD's λθ added to the gradient, on w and b alike); growth = ||θ_T|| / ||θ_T/2||, "
        "median of starts. B: 20 samples, 50 features, X and w* N(0, 1), y = X w* + 0.1 N(0, 1), "
        "starts θ0 ~ N(0, 1), 0.5 mean squared error, lr 0.1 (largest Hessian eigenvalue "
        "≈ (√50 + √20)² / 20 = 6.7), weight_decay 0 and 0.1; spread = median over the 10 pairs "
        "of starts of ||θ_i − θ_j|| / median ||θ_i||. T = 4,000 steps (full mode 16,000). The "
        "points, targets and starts go through perturb() (the ±1 labels are classes, not "
        "perturbed). Holds: growth at decay 0 ≥ 1.02, |growth at 1e-2 − 1| ≤ 1e-3, spread at "
        "decay 0 ≥ 0.1, spread at 0.1 ≤ 1e-4. Does not hold: either regularized criterion "
        "fails. Holds with caveats: both regularized criteria pass but an unregularized one "
        "fails (all fixed before any run).")
    thresholds = {
        "grow0": 1.02,              # growth ||θ_T|| / ||θ_T/2|| at weight decay 0, at least
        "settle_logistic": 1e-3,    # |growth − 1| at weight decay 1e-2, at most
        "spread0": 0.1,             # spread of the least-squares solutions at decay 0, at least
        "settle_lsq": 1e-4,         # spread at weight decay 0.1, at most
    }

    def measure(self, seed: int, quick: bool) -> Measurement:
        steps = 4000 if quick else 16000
        x_log, y_log = logistic_data(seed)
        x_log = perturb(x_log)
        d = lsq_data(seed)
        x_lsq, y_lsq = perturb(d["x"]), perturb(d["y"])
        s = starts(seed, _STARTS)
        th_log, th_lsq = perturb(s["logistic"]), perturb(s["lsq"])
        out = train(x_log, y_log, x_lsq, y_lsq, th_log, th_lsq, steps)

        half = steps // 2 // _RECORD_EVERY
        growth0_runs = out["norms_log0"][-1] / out["norms_log0"][half]
        growth_d_runs = out["norms_log_d"][-1] / out["norms_log_d"][half]
        growth0 = float(np.median(growth0_runs))
        growth_d = float(np.median(growth_d_runs))

        n = len(y_lsq)

        def mse(theta):
            return ((theta @ x_lsq.T - y_lsq) ** 2).mean(axis=1)

        mse_init = mse(th_lsq)
        mse0, mse_d = mse(out["lsq0"]), mse(out["lsq_d"])
        theta_mn = np.linalg.pinv(x_lsq) @ y_lsq
        ridge = np.linalg.solve(x_lsq.T @ x_lsq / n + _LSQ_DECAY * np.eye(x_lsq.shape[1]),
                                x_lsq.T @ y_lsq / n)
        off_null = (np.linalg.norm((out["lsq0"] - theta_mn) @ x_lsq.T, axis=1)
                    / np.linalg.norm(x_lsq @ theta_mn))
        # what the start leaves: its null-space part, θ0 − pinv(X) X θ0
        null_start = th_lsq - th_lsq @ (np.linalg.pinv(x_lsq) @ x_lsq).T
        null_gap = (np.linalg.norm(out["lsq0"] - theta_mn - null_start, axis=1)
                    / np.linalg.norm(out["lsq0"], axis=1))
        ridge_err = (np.linalg.norm(out["lsq_d"] - ridge, axis=1) / np.linalg.norm(ridge))
        lsq_hessian_max = float(np.linalg.eigvalsh(x_lsq.T @ x_lsq / n)[-1])

        spread0 = pair_spread(out["lsq0"])
        spread_d = pair_spread(out["lsq_d"])
        nums: dict[str, Any] = {
            "starts": _STARTS, "steps": steps, "record_every": _RECORD_EVERY,
            "log_points": len(y_log), "log_lr": _LOG_LR, "log_decay": _LOG_DECAY,
            "lsq_samples": n, "lsq_features": x_lsq.shape[1], "lsq_lr": _LSQ_LR,
            "lsq_decay": _LSQ_DECAY,
            "separation_margin": float(np.min(y_log * x_log[:, 0])),
            "growth0": growth0, "growth_decay": growth_d,
            "growth0_runs": _floats(growth0_runs), "growth_decay_runs": _floats(growth_d_runs),
            "settle_logistic": abs(growth_d - 1.0),
            "log_norm0_final": float(np.median(out["norms_log0"][-1])),
            "log_norm_decay_final": float(np.median(out["norms_log_d"][-1])),
            "log_norms0": [_floats(r) for r in out["norms_log0"]],
            "log_norms_decay": [_floats(r) for r in out["norms_log_d"]],
            "log_final_norms0": _floats(out["norms_log0"][-1]),
            "log_final_norms_decay": _floats(out["norms_log_d"][-1]),
            "log_loss0": float(np.median(logistic_losses(out["log0"], x_log, y_log))),
            "log_loss_decay": float(np.median(logistic_losses(out["log_d"], x_log, y_log))),
            "spread0": spread0, "spread_decay": spread_d,
            "lsq_norms0": [_floats(r) for r in out["norms_lsq0"]],
            "lsq_norms_decay": [_floats(r) for r in out["norms_lsq_d"]],
            "lsq_final_norms0": _floats(out["norms_lsq0"][-1]),
            "lsq_final_norms_decay": _floats(out["norms_lsq_d"][-1]),
            "lsq_loss0": float(np.median(0.5 * mse0)),
            "lsq_loss_decay": float(np.median(0.5 * mse_d)),
            "lsq_mse_ratio0": float(np.max(mse0 / mse_init)),
            "lsq_min_norm": float(np.linalg.norm(theta_mn)),
            "lsq_off_null": float(np.max(off_null)),
            "lsq_null_gap": float(np.max(null_gap)),
            "lsq_ridge_error": float(np.max(ridge_err)),
            "lsq_hessian_max": lsq_hessian_max,
        }
        return Measurement(nums, self._figures(nums))

    @staticmethod
    def _figures(n: dict[str, Any]) -> list:
        fig, (a, b, c) = new_figure(ncols=3, width=4.2, height=3.6)
        at = np.arange(len(n["log_norms0"])) * n["record_every"]
        keep = at > 0
        cases = [
            (a, n["log_norms0"], "tab:red", "weight decay 0"),
            (a, n["log_norms_decay"], "tab:blue", f"weight decay {n['log_decay']:g}"),
            (b, n["lsq_norms0"], "tab:red", "weight decay 0"),
            (b, n["lsq_norms_decay"], "tab:blue", f"weight decay {n['lsq_decay']:g}"),
        ]
        for ax, rows, colour, label in cases:
            rows = np.array(rows)[keep]
            for j in range(rows.shape[1]):
                ax.plot(at[keep], rows[:, j], "-", color=colour, alpha=0.6, lw=1.2,
                        label=label if j == 0 else None)
        for ax, title in ((a, "A: separable logistic regression"),
                          (b, "B: under-determined least squares")):
            ax.set_xscale("log")
            ax.set(xlabel="SGD step (from step 100)", ylabel="||θ|| (each start)", title=title)
            ax.legend(fontsize=9)
        k = n["starts"]
        pos = np.arange(k)
        for vals, off, colour, mark, label in (
                (n["log_final_norms0"], -0.3, "tab:red", "o", "A, decay 0"),
                (n["log_final_norms_decay"], -0.1, "tab:blue", "o",
                 f"A, decay {n['log_decay']:g}"),
                (n["lsq_final_norms0"], 0.1, "tab:red", "s", "B, decay 0"),
                (n["lsq_final_norms_decay"], 0.3, "tab:blue", "s",
                 f"B, decay {n['lsq_decay']:g}")):
            c.plot(pos + off, vals, mark, color=colour, markersize=7, label=label)
        c.set_xticks(pos, [str(i) for i in pos])
        c.set(xlabel="start", ylabel=f"||θ|| after {n['steps']} steps", title="final norms")
        top = max(max(n[f]) for f in ("log_final_norms0", "log_final_norms_decay",
                                       "lsq_final_norms0", "lsq_final_norms_decay"))
        c.set_ylim(0.0, 1.45 * top)                  # room for the legend above the points
        c.legend(fontsize=9, loc="upper center", ncol=2)
        return [png(fig, "under_constrained",
                    f"Left: ||(w, b)|| of logistic regression on separable data for each of "
                    f"{k} starts, with weight decay 0 (red) and {n['log_decay']:g} (blue), "
                    f"every {n['record_every']} steps from step {n['record_every']} (log "
                    f"step axis). Middle: the same for under-determined least squares "
                    f"({n['lsq_samples']} samples, {n['lsq_features']} features), weight "
                    f"decay 0 and {n['lsq_decay']:g}. Right: each start's final norm "
                    f"(circles: logistic, squares: least squares).")]

    def judge(self, n: dict[str, Any]) -> Verdict:
        t = self.thresholds
        k, steps = n["starts"], n["steps"]
        grow = Criterion(f"logistic growth ||θ_T|| / ||θ_T/2|| at weight decay 0 (median of "
                         f"{k} starts)", n["growth0"], ">=", t["grow0"], "grow0")
        settle_log = Criterion(f"|growth − 1| at weight decay {n['log_decay']:g}",
                               n["settle_logistic"], "<=", t["settle_logistic"],
                               "settle_logistic")
        spread = Criterion("least-squares spread of the solutions of different starts at "
                           "weight decay 0", n["spread0"], ">=", t["spread0"], "spread0")
        settle_lsq = Criterion(f"least-squares spread at weight decay {n['lsq_decay']:g}",
                               n["spread_decay"], "<=", t["settle_lsq"], "settle_lsq")
        criteria = [grow, settle_log, spread, settle_lsq]
        if not (settle_log.passed and settle_lsq.passed):
            verdict = FAILS
        elif grow.passed and spread.passed:
            verdict = HOLDS
        else:
            verdict = CAVEATS
        text = (f"On separable data (every point at least {n['separation_margin']:.3f} from "
                f"the boundary along (1, 0)) the logistic weight norm grew by a factor "
                f"{n['growth0']:.4f} from step {steps // 2} to {steps} without weight decay "
                f"(median of {k} starts; at least {t['grow0']:g} counts as still growing) and "
                f"by {n['growth_decay']:.6f} with weight decay {n['log_decay']:g} "
                f"(|growth − 1| = {n['settle_logistic']:.1e}, at most "
                f"{t['settle_logistic']:g}). ")
        text += (f"On under-determined least squares ({n['lsq_samples']} samples, "
                 f"{n['lsq_features']} features) the final weights of different starts differ "
                 f"by {n['spread0']:.3f} of their norm without weight decay (at least "
                 f"{t['spread0']:g} counts as start-dependent) and by {n['spread_decay']:.1e} "
                 f"with weight decay {n['lsq_decay']:g} (at most {t['settle_lsq']:g}). ")
        if verdict == HOLDS:
            text += ("So without regularization neither problem settled on one solution, and "
                     "weight decay made both converge to one finite solution.")
        elif verdict == CAVEATS:
            parts = []
            if not grow.passed:
                parts.append("the unregularized logistic norm had stopped growing")
            if not spread.passed:
                parts.append("the unregularized least-squares starts ended together")
            text += ("So weight decay made both converge to one solution, but "
                     + " and ".join(parts) + ", so that problem was not under-constrained "
                     "in the way claimed.")
        else:
            parts = []
            if not settle_log.passed:
                parts.append("the weight-decayed logistic norm was still changing")
            if not settle_lsq.passed:
                parts.append("the weight-decayed least-squares starts did not meet")
            text += "So " + " and ".join(parts) + ": weight decay did not settle training."
        key = (f"growth {n['growth0']:.3f} vs {n['growth_decay']:.4f}; spread "
               f"{n['spread0']:.2f} vs {n['spread_decay']:.0e}")
        return Verdict(verdict, text, key, criteria=criteria)

    def checks(self, n: dict[str, Any]) -> list[Check]:
        return [
            Check("the direction (1, 0) separates every logistic point with margin 0.5",
                  n["separation_margin"] >= _LOG_MARGIN,
                  f"min y x_1 = {n['separation_margin']:.4f} (at least {_LOG_MARGIN:g})"),
            Check("the unregularized least-squares fits interpolate the data",
                  n["lsq_mse_ratio0"] <= 1e-6,
                  f"largest final / initial training MSE {n['lsq_mse_ratio0']:.1e} "
                  "(at most 1e-6)"),
            Check("the unregularized solutions differ from pinv(X) y only in the null space "
                  "of X",
                  n["lsq_off_null"] <= 1e-6,
                  f"largest ||X (θ_i − θ_mn)|| / ||X θ_mn|| {n['lsq_off_null']:.1e} "
                  "(at most 1e-6)"),
            Check("the weight-decayed least-squares result is the ridge solution "
                  "(X^T X / n + λ I)^-1 X^T y / n",
                  n["lsq_ridge_error"] <= 1e-6,
                  f"largest relative difference {n['lsq_ridge_error']:.1e} (at most 1e-6)"),
        ]


EXPERIMENT = UnderConstrained()
