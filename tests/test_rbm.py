"""gradlab.models.RBM: the free energy against a brute-force sum over the hidden states, log Z
against the brute-force double sum over (v, h), the conditionals against the exact joint, the
CD loss's gradient against data minus model-sample statistics computed by hand, the free energy,
log-likelihood and their gradients against torch computing the same formulas (torch is the
oracle, imported unconditionally: without it these tests fail, never skip), a float64
finite-difference check, the samplers and the errors."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from oracle import TOL

import gradlab
from gradlab.autograd import gradcheck
from gradlab.models import RBM
from gradlab.models.rbm import all_binary_states


def machine(nv, nh, seed=0, scale=0.8, dtype=gradlab.float64):
    """An RBM with parameters large enough that the tests see non-trivial distributions."""
    m = RBM(nv, nh, dtype=dtype)
    rng = np.random.default_rng(seed)
    with gradlab.no_grad():
        m.W.array[...] = scale * rng.standard_normal((nh, nv))
        m.b.array[...] = scale * rng.standard_normal(nv)
        m.c.array[...] = scale * rng.standard_normal(nh)
    return m


def params(m):
    return m.W.array.astype(np.float64), m.b.array.astype(np.float64), m.c.array.astype(np.float64)


def energy_np(v, h, w, b, c):
    return -(v @ b) - (h @ c) - np.einsum("j,ji,i->", h, w, v)


def states(n):
    return [np.array(s, dtype=float) for s in itertools.product([0, 1], repeat=n)]


# ---- exact quantities against brute force ---------------------------------------------------


def test_all_binary_states():
    s = all_binary_states(3)
    assert s.shape == (8, 3)
    assert [tuple(r) for r in s.astype(int)] == list(itertools.product([0, 1], repeat=3))
    with pytest.raises(ValueError, match="n must be in 0..20"):
        all_binary_states(21)


def test_free_energy_is_minus_log_sum_over_hidden_states():
    m = machine(6, 4)
    w, b, c = params(m)
    v = np.random.default_rng(1).integers(0, 2, (7, 6)).astype(float)
    v[0] = 0.3  # a real-valued input is summed the same way
    fe = m.free_energy(gradlab.tensor(v)).detach().numpy()
    assert fe.shape == (7,)
    brute = [-math.log(sum(math.exp(-energy_np(x, h, w, b, c)) for h in states(4))) for x in v]
    np.testing.assert_allclose(fe, brute, rtol=1e-12, atol=1e-12)
    # forward is free_energy, and energy matches the formula
    np.testing.assert_allclose(m(gradlab.tensor(v)).detach().numpy(), fe, rtol=0, atol=0)
    h = np.random.default_rng(2).integers(0, 2, (7, 4)).astype(float)
    e = m.energy(gradlab.tensor(v), gradlab.tensor(h)).detach().numpy()
    np.testing.assert_allclose(e, [energy_np(x, y, w, b, c) for x, y in zip(v, h)], rtol=1e-12)


def test_free_energy_is_exact_for_large_preactivations():
    """softplus is log(1 + e^x) for every x (no linear branch above 20, where it would drop
    e^-x ~ 1e-13 here)."""
    m = RBM(2, 1, dtype=gradlab.float64)
    with gradlab.no_grad():
        m.W.array[...] = 15.0
    fe = m.free_energy(gradlab.ones(1, 2)).item()
    assert fe == -(30.0 + math.log1p(math.exp(-30.0)))
    assert fe != -30.0


def test_log_partition_is_the_double_sum_over_v_and_h():
    m = machine(5, 3, seed=3)
    w, b, c = params(m)
    z = sum(math.exp(-energy_np(v, h, w, b, c)) for v in states(5) for h in states(3))
    for over in ("visible", "hidden"):
        lz = m.log_partition(over)
        assert lz.shape == ()
        assert math.isclose(lz.item(), math.log(z), rel_tol=1e-13), over
    v = np.array(states(5))
    ll = m.log_likelihood(gradlab.tensor(v)).detach().numpy()
    p = [sum(math.exp(-energy_np(x, h, w, b, c)) for h in states(3)) / z for x in v]
    np.testing.assert_allclose(ll, np.log(p), rtol=1e-12)
    assert math.isclose(np.exp(ll).sum(), 1.0, rel_tol=1e-12)


def test_conditionals_are_those_of_the_exact_joint():
    m = machine(5, 3, seed=4)
    w, b, c = params(m)
    vs, hs = states(5), states(3)
    joint = np.array([[math.exp(-energy_np(v, h, w, b, c)) for h in hs] for v in vs])
    joint /= joint.sum()
    hmat, vmat = np.array(hs), np.array(vs)
    ph = m.prob_h(gradlab.tensor(vmat)).detach().numpy()                  # (32, 3)
    pv = m.prob_v(gradlab.tensor(hmat)).detach().numpy()                  # (8, 5)
    exact_ph = (joint @ hmat) / joint.sum(1, keepdims=True)               # p(h_j = 1 | v)
    exact_pv = (joint.T @ vmat) / joint.sum(0)[:, None]                   # p(v_i = 1 | h)
    np.testing.assert_allclose(ph, exact_ph, rtol=1e-12)
    np.testing.assert_allclose(pv, exact_pv, rtol=1e-12)
    # and p(h | v) factorizes over the hidden units: the restricted structure
    cond = joint / joint.sum(1, keepdims=True)
    prod = np.prod(np.where(hmat[None] == 1, ph[:, None], 1 - ph[:, None]), axis=2)
    np.testing.assert_allclose(cond, prod, rtol=1e-12)


# ---- contrastive divergence ------------------------------------------------------------------


def test_cd_loss_gradient_is_data_minus_model_sample_statistics():
    m = machine(6, 4, seed=5, scale=0.5)
    v = np.random.default_rng(6).integers(0, 2, (9, 6)).astype(float)
    vt = gradlab.tensor(v)
    for k in (1, 3):
        vk = m.gibbs(vt, k, np.random.default_rng(7)).numpy()
        loss = m.cd_loss(vt, k, np.random.default_rng(7))     # the same draws
        assert loss.shape == ()
        m.zero_grad()
        loss.backward()
        w, b, c = params(m)
        ph = 1 / (1 + np.exp(-(v @ w.T + c)))
        phk = 1 / (1 + np.exp(-(vk @ w.T + c)))
        n = len(v)
        np.testing.assert_allclose(m.W.grad.numpy(), -(ph.T @ v - phk.T @ vk) / n, atol=1e-14)
        np.testing.assert_allclose(m.b.grad.numpy(), -(v.mean(0) - vk.mean(0)), atol=1e-14)
        np.testing.assert_allclose(m.c.grad.numpy(), -(ph.mean(0) - phk.mean(0)), atol=1e-14)
        fe = m.free_energy(vt).mean().item() - m.free_energy(gradlab.tensor(vk)).mean().item()
        assert math.isclose(loss.item(), fe, rel_tol=1e-12, abs_tol=1e-12)
        assert np.any(vk != v)       # the negative sample moved


def test_samplers():
    m = machine(4, 3, seed=8, scale=0.7)
    v = gradlab.tensor(np.tile([[1.0, 0.0, 1.0, 1.0]], (20000, 1)))
    p = m.prob_h(v).detach().numpy()[0]
    h = m.sample_h(v, np.random.default_rng(0))
    assert h.shape == (20000, 3) and not h.requires_grad
    assert set(np.unique(h.numpy())) <= {0.0, 1.0}
    # frequencies within 5 standard errors of the probabilities
    assert np.all(np.abs(h.numpy().mean(0) - p) < 5 * np.sqrt(p * (1 - p) / 20000))
    hv = gradlab.tensor(np.tile([[0.0, 1.0, 1.0]], (20000, 1)))
    q = m.prob_v(hv).detach().numpy()[0]
    s = m.sample_v(hv, gradlab.Generator().manual_seed(1)).numpy()
    assert s.shape == (20000, 4)
    assert np.all(np.abs(s.mean(0) - q) < 5 * np.sqrt(q * (1 - q) / 20000))
    # reproducible: a numpy Generator, a gradlab Generator, gradlab's global stream
    a = m.sample_h(v[:50], np.random.default_rng(3)).numpy()
    assert np.array_equal(a, m.sample_h(v[:50], np.random.default_rng(3)).numpy())
    gradlab.manual_seed(11)
    a = m.gibbs(v[:50], 2).numpy()
    gradlab.manual_seed(11)
    assert np.array_equal(a, m.gibbs(v[:50], 2).numpy())
    g = m.gibbs(v[:5], 0)
    assert np.array_equal(g.numpy(), v[:5].numpy()) and not g.requires_grad


def test_init_and_parameters():
    gradlab.manual_seed(0)
    m = RBM(300, 200)
    assert [n for n, _ in m.named_parameters()] == ["W", "b", "c"]
    assert tuple(m.W.shape) == (200, 300) and tuple(m.b.shape) == (300,)
    assert tuple(m.c.shape) == (200,)
    assert abs(m.W.array.std() - 0.01) < 0.0005 and abs(m.W.array.mean()) < 0.0005
    assert not m.b.array.any() and not m.c.array.any()
    assert m.W.dtype == gradlab.float32
    assert RBM(3, 2, dtype=gradlab.float64).W.dtype == gradlab.float64
    a = RBM(3, 2, generator=gradlab.Generator().manual_seed(5)).W.array
    assert np.array_equal(a, RBM(3, 2, generator=gradlab.Generator().manual_seed(5)).W.array)
    assert "n_visible=3, n_hidden=2" in repr(RBM(3, 2))


# ---- torch as the oracle, and finite differences ---------------------------------------------


def torch_free_energy(v, w, b, c):
    return -(v @ b) - torch.nn.functional.softplus(v @ w.T + c, threshold=math.inf).sum(1)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_free_energy_and_likelihood_against_torch(dtype):
    m = machine(5, 4, seed=9, scale=1.5, dtype=getattr(gradlab, dtype))
    rng = np.random.default_rng(10)
    v = rng.integers(0, 2, (6, 5)).astype(dtype)
    v[1] = rng.uniform(-3, 3, 5)       # real inputs: both branches of softplus
    up = rng.standard_normal(6).astype(dtype)
    tw, tb, tc = (torch.tensor(t.array.copy(), requires_grad=True) for t in (m.W, m.b, m.c))
    tv = torch.tensor(v.copy(), requires_grad=True)
    gv = gradlab.tensor(v.copy(), requires_grad=True)
    rtol, atol = TOL[dtype]
    tstates = torch.tensor(all_binary_states(5, dtype))
    for name in ("free_energy", "log_likelihood"):
        for t in (tw, tb, tc, tv):
            t.grad = None
        m.zero_grad()
        gv.grad = None
        if name == "free_energy":
            out_t = torch_free_energy(tv, tw, tb, tc)
            out_g = m.free_energy(gv)
        else:
            logz = torch.logsumexp(-torch_free_energy(tstates, tw, tb, tc), 0)
            out_t = -torch_free_energy(tv, tw, tb, tc) - logz
            out_g = m.log_likelihood(gv)
        assert str(out_g.dtype).endswith(dtype)
        np.testing.assert_allclose(out_g.detach().numpy(), out_t.detach().numpy(), rtol=rtol,
                                   atol=atol, err_msg=name)
        (out_t * torch.tensor(up)).sum().backward()
        (out_g * gradlab.tensor(up)).sum().backward()
        for g, t in ((m.W, tw), (m.b, tb), (m.c, tc), (gv, tv)):
            np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy(), rtol=rtol,
                                       atol=10 * atol, err_msg=name)


def test_gradcheck_float64():
    m = machine(4, 3, seed=12, scale=1.0)
    v = gradlab.tensor(np.random.default_rng(13).uniform(0, 1, (3, 4)), requires_grad=True)

    # the class's own graph: gradcheck perturbs the parameters in place
    assert gradcheck(lambda w, b, c, x: m.free_energy(x), (m.W, m.b, m.c, v))
    assert gradcheck(lambda w, b, c: m.log_likelihood(v.detach()), (m.W, m.b, m.c))
    assert gradcheck(lambda w, b, c: m.log_partition("hidden"), (m.W, m.b, m.c))
    assert gradcheck(lambda x: m.free_energy(x), (v,))


# ---- errors ---------------------------------------------------------------------------------


def test_errors():
    m = RBM(4, 3)
    bad_v = gradlab.zeros(2, 5)
    for method in ("free_energy", "prob_h", "log_likelihood", "cd_loss", "gibbs", "sample_h"):
        with pytest.raises(ValueError, match=rf"RBM\.{method}: v must have shape \(B, 4\).*"
                                             rf"got \(2, 5\)"):
            getattr(m, method)(bad_v)
    for method in ("prob_v", "sample_v"):
        with pytest.raises(ValueError, match=rf"RBM\.{method}: h must have shape \(B, 3\).*"
                                             rf"got \(4,\)"):
            getattr(m, method)(gradlab.zeros(4))
    with pytest.raises(TypeError, match=r"RBM\.free_energy: v must be a Tensor"):
        m.free_energy([[0, 1, 0, 1]])
    with pytest.raises(ValueError, match=r"RBM\.energy: v and h must have the same batch"):
        m.energy(gradlab.zeros(2, 4), gradlab.zeros(3, 3))
    with pytest.raises(ValueError, match=r"n_visible = 21 .* n_visible <= 20"):
        RBM(21, 2).log_partition()
    with pytest.raises(ValueError, match=r"n_hidden = 21 .* n_hidden <= 20"):
        RBM(2, 21).log_partition("hidden")
    with pytest.raises(ValueError, match="over must be 'visible' or 'hidden'"):
        m.log_partition("both")
    with pytest.raises(ValueError, match=r"RBM\.cd_loss: k must be an integer >= 1"):
        m.cd_loss(gradlab.zeros(2, 4), k=0)
    with pytest.raises(ValueError, match=r"RBM\.gibbs: k must be an integer >= 0"):
        m.gibbs(gradlab.zeros(2, 4), k=-1)
    with pytest.raises(ValueError, match="n_visible must be a positive integer"):
        RBM(0, 3)
    with pytest.raises(ValueError, match="n_hidden must be a positive integer"):
        RBM(3, 2.5)
    with pytest.raises(TypeError, match="generator must be a gradlab.Generator"):
        m.sample_h(gradlab.zeros(2, 4), rng=3)
