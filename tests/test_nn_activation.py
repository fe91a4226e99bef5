"""Activations: nn.functional forms against torch (forward and input gradients, float64 tight,
float32 at the oracle's tolerance) and by float64 finite differences; the erfc behind the
exact GELU against torch.special in float64; every activation module against its torch
counterpart (copied PReLU weights, train and eval); the RBF layer (not in torch) against a
direct torch composition and by its defining properties; the promised errors."""

import math
import warnings

import numpy as np
import pytest
import torch
from oracle import Float, Row, cases, check_row, fd_cases, gradcheck_row

import gradlab
import gradlab.nn as nn
import gradlab.nn.functional as F
from gradlab.autograd import gradcheck
from gradlab.ops.activation import _erfc, _normal_cdf


def fn(name, **kw):
    return lambda m, *xs: getattr(m.nn.functional, name)(*xs, **kw)


X = Float((3, 4), lo=-3.0, hi=3.0)
X4 = Float((2, 3, 2, 2), lo=-3.0, hi=3.0)
WIDE = Float(values=[[-40.0, -12.0, -6.5, -1e-3, 2e-3, 0.7], [1.3, 3.9, 8.0, 15.0, 35.0, 60.0]])
# softplus at and past its threshold; the kink at beta x = threshold is not straddled by the FD
SP = Float(values=[-100.0, -30.0, -1.5, 0.25, 4.9, 5.1, 19.9, 20.1, 50.0, 800.0])

# each linear piece of hardsigmoid / hardswish, away from the kinks at -3 and 3
HARD = Float(values=[-40.0, -6.0, -3.5, -2.5, -1.0, -0.2, 0.4, 1.7, 2.5, 3.5, 8.0, 50.0])

HARDSIGMOID64 = dict(tol64=(1e-7, 0.0), why="torch's float64 hardsigmoid gradient is g times a "
                     "float32 1/6 (relative error 3e-8); the float64 gradcheck checks gradlab's")


def rbf_torch(m, x, c, s):
    d2 = ((x[..., None, :] - c) ** 2).sum(-1)
    return torch.exp(-d2 / (2 * torch.exp(2 * s)))


ROWS = [
    Row("leaky_relu", fn("leaky_relu"), (X,)),
    Row("leaky_relu_slope", fn("leaky_relu", negative_slope=0.2), (X4,)),
    Row("leaky_relu_slope_gt1", fn("leaky_relu", negative_slope=1.5), (X,)),
    Row("leaky_relu_inplace", fn("leaky_relu", negative_slope=0.1, inplace=True),
        (Float((5,)),), torch_fn=fn("leaky_relu", negative_slope=0.1)),
    Row("prelu_shared", fn("prelu"), (X4, Float(values=[0.25]))),
    Row("prelu_channels", fn("prelu"), (X4, Float(values=[0.1, -0.5, 2.0]))),
    Row("prelu_2d_channels", fn("prelu"), (Float((5, 3)), Float(values=[0.1, 0.3, 0.7]))),
    Row("prelu_1d", fn("prelu"), (Float((6,)), Float(values=[0.3]))),
    Row("prelu_0d", fn("prelu"), (Float(values=-1.5), Float(values=[0.3]))),
    Row("prelu_3d_channels", fn("prelu"), (Float((2, 4, 3)), Float((4,), lo=0.0, hi=1.0))),
    Row("elu", fn("elu"), (X,)),
    Row("elu_alpha", fn("elu", alpha=0.5), (X4,)),
    Row("elu_alpha_wide", fn("elu", alpha=2.0), (WIDE,)),
    Row("elu_inplace", fn("elu", inplace=True), (X,), torch_fn=fn("elu")),
    Row("softplus", fn("softplus"), (X,)),
    Row("softplus_threshold", fn("softplus"), (SP,)),
    Row("softplus_beta", fn("softplus", beta=2.0, threshold=5.0), (SP,)),
    Row("softplus_beta_neg", fn("softplus", beta=-1.0), (X,)),
    Row("softplus_beta_half", fn("softplus", beta=0.5, threshold=3.0), (Float((4, 5), -9, 9),)),
    Row("gelu", fn("gelu"), (X,)),
    Row("gelu_wide", fn("gelu"), (WIDE,)),
    Row("gelu_4d", fn("gelu"), (X4,)),
    Row("gelu_tanh", fn("gelu", approximate="tanh"), (X,)),
    Row("gelu_tanh_wide", fn("gelu", approximate="tanh"), (WIDE,)),
    Row("hardsigmoid", fn("hardsigmoid"), (Float((3, 4), lo=-5, hi=5),), **HARDSIGMOID64),
    Row("hardsigmoid_pieces", fn("hardsigmoid"), (HARD,), **HARDSIGMOID64),
    Row("hardsigmoid_inplace", fn("hardsigmoid", inplace=True), (X,), torch_fn=fn("hardsigmoid"),
        **HARDSIGMOID64),
    Row("hardswish", fn("hardswish"), (Float((3, 4), lo=-5, hi=5),)),
    Row("hardswish_pieces", fn("hardswish"), (HARD,)),
    Row("hardswish_4d", fn("hardswish"), (X4,)),
    Row("sigmoid", fn("sigmoid"), (Float((3, 4), lo=-30, hi=30),)),
    Row("tanh", fn("tanh"), (X,)),
    Row("relu", fn("relu"), (X,)),
    Row("rbf", fn("rbf"), (Float((5, 3)), Float((4, 3)), Float((4,), lo=-0.5, hi=0.5)),
        torch_fn=rbf_torch),
    Row("rbf_batch_dims", fn("rbf"), (Float((2, 3, 2)), Float((5, 2)), Float((5,), -1, 1)),
        torch_fn=rbf_torch),
    Row("rbf_1d_input", fn("rbf"), (Float((3,)), Float((2, 3)), Float((2,), -0.3, 0.3)),
        torch_fn=rbf_torch),
]


