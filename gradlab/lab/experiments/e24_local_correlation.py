"""CNNs need local correlation (source 003 L88): a small CNN and an MLP trained on Digits and on
Digits with its 64 pixels shuffled by one fixed permutation. The permutation destroys which
pixels are neighbours and nothing else, so the MLP (blind to pixel order) is the control.

Several starts of each net are trained side by side in one graph: ``StackedCNN`` runs K CNNs
as one grouped convolution (``groups=K``, net k owns channel block k) and a batched matmul
for their linear heads; ``StackedMLP`` runs K MLPs as batched matmuls. Both are built from
separate nets (``from_nets``), so the starting points are those of the separate nets, and
Adam, being elementwise, updates each net exactly as it would alone. ``cnn(pool=False)`` (the
same convolutions without pooling) is there for a shift-tolerance experiment built on these
nets.
"""

from __future__ import annotations

from typing import Any

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
    Verdict,
    new_figure,
    perturb,
    png,
)
from gradlab.nn import functional as F

#: channels of the two 3x3 convolutions, hidden width of the MLP
CONV = (16, 32)
HIDDEN = 128
#: relative difference allowed between a stacked net and the same net alone (float32 sums in
#: another order; a wrong stacking is off by O(1))
STACK_TOL = 1e-4


def cnn(pool: bool) -> nn.Sequential:
    """One CNN on (N, 1, 8, 8): conv3x3(16, pad 1)-ReLU-[maxpool 2]-conv3x3(32, pad 1)-ReLU-
    [maxpool 2]-Linear(., 10): 32x2x2 = 128 features with pooling, 32x8x8 = 2,048 without."""
    c1, c2 = CONV
    layers: list = [nn.Conv2d(1, c1, 3, padding=1), nn.ReLU()]
    if pool:
        layers.append(nn.MaxPool2d(2))
    layers += [nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU()]
    if pool:
        layers.append(nn.MaxPool2d(2))
    side = 2 if pool else 8
    layers += [nn.Flatten(), nn.Linear(c2 * side * side, 10)]
    return nn.Sequential(*layers)


def mlp() -> nn.Sequential:
    """One MLP 64-128-10 with ReLU on (N, 64)."""
    return nn.Sequential(nn.Linear(64, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 10))


def _copy(dst, value: np.ndarray) -> None:
    with gradlab.no_grad():
        dst.copy_(gradlab.tensor(np.ascontiguousarray(value, dtype=np.float32)))


def _np(t) -> np.ndarray:
    return t.detach().numpy()


class StackedCNN(nn.Module):
    """K copies of ``cnn(pool)`` in one graph: input (K, B, 64) (net k's flattened 8x8
    images), logits (K, B, 10).

    The two convolutions are grouped (groups=K): input channel k is net k's image and output
    channels [c k, c (k + 1)) are net k's, so each net only sees its own channels; the heads
    are a batched matmul with weights (K, features, 10).
    """

    def __init__(self, k: int, pool: bool) -> None:
        super().__init__()
        c1, c2 = CONV
        self.k, self.pool = k, pool
        self.side = 2 if pool else 8
        self.conv1 = nn.Conv2d(k, c1 * k, 3, padding=1, groups=k)
        self.conv2 = nn.Conv2d(c1 * k, c2 * k, 3, padding=1, groups=k)
        self.features = c2 * self.side * self.side
        self.weight = nn.Parameter(gradlab.zeros(k, self.features, 10))
        self.bias = nn.Parameter(gradlab.zeros(k, 1, 10))

    @classmethod
    def from_nets(cls, nets: list[nn.Sequential], pool: bool) -> StackedCNN:
        """The stacked twin of ``nets`` (each built by ``cnn(pool)``), same parameters."""
        model = cls(len(nets), pool)
        convs = [[m for m in n.modules() if isinstance(m, nn.Conv2d)] for n in nets]
        heads = [[m for m in n.modules() if isinstance(m, nn.Linear)][0] for n in nets]
        for i, conv in enumerate((model.conv1, model.conv2)):
            _copy(conv.weight, np.concatenate([_np(c[i].weight) for c in convs]))
            _copy(conv.bias, np.concatenate([_np(c[i].bias) for c in convs]))
        _copy(model.weight, np.stack([_np(h.weight).T for h in heads]))
        _copy(model.bias, np.stack([_np(h.bias)[None] for h in heads]))
        return model

    def conv_features(self, x):
        """ReLU of the first convolution: (K, B, 64) -> (B, 16 K, 8, 8)."""
        k, b, _ = x.shape
        return F.relu(self.conv1(x.transpose(0, 1).reshape(b, k, 8, 8)))

    def forward(self, x):
        b = x.shape[1]
        h = self.conv_features(x)
        if self.pool:
            h = F.max_pool2d(h, 2)
        h = F.relu(self.conv2(h))
        if self.pool:
            h = F.max_pool2d(h, 2)
        h = h.reshape(b, self.k, self.features).transpose(0, 1)
        return h @ self.weight + self.bias


