"""Classification metrics: functions on one batch, and accumulators over an epoch.

The functions take scores (logits or probabilities) of shape (N, C), or (N, C, d1, ...) as
``cross_entropy`` does, or integer predicted labels of shape (N, ...), and integer targets;
scalar metrics return a Python float, :func:`confusion_matrix` an int64 Tensor.

The accumulators (:class:`Accuracy`, :class:`ConfusionMatrix`) follow one protocol that
:class:`~gradlab.train.Trainer` drives: ``reset()``, ``update(output, target)`` per batch,
``compute()`` at the end of the epoch; ``name`` is the key in the epoch logs. Summed counts make
the epoch value exact, not an average of batch averages.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from ..tensor import Tensor, from_numpy


def _array(x: Any, what: str) -> np.ndarray:
    if isinstance(x, Tensor):
        return x.array
    if isinstance(x, np.ndarray):
        return x
    if hasattr(x, "detach") and hasattr(x, "numpy"):  # a torch tensor
        return x.detach().cpu().numpy()
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{what}: expected a tensor or array of numbers, got "
                        f"{type(x).__name__}")
    return arr


def _scores_and_target(output: Any, target: Any, fn: str) -> tuple[np.ndarray, np.ndarray]:
    """(N, C) scores and (N,) int64 targets; (N, C, d...) scores are flattened to (N*d..., C)."""
    out, tgt = _array(output, fn), _array(target, fn)
    if tgt.dtype.kind not in "iub":
        raise TypeError(f"{fn}: target must hold integer class indices, got dtype {tgt.dtype}")
    if out.ndim < 2:
        raise ValueError(f"{fn}: output must be scores of shape (N, C) or (N, C, d1, ...), got "
                         f"shape {tuple(out.shape)}")
    if out.ndim > 2:
        out = np.moveaxis(out, 1, -1).reshape(-1, out.shape[1])
    tgt = tgt.reshape(-1).astype(np.int64, copy=False)
    if out.shape[0] != tgt.shape[0]:
        raise ValueError(f"{fn}: output has {out.shape[0]} samples but target has "
                         f"{tgt.shape[0]}")
    c = out.shape[1]
    if tgt.size and (tgt.min() < 0 or tgt.max() >= c):
        raise ValueError(f"{fn}: target values must be in [0, {c}) for {c} classes, got "
                         f"[{tgt.min()}, {tgt.max()}]")
    return out, tgt


def _predictions(output: Any, target: Any, fn: str) -> tuple[np.ndarray, np.ndarray, int]:
    """Predicted labels, targets (both int64, flat) and the class count seen in the scores
    (0 when ``output`` already holds labels)."""
    out = _array(output, fn)
    if out.dtype.kind in "iub":
        tgt = _array(target, fn)
        if tgt.dtype.kind not in "iub":
            raise TypeError(f"{fn}: target must hold integer class indices, got dtype "
                            f"{tgt.dtype}")
        if out.shape != tgt.shape:
            raise ValueError(f"{fn}: predicted labels of shape {tuple(out.shape)} do not match "
                             f"target shape {tuple(tgt.shape)}")
        return out.reshape(-1).astype(np.int64), tgt.reshape(-1).astype(np.int64), 0
    scores, tgt = _scores_and_target(out, target, fn)
    return scores.argmax(axis=1), tgt, scores.shape[1]


def accuracy(output: Any, target: Any) -> float:
    """Fraction of samples whose predicted class (argmax of the scores, or the given labels)
    equals the target: ``(output.argmax(1) == target).float().mean()``.

    Shape: output (N, C) / (N, C, d...) scores or (N, ...) integer labels; target (N, ...).
    An empty batch gives NaN.
    """
    pred, tgt, _ = _predictions(output, target, "accuracy")
    return float(np.mean(pred == tgt)) if tgt.size else float("nan")


def _topk_hits(scores: np.ndarray, tgt: np.ndarray, k: int) -> np.ndarray:
    """Whether each target is among the k best scores. Ties are broken by class index (lower
    first), as ``argmax`` does, so k = 1 agrees with :func:`accuracy`: the target's rank is
    the number of classes scoring higher, plus the lower-indexed ones scoring the same."""
    s_t = scores[np.arange(len(tgt)), tgt][:, None]
    lower = np.arange(scores.shape[1])[None, :] < tgt[:, None]
    rank = (scores > s_t).sum(axis=1) + ((scores == s_t) & lower).sum(axis=1)
    return rank < k


def _check_k(k: Any, fn: str) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"{fn}: k must be a positive integer, got {k!r}")
    return int(k)


def top_k_accuracy(output: Any, target: Any, k: int = 5) -> float:
    """Fraction of samples whose target is among the ``k`` highest scores (ties broken by class
    index, as ``argmax``). ``k`` >= C gives 1.

    Shape: output (N, C) or (N, C, d...) scores; target (N,) or (N, d...).
    """
    k = _check_k(k, "top_k_accuracy")
    scores, tgt = _scores_and_target(output, target, "top_k_accuracy")
    return float(np.mean(_topk_hits(scores, tgt, k))) if tgt.size else float("nan")


def _confusion(pred: np.ndarray, tgt: np.ndarray, num_classes: int, fn: str) -> np.ndarray:
    for name, a in (("target", tgt), ("prediction", pred)):
        if a.size and (a.min() < 0 or a.max() >= num_classes):
            raise ValueError(f"{fn}: {name} values must be in [0, {num_classes}), got "
                             f"[{a.min()}, {a.max()}]")
    counts = np.bincount(tgt * num_classes + pred, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes).astype(np.int64)


def confusion_matrix(output: Any, target: Any, num_classes: int | None = None) -> Tensor:
    """Counts ``M[i, j]`` of samples of true class ``i`` predicted as class ``j`` (rows: targets,
    columns: predictions, as scikit-learn and torchmetrics).

    ``num_classes`` defaults to C of the scores, or to 1 + the largest label seen.
    Shape: output (N, C) scores or (N,) labels; target (N,) -> (num_classes, num_classes) int64.
    """
    pred, tgt, c = _predictions(output, target, "confusion_matrix")
    if num_classes is None:
        num_classes = c or int(max(pred.max(initial=-1), tgt.max(initial=-1)) + 1)
    return from_numpy(_confusion(pred, tgt, int(num_classes), "confusion_matrix"))


# ----------------------------------------------------------------------------- accumulators


class Metric:
    """An epoch accumulator: ``reset()``, ``update(output, target)`` per batch, ``compute()``.

    Subclasses set ``name`` (the key in the epoch logs, prefixed with ``train_``/``val_`` by the
    Trainer) and keep their running state in plain attributes.
    """

    name: str = "metric"

    def reset(self) -> None:
        raise NotImplementedError

    def update(self, output: Any, target: Any) -> None:
        raise NotImplementedError

    def compute(self) -> Any:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class Accuracy(Metric):
    """Top-k accuracy over an epoch: correct predictions summed over batches / samples seen.

    ``name`` is ``accuracy`` for k = 1 and ``top{k}_accuracy`` otherwise.
    """

    def __init__(self, top_k: int = 1) -> None:
        self.top_k = _check_k(top_k, "Accuracy")
        self.name = "accuracy" if self.top_k == 1 else f"top{self.top_k}_accuracy"
        self.reset()

    def reset(self) -> None:
        self.correct = 0
        self.total = 0

    def update(self, output: Any, target: Any) -> None:
        if self.top_k == 1:
            pred, tgt, _ = _predictions(output, target, self.name)
            hits = pred == tgt
        else:
            scores, tgt = _scores_and_target(output, target, self.name)
            hits = _topk_hits(scores, tgt, self.top_k)
        self.correct += int(hits.sum())
        self.total += int(hits.size)

    def compute(self) -> float:
        return self.correct / self.total if self.total else float("nan")


class ConfusionMatrix(Metric):
    """The confusion matrix summed over an epoch (rows: targets, columns: predictions);
    ``compute()`` returns it as an int64 Tensor. ``num_classes`` defaults to C of the first
    batch's scores."""

    name = "confusion_matrix"

    def __init__(self, num_classes: int | None = None) -> None:
        if num_classes is not None and (not isinstance(num_classes, (int, np.integer))
                                        or num_classes < 1):
            raise ValueError(f"ConfusionMatrix: num_classes must be a positive integer, got "
                             f"{num_classes!r}")
        self.num_classes = num_classes
        self.reset()

    def reset(self) -> None:
        self.matrix: np.ndarray | None = None

    def update(self, output: Any, target: Any) -> None:
        pred, tgt, c = _predictions(output, target, self.name)
        n = self.num_classes or c
        if not n:
            raise ValueError("ConfusionMatrix: num_classes is needed when the output holds "
                             "labels rather than scores")
        m = _confusion(pred, tgt, int(n), self.name)
        if self.matrix is None:
            self.matrix = m
        elif self.matrix.shape != m.shape:
            raise ValueError(f"ConfusionMatrix: batches with {self.matrix.shape[0]} and "
                             f"{m.shape[0]} classes")
        else:
            self.matrix += m

    def compute(self) -> Tensor:
        if self.matrix is None:
            n = self.num_classes or 0
            return from_numpy(np.zeros((n, n), dtype=np.int64))
        return from_numpy(self.matrix.copy())


_TOPK = re.compile(r"top(\d+)_accuracy$")


def get_metric(spec: str | Metric) -> Metric:
    """A fresh accumulator from a name (``accuracy``, ``top5_accuracy``, ``confusion_matrix``)
    or a :class:`Metric` (returned as is)."""
    if isinstance(spec, Metric):
        return spec
    if spec in ("accuracy", "acc"):
        return Accuracy()
    if spec == "confusion_matrix":
        return ConfusionMatrix()
    m = _TOPK.match(spec) if isinstance(spec, str) else None
    if m:
        return Accuracy(top_k=int(m.group(1)))
    raise ValueError(f"unknown metric {spec!r} (use 'accuracy', 'top<k>_accuracy', "
                     "'confusion_matrix' or a gradlab.train.Metric)")