@pytest.mark.parametrize("row,dtype", cases(ROWS))
def test_vs_torch(row, dtype):
    check_row(row, dtype)


@pytest.mark.parametrize("row", fd_cases(ROWS))
def test_gradcheck(row):
    gradcheck_row(row)


# --------------------------------------------------------------------------- erfc / Phi


def test_erfc_matches_torch_to_float64_accuracy():
    x = np.concatenate([np.linspace(-30.0, 30.0, 60001), np.geomspace(1e-300, 1.0, 200),
                        -np.geomspace(1e-300, 1.0, 200), [0.0, -0.0, np.inf, -np.inf]])
    ours = _erfc(x)
    ref = torch.special.erfc(torch.from_numpy(x)).numpy()
    normal = ref > 1e-300  # below that the result is subnormal: few significant bits
    rel = np.abs(ours[normal] - ref[normal]) / ref[normal]
    assert rel.max() < 2e-15, (rel.max(), x[normal][rel.argmax()])
    np.testing.assert_allclose(ours[~normal], ref[~normal], rtol=0, atol=1e-314)
    assert np.isnan(_erfc(np.array([np.nan])))[0]
    # against Python's libm erf, in the range where 1 - erf keeps its digits
    z = np.linspace(-0.5, 3.0, 301)
    libm = np.array([math.erfc(v) for v in z])
    np.testing.assert_allclose(_erfc(z), libm, rtol=2e-15, atol=0)


def test_erfc_float32():
    x = np.linspace(-12.0, 12.0, 24001, dtype=np.float32)
    ours = _erfc(x)
    assert ours.dtype == np.float32
    ref = torch.special.erfc(torch.from_numpy(x)).numpy()
    normal = ref > 1e-37
    np.testing.assert_allclose(ours[normal], ref[normal], rtol=1e-6, atol=0)


def test_normal_cdf_both_tails():
    # torch.special.ndtr underflows to 0 below x ~ -20 (it cancels in 1 + erf); compare with
    # erfc(-x / sqrt 2) / 2 there, whose x / sqrt 2 rounding costs up to ~x^2 ulps
    x = np.linspace(-37.0, 8.0, 45001)
    ours = _normal_cdf(x)
    ref = 0.5 * torch.special.erfc(torch.from_numpy(x) * -math.sqrt(0.5)).numpy()
    np.testing.assert_allclose(ours, ref, rtol=4e-13, atol=0)
    mid = x > -8  # torch.special.ndtr has ~1e-16 absolute error (1 + erf)
    ndtr = torch.special.ndtr(torch.from_numpy(x[mid])).numpy()
    np.testing.assert_allclose(ours[mid], ndtr, rtol=2e-15, atol=2e-16)
    assert _normal_cdf(np.array([-np.inf]))[0] == 0 and _normal_cdf(np.array([np.inf]))[0] == 1
    # 50-digit values (mpmath.ncdf): the far tail keeps float64's relative accuracy
    assert _normal_cdf(np.array([-20.0]))[0] == pytest.approx(2.7536241186062337e-89, rel=2e-15)
    assert _normal_cdf(np.array([-37.5]))[0] == pytest.approx(4.605353009581955e-308,
                                                              rel=2e-15)


# --------------------------------------------------------------------------- modules

