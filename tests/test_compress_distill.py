"""Knowledge distillation: the loss against a hand computation and torch's kl_div, its
gradient, and a student trained from a teacher with gradlab.train."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import gradlab
from gradlab import compress, nn
from gradlab.datasets import Digits
from gradlab.utils.data import DataLoader


def _logits(seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((6, 5)) * 3, rng.standard_normal((6, 5)) * 3,
            rng.integers(0, 5, 6))


def _softmax(z):
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


@pytest.mark.parametrize("T,alpha", [(4.0, 0.9), (1.0, 0.5), (2.5, 0.0), (8.0, 1.0)])
def test_loss_matches_hand_computation_and_torch(T, alpha):
    s, t, y = _logits()
    p_t, p_s = _softmax(t / T), _softmax(s / T)
    kl = (p_t * (np.log(p_t) - np.log(p_s))).sum(1).mean()
    ce = -np.log(_softmax(s)[np.arange(6), y]).mean()
    hand = alpha * T * T * kl + (1 - alpha) * ce
    sg = gradlab.tensor(s, requires_grad=True)
    got = compress.distillation_loss(sg, gradlab.tensor(t), gradlab.tensor(y), T, alpha)
    assert got.item() == pytest.approx(hand, rel=1e-10)
    st = torch.tensor(s, requires_grad=True)
    ref = (alpha * T * T * TF.kl_div(TF.log_softmax(st / T, 1), TF.softmax(torch.tensor(t) / T, 1),
                                     reduction="batchmean")
           + (1 - alpha) * TF.cross_entropy(st, torch.tensor(y)))
    assert got.item() == pytest.approx(ref.item(), rel=1e-10)
    got.backward()
    ref.backward()
    np.testing.assert_allclose(sg.grad.numpy(), st.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_teacher_gets_no_gradient():
    s, t, y = _logits(1)
    tt = gradlab.tensor(t, requires_grad=True)
    compress.distillation_loss(gradlab.tensor(s, requires_grad=True), tt,
                               gradlab.tensor(y)).backward()
    assert tt.grad is None


def test_errors():
    s, t, y = _logits()
    with pytest.raises(ValueError, match=r"distillation_loss: student logits \[6, 5\] and "
                       r"teacher logits \[6, 4\] must have the same shape"):
        compress.distillation_loss(gradlab.tensor(s), gradlab.tensor(t[:, :4]), gradlab.tensor(y))
    with pytest.raises(ValueError, match="distillation_loss: temperature T must be > 0, got 0"):
        compress.distillation_loss(gradlab.tensor(s), gradlab.tensor(t), gradlab.tensor(y), T=0)


def test_student_learns_from_teacher_on_digits():
    train, test = Digits(train=True, size=8), Digits(train=False, size=8)
    gradlab.manual_seed(0)
    teacher = nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    student = nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 10))
    with gradlab.backend.num_threads(1):
        loader = DataLoader(train, batch_size=64, shuffle=True)
        gradlab.train.fit(teacher, nn.CrossEntropyLoss(), gradlab.optim.Adam(
            teacher.parameters(), lr=3e-3), loader, epochs=10)
        teacher_w = teacher[1].weight.array.copy()
        hist = compress.distill(student, teacher, loader, epochs=10,
                                optimizer=gradlab.optim.Adam(student.parameters(), lr=1e-2))
    np.testing.assert_array_equal(teacher[1].weight.array, teacher_w)  # the teacher is frozen
    assert len(hist) == 10 and hist[-1]["train_loss"] < hist[0]["train_loss"]
    acc = gradlab.train.evaluate(student, None, DataLoader(test, batch_size=512),
                                 ["accuracy"])["accuracy"]
    assert acc > 0.9, acc  # 16 hidden units
    pair = compress.Distiller(student, teacher)
    assert list(pair.state_dict()) == ["student.1.weight", "student.1.bias", "student.3.weight",
                                       "student.3.bias"]
