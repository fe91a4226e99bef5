"""Batch gradient descent vs mini-batch vs single-sample SGD: what each costs to reach a
target loss as the data set grows (source 000 Q65, source 002 Q4).

The cost is machine-independent: the number of examples whose gradient an optimizer computes
before the full training loss reaches the target (counted by an apply observer on the forward
matmul, so it is what autograd computed, not bookkeeping). CPU seconds are reported as notes
about this machine: they depend on the BLAS kernel, the CPU and gradlab's per-update overhead.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

import gradlab
from gradlab import autograd, nn, optim
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

_D, _K = 64, 10               # input dimension and classes of the softmax regression
_TEACHER_SCALE = 5.0          # teacher logits W* x with W* ~ N(0, (5 / sqrt(64))^2)
_EXCESS = 0.25                # target: full training loss within 0.25 nats of the teacher's
_MINI = 32
_LR = {"sgd": 0.02, "minibatch": 1.0, "batch": 4.0}
_SIZES = {"quick": (500, 2000, 8000, 32000), "full": (500, 2000, 8000, 32000, 128000)}
_CAP = {"sgd": 8000, "minibatch": 40000}   # examples; batch GD: 100 epochs
_EVERY = {"sgd": 50, "minibatch": 4, "batch": 1}   # updates between full-loss evaluations
_FIRST = 300                  # the B=1 updates the first protocol watched (reported)
_KINDS = ("sgd", "minibatch", "batch")
_LABEL = {"sgd": "single-sample SGD (B=1)", "minibatch": f"mini-batch (B={_MINI})",
          "batch": "batch GD (B=N)"}
_COLORS = {"sgd": "tab:red", "minibatch": "tab:green", "batch": "tab:blue"}


def _teacher_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` fresh samples (no two alike) of a softmax teacher: x ~ N(0, I_64), the label drawn
    from softmax(W* x). Returns the inputs (float32, through :func:`perturb`), the labels and
    the teacher's own cross-entropy on each sample (the loss of the true model)."""
    w = np.random.default_rng([11, seed]).standard_normal((_D, _K)) * _TEACHER_SCALE / _D ** 0.5
    rng = np.random.default_rng([12, seed])
    x = rng.standard_normal((n, _D))
    z = x @ w
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    y = (p.cumsum(axis=1) > rng.random((n, 1))).argmax(axis=1)
    return perturb(x.astype(np.float32)), y, -np.log(p[np.arange(n), y])


def _full_loss(model, X, y) -> float:
    with gradlab.no_grad():
        return float(F.cross_entropy(model(X), y))


def _train(kind: str, X, y, target: float, seed: int, watch: bool = False) -> dict[str, Any]:
    """Softmax regression (Linear(64, 10)) by plain SGD with batch 1, _MINI or N over shuffled
    epochs until the full training loss is at or below ``target`` (checked every
    ``_EVERY[kind]`` updates) or the cap is spent.

    Returns the examples and updates to the target (None if not reached), the examples
    processed in all, the rows and matmuls the forward pass ran in updates (apply observer),
    the CPU seconds spent in updates (process_time, loss evaluations excluded), the loss
    history (examples, loss), and, with ``watch``, the fraction of all updates that raised the
    full training loss (each is followed by a full-loss evaluation), the same over the first
    ``_FIRST`` updates, and the loss before and after them all."""
    n = len(X)
    batch = {"sgd": 1, "minibatch": _MINI, "batch": n}[kind]
    cap = _CAP.get(kind, 100 * n)
    gradlab.manual_seed(seed)
    model = perturb(nn.Linear(_D, _K))
    opt = optim.SGD(model.parameters(), lr=_LR[kind])
    rng = np.random.default_rng([seed, n, batch])
    counted = {"rows": 0, "matmuls": 0, "on": True}

    def count(cls, args, kwargs, results):
        if counted["on"] and cls.__name__ in ("Matmul", "Linear"):
            counted["matmuls"] += 1
            counted["rows"] += int(args[0].shape[0])

    def evaluate() -> float:
        counted["on"] = False
        v = _full_loss(model, X, y)
        counted["on"] = True
        return v

    first = evaluate()
    hist = [(0, first)]
    examples = updates = 0
    cpu, last, hit, ups = 0.0, first, None, []
    with autograd.observe(count):
        while hit is None and examples < cap:
            order = gradlab.tensor(rng.permutation(n)) if batch < n else None
            for i in range(0, n, batch):
                start = time.process_time()
                xb, yb = (X, y) if order is None else (X[order[i:i + batch]],
                                                       y[order[i:i + batch]])
                loss = F.cross_entropy(model(xb), yb)
                opt.zero_grad()
                loss.backward()
                opt.step()
                cpu += time.process_time() - start
                updates += 1
                examples += len(yb)
                if watch:
                    now = evaluate()
                    ups.append(now > last)
                    last = now
                if updates % _EVERY[kind] == 0:
                    hist.append((examples, last if watch else evaluate()))
                    if hist[-1][1] <= target:
                        hit = (examples, updates, cpu)
                        break
                if examples >= cap:
                    break
    out = {"batch": batch, "lr": _LR[kind], "reached": hit is not None,
           "examples_to_target": hit[0] if hit else None,
           "updates_to_target": hit[1] if hit else None,
           "cpu_to_target": hit[2] if hit else None,
           "examples": examples, "updates": updates, "cpu": cpu,
           "rows_counted": counted["rows"], "matmuls_counted": counted["matmuls"],
           "history": [list(h) for h in hist]}
    if watch:
        out.update(frac_uphill=float(np.mean(ups)), watched=len(ups),
                   frac_uphill_first=float(np.mean(ups[:_FIRST])),
                   loss_before_watch=first, loss_after_watch=last)
    return out


