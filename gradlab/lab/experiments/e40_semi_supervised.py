"""Semi-supervised learning (source 003 L644): a representation learned from unlabelled images
helps a classifier trained on few labelled ones, and the help comes from the unlabelled data.

Digits with 2 labelled images per class (20 images, drawn 20 times) and all 1,438 training
images as the unlabelled set. A multinomial logistic regression is trained on three inputs: the
raw pixels, the top 16 principal components of the unlabelled set, and the top 16 principal
components of the 20 labelled images alone (the control: the same reduction of dimension
without unlabelled data). The draws are trained side by side in one graph: one (draws, k, 10)
weight, each draw's slice getting the gradient of its own mean cross-entropy (as e23's
StackedMLP does).
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
from gradlab.lab.experiments.e23_pretraining import per_net_accuracy, stacked_ce

_COMPONENTS = 16
_LR = 0.05
_STEPS = 300
_CHECK_STEPS = 20          # the side-by-side vs alone comparison
_PER_CLASS = (2, 5)        # 2 is judged, 5 is reported
INPUTS = ("raw", "pca_unlabelled", "pca_labelled")
_LABELS = {"raw": "raw pixels", "pca_unlabelled": "PCA of\nunlabelled",
           "pca_labelled": "PCA of the\nlabelled only"}


def pca(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The top ``k`` principal components of the rows of ``x`` (float64 SVD of the centred
    matrix): (mean (d,), components (k, d) orthonormal rows, singular values (k,))."""
    x = np.asarray(x, dtype=np.float64)
    mean = x.mean(0)
    _, sv, vt = np.linalg.svd(x - mean, full_matrices=False)
    return mean, vt[:k], sv[:k]


def pca_codes(x: np.ndarray, mean: np.ndarray, comps: np.ndarray, sv: np.ndarray,
              n: int) -> np.ndarray:
    """The codes of the rows of ``x`` on ``comps``, scaled to unit variance over the ``n`` rows
    the components came from (each component's variance there is sv**2 / n)."""
    return (np.asarray(x, dtype=np.float64) - mean) @ comps.T / (sv / np.sqrt(n))


def draw_labelled(rng: np.random.Generator, y: np.ndarray, per_class: int,
                  draws: int) -> np.ndarray:
    """``draws`` independent labelled sets of ``per_class`` training indices of each class:
    (draws, 10 * per_class) indices into the training set."""
    return np.stack([np.concatenate([rng.choice(np.flatnonzero(y == c), per_class,
                                                replace=False) for c in range(10)])
                     for _ in range(draws)])


def train(x: np.ndarray, y: np.ndarray, steps: int, record: int | None = None):
    """Multinomial logistic regressions, one per draw, trained side by side: inputs ``x``
    (D, B, k), labels ``y`` (D, B); zero initial weight (D, k, 10) and bias (D, 1, 10),
    full-batch Adam (lr 0.05) on the sum over draws of each draw's mean cross-entropy for
    ``steps`` steps. Returns (weight, bias) as float32 arrays, and the weight after ``record``
    steps (None when not asked)."""
    d, _, k = x.shape
    weight = perturb(nn.Parameter(gradlab.zeros(d, k, 10)))
    bias = perturb(nn.Parameter(gradlab.zeros(d, 1, 10)))
    opt = gradlab.optim.Adam([weight, bias], lr=_LR)
    xt = gradlab.tensor(x.astype(np.float32))
    yt = gradlab.tensor(y)
    kept = None
    for s in range(steps):
        if s == record:
            kept = weight.detach().numpy().copy()
        loss = stacked_ce(xt @ weight + bias, yt, d)
        opt.zero_grad()
        loss.backward()
        opt.step()
    if record == steps:
        kept = weight.detach().numpy().copy()
    return weight.detach().numpy(), bias.detach().numpy(), kept


