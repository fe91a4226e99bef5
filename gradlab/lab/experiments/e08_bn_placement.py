"""BatchNorm before or after the activation: seed 003 calls the question disputed; measure it
on one task with many initializations inside one run."""

from __future__ import annotations

import math

import numpy as np

import gradlab
from gradlab import nn, optim
from gradlab.datasets import Digits
from gradlab.lab.experiment import (
    FAILS,
    HOLDS,
    Experiment,
    Measurement,
    Verdict,
    new_figure,
    png,
)
from gradlab.nn import functional as F


class StackedMLP(nn.Module):
    """``nets`` independent MLPs 64 -> width (x depth) -> 10 trained side by side in one graph.

    Each hidden layer is Linear -> BatchNorm1d -> ReLU (``placement="before"``) or
    Linear -> ReLU -> BatchNorm1d (``"after"``). The weights of net r form slice r of a
    (nets, in, out) parameter, so one batched matmul runs every net; the BatchNorm1d has
    nets * width channels, one per unit of each net, so each net is normalized with its own
    statistics exactly as a separate BatchNorm1d would. He-normal hidden weights, zero biases.

    Shape:
        input (B, 64) -> logits (nets, B, 10).
    """

    def __init__(self, nets: int, placement: str, depth: int = 3, width: int = 64) -> None:
        super().__init__()
        if placement not in ("before", "after"):
            raise ValueError(f"StackedMLP: placement must be 'before' or 'after', got "
                             f"{placement!r}")
        self.nets, self.width, self.placement = nets, width, placement
        self.layers = nn.ModuleList()
        d = 64
        for _ in range(depth):
            layer = nn.Module()
            layer.weight = nn.Parameter(gradlab.randn(nets, d, width) * math.sqrt(2.0 / d))
            layer.bias = nn.Parameter(gradlab.zeros(nets, 1, width))
            layer.norm = nn.BatchNorm1d(nets * width)
            self.layers.append(layer)
            d = width
        bound = 1.0 / math.sqrt(d)
        self.head_w = nn.Parameter(gradlab.rand(nets, d, 10) * (2 * bound) - bound)
        self.head_b = nn.Parameter(gradlab.rand(nets, 1, 10) * (2 * bound) - bound)

    def _norm(self, bn, h):
        b = h.shape[1]
        flat = h.transpose(0, 1).reshape(b, self.nets * self.width)
        return bn(flat).reshape(b, self.nets, self.width).transpose(0, 1)

    def forward(self, x):
        h = x
        for layer in self.layers:
            h = h @ layer.weight + layer.bias
            if self.placement == "before":
                h = F.relu(self._norm(layer.norm, h))
            else:
                h = self._norm(layer.norm, F.relu(h))
        return h @ self.head_w + self.head_b


def _train(placement: str, nets: int, steps: int, lr: float, seed: int, X, y):
    """Train ``nets`` inits of one placement on the same batch sequence; per-step mean loss."""
    gradlab.manual_seed(seed)
    model = StackedMLP(nets, placement)
    opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    rng = np.random.default_rng(seed)
    curve = []
    for _ in range(steps):
        idx = gradlab.tensor(rng.integers(0, len(X), 64))
        yb = y[idx]
        logits = model(X[idx])
        # the sum over nets of each net's mean loss: every net gets its own gradient
        loss = F.cross_entropy(logits.reshape(-1, 10), yb.repeat(nets)) * nets
        opt.zero_grad()
        loss.backward()
        opt.step()
        curve.append(float(loss) / nets)
    model.eval()
    return model, curve


def _per_net(model, X, y) -> tuple[np.ndarray, np.ndarray]:
    """Each net's accuracy and mean cross-entropy on (X, y)."""
    with gradlab.no_grad():
        logits = model(X)
        acc = (logits.argmax(2) == y).float().mean(1).numpy()
        lp = F.log_softmax(logits, dim=2).numpy()
    nll = -np.take_along_axis(lp, y.numpy()[None, :, None], axis=2)[..., 0].mean(1)
    return acc.astype(np.float64), nll.astype(np.float64)