class StackedMLP(nn.Module):
    """K copies of ``mlp()`` as batched matmuls: input (K, B, 64), logits (K, B, 10)."""

    def __init__(self, k: int) -> None:
        super().__init__()
        self.k = k
        self.w1 = nn.Parameter(gradlab.zeros(k, 64, HIDDEN))
        self.b1 = nn.Parameter(gradlab.zeros(k, 1, HIDDEN))
        self.w2 = nn.Parameter(gradlab.zeros(k, HIDDEN, 10))
        self.b2 = nn.Parameter(gradlab.zeros(k, 1, 10))

    @classmethod
    def from_nets(cls, nets: list[nn.Sequential], rows: list | None = None) -> StackedMLP:
        """The stacked twin of ``nets`` (each built by ``mlp()``). ``rows[k]``, when given,
        reorders net k's first-layer input weights: net k on pixels ``x[:, rows[k]]`` then
        computes exactly what the original net computes on ``x``."""
        model = cls(len(nets))
        lin = [[m for m in n.modules() if isinstance(m, nn.Linear)] for n in nets]
        w1 = [_np(ls[0].weight).T for ls in lin]
        if rows is not None:
            w1 = [w if r is None else w[r] for w, r in zip(w1, rows)]
        _copy(model.w1, np.stack(w1))
        _copy(model.b1, np.stack([_np(ls[0].bias)[None] for ls in lin]))
        _copy(model.w2, np.stack([_np(ls[1].weight).T for ls in lin]))
        _copy(model.b2, np.stack([_np(ls[1].bias)[None] for ls in lin]))
        return model

    def forward(self, x):
        return F.relu(x @ self.w1 + self.b1) @ self.w2 + self.b2


