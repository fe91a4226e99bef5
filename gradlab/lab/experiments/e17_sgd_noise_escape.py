"""SGD noise and local minima (source 000/001 Q65): started in a local minimum, does the noise of
mini-batch gradients carry the parameter out of it, while full-batch gradient descent stays?
And does it leave the global minimum less often?

The model is a scalar w with per-sample loss l_i(w) = f(w) + xi_i w over N = 512 samples,
f(w) = (w^2 - 1)^2 + 0.3 w and xi_i ~ N(0, 1) centred over the samples, so the full-batch
gradient is f'(w) exactly and a mini-batch of B samples adds the mean of its xi_i: the only
difference between gradient descent and SGD is that noise. f has its global minimum near
w = -1.04, a local one near w = +0.96 and the barrier between them (a local maximum) near
w = 0.075; a run "escapes" when it ends on the other side of that maximum.
"""

from __future__ import annotations

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

_N = 512                  # samples
_LR = 0.05
_STEPS = 2000
_TILT = 0.3               # f(w) = (w^2 - 1)^2 + _TILT w
_BATCHES = (1, 8)         # the SGD batch sizes; gradient descent is B = N
_RESTARTS = 10            # best-of-10 random starts vs one start (reported, not judged)
_START_RANGE = 2.0        # random starts uniform in [-2, 2]


def f(w):
    """The mean loss f(w) = (w^2 - 1)^2 + 0.3 w (the xi_i w terms average to 0)."""
    return (w * w - 1.0) ** 2 + _TILT * w


def df(w):
    """f'(w) = 4 w (w^2 - 1) + 0.3."""
    return 4.0 * w * (w * w - 1.0) + _TILT


def d2f(w):
    """f''(w) = 12 w^2 - 4."""
    return 12.0 * w * w - 4.0


def stationary_points() -> tuple[float, float, float]:
    """The global minimum, the barrier (local maximum) and the local minimum of f, in
    increasing order: the real roots of 4 w^3 - 4 w + 0.3, polished by two Newton steps."""
    roots = np.sort(np.roots([4.0, 0.0, -4.0, _TILT]).real)
    for _ in range(2):
        roots = roots - df(roots) / d2f(roots)
    g, b, loc = (float(r) for r in roots)
    return g, b, loc


def samples(rng: np.random.Generator) -> np.ndarray:
    """The per-sample slopes xi_i: N(0, 1) draws through the jitter hook, then centred so that
    their mean is 0 to float64 rounding (the full-batch gradient is f' exactly)."""
    xi = perturb(rng.standard_normal(_N))
    return xi - xi.mean()


