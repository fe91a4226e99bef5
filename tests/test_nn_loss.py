"""Losses: every nn.functional loss against torch over its options (reductions, weights,
ignore_index, (N, C, d...) inputs, pos_weight, log_target, torch's legacy size_average/reduce,
extreme values), forward and the gradients of input, target and differentiable weights; float64
finite differences; every loss module against torch with copied buffers; the promised errors."""

import warnings

import numpy as np
import pytest
import torch
from oracle import Const, Float, Row, cases, check_row, fd_cases, gradcheck_row

import gradlab
import gradlab.nn as nn
import gradlab.nn.functional as F


def fn(name, **kw):
    return lambda m, *xs: getattr(m.nn.functional, name)(*xs, **kw)


def with_weight(name, arg="weight", **kw):
    """fn whose last tensor is passed as ``arg=``."""
    return lambda m, *xs: getattr(m.nn.functional, name)(*xs[:-1], **{arg: xs[-1]}, **kw)


N, S, M = "none", "sum", "mean"
X = Float((4, 5), lo=-2.0, hi=2.0)
Y = Float((4, 5), lo=-2.0, hi=2.0)
LOGP = Float((4, 5), lo=-4.0, hi=0.0)
IDX = Const([0, 3, 4, 3])
IDX_IGN = Const([0, -100, 4, -100])
CW = Float(values=[0.5, 2.0, 1.0, 0.25, 3.0], grad=False)
P = Float((3, 4), lo=0.05, hi=0.95)
T = Float((3, 4), lo=0.0, hi=1.0)
T_NOGRAD = Float((3, 4), lo=0.0, hi=1.0, grad=False)
POS = Float((3, 4), lo=0.05, hi=1.0)