def _bn_output_shape(model: StackedMLP, X) -> dict[str, float]:
    """Shape of the first BatchNorm's output of net 0 over the whole training set, normalized
    with that set's own statistics (exact mean 0 and variance 1 per unit): the median over
    units of the fraction of samples at the unit's smallest value and of |skewness|, and the
    largest |mean| and |variance - 1| (what BN does guarantee)."""
    layer = model.layers[0]
    with gradlab.no_grad():
        h = X @ layer.weight[0] + layer.bias[0]
        if model.placement == "after":
            h = F.relu(h)
        z = F.batch_norm(h, None, None, training=True).numpy().astype(np.float64)
    at_min = (z <= z.min(0) + 1e-6).mean(0)
    skew = (z ** 3).mean(0) / np.maximum(z.var(0), 1e-12) ** 1.5
    # units (nearly) constant over the data set, whose variance BN's eps = 1e-5 swamps, are
    # skipped
    live = h.numpy().var(0) > 1e-3
    return {"mass_at_min": float(np.median(at_min[live])),
            "abs_skew": float(np.median(np.abs(skew[live]))),
            "max_abs_mean": float(np.abs(z.mean(0)[live]).max()),
            "max_var_dev": float(np.abs(z.var(0)[live] - 1).max())}


def _paired_t(a: np.ndarray, b: np.ndarray) -> float:
    d = a - b
    se = d.std(ddof=1) / math.sqrt(len(d))
    return float(d.mean() / se) if se > 0 else (0.0 if d.mean() == 0 else math.copysign(1e9,
                                                                                       d.mean()))


