"""Tiny weights make a sigmoid network linear (source 004 §3.2 L430): at an N(0, 0.01^2) init a
2-32-32-2 sigmoid MLP computes logits that a linear function of the input fits almost
exactly, unlike at Xavier init; and whether, trained, it stays no better than logistic
regression on two spirals (the "advantage of several layers is gone").

The small-init and Xavier nets are trained side by side in one graph (net k's layer is
slice k of a (nets, in, out) weight; Adam's update is per element, so each net moves as it
would alone); logistic regression is trained the same way as the reference.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import gradlab
from gradlab import nn, optim
from gradlab.datasets import two_spirals
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

_DIMS = (2, 32, 32, 2)
_SMALL_STD = 0.01
_LR = 0.01
_POINTS = 1000


class StackedMLP(nn.Module):
    """Sigmoid MLPs 2 -> 32 -> 32 -> 2 side by side (one net with ``dims`` = (2, 2) is
    logistic regression). Layer l of net k is slice k of the (nets, in, out) weight ``w{l}``.

    Shape: input (nets, B, 2) -> logits (nets, B, 2).
    """

    def __init__(self, weights: list[np.ndarray], biases: list[np.ndarray]) -> None:
        super().__init__()
        self.depth = len(weights)
        for i, (w, b) in enumerate(zip(weights, biases)):
            setattr(self, f"w{i}", nn.Parameter(gradlab.tensor(w)))
            setattr(self, f"b{i}", nn.Parameter(gradlab.tensor(b)))

    def arrays(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Copies of the weights and biases (float64)."""
        return ([getattr(self, f"w{i}").detach().numpy().astype(np.float64)
                 for i in range(self.depth)],
                [getattr(self, f"b{i}").detach().numpy().astype(np.float64)
                 for i in range(self.depth)])

    def forward(self, x):
        h = x
        for i in range(self.depth):
            h = h @ getattr(self, f"w{i}") + getattr(self, f"b{i}")
            if i < self.depth - 1:
                h = F.sigmoid(h)
        return h


def logits64(weights: list[np.ndarray], biases: list[np.ndarray], x: np.ndarray) -> np.ndarray:
    """The stacked nets' logits computed in float64 with NumPy.

    Shape: x (B, 2) -> (nets, B, 2)."""
    h = np.broadcast_to(x.astype(np.float64), (len(weights[0]),) + x.shape)
    for i, (w, b) in enumerate(zip(weights, biases)):
        h = h @ w + b
        if i < len(weights) - 1:
            h = 1.0 / (1.0 + np.exp(-h))
    return h


def linear_r2(z: np.ndarray, x: np.ndarray) -> np.ndarray:
    """R^2 of the least-squares fit of each net's logits by an affine function of the input:
    1 - SS_res / SS_tot, both summed over the two logits; float64.

    Shape: z (nets, B, 2), x (B, 2) -> (nets,)."""
    a = np.hstack([x.astype(np.float64), np.ones((len(x), 1))])
    out = []
    for zk in z:
        coef, *_ = np.linalg.lstsq(a, zk, rcond=None)
        res = ((zk - a @ coef) ** 2).sum()
        tot = ((zk - zk.mean(axis=0)) ** 2).sum()
        out.append(1.0 - res / tot)
    return np.array(out)


def initial_weights(nets: int, init: str, seed: int) -> tuple[list, list]:
    """``nets`` starts of the 2-32-32-2 net with zero biases: "small" N(0, 0.01^2) weights,
    "xavier" xavier_normal_ (N(0, 2 / (fan_in + fan_out))); "logistic" one Linear(2, 2) with
    nn.Linear's default init. Drawn from gradlab's stream seeded by ``seed`` and the init."""
    gradlab.manual_seed(1000 * seed + {"small": 0, "xavier": 1, "logistic": 2}[init])
    dims = (2, 2) if init == "logistic" else _DIMS
    ws: list[list[np.ndarray]] = [[] for _ in dims[1:]]
    bs: list[list[np.ndarray]] = [[] for _ in dims[1:]]
    for _ in range(nets):
        for i in range(len(dims) - 1):
            lin = nn.Linear(dims[i], dims[i + 1])
            if init == "small":
                nn.init.normal_(lin.weight, 0.0, _SMALL_STD)
                nn.init.zeros_(lin.bias)
            elif init == "xavier":
                nn.init.xavier_normal_(lin.weight)
                nn.init.zeros_(lin.bias)
            ws[i].append(lin.weight.detach().numpy().T.copy())
            bs[i].append(lin.bias.detach().numpy()[None].copy())
    return [np.stack(w) for w in ws], [np.stack(b) for b in bs]


