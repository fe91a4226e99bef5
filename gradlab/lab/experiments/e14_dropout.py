"""Dropout on a small data set: the train/test gap, and inverted dropout vs test-time scaling
(source 003, "dropout": 不仅能防止过拟合 ... 测试流程：每个神经单元的权重参数要乘以概率 p).

* An over-sized MLP (64-128-128-10) is trained on 150 Digits images with and without dropout
  (the source's rates: 0.2 on the input, 0.5 on both hidden layers), full-batch Adam; the gap
  between test and training cross-entropy, both in eval mode, and the test accuracy are
  compared, averaged over repeats.
* Expected activations: ``E[dropout(h)]`` over many masks, for gradlab's inverted dropout
  (survivors scaled by 1/(1-p), identity at test) and for the classic scheme (mask only in
  training, activations times the keep probability 1-p at test), at p = 0.2 and 0.5.
* Both schemes trained from the same start on the same masks: do their test predictions
  agree?
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
    Revision,
    Verdict,
    new_figure,
    perturb,
    png,
)
from gradlab.nn import functional as F


class ClassicDropout(nn.Module):
    """Dropout as first described (Hinton et al. 2012): in training each element is zeroed with
    probability p and the survivors are NOT rescaled; at test the input is multiplied by the
    keep probability ``1 - p`` (source 003's test-time scaling, with the keep probability).

    Shape: any; output the input's shape.
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"ClassicDropout: p must be in [0, 1), got {p}")
        self.p = p

    def forward(self, x):
        if self.training:
            return F.dropout(x, self.p, True) * (1.0 - self.p)   # the 0/1 mask, unscaled
        return x * (1.0 - self.p)


def _mlp(kind: type | None, width: int, p_in: float, p_hidden: float) -> nn.Module:
    """64-width-width-10 ReLU MLP; with ``kind`` (a dropout class), dropout ``p_in`` on the
    input and ``p_hidden`` after each hidden ReLU."""
    layers: list[nn.Module] = [kind(p_in)] if kind is not None else []
    layers += [nn.Linear(64, width), nn.ReLU()]
    if kind is not None:
        layers.append(kind(p_hidden))
    layers += [nn.Linear(width, width), nn.ReLU()]
    if kind is not None:
        layers.append(kind(p_hidden))
    layers.append(nn.Linear(width, 10))
    return nn.Sequential(*layers)


def _train(model: nn.Module, x, y, steps: int, lr: float) -> None:
    opt = gradlab.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(steps):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()


def _evaluate(model: nn.Module, x, y) -> tuple[float, float, np.ndarray]:
    """(cross-entropy, accuracy, predicted classes) in eval mode."""
    model.eval()
    with gradlab.no_grad():
        logits = model(x)
        loss = float(F.cross_entropy(logits, y).item())
    pred = logits.numpy().argmax(1)
    return loss, float((pred == y.numpy()).mean()), pred


def _expected_activation(p: float, draws: int) -> tuple[float, float, float]:
    """Mean over ``draws`` masks of the training-mode output divided by the test-mode output,
    averaged over 512 positive activations: (inverted dropout, classic dropout with the
    test-time keep-probability scaling, classic dropout's training output over the source's
    test output ``p x``)."""
    h = gradlab.tensor(perturb(np.random.uniform(0.5, 1.5, size=(1, 512)).astype(np.float32)))
    hs = h.expand(draws, 512)
    inv = F.dropout(hs, p, True).numpy().mean(0) / F.dropout(h, p, False).numpy()[0]
    classic = ClassicDropout(p)
    classic.train()
    c_train = classic(hs).numpy().mean(0)
    classic.eval()
    c_test = classic(h).numpy()[0]
    seed_rule = c_train / (p * h.numpy()[0])
    return float(inv.mean()), float((c_train / c_test).mean()), float(seed_rule.mean())