def descend(w0: np.ndarray, xi: np.ndarray, batch: int, steps: int,
            rng: np.random.Generator,
            record_every: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs len(w0) copies of (mini-batch) gradient descent at lr 0.05, vectorised: each step
    every run takes the gradient f'(w) + mean(xi over its batch). Each run goes through the
    samples in epochs of its own random order (without replacement within an epoch), ``batch``
    at a time; ``batch == N`` is full-batch gradient descent. Returns the final w, w every
    ``record_every`` steps (rows; an empty array when ``record_every`` is 0) and each run's
    highest mean loss f(w) over the steps."""
    runs = len(w0)
    w = np.array(w0, dtype=np.float64)
    per_epoch = _N // batch
    epochs = -(-steps // per_epoch)
    trace = []
    peak = f(w)
    for e in range(epochs):
        if batch == _N:    # every sample, in any order: the mean of all xi (0 to rounding)
            noise = np.full((runs, 1), xi.mean())
        else:
            order = rng.permuted(np.broadcast_to(np.arange(_N), (runs, _N)), axis=1)
            noise = xi[order[:, :per_epoch * batch]].reshape(runs, per_epoch, batch).mean(-1)
        for j in range(per_epoch):
            t = e * per_epoch + j
            if t >= steps:
                break
            w -= _LR * (df(w) + noise[:, j])
            peak = np.maximum(peak, f(w))
            if record_every and (t + 1) % record_every == 0:
                trace.append(w.copy())
    return w, np.array(trace), peak


class SGDNoiseEscape(Experiment):
    """Fraction of 256 runs (full: 1,024) that end in the other basin of a tilted double well,
    started in the local and in the global minimum, for gradient descent and SGD with B = 1
    and 8; and best-of-10 random starts."""

    id = "sgd-noise-escape"
    title = "SGD noise escapes local minima (and may leave the global one)"
    source_ref = "source 000 Q65 L241 (= 001)"
    claim = ("With random mini-batches the gradient at a local minimum is not zero, so SGD can "
             "leave a local minimum that full-batch gradient descent stays in; it may also "
             "leave the global minimum. Tested on a one-parameter tilted double well at lr "
             "0.05 with unit-variance per-sample noise; restarts from several random "
             "initializations are measured and reported, not judged; annealing is not "
             "tested.")
    claim_zh = ("引入随机因素，即便陷入局部极小，梯度也可能不为0，这样就有机会跳出局部极小继续搜索"
                "（可以作为跳出局部极小的一种方式，但也可能跳出全局最小。还有解决局部极小的方式："
                "多组参数初始化、使用模拟退火技术）")
    protocol = (
        "Scalar w, per-sample loss f(w) + xi_i w over N = 512 samples, f(w) = (w^2 - 1)^2 + "
        "0.3 w, xi_i ~ N(0, 1) centred (the full gradient is f' exactly). 256 runs (full: "
        "1,024) from the local minimum (w = 0.96) and 256 from the global one (w = -1.04); "
        "gradient descent (B = 512) and SGD with B = 1 and 8 (each run its own shuffled "
        "epochs), lr 0.05, 2,000 steps; escaped = ends beyond the barrier (w = 0.075). "
        "Reported, not judged: GD from 10 x 256 uniform starts in [-2, 2], single start vs "
        "best (lowest f) of 10. Gaps in the review's rule, fixed before any run: a B that "
        "escapes the local minimum in 5-30% of runs, or GD escaping at all, gives 'holds with "
        "caveats'; 'some B' is any B meeting both conditions of 'holds'.")
    thresholds = {
        "escape_min": 0.30,          # fraction of SGD runs leaving the local minimum, for holds
        "escape_floor": 0.05,        # below it for every B: does not hold
        "gd_escape_max": 0.0,        # gradient descent must stay in the local minimum
        "global_ratio_max": 1.0 / 3.0,   # global-minimum escapes / local-minimum escapes
    }

    def measure(self, seed: int, quick: bool) -> Measurement:
        runs = 256 if quick else 1024
        rng = np.random.default_rng([17, seed])
        xi = samples(rng)
        w_glob, w_bar, w_loc = stationary_points()
        starts = {"local": perturb(np.full(runs, w_loc)),
                  "global": perturb(np.full(runs, w_glob))}
        record = 20
        exact = {"local": w_loc, "global": w_glob}
        finals, traces = {}, {}
        numbers: dict[str, Any] = {
            "runs": runs, "steps": _STEPS, "lr": _LR, "n": _N, "batches": list(_BATCHES),
            "w_global": w_glob, "w_barrier": w_bar, "w_local": w_loc,
            "f_global": float(f(w_glob)), "f_local": float(f(w_loc)),
            "barrier_from_local": float(f(w_bar) - f(w_loc)),
            "barrier_from_global": float(f(w_bar) - f(w_glob)),
            "xi_mean_abs": float(abs(xi.mean())), "xi_std": float(xi.std()),
            "df_at_minima": float(max(abs(df(w_glob)), abs(df(w_loc)))),
            "d2f": [float(d2f(w_glob)), float(d2f(w_bar)), float(d2f(w_loc))],
        }
        for name, batch in [("gd", _N)] + [(f"b{b}", b) for b in _BATCHES]:
            for start, w0 in starts.items():
                w, tr, peak = descend(w0, xi, batch, _STEPS, rng, record)
                other = (w < w_bar) if start == "local" else (w > w_bar)
                numbers[f"escape_{start}_{name}"] = float(other.mean())
                numbers[f"mean_final_w_{start}_{name}"] = float(w.mean())
                # how far up the barrier the runs climbed: the highest f(w) over all runs
                # and steps, above the start's minimum
                numbers[f"climb_{start}_{name}"] = float(peak.max() - f(exact[start]))
                finals[(name, start)] = w
                side = (tr < w_bar) if start == "local" else (tr > w_bar)
                traces[(name, start)] = side.mean(axis=1)
        numbers["gd_max_move"] = float(max(np.abs(finals[("gd", s)] - exact[s]).max()
                                           for s in starts))
        # restarts: gradient descent from _RESTARTS uniform starts per group
        w0 = perturb(rng.uniform(-_START_RANGE, _START_RANGE, size=(runs, _RESTARTS)))
        w, _, _ = descend(w0.ravel(), xi, _N, _STEPS, rng)
        w = w.reshape(runs, _RESTARTS)
        best = w[np.arange(runs), np.argmin(f(w), axis=1)]
        numbers["restart_single_global"] = float((w < w_bar).mean())
        numbers["restart_best_global"] = float((best < w_bar).mean())
        numbers["restarts"] = _RESTARTS
        return Measurement(numbers, [self._figure(numbers, finals, traces, record)])

    @staticmethod
    def _figure(n, finals, traces, record) -> Any:
        fig, (a, b) = new_figure(ncols=2, width=5.0, height=3.8)
        grid = np.linspace(-1.7, 1.6, 300)
        a.plot(grid, f(grid), color="k", lw=1.2, label="f(w)")
        for key, color in (("w_global", "tab:green"), ("w_local", "tab:red")):
            a.plot([n[key]], [f(n[key])], "o", color=color,
                   label=f"{key[2:]} minimum, w = {n[key]:.2f}")
        a.axvline(n["w_barrier"], color="gray", ls=":", lw=1,
                  label=f"barrier, w = {n['w_barrier']:.3f}")
        bins = np.linspace(-1.7, 1.6, 45)
        ax2 = a.twinx()
        for (name, start), color in ((("b1", "local"), "tab:red"),
                                     (("b1", "global"), "tab:green")):
            ax2.hist(finals[(name, start)], bins=bins, color=color, alpha=0.3,
                     label=f"final w, B = 1, from {start}")
        ax2.set_ylabel("runs (histogram)")
        a.set(xlabel="w", ylabel="mean loss f(w)", title="tilted double well")
        a.legend(loc="upper center", fontsize=9)
        ax2.legend(loc="center right", fontsize=9)
        steps = np.arange(1, len(traces[("gd", "local")]) + 1) * record
        styles = {"gd": ("k", "gradient descent"), "b1": ("tab:blue", "SGD B = 1"),
                  "b8": ("tab:orange", "SGD B = 8")}
        for (name, start), frac in traces.items():
            color, label = styles[name]
            b.plot(steps, frac, color=color, ls="-" if start == "local" else "--",
                   label=f"{label}, from {start}")
        b.set(xlabel="step", ylabel=f"fraction of {n['runs']} runs in the other basin",
              title="escapes over time", ylim=(-0.03, 1.03))
        b.legend(fontsize=9)
        return png(fig, "escape",
                   "Left: the mean loss f with its two minima and the barrier, and where the "
                   "SGD runs with B = 1 ended (histograms). Right: the fraction of runs on the "
                   "other side of the barrier against the step, started in the local minimum "
                   "(solid) and in the global one (dashed).")

    def judge(self, n: dict[str, Any]) -> Verdict:
        t = self.thresholds
        runs = n["runs"]
        per_b = []
        for b in n["batches"]:
            loc, glo = n[f"escape_local_b{b}"], n[f"escape_global_b{b}"]
            ratio = glo / loc if loc > 0 else None
            per_b.append((b, loc, glo, ratio))
        good = [p for p in per_b if p[1] >= t["escape_min"] and p[3] is not None
                and p[3] <= t["global_ratio_max"]]
        b, loc, glo, ratio = (max(good, key=lambda p: p[1]) if good
                              else max(per_b, key=lambda p: p[1]))
        gd_loc = n["escape_local_gd"]
        floor = Criterion(f"fraction of SGD runs (B = {b}, the B judged) leaving the local "
                          "minimum",
                          loc, ">=", t["escape_floor"], "escape_floor")
        often = Criterion(f"fraction of SGD runs (B = {b}) leaving the local minimum", loc,
                          ">=", t["escape_min"], "escape_min")
        gd = Criterion("fraction of gradient-descent runs leaving the local minimum", gd_loc,
                       "<=", t["gd_escape_max"], "gd_escape_max")
        criteria = [floor, often, gd]
        keep = None
        if ratio is not None:
            keep = Criterion(f"SGD (B = {b}): global-minimum escapes / local-minimum escapes",
                             ratio, "<=", t["global_ratio_max"], "global_ratio_max")
            criteria.append(keep)
        if not floor.passed:
            verdict = FAILS
        elif often.passed and gd.passed and keep is not None and keep.passed:
            verdict = HOLDS
        else:
            verdict = CAVEATS
        rows = "; ".join(f"B = {bb}: {lo:.1%} from the local and {gl:.1%} from the global "
                         f"minimum" for bb, lo, gl, _ in per_b)
        text = (f"Of {runs} runs started in the local minimum, gradient descent ended in the "
                f"other basin in {gd_loc:.1%} and SGD in: {rows} (lr {n['lr']:g}, "
                f"{n['steps']} steps; the barrier is {n['barrier_from_local']:.3f} above the "
                f"local and {n['barrier_from_global']:.3f} above the global minimum). ")
        if verdict == FAILS:
            text += (f"No batch size reached the {t['escape_floor']:.0%} floor, so at this noise "
                     "the local minimum traps SGD as it traps gradient descent.")
        elif verdict == HOLDS:
            text += (f"With B = {b}, {loc:.1%} of runs left the local minimum (at least "
                     f"{t['escape_min']:.0%}) and the global minimum was left "
                     f"{ratio:.2f} times as often (at most {t['global_ratio_max']:.2f}).")
        else:
            why = []
            if not often.passed:
                why.append(f"at most {loc:.1%} left the local minimum (holds needs "
                           f"{t['escape_min']:.0%})")
            if not gd.passed:
                why.append(f"gradient descent escaped too ({gd_loc:.1%})")
            if keep is not None and not keep.passed:
                why.append(f"with B = {b} the global minimum was left {ratio:.2f} times as "
                           f"often as the local one (more than {t['global_ratio_max']:.2f})")
            text += "SGD escapes, but " + "; ".join(why) + "."
        text += (f" The highest SGD run (B = {b}) from the local minimum climbed "
                 f"{n[f'climb_local_b{b}']:.3f} of the {n['barrier_from_local']:.3f} barrier."
                 f" Restarts (reported, not judged): one uniform start reached the global basin "
                 f"in {n['restart_single_global']:.1%} of cases, the best of "
                 f"{n['restarts']} in {n['restart_best_global']:.1%}.")
        key = (f"escape local / global: GD {gd_loc:.0%}; "
               + ", ".join(f"B={bb} {lo:.0%} / {gl:.0%}" for bb, lo, gl, _ in per_b))
        return Verdict(verdict, text, key, criteria=criteria)

    def checks(self, n: dict[str, Any]) -> list[Check]:
        """The full-batch gradient is f' exactly (the slopes are centred); the starts are
        the stationary points of f with the curvatures of two minima and a maximum, the
        left one the lower; gradient descent started in a minimum stays there."""
        g2, b2, l2 = n["d2f"]
        return [
            Check("the per-sample slopes average to 0 (full gradient = f')",
                  n["xi_mean_abs"] <= 1e-12, f"|mean xi| = {n['xi_mean_abs']:.1e} (at most "
                  "1e-12)"),
            Check("the starts and the barrier are stationary points of f: two minima around "
                  "a maximum, the left one global",
                  n["df_at_minima"] <= 1e-12 and g2 > 0 and l2 > 0 and b2 < 0
                  and n["f_global"] < n["f_local"]
                  and n["w_global"] < n["w_barrier"] < n["w_local"],
                  f"|f'| at the minima {n['df_at_minima']:.1e}; f'' = {g2:.2f}, {b2:.2f}, "
                  f"{l2:.2f}; f = {n['f_global']:.3f} (global) < {n['f_local']:.3f} (local)"),
            Check("gradient descent started in a minimum ends in it",
                  n["gd_max_move"] <= 1e-9, f"largest distance from the minimum after "
                  f"{n['steps']} steps {n['gd_max_move']:.1e} (at most 1e-9)"),
        ]


EXPERIMENT = SGDNoiseEscape()
