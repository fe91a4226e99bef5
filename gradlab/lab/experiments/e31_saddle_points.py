"""Saddles, not bad local minima (source 004 §3.1): in a non-convex problem whose optimum is
known, does gradient descent from small random starts reach the optimum, and are the places
where it stalls saddle points (a direction of negative curvature) rather than minima?

The problem is a deep linear network x -> W2 W1 x, 8 -> 4 -> 8, fitted by least squares to a
rank-8 linear teacher with noise. Its loss is non-convex in (W1, W2), every local minimum is
global (Baldi & Hornik 1989), and the optimum is the best rank-4 fit (Eckart-Young: the SVD
of the data's cross-covariance truncated to 4 singular values, the inputs being whitened), so
"reached the optimum" is exact. From a small start, gradient descent sits at the saddle at
the origin before it learns the teacher's modes (Saxe et al. 2014).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import gradlab
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

_D, _H = 8, 4                 # 8 -> 4 -> 8
_SAMPLES = 256
_TEACHER_S = (2.0, 1.6, 1.3, 1.0, 0.5, 0.35, 0.25, 0.1)   # the teacher's singular values
_NOISE = 0.1
_INIT = 1e-6                  # initial weights N(0, 1e-6^2)
_LR = 0.01
_STEPS = 3000
_PLATEAU_STEPS = 100          # a plateau: this many steps with |g| < _G_TOL ...
_G_TOL = 1e-3
_FLAT = 1e-3                  # ... and a relative loss change below this over them
_NEAR = 0.01                  # "reached the optimum": loss <= 1.01 x the optimum
_FD_H = 1e-5                  # finite-difference step for the Hessian


def teacher_data(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Whitened inputs X (n, 8) with X^T X / n = I exactly, and targets y = A x + 0.1 noise,
    A = U diag(2, 1.6, ..., 0.1) V^T with random orthogonal U, V (rank 8). The raw draws pass
    the jitter hook before whitening."""
    z = perturb(rng.standard_normal((_SAMPLES, _D)))
    z = z - z.mean(0)
    evals, evecs = np.linalg.eigh(z.T @ z / _SAMPLES)
    x = z @ evecs @ np.diag(evals ** -0.5) @ evecs.T
    u, _ = np.linalg.qr(rng.standard_normal((_D, _D)))
    v, _ = np.linalg.qr(rng.standard_normal((_D, _D)))
    a = u @ np.diag(_TEACHER_S) @ v.T
    y = x @ a.T + _NOISE * perturb(rng.standard_normal((_SAMPLES, _D)))
    return x, y