class Dropout(Experiment):
    """Test-minus-train cross-entropy with and without dropout on 150 Digits images, expected
    activations of inverted and classic dropout, and the two schemes' test predictions."""

    id = "dropout"
    title = "Dropout narrows the train/test gap and does not cost test accuracy"
    source_ref = "source 003 (dropout)"
    claim = ("Dropout prevents overfitting and improves generalization: on a small data set an "
             "over-sized net trained with dropout has a smaller gap between test and training "
             "loss, and a test accuracy at least as high, than the same net without it (the "
             "bagging effect the seed names is not tested). At test time the activations are "
             "scaled by the keep probability 1 - p (the seed writes p): the expected "
             "activations of inverted and classic dropout are checks, not the verdict.")
    claim_zh = ("不仅能防止过拟合，而且因为部署时所有神经元都参与，所以有了 bagging 的效果，"
                "会提升泛化能力； / 每个神经单元的权重参数要乘以概率 p")
    protocol = ("(1) 150 Digits training images (15 per class, drawn by the seed), test on the "
                "359 test images; MLP 64-128-128-10 (26k weights), full-batch Adam lr 1e-3, "
                "200 steps (500 in full mode), with and without dropout at the source's "
                "recommended rates (drop 0.2 on the input, 0.5 after each hidden ReLU); gap = "
                "test CE - train CE (eval mode), mean over 3 starts (6 in full mode); test "
                "accuracy, same starts. (2) Checks: E[train output] / test output over 4,000 "
                "masks for inverted and classic dropout at p = 0.2 and 0.5, and the source's "
                "rule (test output p x) measured the same way; classic dropout (mask only, "
                "x(1-p) at test) trained from the same start on the same masks as the "
                "inverted net: agreement of their test predictions.")
    thresholds = {
        "gap_ratio_max": 0.8,        # dropout CE gap / plain CE gap
        "test_acc_gain_min": 0.0,    # dropout test accuracy - plain test accuracy
        "expectation_tol": 0.02,     # check: |E[train] / test - 1| for both schemes
        "agreement_min": 0.9,        # check: classic vs inverted, same test prediction
    }
    revisions = (
        Revision(
            date="2026-11-27",
            what="Dropout 0.2 on the input added to the protocol (before the first commit, "
                 "728f7b2).",
            why="The seed recommends it (推荐 输入层 0.8，隐层 0.5: keep probabilities).",
            moved="not known",
            effect="the verdicts without input dropout were not recorded."),
        Revision(
            date="2026-11-27",
            what="An accuracy-gap condition was replaced by 'test accuracy must not fall' "
                 "(before the first commit, 728f7b2).",
            why="Disclosed by the session that built the lab (stricter condition).",
            moved="toward does not hold",
            effect="it gives the caveat on seeds 0-2 (test accuracy falls 1.5-1.9 points); "
                   "the verdicts under the earlier condition were not recorded."),
        Revision(
            date="2026-12-06",
            what="The expected activations of inverted and classic dropout and the agreement "
                 "of their predictions are checks, no longer conditions of the verdict; the "
                 "verdict comes from the gap ratio and the test accuracy alone: both -> "
                 "holds, one -> holds with caveats, neither -> does not hold.",
            why="The expectations are arithmetic of the mask; before, 'does not hold' needed "
                "the scaling check to fail as well, so the overfitting claim alone could "
                "never give it (review).",
            moved="toward does not hold",
            effect="holds with caveats for seeds 0-2 before and after, on both kernels."),
        Revision(
            date="2026-12-06",
            what="seed_rule_ratio is measured over the masks (E[mask x] / (p x)) instead of "
                 "computed as classic_ratio (1 - p) / p.",
            why="The seed error and the explanation call it measured (review).",
            moved="none",
            effect="a check, not the verdict; the value is the same to float32 rounding "
                   "(4.000 at p = 0.2, seed 0)."),
    )

    def measure(self, seed: int, quick: bool) -> Measurement:
        rng = np.random.default_rng(seed)
        tr, te = Digits(train=True), Digits(train=False)
        ytr_all = tr.targets.numpy()
        idx = np.concatenate([rng.choice(np.flatnonzero(ytr_all == c), 15, replace=False)
                              for c in range(10)])
        x = perturb(tr.data.reshape(len(tr), 64)[gradlab.tensor(idx)])
        y = tr.targets[gradlab.tensor(idx)]
        xt, yt = te.data.reshape(len(te), 64), te.targets
        repeats, steps, width = (3, 200, 128) if quick else (6, 500, 128)
        p_in, p = 0.2, 0.5

        rows: dict[str, list] = {"plain": [], "dropout": [], "classic": []}
        agreement = []
        for r in range(repeats):
            gradlab.manual_seed(1000 * seed + r)
            nets = {"plain": perturb(_mlp(None, width, p_in, p)),
                    "dropout": _mlp(nn.Dropout, width, p_in, p)}
            if r == 0 or not quick:
                nets["classic"] = _mlp(ClassicDropout, width, p_in, p)
            with gradlab.no_grad():   # the plain net's start for all (same Linear layers)
                for ps in zip(*(m.parameters() for m in nets.values())):
                    for q in ps[1:]:
                        q.copy_(ps[0])
            _train(nets["plain"], x, y, steps, 1e-3)
            state = gradlab.get_rng_state()
            _train(nets["dropout"], x, y, steps, 1e-3)
            if "classic" in nets:
                gradlab.set_rng_state(state)   # the classic net sees the same masks
                _train(nets["classic"], x, y, steps, 1e-3)
            preds = {}
            for name, m in nets.items():
                trl, tra, _ = _evaluate(m, x, y)
                tel, tea, preds[name] = _evaluate(m, xt, yt)
                rows[name].append((trl, tra, tel, tea))
            if "classic" in preds:
                agreement.append(float((preds["dropout"] == preds["classic"]).mean()))

        def mean(name: str, i: int) -> float:
            return float(np.mean([row[i] for row in rows[name]]))

        numbers: dict[str, Any] = {"repeats": repeats, "steps": steps, "p": p, "p_input": p_in,
                                   "width": width, "train_size": int(len(idx)),
                                   "classic_repeats": len(agreement)}
        for name in rows:
            numbers[f"{name}_train_ce"] = mean(name, 0)
            numbers[f"{name}_train_acc"] = mean(name, 1)
            numbers[f"{name}_test_ce"] = mean(name, 2)
            numbers[f"{name}_test_acc"] = mean(name, 3)
            numbers[f"{name}_ce_gap"] = numbers[f"{name}_test_ce"] - numbers[f"{name}_train_ce"]
            numbers[f"{name}_acc_gap"] = (numbers[f"{name}_train_acc"]
                                          - numbers[f"{name}_test_acc"])
        numbers["gap_ratio"] = (numbers["dropout_ce_gap"] / numbers["plain_ce_gap"]
                                if numbers["plain_ce_gap"] > 0 else float("inf"))
        numbers["agreement"] = float(np.mean(agreement))
        draws = 4000
        for q in (0.2, 0.5):
            inv_ratio, classic_ratio, seed_ratio = _expected_activation(q, draws)
            numbers[f"inverted_ratio_p{q:g}"] = inv_ratio
            numbers[f"classic_ratio_p{q:g}"] = classic_ratio
            # the source's literal rule, measured: E[mask * input] over the test output p * input
            numbers[f"seed_rule_ratio_p{q:g}"] = seed_ratio

        fig, (a1, a2) = new_figure(ncols=2)
        names = ["plain", "dropout", "classic"]
        pos = np.arange(3)
        a1.bar(pos - 0.2, [numbers[f"{n}_train_ce"] for n in names], 0.4, label="train CE")
        a1.bar(pos + 0.2, [numbers[f"{n}_test_ce"] for n in names], 0.4, label="test CE")
        a1.set_xticks(pos, ["no dropout", "inverted", "classic"])
        a1.set_yscale("log")
        a1.set_ylabel("cross-entropy (eval mode)")
        a1.set_title(f"{len(idx)} training images, dropout {p_in:g} in / {p:g} hidden")
        a1.legend()
        ps = [0.2, 0.5]
        w = 0.25
        a2.bar(np.arange(2) - w, [numbers[f"inverted_ratio_p{q:g}"] for q in ps], w,
               label="inverted: E[train] / test")
        a2.bar(np.arange(2), [numbers[f"classic_ratio_p{q:g}"] for q in ps], w,
               label="classic, test x (1-p)")
        a2.bar(np.arange(2) + w, [numbers[f"seed_rule_ratio_p{q:g}"] for q in ps], w,
               label="classic, test x p (seed)")
        a2.axhline(1.0, color="grey", ls=":", lw=1)
        a2.set_xticks(np.arange(2), [f"p = {q:g}" for q in ps])
        a2.set_ylabel("E[training activation] / test activation")
        a2.set_title(f"{draws} masks, 512 units")
        a2.legend()
        f1 = png(fig, "dropout_gap_and_scaling",
                 "Left: train and test cross-entropy with and without dropout. Right: expected "
                 "training activation over test activation for each test-time rule.")
        return Measurement(numbers, [f1])

    def checks(self, n: dict[str, Any]) -> list[Check]:
        t = self.thresholds
        tol = t["expectation_tol"]
        out = []
        for k, label in (("inverted", "inverted dropout: E[train] = test output"),
                         ("classic", "classic dropout, test x (1 - p): E[train] = test output")):
            vals = [n[f"{k}_ratio_p{q}"] for q in ("0.2", "0.5")]
            out.append(Check(label, all(abs(v - 1.0) <= tol for v in vals),
                             f"E[train] / test {vals[0]:.3f} at p = 0.2, {vals[1]:.3f} at "
                             f"p = 0.5 (within {tol:g} of 1)"))
        seed = [(q, n[f"seed_rule_ratio_p{q:g}"]) for q in (0.2, 0.5)]
        out.append(Check(
            "the source's rule (test x p) is off by (1 - p) / p",
            all(abs(v / ((1 - q) / q) - 1.0) <= tol for q, v in seed),
            "; ".join(f"p = {q:g}: E[train] / (p x) {v:.3f}, (1 - p) / p = {(1 - q) / q:.3f}"
                      for q, v in seed)))
        out.append(Check(
            "classic and inverted dropout predict alike (same start, same masks)",
            n["agreement"] >= t["agreement_min"],
            f"{n['agreement']:.1%} of test predictions agree (at least "
            f"{t['agreement_min']:.0%})"))
        return out

    def judge(self, n: dict[str, Any]) -> Verdict:
        t = self.thresholds
        gain = n["dropout_test_acc"] - n["plain_test_acc"]
        gap = Criterion("test-minus-train CE gap, dropout / no dropout", n["gap_ratio"], "<=",
                        t["gap_ratio_max"], "gap_ratio_max")
        acc = Criterion("test accuracy, dropout minus no dropout", gain, ">=",
                        t["test_acc_gain_min"], "test_acc_gain_min")
        if gap.passed and acc.passed:
            verdict = HOLDS
        elif gap.passed or acc.passed:
            verdict = CAVEATS
        else:
            verdict = FAILS
        explanation = (
            f"With dropout ({n['p_input']:g} input, {n['p']:g} hidden) the test-minus-train "
            f"cross-entropy gap is {n['dropout_ce_gap']:.2f} vs {n['plain_ce_gap']:.2f} "
            f"without (ratio {n['gap_ratio']:.2f}, narrower means <= {t['gap_ratio_max']:g}; "
            f"mean of {n['repeats']} starts), so dropout "
            f"{'narrows' if gap.passed else 'does not clearly narrow'} the gap. "
            f"Test accuracy {'does not fall' if acc.passed else 'falls'}: "
            f"{n['dropout_test_acc']:.1%} vs {n['plain_test_acc']:.1%} (gain {gain:+.1%}, "
            f"required >= {t['test_acc_gain_min']:+.0%}; train accuracy "
            f"{n['dropout_train_acc']:.1%} vs {n['plain_train_acc']:.1%}). "
            f"Checks, not the verdict: the expected training activation over the test one is "
            f"{n['inverted_ratio_p0.2']:.3f} / {n['inverted_ratio_p0.5']:.3f} for inverted "
            f"dropout and {n['classic_ratio_p0.2']:.3f} / {n['classic_ratio_p0.5']:.3f} for the "
            f"classic scheme scaled by the keep probability (p = 0.2 / 0.5), and measured "
            f"{n['seed_rule_ratio_p0.2']:.2f} at p = 0.2 with the source's scaling by p; the two "
            f"schemes agree on {n['agreement']:.1%} of test predictions.")
        key = (f"CE gap {n['dropout_ce_gap']:.2f} vs {n['plain_ce_gap']:.2f}; "
               f"test acc {gain:+.1%}")
        return Verdict(verdict, explanation, key, criteria=[gap, acc])


EXPERIMENT = Dropout()
