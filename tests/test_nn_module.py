"""nn.Module, Parameter, containers, Linear and init, checked against torch.nn."""

import math
from collections import OrderedDict

import numpy as np
import pytest
import torch

import gradlab
import gradlab.nn as nn
from gradlab.nn import init


def build(lib):
    n = lib.nn
    return n.Sequential(OrderedDict([
        ("fc1", n.Linear(4, 8)),
        ("act", n.Identity()),
        ("block", n.Sequential(n.Linear(8, 8), n.Flatten())),
        ("heads", n.ModuleList([n.Linear(8, 3), n.Linear(8, 2, bias=False)])),
    ]))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = build(gradlab)
        self.register_buffer("steps", gradlab.zeros(1))
        self.register_buffer("scratch", gradlab.zeros(2), persistent=False)

    def forward(self, x):
        h = self.body.block(self.body.act(self.body.fc1(x)))
        return self.body.heads[0](h), self.body.heads[1](h)


def copy_from_torch(g_mod, t_mod):
    g_mod.load_state_dict({k: v.detach().numpy() for k, v in t_mod.state_dict().items()})


def test_names_repr_and_counts_match_torch():
    g, t = build(gradlab), build(torch)
    assert [n for n, _ in g.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [p.shape for p in g.parameters()] == [tuple(p.shape) for p in t.parameters()]
    assert [n for n, _ in g.named_modules()] == [n for n, _ in t.named_modules()]
    assert [type(c).__name__ for c in g.children()] == [type(c).__name__ for c in t.children()]
    assert repr(g) == repr(t)
    assert sum(p.numel() for p in g.parameters()) == sum(p.numel() for p in t.parameters())


def test_loading_a_torch_state_dict_gives_the_same_outputs_and_grads():
    t = build(torch)
    g = build(gradlab)
    copy_from_torch(g, t)
    x0 = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    xg = gradlab.tensor(x0, requires_grad=True)
    xt = torch.tensor(x0, requires_grad=True)

    def run(m, x):
        h = m.block(m.act(m.fc1(x)))
        return (m.heads[0](h) ** 2).sum() + m.heads[1](h).sum()

    og, ot = run(g, xg), run(t, xt)
    og.backward()
    ot.backward()
    np.testing.assert_allclose(og.item(), ot.item(), rtol=1e-5)
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)
    for (n, pg), (_, pt) in zip(g.named_parameters(), t.named_parameters()):
        np.testing.assert_allclose(pg.grad.numpy(), pt.grad.numpy(), rtol=1e-5, atol=1e-6,
                                   err_msg=n)


def test_state_dict_round_trip_buffers_and_persistence():
    a, b = Net(), Net()
    a.steps.fill_(3.0)
    sd = a.state_dict()
    assert "steps" in sd and "scratch" not in sd
    assert list(sd)[:3] == ["steps", "body.fc1.weight", "body.fc1.bias"]  # own state first
    res = b.load_state_dict(sd)
    assert res.missing_keys == [] and res.unexpected_keys == []
    for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values()):
        assert va.equal(vb), k
    # state_dict values share memory with the parameters, but are detached
    w = a.state_dict()["body.fc1.weight"]
    assert not w.requires_grad and np.shares_memory(w.array, a.body.fc1.weight.array)


def test_load_state_dict_errors_and_non_strict():
    m = Net()
    sd = m.state_dict()
    bad = dict(sd)
    bad.pop("body.fc1.bias")
    bad["extra.weight"] = np.zeros(2)
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "body.fc1.bias"'
                                           r'.*\n.*Unexpected key\(s\) in state_dict: '
                                           r'"extra.weight"'):
        m.load_state_dict(bad)
    res = m.load_state_dict(bad, strict=False)
    assert res.missing_keys == ["body.fc1.bias"] and res.unexpected_keys == ["extra.weight"]
    wrong = dict(sd)
    wrong["body.fc1.weight"] = np.zeros((3, 3))
    with pytest.raises(RuntimeError, match=r"size mismatch for body.fc1.weight: copying a param "
                                           r"with shape \[3, 3\] from checkpoint, the shape in "
                                           r"current model is \[8, 4\]"):
        m.load_state_dict(wrong, strict=False)