MODULES = [
    # (name, constructor args, input shape)
    ("ReLU", (), (3, 4)),
    ("ReLU", (True,), (3, 4)),
    ("LeakyReLU", (), (3, 4)),
    ("LeakyReLU", (0.2, True), (2, 3, 4)),
    ("PReLU", (), (2, 3, 4, 4)),
    ("PReLU", (3,), (2, 3, 4, 4)),
    ("PReLU", (4, 0.1), (5, 4)),
    ("ELU", (), (3, 4)),
    ("ELU", (0.5, True), (3, 4)),
    ("Softplus", (), (3, 4)),
    ("Softplus", (2.0, 3.0), (3, 4)),
    ("GELU", (), (3, 4)),
    ("GELU", ("tanh",), (3, 4)),
    ("Hardsigmoid", (), (3, 4)),
    ("Hardswish", (), (2, 3, 4)),
    ("Hardswish", (True,), (3, 4)),
    ("Sigmoid", (), (3, 4)),
    ("Tanh", (), (3, 4)),
    ("Softmax", (1,), (3, 4)),
    ("Softmax", (0,), (3, 4)),
    ("Softmax", (-1,), (2, 3, 4)),
    ("LogSoftmax", (1,), (3, 4)),
    ("LogSoftmax", (-1,), (2, 3, 4)),
]


# the module's gradient against torch's at HARDSIGMOID64's tolerance (and its reason)
GRAD_RTOL64 = {"Hardsigmoid": HARDSIGMOID64["tol64"][0]}


def compare_modules(gmod, tmod, x0, dtype, train):
    """Copy tmod's state into gmod, then compare outputs and all gradients."""
    tmod = tmod.double() if dtype == "float64" else tmod.float()
    gmod.load_state_dict({k: v.detach().numpy() for k, v in tmod.state_dict().items()})
    gmod = gmod.double() if dtype == "float64" else gmod.float()
    gmod.train(train)
    tmod.train(train)
    x = x0.astype(dtype)
    xg, xt = gradlab.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    og, ot = gmod(xg), tmod(xt.clone())  # torch's inplace modules refuse leaves
    up = np.random.default_rng(1).normal(size=tuple(ot.shape)).astype(dtype)
    og.backward(gradlab.tensor(up))
    ot.backward(torch.tensor(up))
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == "float64" else dict(rtol=1e-5, atol=1e-6)
    assert og.dtype.np == np.dtype(dtype)
    np.testing.assert_allclose(og.detach().numpy(), ot.detach().numpy(), **tol)
    if dtype == "float64" and type(gmod).__name__ in GRAD_RTOL64:
        tol = dict(rtol=GRAD_RTOL64[type(gmod).__name__], atol=0)
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), **tol)
    gp, tp = dict(gmod.named_parameters()), dict(tmod.named_parameters())
    assert gp.keys() == tp.keys()
    for name in gp:
        np.testing.assert_allclose(gp[name].grad.numpy(), tp[name].grad.numpy(), err_msg=name,
                                   **tol)


@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name,args,shape", MODULES, ids=[f"{m[0]}{m[1]}" for m in MODULES])
def test_module_vs_torch(name, args, shape, dtype, train):
    gmod, tmod = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(gmod) == repr(tmod)
    assert list(gmod.state_dict()) == list(tmod.state_dict())
    x0 = np.random.default_rng(0).uniform(-3, 3, size=shape)
    if name == "PReLU":  # weights that are not the default init, so a copy is checked
        with torch.no_grad():
            tmod.weight.uniform_(-1, 1)
    compare_modules(gmod, tmod, x0, dtype, train)


def test_prelu_init_and_dtype():
    m = nn.PReLU(3, init=0.1, dtype=gradlab.float64)
    assert m.weight.shape == (3,) and m.weight.dtype == gradlab.float64
    np.testing.assert_array_equal(m.weight.detach().numpy(), [0.1, 0.1, 0.1])
    assert nn.PReLU().weight.detach().tolist() == [0.25]


def test_softmax_implicit_dim_warns_and_picks_torchs_dim():
    for shape in [(4,), (3, 4), (2, 3, 4), (2, 3, 2, 2)]:
        x0 = np.random.default_rng(2).normal(size=shape)
        for cls in ("Softmax", "LogSoftmax"):
            with pytest.warns(UserWarning, match="Implicit dimension choice"):
                g = getattr(nn, cls)()(gradlab.tensor(x0))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t = getattr(torch.nn, cls)()(torch.tensor(x0))
            np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-12)


# --------------------------------------------------------------------------- RBF


