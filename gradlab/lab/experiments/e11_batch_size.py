"""Batch gradient descent vs mini-batch vs single-sample SGD: cost per epoch and convergence per
epoch and per CPU second (seed 000 Q65, seed 002 Q4)."""

from __future__ import annotations

import time

import numpy as np

import gradlab
from gradlab import autograd, nn, optim
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

_TARGET = 0.3                 # full training loss that counts as reached
_MINI = 32
_COPIES = 32               # the large set: Digits and 31 noisy copies
_LR = {"sgd": 0.05, "minibatch": 0.5, "batch": 3.0}   # larger batches, larger steps
_LABEL = {"sgd": "single-sample SGD (B=1)", "minibatch": f"mini-batch (B={_MINI})",
          "batch": "batch GD (B=N)"}
_COLORS = {"sgd": "tab:red", "minibatch": "tab:green", "batch": "tab:blue"}


def _full_loss(model, X, y) -> float:
    with gradlab.no_grad():
        return float(F.cross_entropy(model(X), y))


def _train(kind: str, X, y, max_epochs: float, rng: np.random.Generator, seed: int,
           stop_at_target: bool = False, evals_per_epoch: int = 20,
           watch_uphill: bool = True) -> dict:
    """Softmax regression (Linear(64, 10)) by SGD with batch 1, _MINI or N, shuffled epochs.

    Returns the history (epoch, CPU seconds spent in updates, full training loss) taken
    ``evals_per_epoch`` times per epoch (loss evaluations are not timed), the number of
    updates, the forward ops and matmuls of the first epoch (counted by an apply observer),
    and, for B=1 with ``watch_uphill``, how often an update raised the full training loss over
    the first 300."""
    n = len(X)
    batch = {"sgd": 1, "minibatch": _MINI, "batch": n}[kind]
    per_epoch = -(-n // batch)
    gradlab.manual_seed(seed)
    model = nn.Linear(64, 10)
    opt = optim.SGD(model.parameters(), lr=_LR[kind])
    every = max(1, per_epoch // evals_per_epoch)
    hist = [(0.0, 0.0, _full_loss(model, X, y))]
    counts = {"ops": 0, "matmul": 0, "on": True}

    def count(cls, args, kwargs, results):
        if counts["on"]:
            counts["ops"] += 1
            counts["matmul"] += cls.__name__ == "Matmul"

    def evaluate() -> float:
        counts["on"] = False
        v = _full_loss(model, X, y)
        counts["on"] = True
        return v

    cpu, updates, ups, watched = 0.0, 0, 0, 0
    last = hist[0][2]
    total = int(round(max_epochs * per_epoch))
    handle = autograd.add_apply_observer(count)
    while updates < total:
        perm = gradlab.tensor(rng.permutation(n))
        for i in range(0, n, batch):
            start = time.process_time()
            idx = perm[i:i + batch]
            loss = F.cross_entropy(model(X[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            cpu += time.process_time() - start
            updates += 1
            if updates == per_epoch:
                handle.remove()
            if kind == "sgd" and watch_uphill and updates <= 300:
                now = evaluate()
                ups += now > last
                watched += 1
                last = now
            if updates % every == 0 or updates == total:
                hist.append((updates / per_epoch, cpu, evaluate()))
                if stop_at_target and hist[-1][2] < _TARGET:
                    total = updates
            if updates >= total:
                break
    handle.remove()
    h = np.array(hist)
    hit = np.flatnonzero(h[:, 2] < _TARGET)
    return {
        "batch": batch, "updates_per_epoch": per_epoch, "updates": updates,
        "ops_per_epoch": counts["ops"], "matmuls_per_epoch": counts["matmul"],
        "cpu_per_update": cpu / updates,
        "cpu_per_epoch": cpu / updates * per_epoch,
        "cpu_to_target": float(h[hit[0], 1]) if hit.size else None,
        "epochs_to_target": float(h[hit[0], 0]) if hit.size else None,
        "history": h.tolist(),
        "frac_updates_up": ups / watched if watched else None,
    }


def _loss_at(hist: list, epoch: float) -> float:
    h = np.array(hist)
    return float(np.interp(epoch, h[:, 0], h[:, 2]))


class BatchSizeExperiment(Experiment):
    """Softmax regression on Digits with batch 1, 32 and N: cost per epoch, loss per epoch and
    per CPU second, and the CPU to a target loss on 32x as many samples."""

    id = "batch-size"
    title = "Batch GD vs mini-batch vs single-sample SGD: cost and convergence"
    seed_ref = "seed 000 Q65; seed 002 Q4"
    claim = ("Batch gradient descent is rarely used: every update touches the whole data set, "
             "which is too much computation when the data set is large; stochastic gradient "
             "descent updates from one sample at a time, each step not necessarily downhill "
             "but the overall direction right.")
    claim_zh = ("BGD每次需要用到全量数据，计算量太大 … 一次迭代对所有样本进行计算，"
                "但是当样本数 m 很大时，训练速度很慢。 … "
                "虽然不是每次迭代得到的损失函数都向着全局最优方向，但是大的整体的方向是向全局最优解的")
    protocol = (
        "Softmax regression (gradlab Linear(64, 10), cross-entropy) on the Digits training set "
        "(N = 1,438), trained by SGD with batch 1 (lr 0.05), 32 (lr 0.5) and N (lr 3), "
        "shuffled epochs: 1 epoch for B=1, 10 for B=32 and 200 for B=N in quick mode (more in "
        "full). Cost: updates, forward ops and matmuls per epoch (apply observer) and CPU time "
        "per update (process_time, loss evaluations excluded). Convergence: full training loss "
        "vs epochs and vs CPU seconds; the fraction of B=1 updates that raise the full loss "
        "(first 300). Scale: the same problem on N x 32 samples (Digits plus noisy copies, "
        "pixel noise sd 0.1): CPU seconds to a full loss of 0.3 for each batch size.")
    thresholds = {
        "epoch_gap_min": 1.5,       # batch GD's loss after 1 epoch / mini-batch's
        "large_cost_ratio_min": 2.0,  # batch GD's CPU to target / mini-batch's, at 32 N
        "uphill_min": 0.1,          # fraction of single-sample updates that raise the loss
        "sgd_cost_ratio_max": 2.0,  # single-sample CPU to target / mini-batch's, at 32 N
    }
    seed_error = None

    def measure(self, seed: int, quick: bool) -> Measurement:
        train = Digits(train=True)
        X, y = train.data.reshape(-1, 64), train.targets
        epochs = ({"sgd": 1, "minibatch": 10, "batch": 200} if quick
                  else {"sgd": 6, "minibatch": 30, "batch": 600})
        small = {k: _train(k, X, y, epochs[k], np.random.default_rng(seed), seed)
                 for k in ("sgd", "minibatch", "batch")}

        rng = np.random.default_rng(10_000 + seed)
        xs = X.numpy()
        big_x = np.concatenate([xs] + [xs + 0.1 * rng.standard_normal(xs.shape)
                                       for _ in range(_COPIES - 1)]).astype(np.float32)
        big_y = np.tile(y.numpy(), _COPIES)
        BX, By = gradlab.tensor(big_x), gradlab.tensor(big_y)
        caps = {"sgd": 1.0, "minibatch": 2.0, "batch": 150.0}
        large = {k: _train(k, BX, By, caps[k], np.random.default_rng(seed), seed,
                           stop_at_target=True, evals_per_epoch=200 if k != "batch" else 1,
                           watch_uphill=False)
                 for k in ("sgd", "minibatch", "batch")}

        def ratio(a, b, res):
            ta, tb = res[a]["cpu_to_target"], res[b]["cpu_to_target"]
            if ta is None:        # never reached: a lower bound from all the time it ran
                ta = res[a]["cpu_per_update"] * res[a]["updates"]
            return ta / tb if tb else None

        numbers = {
            "N": len(X), "N_large": len(big_x), "epochs": epochs, "lr": _LR,
            "small": small,
            "large": {k: {kk: vv for kk, vv in v.items() if kk != "history"}
                      for k, v in large.items()},
            "large_history": {k: v["history"] for k, v in large.items()},
            "loss_1ep": {k: _loss_at(v["history"], 1.0) for k, v in small.items()},
            "epoch_gap": _loss_at(small["batch"]["history"], 1.0)
            / _loss_at(small["minibatch"]["history"], 1.0),
            "small_cost_ratio": ratio("batch", "minibatch", small),
            "large_cost_ratio": ratio("batch", "minibatch", large),
            "sgd_cost_ratio": ratio("sgd", "minibatch", large),
            "frac_uphill": small["sgd"]["frac_updates_up"],
            "sgd_epoch1_loss": _loss_at(small["sgd"]["history"], 1.0),
            "initial_loss": small["sgd"]["history"][0][2],
        }
        for key in ("small_cost_ratio", "large_cost_ratio", "sgd_cost_ratio"):
            if numbers[key] is None:
                raise RuntimeError(f"BatchSizeExperiment.measure: mini-batch SGD did not reach "
                                   f"the target loss {_TARGET} ({key})")
        return Measurement(numbers, self._figures(small, large, numbers))

    @staticmethod
    def _figures(small, large, n) -> list:
        fig, (a, b) = new_figure(ncols=2)
        for k, v in small.items():
            h = np.array(v["history"])
            a.plot(np.maximum(h[:, 0], 1e-3), h[:, 2], color=_COLORS[k], label=_LABEL[k])
            b.plot(np.maximum(h[:, 1], 1e-4), h[:, 2], color=_COLORS[k], label=_LABEL[k])
        for ax in (a, b):
            ax.axhline(_TARGET, color="gray", ls=":", lw=0.8, label=f"target {_TARGET}")
            ax.set(xscale="log", yscale="log", ylabel="full training loss")
            ax.legend(fontsize=7)
        a.set(xlabel="epochs (passes over the data)", title=f"Digits, N = {n['N']}")
        b.set(xlabel="CPU seconds in updates", title="the same runs against compute")
        f1 = png(fig, "batch_size_digits", "Softmax regression on Digits with batch 1, 32 "
                 "and N: full training loss per epoch and per CPU second.")
        fig, ax = new_figure()
        names = list(large)
        cpu = [large[k]["cpu_to_target"] or large[k]["cpu_per_update"] * large[k]["updates"]
               for k in names]
        cpu_small = [small[k]["cpu_to_target"] or small[k]["cpu_per_update"]
                     * small[k]["updates"] for k in names]
        xs = np.arange(len(names))
        ax.bar(xs - 0.2, cpu_small, 0.4, color="tab:gray", label=f"N = {n['N']}")
        ax.bar(xs + 0.2, cpu, 0.4, color="tab:purple", label=f"N = {n['N_large']}")
        ax.set_xticks(xs, [_LABEL[k].split(" (")[0] + f"\nB={large[k]['batch']}"
                           if k != "batch" else "batch GD\nB=N" for k in names], fontsize=7)
        ax.set(ylabel=f"CPU seconds to loss {_TARGET}", yscale="log",
               title="cost to reach the target")
        ax.legend(fontsize=7)
        f2 = png(fig, "batch_size_cost", "CPU seconds (updates only) each batch size needs to "
                 "reach a full training loss of 0.3, on Digits and on 32x as many samples (a run "
                 "that stopped short of the target shows the time it ran, a lower bound).")
        return [f1, f2]

    def judge(self, n) -> Verdict:
        t = self.thresholds
        per_epoch = n["epoch_gap"] >= t["epoch_gap_min"]
        large_cost = n["large_cost_ratio"] >= t["large_cost_ratio_min"]
        uphill = (n["frac_uphill"] >= t["uphill_min"]
                  and n["sgd_epoch1_loss"] < n["initial_loss"])
        sgd_cheap = n["sgd_cost_ratio"] <= t["sgd_cost_ratio_max"]
        s = n["small"]
        text = (f"Per epoch, batch GD makes {s['batch']['updates_per_epoch']} update "
                f"({s['batch']['ops_per_epoch']} forward ops, "
                f"{1e3 * s['batch']['cpu_per_epoch']:.1f} ms) vs "
                f"{s['minibatch']['updates_per_epoch']} ({s['minibatch']['ops_per_epoch']} ops, "
                f"{1e3 * s['minibatch']['cpu_per_epoch']:.0f} ms) and "
                f"{s['sgd']['updates_per_epoch']} ({s['sgd']['ops_per_epoch']} ops, "
                f"{1e3 * s['sgd']['cpu_per_epoch']:.0f} ms), "
                f"and after one epoch its loss is {n['loss_1ep']['batch']:.3f} vs "
                f"{n['loss_1ep']['minibatch']:.3f} (mini-batch) and {n['loss_1ep']['sgd']:.3f} "
                f"(B=1) (ratio {n['epoch_gap']:.1f}, threshold {t['epoch_gap_min']:g}). "
                f"To reach loss {_TARGET} on {n['N_large']} samples batch GD needs "
                f"{n['large_cost_ratio']:.1f}x the CPU time of mini-batches (threshold "
                f"{t['large_cost_ratio_min']:g}x; on the {n['N']} Digits images "
                f"{n['small_cost_ratio']:.2f}x) and single-sample SGD "
                f"{n['sgd_cost_ratio']:.1f}x (threshold {t['sgd_cost_ratio_max']:g}x). "
                f"{n['frac_uphill']:.0%} of single-sample updates raised the full loss "
                f"(threshold {t['uphill_min']:.0%}), yet its epoch took the loss from "
                f"{n['initial_loss']:.2f} to {n['sgd_epoch1_loss']:.2f}.")
        if per_epoch and large_cost and uphill and sgd_cheap:
            verdict = HOLDS
        elif per_epoch and large_cost:
            verdict = CAVEATS
            if not sgd_cheap:
                text += (" Caveat: one sample per update is not what makes SGD cheap; its "
                         "per-update overhead outweighs the saving and mini-batches win.")
            if not uphill:
                text += " Caveat: the single-sample steps were not as noisy as described."
        else:
            verdict = FAILS
            text += " Batch GD was not clearly costlier than mini-batch SGD here."
        key = (f"BGD {n['large_cost_ratio']:.1f}x mini-batch CPU at N={n['N_large']}; "
               f"B=1 {n['sgd_cost_ratio']:.1f}x")
        return Verdict(verdict, text, key)


EXPERIMENT = BatchSizeExperiment()