def test_train_eval_zero_grad_requires_grad_apply():
    m = Net()
    assert all(x.training for x in m.modules())
    m.eval()
    assert not any(x.training for x in m.modules())
    m.train()
    out = m(gradlab.randn(2, 4))
    (out[0].sum() + out[1].sum()).backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    assert all(float(p.grad.abs().sum()) == 0 for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen[-1] == "Net" and seen[0] == "Linear"


def test_registration_rules():
    m = nn.Linear(2, 3)
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'weight'"):
        m.weight = gradlab.zeros(3, 2)
    m.weight = nn.Parameter(gradlab.zeros(3, 2))
    assert m.weight.requires_grad and float(m.weight.abs().sum()) == 0
    with pytest.raises(KeyError, match="name can.*t contain"):
        m.register_buffer("a.b", gradlab.zeros(1))
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'nope'"):
        _ = m.nope

    class NoInit(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(gradlab.zeros(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        NoInit()
    with pytest.raises(NotImplementedError, match="missing the required \"forward\""):
        nn.Module()(1)
    shared = nn.Linear(2, 2)
    seq = nn.Sequential(shared, shared)
    assert len(list(seq.parameters())) == 2  # shared parameters appear once


def test_shared_containers_behave_like_torch():
    g = nn.Sequential(nn.Linear(1, 1), nn.Identity(), nn.Linear(1, 2))
    t = torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.Identity(), torch.nn.Linear(1, 2))
    assert repr(g[1:]) == repr(t[1:]) and repr(g[-1]) == repr(t[-1]) and len(g) == len(t)
    with pytest.raises(IndexError, match="index 5 is out of range"):
        g[5]
    d = nn.ModuleDict({"a": nn.Linear(1, 1), "b": nn.Identity()})
    assert list(d) == ["a", "b"] and "a" in d and len(list(d.parameters())) == 2
    ml = nn.ModuleList([nn.Identity()])
    ml.insert(0, nn.Linear(1, 1))
    assert type(ml[0]).__name__ == "Linear" and len(ml) == 2


def test_forward_hooks_and_pre_hooks():
    m = nn.Linear(3, 2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    h2 = m.register_forward_hook(lambda mod, args, out: calls.append(out.shape) or out + 1)
    y = m(gradlab.ones(4, 3))
    np.testing.assert_allclose(y.detach().numpy(), (m.bias.detach().numpy() + 1)[None].repeat(4, 0),
                               rtol=1e-6)
    assert calls == [(4, 2)]
    h1.remove()
    h2.remove()
    assert m(gradlab.zeros(1, 3)).shape == (1, 2) and calls == [(4, 2)]


def test_full_backward_hook_matches_torch():
    t = torch.nn.Linear(3, 2)
    g = nn.Linear(3, 2)
    copy_from_torch(g, t)
    rec = {}
    x0 = np.random.default_rng(1).normal(size=(4, 3)).astype(np.float32)
    for lib, mod in (("g", g), ("t", t)):
        def hook(module, gin, gout, lib=lib):
            rec[lib] = ([None if v is None else v.detach().numpy().copy() for v in gin],
                        [v.detach().numpy().copy() for v in gout])
            return tuple(None if v is None else v * 2 for v in gin)

        mod.register_full_backward_hook(hook)
        x = (gradlab if lib == "g" else torch).tensor(x0, requires_grad=True)
        (mod(x) ** 2).sum().backward()
        rec[lib + "x"] = x.grad.numpy().copy()
    for a, b in zip(rec["g"][0] + rec["g"][1], rec["t"][0] + rec["t"][1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rec["gx"], rec["tx"], rtol=1e-5, atol=1e-6)


def test_full_backward_hook_without_input_grad():
    m = nn.Linear(3, 2)
    got = []
    m.register_full_backward_hook(lambda mod, gin, gout: got.append((gin, gout[0].shape)))
    m(gradlab.ones(4, 3)).sum().backward()
    assert got == [((None,), (4, 2))]


def test_parameter_repr_and_sharing():
    t = gradlab.ones(2)
    p = nn.Parameter(t)
    assert p.requires_grad and np.shares_memory(p.array, t.array)
    assert repr(p) == repr(torch.nn.Parameter(torch.ones(2))).replace("torch.", "gradlab.")
    assert not nn.Parameter(gradlab.ones(1), requires_grad=False).requires_grad


def test_module_cast():
    m = Net().double()
    assert all(p.dtype == gradlab.float64 for p in m.parameters())
    assert m.steps.dtype == gradlab.float64
    m.to(gradlab.float32)
    assert all(p.dtype == gradlab.float32 for p in m.parameters())


# ------------------------------------------------------------------ init


@pytest.mark.parametrize("shape", [(5, 3), (8, 4, 3, 3), (6, 2, 5), (7, 1)])
def test_fan_computation_matches_torch(shape):
    assert (init._calculate_fan_in_and_fan_out(gradlab.empty(*shape))
            == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape)))


@pytest.mark.parametrize("nl,param", [("linear", None), ("sigmoid", None), ("tanh", None),
                                      ("relu", None), ("leaky_relu", None),
                                      ("leaky_relu", 0.2), ("selu", None), ("conv2d", None)])
def test_gains_match_torch(nl, param):
    assert init.calculate_gain(nl, param) == pytest.approx(torch.nn.init.calculate_gain(nl, param))


def _check_uniform(values, bound):
    v = np.asarray(values).ravel()
    assert np.abs(v).max() <= bound + 1e-7
    assert np.abs(v).max() > 0.95 * bound  # the range is used, not a narrower one
    assert np.std(v) == pytest.approx(bound / math.sqrt(3), rel=0.05)


def _check_normal(values, std):
    v = np.asarray(values).ravel()
    assert np.mean(v) == pytest.approx(0, abs=4 * std / math.sqrt(v.size))
    assert np.std(v) == pytest.approx(std, rel=0.05)


def test_init_distributions():
    gradlab.manual_seed(0)
    w = gradlab.empty(256, 128)
    fan_in, fan_out = 128, 256
    _check_uniform(init.xavier_uniform_(w).numpy(), math.sqrt(6 / (fan_in + fan_out)))
    _check_uniform(init.xavier_uniform_(w, gain=init.calculate_gain("tanh")).numpy(),
                   5 / 3 * math.sqrt(6 / (fan_in + fan_out)))
    _check_normal(init.xavier_normal_(w).numpy(), math.sqrt(2 / (fan_in + fan_out)))
    _check_uniform(init.kaiming_uniform_(w, nonlinearity="relu").numpy(),
                   math.sqrt(2) * math.sqrt(3 / fan_in))
    _check_normal(init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu").numpy(),
                  math.sqrt(2 / fan_out))
    _check_uniform(init.uniform_(w, -0.3, 0.3).numpy(), 0.3)
    _check_normal(init.normal_(w, 0, 0.02).numpy(), 0.02)
    t = init.trunc_normal_(gradlab.empty(10000), std=1.0, a=-1.0, b=1.0).numpy()
    assert t.min() >= -1 and t.max() <= 1 and np.std(t) == pytest.approx(0.5399, rel=0.05)
    assert init.zeros_(w).abs().sum().item() == 0 and init.ones_(w).sum().item() == w.numel()
    assert init.constant_(w, 0.5).mean().item() == 0.5
    e = init.eye_(gradlab.empty(3, 4))
    assert e.tolist() == np.eye(3, 4).tolist()
    o = init.orthogonal_(gradlab.empty(6, 10), gain=2.0).numpy().astype(np.float64)
    np.testing.assert_allclose(o @ o.T, 4 * np.eye(6), atol=1e-5)
    d = init.dirac_(gradlab.empty(4, 4, 3, 3))
    x = gradlab.randn(1, 4, 5, 5)
    assert d.sum().item() == 4
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(gradlab.empty(3))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(w, mode="fan_avg")
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    del x


def test_init_is_reproducible_and_not_recorded():
    w = nn.Parameter(gradlab.empty(3, 3))
    init.normal_(w, generator=gradlab.Generator().manual_seed(5))
    a = w.detach().numpy().copy()
    init.normal_(w, generator=gradlab.Generator().manual_seed(5))
    np.testing.assert_array_equal(a, w.detach().numpy())
    assert w.is_leaf and w.grad_fn is None


def test_linear_default_init_matches_torch_distribution():
    gradlab.manual_seed(0)
    m = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    _check_uniform(m.weight.detach().numpy(), bound)
    b = m.bias.detach().numpy()
    assert np.abs(b).max() <= bound
    t = torch.nn.Linear(400, 300)
    assert np.abs(t.weight.detach().numpy()).max() <= bound


def test_linear_errors_and_no_bias():
    m = nn.Linear(3, 2, bias=False)
    assert m.bias is None and [n for n, _ in m.named_parameters()] == ["weight"]
    with pytest.raises(RuntimeError, match=r"linear: input of shape \[4, 5\] does not match "
                                           r"weight of shape \[2, 3\]"):
        m(gradlab.ones(4, 5))
    assert m(gradlab.ones(3)).shape == (2,)  # unbatched input, like torch


def test_reassigning_a_child_or_parameter_keeps_its_place_as_torch():
    seq = nn.Sequential(nn.ReLU(), nn.Tanh(), nn.Sigmoid())
    setattr(seq, "0", nn.ELU())
    tseq = torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Tanh(), torch.nn.Sigmoid())
    setattr(tseq, "0", torch.nn.ELU())
    assert list(seq._modules) == list(tseq._modules) == ["0", "1", "2"]
    assert type(seq[0]).__name__ == "ELU"
    lin = nn.Linear(2, 3)
    lin.weight = nn.Parameter(gradlab.zeros(3, 2))
    assert list(lin.state_dict()) == ["weight", "bias"]


def test_deepcopy_of_a_module_copies_parameters_buffers_and_grads():
    import copy

    m = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    m(gradlab.randn(5, 3)).sum().backward()
    c = copy.deepcopy(m)
    for (name, p), (_, q) in zip(m.named_parameters(), c.named_parameters()):
        assert type(q) is nn.Parameter and q.requires_grad, name
        assert q is not p and not np.shares_memory(p.array, q.array)
        np.testing.assert_array_equal(p.array, q.array)
        np.testing.assert_array_equal(p.grad.array, q.grad.array)
    np.testing.assert_array_equal(m[1].running_mean.array, c[1].running_mean.array)
    c[0].weight.array += 1
    assert not np.array_equal(m[0].weight.array, c[0].weight.array)
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(m[0].weight * 2)
