"""LayerNorm does not depend on the batch size, BatchNorm does (source 003 BN 更多研究 layer
norm: 避免了 batch 大小的影响; source 002 Q6 ② Layer Normalization): the same Digits MLP with
BatchNorm or LayerNorm after each hidden Linear, trained with batches of 2 and of 64; test
accuracy in eval mode.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import gradlab
from gradlab import optim
from gradlab.datasets import Digits
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
from gradlab.lab.experiments.e20_bn_init_sensitivity import NormStack, evaluate, train

_SAME_TOL = 1e-5     # check: LayerNorm output of a sample in a batch of 2 vs of 64


def batch_dependence(model: NormStack, x) -> float:
    """Largest change of the train-mode logits of the first two samples of ``x`` when they
    are passed as a batch of 2 instead of with the rest of ``x`` (net 0 of the stack; the
    running statistics are restored afterwards)."""
    state = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    model.train()
    with gradlab.no_grad():
        alone = model(x[:2]).numpy()[0]
        together = model(x).numpy()[0, :2]
    model.load_state_dict({k: gradlab.tensor(v) for k, v in state.items()})
    return float(np.abs(alone - together).max())


class LayerNormBatch(Experiment):
    """Test accuracy of a Digits MLP with BatchNorm or LayerNorm trained at batch size 2 and
    64, from the same starts."""

    id = "layernorm-batch-size"
    title = "LayerNorm does not depend on the batch size; BatchNorm does"
    source_ref = "source 003 BN L271; source 002 Q6 L203-217"
    claim = ("Layer normalization normalizes each sample over its own units, so it is not "
             "affected by the batch size and keeps no statistics; batch normalization, which "
             "normalizes each unit over the batch, is: trained with batches of 2 its test "
             "accuracy falls, LayerNorm's does not. (The source's 'less memory' is checked as the "
             "count of stored statistics, not measured in bytes.)")
    claim_zh = ("layer norm：针对单个样本在某一层上做归一化；优点是避免了 batch 大小的影响，"
                "也因不需要保存每一层的统计量而减小了内存的消耗；")
    protocol = (
        "Digits (1,438 training images, 359 test). MLP 64-64-64-10, BatchNorm1d or LayerNorm "
        "after each hidden Linear (before the ReLU), He-normal hidden weights; plain SGD lr "
        "0.05, 600 steps, batches of 2 and of 64 drawn at random; 5 starts (9 in full mode), "
        "each one init shared by the four nets (BN/LN x B = 2/64), trained side by side. Test "
        "accuracy in eval mode (BatchNorm on its running statistics). Per start the difference "
        "B = 64 minus B = 2; judged on the median over starts. Does not hold: BN's drop at "
        "most 1 pt. Holds: BN's drop at least 3 pt and LayerNorm's |median difference| at most "
        "1.5 pt. Holds with caveats otherwise (LayerNorm moving more than 1.5 pt, or a BN drop "
        "between 1 and 3 pt, which C.2 left open; fixed before any run).")
    thresholds = {
        "bn_drop_holds": 0.03,       # BN(B=64) - BN(B=2) test accuracy, for holds
        "bn_drop_fails": 0.01,       # at most this BN drop: does not hold
        "ln_move_max": 0.015,        # |LN(B=2) - LN(B=64)| test accuracy, for holds
    }
    revisions = ()

    widths = (64, 64)

    def measure(self, seed: int, quick: bool) -> Measurement:
        tr, te = Digits(train=True), Digits(train=False)
        x = gradlab.tensor(perturb(tr.data.reshape(len(tr), 64).numpy()))
        y = tr.targets
        xt, yt = te.data.reshape(len(te), 64), te.targets
        starts, steps, lr = (5, 600, 0.05) if quick else (9, 600, 0.05)
        batches = (2, 64)
        np.random.seed(3000 + seed)
        base = perturb(NormStack(starts, self.widths, "none"))
        rng = np.random.default_rng(seed)
        orders = {b: rng.integers(0, len(y), (steps, starts, b)) for b in batches}
        n: dict[str, Any] = {"starts": starts, "steps": steps, "lr": lr,
                             "batches": list(batches)}
        curves = {}
        for name, norm in (("bn", "batch"), ("ln", "layer")):
            for b in batches:
                model = NormStack(starts, self.widths, norm).copy_linear_from(base)
                opt = optim.SGD(model.parameters(), lr=lr)
                curves[name, b] = train(model, opt, x, y, orders[b])
                _, acc = evaluate(model, xt, yt)
                n[f"{name}_b{b}_test_acc_runs"] = [float(a) for a in acc]
                n[f"{name}_b{b}_test_acc"] = float(np.median(acc))
            n[f"{name}_buffers"] = model.buffer_count()
            n[f"{name}_batch_dependence"] = batch_dependence(model, xt[:64])
        n["buffers_per_bn_layer"] = n["bn_buffers"] / len(self.widths)
        for name in ("bn", "ln"):
            d = np.subtract(n[f"{name}_b64_test_acc_runs"], n[f"{name}_b2_test_acc_runs"])
            n[f"{name}_diff_runs"] = [float(v) for v in d]
            n[f"{name}_diff"] = float(np.median(d))
        n["bn_drop"] = n["bn_diff"]
        n["ln_move"] = abs(n["ln_diff"])
        return Measurement(n, [self._figure(n, curves)])

    @staticmethod
    def _figure(n, curves):
        fig, (a1, a2) = new_figure(ncols=2)
        colors = {"bn": "tab:blue", "ln": "tab:orange"}
        labels = {"bn": "BatchNorm", "ln": "LayerNorm"}
        for i, name in enumerate(("bn", "ln")):
            for j, b in enumerate(n["batches"]):
                xpos = j + (i - 0.5) * 0.3
                runs = [100 * v for v in n[f"{name}_b{b}_test_acc_runs"]]
                a1.bar(xpos, 100 * n[f"{name}_b{b}_test_acc"], width=0.28,
                       color=colors[name], label=labels[name] if j == 0 else None)
                a1.scatter([xpos] * len(runs), runs, color="k", s=9, zorder=3)
        lo = min(min(n[f"{k}_b{b}_test_acc_runs"]) for k in ("bn", "ln") for b in n["batches"])
        bottom = max(0.0, 100 * lo - 5)
        a1.set_ylim(bottom, 100 + 0.2 * (100 - bottom))   # room for the legend above 100%
        a1.set_yticks([v for v in range(0, 101, 10) if v >= bottom])
        a1.set_xticks([0, 1], [f"batch {b}" for b in n["batches"]])
        a1.set(ylabel="test accuracy, eval mode (%)",
               title=f"median of {n['starts']} starts (dots: each)")
        a1.legend(loc="upper center", ncol=2)
        w = 50
        for name in ("bn", "ln"):
            for b, ls in zip(n["batches"], ("--", "-")):
                c = np.median(curves[name, b], axis=1)
                a2.plot(np.arange(w, len(c) + 1), np.convolve(c, np.ones(w) / w, "valid"),
                        ls, color=colors[name], label=f"{labels[name]}, batch {b}")
        a2.set(yscale="log", xlabel="SGD step", title="training batch loss",
               ylabel=f"median over starts\n(mean of {w} steps)")
        a2.legend()
        return png(fig, "layernorm_batch",
                   "A Digits MLP with BatchNorm or LayerNorm trained with batches of 2 and 64: "
                   "test accuracy in eval mode (bars: median over starts, dots: each start) and "
                   "the training loss per step.")

    def judge(self, n: dict[str, Any]) -> Verdict:
        t = self.thresholds
        k = n["starts"]
        drop_f = Criterion(f"BatchNorm: test accuracy at batch 64 minus at batch 2 (median of "
                           f"{k} starts)", n["bn_drop"], ">", t["bn_drop_fails"],
                           "bn_drop_fails")
        drop_h = Criterion(f"BatchNorm: test accuracy at batch 64 minus at batch 2 (median of "
                           f"{k} starts)", n["bn_drop"], ">=", t["bn_drop_holds"],
                           "bn_drop_holds")
        ln = Criterion(f"LayerNorm: |test accuracy at batch 64 minus at batch 2| (median of "
                       f"{k} starts)", n["ln_move"], "<=", t["ln_move_max"], "ln_move_max")
        if not drop_f.passed:
            verdict, crit = FAILS, [drop_f]
        elif drop_h.passed and ln.passed:
            verdict, crit = HOLDS, [drop_h, ln]
        else:
            verdict, crit = CAVEATS, [drop_h, ln, drop_f]
        text = (f"Test accuracy (eval mode, median of {k} starts) with BatchNorm is "
                f"{n['bn_b64_test_acc']:.1%} at batch 64 and {n['bn_b2_test_acc']:.1%} at batch "
                f"2; with LayerNorm {n['ln_b64_test_acc']:.1%} and {n['ln_b2_test_acc']:.1%}. "
                f"Per start, batch 64 minus batch 2 is {100 * n['bn_drop']:+.1f} pt for "
                f"BatchNorm (holds needs at least {100 * t['bn_drop_holds']:g}, at most "
                f"{100 * t['bn_drop_fails']:g} does not hold) and {100 * n['ln_diff']:+.1f} pt "
                f"for LayerNorm (holds needs at most {100 * t['ln_move_max']:g} either way), "
                f"medians. ")
        if verdict == HOLDS:
            text += "So BatchNorm depends on the batch size and LayerNorm does not."
        elif verdict == FAILS:
            text += "BatchNorm did not lose accuracy at batch 2."
        elif not ln.passed:
            text += "BatchNorm loses at batch 2, but LayerNorm's accuracy moves too."
        else:
            text += "BatchNorm loses at batch 2, but less than the holds threshold."
        key = (f"batch 64 - batch 2: BN {100 * n['bn_drop']:+.1f} pt, "
               f"LN {100 * n['ln_diff']:+.1f} pt")
        return Verdict(verdict, text, key, criteria=crit)

    def checks(self, n: dict[str, Any]) -> list[Check]:
        """LayerNorm keeps no statistics and a sample's output does not depend on its batch;
        BatchNorm keeps three buffers per layer (running mean, variance, batch count)."""
        return [
            Check("LayerNorm keeps no running statistics; BatchNorm 3 buffers per layer",
                  n["ln_buffers"] == 0 and n["buffers_per_bn_layer"] == 3,
                  f"LayerNorm net {n['ln_buffers']} buffers, BatchNorm net {n['bn_buffers']} "
                  f"({n['buffers_per_bn_layer']:g} per layer)"),
            Check("LayerNorm: a sample's output is the same in a batch of 2 and of 64",
                  n["ln_batch_dependence"] <= _SAME_TOL,
                  f"largest change {n['ln_batch_dependence']:.1e} (at most {_SAME_TOL:g}); "
                  f"BatchNorm in train mode: {n['bn_batch_dependence']:.2g}"),
        ]


EXPERIMENT = LayerNormBatch()
