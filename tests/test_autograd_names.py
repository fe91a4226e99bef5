"""grad_fn names as torch prints them: the same expression built in gradlab and torch 2.13 gives
the same ``grad_fn.name()`` and the same tree of ``next_functions`` names (leaves as
``AccumulateGrad``), where gradlab's graph has torch's structure; the documented differences
(gradlab/ops/_names.py) are pinned by their own tests."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import gradlab
import gradlab.nn.functional as GF
from gradlab.autograd import AccumulateGrad, Function

RNG = np.random.default_rng(0)
ARRAYS = {
    "x": RNG.uniform(0.5, 2.0, (3, 4)),  # positive: log, sqrt, pow with a tensor exponent
    "w": RNG.normal(size=(4, 5)),
    "v": RNG.normal(size=4),
    "b": RNG.normal(size=5),
    "img": RNG.normal(size=(2, 3, 8, 8)),
    "k": RNG.normal(size=(4, 3, 3, 3)),
    "kb": RNG.normal(size=4),
    "g": RNG.normal(size=8),
}


def leaves(lib):
    """The same leaves in ``lib`` (torch or gradlab), float64, requiring grad."""
    return {k: lib.tensor(a, requires_grad=True) for k, a in ARRAYS.items()}


def tree(fn, depth: int = 8):
    """(class name, children) down ``next_functions``; None for an input without gradient.
    (The class name: torch's ``AccumulateGrad.name()`` is "torch::autograd::AccumulateGrad".)"""
    if fn is None:
        return None
    if depth == 0:
        return type(fn).__name__
    return (type(fn).__name__, tuple(tree(f, depth - 1) for f, _ in fn.next_functions))


def lt(lib):
    return torch.tensor([0, 1, 2]) if lib is torch else gradlab.tensor([0, 1, 2])


# (id, f(lib, F, t)) built identically in both libraries; the trees must be equal
SAME = [
    ("add_scalar", lambda lib, F, t: t["x"] + 1),
    ("add_self", lambda lib, F, t: t["x"] + t["x"]),
    ("radd", lambda lib, F, t: 1 + t["x"]),
    ("sub_scalar", lambda lib, F, t: t["x"] - 1),
    ("rsub", lambda lib, F, t: 1 - t["x"]),
    ("sub", lambda lib, F, t: t["x"] - t["x"].exp()),
    ("mul_scalar", lambda lib, F, t: t["x"] * 2),
    ("mul", lambda lib, F, t: t["x"] * t["x"]),
    ("div_scalar", lambda lib, F, t: t["x"] / 2),
    ("div", lambda lib, F, t: t["x"] / t["x"]),
    ("pow_scalar", lambda lib, F, t: t["x"] ** 2),
    ("pow_tensor", lambda lib, F, t: t["x"] ** t["x"]),
    ("rpow", lambda lib, F, t: 2 ** t["x"]),
    ("neg", lambda lib, F, t: -t["x"]),
    ("abs", lambda lib, F, t: t["x"].abs()),
    ("exp_log", lambda lib, F, t: t["x"].exp().log()),
    ("log1p", lambda lib, F, t: t["x"].log1p()),
    ("sqrt_rsqrt", lambda lib, F, t: t["x"].sqrt() + t["x"].rsqrt()),
    ("sin_cos", lambda lib, F, t: t["x"].sin() * t["x"].cos()),
    ("tanh_sigmoid", lambda lib, F, t: t["x"].tanh().sigmoid()),
    ("relu", lambda lib, F, t: t["x"].relu()),
    ("F_relu", lambda lib, F, t: F.relu(t["x"])),
    ("clamp", lambda lib, F, t: t["x"].clamp(0, 1)),
    ("clone", lambda lib, F, t: t["x"].clone()),
    ("to_float32", lambda lib, F, t: t["x"].float()),
    ("maximum", lambda lib, F, t: lib.maximum(t["x"], t["x"] * 2)),
    ("minimum", lambda lib, F, t: lib.minimum(t["x"], t["x"] * 2)),
    ("where", lambda lib, F, t: lib.where(t["x"] > 1, t["x"], t["x"] * 2)),
    ("sum", lambda lib, F, t: t["x"].sum()),
    ("sum_dim", lambda lib, F, t: t["x"].sum(1)),
    ("mean", lambda lib, F, t: t["x"].mean()),
    ("mean_dim", lambda lib, F, t: t["x"].mean(0)),
    ("var_std", lambda lib, F, t: t["x"].var() + t["x"].std(1).sum()),
    ("max", lambda lib, F, t: t["x"].max()),
    ("max_dim", lambda lib, F, t: t["x"].max(1)[0]),
    ("min", lambda lib, F, t: t["x"].min()),
    ("min_dim", lambda lib, F, t: t["x"].min(1).values),
    ("amax_amin", lambda lib, F, t: t["x"].amax(1) + t["x"].amin(1)),
    ("logsumexp", lambda lib, F, t: t["x"].logsumexp(1)),
    ("prod", lambda lib, F, t: t["x"].prod() + t["x"].prod(1).sum()),
    ("cumsum", lambda lib, F, t: t["x"].cumsum(1)),
    ("softmax", lambda lib, F, t: t["x"].softmax(1)),
    ("F_log_softmax", lambda lib, F, t: F.log_softmax(t["x"], 1)),
    ("mm", lambda lib, F, t: t["x"] @ t["w"]),
    ("mv", lambda lib, F, t: t["x"] @ t["v"]),
    ("dot", lambda lib, F, t: t["v"] @ t["v"]),
    ("bmm", lambda lib, F, t: lib.bmm(t["x"].unsqueeze(0), t["w"].unsqueeze(0))),
    ("reshape_view", lambda lib, F, t: t["x"].reshape(12).view(2, 6)),
    ("flatten", lambda lib, F, t: t["img"].flatten(1)),
    ("unsqueeze_squeeze", lambda lib, F, t: t["x"].unsqueeze(0).squeeze(0)),
    ("squeeze_all", lambda lib, F, t: t["x"].unsqueeze(0).squeeze()),
    ("expand", lambda lib, F, t: t["v"].expand(3, 4)),
    ("permute", lambda lib, F, t: t["img"].permute(0, 2, 3, 1)),
    ("t", lambda lib, F, t: t["x"].t()),
    ("t_1d", lambda lib, F, t: t["v"].t()),
    ("T", lambda lib, F, t: t["x"].T),
    ("transpose", lambda lib, F, t: t["x"].transpose(0, 1)),
    ("contiguous", lambda lib, F, t: t["x"].t().contiguous()),
    ("select", lambda lib, F, t: t["x"][0]),
    ("slice", lambda lib, F, t: t["x"][1:]),
    ("index", lambda lib, F, t: t["x"][[0, 2]]),
    ("gather", lambda lib, F, t: t["x"].gather(1, lt(lib).reshape(3, 1))),
    ("index_select", lambda lib, F, t: t["x"].index_select(0, lt(lib))),
    ("cat_stack", lambda lib, F, t: lib.stack([lib.cat([t["x"], t["x"]]),
                                               lib.cat([t["x"], t["x"] * 2])])),
    ("pad", lambda lib, F, t: F.pad(t["x"], (1, 1))),
    ("activations", lambda lib, F, t: F.gelu(F.elu(F.leaky_relu(F.softplus(t["x"]))))),
    ("hard", lambda lib, F, t: F.hardswish(F.hardsigmoid(t["x"]))),
    ("nll_loss", lambda lib, F, t: F.nll_loss(F.log_softmax(t["x"], 1), lt(lib))),
    ("embedding", lambda lib, F, t: F.embedding(lt(lib), t["x"])),
    ("conv2d", lambda lib, F, t: F.conv2d(t["img"], t["k"], t["kb"])),
    ("conv2d_nobias", lambda lib, F, t: F.conv2d(t["img"], t["k"])),
    ("pools", lambda lib, F, t: F.avg_pool2d(F.max_pool2d(t["img"], 2), 2)),
    ("adaptive_max", lambda lib, F, t: F.adaptive_max_pool2d(t["img"], 2)),
    ("layer_norm", lambda lib, F, t: F.layer_norm(t["img"], (8,), t["g"], t["g"])),
    # the autograd tutorial's z = x w + b, and a two-layer net written with matmuls
    ("tutorial_z", lambda lib, F, t: lib.matmul(t["x"], t["w"]) + t["b"]),
    ("mlp", lambda lib, F, t: F.nll_loss(F.log_softmax(
        (t["x"] @ t["w"] + t["b"]).relu() @ t["w"].t() @ t["w"], 1), lt(lib))),
    ("convnet", lambda lib, F, t: F.log_softmax(F.max_pool2d(F.relu(F.conv2d(
        t["img"], t["k"], t["kb"], padding=1)), 2).flatten(1) @ lib.ones(
        64, 5, dtype=lib.float64), 1)),
]


@pytest.mark.parametrize("row", SAME, ids=[r[0] for r in SAME])
def test_grad_fn_tree_matches_torch(row):
    _, f = row
    yt = f(torch, TF, leaves(torch))
    yg = f(gradlab, GF, leaves(gradlab))
    assert tree(yg.grad_fn) == tree(yt.grad_fn)
    node = yg.grad_fn
    assert type(node).__name__ == node.name() == yt.grad_fn.name()
    assert re.fullmatch(rf"<{node.name()} object at 0x[0-9a-f]+>", repr(node))


def test_tensor_repr_names_the_node_as_torch():
    xt, xg = torch.tensor([1.0, 2.0], requires_grad=True), gradlab.tensor([1.0, 2.0],
                                                                          requires_grad=True)
    assert repr((xg * 2).sum()) == repr((xt * 2).sum()) == "tensor(6., grad_fn=<SumBackward0>)"


def test_accumulate_grad_is_the_leafs_node():
    for lib in (torch, gradlab):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * x
        a, b = (f for f, _ in y.grad_fn.next_functions)
        assert type(a).__name__ == "AccumulateGrad"
        assert a.variable is x and a is b and a.next_functions == ()
        assert re.fullmatch(r"<AccumulateGrad object at 0x[0-9a-f]+>", repr(a))
        assert x.grad_fn is None
    assert isinstance(a, AccumulateGrad) and a.name() == "AccumulateGrad"


class CubeT(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        return g


class CubeG(Function):
    @staticmethod
    def forward(ctx, x):
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        return g


def test_custom_function_node_is_named_as_torchs():
    nt = CubeT.apply(torch.ones(2, requires_grad=True)).grad_fn
    ng = CubeG.apply(gradlab.ones(2, requires_grad=True)).grad_fn
    assert nt.name() == "CubeTBackward" and ng.name() == "CubeGBackward"
    assert type(ng).__name__ == "CubeGBackward"
    assert re.fullmatch(r"<torch\.autograd\.function\.CubeTBackward object at 0x[0-9a-f]+>",
                        repr(nt))
    assert re.fullmatch(r"<gradlab\.autograd\.function\.CubeGBackward object at 0x[0-9a-f]+>",
                        repr(ng))


def test_nodes_of_one_function_share_their_class():
    x = gradlab.ones(2, requires_grad=True)
    assert type((x * 2).grad_fn) is type((x * 3).grad_fn)
    assert type(x.t().grad_fn) is not type(x.permute(0).grad_fn)


# ---- where gradlab's graph is shaped differently: the top name matches, the tree is pinned


def test_cross_entropy_is_one_node_named_as_torchs_top():
    lt_, lg = (TF.cross_entropy(torch.tensor(ARRAYS["x"], requires_grad=True), lt(torch)),
               GF.cross_entropy(gradlab.tensor(ARRAYS["x"], requires_grad=True), lt(gradlab)))
    assert tree(lt_.grad_fn) == ("NllLossBackward0", (("LogSoftmaxBackward0", (
        ("AccumulateGrad", ()),)),))
    assert tree(lg.grad_fn) == ("NllLossBackward0", (("AccumulateGrad", ()),))


def test_linear_is_one_node_named_as_torchs_top():
    t = torch.nn.Linear(4, 5)
    g = gradlab.nn.Linear(4, 5)
    yt, yg = t(torch.ones(3, 4)), g(gradlab.ones(3, 4))
    assert tree(yt.grad_fn) == ("AddmmBackward0", (("AccumulateGrad", ()), None, (
        "TBackward0", (("AccumulateGrad", ()),))))
    assert tree(yg.grad_fn) == ("AddmmBackward0", (("AccumulateGrad", ()), None,
                                                   ("AccumulateGrad", ())))
    assert yg.grad_fn.next_functions[0][0].variable is g.bias
    assert yg.grad_fn.next_functions[2][0].variable is g.weight


@pytest.mark.parametrize("shape", [(4,), (3, 4), (2, 3, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_top_name_and_inputs_per_case(shape, bias):
    # torch: Addmm/Mm under a View/Squeeze/UnsafeView for inputs that are not 2-D; gradlab's
    # one node takes the top's name and lists Addmm's (b, x, w) or Mm's (x, w)
    x = RNG.normal(size=shape)
    xt, xg = torch.tensor(x, requires_grad=True), gradlab.tensor(x, requires_grad=True)
    t = torch.nn.Linear(4, 5, bias=bias).double()
    g = gradlab.nn.Linear(4, 5, bias=bias, dtype=gradlab.float64)
    yt, yg = t(xt), g(xg)
    assert yg.grad_fn.name() == yt.grad_fn.name()
    inner = yt.grad_fn if len(shape) == 2 else yt.grad_fn.next_functions[0][0]
    assert len(yg.grad_fn.next_functions) == len(inner.next_functions)
    want = [g.bias, xg, g.weight] if bias else [xg, g.weight]
    got = [f.variable for f, _ in yg.grad_fn.next_functions]
    assert len(got) == len(want) and all(a is b for a, b in zip(got, want))