def train(model: StackedMLP, x, y, steps: int) -> np.ndarray:
    """Full-batch Adam (lr 0.01) on the cross-entropy of every net; returns each net's
    training accuracy after 0, 1, ..., ``steps`` updates, shape (steps + 1, nets)."""
    opt = optim.Adam(model.parameters(), lr=_LR)
    k = model.w0.shape[0]
    xs = x.expand(k, *x.shape)
    yk = y.expand(k, *y.shape).reshape(-1)
    yn = y.numpy()
    acc = []
    for _ in range(steps):
        logits = model(xs)
        loss = F.cross_entropy(logits.reshape(-1, 2), yk) * k
        opt.zero_grad()
        loss.backward()
        opt.step()
        acc.append((logits.detach().numpy().argmax(-1) == yn[None]).mean(axis=1))
    with gradlab.no_grad():
        final = (model(xs).numpy().argmax(-1) == yn[None]).mean(axis=1)
    acc.append(final)
    return np.array(acc)


class TinyWeightsLinear(Experiment):
    """R^2 of a linear fit to a sigmoid MLP's logits at N(0, 0.01^2) and Xavier init on two
    spirals, and the training accuracy after 500 Adam steps against logistic regression."""

    id = "tiny-weights-linear"
    title = "Tiny weights make a sigmoid net linear"
    source_ref = "source 004 §3.2 L430"
    claim = ("With very small weights a sigmoid network loses its non-linearity (each unit "
             "works on the linear part of the sigmoid), so the advantage of several layers "
             "is gone: it does no better than a linear model.")
    claim_zh = ("参数过小还会使得sigmoid型激活函数丢失非线性的能力，"
                "这样多层神经网络的优势也就不存在了。")
    protocol = (
        "Two spirals (gradlab.datasets.two_spirals, 1,000 points, seeded). 2-32-32-2 sigmoid "
        "MLP with N(0, 0.01^2) weights vs Xavier-normal weights (zero biases), 5 starts each "
        "(full mode 9), side by side; logistic regression (Linear(2, 2)) as reference, 5 "
        "starts. R^2 of the least-squares affine fit to the logits at init (float64). "
        "Full-batch Adam, lr 0.01 (C.2 names none; fixed before any run), 500 steps, "
        "cross-entropy; training accuracy. Judged on medians over starts. Decided before any "
        "run: 'within 5 pt of logistic regression' is one-sided (the small-init net at most "
        "5 pt above it; below it is no escape from linearity); linear at init but Xavier "
        "also linear (R^2 > 0.95) is 'with caveats'.")
    thresholds = {
        "r2_small_min": 0.99,     # R^2 of the linear fit at N(0, 0.01^2) init
        "r2_xavier_max": 0.95,    # R^2 at Xavier init (the control must be non-linear)
        "escape_max": 0.05,       # small-init accuracy minus logistic regression's
    }
    def measure(self, seed: int, quick: bool) -> Measurement:
        x, y = two_spirals(_POINTS, generator=gradlab.Generator().manual_seed(seed))
        x = perturb(x)
        k, steps = (5, 500) if quick else (9, 500)
        ws, bs = initial_weights(k, "small", seed)
        wx, bx = initial_weights(k, "xavier", seed)
        nets = perturb(StackedMLP([np.concatenate(p) for p in zip(ws, wx)],
                                  [np.concatenate(p) for p in zip(bs, bx)]))
        lr_model = perturb(StackedMLP(*initial_weights(k, "logistic", seed)))
        xn = x.numpy()
        w0, b0 = nets.arrays()
        z0 = logits64(w0, b0, xn)
        r2_init = linear_r2(z0, xn)
        lw0, lb0 = lr_model.arrays()
        r2_logistic = linear_r2(logits64(lw0, lb0, xn), xn)
        with gradlab.no_grad():
            z32 = nets(x.expand(2 * k, *x.shape)).numpy().astype(np.float64)
        acc = train(nets, x, y, steps)
        acc_lr = train(lr_model, x, y, steps)
        w1, b1 = nets.arrays()
        r2_end = linear_r2(logits64(w1, b1, xn), xn)

        def med(a) -> float:
            return float(np.median(a))

        n: dict[str, Any] = {
            "starts": k, "steps": steps, "lr": _LR, "small_std": _SMALL_STD,
            "r2_small_runs": [float(v) for v in r2_init[:k]],
            "r2_xavier_runs": [float(v) for v in r2_init[k:]],
            "r2_small": med(r2_init[:k]), "r2_xavier": med(r2_init[k:]),
            "one_minus_r2_small": med(1.0 - r2_init[:k]),
            "r2_small_trained": med(r2_end[:k]), "r2_xavier_trained": med(r2_end[k:]),
            "r2_logistic_max_error": float(np.abs(1.0 - r2_logistic).max()),
            "logit_spread_small": med(z0[:k].std(axis=1).mean(axis=1)),
            "float32_logit_error": float(np.abs(z32 - z0).max()),
            "acc_small_runs": [float(v) for v in acc[-1, :k]],
            "acc_xavier_runs": [float(v) for v in acc[-1, k:]],
            "acc_logistic_runs": [float(v) for v in acc_lr[-1]],
            "acc_small": med(acc[-1, :k]), "acc_xavier": med(acc[-1, k:]),
            "acc_logistic": med(acc_lr[-1]),
        }
        n["escape"] = n["acc_small"] - n["acc_logistic"]
        n["escaped_starts"] = int(sum(a - n["acc_logistic"] > self.thresholds["escape_max"]
                                      for a in n["acc_small_runs"]))
        return Measurement(n, self._figures(acc, acc_lr, n, x, y, nets))

    @staticmethod
    def _figures(acc, acc_lr, n, x, y, nets) -> list:
        k = n["starts"]
        fig, (a, b) = new_figure(ncols=2)
        steps = np.arange(acc.shape[0])
        for lo, label, c in ((0, f"sigmoid MLP, N(0, {n['small_std']:g}²)", "tab:red"),
                             (k, "sigmoid MLP, Xavier", "tab:blue")):
            a.plot(steps, 100 * np.median(acc[:, lo:lo + k], axis=1), color=c, label=label)
        a.plot(steps, 100 * np.median(acc_lr, axis=1), "k--", label="logistic regression")
        a.set(xlabel="Adam step", ylabel=f"training accuracy (%), median of {k}",
              title="two spirals")
        a.legend()
        xn, yn = x.numpy(), y.numpy()
        g = np.linspace(-1.2, 1.2, 121)
        gx, gy = np.meshgrid(g, g)
        grid = gradlab.tensor(np.stack([gx.ravel(), gy.ravel()], 1).astype(np.float32))
        with gradlab.no_grad():
            z = nets(grid.expand(2 * k, *grid.shape)).numpy()[0]
        b.contourf(gx, gy, (z[:, 1] - z[:, 0]).reshape(gx.shape) > 0, levels=[-0.5, 0.5, 1.5],
                   colors=["#f4d6d6", "#d6e0f4"])
        b.scatter(xn[:, 0], xn[:, 1], c=np.where(yn == 1, "tab:blue", "tab:red"), s=4)
        b.set(xlabel="x₁", ylabel="x₂", title="small-init net 1 after training")
        return [png(fig, "tiny_weights",
                    f"Left: training accuracy during {n['steps']} full-batch Adam steps "
                    f"(median of {k} starts) of the sigmoid MLP from N(0, 0.01²) and from "
                    "Xavier weights, and of logistic regression. Right: the decision regions "
                    "of the first small-init net after training, with the data.")]

    def judge(self, n: dict[str, Any]) -> Verdict:
        t = self.thresholds
        k = n["starts"]
        small = Criterion(f"R² of an affine fit to the logits at N(0, 0.01²) init (median "
                          f"of {k})", n["r2_small"], ">=", t["r2_small_min"], "r2_small_min")
        xavier = Criterion(f"R² of an affine fit to the logits at Xavier init (median of {k})",
                           n["r2_xavier"], "<=", t["r2_xavier_max"], "r2_xavier_max")
        stays = Criterion("training accuracy after Adam: small-init net minus logistic "
                          "regression (medians)", n["escape"], "<=", t["escape_max"],
                          "escape_max")
        if not small.passed:
            verdict, criteria = FAILS, [small]
        elif xavier.passed and stays.passed:
            verdict, criteria = HOLDS, [small, xavier, stays]
        else:
            verdict, criteria = CAVEATS, [small, xavier, stays]
        text = (f"At init an affine function of the input explains R² = {n['r2_small']:.6f} "
                f"of the small-init net's logits (1 - R² = {n['one_minus_r2_small']:.1e}; "
                f"threshold {t['r2_small_min']:g}) and R² = {n['r2_xavier']:.4f} of the "
                f"Xavier net's (threshold {t['r2_xavier_max']:g}), medians of {k} starts. ")
        text += (f"After {n['steps']} Adam steps the small-init net fits "
                 f"{n['acc_small']:.1%} of the training points, logistic regression "
                 f"{n['acc_logistic']:.1%} and the Xavier net {n['acc_xavier']:.1%} "
                 f"(difference small-init minus logistic {n['escape'] * 100:+.1f} pt, "
                 f"threshold {t['escape_max'] * 100:+g} pt; {n['escaped_starts']} of {k} "
                 f"small-init starts end more than that above it); the trained small-init "
                 f"net's logits have R² = {n['r2_small_trained']:.3f}. ")
        if verdict == HOLDS:
            text += ("So tiny weights make the net linear and it stays no better than a "
                     "linear model.")
        elif verdict == CAVEATS:
            parts = []
            if not stays.passed:
                parts.append("training moves it out of the linear regime and past logistic "
                             "regression")
            if not xavier.passed:
                parts.append("the Xavier net is close to linear at init as well")
            text += ("The net is linear at tiny init, but " + " and ".join(parts) + ".")
        else:
            text += "Even at tiny init the logits are not close to a linear function."
        key = (f"1 - R² at init {n['one_minus_r2_small']:.0e} (tiny) vs "
               f"{1 - n['r2_xavier']:.0e} (Xavier); trained {n['escape'] * 100:+.1f} pt vs "
               "logistic")
        return Verdict(verdict, text, key, criteria=criteria)

    def checks(self, n: dict[str, Any]) -> list[Check]:
        return [
            Check("the affine fit reproduces logistic regression's logits (R² = 1)",
                  n["r2_logistic_max_error"] < 1e-9,
                  f"largest |1 - R²| over the logistic starts {n['r2_logistic_max_error']:.1e}"
                  " (at most 1e-9)"),
            Check("gradlab's float32 forward agrees with the float64 one at init",
                  n["float32_logit_error"] < 1e-5,
                  f"largest |logit difference| {n['float32_logit_error']:.1e} (at most 1e-5)"),
            Check("the escape is the small-init minus the logistic median accuracy",
                  math.isclose(n["escape"], n["acc_small"] - n["acc_logistic"],
                               abs_tol=1e-12),
                  f"{n['escape']:+.4f} vs {n['acc_small']:.4f} - {n['acc_logistic']:.4f}"),
        ]


EXPERIMENT = TinyWeightsLinear()
