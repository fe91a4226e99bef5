"""Lazy layers (nn.LazyLinear, nn.LazyConv2d) against torch 2.13: uninitialized parameters until
the first forward, then the eager layer (class, repr, shapes, init, outputs and gradients);
state_dict before and after; the optimizer built before or after the dry run; the errors."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch

import gradlab
import gradlab.nn as gnn
import gradlab.optim as goptim
from gradlab.nn.parameter import UninitializedParameter

BUILD = {
    "linear": (lambda nn: nn.LazyLinear(3), lambda nn: nn.LazyLinear(3, bias=False), (2, 5)),
    "conv2d": (lambda nn: nn.LazyConv2d(4, 3, padding=1),
               lambda nn: nn.LazyConv2d(4, 3, groups=2, bias=False), (2, 6, 5, 5)),
}


def both(kind: str, which: int = 0):
    return BUILD[kind][which](torch.nn), BUILD[kind][which](gnn)


@pytest.mark.parametrize("kind", BUILD)
@pytest.mark.parametrize("which", [0, 1])
def test_before_the_first_forward_as_torch(kind, which):
    t, g = both(kind, which)
    assert repr(g) == repr(t)
    assert g.has_uninitialized_params() and t.has_uninitialized_params()
    names_t = [(k, type(v).__name__) for k, v in t.state_dict().items()]
    names_g = [(k, type(v).__name__) for k, v in g.state_dict().items()]
    assert names_g == names_t
    assert [type(p).__name__ for p in g.parameters()] == [type(p).__name__ for p in
                                                           t.parameters()]
    assert repr(g.weight) == repr(t.weight) == "<UninitializedParameter>"
    assert g.weight.requires_grad and g.weight.is_leaf
    assert type(g).cls_to_become.__name__ == type(t).cls_to_become.__name__


@pytest.mark.parametrize("kind", BUILD)
@pytest.mark.parametrize("which", [0, 1])
def test_first_forward_becomes_the_eager_layer_as_torch(kind, which):
    t, g = both(kind, which)
    shape = BUILD[kind][2]
    x = np.random.default_rng(0).normal(size=shape)
    g(gradlab.tensor(x, dtype=gradlab.float32))
    t(torch.tensor(x, dtype=torch.float32))
    assert type(g) is {"linear": gnn.Linear, "conv2d": gnn.Conv2d}[kind]
    assert type(t) is {"linear": torch.nn.Linear, "conv2d": torch.nn.Conv2d}[kind]
    assert repr(g) == repr(t)
    assert not hasattr(g, "has_uninitialized_params")
    assert [(k, tuple(v.shape)) for k, v in g.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in t.state_dict().items()]
    assert all(type(p) is gnn.Parameter for p in g.parameters())
    # the same layer from now on: outputs and gradients with torch's weights copied in
    g.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
    xt = torch.tensor(x, dtype=torch.float32, requires_grad=True)
    xg = gradlab.tensor(x, dtype=gradlab.float32, requires_grad=True)
    yt, yg = t(xt), g(xg)
    np.testing.assert_allclose(yg.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    (yt * yt).sum().backward()
    (yg * yg).sum().backward()
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(g.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-4,
                               atol=1e-4)


def test_init_is_the_eager_layers():
    # the same draws as nn.Linear(in, out) made at the first forward: U(-1/sqrt(in), 1/sqrt(in))
    gradlab.manual_seed(0)
    eager = gnn.Linear(40, 30)
    gradlab.manual_seed(0)
    lazy = gnn.LazyLinear(30)
    lazy(gradlab.ones(1, 40))
    np.testing.assert_array_equal(lazy.weight.detach().numpy(), eager.weight.detach().numpy())
    np.testing.assert_array_equal(lazy.bias.detach().numpy(), eager.bias.detach().numpy())
    k = 1 / math.sqrt(40)
    w = lazy.weight.detach().numpy()
    assert np.abs(w).max() <= k and abs(w.std() - k / math.sqrt(3)) < 0.1 * k
    assert lazy.weight.dtype == gradlab.float32
    gradlab.manual_seed(1)
    eager = gnn.Conv2d(6, 4, 3)
    gradlab.manual_seed(1)
    lazy = gnn.LazyConv2d(4, 3)
    lazy(gradlab.ones(6, 5, 5))  # unbatched: in_channels is shape[0]
    np.testing.assert_array_equal(lazy.weight.detach().numpy(), eager.weight.detach().numpy())
    lazy64 = gnn.LazyLinear(2, dtype=gradlab.float64)
    lazy64(gradlab.ones(1, 3, dtype=gradlab.float64))
    assert lazy64.weight.dtype == gradlab.float64


@pytest.mark.parametrize("dry_run_first", [True, False])
def test_training_with_the_optimizer_built_before_or_after_the_dry_run(dry_run_first):
    gradlab.manual_seed(0)
    model = gnn.Sequential(gnn.LazyLinear(8), gnn.ReLU(), gnn.LazyLinear(1))
    x = gradlab.randn(64, 2)
    y = (x[:, :1] * x[:, 1:] > 0).float()
    if dry_run_first:
        model(x[:1])
    opt = goptim.Adam(model.parameters(), lr=0.05)
    first = None
    for _ in range(60):
        opt.zero_grad()
        loss = gnn.functional.binary_cross_entropy_with_logits(model(x), y)
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    assert repr(model) == ("Sequential(\n  (0): Linear(in_features=2, out_features=8, bias=True)"
                           "\n  (1): ReLU()\n  (2): Linear(in_features=8, out_features=1, "
                           "bias=True)\n)")
    assert loss.item() < 0.8 * first
    assert [tuple(p.shape) for p in opt.param_groups[0]["params"]] == [(8, 2), (8,), (1, 8),
                                                                      (1,)]


def test_optimizer_before_the_dry_run_as_torch():
    for nn, optim, tensor in ((torch.nn, torch.optim, torch.ones),
                              (gnn, goptim, gradlab.ones)):
        m = nn.LazyLinear(2)
        opt = optim.SGD(m.parameters(), lr=0.1)
        m(tensor(1, 4)).sum().backward()
        before = m.weight.detach().clone()
        opt.step()
        assert tuple(opt.param_groups[0]["params"][0].shape) == (2, 4)
        assert (m.weight.detach() - before).abs().max().item() > 0


def test_load_state_dict_materializes_as_torch():
    for nn, tensor in ((torch.nn, torch.ones), (gnn, gradlab.ones)):
        src = nn.Linear(5, 3)
        lazy = nn.LazyLinear(3)
        lazy.load_state_dict(src.state_dict())
        assert type(lazy).__name__ == "LazyLinear" and tuple(lazy.weight.shape) == (3, 5)
        assert not lazy.has_uninitialized_params()
        np.testing.assert_array_equal(np.asarray(lazy.weight.detach()),
                                      np.asarray(src.weight.detach()))
        lazy(tensor(2, 5))
        assert repr(lazy) == "Linear(in_features=5, out_features=3, bias=True)"
        other = nn.LazyLinear(3)
        other.load_state_dict(nn.LazyLinear(3).state_dict())  # lazy into lazy: stays lazy
        assert other.has_uninitialized_params()
    with pytest.raises(RuntimeError, match="Missing key"):
        gnn.LazyLinear(3).load_state_dict({})


def test_uninitialized_parameter_refuses_its_shape_as_torch():
    for cls in (torch.nn.parameter.UninitializedParameter, UninitializedParameter):
        p = cls()
        with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
            _ = p.shape
        with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter"):
            p.numel()
    p = UninitializedParameter()
    p.materialize((2, 3))
    assert type(p) is gnn.Parameter and tuple(p.shape) == (2, 3) and p.requires_grad


def test_copies_and_errors():
    m = copy.deepcopy(gnn.LazyLinear(3))
    m(gradlab.ones(2, 4))
    assert repr(m) == "Linear(in_features=4, out_features=3, bias=True)"
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        gnn.LazyConv2d(4, 3, groups=2)(gradlab.ones(1, 3, 5, 5))
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        torch.nn.LazyConv2d(4, 3, groups=2)(torch.ones(1, 3, 5, 5))
    with pytest.raises(RuntimeError, match=r"LazyConv2d: expected a 3-D .* got shape \[5, 5\]"):
        gnn.LazyConv2d(4, 3)(gradlab.ones(5, 5))
    with pytest.raises(ValueError, match="LazyLinear: the input must have at least one dim"):
        gnn.LazyLinear(3)(gradlab.ones(()))


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_flatten_parameters_is_a_no_op_as_torchs_on_cpu(cls):
    t, g = getattr(torch.nn, cls)(3, 4), getattr(gnn, cls)(3, 4)
    g.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
    params = [(p, p.array) for p in g.parameters()]
    x = np.random.default_rng(0).normal(size=(5, 2, 3)).astype(np.float32)
    before = g(gradlab.tensor(x))[0].detach().numpy()
    assert g.flatten_parameters() is None and t.flatten_parameters() is None
    assert all(p is q and p.array is a for (p, a), q in zip(params, g.parameters()))
    np.testing.assert_array_equal(g(gradlab.tensor(x))[0].detach().numpy(), before)
    np.testing.assert_allclose(before, t(torch.tensor(x))[0].detach().numpy(), rtol=1e-5,
                               atol=1e-5)