ROWS = [
    # ---- nll_loss
    Row("nll_mean", fn("nll_loss"), (LOGP, IDX)),
    Row("nll_sum", fn("nll_loss", reduction=S), (LOGP, IDX)),
    Row("nll_none", fn("nll_loss", reduction=N), (LOGP, IDX)),
    Row("nll_weight_mean", with_weight("nll_loss"), (LOGP, IDX, CW)),
    Row("nll_weight_none", with_weight("nll_loss", reduction=N), (LOGP, IDX, CW)),
    Row("nll_ignore_mean", fn("nll_loss"), (LOGP, IDX_IGN)),
    Row("nll_ignore_weight_sum", with_weight("nll_loss", reduction=S), (LOGP, IDX_IGN, CW)),
    Row("nll_ignore_custom", with_weight("nll_loss", ignore_index=3), (LOGP, IDX, CW)),
    Row("nll_all_ignored_mean", fn("nll_loss", ignore_index=1), (LOGP, Const([1, 1, 1, 1])),
        fd=False, why="the loss is nan (0/0), as torch's; its gradient is 0"),
    Row("nll_all_ignored_none", fn("nll_loss", ignore_index=1, reduction=N),
        (LOGP, Const([1, 1, 1, 1]))),
    Row("nll_1d", fn("nll_loss"), (Float((5,), -3, 0), Const(2))),
    Row("nll_1d_none", fn("nll_loss", reduction=N), (Float((5,), -3, 0), Const(4))),
    Row("nll_3d", fn("nll_loss"), (Float((2, 3, 4)), Const([[0, 2, 1, 1], [2, 2, 0, 1]]))),
    Row("nll_4d_weight_ignore", with_weight("nll_loss", reduction=N),
        (Float((2, 3, 2, 2)), Const([[[0, -100], [2, 2]], [[1, 1], [-100, 2]]]),
         Float(values=[1.0, 0.5, 2.0], grad=False))),
    # gradlab takes any integer target (torch only int64 and uint8)
    Row("nll_int32_target", fn("nll_loss"), (LOGP, Const([1, 2, 0, 4], "int32")),
        torch_fn=lambda m, x, t: m.nn.functional.nll_loss(x, t.long())),
    Row("nll_empty_sum", fn("nll_loss", reduction=S), (Float((0, 3)), Const([], "int64"))),
    Row("nll_legacy_sum", fn("nll_loss", size_average=False), (LOGP, IDX)),
    # ---- mse / l1
    Row("mse_mean", fn("mse_loss"), (X, Y)),
    Row("mse_sum", fn("mse_loss", reduction=S), (X, Y)),
    Row("mse_none", fn("mse_loss", reduction=N), (Float((2, 3, 2)), Float((2, 3, 2)))),
    Row("mse_0d", fn("mse_loss"), (Float(()), Float(()))),
    Row("mse_weight_mean", with_weight("mse_loss"), (X, Y, Float((4, 5), 0.1, 2.0))),
    Row("mse_weight_sum", with_weight("mse_loss", reduction=S), (X, Y, Float((4, 5), 0, 2))),
    Row("mse_weight_none", with_weight("mse_loss", reduction=N), (X, Y, Float((4, 5), 0, 2))),
    Row("mse_legacy_none", fn("mse_loss", reduce=False), (X, Y)),
    Row("mse_legacy_sum", fn("mse_loss", size_average=False, reduce=True), (X, Y)),
    Row("l1_mean", fn("l1_loss"), (X, Y)),
    Row("l1_sum", fn("l1_loss", reduction=S), (X, Y)),
    Row("l1_none", fn("l1_loss", reduction=N), (X, Y)),
    Row("l1_ties", fn("l1_loss", reduction=S),
        (Float(values=[1.0, -2.0, 3.0]), Float(values=[1.0, -2.0, 0.0])),
        fd=False, why="|d| has a kink at d = 0 (the tied elements); torch's gradient there is 0"),
    Row("l1_weight_mean", with_weight("l1_loss"), (X, Y, Float((4, 5), 0.1, 2.0))),
    # ---- smooth_l1 / huber (values straddle |d| = beta / delta)
    Row("smooth_l1_mean", fn("smooth_l1_loss"), (X, Y)),
    Row("smooth_l1_sum_beta", fn("smooth_l1_loss", reduction=S, beta=0.5), (X, Y)),
    Row("smooth_l1_none_beta", fn("smooth_l1_loss", reduction=N, beta=2.5), (X, Y)),
    Row("smooth_l1_beta0", fn("smooth_l1_loss", beta=0.0), (X, Y)),
    Row("smooth_l1_legacy", fn("smooth_l1_loss", size_average=False), (X, Y)),
    Row("huber_mean", fn("huber_loss"), (X, Y)),
    Row("huber_sum_delta", fn("huber_loss", reduction=S, delta=0.5), (X, Y)),
    Row("huber_none_delta", fn("huber_loss", reduction=N, delta=2.5), (X, Y)),
    Row("huber_weight_mean", with_weight("huber_loss", delta=0.7), (X, Y, Float((4, 5), 0, 2))),
    Row("huber_weight_sum", with_weight("huber_loss", reduction=S), (X, Y, Float((4, 5), 0, 2))),
    # ---- binary_cross_entropy
    Row("bce_mean", fn("binary_cross_entropy"), (P, T)),
    Row("bce_sum", fn("binary_cross_entropy", reduction=S), (P, T)),
    Row("bce_none", fn("binary_cross_entropy", reduction=N), (P, T)),
    Row("bce_hard_targets", fn("binary_cross_entropy"), (P, Const([[0, 1, 1, 0]] * 3, "float32")),
        dtypes=("float32",)),
    Row("bce_weight", with_weight("binary_cross_entropy"), (P, T, Float((4,), 0, 2, grad=False))),
    Row("bce_weight_full_none", with_weight("binary_cross_entropy", reduction=N),
        (P, T, Float((3, 4), 0, 2, grad=False))),
    Row("bce_clamped_logs", fn("binary_cross_entropy", reduction=N),
        (Float(values=[0.0, 1.0, 0.0, 1.0, 1e-30, 1 - 1e-7]),
         Float(values=[1.0, 0.0, 0.0, 1.0, 1.0, 0.5])),
        fd=False, why="p = 0 and 1 sit on the -100 clamp of the logs (gradients 1e12, inf)"),
    Row("bce_legacy", fn("binary_cross_entropy", reduce=False), (P, T)),
    # ---- binary_cross_entropy_with_logits
    Row("bcel_mean", fn("binary_cross_entropy_with_logits"), (X, Float((4, 5), 0, 1))),
    Row("bcel_sum", fn("binary_cross_entropy_with_logits", reduction=S), (X, Float((4, 5), 0, 1))),
    Row("bcel_none", fn("binary_cross_entropy_with_logits", reduction=N),
        (X, Float((4, 5), 0, 1))),
    Row("bcel_weight", with_weight("binary_cross_entropy_with_logits"),
        (X, Float((4, 5), 0, 1), Float((5,), 0, 2, grad=False))),
    Row("bcel_pos_weight", with_weight("binary_cross_entropy_with_logits", "pos_weight"),
        (X, Float((4, 5), 0, 1), Float((5,), 0.2, 4, grad=False))),
    Row("bcel_pos_weight_none", with_weight("binary_cross_entropy_with_logits", "pos_weight",
                                            reduction=N),
        (Float((2, 3, 5)), Float((2, 3, 5), 0, 1), Float((5,), 0.2, 4, grad=False))),
    Row("bcel_weight_and_pos_weight",
        lambda m, x, t, w, pw: m.nn.functional.binary_cross_entropy_with_logits(
            x, t, w, reduction="sum", pos_weight=pw),
        (X, Float((4, 5), 0, 1), Float((4, 1), 0, 2, grad=False), Float((5,), 0.2, 4,
                                                                          grad=False))),
    Row("bcel_large_logits", fn("binary_cross_entropy_with_logits", reduction=N),
        (Float(values=[-1000.0, -100.0, -30.0, 30.0, 100.0, 1000.0]),
         Float(values=[1.0, 0.0, 0.7, 0.2, 1.0, 0.0]))),
    Row("bcel_large_logits_pos_weight",
        with_weight("binary_cross_entropy_with_logits", "pos_weight", reduction=N),
        (Float(values=[[-1000.0, -50.0, 50.0], [1000.0, 0.5, -0.5]]),
         Float(values=[[1.0, 0.3, 0.0], [0.0, 1.0, 0.5]]), Float(values=[3.0, 0.5, 2.0],
                                                                  grad=False))),
    # ---- kl_div
    Row("kl_batchmean", fn("kl_div", reduction="batchmean"), (LOGP, Float((4, 5), 0.01, 1))),
    Row("kl_mean", fn("kl_div"), (LOGP, Float((4, 5), 0.01, 1))),
    Row("kl_sum", fn("kl_div", reduction=S), (LOGP, Float((4, 5), 0.01, 1))),
    Row("kl_none", fn("kl_div", reduction=N), (LOGP, Float((4, 5), 0.01, 1))),
    Row("kl_zero_targets", fn("kl_div", reduction=S),
        (Float((2, 3), -3, 0), Float(values=[[0.0, 0.5, 0.5], [0.2, 0.0, 0.8]], grad=False))),
    Row("kl_log_target", fn("kl_div", reduction="batchmean", log_target=True),
        (LOGP, Float((4, 5), -4, 0))),
    Row("kl_log_target_none", fn("kl_div", reduction=N, log_target=True),
        (LOGP, Float((4, 5), -4, 0))),
    Row("kl_batchmean_0d", fn("kl_div", reduction="batchmean"), (Float(()), Float((), 0.1, 1))),
    Row("kl_legacy", fn("kl_div", size_average=False), (LOGP, Float((4, 5), 0.01, 1))),
    # ---- cross_entropy's legacy arguments (were ignored)
    Row("ce_legacy_sum", fn("cross_entropy", size_average=False), (X, IDX)),
    Row("ce_legacy_none", fn("cross_entropy", reduce=False), (X, IDX)),
]


