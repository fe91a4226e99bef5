"""Gradient clipping against torch.nn.utils, and the L1/L2 penalties.

clip_grad_norm_ / clip_grad_value_ run on the same gradients in both libraries (several norm
types, inf, non-finite gradients); the L2 penalty is checked to be SGD weight decay step by
step (source 002 eq. 7), and the L1 penalty's gradient to be sign(w).

torch is imported unconditionally: without it these tests must fail, never skip.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import torch

import gradlab
import gradlab.nn as gnn
import gradlab.optim as optim
from gradlab.nn.utils import (
    clip_grad_norm_,
    clip_grad_value_,
    get_total_norm,
    l1_penalty,
    l2_penalty,
)

SHAPES = [(4, 5), (7,), (2, 3, 2), ()]
TOL = {"float64": (1e-12, 1e-14), "float32": (1e-6, 1e-7)}


def make_pair(dtype: str, scale: float = 1.0, seed: int = 0, special=None):
    """Parameters with gradients in both libraries; ``special`` (value) is written into the
    first gradient's first element (nan, inf); the third parameter has no gradient."""
    rng = np.random.default_rng(seed)
    grads = [(scale * rng.standard_normal(s)).astype(dtype) for s in SHAPES]
    if special is not None:
        grads[0].flat[0] = special
    gp, tp = [], []
    for i, (s, g) in enumerate(zip(SHAPES, grads)):
        a = gradlab.zeros(s, dtype=getattr(gradlab, dtype), requires_grad=True)
        b = torch.zeros(s, dtype=getattr(torch, dtype), requires_grad=True)
        if i != 2:
            a.grad = gradlab.tensor(g.copy())
            b.grad = torch.tensor(g.copy())
        gp.append(a)
        tp.append(b)
    return gp, tp


