"""Knowledge distillation (Hinton, Vinyals & Dean 2015; source 003 "model acceleration"): a small
student learns from a trained teacher's softened outputs as well as from the labels."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .. import nn
from ..autograd import no_grad
from ..nn import functional as F
from ..tensor import Tensor


def distillation_loss(student_logits: Tensor, teacher_logits: Tensor, target: Tensor,
                      T: float = 4.0, alpha: float = 0.9) -> Tensor:
    """alpha T² KL(softmax(t / T) || softmax(s / T)) + (1 - alpha) CE(s, target).

    The KL term is averaged over the batch (``kl_div(..., reduction="batchmean")``); T²
    keeps its gradient on the scale of the hard-label term as T grows (Hinton et al. 2015 §2).
    The teacher's logits get no gradient.

    Shape: student_logits, teacher_logits (N, C); target (N,) class indices -> scalar.
    """
    if tuple(student_logits.shape) != tuple(teacher_logits.shape) or student_logits.ndim != 2:
        raise ValueError(f"distillation_loss: student logits {list(student_logits.shape)} and "
                         f"teacher logits {list(teacher_logits.shape)} must have the same "
                         "shape (N, C)")
    if not T > 0:
        raise ValueError(f"distillation_loss: temperature T must be > 0, got {T}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"distillation_loss: alpha must be in [0, 1], got {alpha}")
    soft_t = F.softmax(teacher_logits.detach() / T, dim=1)
    log_s = F.log_softmax(student_logits / T, dim=1)
    kl = F.kl_div(log_s, soft_t, reduction="batchmean")
    return kl * (alpha * T * T) + F.cross_entropy(student_logits, target) * (1.0 - alpha)


class Distiller(nn.Module):
    """The student, with a frozen teacher beside it: in training mode each forward also runs
    the teacher (eval mode, no grad) and keeps its logits for :class:`DistillationLoss`, so
    the pair trains with an ordinary :class:`gradlab.train.Trainer`. The teacher is not a
    sub-module: its parameters are neither trained nor saved."""

    def __init__(self, student: nn.Module, teacher: nn.Module) -> None:
        super().__init__()
        self.student = student
        object.__setattr__(self, "teacher", teacher.eval())
        object.__setattr__(self, "teacher_logits", None)

    def forward(self, x):
        if self.training:
            with no_grad():
                object.__setattr__(self, "teacher_logits", self.teacher(x))
        return self.student(x)


class DistillationLoss:
    """``loss(student_logits, target)`` = :func:`distillation_loss` against the teacher logits
    of the last forward of ``distiller``; plain cross-entropy in eval mode."""

    def __init__(self, distiller: Distiller, T: float = 4.0, alpha: float = 0.9) -> None:
        self.distiller, self.T, self.alpha = distiller, T, alpha

    def __call__(self, out: Tensor, target: Tensor) -> Tensor:
        t = self.distiller.teacher_logits
        if not self.distiller.training or t is None:
            return F.cross_entropy(out, target)
        return distillation_loss(out, t, target, self.T, self.alpha)


def distill(student: nn.Module, teacher: nn.Module, train_loader: Iterable,
            val_loader: Iterable | None = None, epochs: int = 10, optimizer=None,
            scheduler=None, T: float = 4.0, alpha: float = 0.9,
            callbacks: Sequence = ()):
    """Train ``student`` from ``teacher`` with :func:`distillation_loss` (gradlab.train's
    Trainer; validation loss is the student's plain cross-entropy). Default optimizer: Adam,
    lr 1e-3. Returns the History."""
    from .. import optim
    from ..train import Trainer

    pair = Distiller(student, teacher)
    if optimizer is None:
        optimizer = optim.Adam(student.parameters(), lr=1e-3)
    trainer = Trainer(pair, DistillationLoss(pair, T, alpha), optimizer, scheduler,
                      list(callbacks), metrics=["accuracy"])
    return trainer.fit(train_loader, val_loader, epochs=epochs)