class BNPlacementExperiment(Experiment):
    """Linear-BN-ReLU vs Linear-ReLU-BN on Digits over many paired initializations."""

    id = "bn-placement"
    title = "BatchNorm before vs after the activation"
    seed_ref = "seed 003 BN"
    claim = ("Whether BatchNorm goes before or after the activation is disputed: before keeps "
             "inputs out of the saturated range, after (with ReLU) avoids homogenizing the "
             "features; neither placement is established as better.")
    claim_zh = "BN 应在激活层之前还是之后"
    protocol = (
        "Digits, an MLP with 3 hidden layers of 64 units, Linear-BN-ReLU ('before') vs "
        "Linear-ReLU-BN ('after'); 12 He-normal initializations in quick mode (24 in full), "
        "identical for both placements, trained side by side (one stacked graph, per-net BN "
        "statistics) on the same batches: SGD with momentum 0.9, lr 0.05, batch 64, 200 steps "
        "(600 in full). Statistic: test accuracy per init, paired difference before - after, "
        "its t-statistic. One placement clearly wins if |t| >= 2 and the difference is at least "
        "1 point; otherwise the dispute is real on this task. The training loss on the whole "
        "training set is compared the same way (reported, not judged).")
    thresholds = {
        "t_max": 2.0,             # |paired t| below this: the difference is within the spread
        "margin_min": 0.01,       # a clear win: significant (|t| >= t_max) and >= 1 point
    }
    seed_error = ("Seed 003 says \"BN 将输入归一化到高斯分布\" (BN normalizes its input to a "
                  "Gaussian distribution). BN only shifts and scales each unit to mean 0 and "
                  "variance 1 over the batch; the shape of the distribution is kept. After a "
                  "ReLU (placement 'after') every unit's zeros become one repeated value, so "
                  "its normalized output is a point mass plus a skewed tail, not a Gaussian; "
                  "the numbers after_bn_mass_at_min and after_bn_abs_skew measure this on the "
                  "training set (a Gaussian has no mass at a point and skewness 0).")

    def measure(self, seed: int, quick: bool) -> Measurement:
        train, test = Digits(train=True), Digits(train=False)
        X, y = train.data.reshape(-1, 64), train.targets
        Xt, yt = test.data.reshape(-1, 64), test.targets
        nets, steps = (12, 200) if quick else (24, 600)
        res, curves = {}, {}
        for placement in ("before", "after"):
            model, curve = _train(placement, nets, steps, 0.05, 1000 + seed, X, y)
            acc, _ = _per_net(model, Xt, yt)
            _, train_nll = _per_net(model, X, y)
            res[placement] = {"test_acc": acc.tolist(), "train_loss": train_nll.tolist(),
                              "bn_output": _bn_output_shape(model, X)}
            curves[placement] = curve
        a, b = (np.array(res[p]["test_acc"]) for p in ("before", "after"))
        la, lb = (np.log(np.array(res[p]["train_loss"])) for p in ("before", "after"))
        numbers = {
            "nets": nets, "steps": steps, "per_net": res,
            "acc_before": float(a.mean()), "acc_after": float(b.mean()),
            "acc_sd_before": float(a.std(ddof=1)), "acc_sd_after": float(b.std(ddof=1)),
            "acc_diff": float(a.mean() - b.mean()), "acc_t": _paired_t(a, b),
            "wins_before": int((a > b).sum()), "wins_after": int((b > a).sum()),
            "train_loss_before": float(np.exp(la.mean())),
            "train_loss_after": float(np.exp(lb.mean())),
            "log_train_loss_t": _paired_t(la, lb),
            "after_bn_mass_at_min": res["after"]["bn_output"]["mass_at_min"],
            "after_bn_abs_skew": res["after"]["bn_output"]["abs_skew"],
            "before_bn_abs_skew": res["before"]["bn_output"]["abs_skew"],
        }
        return Measurement(numbers, self._figures(curves, a, b, numbers))

    @staticmethod
    def _figures(curves, a, b, n) -> list:
        fig, (ax1, ax2) = new_figure(ncols=2)
        for p, c in (("before", "tab:blue"), ("after", "tab:red")):
            cur = np.array(curves[p])
            k = 10
            smooth = np.convolve(cur, np.ones(k) / k, mode="valid")
            ax1.plot(np.arange(k, len(cur) + 1), smooth, color=c,
                     label=f"BN {p} ReLU (mean of {n['nets']} nets)")
        ax1.set(xlabel="SGD step", ylabel="training loss (10-step mean)", yscale="log",
                title="training")
        ax1.legend(fontsize=7)
        ax2.plot([0, 1], [a, b], color="gray", alpha=0.4, lw=0.8)
        ax2.plot([0] * len(a), a, "o", color="tab:blue", label="before")
        ax2.plot([1] * len(b), b, "o", color="tab:red", label="after")
        ax2.errorbar([0, 1], [a.mean(), b.mean()],
                     yerr=[a.std(ddof=1), b.std(ddof=1)], fmt="s", color="k", capsize=6,
                     label="mean ± sd")
        ax2.set(xticks=[0, 1], xticklabels=["BN before ReLU", "BN after ReLU"],
                ylabel="test accuracy", title=f"paired by init (t = {n['acc_t']:.2f})",
                xlim=(-0.5, 1.5))
        ax2.legend(fontsize=7)
        return [png(fig, "bn_placement", "BatchNorm before vs after ReLU on Digits: training "
                    "loss, and test accuracy of each initialization (lines pair the same init).")]

    def judge(self, n) -> Verdict:
        t = self.thresholds
        within = abs(n["acc_t"]) < t["t_max"]
        big = abs(n["acc_diff"]) >= t["margin_min"]
        winner = "before" if n["acc_diff"] > 0 else "after"
        text = (f"Test accuracy {n['acc_before']:.2%} (sd {n['acc_sd_before']:.2%}) with BN "
                f"before ReLU vs {n['acc_after']:.2%} (sd {n['acc_sd_after']:.2%}) after, over "
                f"{n['nets']} paired inits: difference {n['acc_diff']:+.2%}, paired t = "
                f"{n['acc_t']:.2f} (within the spread if |t| < {t['t_max']:g}); 'before' won "
                f"{n['wins_before']} and 'after' {n['wins_after']} of the pairs. "
                f"Final training loss: {n['train_loss_before']:.4f} before vs "
                f"{n['train_loss_after']:.4f} after (paired t on its log "
                f"{n['log_train_loss_t']:.2f}); BN standardizes but does not make Gaussian: "
                f"after ReLU a median {n['after_bn_mass_at_min']:.0%} of each unit's "
                f"normalized outputs sit at one value (|skewness| {n['after_bn_abs_skew']:.2f}; "
                f"before ReLU {n['before_bn_abs_skew']:.2f}).")
        if within or not big:
            verdict = HOLDS
            text += (" On test accuracy neither placement clearly wins here, so the dispute is "
                     "real" + ("." if within else
                               f" ('{winner}' is ahead significantly but by less than "
                               f"{t['margin_min']:.0%}, within what a rerun changes)."))
        else:
            verdict = FAILS
            text += (f" '{winner}' clearly wins on this task (significant and at least "
                     f"{t['margin_min']:.0%}).")
        key = f"acc diff {n['acc_diff']:+.2%}, t = {n['acc_t']:.2f}"
        return Verdict(verdict, text, key)


EXPERIMENT = BNPlacementExperiment()
