"""BatchNorm: faster convergence, tolerance of a larger learning rate, and train vs eval mode
(source 000 Q64, source 003 "BN 原理及作用", source 004 §3.4)."""

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
from gradlab.lab.experiments.e08_bn_placement import StackedMLP
from gradlab.nn import functional as F

_TARGET = 0.5          # running train loss that counts as "converged enough"
_WINDOW = 10           # steps in the running mean of the loss
_DIVERGED = 1e3        # a loss above this (or non-finite) ends a run as diverged
_SAME_LR = 0.1         # the learning rate at which both nets' speed is compared
_PAIRS_QUICK = 128     # BN / plain pairs at the same lr in quick mode (revision of 2026-12-06)


def _mlp(bn: bool, depth: int, width: int = 64) -> nn.Sequential:
    """depth x (Linear [-> BatchNorm1d] -> ReLU) -> Linear, He-normal weights, zero biases."""
    layers, d = [], 64
    for _ in range(depth):
        lin = nn.Linear(d, width)
        nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
        nn.init.zeros_(lin.bias)
        layers.append(lin)
        if bn:
            layers.append(nn.BatchNorm1d(width))
        layers.append(nn.ReLU())
        d = width
    layers.append(nn.Linear(d, 10))
    return nn.Sequential(*layers)


