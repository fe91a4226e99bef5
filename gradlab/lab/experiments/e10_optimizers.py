"""Optimizers on an ill-conditioned quadratic and on Digits: SGD, momentum, Nesterov, AdaGrad,
RMSProp, AdaDelta, Adam, and AdaGrad's shrinking step (source 004 §3.3; source 003)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import gradlab
from gradlab import nn, optim
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

_NAMES = ("SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "AdaDelta", "Adam")
_COLORS = dict(zip(_NAMES, ("tab:gray", "tab:blue", "tab:cyan", "tab:red", "tab:orange",
                            "tab:brown", "tab:green")))
# the Digits test of the quoted sentence: AdaGrad and RMSProp, each at the best (lowest median
# final training loss over the inits) of one common grid of learning rates; the best must lie
# inside the grid (a check)
_DIGITS_NAMES = ("AdaGrad", "RMSProp")
_DIGITS_LRS = (3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0)
_QUAD_LRS = (3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0)
_QUAD_START = (-4.0, 2.0)
_KAPPA = 100.0
_ANGLE = math.pi / 6
# the SGD run on the quadratic must match the closed form (I - lr H)^k w0 to this relative error
_CLOSED_FORM_RTOL = 1e-3


def _make(name: str, params, lr: float):
    """One of the seven optimizers of the comparison (gradlab.optim)."""
    if name == "SGD":
        return optim.SGD(params, lr=lr)
    if name == "Momentum":
        return optim.SGD(params, lr=lr, momentum=0.9)
    if name == "Nesterov":
        return optim.SGD(params, lr=lr, momentum=0.9, nesterov=True)
    if name == "AdaGrad":
        return optim.Adagrad(params, lr=lr)
    if name == "RMSProp":
        return optim.RMSprop(params, lr=lr)
    if name == "AdaDelta":
        return optim.Adadelta(params, lr=lr)
    if name == "Adam":
        return optim.Adam(params, lr=lr)
    raise ValueError(f"_make: unknown optimizer {name!r}, expected one of {_NAMES}")


def _effective_step(name: str, opt) -> float | None:
    """Median over all parameter entries of the per-coordinate step factor the adaptive
    methods apply to the gradient: AdaGrad lr / (sqrt(G_t) + eps), RMSProp lr / (sqrt(v_t) +
    eps), Adam lr / (sqrt(v_t / (1 - beta2^t)) + eps), AdaDelta lr sqrt(u_{t-1} + eps) /
    sqrt(v_t + eps). None for the SGD family (their factor is the constant lr)."""
    vals = []
    for group in opt.param_groups:
        lr, eps = group["lr"], group["eps"] if "eps" in group else 0.0
        for p in group["params"]:
            st = opt.state.get(p)
            if not st:
                continue
            if name == "AdaGrad":
                f = lr / (np.sqrt(st["sum"].numpy()) + eps)
            elif name == "RMSProp":
                f = lr / (np.sqrt(st["square_avg"].numpy()) + eps)
            elif name == "Adam":
                bc = 1 - group["betas"][1] ** float(st["step"])
                f = lr / (np.sqrt(st["exp_avg_sq"].numpy() / bc) + eps)
            elif name == "AdaDelta":
                f = lr * np.sqrt(st["acc_delta"].numpy() + eps) / np.sqrt(
                    st["square_avg"].numpy() + eps)
            else:
                return None
            vals.append(f.ravel())
    return float(np.median(np.concatenate(vals))) if vals else None


def _quadratic() -> np.ndarray:
    """H = R diag(1, kappa) R^T, R a rotation by 30 degrees (the valley is not axis-aligned)."""
    c, s = math.cos(_ANGLE), math.sin(_ANGLE)
    r = np.array([[c, -s], [s, c]])
    return r @ np.diag([1.0, _KAPPA]) @ r.T


def _sgd_closed_form(start, lr: float, steps: int) -> float:
    """f(w_k) of plain gradient descent on the quadratic, w_k = (I - lr H)^k w_0, in float64."""
    h = _quadratic()
    w = np.linalg.matrix_power(np.eye(2) - lr * h, steps) @ np.asarray(start, dtype=np.float64)
    return float(0.5 * w @ h @ w)


def _run_quadratic(name: str, lr: float, steps: int,
                   start: np.ndarray) -> tuple[list[float], np.ndarray]:
    h = gradlab.tensor(_quadratic().astype(np.float32))
    w = nn.Parameter(gradlab.tensor(start.astype(np.float32)))
    opt = _make(name, [w], lr)
    losses, path = [], [w.detach().numpy().copy()]
    for _ in range(steps):
        loss = 0.5 * (w @ (h @ w))
        opt.zero_grad()
        loss.backward()
        opt.step()
        v = float(0.5 * (w @ (h @ w)))
        if not np.isfinite(v) or v > 1e6:
            losses.append(1e6)
            break
        losses.append(v)
        path.append(w.detach().numpy().copy())
    return losses, np.array(path)


def _mlp() -> nn.Sequential:
    return nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))


def _stacked_mlps(run_seeds) -> list:
    """The MLPs ``_mlp()`` makes after ``gradlab.manual_seed(s)`` for each s of
    ``run_seeds``, stacked along a first axis as four parameters (W1 (R, 64, 64), b1
    (R, 1, 64), W2 (R, 64, 10), b2 (R, 1, 10)) so that R nets train in one graph; each passes
    through ``perturb`` (the jitter hook)."""
    nets = []
    for s in run_seeds:
        gradlab.manual_seed(s)
        m = _mlp()
        w1, b1, w2, b2 = (p.detach().numpy() for p in m.parameters())
        nets.append([w1.T, b1[None], w2.T, b2[None]])
    return [perturb(nn.Parameter(gradlab.tensor(np.stack([net[i] for net in nets]))))
            for i in range(4)]


def _stacked_forward(params, x):
    w1, b1, w2, b2 = params
    return F.relu(x @ w1 + b1) @ w2 + b2


def _stacked_effective_step(name: str, opt) -> list[float]:
    """``_effective_step`` per net of a stacked run (the state arrays' first axis)."""
    out = []
    r_count = opt.param_groups[0]["params"][0].shape[0]
    for r in range(r_count):
        vals = []
        for group in opt.param_groups:
            lr, eps = group["lr"], group["eps"]
            for p in group["params"]:
                st = opt.state[p]
                if name == "AdaGrad":
                    f = lr / (np.sqrt(st["sum"].numpy()[r]) + eps)
                elif name == "RMSProp":
                    f = lr / (np.sqrt(st["square_avg"].numpy()[r]) + eps)
                else:
                    raise ValueError(f"_stacked_effective_step: only AdaGrad and RMSProp, got "
                                     f"{name!r}")
                vals.append(f.ravel())
        out.append(float(np.median(np.concatenate(vals))))
    return out


def _train_digits(name: str, lr: float, data, steps: int, probe: list[int],
                  run_seeds: list[int]) -> list[dict[str, Any]]:
    """One Digits MLP per run seed (its init, and its batches of 64 drawn by
    ``np.random.default_rng(seed)``), trained side by side by ``name`` at ``lr``: per net the
    per-step batch loss, the effective step at the ``probe`` steps, the final
    full-training-set loss (inf if the net diverged) and the test accuracy."""
    X, y, Xt, yt = data
    n_runs = len(run_seeds)
    params = _stacked_mlps(run_seeds)
    opt = _make(name, params, lr)
    rngs = [np.random.default_rng(s) for s in run_seeds]
    curves = np.zeros((n_runs, steps))
    eff: list[dict[int, float]] = [{} for _ in run_seeds]
    for i in range(1, steps + 1):
        idx = gradlab.tensor(np.stack([g.integers(0, len(X), 64) for g in rngs]))
        logits = _stacked_forward(params, X[idx])
        per = F.cross_entropy(logits.reshape(-1, 10), y[idx].reshape(-1),
                              reduction="none").reshape(n_runs, 64).mean(1)
        loss = per.sum()             # each net's gradient is that of its own mean loss
        opt.zero_grad()
        loss.backward()
        opt.step()
        curves[:, i - 1] = per.detach().numpy()
        if not np.isfinite(curves[:, i - 1]).any():
            break
        if i in probe:
            for r, v in enumerate(_stacked_effective_step(name, opt)):
                eff[r][i] = v
    with gradlab.no_grad():
        logits = _stacked_forward(params, X)
        finals = F.cross_entropy(logits.reshape(-1, 10), y.repeat(n_runs),
                                 reduction="none").reshape(n_runs, -1).mean(1).numpy()
        accs = (_stacked_forward(params, Xt).argmax(-1) == yt).float().mean(1).numpy()
    out = []
    for r in range(n_runs):
        final = float(finals[r])
        ok = math.isfinite(final) and np.isfinite(curves[r]).all()
        out.append({"final": final if ok else math.inf, "acc": float(accs[r]) if ok else 0.0,
                    "curve": curves[r].tolist(), "eff": eff[r] if ok else {}})
    return out


class OptimizersExperiment(Experiment):
    """Seven optimizers on an ill-conditioned quadratic, and AdaGrad against RMSProp on a
    Digits MLP, each at its best learning rate of a stated grid, with the effective step
    sizes of both."""

    id = "optimizers"
    title = "Optimizers on an ill-conditioned quadratic; AdaGrad's decaying step on Digits"
    source_ref = "source 004 §3.3; source 003 optimizers"
    claim = ("Momentum and Nesterov fix the gradient direction (they cross ill-conditioned "
             "valleys faster than SGD). AdaGrad's weakness (the quoted sentence): its "
             "accumulated squared gradients make the learning rate so small after some "
             "iterations that it can no longer approach the optimum, so it ends behind "
             "RMSProp, which replaces the sum by a moving average.")
    claim_zh = ("Adagrad 算法的缺点是在经过一定次数的迭代依然没有找到最优点时，"
                "由于这时的学习率已经非常小，很难再继续找到最优点。")
    protocol = (
        "(1) f(w) = w^T H w / 2 with H's eigenvalues 1 and 100 along axes rotated by 30 "
        "degrees, from (-4, 2): each of SGD, momentum, Nesterov, AdaGrad, RMSProp, AdaDelta "
        "and Adam at the best of 7 learning rates (3e-3 to 3), final loss after 100 steps "
        "(300 in full). (2) Digits, MLP 64-64-10 (ReLU), batch 64, 300 steps (1,000 in "
        "full), 3 inits (5 in full): AdaGrad and RMSProp each at the lr of 3e-3, 0.01, 0.03, "
        "0.1, 0.3, 1 with the lowest median final training loss; that median loss, test "
        "accuracy, and the median per-coordinate effective step over time.")
    thresholds = {
        "momentum_gain_min": 10.0,       # SGD's final loss / Momentum's (quadratic, best lrs)
        "adagrad_decay_max": 0.2,        # AdaGrad effective step at the end / at step 10
        "adagrad_behind_min": 1.5,       # AdaGrad's final Digits loss / RMSProp's: stalls
        "adagrad_not_behind_max": 1.0,   # that ratio at or below this: AdaGrad not behind
    }
    revisions = (
        Revision(
            date="2026-11-27",
            what="The quadratic's learning-rate grid was moved (disclosed in the note of issue "
                 "7); the grid before the move is not in git: the first commit (f101ab7) "
                 "already has 3e-3 to 3.",
            why="Not recorded; the review found SGD and momentum with their best lr inside the "
                "grid (0.01) and AdaGrad, AdaDelta and Adam at its top edge (3), unjudged.",
            moved="not known",
            effect="Seeds 0-2 gave holds with caveats after the move; the verdicts before it "
                   "were not recorded."),
        Revision(
            date="2026-12-06",
            what="The AdaGrad sentence can now give 'does not hold': AdaGrad's loss ratio to "
                 "RMSProp at or below 1.0 (not behind at all), or below 1.5 with momentum's "
                 "gain missing too. Digits compares AdaGrad and RMSProp each at its best lr "
                 "instead of hand-picked lrs (AdaGrad 0.01, RMSProp 1e-3), and the effective-"
                 "step decay is measured on AdaGrad's best-lr runs.",
            why="The outside review: the quoted claim could at worst give caveats, and "
                "'behind' depended on the hand-picked lrs. The 1.5 and 0.2 thresholds are the "
                "registered ones; 1.0 is the line where AdaGrad is not behind at all.",
            moved="toward does not hold",
            effect="Seeds 0-2, quick, SkylakeX and Haswell kernels: holds with caveats before "
                   "(ratio 1.35-1.37 at the hand-picked lrs, decay 0.14-0.19, as the review "
                   "measured) and after (ratio 1.64 / 1.42 / 1.55 at the best lrs, decay "
                   "0.72 / 0.72 / 0.71: at its best lr AdaGrad's step barely shrinks)."),
        Revision(
            date="2026-12-06",
            what="The best-lr grid: first each optimizer's customary lr x 0.1 to x 10 (1 init), "
                 "then, after seed 0 put every optimizer's best at that grid's top edge, one "
                 "common grid 3e-3 to 1 for AdaGrad and RMSProp, the median over 3 inits (the "
                 "per-init ratio ranged 1.15-1.72 on seeds 0-2), and a check that the best lr "
                 "is inside the grid. The five other optimizers left the Digits part (they "
                 "ran at hand-picked lrs and were never judged).",
            why="A best lr on the grid's edge is not a best lr; one SGD run's final loss is a "
                "noisy snapshot, so the median over inits.",
            moved="none",
            effect="Seed 0: holds with caveats with the first grid (ratio 1.43, decay 0.56) "
                   "and with the second."),
    )

    def measure(self, seed: int, quick: bool) -> Measurement:
        q_steps = 100 if quick else 300
        start = perturb(np.array(_QUAD_START, dtype=np.float64))
        quad = {}
        for name in _NAMES:
            best = None
            for lr in _QUAD_LRS:
                losses, path = _run_quadratic(name, lr, q_steps, start)
                final = losses[-1] if len(losses) == q_steps else 1e6
                if best is None or final < best[0]:
                    best = (final, lr, losses, path)
            quad[name] = best

        train, test = Digits(train=True), Digits(train=False)
        x = perturb(train.data.reshape(-1, 64).numpy().astype(np.float32))
        xt = perturb(test.data.reshape(-1, 64).numpy().astype(np.float32))
        data = (gradlab.tensor(x), train.targets, gradlab.tensor(xt), test.targets)
        steps, inits = (300, 3) if quick else (1000, 5)
        probe = sorted({10, steps // 4, steps // 2, steps} | set(
            np.unique(np.geomspace(1, steps, 30).astype(int)).tolist()))
        digits, shown = {}, {}
        for name in _DIGITS_NAMES:
            run_seeds = [100 * seed + r for r in range(inits)]
            runs = [_train_digits(name, lr, data, steps, probe, run_seeds)
                    for lr in _DIGITS_LRS]
            medians = [float(np.median([r["final"] for r in rs])) for rs in runs]
            b = int(np.argmin(medians))
            best = [r for r in runs[b] if math.isfinite(r["final"])]
            ok = math.isfinite(medians[b])
            eff = ({str(i): float(np.median([r["eff"][i] for r in best])) for i in probe}
                   if ok else None)
            digits[name] = {
                "lr": _DIGITS_LRS[b],
                "grid_median_loss": [m if math.isfinite(m) else None for m in medians],
                "best_inside_grid": 0 < b < len(_DIGITS_LRS) - 1,
                "train_loss": medians[b] if ok else None,
                "train_losses": [r["final"] if math.isfinite(r["final"]) else None
                                 for r in runs[b]],
                "test_acc": float(np.median([r["acc"] for r in best])),
                "effective_step": eff,
                "decay": (float(np.median([r["eff"][steps] / r["eff"][10] for r in best]))
                          if ok else None),
            }
            shown[name] = runs[b][0]["curve"]

        ada, rms = digits["AdaGrad"]["train_loss"], digits["RMSProp"]["train_loss"]
        numbers = {
            "quad_steps": q_steps, "kappa": _KAPPA, "angle": _ANGLE,
            "quad_start": [float(v) for v in start],
            "digits_steps": steps, "inits": inits, "digits_lrs": list(_DIGITS_LRS),
            "quadratic": {k: {"lr": v[1], "final_loss": v[0]} for k, v in quad.items()},
            "digits": digits,
            "momentum_gain": quad["SGD"][0] / max(quad["Momentum"][0], 1e-30),
            "nesterov_gain": quad["SGD"][0] / max(quad["Nesterov"][0], 1e-30),
            "adagrad_decay": digits["AdaGrad"]["decay"],
            "rmsprop_decay": digits["RMSProp"]["decay"],
            "adagrad_behind": (ada / rms if ada is not None and rms is not None
                               else (1e6 if ada is None else 0.0)),
        }
        return Measurement(numbers, self._figures(quad, digits, shown, numbers))

    @staticmethod
    def _figures(quad, digits, shown, n) -> list:
        fig, (a, b) = new_figure(ncols=2, width=5.0, height=4.2)
        hq = _quadratic()
        g = np.linspace(-5, 5, 120)
        gx, gy = np.meshgrid(g, np.linspace(-3.5, 3.5, 100))
        pts = np.stack([gx, gy], -1)
        fz = 0.5 * np.einsum("...i,ij,...j->...", pts, hq, pts)
        a.contour(gx, gy, np.log10(fz + 1e-3), levels=12, colors="lightgray", linewidths=0.6)
        for name, (_final, lr, losses, path) in quad.items():
            a.plot(path[:, 0], path[:, 1], ".-", ms=2, lw=0.8, color=_COLORS[name],
                   label=f"{name} {lr:g}")
            b.plot(np.arange(1, len(losses) + 1), np.maximum(losses, 1e-30),
                   color=_COLORS[name], label=name)
        a.set(xlabel="w1", ylabel="w2", title=f"rotated valley, κ = {n['kappa']:g}",
              xlim=(-5, 5), ylim=(-3.5, 3.5))
        a.legend(fontsize=9, loc="upper right", ncol=2, title="optimizer, lr",
                 title_fontsize=9)
        b.set(xlabel="step", ylabel="f(w) (floor 1e-30)", yscale="log",
              title="best lr of each")
        f1 = png(fig, "optimizers_quadratic", "Seven optimizers on an ill-conditioned "
                 "quadratic, each at its best learning rate: paths (legend: optimizer and lr) "
                 "and loss; a loss of exactly 0 would be drawn at the 1e-30 floor.")
        fig, (c, d) = new_figure(ncols=2, width=5.0, height=4.2)
        k = 20
        for name in _DIGITS_NAMES:
            v = digits[name]
            cur = np.array(shown[name])
            sm = np.convolve(cur, np.ones(k) / k, mode="valid")
            c.plot(np.arange(k, len(cur) + 1), sm, color=_COLORS[name],
                   label=f"{name} lr {v['lr']:g}")
            if v["effective_step"] is not None:
                xs = sorted(int(i) for i in v["effective_step"])
                d.plot(xs, [v["effective_step"][str(i)] for i in xs], "o-", ms=2,
                       color=_COLORS[name], label=name)
        c.set(xlabel="step", ylabel="training loss (20-step mean)", yscale="log",
              title="Digits MLP, best lr, first init")
        c.legend(fontsize=9)
        d.set(xlabel="step", ylabel="median effective step per coordinate", xscale="log",
              yscale="log", title="adaptive step sizes (median of inits)")
        d.legend(fontsize=9)
        f2 = png(fig, "optimizers_digits", "AdaGrad and RMSProp on Digits, each at its best lr "
                 "of the grid: training loss of the first init, and the median per-coordinate "
                 "step factor (AdaGrad's can only shrink).")
        return [f1, f2]

    def judge(self, n) -> Verdict:
        t = self.thresholds
        dig = n["digits"]
        decay = n["adagrad_decay"] if n["adagrad_decay"] is not None else math.inf
        gain = Criterion("momentum's final loss below SGD's on the κ = 100 valley (factor)",
                         n["momentum_gain"], ">=", t["momentum_gain_min"], "momentum_gain_min")
        behind = Criterion("AdaGrad's final Digits training loss / RMSProp's, each at its best "
                           "lr", n["adagrad_behind"], ">=", t["adagrad_behind_min"],
                           "adagrad_behind_min")
        at_all = Criterion("AdaGrad ends behind RMSProp at all (the same ratio above the line)",
                           n["adagrad_behind"], ">", t["adagrad_not_behind_max"],
                           "adagrad_not_behind_max")
        shrinks = Criterion("AdaGrad's median effective step at the end / at step 10", decay,
                            "<=", t["adagrad_decay_max"], "adagrad_decay_max")
        criteria = [behind, at_all, gain, shrinks]

        def run_text(name):
            loss = dig[name]["train_loss"]
            return (f"{name} (lr {dig[name]['lr']:g}) "
                    + ("diverged" if loss is None else f"ends at training loss {loss:.3f}"))

        decay_txt = ("not measured (AdaGrad diverged)" if n["adagrad_decay"] is None
                     else f"{n['adagrad_decay']:.2f}")
        rms = "n/a" if n["rmsprop_decay"] is None else f"{n['rmsprop_decay']:.2f}"
        text = (f"On the κ = {n['kappa']:g} quadratic, momentum ends {n['momentum_gain']:.3g}x "
                f"and Nesterov {n['nesterov_gain']:.3g}x below SGD after {n['quad_steps']} "
                f"steps (threshold {t['momentum_gain_min']:g}x). On Digits, each at its best "
                f"lr of the grid (median of {n['inits']} inits, {n['digits_steps']} steps), "
                f"{run_text('AdaGrad')} and {run_text('RMSProp')}: ratio "
                f"{n['adagrad_behind']:.2f} (threshold {t['adagrad_behind_min']:g} for left "
                f"behind, {t['adagrad_not_behind_max']:g} or less for not behind). AdaGrad's "
                f"median effective step fell to {decay_txt} of its step-10 value (RMSProp "
                f"{rms}; threshold {t['adagrad_decay_max']:g}).")
        if not at_all.passed:
            verdict = FAILS
            text += (" The quoted weakness does not show within this budget: at its best lr "
                     "AdaGrad is not behind RMSProp.")
        elif not behind.passed and not gain.passed:
            verdict = FAILS
            text += (" Neither momentum's gain on the valley nor AdaGrad falling behind "
                     "RMSProp by the registered factor showed.")
        elif behind.passed and gain.passed and shrinks.passed:
            verdict = HOLDS
        else:
            verdict = CAVEATS
            missing = [m for m, ok in (
                ("AdaGrad ends behind RMSProp, but by less than the registered factor",
                 behind.passed),
                ("momentum's gain on the valley did not show", gain.passed),
                ("at its best lr AdaGrad's step did not shrink to the threshold",
                 shrinks.passed)) if not ok]
            text += " Only part of the claim shows: " + "; ".join(missing) + "."
        key = (f"momentum {n['momentum_gain']:.2g}x SGD; AdaGrad loss {n['adagrad_behind']:.2f}x "
               f"RMSProp's, step x{decay_txt.split(' ')[0]} (best lrs)")
        return Verdict(verdict, text, key, criteria=criteria)

    def checks(self, n) -> list[Check]:
        """SGD on the quadratic follows the closed form (I - lr H)^k w0; AdaGrad's effective
        step never grows (its accumulator only adds squares); the best Digits lr of each
        method lies inside the grid (else it is not the best)."""
        out = []
        sgd = n["quadratic"]["SGD"]
        exact = _sgd_closed_form(n["quad_start"], sgd["lr"], n["quad_steps"])
        rel = abs(sgd["final_loss"] - exact) / max(abs(exact), 1e-30)
        out.append(Check("SGD on the quadratic follows the closed form (I - lr H)^k w0",
                         rel <= _CLOSED_FORM_RTOL,
                         f"final loss {sgd['final_loss']:.6g} (float32 run) vs "
                         f"{exact:.6g} (float64 closed form) at lr {sgd['lr']:g}: relative "
                         f"error {rel:.1e} (at most {_CLOSED_FORM_RTOL:g})"))
        eff = n["digits"]["AdaGrad"]["effective_step"]
        if eff is None:
            out.append(Check("AdaGrad's effective step never grows", False,
                             "AdaGrad's best-lr runs have no effective steps (they diverged)"))
        else:
            xs = sorted(int(i) for i in eff)
            vals = [eff[str(i)] for i in xs]
            grows = max((b / a for a, b in zip(vals, vals[1:])), default=0.0)
            out.append(Check("AdaGrad's effective step never grows", grows <= 1.0 + 1e-6,
                             f"largest ratio of consecutive probes {grows:.6f} over "
                             f"{len(vals)} probes (at most 1)"))
        for name, d in n["digits"].items():
            out.append(Check(f"{name}'s best Digits lr lies inside the grid",
                             bool(d["best_inside_grid"]),
                             f"best lr {d['lr']:g} of "
                             + ", ".join(f"{v:g}" for v in n["digits_lrs"])))
        return out


EXPERIMENT = OptimizersExperiment()
