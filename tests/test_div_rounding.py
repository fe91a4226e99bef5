"""``div(..., rounding_mode=)``, ``floor_divide`` and ``//`` against torch: values in float
and integer dtypes (signs, exact multiples, 1.0 / 0.1, division by zero), the zero gradient of
the rounded division, floor_divide's missing derivative, the in-place forms and the errors."""

import numpy as np
import pytest
import torch

import gradlab

A = [-7.5, -3.0, -1.0, -0.0, 0.5, 1.0, 5.0, 7.5, 1e6 + 0.5]
B = [2.0, -2.0, 0.1, 3.0, -0.5, 0.1, 2.0, -4.0, 7.0]
IA = [-7, -3, -1, 0, 1, 5, 7, 9, -9]
IB = [2, -2, 3, 3, -4, 2, -7, 4, 4]


def _both(values, dtype):
    return (gradlab.tensor(values, dtype=getattr(gradlab, dtype)),
            torch.tensor(values, dtype=getattr(torch, dtype)))


def _same(g, t):
    assert str(g.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], (g.dtype, t.dtype)
    np.testing.assert_array_equal(g.numpy(), t.numpy())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", ["floor", "trunc", None])
def test_float_values(dtype, mode):
    (ga, ta), (gb, tb) = _both(A, dtype), _both(B, dtype)
    _same(ga.div(gb, rounding_mode=mode), ta.div(tb, rounding_mode=mode))
    _same(gradlab.div(ga, 2, rounding_mode=mode), torch.div(ta, 2, rounding_mode=mode))
    _same(ga.div(0.0, rounding_mode=mode), ta.div(0.0, rounding_mode=mode))  # inf, nan


@pytest.mark.parametrize("mode", ["floor", "trunc"])
def test_integer_values(mode):
    (ga, ta), (gb, tb) = _both(IA, "int64"), _both(IB, "int64")
    _same(ga.div(gb, rounding_mode=mode), ta.div(tb, rounding_mode=mode))
    _same(ga.div(2.5, rounding_mode=mode), ta.div(2.5, rounding_mode=mode))  # promoted
    _same(ga.div(gb.float(), rounding_mode=mode), ta.div(tb.float(), rounding_mode=mode))


def test_floor_divide_and_operator():
    (ga, ta), (gb, tb) = _both(IA, "int64"), _both(IB, "int64")
    _same(gradlab.floor_divide(ga, gb), torch.floor_divide(ta, tb))
    _same(ga // 3, ta // 3)
    _same(-17 // gb, -17 // tb)
    (fa, tfa), (fb, tfb) = _both(A, "float32"), _both(B, "float32")
    _same(fa // fb, tfa // tfb)
    _same(fa.floor_divide(fb), tfa.floor_divide(tfb))
    g, t = ga.clone(), ta.clone()
    g //= 2
    t //= 2
    _same(g, t)


@pytest.mark.parametrize("mode", ["floor", "trunc"])
def test_inplace_keeps_integer_dtype(mode):
    (ga, ta) = _both(IA, "int64")
    _same(ga.div_(3, rounding_mode=mode), ta.div_(3, rounding_mode=mode))
    with pytest.raises(RuntimeError, match="div_"):
        gradlab.tensor(IA).div_(3)  # true division of an int tensor in place: torch refuses


@pytest.mark.parametrize("mode", ["floor", "trunc"])
def test_gradient_is_zero_as_torch(mode):
    ga = gradlab.tensor(A, requires_grad=True)
    gb = gradlab.tensor(B, requires_grad=True)
    ta = torch.tensor(A, requires_grad=True)
    tb = torch.tensor(B, requires_grad=True)
    (ga.div(gb, rounding_mode=mode) * 3).sum().backward()
    (ta.div(tb, rounding_mode=mode) * 3).sum().backward()
    np.testing.assert_array_equal(ga.grad.numpy(), ta.grad.numpy())
    np.testing.assert_array_equal(gb.grad.numpy(), tb.grad.numpy())
    assert type(ga.div(gb, rounding_mode=mode).grad_fn).__name__ == "DivBackward2"


def test_floor_divide_has_no_derivative_as_torch():
    ga = gradlab.tensor(A, requires_grad=True)
    ta = torch.tensor(A, requires_grad=True)
    assert (ga // 2).requires_grad and (ta // 2).requires_grad
    with pytest.raises(RuntimeError, match="floor_divide"):
        (ta // 2).sum().backward()
    with pytest.raises(RuntimeError, match="floor_divide"):
        (ga // 2).sum().backward()


def test_errors_as_torch():
    for lib in (torch, gradlab):
        with pytest.raises(RuntimeError, match="rounding_mode"):
            lib.tensor([1.0]).div(2, rounding_mode="round")
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            lib.tensor([1, 2]).div(lib.tensor([0, 1]), rounding_mode="trunc")
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            lib.floor_divide(lib.tensor([1, 2]), 0)
        with pytest.raises(NotImplementedError, match="Bool"):
            lib.tensor([True, False]).div(True, rounding_mode="floor")
        with pytest.raises(TypeError):
            lib.tensor([1.0]).div(2, rounding_mode=3)