def assert_grads_equal(gp, tp, dtype: str) -> None:
    rtol, atol = TOL[dtype]
    for i, (a, b) in enumerate(zip(gp, tp)):
        if b.grad is None:
            assert a.grad is None
            continue
        assert a.grad.array.dtype == np.dtype(dtype)
        np.testing.assert_allclose(a.grad.array, b.grad.numpy(), rtol=rtol, atol=atol,
                                   equal_nan=True, err_msg=f"grad {i}")


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """torch on one thread for these tiny tensors (its pool only waits on a busy machine)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


# --------------------------------------------------------------------------- clip by norm


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, 0.5, float("inf"), float("-inf"), 0.0,
                                       "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e6], ids=["clips", "no-op"])
def test_clip_grad_norm_matches_torch(norm_type, dtype, max_norm):
    gp, tp = make_pair(dtype)
    g_total = clip_grad_norm_(gp, max_norm, norm_type=norm_type)
    t_total = torch.nn.utils.clip_grad_norm_(tp, max_norm, norm_type=norm_type)
    assert isinstance(g_total, gradlab.Tensor) and g_total.shape == ()
    assert g_total.array.dtype == np.dtype(dtype)
    rtol, atol = TOL[dtype]
    np.testing.assert_allclose(g_total.item(), t_total.item(), rtol=rtol, atol=atol)
    assert_grads_equal(gp, tp, dtype)


def test_clip_grad_norm_result_has_max_norm():
    gp, _ = make_pair("float64", scale=10.0)
    before = clip_grad_norm_(gp, 2.0).item()
    after = get_total_norm([p.grad for p in gp if p.grad is not None]).item()
    assert before > 2.0
    np.testing.assert_allclose(after, 2.0, rtol=1e-6)  # 2 * N / (N + 1e-6)


def test_clip_grad_norm_single_tensor_and_generator():
    g = gradlab.zeros(3, requires_grad=True)
    g.grad = gradlab.tensor([3.0, 4.0, 0.0])
    t = torch.zeros(3, requires_grad=True)
    t.grad = torch.tensor([3.0, 4.0, 0.0])
    assert clip_grad_norm_(g, 1.0).item() == torch.nn.utils.clip_grad_norm_(t, 1.0).item()
    np.testing.assert_allclose(g.grad.array, t.grad.numpy(), rtol=1e-6)
    model = gnn.Linear(3, 2)
    (model(gradlab.ones(1, 3))).sum().backward()
    total = clip_grad_norm_(model.parameters(), 0.1)  # a generator is consumed once
    assert total.item() > 0.1


def test_clip_grad_norm_no_grads():
    total = clip_grad_norm_([gradlab.zeros(2, requires_grad=True)], 1.0)
    t_total = torch.nn.utils.clip_grad_norm_([torch.zeros(2, requires_grad=True)], 1.0)
    assert total.item() == t_total.item() == 0.0
    assert total.array.dtype == np.float32
    with pytest.warns(UserWarning, match="`parameters` is an empty generator"):
        clip_grad_norm_((p for p in []), 1.0)


@pytest.mark.parametrize("special", [float("nan"), float("inf")])
@pytest.mark.parametrize("norm_type", [2.0, float("inf")])
def test_clip_grad_norm_nonfinite(special, norm_type):
    message = (f"The total norm of order {norm_type} for gradients from `parameters` is "
               "non-finite, so it cannot be clipped. To disable this error and scale the "
               "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`")
    gp, tp = make_pair("float32", special=special)
    with pytest.raises(RuntimeError, match=re.escape(message)):
        clip_grad_norm_(gp, 1.0, norm_type=norm_type, error_if_nonfinite=True)
    with pytest.raises(RuntimeError, match=re.escape(message)):
        torch.nn.utils.clip_grad_norm_(tp, 1.0, norm_type=norm_type, error_if_nonfinite=True)
    assert_grads_equal(gp, tp, "float32")  # untouched on error
    # without the flag both scale by the non-finite norm (NaN or 0 where torch gives it)
    g_total = clip_grad_norm_(gp, 1.0, norm_type=norm_type)
    t_total = torch.nn.utils.clip_grad_norm_(tp, 1.0, norm_type=norm_type)
    np.testing.assert_equal(g_total.item(), t_total.item())
    assert_grads_equal(gp, tp, "float32")


# --------------------------------------------------------------------------- clip by value


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("clip_value", [0.3, 1.0, 5.0])
def test_clip_grad_value_matches_torch(dtype, clip_value):
    gp, tp = make_pair(dtype, special=float("nan"))
    assert clip_grad_value_(gp, clip_value) is None
    torch.nn.utils.clip_grad_value_(tp, clip_value)
    assert_grads_equal(gp, tp, dtype)
    for p in gp:
        if p.grad is not None:
            finite = p.grad.array[np.isfinite(p.grad.array)]
            assert np.all(np.abs(finite) <= clip_value)


def test_clip_grad_value_single_tensor():
    g = gradlab.zeros(3, requires_grad=True)
    g.grad = gradlab.tensor([-3.0, 0.5, 2.0])
    clip_grad_value_(g, 1.0)
    assert g.grad.array.tolist() == [-1.0, 0.5, 1.0]


# --------------------------------------------------------------------------- penalties


def test_l1_penalty_value_and_gradient_is_sign():
    w = gradlab.tensor([[-2.0, 0.0, 3.5], [1.0, -0.25, 0.0]], dtype=gradlab.float64,
                       requires_grad=True)
    b = gradlab.tensor([-1.5, 2.0], dtype=gradlab.float64, requires_grad=True)
    pen = l1_penalty([w, b])
    assert pen.shape == () and pen.item() == 2.0 + 3.5 + 1.0 + 0.25 + 1.5 + 2.0
    pen.backward()
    np.testing.assert_array_equal(w.grad.array, np.sign(w.array))  # 0 at 0, as torch's abs
    np.testing.assert_array_equal(b.grad.array, [-1.0, 1.0])


def test_l2_penalty_value_and_gradient_is_w():
    w = gradlab.tensor([[-2.0, 0.0], [1.0, 3.0]], dtype=gradlab.float64, requires_grad=True)
    pen = l2_penalty(w)
    assert pen.item() == 0.5 * (4 + 1 + 9)
    pen.backward()
    np.testing.assert_array_equal(w.grad.array, w.array)


def test_penalties_of_nothing_are_zero():
    assert l1_penalty([]).item() == 0.0 and l2_penalty([]).item() == 0.0


def _model_and_data(dtype):
    gradlab.manual_seed(0)
    model = gnn.Sequential(gnn.Linear(5, 8, dtype=dtype), gnn.Tanh(),
                           gnn.Linear(8, 2, dtype=dtype))
    rng = np.random.default_rng(1)
    x = gradlab.tensor(rng.standard_normal((16, 5)), dtype=dtype)
    y = gradlab.tensor(rng.standard_normal((16, 2)), dtype=dtype)
    return model, x, y


def test_l2_penalty_in_loss_equals_sgd_weight_decay():
    """Source 002 eq. 7: SGD on J + α·½‖w‖² is SGD with weight_decay=α on J, step by step."""
    alpha, lr = 0.05, 0.1
    a, x, y = _model_and_data(gradlab.float64)
    b, _, _ = _model_and_data(gradlab.float64)
    opt_a = optim.SGD(a.parameters(), lr=lr)
    opt_b = optim.SGD(b.parameters(), lr=lr, weight_decay=alpha)
    for step in range(20):
        w0 = [p.array.copy() for p in a.parameters()]
        opt_a.zero_grad()
        loss = ((a(x) - y) ** 2).mean()
        (loss + alpha * l2_penalty(a.parameters())).backward()
        grads_j = [p.grad.array - alpha * p.array for p in a.parameters()]
        opt_a.step()
        opt_b.zero_grad()
        ((b(x) - y) ** 2).mean().backward()
        opt_b.step()
        for i, (pa, pb) in enumerate(zip(a.parameters(), b.parameters())):
            np.testing.assert_array_equal(pa.array, pb.array, err_msg=f"step {step} param {i}")
        for p, w, g in zip(a.parameters(), w0, grads_j):  # the closed form of eq. 7
            np.testing.assert_allclose(p.array, (1 - lr * alpha) * w - lr * g, rtol=1e-12,
                                       atol=1e-15)


def test_l1_penalty_in_loss_moves_weights_toward_zero_by_sign():
    """Plain SGD on β·Σ|w| alone: every nonzero weight moves by lr·β toward 0."""
    beta, lr = 0.5, 0.01
    w = gradlab.tensor([0.3, -0.2, 0.0, 1.0], dtype=gradlab.float64, requires_grad=True)
    opt = optim.SGD([w], lr=lr)
    (beta * l1_penalty([w])).backward()
    opt.step()
    np.testing.assert_allclose(w.array, [0.3 - 0.005, -0.2 + 0.005, 0.0, 1.0 - 0.005])


def test_no_warnings_from_clipping_in_a_loop():
    model, x, y = _model_and_data(gradlab.float32)
    opt = optim.SGD(model.parameters(), lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            opt.zero_grad()
            ((model(x) - y) ** 2).mean().backward()
            clip_grad_norm_(model.parameters(), 0.5)
            clip_grad_value_(model.parameters(), 0.1)
            opt.step()
