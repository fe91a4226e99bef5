"""Pretraining and fine-tuning (source 003 "fine-tuning" L777-781; source 000 Q61 预训练): an MLP
pretrained on Digits 0-4 is fine-tuned on digits 5-9 from 10 images per class, against the same
net trained from scratch; fine-tuning all layers against retraining only the last layer.

Nets of one kind (one per draw of the 50 images) are trained side by side in one graph:
:class:`StackedMLP` holds K MLPs as (K, in, out) weights, so one batched matmul runs all of them
and each gets the gradient of its own loss (the loss is the sum over nets of each net's mean).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import gradlab
from gradlab import nn
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
from gradlab.nn import functional as F


class StackedMLP(nn.Module):
    """K ReLU MLPs of the same widths trained side by side: layer l of net k is
    ``h @ weight[k] + bias[k]`` with ``weight`` (K, in, out) and ``bias`` (K, 1, out).

    ``from_nets`` copies K separate ``nn.Linear`` stacks (gradlab's default init), so each net
    starts where the separate net would. Optional inverted dropout: ``p_in`` on the input and
    ``p_hidden`` after each hidden ReLU, an independent mask per net (training mode only).

    Shape:
        input (K, B, in) or (B, in) -> logits (K, B, out).
    """

    def __init__(self, k: int, dims: list[int], p_in: float = 0.0,
                 p_hidden: float = 0.0) -> None:
        super().__init__()
        self.k, self.dims, self.p_in, self.p_hidden = k, list(dims), p_in, p_hidden
        self.layers = nn.ModuleList()
        for i, o in zip(dims[:-1], dims[1:]):
            layer = nn.Module()
            layer.weight = nn.Parameter(gradlab.zeros(k, i, o))
            layer.bias = nn.Parameter(gradlab.zeros(k, 1, o))
            self.layers.append(layer)

    @classmethod
    def from_nets(cls, nets: list[list[nn.Linear]], p_in: float = 0.0,
                  p_hidden: float = 0.0) -> StackedMLP:
        """The stacked twin of ``nets``, each a list of ``nn.Linear`` layers."""
        dims = [nets[0][0].in_features] + [lin.out_features for lin in nets[0]]
        model = cls(len(nets), dims, p_in, p_hidden)
        with gradlab.no_grad():
            for i, layer in enumerate(model.layers):
                layer.weight.copy_(gradlab.tensor(
                    np.stack([n[i].weight.detach().numpy().T for n in nets])))
                layer.bias.copy_(gradlab.tensor(
                    np.stack([n[i].bias.detach().numpy()[None] for n in nets])))
        return model

    def forward(self, x):
        h = x
        if self.p_in:
            h = F.dropout(h, self.p_in, self.training)
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            h = h @ layer.weight + layer.bias
            if i < last:
                h = F.relu(h)
                if self.p_hidden:
                    h = F.dropout(h, self.p_hidden, self.training)
        return h


def linears(dims: list[int]) -> list[nn.Linear]:
    """Separate ``nn.Linear`` layers of an MLP with widths ``dims`` (gradlab's default init,
    drawn from gradlab's stream)."""
    return [nn.Linear(i, o) for i, o in zip(dims[:-1], dims[1:])]


def stacked_ce(logits, y, k: int):
    """The sum over the K nets of each net's mean cross-entropy (each net gets its own
    gradient): logits (K, B, C), labels (K, B) or (B,)."""
    c = logits.shape[-1]
    if y.ndim == 1:
        y = y.expand(k, y.shape[0])
    return F.cross_entropy(logits.reshape(-1, c), y.reshape(-1)) * k


def per_net_ce(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mean cross-entropy of each net in float64: logits (K, B, C), labels (K, B) or (B,)."""
    z = logits.astype(np.float64)
    z = z - z.max(-1, keepdims=True)
    lse = np.log(np.exp(z).sum(-1))
    yk = np.broadcast_to(y, z.shape[:2])
    return (lse - np.take_along_axis(z, yk[..., None], -1)[..., 0]).mean(-1)


def per_net_accuracy(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Accuracy of each net: logits (K, B, C), labels (K, B) or (B,)."""
    return (logits.argmax(-1) == y).mean(-1)


_DIMS = [64, 64, 64, 10]
_TARGET = 0.9      # training accuracy whose first step is counted


def _steps_to(acc_curve: np.ndarray, cap: int) -> np.ndarray:
    """Per net, the first number of updates after which the training accuracy is >= 90%
    (``acc_curve[s]`` is the accuracy after s updates); ``cap + 1`` where never reached."""
    hit = acc_curve >= _TARGET
    first = np.where(hit.any(0), hit.argmax(0), cap + 1)
    return first.astype(int)


def _fit(model: nn.Module, params, x, y, k: int, steps: int, features=None):
    """Full-batch Adam (lr 1e-3) for ``steps`` updates: the training accuracy of each net
    after 0..steps updates (steps + 1 rows) and each net's training cross-entropy after the
    last. With ``features``, ``model`` is the head only, applied to the fixed (frozen-body)
    features."""
    opt = gradlab.optim.Adam(params, lr=1e-3)
    yn = y.numpy()
    inp = x if features is None else features
    accs = []
    for s in range(steps + 1):
        logits = model(inp)
        accs.append(per_net_accuracy(logits.detach().numpy(), yn))
        if s == steps:
            final_ce = per_net_ce(logits.detach().numpy(), yn)
            break
        loss = stacked_ce(logits, y, k)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return np.array(accs), final_ce


class Pretraining(Experiment):
    """Steps to 90% training accuracy and test accuracy on Digits 5-9 (10 images per class)
    for scratch training, full fine-tuning and last-layer-only fine-tuning of an MLP
    pretrained on Digits 0-4; medians and means over 5 draws of the 50 images."""

    id = "pretraining"
    title = "Fine-tuning a pretrained net trains faster; tuning only the last layer is enough"
    source_ref = "source 003 L778-781 (fine-tuning); source 000 Q61 L20"
    claim = ("Fine-tuning a pretrained network on a new, small task reduces the training time "
             "compared with training the same network from scratch; and tuning only the last "
             "layer(s) on a small data set generalizes as well as tuning every layer (it "
             "lowers the risk of overfitting). Tested with one pretraining task (digits 0-4) "
             "and one new task (digits 5-9); 'avoids a bad initialization' and the reasons the "
             "seed gives (general low-level features) are not tested.")
    claim_zh = ("优点：减少训练时间；一方面不用再费力拟合基础特征，另一方面避免了不合适的初始化"
                "所引发无法拟合或拟合困难问题； / "
                "模型过拟合通常是因为模型参数与数据量不协调造成的；实际应用场景，通常数据量都不大，"
                "这种情况下只调整少量的高层特征会降低过拟合的风险；")
    protocol = ("MLP 64-64-64-10 (ReLU) pretrained on all Digits training images of 0-4 (Adam "
                "lr 1e-3, batch 64, 300 steps). New task: digits 5-9, 10 training images per "
                "class (5 draws of the 50 images), tested on the 5-9 test images. Per draw, "
                "from a fresh init: scratch (all layers new), full fine-tune (pretrained body, "
                "new last layer, all trained) and last-layer-only (body frozen, the same new "
                "last layer), each 200 full-batch Adam steps at lr 1e-3. Steps = updates until "
                "the training accuracy first reaches 90% (201 when never): ratio = median "
                "full-fine-tune steps / median scratch steps. Test accuracy: last-layer-only "
                "minus full fine-tune, mean over draws. 'Pretrained steps' in the registered "
                "protocol is read as the full fine-tune's (set before any run).")
    thresholds = {
        "steps_ratio_max": 0.5,        # median fine-tune steps / median scratch steps
        "head_only_vs_full_min": -0.01,  # test accuracy: last-layer-only - full fine-tune
    }
    revisions = ()

    #: draws of the 50 new-task images (the statistics are over these)
    draws = 5

    def measure(self, seed: int, quick: bool) -> Measurement:
        rng = np.random.default_rng([23, seed])
        tr, te = Digits(train=True), Digits(train=False)
        xtr = tr.data.numpy().reshape(len(tr), 64)
        ytr = tr.targets.numpy()
        xte = te.data.numpy().reshape(len(te), 64)
        yte = te.targets.numpy()
        steps, pre_steps, k = 200, 300, self.draws

        # ---- pretraining on digits 0-4
        src = np.flatnonzero(ytr < 5)
        xs = gradlab.tensor(perturb(xtr[src]))
        ys = gradlab.tensor(ytr[src])
        gradlab.manual_seed(10_000 * seed)
        pre = perturb(StackedMLP.from_nets([linears(_DIMS)]))
        opt = gradlab.optim.Adam(pre.parameters(), lr=1e-3)
        for _ in range(pre_steps):
            idx = gradlab.tensor(rng.integers(0, len(src), size=64))
            loss = stacked_ce(pre(xs[idx]), ys[idx], 1)
            opt.zero_grad()
            loss.backward()
            opt.step()
        te_src = yte < 5
        with gradlab.no_grad():
            src_logits = pre(gradlab.tensor(xte[te_src])).numpy()
        source_acc = float(per_net_accuracy(src_logits, yte[te_src])[0])
        body = [(layer.weight.detach().numpy()[0], layer.bias.detach().numpy()[0])
                for layer in pre.layers[:-1]]

        # ---- the new task: 5 draws of 10 images per class of 5-9
        sel = np.stack([np.concatenate([rng.choice(np.flatnonzero(ytr == c), 10, replace=False)
                                        for c in range(5, 10)]) for _ in range(k)])
        x = gradlab.tensor(perturb(xtr[sel]))          # (K, 50, 64)
        y = gradlab.tensor(ytr[sel])                    # (K, 50)
        te_new = yte >= 5
        xt, yt = gradlab.tensor(xte[te_new]), yte[te_new]

        gradlab.manual_seed(10_000 * seed + 1)
        scratch = perturb(StackedMLP.from_nets([linears(_DIMS) for _ in range(k)]))
        full = StackedMLP(k, _DIMS)
        head = StackedMLP(k, _DIMS[-2:])
        with gradlab.no_grad():
            for j, (w, b) in enumerate(body):
                full.layers[j].weight.copy_(gradlab.tensor(np.stack([w] * k)))
                full.layers[j].bias.copy_(gradlab.tensor(np.stack([b] * k)))
            for m in (full, head):   # the new last layer: the scratch net's, per draw
                m.layers[-1].weight.copy_(scratch.layers[-1].weight)
                m.layers[-1].bias.copy_(scratch.layers[-1].bias)
        frozen = StackedMLP(k, _DIMS[:-1])   # the pretrained body, never trained

        def body_of(m, inp):
            h = inp
            for layer in m.layers[:len(body)]:
                h = F.relu(h @ layer.weight + layer.bias)
            return h

        with gradlab.no_grad():
            for j in range(len(body)):
                frozen.layers[j].weight.copy_(full.layers[j].weight)
                frozen.layers[j].bias.copy_(full.layers[j].bias)
            feats = body_of(frozen, x)
        frozen_before = [layer.weight.detach().numpy().copy() for layer in frozen.layers]

        fits = {
            "scratch": _fit(scratch, scratch.parameters(), x, y, k, steps),
            "full": _fit(full, full.parameters(), x, y, k, steps),
            "head": _fit(head, head.parameters(), x, y, k, steps, features=feats),
        }
        curves = {name: f[0] for name, f in fits.items()}
        with gradlab.no_grad():
            test_logits = {"scratch": scratch(xt).numpy(), "full": full(xt).numpy(),
                           "head": head(body_of(frozen, xt)).numpy()}
        frozen_moved = max(float(np.abs(layer.weight.detach().numpy() - w0).max())
                           for layer, w0 in zip(frozen.layers, frozen_before))

        numbers: dict[str, Any] = {"draws": k, "steps": steps, "pretrain_steps": pre_steps,
                                   "images_per_class": 10, "target_acc": _TARGET,
                                   "source_test_acc": source_acc,
                                   "frozen_body_max_change": frozen_moved,
                                   "test_images": int(te_new.sum())}
        for name, curve in curves.items():
            st = _steps_to(curve, steps)
            acc = per_net_accuracy(test_logits[name], yt)
            numbers[f"{name}_steps_runs"] = [int(s) for s in st]
            numbers[f"{name}_steps"] = float(np.median(st))
            numbers[f"{name}_test_acc_runs"] = [float(a) for a in acc]
            numbers[f"{name}_test_acc"] = float(np.mean(acc))
            numbers[f"{name}_final_train_acc"] = float(np.mean(curve[-1]))
            numbers[f"{name}_final_train_ce"] = float(np.mean(fits[name][1]))
        numbers["steps_ratio"] = numbers["full_steps"] / numbers["scratch_steps"]
        numbers["head_only_vs_full"] = numbers["head_test_acc"] - numbers["full_test_acc"]

        fig, (a1, a2) = new_figure(ncols=2)
        colors = {"scratch": "tab:gray", "full": "tab:blue", "head": "tab:orange"}
        labels = {"scratch": "scratch", "full": "full fine-tune", "head": "last layer only"}
        for name, curve in curves.items():
            a1.plot(np.arange(steps + 1), np.median(curve, axis=1), color=colors[name],
                    label=labels[name])
        a1.axhline(_TARGET, color="k", ls=":", lw=0.8, label="90% target")
        a1.set(xlabel="Adam step", ylabel=f"training accuracy (median of {k} draws)",
               title="digits 5-9, 50 images", ylim=(0, 1.02))
        a1.legend()
        for i, name in enumerate(curves):
            runs = numbers[f"{name}_test_acc_runs"]
            a2.scatter([i] * k, runs, color=colors[name], s=20, alpha=0.6)
            a2.plot([i - 0.25, i + 0.25], [numbers[f"{name}_test_acc"]] * 2,
                    color=colors[name], lw=2)
        a2.set_xticks(range(3), [labels[n] for n in curves])
        a2.set(ylabel="test accuracy (digits 5-9)", title=f"after {steps} steps: each draw, mean")
        f1 = png(fig, "fine_tuning",
                 f"Training accuracy per Adam step on 50 images of digits 5-9 (median over "
                 f"{k} draws) from scratch, fine-tuning every layer of the net pretrained on "
                 f"digits 0-4, and training only its new last layer; test accuracy after "
                 f"{steps} steps for each draw (points) and their mean (bar).")
        return Measurement(numbers, [f1])

    def judge(self, n: dict[str, Any]) -> Verdict:
        t = self.thresholds
        k = n["draws"]
        speed = Criterion(f"median steps to {n['target_acc']:.0%} training accuracy, full "
                          f"fine-tune / scratch ({k} draws)", n["steps_ratio"], "<=",
                          t["steps_ratio_max"], "steps_ratio_max")
        top = Criterion(f"test accuracy, last-layer-only minus full fine-tune (mean of {k} "
                        "draws)", n["head_only_vs_full"], ">=", t["head_only_vs_full_min"],
                        "head_only_vs_full_min")
        cap = n["steps"]

        def steps(v: float) -> str:
            return f"more than {cap}" if v > cap else f"{v:g}"

        text = (f"To reach {n['target_acc']:.0%} training accuracy on 50 images of digits 5-9 "
                f"the net fine-tuned from digits 0-4 needed {steps(n['full_steps'])} steps "
                f"(median of {k} draws), from scratch {steps(n['scratch_steps'])}: a ratio of "
                f"{n['steps_ratio']:.2f} (faster means at most {t['steps_ratio_max']:g}). "
                f"Test accuracy after {cap} steps: last layer only "
                f"{n['head_test_acc']:.1%}, every layer {n['full_test_acc']:.1%}, scratch "
                f"{n['scratch_test_acc']:.1%} (means); last layer only minus every layer is "
                f"{n['head_only_vs_full'] * 100:+.1f} points (at least "
                f"{t['head_only_vs_full_min'] * 100:+g} to be as good). "
                f"Training accuracy at step {cap}: scratch {n['scratch_final_train_acc']:.1%}, "
                f"every layer {n['full_final_train_acc']:.1%}, last layer only "
                f"{n['head_final_train_acc']:.1%} (means).")
        if speed.passed and top.passed:
            verdict = HOLDS
        elif speed.passed or top.passed:
            verdict = CAVEATS
            text += (" Only one half shows: " + ("fine-tuning is faster, but tuning only the "
                                                 "last layer generalizes worse" if speed.passed
                                                 else "tuning only the last layer is as good, "
                                                 "but fine-tuning is not twice as fast") + ".")
        else:
            verdict = FAILS
            text += (" Neither half shows: fine-tuning is not twice as fast and tuning only "
                     "the last layer generalizes worse.")
        key = (f"steps {steps(n['full_steps'])} vs {steps(n['scratch_steps'])} "
               f"(ratio {n['steps_ratio']:.2f}); last layer only "
               f"{n['head_only_vs_full'] * 100:+.1f} pt")
        return Verdict(verdict, text, key, criteria=[speed, top])

    def checks(self, n: dict[str, Any]) -> list[Check]:
        """What the protocol relies on: the pretrained net learned its task, and the body of
        the last-layer-only nets did not move."""
        return [
            Check("the pretrained net learned digits 0-4 (test accuracy at least 90%)",
                  n["source_test_acc"] >= 0.9,
                  f"test accuracy on digits 0-4 {n['source_test_acc']:.1%}"),
            Check("last-layer-only: the frozen body is unchanged by training",
                  n["frozen_body_max_change"] == 0.0,
                  f"largest change of a body weight {n['frozen_body_max_change']:.1e}"),
        ]


EXPERIMENT = Pretraining()