def test_rbf_module_gradcheck_and_properties():
    gradlab.manual_seed(0)
    m = nn.RBF(3, 4).double()
    assert repr(m) == "RBF(in_features=3, out_features=4)"
    assert [n for n, _ in m.named_parameters()] == ["centers", "log_sigma"]
    c = m.centers.array
    assert c.min() >= -1 and c.max() <= 1 and np.all(m.log_sigma.detach().numpy() == 0)
    with gradlab.no_grad():
        m.log_sigma.array[:] = [-0.5, 0.0, 0.3, 1.0]
    x = gradlab.randn(5, 3, dtype=gradlab.float64, requires_grad=True)
    assert gradcheck(lambda x, c, s: F.rbf(x, c, s), (x, m.centers, m.log_sigma))
    # exactly at a centre the unit outputs 1
    y = m(gradlab.tensor(c)).detach().numpy()
    np.testing.assert_allclose(np.diag(y), 1.0, rtol=1e-14)
    # moving away from centre j along any direction, unit j decays monotonically, as
    # exp(-r^2 / (2 sigma^2))
    sig = np.exp(m.log_sigma.detach().numpy())
    for d in np.random.default_rng(3).normal(size=(3, 3)):
        d /= np.linalg.norm(d)
        r = np.linspace(0, 4, 41)
        for j in range(4):
            yj = m(gradlab.tensor(c[j] + r[:, None] * d)).detach().numpy()[:, j]
            assert np.all(np.diff(yj) < 0)
            np.testing.assert_allclose(yj, np.exp(-r**2 / (2 * sig[j] ** 2)), rtol=1e-12,
                                       atol=1e-15)
    out = m(gradlab.randn(2, 7, 3, dtype=gradlab.float64))
    vals = out.detach().numpy()
    assert out.shape == (2, 7, 4) and (vals > 0).all() and (vals <= 1).all()


def test_rbf_float32_at_centre_and_learns_a_target():
    gradlab.manual_seed(1)
    m = nn.RBF(2, 3)
    y = m(gradlab.tensor(m.centers.array))
    assert y.dtype == gradlab.float32
    np.testing.assert_allclose(np.diag(y.detach().numpy()), 1.0, rtol=1e-6)
    # centres move toward the points they should fire on
    target = np.array([[0.5, -0.5], [1.5, 1.0], [-1.0, 0.2]], dtype=np.float32)
    lr = 0.5
    for _ in range(200):
        out = m(gradlab.tensor(target))
        loss = -(out * gradlab.tensor(np.eye(3, dtype=np.float32))).sum()
        m.zero_grad()
        loss.backward()
        with gradlab.no_grad():
            m.centers.array -= lr * m.centers.grad.array
    np.testing.assert_allclose(m.centers.detach().numpy(), target, atol=1e-2)


# --------------------------------------------------------------------------- errors

ERRORS = [
    (lambda: F.gelu(gradlab.ones(2), approximate="fast"), RuntimeError,
     r"gelu: approximate argument must be either none or tanh, got 'fast'"),
    (lambda: nn.GELU("exact")(gradlab.ones(2)), RuntimeError, r"either none or tanh"),
    (lambda: F.prelu(gradlab.ones(2, 4), gradlab.ones(3)), RuntimeError,
     r"prelu: Mismatch of parameter numbers and input channel size. Found parameter numbers "
     r"= 3 and channel size = 4 \(input of shape \[2, 4\]\)"),
    (lambda: nn.PReLU(3)(gradlab.ones(3)), RuntimeError,
     r"parameter numbers = 3 and channel size = 1"),
    (lambda: F.rbf(gradlab.ones(2, 4), gradlab.ones(5, 3), gradlab.zeros(5)), RuntimeError,
     r"rbf: input of shape \[2, 4\] does not match centers of shape \[5, 3\] \(expected "
     r"input \(\*, 3\)\)"),
    (lambda: F.rbf(gradlab.ones(2, 3), gradlab.ones(5, 3), gradlab.zeros(4)), RuntimeError,
     r"rbf: expected centers \(out, in\) and log_sigma \(out,\), got \[5, 3\] and \[4\]"),
]


@pytest.mark.parametrize("call,exc,msg", ERRORS, ids=[e[2][:30] for e in ERRORS])
def test_errors(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call()


@pytest.mark.parametrize("name", ["hardsigmoid", "hardswish"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_hard_activations_at_their_kinks_follow_torch(name, dtype):
    x = np.array([-3.0, 3.0, -3.0000001, 2.9999999], dtype)
    xg, xt = gradlab.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    getattr(F, name)(xg).sum().backward()
    getattr(torch.nn.functional, name)(xt).sum().backward()
    # torch's float64 hardsigmoid gradient is g times a float32 1/6: equal to 1e-7 relative
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), rtol=1e-7, atol=0)
