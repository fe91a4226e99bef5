"""BatchNorm: faster convergence, tolerance of a larger learning rate, and train vs eval mode
(seed 000 Q64, seed 003 "BN 原理及作用", seed 004 §3.4)."""

from __future__ import annotations

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

_TARGET = 0.5          # running train loss that counts as "converged enough"
_WINDOW = 10           # steps in the running mean of the loss
_DIVERGED = 1e3        # a loss above this (or non-finite) ends a run as diverged


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


def _steps_to_target(losses: list[float]) -> int | None:
    """First step at which the running mean of the loss over _WINDOW steps is below _TARGET."""
    if len(losses) < _WINDOW:
        return None
    run = np.convolve(losses, np.ones(_WINDOW) / _WINDOW, mode="valid")
    hit = np.flatnonzero(run < _TARGET)
    return int(hit[0]) + _WINDOW if hit.size else None


def _accuracy(model, X, y) -> float:
    with gradlab.no_grad():
        return float((model(X).argmax(1) == y).float().mean())


class BatchNormExperiment(Experiment):
    """An MLP on Digits with and without BatchNorm over a learning-rate grid, and the BN net's
    predictions in eval mode vs a forgotten train mode."""

    id = "batchnorm"
    title = "BatchNorm: faster training, larger learning rates, and the eval-mode trap"
    seed_ref = "seed 000 Q64; seed 003 BN; seed 004 §3.4"
    claim = ("Batch normalization speeds up training and tolerates a larger learning rate; at "
             "test time it must use the moving averages of the training statistics, because a "
             "single sample (or an unrepresentative batch) gives no usable batch statistics.")
    claim_zh = ("加速网络的训练（缓解梯度消失，支持更大的学习率） … "
                "当测试或预测时，每次可能只会传入单个数据，"
                "此时模型会使用全局统计量代替批统计量（移动平均（moving averages））")
    protocol = (
        "Digits (8x8, 1,438 training images), an MLP with 3 hidden ReLU layers of 64 units and "
        "He-normal init, with and without BatchNorm1d before each ReLU; plain SGD, batch 64, a "
        "learning-rate grid (0.1 to 3), 100 steps per run in quick mode (300 and 3 repeats in "
        "full). Speed: steps until the 10-step running loss is below 0.5 at each net's best lr "
        "(the seed's mechanism: BN trains faster because it allows a larger lr); the ratio at "
        "the same lr 0.1 is reported too. Tolerance: the largest lr whose final running loss "
        "is below 0.5. Then "
        "the BN net (trained at lr 0.3) predicts the test set in eval mode, in train mode on "
        "shuffled batches of 64, on single-class batches (one batch per digit) and on pairs; a "
        "single sample in train mode is tried too.")
    thresholds = {
        "speed_ratio_max": 0.8,      # BN / plain steps-to-target, each at its best lr
        "lr_ratio_min": 3.0,         # largest stable lr with BN / without
        "skew_drop_min": 0.2,        # eval accuracy - train-mode accuracy on single-class batches
    }
    seed_error = None

    def measure(self, seed: int, quick: bool) -> Measurement:
        train = Digits(train=True)
        test = Digits(train=False)
        X, y = train.data.reshape(-1, 64), train.targets
        Xt, yt = test.data.reshape(-1, 64), test.targets
        lrs = [0.1, 0.3, 1.0, 3.0] if quick else [0.03, 0.1, 0.3, 1.0, 3.0]
        steps, repeats = (100, 1) if quick else (300, 3)

        curves: dict[str, dict[str, list[list[float]]]] = {"plain": {}, "bn": {}}
        for kind in ("plain", "bn"):
            for lr in lrs:
                runs = []
                for r in range(repeats):
                    gradlab.manual_seed(1000 * seed + r)
                    rng = np.random.default_rng(1000 * seed + r)
                    runs.append(_train(_mlp(kind == "bn", 3), X, y, lr, steps, rng))
                curves[kind][str(lr)] = runs

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

        # steps not reached count as the run length (a lower bound on the true number)
        plain01 = table["plain"]["0.1"]["steps_to_target"] or float(steps)
        bn01 = table["bn"]["0.1"]["steps_to_target"] or float(steps)
        best_plain = best_steps("plain") or float(steps)
        best_bn = best_steps("bn") or float(steps)
        lr_plain, lr_bn = stable_max("plain"), stable_max("bn")

        # the eval-mode trap, on a BN net trained at lr 0.3
        gradlab.manual_seed(1000 * seed + 7)
        net = _mlp(True, 3)
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
            "steps_plain_lr0.1": plain01, "steps_bn_lr0.1": bn01,
            "same_lr_ratio": bn01 / plain01,
            "best_steps_plain": best_plain, "best_steps_bn": best_bn,
            "speed_ratio": best_bn / best_plain,
            "max_stable_lr_plain": lr_plain, "max_stable_lr_bn": lr_bn,
            "lr_ratio": (lr_bn / lr_plain if lr_plain and lr_bn
                         else (float("inf") if lr_bn else 0.0)),
            "acc_eval": acc_eval, "acc_train_random": acc_train_random,
            "acc_train_skewed": acc_train_skewed, "acc_train_pairs": acc_train_pairs,
            "skew_drop": acc_eval - acc_train_skewed,
            "single_sample_error": single_error,
            "running_mean_error": mean_err,
        }
        if not np.isfinite(numbers["lr_ratio"]):
            numbers["lr_ratio"] = 1e9   # JSON has no infinity: the plain net had no stable lr
        return Measurement(numbers, self._figures(curves, table, lrs, numbers))

    @staticmethod
    def _figures(curves, table, lrs, n) -> list:
        fig, (a, b) = new_figure(ncols=2)
        colors = {"plain": "tab:blue", "bn": "tab:red"}
        for kind in ("plain", "bn"):
            for lr, style in ((0.1, "-"), (1.0, "--")):
                run = np.array(curves[kind][str(lr)][0])
                a.plot(np.arange(1, len(run) + 1), np.minimum(run, 10.0), style,
                       color=colors[kind], label=f"{kind} lr={lr}")
            finals = [min(table[kind][str(lr)]["final_loss"], 10.0) for lr in lrs]
            b.plot(lrs, finals, "o-", color=colors[kind], label=kind)
        a.set(xlabel="SGD step", ylabel="training loss (clipped at 10)", yscale="log",
              title="loss curves")
        a.legend(fontsize=7)
        b.axhline(_TARGET, color="gray", ls=":", label="stable if below")
        b.set(xlabel="learning rate", ylabel="final running loss (clipped at 10)",
              xscale="log", yscale="log", title="tolerance of the learning rate")
        b.legend(fontsize=7)
        f1 = png(fig, "batchnorm_lr", "Training loss without and with BatchNorm: curves at lr "
                 "0.1 and 1.0, and final loss over the learning-rate grid.")
        fig, ax = new_figure()
        labels = ["eval mode", "train mode\nshuffled 64", "train mode\none class",
                  "train mode\npairs"]
        vals = [n["acc_eval"], n["acc_train_random"], n["acc_train_skewed"], n["acc_train_pairs"]]
        ax.bar(labels, vals, color=["tab:green", "tab:olive", "tab:red", "tab:orange"],
               label="test accuracy")
        ax.set(ylabel="test accuracy", ylim=(0, 1), title="BN net: eval vs forgotten eval mode")
        ax.legend(fontsize=7)
        ax.tick_params(axis="x", labelsize=7)
        f2 = png(fig, "batchnorm_eval", "Test accuracy of the BN net in eval mode (moving "
                 "averages) and in train mode on shuffled, single-class and two-sample batches.")
        return [f1, f2]

    def judge(self, n) -> Verdict:
        t = self.thresholds
        faster = n["speed_ratio"] <= t["speed_ratio_max"]
        tolerant = n["lr_ratio"] >= t["lr_ratio_min"]
        trap = n["skew_drop"] >= t["skew_drop_min"]

        def lr_text(v):
            return "none" if v is None else f"{v:g}"
        text = (f"Each at its best lr, BN reached a running loss of {_TARGET} in "
                f"{n['best_steps_bn']:.0f} steps vs {n['best_steps_plain']:.0f} without (ratio "
                f"{n['speed_ratio']:.2f}, threshold {t['speed_ratio_max']}; at the same lr 0.1 "
                f"the ratio is {n['same_lr_ratio']:.2f}); the largest stable lr was "
                f"{lr_text(n['max_stable_lr_bn'])} with BN vs {lr_text(n['max_stable_lr_plain'])} "
                f"without (threshold ratio {t['lr_ratio_min']:g}). "
                f"In eval mode (moving averages, within {n['running_mean_error']:.2f} sd of the "
                f"training-set means at the first BN) the BN net scores {n['acc_eval']:.1%} on "
                f"the test set, in train "
                f"mode {n['acc_train_random']:.1%} on shuffled batches but "
                f"{n['acc_train_skewed']:.1%} on single-class batches and "
                f"{n['acc_train_pairs']:.1%} on pairs (drop threshold {t['skew_drop_min']:.0%}); "
                + ("a single sample in train mode raises an error." if n["single_sample_error"]
                   else "a single sample in train mode went through."))
        if faster and tolerant and trap:
            verdict = HOLDS
        elif faster or tolerant:
            verdict = CAVEATS
            missing = [name for name, ok in (("faster convergence", faster),
                                             ("a larger stable lr", tolerant),
                                             ("the eval-mode failure", trap)) if not ok]
            text += " Not shown: " + ", ".join(missing) + "."
        else:
            verdict = FAILS
            text += " BN was neither faster nor more tolerant of the learning rate here."
        key = (f"{n['speed_ratio']:.2f}x steps; lr {lr_text(n['max_stable_lr_bn'])} vs "
               f"{lr_text(n['max_stable_lr_plain'])}; one-class acc {n['acc_train_skewed']:.0%}")
        return Verdict(verdict, text, key)


EXPERIMENT = BatchNormExperiment()