@pytest.mark.parametrize("row,dtype", cases(ROWS))
def test_vs_torch(row, dtype):
    check_row(row, dtype)


@pytest.mark.parametrize("row", fd_cases(ROWS))
def test_gradcheck(row):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # kl_div's 'mean' and the legacy-argument warnings
        gradcheck_row(row)


def test_all_ignored_mean_is_nan_with_zero_gradient():
    x = gradlab.randn(3, 4, requires_grad=True)
    loss = F.nll_loss(x, gradlab.tensor([-100, -100, -100]))
    assert np.isnan(loss.item())
    loss.backward()
    assert np.all(x.grad.numpy() == 0)


def test_warnings_as_torch():
    x, t = gradlab.zeros(2, 3), gradlab.ones(2, 3) / 3
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(x, t)
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        F.mse_loss(x, t, size_average=False)


# --------------------------------------------------------------------------- modules


def _inputs(kind, dtype):
    rng = np.random.default_rng(5)
    if kind == "reg":
        return rng.normal(size=(4, 3)).astype(dtype), rng.normal(size=(4, 3)).astype(dtype)
    if kind == "cls":
        return rng.normal(size=(4, 3)).astype(dtype), np.array([0, 2, 1, 2])
    if kind == "logp":
        return (rng.uniform(-3, 0, size=(4, 3)).astype(dtype), np.array([0, 2, 1, 2]))
    if kind == "prob":
        return (rng.uniform(0.05, 0.95, size=(4, 3)).astype(dtype),
                rng.uniform(0, 1, size=(4, 3)).astype(dtype))
    if kind == "logit":
        return rng.normal(size=(4, 3)).astype(dtype), rng.uniform(0, 1, size=(4, 3)).astype(dtype)
    assert kind == "kl"
    return (rng.uniform(-3, 0, size=(4, 3)).astype(dtype),
            rng.uniform(-3, 0, size=(4, 3)).astype(dtype))