def accuracy(x: np.ndarray, y: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Per draw, the accuracy of the trained regressions on inputs ``x`` ((D, B, k), or (B, k)
    shared by every draw) against labels ``y`` ((D, B) or (B,))."""
    logits = np.asarray(x, dtype=np.float32) @ weight + bias
    return per_net_accuracy(logits, y)


class SemiSupervised(Experiment):
    """Test accuracy of logistic regression on Digits from 2 labelled images per class, on the
    raw pixels, on PCA codes learned from the unlabelled images and on PCA codes learned from
    the labelled images alone; medians of paired differences over 20 draws."""

    id = "semi-supervised"
    title = "Semi-supervised learning: unlabelled images help a classifier trained on 20 labels"
    source_ref = "source 003 L644"
    claim = ("Unlabelled data help a classifier trained on few labels when the classes follow "
             "the structure of the inputs: a representation learned from unlabelled images lets "
             "a classifier trained on a few labelled ones generalize better, and the gain comes "
             "from the unlabelled data, not only from having fewer inputs.")
    claim_zh = "半监督的思想以及在深度学习中的应用"
    protocol = (
        "Digits (1,438 training, 359 test images, 8x8, pixels in [0, 1]). Labelled sets: 2 "
        "images per class (20), 20 independent draws (full mode 50); unlabelled set: all 1,438 "
        "training images, labels unused. Inputs of a multinomial logistic regression (one "
        "Linear(k, 10) per draw, zero init, the draws side by side as a (draws, k, 10) weight): "
        "raw = the 64 pixels minus the unlabelled set's pixel mean, divided by its overall std "
        "(of all centred pixels); pca_unlabelled = the top 16 principal components of the "
        "unlabelled set (float64 SVD of the centred 1,438 x 64 matrix), codes scaled to unit "
        "variance over that set; pca_labelled = the top 16 components of the draw's own 20 "
        "images (centred by their mean), codes scaled to unit variance over those 20. Full-batch "
        "Adam lr 0.05, 300 steps, cross-entropy, no regularization; the images are the "
        "perturbed starting point. gain = median over draws of the paired test-accuracy "
        "difference pca_unlabelled - raw, gain_unlab = median of pca_unlabelled - "
        "pca_labelled. Holds if both >= 0.02; does not hold if both < 0.01; holds with caveats "
        "otherwise. Reported, not judged: the same with 5 images per class (independent draws).")
    thresholds = {
        "gain_holds": 0.02,     # both medians of paired accuracy differences at least this
        "gain_fails": 0.01,     # both below this: unlabelled data do not help
    }
    revisions = ()

    def measure(self, seed: int, quick: bool) -> Measurement:
        rng = np.random.default_rng([40, seed])
        tr, te = Digits(train=True), Digits(train=False)
        xtr = perturb(tr.data.numpy().reshape(len(tr), 64).astype(np.float64))
        xte = perturb(te.data.numpy().reshape(len(te), 64).astype(np.float64))
        ytr, yte = tr.targets.numpy(), te.targets.numpy()
        draws = 20 if quick else 50
        n_u = len(xtr)

        # the unlabelled set's statistics and PCA (float64)
        mu = xtr.mean(0)
        sd = float((xtr - mu).std())
        raw_tr, raw_te = (xtr - mu) / sd, (xte - mu) / sd
        mean_u, comps_u, sv_u = pca(xtr, _COMPONENTS)
        pu_tr = pca_codes(xtr, mean_u, comps_u, sv_u, n_u)
        pu_te = pca_codes(xte, mean_u, comps_u, sv_u, n_u)
        proj = (xtr - mean_u) @ comps_u.T
        test_rows = {r.tobytes() for r in te.data.numpy().reshape(len(te), 64)}
        train_raw = tr.data.numpy().reshape(len(tr), 64)

        numbers: dict[str, Any] = {
            "draws": draws, "components": _COMPONENTS, "steps": _STEPS, "lr": _LR,
            "unlabelled": n_u, "test_images": len(xte), "per_class": list(_PER_CLASS),
            "pca_orthonormality_err": float(np.abs(comps_u @ comps_u.T
                                                   - np.eye(_COMPONENTS)).max()),
            "pca_code_variance": float(proj.var(0).sum()),
            "pca_eig_sum": float(np.sum(sv_u ** 2) / n_u),
            "pca_explained": float(np.sum(sv_u ** 2) / np.sum((xtr - mean_u) ** 2)),
        }
        for per in _PER_CLASS:
            sel = draw_labelled(rng, ytr, per, draws)          # (D, 10 * per)
            y = ytr[sel]
            counts = np.stack([np.bincount(yy, minlength=10) for yy in y])
            pl_tr, pl_te = [], []
            for d in range(draws):
                mean_l, comps_l, sv_l = pca(xtr[sel[d]], _COMPONENTS)
                pl_tr.append(pca_codes(xtr[sel[d]], mean_l, comps_l, sv_l, sel.shape[1]))
                pl_te.append(pca_codes(xte, mean_l, comps_l, sv_l, sel.shape[1]))
            inputs = {"raw": (raw_tr[sel], raw_te),
                      "pca_unlabelled": (pu_tr[sel], pu_te),
                      "pca_labelled": (np.stack(pl_tr), np.stack(pl_te))}
            tag = f"{per}pc"
            numbers[f"class_count_min_{tag}"] = int(counts.min())
            numbers[f"class_count_max_{tag}"] = int(counts.max())
            numbers[f"distinct_min_{tag}"] = int(min(len(set(s.tolist())) for s in sel))
            numbers[f"labelled_in_test_{tag}"] = int(sum(train_raw[i].tobytes() in test_rows
                                                         for i in sel.ravel()))
            for name, (x_in, x_test) in inputs.items():
                record = _CHECK_STEPS if (name == "raw" and per == _PER_CLASS[0]) else None
                w, b, kept = train(x_in, y, _STEPS, record)
                numbers[f"test_acc_{name}_{tag}"] = [float(a) for a in
                                                     accuracy(x_test, yte, w, b)]
                numbers[f"train_acc_{name}_{tag}"] = [float(a) for a in
                                                      accuracy(x_in, y, w, b)]
                if record is not None:
                    w1, _, _ = train(x_in[:1], y[:1], _CHECK_STEPS)
                    numbers["alone_vs_side_by_side"] = float(np.abs(w1[0] - kept[0]).max()
                                                             / np.abs(w1[0]).max())
            acc = {name: np.array(numbers[f"test_acc_{name}_{tag}"]) for name in INPUTS}
            for name in INPUTS:
                numbers[f"median_acc_{name}_{tag}"] = float(np.median(acc[name]))
            key = "" if per == _PER_CLASS[0] else f"_{tag}"
            numbers[f"gain{key}"] = float(np.median(acc["pca_unlabelled"] - acc["raw"]))
            numbers[f"gain_unlab{key}"] = float(np.median(acc["pca_unlabelled"]
                                                          - acc["pca_labelled"]))
        numbers["raw_train_acc_min"] = float(min(numbers["train_acc_raw_2pc"]))
        return Measurement(numbers, [self._figure(numbers)])

    @staticmethod
    def _figure(n: dict[str, Any]):
        fig, axes = new_figure(ncols=2, width=4.4)
        colors = {"raw": "tab:gray", "pca_unlabelled": "tab:blue", "pca_labelled": "tab:orange"}
        jit = np.random.default_rng(0).uniform(-0.12, 0.12, n["draws"])
        for ax, per in zip(axes, n["per_class"]):
            tag = f"{per}pc"
            for i, name in enumerate(INPUTS):
                acc = n[f"test_acc_{name}_{tag}"]
                ax.scatter(i + jit, acc, s=14, alpha=0.6, color=colors[name])
                ax.plot([i - 0.3, i + 0.3], [n[f"median_acc_{name}_{tag}"]] * 2,
                        color=colors[name], lw=2.5)
            ax.set_xticks(range(3), [_LABELS[m] for m in INPUTS])
            ax.set(ylabel="test accuracy (359 images)",
                   title=f"{per} labelled images per class")
        return png(fig, "semi_supervised",
                   f"Test accuracy of logistic regression trained on {n['per_class'][0]} and "
                   f"{n['per_class'][1]} labelled Digits per class, on the raw pixels, on the "
                   f"top {n['components']} principal components of the 1,438 unlabelled "
                   f"training images, and on the top {n['components']} components of the "
                   f"labelled images alone: each of {n['draws']} draws (points) and the median "
                   "(bar).")

    def judge(self, n: dict[str, Any]) -> Verdict:
        t = self.thresholds
        d = n["draws"]
        names = {"gain": "pca_unlabelled - raw", "gain_unlab": "pca_unlabelled - pca_labelled"}
        crit = {(q, th): Criterion(f"median over {d} draws of the paired test-accuracy "
                                   f"difference {names[q]}", n[q], ">=", t[th], th)
                for q in names for th in ("gain_holds", "gain_fails")}
        if crit["gain", "gain_holds"].passed and crit["gain_unlab", "gain_holds"].passed:
            verdict = HOLDS
        elif not crit["gain", "gain_fails"].passed and not crit["gain_unlab",
                                                                "gain_fails"].passed:
            verdict = FAILS
        else:
            verdict = CAVEATS
        text = (f"With 2 labelled images per class the median test accuracy over {d} draws was "
                f"{n['median_acc_raw_2pc']:.1%} on the raw pixels, "
                f"{n['median_acc_pca_unlabelled_2pc']:.1%} on the unlabelled set's top "
                f"{n['components']} components and {n['median_acc_pca_labelled_2pc']:.1%} on "
                f"the labelled images' own top {n['components']}. "
                f"The median paired gain of the unlabelled representation was {n['gain']:+.3f} "
                f"over the raw pixels and {n['gain_unlab']:+.3f} over the labelled-only "
                f"components (holds if both >= {t['gain_holds']:g}, does not hold if both < "
                f"{t['gain_fails']:g}). "
                f"With 5 per class (reported, not judged) the gains were "
                f"{n['gain_5pc']:+.3f} and {n['gain_unlab_5pc']:+.3f}.")
        if verdict == CAVEATS:
            text += (f" Some help, but the unlabelled representation does not beat both the raw "
                     f"pixels and the labelled-only reduction by {t['gain_holds']:g}.")
        elif verdict == FAILS:
            text += " The representation from the unlabelled data did not help."
        key = f"gain {n['gain']:+.3f} over raw, {n['gain_unlab']:+.3f} over labelled-only PCA"
        return Verdict(verdict, text, key, criteria=list(crit.values()))

    def checks(self, n: dict[str, Any]) -> list[Check]:
        """The labelled draws are what the protocol says, the unlabelled PCA is a PCA, training
        side by side is training each draw alone, and 20 points in 64-D are separated."""
        per = n["per_class"][0]
        tag = f"{per}pc"
        draws_ok = (n[f"class_count_min_{tag}"] == per == n[f"class_count_max_{tag}"]
                    and n[f"distinct_min_{tag}"] == 10 * per and n[f"labelled_in_test_{tag}"] == 0)
        var_err = abs(n["pca_code_variance"] - n["pca_eig_sum"]) / n["pca_eig_sum"]
        return [
            Check(f"every labelled draw has exactly {per} distinct images per class and none of "
                  "the test images", draws_ok,
                  f"images per class {n[f'class_count_min_{tag}']}-"
                  f"{n[f'class_count_max_{tag}']}, distinct per draw at least "
                  f"{n[f'distinct_min_{tag}']}, labelled images equal to a test image "
                  f"{n[f'labelled_in_test_{tag}']}"),
            Check("the unlabelled PCA's components are orthonormal",
                  n["pca_orthonormality_err"] <= 1e-10,
                  f"largest |V V^T - I| {n['pca_orthonormality_err']:.1e} (at most 1e-10)"),
            Check("the codes' variance is the eigenvalues' sum (squared singular values / N)",
                  var_err <= 1e-10, f"relative difference {var_err:.1e} (at most 1e-10); the "
                  f"{n['components']} components explain {n['pca_explained']:.1%} of the "
                  "variance"),
            Check(f"side by side equals one draw trained alone ({_CHECK_STEPS} steps)",
                  n["alone_vs_side_by_side"] <= 1e-5,
                  f"largest weight difference / largest weight "
                  f"{n['alone_vs_side_by_side']:.1e} (at most 1e-5, float32)"),
            Check("the raw classifier fits its 20 labelled images (training accuracy 100%)",
                  n["raw_train_acc_min"] == 1.0,
                  f"lowest training accuracy over draws {n['raw_train_acc_min']:.1%}"),
        ]


EXPERIMENT = SemiSupervised()
