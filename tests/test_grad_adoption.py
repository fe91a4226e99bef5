"""A leaf's first gradient becomes its ``.grad`` without a copy only when the backward pass
is the array's sole owner; every way another holder can share the array gets a copy."""

from __future__ import annotations

import numpy as np
import pytest

import gradlab
from gradlab.autograd import engine


@pytest.fixture
def adopted(monkeypatch):
    """The ``adopt`` flag of each first accumulation, in order."""
    flags = []
    real = engine._accumulate

    def spy(t, g, adopt=False):
        flags.append(adopt)
        return real(t, g, adopt)

    monkeypatch.setattr(engine, "_accumulate", spy)
    return flags


def test_fresh_weight_gradients_are_adopted(adopted):
    m = gradlab.nn.Sequential(gradlab.nn.Linear(4, 3), gradlab.nn.ReLU(),
                              gradlab.nn.Linear(3, 2))
    m(gradlab.randn(5, 4)).sum().backward()
    assert adopted == [True] * 4


class _Both(gradlab.autograd.Function):
    """a + b whose backward hands ONE fresh array to both inputs."""

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g):
        r = g * 1.0
        return r, r


def test_one_array_for_two_leaves_is_copied_once(adopted):
    a = gradlab.randn(3, requires_grad=True)
    b = gradlab.randn(3, requires_grad=True)
    _Both.apply(a, b).sum().backward()
    assert adopted == [False, True]
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    a.grad.add_(1.0)
    np.testing.assert_array_equal(b.grad.numpy(), np.ones(3, np.float32))


def test_a_root_gradient_of_the_user_is_copied(adopted):
    a = gradlab.randn(3, requires_grad=True)
    g = gradlab.ones(3)
    a.backward(g)
    (a * 1.0 + 0.0).backward(g)  # through nodes that pass g on
    assert adopted[0] is False
    assert not np.shares_memory(a.grad.numpy(), g.numpy())
    a.grad.zero_()
    np.testing.assert_array_equal(g.numpy(), np.ones(3, np.float32))


class _Saved(gradlab.autograd.Function):
    """x * c whose backward returns a SAVED array (c itself) as the gradient."""

    @staticmethod
    def forward(ctx, x, c):
        ctx.save_for_backward(c)
        return x * c

    @staticmethod
    def backward(ctx, g):
        (c,) = ctx.saved_tensors
        return c, None


def test_a_saved_array_returned_as_gradient_is_copied(adopted):
    x = gradlab.randn(3, requires_grad=True)
    c = gradlab.tensor([1.0, 2.0, 3.0])
    y = _Saved.apply(x, c)
    y.backward(gradlab.ones(3), retain_graph=True)
    x.grad.zero_()  # must not zero the saved c
    y.backward(gradlab.ones(3))
    assert adopted[0] is False
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 2.0, 3.0])


def test_a_gradient_a_hook_keeps_is_copied(adopted):
    kept = []
    x = gradlab.randn(4, 3, requires_grad=True)
    x.register_hook(lambda g: kept.append(g))
    (x @ gradlab.randn(3, 2)).sum().backward()
    assert adopted == [False]
    before = kept[0].numpy().copy()
    x.grad.mul_(0.0)
    np.testing.assert_array_equal(kept[0].numpy(), before)