W3 = [0.5, 2.0, 1.5]
LOSS_MODULES = [
    # (name, kwargs (lists become tensors), input kind)
    ("L1Loss", {}, "reg"),
    ("L1Loss", {"reduction": "sum"}, "reg"),
    ("MSELoss", {}, "reg"),
    ("MSELoss", {"reduction": "none"}, "reg"),
    ("MSELoss", {"size_average": False}, "reg"),
    ("SmoothL1Loss", {"beta": 0.5}, "reg"),
    ("HuberLoss", {"delta": 2.0, "reduction": "sum"}, "reg"),
    ("NLLLoss", {}, "logp"),
    ("NLLLoss", {"weight": W3, "ignore_index": 1}, "logp"),
    ("CrossEntropyLoss", {"weight": W3, "label_smoothing": 0.1}, "cls"),
    ("CrossEntropyLoss", {"reduction": "none"}, "cls"),
    ("BCELoss", {"weight": W3}, "prob"),
    ("BCEWithLogitsLoss", {"pos_weight": W3}, "logit"),
    ("BCEWithLogitsLoss", {"weight": W3, "reduction": "sum"}, "logit"),
    ("KLDivLoss", {"reduction": "batchmean", "log_target": True}, "kl"),
]


@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name,kwargs,kind", LOSS_MODULES,
                         ids=[f"{m[0]}{sorted(m[1])}" for m in LOSS_MODULES])