def sample_loss(w1: np.ndarray, w2: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The least-squares loss 1/(2n) sum_i |W2 W1 x_i - y_i|^2 of each of R networks,
    w1 (R, 4, 8), w2 (R, 8, 4)."""
    r = x @ np.swapaxes(w2 @ w1, 1, 2) - y
    return 0.5 * (r ** 2).sum((1, 2)) / len(x)


class Problem:
    """The loss of the data as a function of P = W2 W1: with X^T X / n = I it is exactly
    0.5 |P - M|_F^2 + c, M = Y^T X / n, c = 0.5 (|Y|^2 / n - |M|^2). The optimum over rank-4
    P is M truncated to its 4 largest singular values."""

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x, self.y = x, y
        self.m = y.T @ x / len(x)
        self.c = 0.5 * ((y ** 2).sum() / len(x) - (self.m ** 2).sum())
        self.sv = np.linalg.svd(self.m, compute_uv=False)
        self.optimum = 0.5 * float((self.sv[_H:] ** 2).sum()) + self.c
        # the loss at the saddle where the k largest modes are learned, k = 0..4
        self.saddles = [0.5 * float((self.sv[k:] ** 2).sum()) + self.c for k in range(_H + 1)]

    def loss_and_grad(self, w1: np.ndarray, w2: np.ndarray):
        """Loss (R,) and gradients of R networks by gradlab's autograd (float64)."""
        t1 = gradlab.tensor(w1, requires_grad=True)
        t2 = gradlab.tensor(w2, requires_grad=True)
        diff = t2 @ t1 - gradlab.tensor(self.m)
        per = 0.5 * (diff * diff).sum((1, 2)) + self.c
        per.sum().backward()
        return per.detach().numpy(), t1.grad.numpy(), t2.grad.numpy()

    def hessians(self, w1: np.ndarray, w2: np.ndarray) -> np.ndarray:
        """The 64 x 64 Hessian at each of R points by central differences of autograd
        gradients (step 1e-5), not symmetrized: (R, 64, 64)."""
        theta = np.concatenate([w1.reshape(len(w1), -1), w2.reshape(len(w2), -1)], 1)
        r, p = theta.shape
        eye = np.eye(p) * _FD_H
        pts = np.concatenate([theta[:, None, :] + eye, theta[:, None, :] - eye], 1)
        pts = pts.reshape(-1, p)
        n1 = _H * _D
        _, g1, g2 = self.loss_and_grad(pts[:, :n1].reshape(-1, _H, _D),
                                       pts[:, n1:].reshape(-1, _D, _H))
        g = np.concatenate([g1.reshape(len(pts), -1), g2.reshape(len(pts), -1)], 1)
        g = g.reshape(r, 2, p, p)
        return (g[:, 0] - g[:, 1]) / (2 * _FD_H)


def _eig(h: np.ndarray) -> np.ndarray:
    return np.linalg.eigvalsh(0.5 * (h + np.swapaxes(h, -1, -2)))


class SaddlePoints(Experiment):
    """Fraction of 64 gradient-descent runs of a deep linear network that reach the known
    optimum, and the smallest Hessian eigenvalue at every plateau they stall on."""

    id = "saddle-points"
    title = "Saddles, not bad local minima, stall gradient descent"
    source_ref = "source 004 §3.1 L411"
    claim = ("In the non-convex loss of a multi-layer network, what stalls gradient descent "
             "is saddle points rather than poor local minima: the places where it stalls "
             "have a direction of negative curvature, and it goes on to the optimum. Tested "
             "on a deep linear network 8-4-8 (64 parameters) whose optimum is known; not "
             "tested on a non-linear net.")
    claim_zh = ("深层神经网络是一个高度非线性的模型，其风险函数是一个非凸函数，因此风险最小化是一个"
                "非凸优化问题，会存在很多局部最优点。在高维空间中，非凸优化的难点并不在于如何逃离"
                "局部最优点，而是如何**逃离鞍点**。")
    protocol = (
        "Deep linear net x -> W2 W1 x, 8 -> 4 -> 8, least squares on 256 whitened inputs and a "
        "rank-8 teacher (singular values 2 ... 0.1) plus noise 0.1; the optimum (best rank-4 "
        "fit by SVD) is exact. 64 runs (full: 256) from N(0, 1e-6^2) weights, full-batch "
        "gradient descent, lr 0.01, 3,000 steps, float64, gradients by gradlab's autograd. A "
        "plateau (fixed before any run; the review leaves lr, init scale and 'flat' open): 100 "
        "steps with |g| < 1e-3 and a relative loss change < 1e-3 while the loss is above "
        "1.01 x the optimum; at its 100th step, the 64 x 64 Hessian by central differences of "
        "autograd gradients and its smallest eigenvalue. Gaps of the review's rule: 95-100% "
        "reaching with no plateau, or a plateau with -1e-3 < lambda_min < 0, give 'holds "
        "with caveats'.")
    thresholds = {
        "reach_min": 0.95,           # fraction of runs within 1% of the optimum
        "reach_all": 1.0,            # the caveats branch: all runs reach it
        "plateaus_min": 1.0,         # at least one plateau found
        "saddle_lambda_max": -1e-3,  # every plateau's smallest eigenvalue at most this
        "minimum_lambda": 0.0,       # a plateau with lambda_min >= 0 is a bad local minimum
    }

    def measure(self, seed: int, quick: bool) -> Measurement:
        rng = np.random.default_rng([31, seed])
        x, y = teacher_data(rng)
        prob = Problem(x, y)
        runs = 64 if quick else 256
        w1 = perturb(_INIT * rng.standard_normal((runs, _H, _D)))
        w2 = perturb(_INIT * rng.standard_normal((runs, _D, _H)))
        losses = np.empty((_STEPS + 1, runs))
        gnorm = np.empty((_STEPS + 1, runs))
        count = np.zeros(runs, dtype=int)
        found: list[tuple[int, int, np.ndarray, np.ndarray]] = []   # run, step, w1, w2
        stretch_has = np.zeros(runs, dtype=bool)
        for t in range(_STEPS + 1):
            loss, g1, g2 = prob.loss_and_grad(w1, w2)
            losses[t] = loss
            gn = np.sqrt((g1 ** 2).sum((1, 2)) + (g2 ** 2).sum((1, 2)))
            gnorm[t] = gn
            low = (gn < _G_TOL) & (loss > (1 + _NEAR) * prob.optimum)
            count = np.where(low, count + 1, 0)
            stretch_has &= low
            if t >= _PLATEAU_STEPS - 1:
                back = losses[t - _PLATEAU_STEPS + 1]
                flat = np.abs(back - loss) <= _FLAT * loss
                for r in np.flatnonzero((count >= _PLATEAU_STEPS) & flat & ~stretch_has):
                    found.append((int(r), t, w1[r].copy(), w2[r].copy()))
                    stretch_has[r] = True
            if t < _STEPS:
                w1 = w1 - _LR * g1
                w2 = w2 - _LR * g2
        final = losses[-1]
        reached = final <= (1 + _NEAR) * prob.optimum
        numbers: dict[str, Any] = {
            "runs": runs, "steps": _STEPS, "lr": _LR, "init_scale": _INIT,
            "optimum": prob.optimum, "saddle_losses": prob.saddles,
            "singular_values": [float(s) for s in prob.sv],
            "reached": float(reached.mean()),
            "final_excess_max": float((final / prob.optimum - 1).max()),
            "final_excess_median": float(np.median(final / prob.optimum - 1)),
            "steps_to_optimum_median": float(np.median(
                [np.flatnonzero(losses[:, r] <= (1 + _NEAR) * prob.optimum)[0]
                 if reached[r] else _STEPS for r in range(runs)])),
        }
        if found:
            h = prob.hessians(np.stack([f[2] for f in found]), np.stack([f[3] for f in found]))
            eig = _eig(h)
            lam = eig[:, 0]
            numbers["plateau_lambda_min"] = [float(v) for v in lam]
            numbers["plateau_loss"] = [float(losses[f[1], f[0]]) for f in found]
            numbers["plateau_step"] = [f[1] for f in found]
            numbers["plateau_gnorm"] = [float(gnorm[f[1], f[0]]) for f in found]
            numbers["plateau_negative_directions"] = [int((e < -1e-6).sum()) for e in eig]
            numbers["hessian_asymmetry"] = float(
                np.abs(h - np.swapaxes(h, 1, 2)).max() / np.abs(h).max())
        else:
            numbers.update(plateau_lambda_min=[], plateau_loss=[], plateau_step=[],
                           plateau_gnorm=[], plateau_negative_directions=[],
                           hessian_asymmetry=0.0)
        numbers["plateaus"] = len(found)
        # plateaus at the origin's saddle (nothing learned): loss within 1e-3 of its level
        numbers["plateaus_at_origin"] = int(sum(
            abs(v - prob.saddles[0]) <= 1e-3 * prob.saddles[0] for v in numbers["plateau_loss"]))
        numbers["runs_with_plateau"] = len({f[0] for f in found})
        # identities: the Hessian at the origin (eigenvalues +-s_i(M), 4 times each), at the
        # best final point (no negative curvature, 16 flat directions: W2 G^-1, G W1), and
        # the sample-form loss against the matrix form used for training
        zero1, zero2 = np.zeros((1, _H, _D)), np.zeros((1, _D, _H))
        best = int(np.argmin(final))
        hb = prob.hessians(np.concatenate([zero1, w1[best:best + 1]]),
                           np.concatenate([zero2, w2[best:best + 1]]))
        e0, eb = _eig(hb[0]), _eig(hb[1])
        want0 = np.sort(np.concatenate([prob.sv, -prob.sv]).repeat(_H))
        numbers["origin_spectrum_error"] = float(np.abs(e0 - want0).max())
        numbers["origin_lambda_min"] = float(e0[0])
        numbers["optimum_lambda_min"] = float(eb[0])
        numbers["optimum_flat_directions"] = int((np.abs(eb) <= 1e-5).sum())
        numbers["sample_loss_gap"] = float(np.abs(sample_loss(w1, w2, x, y) - final).max())
        return Measurement(numbers, [self._figure(numbers, losses, found, prob)])

    @staticmethod
    def _figure(n, losses, found, prob):
        fig, (a, b) = new_figure(ncols=2)
        floor = 1e-8
        steps = np.arange(losses.shape[0])
        for r in range(min(16, losses.shape[1])):
            a.plot(steps, np.maximum(losses[:, r] / prob.optimum - 1, floor), lw=0.8,
                   alpha=0.6, color="tab:blue", label="runs (16 shown)" if r == 0 else None)
        for k, s in enumerate(prob.saddles[:-1]):
            a.axhline(s / prob.optimum - 1, color="gray", ls=":", lw=1,
                      label="saddles: k modes learned" if k == 0 else None)
        a.axhline(_NEAR, color="k", ls="--", lw=1, label="1% above the optimum")
        if found:
            a.plot([f[1] for f in found], [losses[f[1], f[0]] / prob.optimum - 1 for f in found],
                   "rx", ms=6, label="plateaus (Hessian taken)")
        a.set(xlabel="gradient-descent step", yscale="log",
              ylabel="loss / optimum - 1 (floor 1e-8)", title="deep linear net 8-4-8")
        a.legend(fontsize=9)
        if found:
            lam = np.array(n["plateau_lambda_min"])
            b.plot(np.array(n["plateau_loss"]) / prob.optimum - 1, lam, "rx", ms=6,
                   label=f"plateaus ({len(found)})")
        b.axhline(0.0, color="k", lw=1)
        b.axhline(-1e-3, color="gray", ls="--", lw=1, label="-1e-3")
        b.plot([0.0], [n["optimum_lambda_min"]], "g^", ms=7, label="best final point")
        b.set_yscale("symlog", linthresh=1e-3)
        b.set_xscale("symlog", linthresh=1e-2)
        b.set(xlabel="loss / optimum - 1", ylabel="smallest Hessian eigenvalue",
              title="curvature where it stalls")
        b.legend(fontsize=9)
        return png(fig, "saddles",
                   "Left: relative excess loss of 16 of the runs (floored at 1e-8 for the log "
                   "axis), the saddles' levels and the plateaus found. Right: the smallest "
                   "eigenvalue of the Hessian at each plateau (negative: a saddle) and at the "
                   "best final point.")

    def judge(self, n: dict[str, Any]) -> Verdict:
        t = self.thresholds
        runs, k = n["runs"], n["plateaus"]
        reach = Criterion(f"fraction of {runs} runs within 1% of the optimum", n["reached"],
                          ">=", t["reach_min"], "reach_min")
        every = Criterion(f"fraction of {runs} runs within 1% of the optimum", n["reached"],
                          ">=", t["reach_all"], "reach_all")
        some = Criterion("plateaus found", k, ">=", t["plateaus_min"], "plateaus_min")
        criteria = [reach, every, some]
        lam = n["plateau_lambda_min"]
        saddle = bad = None
        if lam:
            top = max(lam)
            saddle = Criterion("largest over plateaus of the smallest Hessian eigenvalue", top,
                               "<=", t["saddle_lambda_max"], "saddle_lambda_max")
            bad = Criterion("largest over plateaus of the smallest Hessian eigenvalue "
                            "(no minimum above the optimum)", top, "<", t["minimum_lambda"],
                            "minimum_lambda")
            criteria += [saddle, bad]
        if not reach.passed or (bad is not None and not bad.passed):
            verdict = FAILS
        elif some.passed and saddle is not None and saddle.passed:
            verdict = HOLDS
        else:
            verdict = CAVEATS
        text = (f"{n['reached']:.1%} of {runs} gradient-descent runs from N(0, "
                f"{n['init_scale']:g}^2) weights ended within 1% of the optimum (loss "
                f"{n['optimum']:.4f}; the worst ended {n['final_excess_max']:.2e} above it, "
                f"relative). ")
        if lam:
            text += (f"They stalled on {k} plateaus ({n['runs_with_plateau']} runs), where the "
                     f"smallest Hessian eigenvalue was between {min(lam):.3f} and "
                     f"{max(lam):.3f}, {n['plateaus_at_origin']} of them at the origin's "
                     f"saddle (a saddle needs at most {t['saddle_lambda_max']:g}; "
                     f"a minimum would be >= 0). ")
        else:
            text += ("No plateau (100 steps with gradient norm below 1e-3 above the optimum) "
                     "was found, so the saddles were not examined. ")
        if verdict == HOLDS:
            text += "Every stall was a saddle and the runs went on to the optimum."
        elif verdict == FAILS:
            text += ("Runs stopped short of the optimum" if not reach.passed else
                     "A plateau above the optimum had no negative curvature: a local minimum")
            text += "."
        else:
            text += ("The runs reached the optimum, but "
                     + ("some did not" if not every.passed and not some.passed else
                        "no stall was measured" if not some.passed else
                        "not every plateau had clearly negative curvature") + ".")
        text += (f" At the best final point the smallest eigenvalue is "
                 f"{n['optimum_lambda_min']:.1e} with {n['optimum_flat_directions']} flat "
                 "directions.")
        key = (f"{n['reached']:.0%} reach the optimum; {k} plateaus, λ_min "
               + (f"{min(lam):.2f} to {max(lam):.2f}" if lam else "none"))
        return Verdict(verdict, text, key, criteria=criteria)

    def checks(self, n: dict[str, Any]) -> list[Check]:
        """The finite-difference Hessian against the analytic spectrum at the origin
        (+-s_i(M), 4 times each) and its symmetry; at the best final point no negative
        curvature and the 16 flat directions of the GL(4) symmetry; the loss used in training
        (0.5 |W2 W1 - M|^2 + c) equals the sample loss."""
        return [
            Check("Hessian at the origin: eigenvalues +-s_i(M), 4 times each",
                  n["origin_spectrum_error"] <= 1e-6,
                  f"largest error {n['origin_spectrum_error']:.1e} (at most 1e-6); smallest "
                  f"{n['origin_lambda_min']:.4f} = -s_1 = {-n['singular_values'][0]:.4f}"),
            Check("finite-difference Hessians are symmetric", n["hessian_asymmetry"] <= 1e-6,
                  f"largest |H - H^T| / max |H| = {n['hessian_asymmetry']:.1e} (at most 1e-6)"),
            Check("best final point: no negative curvature, 16 flat directions (W2 G^-1, G W1)",
                  n["optimum_lambda_min"] >= -1e-6 and n["optimum_flat_directions"] == 16,
                  f"smallest eigenvalue {n['optimum_lambda_min']:.1e} (at least -1e-6), "
                  f"{n['optimum_flat_directions']} eigenvalues within 1e-5 of 0 (16)"),
            Check("the matrix-form loss equals the sample loss (whitened inputs)",
                  n["sample_loss_gap"] <= 1e-10,
                  f"largest difference {n['sample_loss_gap']:.1e} (at most 1e-10)"),
        ]


EXPERIMENT = SaddlePoints()