def _train(model, X, y, lr: float, steps: int, rng: np.random.Generator,
           batch: int = 64) -> list[float]:
    """Plain SGD on random mini-batches; the per-step losses (stops early on divergence)."""
    opt = optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        idx = gradlab.tensor(rng.integers(0, len(X), batch))
        loss = F.cross_entropy(model(X[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        v = float(loss)
        if not np.isfinite(v) or v > _DIVERGED:
            losses.append(_DIVERGED)
            break
        losses.append(v)
    return losses


def _train_pairs(bn: bool, nets: int, lr: float, steps: int, seed: int, X, y,
                 batch: int = 64) -> list[list[float]]:
    """Train ``nets`` MLPs side by side (one stacked graph, BatchNorm before each ReLU or no
    BatchNorm), plain SGD, net r on its own batch sequence r; each net's per-step losses, cut
    after its first loss above _DIVERGED (or non-finite), which is recorded as _DIVERGED. The
    same ``seed`` gives the BN and the plain nets the same initial weights and batches: net r of
    each forms pair r."""
    gradlab.manual_seed(seed)
    model = perturb(StackedMLP(nets, "before" if bn else "none"))
    opt = optim.SGD(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    losses = np.empty((steps, nets))
    for k in range(steps):
        idx = gradlab.tensor(rng.integers(0, len(X), (nets, batch)))
        per = F.cross_entropy(model(X[idx]).reshape(-1, 10), y[idx].reshape(-1),
                              reduction="none").reshape(nets, batch).mean(1)
        # the sum of the nets' mean losses: each net gets the gradient of its own loss
        loss = per.sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses[k] = per.detach().numpy()
    curves = []
    for r in range(nets):
        bad = np.flatnonzero(~np.isfinite(losses[:, r]) | (losses[:, r] > _DIVERGED))
        cut = losses[:bad[0], r].tolist() + [_DIVERGED] if bad.size else losses[:, r].tolist()
        curves.append([float(v) for v in cut])
    return curves


def _median_ci(values: list[float]) -> tuple[float, float]:
    """A distribution-free 95% interval for the median of ``values``: the order statistics of
    ranks floor(n/2 - 1.96 sqrt(n)/2) and ceil(1 + n/2 + 1.96 sqrt(n)/2) (1-based; the normal
    approximation of the binomial(n, 1/2) count below the median)."""
    v = np.sort(values)
    n = len(v)
    half = 1.96 * math.sqrt(n) / 2
    lo = max(int(math.floor(n / 2 - half)) - 1, 0)
    hi = min(int(math.ceil(n / 2 + half)), n - 1)
    return float(v[lo]), float(v[hi])


def _steps_to_target(losses: list[float]) -> int | None:
    """First step at which the running mean of the loss over _WINDOW steps is below _TARGET."""
    if len(losses) < _WINDOW:
        return None
    run = np.convolve(losses, np.ones(_WINDOW) / _WINDOW, mode="valid")
    hit = np.flatnonzero(run < _TARGET)
    return int(hit[0]) + _WINDOW if hit.size else None


def _grid_ratio(low: float, high: float) -> float:
    """high / low for two learning rates of the grid, rounded to 6 significant digits: the grid
    values are decimal numbers, and 0.3 / 0.1 is 2.9999999999999996 in binary floats."""
    return float(f"{high / low:.6g}")


def _accuracy(model, X, y) -> float:
    with gradlab.no_grad():
        return float((model(X).argmax(1) == y).float().mean())


class BatchNormExperiment(Experiment):
    """An MLP on Digits with and without BatchNorm: speed at the same learning rate over paired
    runs, the largest stable learning rate on a grid, and the BN net's predictions in eval mode
    vs a forgotten train mode."""

    id = "batchnorm"
    title = "BatchNorm: faster training, larger learning rates, and the eval-mode trap"
    source_ref = "source 000 Q64; source 003 BN; source 004 §3.4"
    claim = ("Batch normalization speeds up training and tolerates a larger learning rate; at "
             "test time it must use the moving averages of the training statistics, because a "
             "single sample (or an unrepresentative batch) gives no usable batch statistics. "
             "(The quoted 'eases vanishing gradients' is not tested here.)")
    claim_zh = ("加速网络的训练（缓解梯度消失，支持更大的学习率） … "
                "当测试或预测时，每次可能只会传入单个数据，"
                "此时模型会使用全局统计量代替批统计量（移动平均（moving averages））")
    protocol = (
        "Digits (8x8, 1,438 training images), an MLP with 3 hidden ReLU layers of 64 units and "
        "He-normal init, with and without BatchNorm1d before each ReLU; plain SGD, batch 64, "
        "100 steps per run in quick mode (300 in full). Speed: steps until the 10-step running "
        "loss is below 0.5, both nets at the same lr 0.1, in 128 pairs (256 in full) trained "
        "side by side in one stacked graph (per-net weights, per-net BatchNorm statistics); the "
        "two nets of a pair share their initial weights and batch order; judged on the median of "
        "the pairs' BN / plain ratios (the ratio with each net at its best lr is reported, not "
        "judged). Tolerance: the largest lr of the grid 0.1, 0.3, 1, 3 (0.03 to 3 with 3 "
        "repeats in full) whose final running loss is below 0.5. Then the BN net (trained at "
        "lr 0.3) predicts the test set in eval mode, in train mode on shuffled batches of 64, "
        "on single-class batches (one batch per digit) and on pairs; a single sample in train "
        "mode is tried too. Holds if all three parts pass; does not hold if speed and "
        "tolerance both fail, or the eval-mode part fails; otherwise holds with caveats.")
    thresholds = {
        "speed_ratio_max": 0.8,      # BN / plain steps-to-target at the same lr (median of pairs)
        "lr_ratio_min": 3.0,         # largest stable lr with BN / without
        "skew_drop_min": 0.2,        # eval accuracy - train-mode accuracy on single-class batches
    }
    revisions = (
        Revision(
            date="2026-11-27",
            what="Speed judged on the steps-to-target ratio with each net at its best lr of "
                 "the grid instead of the ratio at the same lr 0.1; the same-lr ratio is "
                 "reported only (disclosed in issue 7).",
            why="The same-lr ratio of one pair (0.81 / 0.78 / 0.69 for seeds 0-2) straddled "
                "0.8; the source's mechanism (BN allows a larger lr) was taken to justify "
                "comparing at each net's best lr.",
            moved="toward holds",
            effect="Seed 0: holds with caveats -> holds (same-lr ratio 0.81 > 0.8, best-lr "
                   "ratio 0.20); seeds 1 and 2 hold either way. Speed then counted the lr "
                   "tolerance a second time."),
        Revision(
            date="2026-12-06",
            what="Speed judged again at the same lr 0.1, as first registered, on the median "
                 "of the BN / plain ratios of 9 pairs (each its own initial weights and batch "
                 "order, shared by the pair's two nets) instead of one pair; the best-lr ratio "
                 "is reported, not judged.",
            why="Issue 13: the best-lr ratio folds the lr result into the speed criterion. One "
                "pair is one draw of init and batch order, whose spread (0.69-0.81 over the "
                "seeds) is as wide as its distance to 0.8; a median over 9 pairs is what a "
                "rerun with other seeds moves much less.",
            moved="toward does not hold",
            effect="Seeds 0-2: holds, holds, holds -> holds with caveats, holds, holds (median "
                   "pair ratio 0.81 / 0.76 / 0.67; pairs at or below 0.8: 4, 8 and 9 of 9), "
                   "the same on the SkylakeX and Haswell kernels and under a 1e-6 jitter. "
                   "Seed 0 sits 0.7% above the threshold: the speed verdict depends on the "
                   "pairs drawn. (The median was chosen before these runs; the ratio of the "
                   "mean steps of the same pairs, the estimator of the first protocol, gives "
                   "0.77 for seed 0.)"),
        Revision(
            date="2026-12-06",
            what="The speed pairs at lr 0.1 go from 9 to 128 in quick mode (15 to 256 in "
                 "full), trained side by side in one stacked graph (e08's StackedMLP: per-net "
                 "weights, BatchNorm per net, the plain twin the same without BatchNorm) from "
                 "new seeds, so the 9 earlier pairs are not among them. The note that the speed "
                 "verdict depends on the draw now comes from a distribution-free 95% interval "
                 "of the median that contains 0.8 (before: 1/3 to 2/3 of the pairs at or "
                 "below 0.8). Median and threshold 0.8 are kept.",
            why="Written before these runs. The 9 pair ratios ranged 0.66-0.90 (an sd of about "
                "0.07-0.1), so the median of 9 had a standard error of about 1.25 sd / 3, about "
                "0.03, as large as its distance to 0.8; the three seeds' medians 0.81 / 0.76 / "
                "0.67 straddled 0.8 for that reason. 128 pairs bring the standard error to "
                "about 0.01, a fifth or less of the distance between 0.8 and the centre of "
                "those medians (about 0.75); 128 is what the 8 s quick budget allows (3.5 s "
                "CPU for both stacks). A pair's spread does not shrink with more pairs, so "
                "the old note (a share of pairs on the fast side) no longer says how firm the "
                "median is; the interval does.",
            moved="toward holds",
            effect="Seeds 0-2: holds with caveats, holds, holds -> holds, holds, holds: median "
                   "pair ratio 0.72 / 0.72 / 0.73 (95% intervals 0.70-0.74, 0.71-0.74, "
                   "0.71-0.74; margins 0.10 / 0.10 / 0.09 of 0.8), the same medians and "
                   "intervals on the SkylakeX and Haswell kernels and under a 1e-6 jitter. Of "
                   "the 256 runs of a seed, 1, 1 and 3 did not reach the target in 100 steps "
                   "(counted as 100)."),
        Revision(
            date="2026-12-06",
            what="The ratio of two grid learning rates is rounded to 6 significant digits.",
            why="0.3 / 0.1 is 2.9999999999999996 in floats, below the threshold 3, while "
                "3 / 1 is 3.0: a one-step advantage counted at the top of the grid but not at "
                "the bottom.",
            moved="toward holds",
            effect="None on seeds 0-2 (stable lr 3 with BN vs 0.3 without, ratio 10)."),
        Revision(
            date="2026-12-06",
            what="The eval-mode part can give 'does not hold' (before: at worst 'holds with "
                 "caveats'); speed and tolerance both failing still gives 'does not hold'.",
            why="Issue 13: each quoted half of the claim must be able to fail; the eval-mode "
                "sentence is the second half.",
            moved="toward does not hold",
            effect="None on seeds 0-2 (eval minus one-class accuracy 0.8 and more)."),
    )

    def measure(self, seed: int, quick: bool) -> Measurement:
        train = Digits(train=True)
        test = Digits(train=False)
        X = perturb(train.data.reshape(-1, 64))
        Xt = perturb(test.data.reshape(-1, 64))
        y, yt = train.targets, test.targets
        lrs = [0.1, 0.3, 1.0, 3.0] if quick else [0.03, 0.1, 0.3, 1.0, 3.0]
        steps, repeats, pairs = (100, 1, _PAIRS_QUICK) if quick else (300, 3, 2 * _PAIRS_QUICK)

        done: dict[tuple[str, float, int], list[float]] = {}

        def run(kind: str, lr: float, r: int) -> list[float]:
            """Run r of one net at one lr: initial weights and batch order from seed and r
            only, so BN and plain runs of the same r start alike and see the same batches."""
            if (kind, lr, r) not in done:
                gradlab.manual_seed(1000 * seed + r)
                rng = np.random.default_rng(1000 * seed + r)
                model = perturb(_mlp(kind == "bn", 3))
                done[kind, lr, r] = _train(model, X, y, lr, steps, rng)
            return done[kind, lr, r]

        curves = {kind: {str(lr): [run(kind, lr, r) for r in range(repeats)] for lr in lrs}
                  for kind in ("plain", "bn")}

        def summary(kind: str, lr: float) -> tuple[float, float | None]:
            runs = curves[kind][str(lr)]
            final = float(np.mean([np.mean(r[-_WINDOW:]) if len(r) == steps else _DIVERGED
                                   for r in runs]))
            hits = [_steps_to_target(r) for r in runs]
            reach = float(np.mean(hits)) if all(h is not None for h in hits) else None
            return final, reach

        table = {k: {str(lr): dict(zip(("final_loss", "steps_to_target"), summary(k, lr)))
                     for lr in lrs} for k in curves}

        def stable_max(kind: str) -> float | None:
            ok = [lr for lr in lrs if table[kind][str(lr)]["final_loss"] < _TARGET]
            return max(ok) if ok else None

        def best_steps(kind: str) -> float | None:
            hits = [table[kind][str(lr)]["steps_to_target"] for lr in lrs]
            hits = [h for h in hits if h is not None]
            return min(hits) if hits else None

        # speed at the same lr over the pairs, trained side by side; a target not reached
        # counts as the run length (a lower bound on the true number)
        reached = {kind: [_steps_to_target(c) for c in
                          _train_pairs(kind == "bn", pairs, _SAME_LR, steps, 1000 * seed + 500,
                                       X, y)]
                   for kind in ("plain", "bn")}
        pair_steps = {kind: [float(h) if h is not None else float(steps) for h in v]
                      for kind, v in reached.items()}
        pair_ratios = [b / p for b, p in zip(pair_steps["bn"], pair_steps["plain"])]
        best_plain = best_steps("plain") or float(steps)
        best_bn = best_steps("bn") or float(steps)
        lr_plain, lr_bn = stable_max("plain"), stable_max("bn")

        # the eval-mode trap, on a BN net trained at lr 0.3
        gradlab.manual_seed(1000 * seed + 7)
        net = perturb(_mlp(True, 3))
        _train(net, X, y, 0.3, steps, np.random.default_rng(1000 * seed + 7))
        net.eval()
        acc_eval = _accuracy(net, Xt, yt)
        net.train()
        perm = gradlab.tensor(np.random.default_rng(seed).permutation(len(Xt)))
        Xs, ys = Xt[perm], yt[perm]
        with gradlab.no_grad():
            hits = sum(float((net(Xs[i:i + 64]).argmax(1) == ys[i:i + 64]).float().sum())
                       for i in range(0, len(Xs) - 1, 64))
        acc_train_random = hits / len(Xs)
        yn = yt.numpy()
        hits = 0.0
        with gradlab.no_grad():
            for c in range(10):
                idx = gradlab.tensor(np.flatnonzero(yn == c))
                hits += float((net(Xt[idx]).argmax(1) == c).float().sum())
        acc_train_skewed = hits / len(Xt)
        n2 = len(Xs) // 2 * 2
        with gradlab.no_grad():
            hits = sum(float((net(Xs[i:i + 2]).argmax(1) == ys[i:i + 2]).float().sum())
                       for i in range(0, n2, 2))
        acc_train_pairs = hits / n2
        try:
            net(Xt[:1])
            single_error = ""
        except ValueError as e:
            single_error = str(e)
        net.eval()
        bn1 = net[1]
        with gradlab.no_grad():
            pre = net[0](X).numpy().astype(np.float64)
        mean_err = float(np.abs(bn1.running_mean.numpy() - pre.mean(0)).mean()
                         / pre.std(0).mean())

        numbers = {
            "lrs": lrs, "steps": steps, "repeats": repeats, "table": table,
            "same_lr": _SAME_LR, "pairs": pairs,
            "pair_steps_plain": pair_steps["plain"], "pair_steps_bn": pair_steps["bn"],
            "pair_ratios": pair_ratios,
            "pairs_unreached": sum(h is None for v in reached.values() for h in v),
            "steps_plain_lr0.1": float(np.median(pair_steps["plain"])),
            "steps_bn_lr0.1": float(np.median(pair_steps["bn"])),
            "same_lr_ratio": float(np.median(pair_ratios)),
            "same_lr_ratio_ci": list(_median_ci(pair_ratios)),
            "best_steps_plain": best_plain, "best_steps_bn": best_bn,
            "speed_ratio": best_bn / best_plain,
            "max_stable_lr_plain": lr_plain, "max_stable_lr_bn": lr_bn,
            "lr_ratio": (_grid_ratio(lr_plain, lr_bn) if lr_plain and lr_bn
                         else (1e9 if lr_bn else 0.0)),   # 1e9: the plain net had no stable lr
            "acc_eval": acc_eval, "acc_train_random": acc_train_random,
            "acc_train_skewed": acc_train_skewed, "acc_train_pairs": acc_train_pairs,
            "skew_drop": acc_eval - acc_train_skewed,
            "single_sample_error": single_error,
            "running_mean_error": mean_err,
        }
        return Measurement(numbers, self._figures(curves, table, lrs, numbers))

    @staticmethod
    def _figures(curves, table, lrs, n) -> list:
        fig, (a, b, c) = new_figure(ncols=3)
        colors = {"plain": "tab:blue", "bn": "tab:red"}
        for kind in ("plain", "bn"):
            for lr, style in ((0.1, "-"), (1.0, "--")):
                run = np.array(curves[kind][str(lr)][0])
                a.plot(np.arange(1, len(run) + 1), np.minimum(run, 10.0), style,
                       color=colors[kind], label=f"{kind} lr={lr}")
            finals = [min(table[kind][str(lr)]["final_loss"], 10.0) for lr in lrs]
            b.plot(lrs, finals, "o-", color=colors[kind], label=kind)
        a.set(xlabel="SGD step", ylabel="training loss (clipped at 10)", yscale="log",
              title="loss curves (grid runs)")
        a.legend()
        b.plot([lrs[0], lrs[-1]], [_TARGET, _TARGET], color="gray", ls=":",
               label="stable if below")
        b.set(xlabel="learning rate", ylabel="final running loss (clipped at 10)",
              xscale="log", yscale="log", title="tolerance of the learning rate")
        b.set_xticks(lrs, [f"{v:g}" for v in lrs])
        b.minorticks_off()
        b.legend()
        c.hist(n["pair_ratios"], bins=20, color="tab:gray", edgecolor="k")
        c.axvline(n["same_lr_ratio"], color="tab:red", ls="--",
                  label=f"median {n['same_lr_ratio']:.2f}")
        c.axvline(0.8, color="k", ls=":", label="threshold 0.8")
        c.set(xlabel=f"BN / plain steps to loss {_TARGET}", ylabel="pairs",
              title=f"speed at lr {n['same_lr']:g}, {n['pairs']} pairs")
        c.legend()
        f1 = png(fig, "batchnorm_lr", "Training without and with BatchNorm: loss curves at lr "
                 "0.1 and 1.0, final loss over the learning-rate grid, and the ratio of the "
                 f"steps to a running loss of {_TARGET} of each pair (same init and batches) at "
                 f"lr {n['same_lr']:g} (a target not reached counts as the run length).")
        fig, ax = new_figure(width=6.0)
        labels = ["eval mode", "train mode\nshuffled 64", "train mode\none class",
                  "train mode\npairs"]
        vals = [n["acc_eval"], n["acc_train_random"], n["acc_train_skewed"], n["acc_train_pairs"]]
        ax.bar(labels, vals, color=["tab:green", "tab:olive", "tab:red", "tab:orange"])
        ax.set(ylabel="test accuracy", ylim=(0, 1), title="BN net: eval vs forgotten eval mode")
        f2 = png(fig, "batchnorm_eval", "Test accuracy of the BN net in eval mode (moving "
                 "averages) and in train mode on shuffled, single-class and two-sample batches.")
        return [f1, f2]

    def judge(self, n) -> Verdict:
        t = self.thresholds
        speed = Criterion(f"BN / plain steps to loss {_TARGET} at the same lr (median of "
                          "pairs)", n["same_lr_ratio"], "<=", t["speed_ratio_max"],
                          "speed_ratio_max")
        tolerance = Criterion("largest stable lr, BN / plain", n["lr_ratio"], ">=",
                              t["lr_ratio_min"], "lr_ratio_min")
        trap = Criterion("eval-mode accuracy - train-mode accuracy on one-class batches",
                         n["skew_drop"], ">=", t["skew_drop_min"], "skew_drop_min")

        def lr_text(v):
            return "none" if v is None else f"{v:g}"
        fast = sum(r <= t["speed_ratio_max"] for r in n["pair_ratios"])
        ratio = ("no stable lr without BN" if n["max_stable_lr_plain"] is None
                 else f"ratio {n['lr_ratio']:g}")
        text = (f"At the same lr {n['same_lr']:g}, BN reached a running loss of {_TARGET} in a "
                f"median {n['steps_bn_lr0.1']:.0f} steps vs {n['steps_plain_lr0.1']:.0f} "
                f"without; the median of the {n['pairs']} pairs' ratios is "
                f"{n['same_lr_ratio']:.2f} (95% interval {n['same_lr_ratio_ci'][0]:.2f} to "
                f"{n['same_lr_ratio_ci'][1]:.2f}; threshold {t['speed_ratio_max']:g}; pairs "
                f"{min(n['pair_ratios']):.2f} to {max(n['pair_ratios']):.2f}, {fast} at or "
                f"below it), and each net at "
                f"its best lr {n['speed_ratio']:.2f} (reported, not judged). "
                f"The largest stable lr was {lr_text(n['max_stable_lr_bn'])} with BN vs "
                f"{lr_text(n['max_stable_lr_plain'])} without ({ratio}, threshold "
                f"{t['lr_ratio_min']:g}). "
                f"In eval mode (moving averages, within {n['running_mean_error']:.2f} sd of the "
                f"training-set means at the first BN) the BN net scores {n['acc_eval']:.1%} on "
                f"the test set, in train mode {n['acc_train_random']:.1%} on shuffled batches "
                f"but {n['acc_train_skewed']:.1%} on single-class batches and "
                f"{n['acc_train_pairs']:.1%} on pairs (drop threshold {t['skew_drop_min']:.0%}); "
                + ("a single sample in train mode raises an error." if n["single_sample_error"]
                   else "a single sample in train mode went through."))
        lo, hi = n["same_lr_ratio_ci"]
        if lo <= t["speed_ratio_max"] <= hi:
            text += (f" That interval contains {t['speed_ratio_max']:g}: the speed verdict "
                     "depends on which pairs are drawn.")
        missing = [name for name, c in (("faster training at the same lr", speed),
                                        ("a larger stable lr", tolerance),
                                        ("the eval-mode failure", trap)) if not c.passed]
        if not missing:
            verdict = HOLDS
        elif (not speed.passed and not tolerance.passed) or not trap.passed:
            verdict = FAILS
            text += (" Not shown: " + ", ".join(missing) + ", so "
                     + ("the first half of the claim (faster, larger lr)"
                        if not speed.passed and not tolerance.passed
                        else "the eval-mode half of the claim") + " is not borne out.")
        else:
            verdict = CAVEATS
            text += " Not shown: " + ", ".join(missing) + "."
        key = (f"{n['same_lr_ratio']:.2f}x steps at lr {n['same_lr']:g}; stable lr "
               f"{lr_text(n['max_stable_lr_bn'])} vs {lr_text(n['max_stable_lr_plain'])}; "
               f"one-class acc {n['acc_train_skewed']:.0%}")
        return Verdict(verdict, text, key, criteria=[speed, tolerance, trap])

    def checks(self, n) -> list[Check]:
        """The arithmetic of the lr grid (one step up the grid is a ratio of at least the
        threshold, so a one-step advantage counts anywhere on it) and BatchNorm's refusal of
        a single sample in train mode."""
        steps = [_grid_ratio(lo, hi) for lo, hi in zip(n["lrs"], n["lrs"][1:])]
        grid_ok = all(r >= self.thresholds["lr_ratio_min"] for r in steps)
        return [
            Check("one step of the lr grid is a ratio >= the threshold", grid_ok,
                  "grid " + ", ".join(f"{v:g}" for v in n["lrs"]) + "; step ratios "
                  + ", ".join(f"{r:g}" for r in steps)
                  + f" (threshold {self.thresholds['lr_ratio_min']:g})"),
            Check("a single sample in train mode raises (no batch statistics)",
                  bool(n["single_sample_error"]),
                  n["single_sample_error"] or "one sample in train mode went through"),
        ]


EXPERIMENT = BatchNormExperiment()