def test_loss_module_vs_torch(name, kwargs, kind, dtype, train):
    def build(lib):
        kw = {k: lib.tensor(v, dtype=getattr(lib, dtype)) if isinstance(v, list) else v
              for k, v in kwargs.items()}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return getattr(lib.nn, name)(**kw).train(train)

    gmod, tmod = build(gradlab), build(torch)
    assert repr(gmod) == repr(tmod)
    assert gmod.reduction == tmod.reduction
    gsd, tsd = gmod.state_dict(), tmod.state_dict()
    assert list(gsd) == list(tsd)
    for k in gsd:
        np.testing.assert_array_equal(gsd[k].numpy(), tsd[k].numpy())
    x, y = _inputs(kind, dtype)
    xg, xt = gradlab.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    og, ot = gmod(xg, gradlab.tensor(y)), tmod(xt, torch.tensor(y))
    up = np.random.default_rng(6).normal(size=tuple(ot.shape)).astype(dtype)
    og.backward(gradlab.tensor(up))
    ot.backward(torch.tensor(up))
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == "float64" else dict(rtol=1e-5, atol=1e-6)
    assert og.dtype.np == np.dtype(dtype) and og.shape == tuple(ot.shape)
    np.testing.assert_allclose(og.detach().numpy(), ot.detach().numpy(), **tol)
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), **tol)


# --------------------------------------------------------------------------- errors

