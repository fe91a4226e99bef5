"""Sigmoid depth: the gradient reaching each layer of a deep sigmoid MLP shrinks geometrically
towards the input (seed 000 Q64), by at most 0.25 per layer only while the weights are small;
ReLU with He initialization keeps it."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import gradlab
import gradlab.nn.functional as F
from gradlab import nn
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

WIDTH = 64


def build_layers(depth: int, width: int, init: str, gain: float = 1.0) -> list[nn.Linear]:
    """``depth`` square Linear layers, initialized by ``init``: "default" (PyTorch's
    U(-1/sqrt(n), 1/sqrt(n))), "gain" (N(0, (gain / sqrt(n))^2), zero bias) or "he"
    (N(0, 2 / n), zero bias; He et al. 2015)."""
    layers = [nn.Linear(width, width) for _ in range(depth)]
    for lin in layers:
        if init == "gain":
            nn.init.normal_(lin.weight, 0.0, gain / math.sqrt(width))
            nn.init.zeros_(lin.bias)
        elif init == "he":
            nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
            nn.init.zeros_(lin.bias)
        elif init != "default":
            raise ValueError(f"build_layers: init must be 'default', 'gain' or 'he', "
                             f"got {init!r}")
    return layers


def layer_grad_norms(layers: list[nn.Linear], activation: str, x, y) -> np.ndarray:
    """The norm ||dL/dz_l|| of the loss gradient at each layer's pre-activation z_l
    (l = 1 is the layer next to the input), for an MSE loss on the last activation.

    Shape:
        x: (N, width), y: (N, width) -> (depth,).
    """
    act = {"sigmoid": F.sigmoid, "relu": F.relu}[activation]
    h = x
    zs = []
    for lin in layers:
        z = lin(h)
        z.retain_grad()
        zs.append(z)
        h = act(z)
    F.mse_loss(h, y).backward()
    return np.array([float(np.linalg.norm(z.grad.data)) for z in zs])


def fit_ratio(norms: np.ndarray) -> tuple[float, float]:
    """Least-squares line through log(norm_l) against l: the per-layer ratio
    norm_l / norm_{l+1} = exp(-slope) and the R^2 of the fit."""
    layer = np.arange(1, len(norms) + 1, dtype=np.float64)
    logn = np.log(norms.astype(np.float64))
    slope, icpt = np.polyfit(layer, logn, 1)
    resid = logn - (slope * layer + icpt)
    ss_tot = float(((logn - logn.mean()) ** 2).sum())
    r2 = 1.0 - float((resid ** 2).sum()) / ss_tot if ss_tot > 0 else 1.0
    return float(math.exp(-slope)), r2


def _fmt(x: float) -> str:
    return f"{x:.3g}"


class SigmoidDepth(Experiment):
    """Per-layer gradient norms of deep sigmoid and ReLU MLPs at initialization."""

    id = "sigmoid-depth"
    title = "Gradients vanish geometrically with depth in sigmoid nets"
    seed_ref = "seed 000 Q64"
    claim = ("In a deep sigmoid network each layer multiplies the back-propagated gradient by "
             "at most 0.25, so the first layer's gradient is below 0.25^n; ReLU does not "
             "shrink it.")
    claim_zh = ("假设每层学习梯度都小于最大值0.25，网络有n层，因为链式求导的原因，第一层的梯度小于"
                "0.25的n次方，所以学习速率就慢，对于最后一层只需对自身求导1次，梯度就大，学习速率就快。")
    protocol = ("Square MLPs of width 64 (20 layers quick, 30 full) in float64, a random "
                "Gaussian batch and an MSE loss against random targets, at initialization. The "
                "norm of dL/dz_l at each pre-activation is averaged in log over repeats; a line "
                "through log-norm vs "
                "depth gives the per-layer ratio and R^2. Sigmoid with PyTorch's default init, "
                "sigmoid with N(0, g^2/n) weights for gains g = 0.5..16 (spectral norm of W "
                "measured), and ReLU with He init.")
    thresholds = {"r2_min": 0.9, "ratio_max_geometric": 1.0, "seed_bound": 0.25,
                  "relu_ratio_min": 0.8}
    seed_error = None

    def measure(self, seed: int, quick: bool) -> Measurement:
        depth = 20 if quick else 30
        repeats = 3 if quick else 10
        batch = 64 if quick else 256
        gains = [0.5, 1.0, 2.0, 4.0, 8.0, 16.0]

        def profile(activation: str, init: str, gain: float = 1.0):
            logs, specs = [], []
            for _ in range(repeats):
                # float64: at 30 layers the first layer's gradient (~1e-28) nears float32's
                # smallest numbers
                layers = [lin.double() for lin in build_layers(depth, WIDTH, init, gain)]
                x = gradlab.randn(batch, WIDTH).double()
                y = (gradlab.rand(batch, WIDTH) if activation == "sigmoid" else
                     gradlab.randn(batch, WIDTH).abs()).double()
                logs.append(np.log(layer_grad_norms(layers, activation, x, y)))
                specs.append(np.mean([np.linalg.norm(lin.weight.data, 2) for lin in layers]))
            norms = np.exp(np.mean(logs, axis=0))
            ratio, r2 = fit_ratio(norms)
            return norms, ratio, r2, float(np.mean(specs))

        sig_norms, sig_ratio, sig_r2, sig_spec = profile("sigmoid", "default")
        relu_norms, relu_ratio, relu_r2, _ = profile("relu", "he")
        sweep = [profile("sigmoid", "gain", g) for g in gains]
        sweep_ratio = [s[1] for s in sweep]
        sweep_spec = [s[3] for s in sweep]
        over = [i for i, r in enumerate(sweep_ratio) if r > 0.25]
        numbers: dict[str, Any] = {
            "depth": depth, "width": WIDTH, "repeats": repeats,
            "sigmoid_norms": [float(v) for v in sig_norms],
            "sigmoid_ratio": sig_ratio, "sigmoid_r2": sig_r2,
            "sigmoid_weight_spectral_norm": sig_spec,
            "first_over_last_sigmoid": float(sig_norms[0] / sig_norms[-1]),
            "seed_bound_first_over_last": 0.25 ** (depth - 1),
            "relu_norms": [float(v) for v in relu_norms],
            "relu_ratio": relu_ratio, "relu_r2": relu_r2,
            "first_over_last_relu": float(relu_norms[0] / relu_norms[-1]),
            "gains": gains, "gain_ratio": sweep_ratio, "gain_spectral_norm": sweep_spec,
            "max_gain_ratio": float(max(sweep_ratio)),
            "max_gain_ratio_gain": gains[int(np.argmax(sweep_ratio))],
            "smallest_gain_over_bound": gains[over[0]] if over else None,
            "spectral_norm_at_first_over": sweep_spec[over[0]] if over else None,
            "max_ratio_spectral_le_1": float(max([r for r, s in zip(sweep_ratio, sweep_spec)
                                                  if s <= 1.0], default=0.0)),
        }

        fig, (ax1, ax2) = new_figure(ncols=2)
        layer = np.arange(1, depth + 1)
        ax1.semilogy(layer, sig_norms, "o-", ms=3, label=f"sigmoid, default init "
                     f"(ratio {sig_ratio:.2f})")
        big = sweep[gains.index(8.0)]
        ax1.semilogy(layer, big[0], "s-", ms=3, label=f"sigmoid, gain 8 (ratio {big[1]:.2f})")
        ax1.semilogy(layer, relu_norms, "^-", ms=3, label=f"ReLU, He init (ratio {relu_ratio:.2f})")
        ax1.semilogy(layer, sig_norms[-1] * 0.25 ** (depth - layer), "k--", lw=1,
                     label="0.25 per layer from the top")
        ax1.set_xlabel("layer l (1 = next to the input)")
        ax1.set_ylabel("||dL/dz_l||")
        ax1.set_title("gradient at each layer")
        ax1.legend(fontsize=7)
        ax2.semilogx(gains, sweep_ratio, "o-", label="sigmoid, fitted ratio per layer")
        ax2.semilogx(gains, 0.25 * np.array(sweep_spec), "s:", label="0.25 x ||W||_2 (bound)")
        ax2.axhline(0.25, color="k", ls="--", lw=1, label="seed's 0.25")
        ax2.set_yscale("log")
        ax2.set_xlabel("weight gain g (W ~ N(0, g^2/n))")
        ax2.set_ylabel("per-layer gradient ratio")
        ax2.set_title("the 0.25 bound needs ||W|| <= 1")
        ax2.legend(fontsize=7)
        figs = [png(fig, "sigmoid_depth", "Gradient norm at each layer of a deep MLP (left) and "
                    "the fitted per-layer ratio of sigmoid nets against the weight scale (right).")]
        return Measurement(numbers, figs)

    def judge(self, numbers: dict[str, Any]) -> Verdict:
        t = self.thresholds
        ratio, r2 = numbers["sigmoid_ratio"], numbers["sigmoid_r2"]
        geometric = ratio < t["ratio_max_geometric"] and r2 > t["r2_min"]
        within = ratio <= t["seed_bound"]
        relu_keeps = numbers["relu_ratio"] >= t["relu_ratio_min"]
        exceeds = numbers["max_gain_ratio"] > t["seed_bound"]
        key = f"sigmoid ratio {ratio:.3g}/layer, ReLU {numbers['relu_ratio']:.3g}"
        base = (f"With the default init the gradient shrinks by {_fmt(ratio)} per layer "
                f"(R^2 {r2:.3f} of log-norm vs depth; thresholds: ratio < "
                f"{t['ratio_max_geometric']:g}, R^2 > {t['r2_min']:g}, seed's bound "
                f"{t['seed_bound']:g}), while ReLU with He init keeps ratio "
                f"{_fmt(numbers['relu_ratio'])} (threshold >= {t['relu_ratio_min']:g}).")
        if not (geometric and within and relu_keeps):
            return Verdict(FAILS, base + " At least one of these thresholds is missed, so the "
                           "claim does not hold as measured.", key)
        if exceeds:
            return Verdict(CAVEATS, base + (
                f" The 0.25^n bound assumes |w| <= 1: with larger weights the sigmoid's "
                f"per-layer ratio reaches {_fmt(numbers['max_gain_ratio'])} at gain "
                f"{numbers['max_gain_ratio_gain']:g} and first exceeds 0.25 at gain "
                f"{numbers['smallest_gain_over_bound']:g} (mean ||W||_2 "
                f"{_fmt(numbers['spectral_norm_at_first_over'])}), since each layer's factor "
                f"is sigmoid' x W, bounded by 0.25 ||W||_2."), key)
        return Verdict(HOLDS, base + (
            f" No weight scale tried pushed the ratio above 0.25 (largest "
            f"{_fmt(numbers['max_gain_ratio'])})."), key)


EXPERIMENT = SigmoidDepth()
