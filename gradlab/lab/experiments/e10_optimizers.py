"""Optimizers on an ill-conditioned quadratic and on Digits: SGD, momentum, Nesterov, AdaGrad,
RMSProp, AdaDelta, Adam, and AdaGrad's shrinking step (seed 004 §3.3; seed 003)."""

from __future__ import annotations

import math

import numpy as np

import gradlab
from gradlab import nn, optim
from gradlab.datasets import Digits
from gradlab.lab.experiment import (
    CAVEATS,
    FAILS,
    HOLDS,
    Experiment,
    Measurement,
    Verdict,
    new_figure,
    png,
)
from gradlab.nn import functional as F

_NAMES = ("SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "AdaDelta", "Adam")
_COLORS = dict(zip(_NAMES, ("tab:gray", "tab:blue", "tab:cyan", "tab:red", "tab:orange",
                            "tab:brown", "tab:green")))
# the Digits run: each optimizer at a customary learning rate (momentum methods at a tenth of
# SGD's, the same effective step lr / (1 - 0.9)), fixed before measuring
_DIGITS_LR = {"SGD": 0.1, "Momentum": 0.01, "Nesterov": 0.01, "AdaGrad": 0.01,
              "RMSProp": 1e-3, "AdaDelta": 1.0, "Adam": 1e-3}
_QUAD_LRS = (3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0)
_KAPPA = 100.0
_ANGLE = math.pi / 6


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


def _run_quadratic(name: str, lr: float, steps: int) -> tuple[list[float], np.ndarray]:
    h = gradlab.tensor(_quadratic().astype(np.float32))
    w = nn.Parameter(gradlab.tensor([-4.0, 2.0]))
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


class OptimizersExperiment(Experiment):
    """Seven optimizers on an ill-conditioned quadratic and on a Digits MLP, with the effective
    step sizes of the adaptive ones."""

    id = "optimizers"
    title = "Optimizers on an ill-conditioned quadratic and on Digits; AdaGrad's decaying step"
    seed_ref = "seed 004 §3.3; seed 003 optimizers"
    claim = ("Momentum and Nesterov fix the gradient direction (they cross ill-conditioned "
             "valleys faster than SGD); AdaGrad, RMSProp and AdaDelta adapt the learning rate "
             "and Adam combines momentum with RMSProp. AdaGrad's weakness: its accumulated "
             "squared gradients make the learning rate so small after some iterations that it "
             "can no longer approach the optimum.")
    claim_zh = ("Adagrad 算法的缺点是在经过一定次数的迭代依然没有找到最优点时，"
                "由于这时的学习率已经非常小，很难再继续找到最优点。")
    protocol = (
        "(1) f(w) = w^T H w / 2 with H's eigenvalues 1 and 100 along axes rotated by 30 "
        "degrees, from (-4, 2): each optimizer at the best of 7 learning rates (3e-3 to 3), "
        "final loss after 100 steps (300 in full). (2) Digits, MLP 64-64-10 (ReLU), batch 64, "
        "300 steps (1,000 in full), each optimizer at a customary lr (SGD 0.1, momentum and "
        "Nesterov 0.01 with 0.9, AdaGrad 0.01, RMSProp and Adam 1e-3, AdaDelta 1.0), 1 init "
        "(3 in full) averaged: training loss, test accuracy, and the median per-coordinate "
        "effective step of the adaptive methods over time.")
    thresholds = {
        "momentum_gain_min": 10.0,     # SGD's final loss / Momentum's (quadratic, best lrs)
        "adagrad_decay_max": 0.2,      # AdaGrad effective step at the end / at step 10
        "adagrad_behind_min": 1.5,     # AdaGrad's final Digits loss / RMSProp's
    }
    seed_error = None

    def measure(self, seed: int, quick: bool) -> Measurement:
        q_steps = 100 if quick else 300
        quad = {}
        for name in _NAMES:
            best = None
            for lr in _QUAD_LRS:
                losses, path = _run_quadratic(name, lr, q_steps)
                final = losses[-1] if len(losses) == q_steps else 1e6
                if best is None or final < best[0]:
                    best = (final, lr, losses, path)
            quad[name] = best

        train, test = Digits(train=True), Digits(train=False)
        X, y = train.data.reshape(-1, 64), train.targets
        Xt, yt = test.data.reshape(-1, 64), test.targets
        steps, inits = (300, 1) if quick else (1000, 3)
        probe = sorted({10, steps // 4, steps // 2, steps} | set(
            np.unique(np.geomspace(1, steps, 30).astype(int)).tolist()))
        digits = {}
        for name in _NAMES:
            curves, eff, finals, accs = [], [], [], []
            for r in range(inits):
                gradlab.manual_seed(100 * seed + r)
                rng = np.random.default_rng(100 * seed + r)
                model = _mlp()
                opt = _make(name, model.parameters(), _DIGITS_LR[name])
                curve, steps_eff = [], {}
                for i in range(1, steps + 1):
                    idx = gradlab.tensor(rng.integers(0, len(X), 64))
                    loss = F.cross_entropy(model(X[idx]), y[idx])
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    curve.append(float(loss))
                    if i in probe:
                        steps_eff[i] = _effective_step(name, opt)
                with gradlab.no_grad():
                    finals.append(float(F.cross_entropy(model(X), y)))
                    accs.append(float((model(Xt).argmax(1) == yt).float().mean()))
                curves.append(curve)
                eff.append(steps_eff)
            mean_eff = ({str(i): float(np.mean([e[i] for e in eff])) for i in probe}
                        if eff[0][probe[0]] is not None else None)
            digits[name] = {"lr": _DIGITS_LR[name], "train_loss": float(np.mean(finals)),
                            "test_acc": float(np.mean(accs)), "effective_step": mean_eff,
                            "curve": np.mean(curves, axis=0).tolist()}

        def decay(name):
            e = digits[name]["effective_step"]
            return e[str(steps)] / e["10"]

        numbers = {
            "quad_steps": q_steps, "kappa": _KAPPA, "digits_steps": steps, "inits": inits,
            "quadratic": {k: {"lr": v[1], "final_loss": v[0]} for k, v in quad.items()},
            "digits": {k: {kk: vv for kk, vv in v.items() if kk != "curve"}
                       for k, v in digits.items()},
            "momentum_gain": quad["SGD"][0] / max(quad["Momentum"][0], 1e-30),
            "nesterov_gain": quad["SGD"][0] / max(quad["Nesterov"][0], 1e-30),
            "adagrad_decay": decay("AdaGrad"), "rmsprop_decay": decay("RMSProp"),
            "adam_decay": decay("Adam"),
            "adagrad_behind": digits["AdaGrad"]["train_loss"] / digits["RMSProp"]["train_loss"],
            "adagrad_behind_adam": (digits["AdaGrad"]["train_loss"]
                                    / digits["Adam"]["train_loss"]),
            "best_digits": min(_NAMES, key=lambda k: digits[k]["train_loss"]),
        }
        return Measurement(numbers, self._figures(quad, digits, numbers))

    @staticmethod
    def _figures(quad, digits, n) -> list:
        fig, (a, b) = new_figure(ncols=2)
        hq = _quadratic()
        g = np.linspace(-5, 5, 120)
        gx, gy = np.meshgrid(g, np.linspace(-3.5, 3.5, 100))
        pts = np.stack([gx, gy], -1)
        fz = 0.5 * np.einsum("...i,ij,...j->...", pts, hq, pts)
        a.contour(gx, gy, np.log10(fz + 1e-3), levels=12, colors="lightgray", linewidths=0.6)
        for name, (_final, lr, losses, path) in quad.items():
            a.plot(path[:, 0], path[:, 1], ".-", ms=2, lw=0.8, color=_COLORS[name],
                   label=f"{name} lr={lr:g}")
            b.plot(np.arange(1, len(losses) + 1), np.maximum(losses, 1e-30),
                   color=_COLORS[name], label=name)
        a.set(xlabel="w1", ylabel="w2", title=f"rotated valley, κ = {n['kappa']:g}",
              xlim=(-5, 5), ylim=(-3.5, 3.5))
        a.legend(fontsize=6, loc="lower right")
        b.set(xlabel="step", ylabel="f(w)", yscale="log", title="best lr of each")
        b.legend(fontsize=6)
        f1 = png(fig, "optimizers_quadratic", "Seven optimizers on an ill-conditioned "
                 "quadratic, each at its best learning rate: paths and loss.")
        fig, (c, d) = new_figure(ncols=2)
        k = 20
        for name, v in digits.items():
            cur = np.array(v["curve"])
            sm = np.convolve(cur, np.ones(k) / k, mode="valid")
            c.plot(np.arange(k, len(cur) + 1), sm, color=_COLORS[name],
                   label=f"{name} ({v['test_acc']:.1%})")
            if v["effective_step"] is not None:
                xs = sorted(int(i) for i in v["effective_step"])
                d.plot(xs, [v["effective_step"][str(i)] for i in xs], "o-", ms=2,
                       color=_COLORS[name], label=name)
        c.set(xlabel="step", ylabel="training loss (20-step mean)", yscale="log",
              title="Digits MLP (test accuracy)")
        c.legend(fontsize=6)
        d.set(xlabel="step", ylabel="median effective step per coordinate", xscale="log",
              yscale="log", title="adaptive step sizes")
        d.legend(fontsize=6)
        f2 = png(fig, "optimizers_digits", "The optimizers on Digits: training loss, and the "
                 "median per-coordinate step factor of the adaptive methods (AdaGrad's only "
                 "shrinks).")
        return [f1, f2]

    def judge(self, n) -> Verdict:
        t = self.thresholds
        mom = n["momentum_gain"] >= t["momentum_gain_min"]
        decays = n["adagrad_decay"] <= t["adagrad_decay_max"]
        behind = n["adagrad_behind"] >= t["adagrad_behind_min"]
        dig = n["digits"]
        text = (f"On the κ = {n['kappa']:g} quadratic, momentum ends {n['momentum_gain']:.3g}x "
                f"and Nesterov {n['nesterov_gain']:.3g}x below SGD after {n['quad_steps']} "
                f"steps (threshold {t['momentum_gain_min']:g}x). On Digits AdaGrad's median "
                f"effective step fell to {n['adagrad_decay']:.2f} of its step-10 value "
                f"(RMSProp {n['rmsprop_decay']:.2f}, Adam {n['adam_decay']:.2f}; threshold "
                f"{t['adagrad_decay_max']:g}) and its final training loss is "
                f"{dig['AdaGrad']['train_loss']:.3f} vs RMSProp {dig['RMSProp']['train_loss']:.3f}"
                f" and Adam {dig['Adam']['train_loss']:.3f} (ratio {n['adagrad_behind']:.2f}, "
                f"threshold {t['adagrad_behind_min']:g}); best: {n['best_digits']}.")
        if mom and decays and behind:
            verdict = HOLDS
        elif mom and decays:
            verdict = CAVEATS
            text += (" AdaGrad's step does shrink, but within this budget it is not left "
                     "behind RMSProp.")
        elif mom or decays:
            verdict = CAVEATS
            text += (" Momentum's advantage on the valley did not show." if not mom else
                     " AdaGrad's step did not shrink that much here.")
        else:
            verdict = FAILS
            text += " Neither momentum's gain nor AdaGrad's decay showed."
        key = (f"momentum {n['momentum_gain']:.2g}x; AdaGrad step x{n['adagrad_decay']:.2f}, "
               f"loss {n['adagrad_behind']:.1f}x RMSProp's")
        return Verdict(verdict, text, key)


EXPERIMENT = OptimizersExperiment()