def per_net_ce(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mean cross-entropy of each net (float64): logits (K, B, 10), labels (K, B) or (B,)."""
    z = logits.astype(np.float64)
    z = z - z.max(-1, keepdims=True)
    lse = np.log(np.exp(z).sum(-1))
    yk = np.broadcast_to(y, z.shape[:2])
    return (lse - np.take_along_axis(z, yk[..., None], -1)[..., 0]).mean(-1)


def train(model: nn.Module, x: np.ndarray, y: np.ndarray, order: np.ndarray,
          lr: float = 1e-3) -> np.ndarray:
    """Adam on the stacked ``model``: net k sees images ``x[k]`` (K, N, 64) with labels ``y``
    (N,), batch ``order[t, k]`` at step t (order: (steps, K, B)). The loss is the sum over
    nets of each net's mean cross-entropy, so each net gets its own gradient. Returns the batch
    loss per step and net (steps, K)."""
    k = x.shape[0]
    opt = optim.Adam(model.parameters(), lr=lr)
    nets = np.arange(k)[:, None]
    curve = np.empty(order.shape[:2])
    for t, idx in enumerate(order):
        yb = y[idx]
        logits = model(gradlab.tensor(x[nets, idx]))
        loss = F.cross_entropy(logits.reshape(-1, 10), gradlab.tensor(yb.reshape(-1))) * k
        opt.zero_grad()
        loss.backward()
        opt.step()
        curve[t] = per_net_ce(_np(logits), yb)
    return curve


def evaluate(model: nn.Module, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Accuracy and cross-entropy of each net on its images ``x[k]`` (K, M, 64), labels y."""
    with gradlab.no_grad():
        logits = _np(model(gradlab.tensor(x)))
    return (logits.argmax(-1) == y).mean(-1), per_net_ce(logits, y)


def stack_error(model: nn.Module, nets: list, x: np.ndarray, image: bool) -> float:
    """Largest difference between the stacked model's logits on ``x`` (K', M, 64) and those
    of the separate ``nets`` (the first len(nets) of the K' stacked ones, net k on its images
    ``x[k]``), relative to the largest |logit|."""
    with gradlab.no_grad():
        got = _np(model(gradlab.tensor(x)))[:len(nets)]
        want = np.stack([_np(n(gradlab.tensor(xi.reshape(-1, 1, 8, 8) if image else xi)))
                         for n, xi in zip(nets, x)])
    return float(np.abs(got - want).max() / np.abs(want).max())


def digits_arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Digits train and test images flattened to (N, 64) float32 (perturbed by the run's
    jitter) and their labels."""
    tr, te = Digits(train=True), Digits(train=False)
    xtr = perturb(tr.data.numpy().reshape(len(tr), 64))
    xte = perturb(te.data.numpy().reshape(len(te), 64))
    return xtr, tr.targets.numpy(), xte, te.targets.numpy()


def build_starts(kind: str, starts: int, seed: int, tag: int) -> list[nn.Sequential]:
    """``starts`` separate nets (``kind`` "pool", "nopool" or "mlp"), drawn in turn from
    gradlab's stream seeded by the run's seed and the experiment's tag."""
    gradlab.manual_seed(1000 * seed + tag)
    make = {"pool": lambda: cnn(True), "nopool": lambda: cnn(False), "mlp": mlp}[kind]
    return [make() for _ in range(starts)]


class LocalCorrelation(Experiment):
    """Test accuracy of a small CNN and an MLP on Digits and on pixel-permuted Digits, medians
    over starts trained side by side."""

    id = "cnn-local-correlation"
    title = "CNNs need local correlation: shuffled pixels cost a CNN, not an MLP"
    source_ref = "source 003 L88"
    claim = ("A convolutional net relies on local correlation: on digits whose pixels are "
             "shuffled by one fixed permutation (the same information, no neighbourhoods) a "
             "small CNN loses test accuracy and keeps no advantage over an MLP, which is blind "
             "to pixel order. Tested for a CNN on Digits only: the source's wider statement, that "
             "deep learning in general does not suit such data, is not tested (the MLP, a "
             "neural net, is unaffected by construction).")
    claim_zh = ("数据集没有局部相关特性，目前深度学习表现比较好的领域主要是图像／语音／自然语言"
                "处理等领域，这些领域的一个共性是局部相关性。图像中像素组成物体，…这些特征元素"
                "的组合一旦被打乱，表示的含义同时也被改变。对于没有这样的局部相关性的数据集，"
                "不适于使用深度学习算法进行处理；")
    protocol = (
        "Digits (1,438 training, 359 test images) as they are and with the 64 pixels shuffled "
        "by one permutation drawn from the seed (train and test alike). CNN conv3x3(16)-ReLU-"
        "maxpool2-conv3x3(32)-ReLU-maxpool2-Linear(128, 10) vs MLP 64-128-10; Adam lr 1e-3, "
        "batch 32 drawn at random, 300 steps; 3 starts (init and batch order; full mode 7), "
        "each start's init and batches shared by the original and the permuted run; the "
        "permuted MLP starts from its original twin with the first-layer rows permuted the "
        "same way. Judged on the medians over starts of the four test accuracies: drop = "
        "CNN(orig) - CNN(perm), excess = CNN(perm) - MLP(perm). Holds: drop >= 3 pt and "
        "excess <= 1 pt. Holds with caveats: drop >= 3 pt and excess > 1 pt, or (C.2's gap, "
        "fixed before any run) 1 <= drop < 3 pt. Does not hold: drop < 1 pt. Not in C.2, "
        "fixed before any run: batch 32 (C.2 names none), 3 starts (C.2: one) for a robust "
        "median within the time budget.")
    thresholds = {
        "drop_holds_pt": 3.0,      # CNN(orig) - CNN(perm), points: at least this to hold
        "drop_fails_pt": 1.0,      # below this: does not hold
        "excess_max_pt": 1.0,      # CNN(perm) - MLP(perm), points: at most this to hold
    }
    revisions = ()

    tag = 24

    def measure(self, seed: int, quick: bool) -> Measurement:
        k, steps, batch = (3, 300, 32) if quick else (7, 300, 32)
        xtr, ytr, xte, yte = digits_arrays()
        perm = np.random.default_rng([seed, self.tag]).permutation(64)
        order = np.random.default_rng([seed, self.tag, 1]).integers(0, len(ytr),
                                                                    (steps, k, batch))
        order2 = np.concatenate([order, order], axis=1)    # nets 0..k-1 orig, k..2k-1 perm
        data_tr = np.stack([xtr] * k + [xtr[:, perm]] * k)
        data_te = np.stack([xte] * k + [xte[:, perm]] * k)

        cnns = build_starts("pool", k, seed, self.tag)
        mlps = build_starts("mlp", k, seed, self.tag + 100)
        cnn_model = perturb(StackedCNN.from_nets(cnns + cnns, pool=True))
        mlp_model = perturb(StackedMLP.from_nets(mlps + mlps, rows=[None] * k + [perm] * k))
        n: dict[str, Any] = {"starts": k, "steps": steps, "batch": batch,
                             "permutation": perm.tolist(),
                             "test_size": int(len(yte)), "train_size": int(len(ytr))}
        # identities (checks): the stacking reproduces the separate nets; the permuted MLP
        # computes what its original twin computes
        n["cnn_stack_error"] = stack_error(cnn_model, cnns + cnns, data_te, image=True)
        n["mlp_stack_error"] = stack_error(mlp_model, mlps, data_te, image=False)
        with gradlab.no_grad():
            z = _np(mlp_model(gradlab.tensor(data_te)))
        n["mlp_perm_twin_error"] = float(np.abs(z[k:] - z[:k]).max() / np.abs(z).max())

        curves = {}
        for name, model in (("cnn", cnn_model), ("mlp", mlp_model)):
            curves[name] = train(model, data_tr, ytr, order2)
            acc, ce = evaluate(model, data_te, yte)
            for part, sl in (("orig", slice(0, k)), ("perm", slice(k, 2 * k))):
                n[f"{name}_{part}_acc_runs"] = [float(a) for a in acc[sl]]
                n[f"{name}_{part}_ce_runs"] = [float(c) for c in ce[sl]]
                n[f"{name}_{part}_acc"] = float(np.median(acc[sl]))
                n[f"{name}_{part}_final_batch_loss"] = float(np.median(curves[name][-20:, sl]))
        n["drop_pt"] = 100 * (n["cnn_orig_acc"] - n["cnn_perm_acc"])
        n["excess_pt"] = 100 * (n["cnn_perm_acc"] - n["mlp_perm_acc"])
        n["mlp_drop_pt"] = 100 * (n["mlp_orig_acc"] - n["mlp_perm_acc"])
        return Measurement(n, [self._figure(n, xte, yte, perm)])

    @staticmethod
    def _figure(n: dict[str, Any], xte: np.ndarray, yte: np.ndarray, perm: np.ndarray):
        fig, (a1, a2) = new_figure(ncols=2, width=4.2, height=3.4)
        picks = [int(np.flatnonzero(yte == d)[0]) for d in (0, 2, 4, 7)]
        gap = np.full((8, 1), np.nan)
        rows = []
        for pix in (xte, xte[:, perm]):
            tiles = []
            for i in picks:
                tiles += [pix[i].reshape(8, 8), gap]
            rows.append(np.hstack(tiles[:-1]))
        mosaic = np.vstack([rows[0], np.full((1, rows[0].shape[1]), np.nan), rows[1]])
        a1.imshow(mosaic, cmap="gray_r", interpolation="nearest")
        a1.set_xticks([])
        a1.set_yticks([3.5, 12.5], ["original", "permuted"])
        a1.set_title("test digits 0, 2, 4, 7")
        k = n["starts"]
        colors = {"cnn": "tab:blue", "mlp": "tab:gray"}
        for i, part in enumerate(("orig", "perm")):
            for j, name in enumerate(("cnn", "mlp")):
                xpos = i + (j - 0.5) * 0.36
                runs = [100 * a for a in n[f"{name}_{part}_acc_runs"]]
                a2.bar(xpos, 100 * n[f"{name}_{part}_acc"], width=0.34, color=colors[name],
                       label=name.upper() if i == 0 else None)
                a2.scatter([xpos] * len(runs), runs, color="k", s=9, zorder=3)
        lo = min(100 * min(n[f"{a}_{p}_acc_runs"]) for a in ("cnn", "mlp")
                 for p in ("orig", "perm"))
        a2.set_ylim(max(0.0, lo - 5), 100)
        a2.set_xticks([0, 1], ["original pixels", "permuted pixels"])
        a2.set_ylabel(f"test accuracy (%), median of {k}")
        a2.set_title("dots: each start")
        a2.legend(loc="upper center", ncol=2)
        return png(fig, "accuracy",
                   f"Left: four test digits with their pixels in place and shuffled by the "
                   f"run's permutation. Right: test accuracy of the CNN and the MLP on both, "
                   f"median over {k} starts (bars) and each start (dots).")

    def judge(self, n: dict[str, Any]) -> Verdict:
        t = self.thresholds
        k = n["starts"]
        drop, excess = n["drop_pt"], n["excess_pt"]
        c_drop = Criterion(f"CNN test accuracy lost to the permutation (pt, medians of {k} "
                           "starts)", drop, ">=", t["drop_holds_pt"], "drop_holds_pt")
        c_some = Criterion(f"CNN test accuracy lost to the permutation (pt, medians of {k} "
                           "starts), floor", drop, ">=", t["drop_fails_pt"], "drop_fails_pt")
        c_excess = Criterion("CNN minus MLP test accuracy on permuted pixels (pt, medians)",
                             excess, "<=", t["excess_max_pt"], "excess_max_pt")
        if not c_some.passed:
            verdict = FAILS
        elif c_drop.passed and c_excess.passed:
            verdict = HOLDS
        else:
            verdict = CAVEATS
        co, cp = n["cnn_orig_acc"], n["cnn_perm_acc"]
        mo, mp = n["mlp_orig_acc"], n["mlp_perm_acc"]
        if verdict == FAILS:
            tail = (f"a drop under {t['drop_fails_pt']:g} pt: the CNN does not need the "
                    "pixels' neighbourhoods here.")
        elif not c_drop.passed:
            tail = (f"a drop, but under the {t['drop_holds_pt']:g} pt registered for a clear "
                    "loss.")
        elif not c_excess.passed:
            tail = (f"the CNN loses accuracy but still beats the MLP on shuffled pixels by more "
                    f"than {t['excess_max_pt']:g} pt.")
        else:
            tail = (f"at least {t['drop_holds_pt']:g} pt, and on shuffled pixels the CNN is no "
                    f"more than {t['excess_max_pt']:g} pt above the MLP.")
        explanation = (
            f"Median over {k} starts, the CNN reaches {co:.1%} test accuracy on the digits and "
            f"{cp:.1%} with the pixels shuffled, a drop of {drop:.1f} pt; the MLP reaches "
            f"{mo:.1%} and {mp:.1%}. On shuffled pixels the CNN is {excess:+.1f} pt against the "
            f"MLP. That is {tail}")
        key = (f"CNN {co:.1%} -> {cp:.1%} shuffled ({drop:.1f} pt); MLP {mp:.1%} shuffled")
        return Verdict(verdict, explanation, key, criteria=[c_drop, c_some, c_excess])

    def checks(self, n: dict[str, Any]) -> list[Check]:
        out = []
        for name, what in (("cnn_stack_error", "the CNNs"), ("mlp_stack_error", "the MLPs")):
            v = n[name]
            out.append(Check(f"{what} trained side by side compute what each computes alone",
                             v <= STACK_TOL,
                             f"largest difference of the initial test logits, stacked vs "
                             f"separate: {v:.1e} of the largest logit (at most {STACK_TOL:g})"))
        v = n["mlp_perm_twin_error"]
        out.append(Check("an MLP is blind to pixel order: with its first-layer rows permuted "
                         "it computes on shuffled pixels what its twin computes on the "
                         "original ones", v <= STACK_TOL,
                         f"largest initial test-logit difference: {v:.1e} of the largest "
                         f"logit (at most {STACK_TOL:g})"))
        return out


EXPERIMENT = LocalCorrelation()
