"""Early stopping and data augmentation on a small data set (source 002 Q2 L74; source 003 L715;
source 004 §3.5 L550, L558): an over-sized MLP trained on 150 Digits images, stopped at the
checkpoint of least validation loss vs trained to the end, and trained with vs without random
1-pixel shifts of its inputs.

The nets (every start, with and without augmentation) are trained side by side in one graph
(:class:`gradlab.lab.experiments.e23_pretraining.StackedMLP`); net k of each variant starts
from the same init.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import gradlab
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
from gradlab.lab.experiments.e23_pretraining import (
    StackedMLP,
    linears,
    per_net_ce,
    stacked_ce,
)
from gradlab.transforms import RandomCrop

_DIMS = [64, 256, 256, 10]
_EVERY = 10      # steps between checkpoints


def shifted_copies(images: np.ndarray) -> np.ndarray:
    """The 9 crops of RandomCrop(8, padding=1) of each image: (N, 8, 8) -> (9, N, 64), crop
    o = 3 i + j taken at row i, column j of the zero-padded 10 x 10 image (i, j in 0..2:
    shifts of -1, 0, +1 pixel; o = 4 is the image itself)."""
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1)))
    n = len(images)
    return np.stack([padded[:, i:i + 8, j:j + 8].reshape(n, 64)
                     for i in range(3) for j in range(3)])


def _crop_matches(images: np.ndarray, copies: np.ndarray, draws: int) -> tuple[float, int]:
    """``draws`` outputs of gradlab.transforms.RandomCrop(8, padding=1) on the first image:
    the largest distance from one to the nearest of the 9 precomputed crops (0 when each is
    one of them), and how many of the 9 crops were drawn."""
    crop = RandomCrop(8, padding=1)
    worst, seen = 0.0, set()
    for _ in range(draws):
        out = crop(images[0]).reshape(64)
        d = np.abs(copies[:, 0] - out).max(1)
        worst = max(worst, float(d.min()))
        seen.add(int(d.argmin()))
    return worst, len(seen)


class EarlyStopping(Experiment):
    """Test loss and accuracy of an MLP on 150 Digits images at the checkpoint of least
    validation loss vs after 800 full-batch Adam steps, and the test accuracy gained by random
    1-pixel shifts of the training images."""

    id = "early-stopping-augmentation"
    title = "Early stopping and data augmentation reduce overfitting"
    source_ref = "source 004 §3.5 L550, L558; source 002 Q2 L74; source 003 L715"
    claim = ("Two of the regularizers the sources list: stopping when the validation error stops "
             "falling gives a lower test loss than training on (at no cost in test accuracy), "
             "and data augmentation (here random 1-pixel shifts of the images) raises the test "
             "accuracy of a net that overfits a small training set. Tested on one small "
             "image task; label smoothing and augmentation of other data are not tested.")
    claim_zh = ("提前停止：当验证集上的错误率不再下降，就停止迭代。 / 数据增强：增加数据量，"
                "提高模型鲁棒性，避免过拟合。")
    protocol = ("150 Digits training images (15 per class) and 30 held-out validation images "
                "(3 per class), drawn by the seed; test on the 359 test images. MLP "
                "64-256-256-10 (ReLU), full-batch Adam lr 1e-3, 800 steps; checkpoints every "
                "10 steps. Early stopping: the checkpoint of least validation cross-entropy vs "
                "step 800, test cross-entropy and accuracy. Augmentation: the same net from the "
                "same init on inputs shifted by RandomCrop(8, padding=1), a new crop per image "
                "and step. 2 starts (full mode: 6) side by side; each quantity is the mean over "
                "starts (the registered protocol has one net; the starts were added before any "
                "run, as power against init noise).")
    thresholds = {
        "early_ce_ratio_max": 0.8,     # test CE at the early-stopped checkpoint / at step 800
        "early_acc_diff_min": -0.01,   # test accuracy, early-stopped - step 800
        "augment_gain_min": 0.02,      # test accuracy at step 800, augmented - plain
    }
    revisions = ()

    def measure(self, seed: int, quick: bool) -> Measurement:
        rng = np.random.default_rng([26, seed])
        tr, te = Digits(train=True), Digits(train=False)
        ytr = tr.targets.numpy()
        images = tr.data.numpy().reshape(len(tr), 8, 8)
        picks = [rng.choice(np.flatnonzero(ytr == c), 18, replace=False) for c in range(10)]
        itr = np.concatenate([p[:15] for p in picks])
        iva = np.concatenate([p[15:] for p in picks])
        x_img = perturb(images[itr])
        y = gradlab.tensor(ytr[itr])
        xva, yva = gradlab.tensor(images[iva].reshape(-1, 64)), ytr[iva]
        xte, yte = gradlab.tensor(te.data.numpy().reshape(len(te), 64)), te.targets.numpy()
        k = 2 if quick else 6
        steps = 800
        copies = shifted_copies(x_img)                       # (9, 150, 64)
        n = len(itr)

        gradlab.manual_seed(10_000 * seed + 26)
        starts = [linears(_DIMS) for _ in range(k)]
        model = perturb(StackedMLP.from_nets(starts + starts))   # plain 0..k-1, augmented k..
        opt = gradlab.optim.Adam(model.parameters(), lr=1e-3)
        plain_x = np.broadcast_to(copies[4], (k, n, 64))
        offsets = np.zeros(9, dtype=np.int64)
        ckpt, val_ce, test_ce, test_acc = [], [], [], []
        for s in range(1, steps + 1):
            choice = rng.integers(0, 9, size=(k, n))
            offsets += np.bincount(choice.ravel(), minlength=9)
            xin = np.concatenate([plain_x, copies[choice, np.arange(n)]])
            loss = stacked_ce(model(gradlab.tensor(xin)), y, 2 * k)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if s % _EVERY == 0:
                with gradlab.no_grad():
                    lv = model(xva).numpy()
                    lt = model(xte).numpy()
                ckpt.append(s)
                val_ce.append(per_net_ce(lv, yva))
                test_ce.append(per_net_ce(lt, yte))
                test_acc.append((lt.argmax(-1) == yte).mean(-1))
        val_ce, test_ce, test_acc = np.array(val_ce), np.array(test_ce), np.array(test_acc)
        best = val_ce.argmin(0)                               # first minimum, per net
        nets = np.arange(2 * k)
        crop_dist, crops_seen = _crop_matches(x_img, copies, 200)

        numbers: dict[str, Any] = {"starts": k, "steps": steps, "every": _EVERY,
                                   "train_size": n, "val_size": len(iva),
                                   "offset_fractions": [float(f) for f in
                                                        offsets / offsets.sum()],
                                   "crop_max_distance": crop_dist, "crops_seen": crops_seen}
        for name, sl in (("plain", slice(0, k)), ("augmented", slice(k, 2 * k))):
            per = {"ce_early": test_ce[best, nets][sl], "ce_final": test_ce[-1, sl],
                   "acc_early": test_acc[best, nets][sl], "acc_final": test_acc[-1, sl],
                   "stop_step": np.array(ckpt)[best][sl]}
            for q, v in per.items():
                numbers[f"{name}_{q}_runs"] = [float(a) for a in v]
                numbers[f"{name}_{q}"] = float(np.mean(v))
        numbers["early_ce_ratio"] = numbers["plain_ce_early"] / numbers["plain_ce_final"]
        numbers["early_acc_diff"] = numbers["plain_acc_early"] - numbers["plain_acc_final"]
        numbers["augment_gain"] = numbers["augmented_acc_final"] - numbers["plain_acc_final"]

        fig, (a1, a2) = new_figure(ncols=2)
        for name, sl, color in (("plain", slice(0, k), "tab:blue"),
                                ("augmented", slice(k, 2 * k), "tab:orange")):
            a1.plot(ckpt, test_ce[:, sl].mean(1), color=color, label=f"{name}: test")
            a1.plot(ckpt, val_ce[:, sl].mean(1), color=color, ls=":",
                    label=f"{name}: validation")
            a2.plot(ckpt, test_acc[:, sl].mean(1), color=color, label=name)
            stop = numbers[f"{name}_stop_step_runs"]
            a1.scatter(stop, test_ce[best, nets][sl], color=color, marker="v", s=36, zorder=3,
                       label=f"{name}: early stop")
        a1.set(xlabel="Adam step", ylabel=f"cross-entropy (mean of {k} starts)",
               title="150 Digits images, MLP 64-256-256-10")
        a1.legend()
        a2.set(xlabel="Adam step", ylabel=f"test accuracy (mean of {k} starts)",
               title="with and without 1-pixel shifts")
        a2.legend()
        f1 = png(fig, "early_stopping",
                 f"Test (solid) and validation (dotted) cross-entropy every {_EVERY} steps, "
                 "with the early-stopping checkpoint of each start (triangles), and test "
                 "accuracy, for the net trained on the 150 images as they are and on random "
                 f"1-pixel shifts of them (means over {k} starts).")
        return Measurement(numbers, [f1])

    def judge(self, n: dict[str, Any]) -> Verdict:
        t = self.thresholds
        k = n["starts"]
        ce = Criterion(f"test cross-entropy, early-stopped / step {n['steps']} (mean of {k} "
                       "starts)", n["early_ce_ratio"], "<=", t["early_ce_ratio_max"],
                       "early_ce_ratio_max")
        acc = Criterion(f"test accuracy, early-stopped minus step {n['steps']}",
                        n["early_acc_diff"], ">=", t["early_acc_diff_min"],
                        "early_acc_diff_min")
        aug = Criterion(f"test accuracy at step {n['steps']}, augmented minus plain",
                        n["augment_gain"], ">=", t["augment_gain_min"], "augment_gain_min")
        early = ce.passed and acc.passed
        text = (f"Stopped at the least validation loss (step "
                f"{n['plain_stop_step']:g} on average), the net's test cross-entropy is "
                f"{n['plain_ce_early']:.3f} against {n['plain_ce_final']:.3f} at step "
                f"{n['steps']}, a ratio of {n['early_ce_ratio']:.2f} (at most "
                f"{t['early_ce_ratio_max']:g}), with test accuracy {n['plain_acc_early']:.1%} "
                f"vs {n['plain_acc_final']:.1%} ({n['early_acc_diff'] * 100:+.1f} points; at "
                f"least {t['early_acc_diff_min'] * 100:+g}). "
                f"Random 1-pixel shifts give {n['augmented_acc_final']:.1%} test accuracy at "
                f"step {n['steps']} against {n['plain_acc_final']:.1%} without, "
                f"{n['augment_gain'] * 100:+.1f} points (at least "
                f"{t['augment_gain_min'] * 100:+g}; means of {k} starts).")
        if early and aug.passed:
            verdict = HOLDS
        elif early or aug.passed:
            verdict = CAVEATS
            text += (" Only " + ("early stopping" if early else "augmentation")
                     + " helps by the registered margin.")
        else:
            verdict = FAILS
            text += " Neither early stopping nor augmentation helps by the registered margin."
        key = (f"early/final test CE {n['early_ce_ratio']:.2f}, "
               f"{n['early_acc_diff'] * 100:+.1f} pt; shifts {n['augment_gain'] * 100:+.1f} pt")
        return Verdict(verdict, text, key, criteria=[ce, acc, aug])

    def checks(self, n: dict[str, Any]) -> list[Check]:
        """The augmentation is RandomCrop(8, padding=1): each of its outputs is one of the 9
        precomputed crops and all 9 occur; the crops drawn in training are uniform."""
        frac = n["offset_fractions"]
        worst = max(abs(f - 1 / 9) for f in frac)
        return [
            Check("the shifted images are RandomCrop(8, padding=1)'s crops",
                  n["crop_max_distance"] == 0.0 and n["crops_seen"] == 9,
                  f"largest distance to a precomputed crop {n['crop_max_distance']:.1e}, "
                  f"{n['crops_seen']} of 9 crops drawn in 200 calls"),
            Check("each of the 9 shifts drawn in 1/9 of the training inputs (within 0.01)",
                  len(frac) == 9 and worst <= 0.01,
                  f"fractions {min(frac):.4f} to {max(frac):.4f}"),
        ]


EXPERIMENT = EarlyStopping()