ONES = gradlab.ones(3, 4)
PROB = gradlab.full((3, 4), 0.5)
SHAPE_MSG = r"target of shape \[4\] does not match input of shape \[3, 4\]"
ERRORS = [
    (lambda: F.mse_loss(ONES, gradlab.ones(4)), ValueError, "mse_loss: " + SHAPE_MSG),
    (lambda: F.l1_loss(ONES, gradlab.ones(4)), ValueError, "l1_loss: " + SHAPE_MSG),
    (lambda: F.smooth_l1_loss(ONES, gradlab.ones(4)), ValueError, "smooth_l1_loss: " + SHAPE_MSG),
    (lambda: F.huber_loss(ONES, gradlab.ones(4)), ValueError, "huber_loss: " + SHAPE_MSG),
    (lambda: F.binary_cross_entropy(PROB, gradlab.ones(4)), ValueError,
     "binary_cross_entropy: " + SHAPE_MSG),
    (lambda: F.binary_cross_entropy_with_logits(ONES, gradlab.ones(4)), ValueError,
     "binary_cross_entropy_with_logits: " + SHAPE_MSG),
    (lambda: F.kl_div(ONES, gradlab.ones(4), reduction="sum"), ValueError, "kl_div: " + SHAPE_MSG),
    (lambda: F.mse_loss(gradlab.ones(3, 1), gradlab.ones(3)), ValueError,
     r"mse_loss: target of shape \[3\] does not match input of shape \[3, 1\]"),
    (lambda: nn.MSELoss()(ONES, gradlab.ones(4, 3)), RuntimeError, r"mse_loss: target of shape"),
    (lambda: F.nll_loss(ONES, gradlab.tensor([0, 1])), ValueError,
     r"nll_loss: input of shape \[3, 4\] expects a target of shape \[3\], got \[2\]"),
    (lambda: F.nll_loss(gradlab.ones(2, 3, 4), gradlab.tensor([[0, 1, 1]] * 2)), RuntimeError,
     r"nll_loss: input of shape \[2, 3, 4\] expects a target of shape \[2, 4\], got \[2, 3\]"),
    (lambda: F.nll_loss(ONES, gradlab.tensor([0.0, 1.0, 2.0])), RuntimeError,
     r"nll_loss: expected target dtype to be int64 \(class indices\), got gradlab.float32"),
    (lambda: F.nll_loss(ONES, gradlab.tensor([0, 4, 1])), IndexError,
     r"nll_loss: target 4 is out of bounds for 4 classes"),
    (lambda: F.nll_loss(ONES, gradlab.tensor([0, -1, 1])), IndexError,
     r"nll_loss: target -1 is out of bounds"),
    (lambda: F.nll_loss(ONES, gradlab.tensor([0, 1, 1]), weight=gradlab.ones(3)), RuntimeError,
     r"nll_loss: weight must have shape \[4\] \(one per class\), got \[3\]"),
    (lambda: F.nll_loss(gradlab.tensor(1.0), gradlab.tensor(0)), ValueError,
     r"nll_loss: input must have a class dimension"),
    (lambda: F.mse_loss(ONES, ONES, weight=gradlab.ones(4)), ValueError,
     r"mse_loss: weight of shape \[4\] must have the input's shape \[3, 4\]"),
    (lambda: F.binary_cross_entropy(ONES * 2, PROB), RuntimeError,
     r"binary_cross_entropy: all elements of input should be between 0 and 1"),
    (lambda: F.binary_cross_entropy(gradlab.tensor([float("nan")]), gradlab.tensor([0.5])),
     RuntimeError, r"all elements of input should be between 0 and 1"),
    (lambda: F.binary_cross_entropy(PROB, ONES * -1), RuntimeError,
     r"binary_cross_entropy: all elements of target should be between 0 and 1"),
    (lambda: F.binary_cross_entropy(PROB, PROB, weight=gradlab.ones(3)), RuntimeError,
     r"binary_cross_entropy: weight of shape \[3\] cannot be broadcast to the input's shape "
     r"\[3, 4\]"),
    (lambda: F.binary_cross_entropy(PROB, PROB, weight=gradlab.ones(4, requires_grad=True)),
     RuntimeError, r"The function 'binary_cross_entropy' is not differentiable with respect to "
                   r"argument 'weight'"),
    (lambda: F.binary_cross_entropy_with_logits(ONES, PROB,
                                                pos_weight=gradlab.ones(4, requires_grad=True)),
     RuntimeError, r"'binary_cross_entropy_with_logits' is not differentiable with respect to "
                   r"argument 'pos_weight'"),
    (lambda: F.binary_cross_entropy_with_logits(ONES, PROB, pos_weight=gradlab.ones(2)),
     RuntimeError, r"pos_weight of shape \[2\] cannot be broadcast to the input's shape \[3, 4\]"),
    (lambda: F.nll_loss(ONES, gradlab.tensor([0, 1, 1]),
                        weight=gradlab.ones(4, requires_grad=True)),
     RuntimeError, r"'nll_loss' is not differentiable with respect to argument 'weight'"),
    (lambda: F.smooth_l1_loss(ONES, ONES, beta=-1.0), RuntimeError,
     r"smooth_l1_loss does not support negative values for beta, got -1.0"),
    (lambda: F.huber_loss(ONES, ONES, delta=0.0), RuntimeError,
     r"huber_loss does not support non-positive values for delta, got 0.0"),
]
for _name, _call in [
    ("mse_loss", lambda r: F.mse_loss(ONES, ONES, reduction=r)),
    ("l1_loss", lambda r: F.l1_loss(ONES, ONES, reduction=r)),
    ("smooth_l1_loss", lambda r: F.smooth_l1_loss(ONES, ONES, reduction=r)),
    ("huber_loss", lambda r: F.huber_loss(ONES, ONES, reduction=r)),
    ("nll_loss", lambda r: F.nll_loss(ONES, gradlab.tensor([0, 1, 2]), reduction=r)),
    ("cross_entropy", lambda r: F.cross_entropy(ONES, gradlab.tensor([0, 1, 2]), reduction=r)),
    ("binary_cross_entropy", lambda r: F.binary_cross_entropy(PROB, PROB, reduction=r)),
    ("binary_cross_entropy_with_logits",
     lambda r: F.binary_cross_entropy_with_logits(ONES, PROB, reduction=r)),
    ("kl_div", lambda r: F.kl_div(ONES, PROB, reduction=r)),
]:
    ERRORS.append(((lambda c: lambda: c("avg"))(_call), ValueError,
                   rf"{_name}: avg is not a valid value for reduction \(expected one of 'none', "
                   r"'mean', 'sum'"))
ERRORS.append((lambda: F.mse_loss(ONES, ONES, reduction="batchmean"), ValueError,
               r"mse_loss: batchmean is not a valid value for reduction"))
ERRORS.append((lambda: nn.L1Loss(reduction="elementwise")(ONES, ONES), ValueError,
               r"l1_loss: elementwise is not a valid value for reduction"))


@pytest.mark.parametrize("call,exc,msg", ERRORS, ids=[str(i) for i in range(len(ERRORS))])
def test_errors(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call()