def _cost(run: dict) -> float:
    """Examples to the target, or all the examples processed (a lower bound) if not reached."""
    return float(run["examples_to_target"] if run["reached"] else run["examples"])


def _cpu(run: dict) -> float:
    return float(run["cpu_to_target"] if run["reached"] else run["cpu"])


def _slope(ns, values) -> float:
    """Least-squares slope of log(value) against log(N)."""
    return float(np.polyfit(np.log(ns), np.log(values), 1)[0])


def _crossover(ns, ratios, level: float) -> float | None:
    """The N at which ``ratios`` (one per N, in order) first reaches ``level``, interpolated in
    log-log between grid points; the first N if it already does there; None if it never does."""
    if ratios[0] >= level:
        return float(ns[0])
    for i in range(1, len(ns)):
        if ratios[i] >= level:
            a, b = np.log(ratios[i - 1]), np.log(ratios[i])
            f = (np.log(level) - a) / (b - a)
            return float(np.exp(np.log(ns[i - 1]) + f * (np.log(ns[i]) - np.log(ns[i - 1]))))
    return None


class BatchSizeExperiment(Experiment):
    """Softmax regression on fresh teacher data of growing size N: examples processed (and, as
    a machine note, CPU seconds) for batch 1, 32 and N to reach a target training loss."""

    id = "batch-size"
    title = "Batch GD vs mini-batch vs single-sample SGD: cost as the data grow"
    source_ref = "source 000 Q65; source 002 Q4"
    claim = ("Batch gradient descent is rarely used: every update touches the whole data set, "
             "which is too much computation when the data set is large; stochastic gradient "
             "descent updates from one sample at a time, each step not necessarily downhill "
             "but the overall direction right, and suits large data sets.")
    claim_zh = ("BGD每次需要用到全量数据，计算量太大 … 一次迭代对所有样本进行计算，"
                "但是当样本数 m 很大时，训练速度很慢。 … "
                "虽然不是每次迭代得到的损失函数都向着全局最优方向，但是大的整体的方向是向全局最优解的，"
                "适用于大规模训练样本情况")
    protocol = (
        "Softmax regression (gradlab Linear(64, 10), cross-entropy) on N fresh samples of a "
        "softmax teacher (x ~ N(0, I_64), labels drawn from softmax(W* x), no two samples "
        "alike), N = 500, 2,000, 8,000, 32,000 (full: also 128,000), fixed in advance. Plain "
        "SGD with batch 1 (lr 0.02), 32 (lr 1) and N (lr 4) over shuffled epochs until the full "
        "training loss is within 0.25 nats of the teacher's own loss on the same samples. Cost: "
        "examples whose gradient was computed to get there (counted on the forward matmul); its "
        "growth with N (log-log slope of batch GD's cost over mini-batch's) and the N where batch "
        "GD becomes 2x costlier; the fraction of the first 300 single-sample updates that raise "
        "the full loss (N = 500). CPU seconds in updates are a machine note.")
    thresholds = {
        "cost_growth_min": 0.5,       # slope of log(BGD/mini-batch examples to target) vs log N
        "large_cost_ratio_min": 2.0,  # BGD/mini-batch examples to target at the largest N
        "uphill_min": 0.1,            # fraction of single-sample updates that raise the loss
        "sgd_vs_batch_max": 0.5,      # B=1 examples to target / BGD's, at the largest N
    }
    revisions = (
        Revision(
            date="2026-11-27",
            what="The large data set went from 16x to 32x the Digits samples (Digits and 31 "
                 "noisy copies) for the CPU-to-target comparison (commit 1b902f3).",
            why="Disclosed by the session that made it: at 16x batch GD's CPU ratio to "
                "mini-batch sat closer to the 2x threshold; the judged ratio grows in proportion "
                "to the number of copies, so the choice set the margin.",
            moved="toward holds",
            effect="The review measured the ratio at 16x as 4.6-4.8 (seed 0) and at 32x as "
                   "10.9-11.4; holds with caveats for seeds 0-2 before and after."),
        Revision(
            date="2026-12-06",
            what="Data: N fresh samples of a softmax teacher at N = 500, 2,000, 8,000, 32,000 "
                 "(fixed now) instead of Digits and its noisy copies; cost: examples to the "
                 "target (machine-independent) instead of CPU seconds, which became a note; "
                 "criteria: the growth of batch GD's cost over mini-batch's with N (slope >= "
                 "0.5), batch GD >= 2x mini-batch at the largest N, uphill >= 10% and B=1 <= "
                 "0.5x batch GD's cost at the largest N (the source's 'suits large data'); the "
                 "near-tautological one-epoch loss gap and the B=1-vs-mini-batch CPU criterion "
                 "(not in the seed) were dropped. Learning rates (0.02, 1, 4) and the target "
                 "(0.25 nats above the teacher's loss) were picked from a probe on seed 0 at "
                 "N = 16,000 (best of 3-4 rates each).",
            why="Issue 13: the judged CPU ratio grew in proportion to the number of copies "
                "chosen by the developer and depended on the machine; noisy copies are redundant "
                "data. A sweep over N fixed in advance, on samples that are all different, "
                "measures the claim's 'when m is large' directly.",
            moved="toward holds",
            effect="Before: holds with caveats for seeds 0-2 (the caveat came from B=1's CPU "
                   "per update vs mini-batch). After: holds for seeds 0-2 on the SkylakeX and "
                   "Haswell kernels and with a 1e-6 jitter."),
        Revision(
            date="2026-12-06",
            what="The uphill fraction counts every single-sample update until the target is "
                 "reached at N = 500 (700 updates for seed 0), not only the first 300; "
                 "the first-300 fraction is still reported.",
            why="The source's sentence is about the whole course to the optimum. Changed after "
                "seeing the first 300 give 4% at lr 0.02 on seed 0 (below the 10% threshold).",
            moved="toward holds",
            effect="With the first 300: holds with caveats. With the run to the target: 10.0% "
                   "(seeds 0 and 2, exactly on the 10% threshold) and 10.6% (seed 1): holds, "
                   "the same on both kernels and jittered, but with no margin."),
        Revision(
            date="2026-12-06",
            what="The previous revision is withdrawn: the judged uphill fraction is again the "
                 "first 300 single-sample updates, as first registered; the fraction over the "
                 "whole run to the target is reported beside it, not judged.",
            why="A window chosen after seeing the registered one miss, which then lands exactly "
                "on the threshold, is a protocol tuned to a verdict. The registered window is "
                "judged, whatever it gives.",
            moved="toward does not hold",
            effect="Holds -> holds with caveats for seeds 0-2 (the first-300 fractions are in "
                   "the numbers as frac_uphill_first)."),
    )

    def measure(self, seed: int, quick: bool) -> Measurement:
        sizes = _SIZES["quick" if quick else "full"]
        X_all, y_all, teacher_all = _teacher_data(sizes[-1], seed)
        runs: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in _KINDS}
        teacher, targets = {}, {}
        for n in sizes:
            x, y = X_all[:n], y_all[:n]
            teacher[str(n)] = float(teacher_all[:n].mean())
            targets[str(n)] = teacher[str(n)] + _EXCESS
            X, Y = gradlab.tensor(x), gradlab.tensor(y)
            for k in _KINDS:
                runs[k][str(n)] = _train(k, X, Y, targets[str(n)], seed,
                                         watch=k == "sgd" and n == sizes[0])
        keys = [str(n) for n in sizes]
        cost = {k: [_cost(runs[k][s]) for s in keys] for k in _KINDS}
        cpu = {k: [_cpu(runs[k][s]) for s in keys] for k in _KINDS}
        ratio = [b / m for b, m in zip(cost["batch"], cost["minibatch"])]
        cpu_ratio = [b / m for b, m in zip(cpu["batch"], cpu["minibatch"])]
        watched = runs["sgd"][keys[0]]
        numbers: dict[str, Any] = {
            "sizes": list(sizes), "lr": dict(_LR), "excess_target": _EXCESS,
            "teacher_loss": teacher, "target_loss": targets,
            "runs": {k: {s: {kk: vv for kk, vv in r.items() if kk != "history"}
                         for s, r in runs[k].items()} for k in _KINDS},
            "history": {k: runs[k][keys[-1]]["history"] for k in _KINDS},
            "examples_to_target": cost, "cpu_to_target": cpu,
            "all_reached": all(runs[k][s]["reached"] for k in _KINDS for s in keys),
            "cost_ratio": ratio,
            "cost_growth": _slope(sizes, ratio),
            "batch_growth": _slope(sizes, cost["batch"]),
            "minibatch_growth": _slope(sizes, cost["minibatch"]),
            "large_cost_ratio": ratio[-1],
            "crossover_2x": _crossover(sizes, ratio, 2.0),
            "sgd_vs_batch": cost["sgd"][-1] / cost["batch"][-1],
            "sgd_vs_minibatch": cost["sgd"][-1] / cost["minibatch"][-1],
            "frac_uphill": watched["frac_uphill"],
            "frac_uphill_first": watched["frac_uphill_first"],
            "uphill_watched": watched["watched"],
            "uphill_loss_before": watched["loss_before_watch"],
            "uphill_loss_after": watched["loss_after_watch"],
            "cpu_ratio": cpu_ratio,
            "cpu_crossover_1x": _crossover(sizes, cpu_ratio, 1.0),
            "cpu_sgd_vs_minibatch": cpu["sgd"][-1] / cpu["minibatch"][-1],
            "cpu_per_update": {k: runs[k][keys[-1]]["cpu"] / runs[k][keys[-1]]["updates"]
                               for k in _KINDS},
        }
        return Measurement(numbers, self._figures(numbers))

    @staticmethod
    def _figures(n) -> list:
        fig, (a, b) = new_figure(ncols=2)
        for k in _KINDS:
            a.plot(n["sizes"], n["examples_to_target"][k], "o-", color=_COLORS[k],
                   label=_LABEL[k])
            b.plot(n["sizes"], n["cpu_to_target"][k], "o-", color=_COLORS[k], label=_LABEL[k])
        a.set(xscale="log", yscale="log", xlabel="training set size N",
              ylabel="examples processed to the target", title="cost (any machine)")
        b.set(xscale="log", yscale="log", xlabel="training set size N",
              ylabel="CPU seconds in updates", title="CPU time (this machine)")
        a.legend(fontsize=9)
        f1 = png(fig, "batch_size_cost",
                 "Examples whose gradient each optimizer computed (left) and CPU seconds it "
                 "spent in updates on this machine (right) before the full training loss came "
                 f"within {_EXCESS:g} nats of the teacher's, against the number of samples N.")
        fig, ax = new_figure()
        for k in _KINDS:
            h = np.array(n["history"][k], dtype=float)
            ax.plot(np.maximum(h[:, 0], 1.0), h[:, 1], color=_COLORS[k], label=_LABEL[k])
        big = str(n["sizes"][-1])
        right = max(h[-1][0] for h in n["history"].values())
        ax.plot([1, right], [n["target_loss"][big]] * 2, color="gray", ls=":", lw=1,
                label="target")
        ax.set(xscale="log", xlabel="examples processed (0 drawn at 1)",
               ylabel="full training loss", title=f"N = {int(big):,}")
        ax.legend(fontsize=9)
        f2 = png(fig, "batch_size_curves",
                 f"Full training loss against examples processed at N = {int(big):,} (the "
                 "start, 0 examples, is drawn at 1 on the log axis; dotted: the target).")
        return [f1, f2]

    def checks(self, n) -> list[Check]:
        runs = [(k, s, r) for k in _KINDS for s, r in n["runs"][k].items()]
        bad_rows = [f"{k} N={s}: {r['rows_counted']} vs {r['examples']}"
                    for k, s, r in runs if r["rows_counted"] != r["examples"]]
        bad_mm = [f"{k} N={s}: {r['matmuls_counted']} vs {r['updates']}"
                  for k, s, r in runs if r["matmuls_counted"] != r["updates"]]
        return [
            Check("examples counted on the forward matmul = examples in the batches",
                  not bad_rows, "; ".join(bad_rows) or f"equal in all {len(runs)} runs"),
            Check("one forward matmul per update", not bad_mm,
                  "; ".join(bad_mm) or f"equal in all {len(runs)} runs"),
        ]

    def judge(self, n) -> Verdict:
        t = self.thresholds
        big = n["sizes"][-1]
        growth = Criterion("growth of batch GD's cost over mini-batch's with N (log-log slope)",
                           n["cost_growth"], ">=", t["cost_growth_min"], "cost_growth_min")
        large = Criterion(f"batch GD / mini-batch examples to the target at N = {big}",
                          n["large_cost_ratio"], ">=", t["large_cost_ratio_min"],
                          "large_cost_ratio_min")
        uphill = Criterion(f"fraction of the first {_FIRST} single-sample updates that raise "
                           "the full loss", n["frac_uphill_first"], ">=", t["uphill_min"],
                           "uphill_min")
        sgd = Criterion(f"single-sample / batch GD examples to the target at N = {big}",
                        n["sgd_vs_batch"], "<=", t["sgd_vs_batch_max"], "sgd_vs_batch_max")
        cross = n["crossover_2x"]
        where = ("at no N of the grid" if cross is None
                 else f"already at the smallest, N = {cross:,.0f}" if cross == n["sizes"][0]
                 else f"from about N = {cross:,.0f} on")
        text = (f"To come within {n['excess_target']:g} nats of the teacher's loss, batch GD "
                f"processed {n['large_cost_ratio']:.1f}x the examples mini-batches did at "
                f"N = {big:,} (threshold {t['large_cost_ratio_min']:g}x), a ratio that grows "
                f"with N at a log-log slope of {n['cost_growth']:.2f} (threshold "
                f"{t['cost_growth_min']:g}; batch GD {n['batch_growth']:.2f}, mini-batch "
                f"{n['minibatch_growth']:.2f}) and is 2x or more {where}. "
                f"Single-sample SGD needed {n['sgd_vs_batch']:.3f}x batch GD's examples at "
                f"N = {big:,} (threshold {t['sgd_vs_batch_max']:g}x) and "
                f"{n['sgd_vs_minibatch']:.2f}x mini-batch's. "
                f"At N = {n['sizes'][0]:,}, {n['frac_uphill_first']:.0%} of the first {_FIRST} "
                f"single-sample updates raised the full loss (threshold "
                f"{t['uphill_min']:.0%}; {n['frac_uphill']:.0%} of all "
                f"{n['uphill_watched']} until the target), yet over them the loss went from "
                f"{n['uphill_loss_before']:.2f} to {n['uphill_loss_after']:.2f}.")
        sgd_part = uphill.passed and sgd.passed
        if not growth.passed:
            verdict = FAILS
            text += (" Batch GD's cost does not grow faster with N than mini-batch's here, so "
                     "the larger data set does not make it the costlier choice.")
            criteria = [growth]
        elif not large.passed:
            verdict = CAVEATS
            text += (" Caveat: its cost grows faster with N, but even at the largest N tested "
                     "batch GD is not 2x costlier.")
            criteria = [growth, large]
        else:
            verdict = HOLDS if sgd_part else CAVEATS
            if not uphill.passed:
                text += " Caveat: the single-sample steps were not as noisy as described."
            if not sgd.passed:
                text += (" Caveat: single-sample SGD did not need clearly fewer examples than "
                         "batch GD at the largest N.")
            criteria = [growth, large, uphill, sgd]
        if not n["all_reached"]:
            text += " Some runs stopped at their cap short of the target (costs: lower bounds)."
        cc = n["cpu_crossover_1x"]
        notes = [
            "CPU seconds (this machine, one BLAS thread; they vary with the CPU, the BLAS "
            "kernel and load): batch GD over mini-batch "
            + ", ".join(f"{r:.2f}x at N = {s:,}" for s, r in zip(n["sizes"], n["cpu_ratio"]))
            + (f"; batch GD is the costlier from about N = {cc:,.0f}" if cc is not None
               else "; batch GD is the cheaper at every N of the grid")
            + f"; single-sample SGD took {n['cpu_sgd_vs_minibatch']:.1f}x mini-batch's CPU at "
            f"N = {big:,} ({1e3 * n['cpu_per_update']['sgd']:.2f} ms per update vs "
            f"{1e3 * n['cpu_per_update']['minibatch']:.2f} ms at B = {_MINI})."]
        key = (f"BGD {n['large_cost_ratio']:.0f}x mini-batch examples at N={big:,}; "
               f"slope {n['cost_growth']:.2f}")
        return Verdict(verdict, text, key, criteria=criteria, notes=notes)


EXPERIMENT = BatchSizeExperiment()
