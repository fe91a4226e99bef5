"""``F.linear`` (one ``Linear`` node): forward and gradients against torch for inputs of 1, 2,
3 and 4 dims, with and without bias, float32 and float64, and gradlab's float64
finite-difference gradcheck; the composed path it leaves to (mixed dtypes, a broadcast bias)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from oracle import Float, Row, cases, check_row, fd_cases, gradcheck_row

import gradlab
from gradlab.ops.linalg import Linear


def _lin(lib, x, w, b=None):
    return lib.nn.functional.linear(x, w, b)


ROWS = [
    Row("linear_1d_bias", _lin, (Float((4,)), Float((5, 4)), Float((5,)))),
    Row("linear_1d", _lin, (Float((4,)), Float((5, 4)))),
    Row("linear_2d_bias", _lin, (Float((3, 4)), Float((5, 4)), Float((5,)))),
    Row("linear_2d", _lin, (Float((3, 4)), Float((5, 4)))),
    Row("linear_3d_bias", _lin, (Float((2, 3, 4)), Float((5, 4)), Float((5,)))),
    Row("linear_3d", _lin, (Float((2, 3, 4)), Float((5, 4)))),
    Row("linear_4d_bias", _lin, (Float((2, 1, 3, 4)), Float((5, 4)), Float((5,)))),
    Row("linear_x_only", _lin, (Float((3, 4)), Float((5, 4), grad=False),
                                Float((5,), grad=False))),
    Row("linear_params_only", _lin, (Float((2, 3, 4), grad=False), Float((5, 4)),
                                     Float((5,)))),
    Row("linear_empty_batch", _lin, (Float((0, 4)), Float((5, 4)), Float((5,)))),
    Row("linear_transposed_input", lambda lib, x, w, b: _lin(lib, x.transpose(0, 1), w, b),
        (Float((4, 3)), Float((5, 4)), Float((5,)))),
    Row("linear_transposed_weight", lambda lib, x, w, b: _lin(lib, x, w.t(), b),
        (Float((2, 3, 4)), Float((4, 5)), Float((5,)))),
    # not the fused node: a bias broadcast from (1, out), as torch's addmm allows
    Row("linear_bias_1xout", _lin, (Float((3, 4)), Float((5, 4)), Float((1, 5)))),
]


@pytest.mark.parametrize("row,dtype", cases(ROWS))
def test_vs_torch(row, dtype):
    check_row(row, dtype)


@pytest.mark.parametrize("row", fd_cases(ROWS))
def test_gradcheck(row):
    gradcheck_row(row)


@pytest.mark.parametrize("shape", [(4,), (3, 4), (2, 3, 4)])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", [gradlab.float32, gradlab.float64])
def test_linear_layer_is_one_node_and_keeps_dtype(shape, bias, dtype):
    m = gradlab.nn.Linear(4, 5, bias=bias, dtype=dtype)
    x = gradlab.randn(*shape, dtype=dtype, requires_grad=True)
    y = m(x)
    assert y.grad_fn.fn is Linear and y.dtype == dtype and y.shape == (*shape[:-1], 5)
    y.sum().backward()
    assert x.grad.dtype == m.weight.grad.dtype == dtype
    assert x.grad.shape == x.shape and m.weight.grad.shape == (5, 4)


def test_mixed_dtypes_are_promoted_as_before():
    x = gradlab.randn(3, 4, dtype=gradlab.float32)
    w = gradlab.randn(5, 4, dtype=gradlab.float64, requires_grad=True)
    y = gradlab.nn.functional.linear(x, w)
    assert y.dtype == gradlab.float64 and y.grad_fn.fn is not Linear
    np.testing.assert_allclose(y.detach().numpy(), x.numpy().astype(np.float64) @ w.detach()
                               .numpy().T, rtol=1e-12)


def test_backward_after_weight_changed_in_place_is_refused():
    m = gradlab.nn.Linear(4, 5)
    y = m(gradlab.randn(3, 4, requires_grad=True))
    with gradlab.no_grad():
        m.weight.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_matches_torch_linear_module_in_float32():
    # a layer of MNIST's size: the BLAS calls of the fused node against torch's
    t = torch.nn.Linear(784, 64)
    g = gradlab.nn.Linear(784, 64)
    g.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((32, 784)).astype(np.float32)
    xt, xg = torch.tensor(x, requires_grad=True), gradlab.tensor(x, requires_grad=True)
    yt, yg = t(xt), g(xg)
    np.testing.assert_allclose(yg.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    (yt * yt).sum().backward()
    (yg * yg).sum().backward()
    for gv, tv in ((xg.grad, xt.grad), (g.weight.grad, t.weight.grad), (g.bias.grad, t.bias.grad)):
        ref = tv.numpy()
        np.testing.assert_allclose(gv.numpy(), ref, rtol=1e-5, atol=1e-5 * np.abs(ref).max())


@pytest.mark.parametrize("n_in,n_out", [(0, 2), (2, 0)])
def test_linear_zero_features_as_torch(n_in, n_out):
    x = np.ones((3, n_in), np.float32)
    w = np.ones((n_out, n_in), np.float32)
    b = np.arange(n_out, dtype=np.float32)
    xs = [gradlab.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)]
    ws = [gradlab.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)]
    bs = [gradlab.tensor(b, requires_grad=True), torch.tensor(b, requires_grad=True)]
    outs = [gradlab.nn.functional.linear(xs[0], ws[0], bs[0]),
            torch.nn.functional.linear(xs[1], ws[1], bs[1])]
    for o in outs:
        (o * 2).sum().backward()
    np.testing.assert_array_equal(outs[0].detach().numpy(), outs[1].detach().numpy())
    for g, t in ((xs[0], xs[1]), (ws[0], ws[1]), (bs[0], bs[1])):
        assert g.grad.shape == tuple(t.grad.shape)
        np.testing.assert_array_equal(g.grad.numpy(), t.grad.numpy())
