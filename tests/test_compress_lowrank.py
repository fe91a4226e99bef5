"""Low-rank factorization: the truncation error is the norm of the discarded singular values,
full-rank factorizations reproduce the layer, rank choice by energy and by parameter count."""

from __future__ import annotations

import numpy as np
import pytest

import gradlab
from gradlab import compress, nn


def _linear(seed=0, i=20, o=12):
    gradlab.manual_seed(seed)
    return nn.Linear(i, o)


@pytest.mark.parametrize("rank", [1, 4, 11])
def test_truncation_error_is_the_discarded_energy(rank):
    w = np.random.default_rng(0).standard_normal((12, 20))
    f = compress.svd(w, rank=rank)
    a, b = f.factors()
    err = np.linalg.norm(w - a.astype(np.float64) @ b, "fro")
    s = np.linalg.svd(w, compute_uv=False)
    assert f.error == pytest.approx(np.sqrt((s[rank:] ** 2).sum()), rel=1e-10)
    assert err == pytest.approx(f.error, rel=1e-5, abs=1e-5)
    assert f.energy == pytest.approx((s[:rank] ** 2).sum() / (s ** 2).sum())


def test_rank_choice():
    s = np.array([4.0, 2.0, 1.0, 1.0])  # energies 16, 4, 1, 1 of 22
    assert compress.rank_for_energy(s, 16 / 22) == 1
    assert compress.rank_for_energy(s, 0.8) == 2
    assert compress.rank_for_energy(s, 1.0) == 4
    w = np.random.default_rng(1).standard_normal((10, 30))
    assert compress.svd(w, params=200).rank == 5  # r (10 + 30) <= 200
    with pytest.raises(ValueError, match="svd: give exactly one of rank, energy, params"):
        compress.svd(w, rank=2, energy=0.5)
    with pytest.raises(ValueError, match=r"svd: rank must be in \[1, 10\] for a 10x30 matrix, "
                       r"got 11"):
        compress.svd(w, rank=11)


def test_linear_full_rank_equals_original_and_low_rank_error():
    layer = _linear()
    x = gradlab.randn(7, 20)
    full = compress.factorize_linear(layer, rank=12)
    with gradlab.no_grad():
        np.testing.assert_allclose(full(x).numpy(), layer(x).numpy(), rtol=1e-5, atol=1e-5)
        low = compress.factorize_linear(layer, rank=3)
        assert low[0].weight.shape == (3, 20) and low[1].weight.shape == (12, 3)
        w_r = low[1].weight.array @ low[0].weight.array
        assert np.linalg.norm(layer.weight.array - w_r) == pytest.approx(
            low.factorization.error, rel=1e-4)


@pytest.mark.parametrize("scheme", ["channel", "spatial"])
@pytest.mark.parametrize("stride,padding,dilation", [(1, 1, 1), (2, 0, 1), (1, 2, 2)])
def test_conv_full_rank_equals_original(scheme, stride, padding, dilation):
    gradlab.manual_seed(0)
    conv = nn.Conv2d(3, 5, (3, 3), stride, padding, dilation)
    x = gradlab.randn(2, 3, 9, 8)
    full_rank = min(5, 27) if scheme == "channel" else min(3 * 3, 5 * 3)
    fac = compress.factorize_conv2d(conv, rank=full_rank, scheme=scheme)
    if scheme == "spatial":
        assert fac[0].weight.shape == (full_rank, 3, 1, 3)
        assert fac[1].weight.shape == (5, full_rank, 3, 1)
    with gradlab.no_grad():
        np.testing.assert_allclose(fac(x).numpy(), conv(x).numpy(), rtol=1e-4, atol=1e-5)


def test_conv_low_rank_error_matches_singular_values():
    gradlab.manual_seed(0)
    conv = nn.Conv2d(6, 8, 3, padding=1)
    fac = compress.factorize_conv2d(conv, rank=3, scheme="channel")
    w_r = (fac[1].weight.array.reshape(8, 3) @ fac[0].weight.array.reshape(3, -1))
    err = np.linalg.norm(conv.weight.array.reshape(8, -1) - w_r)
    assert err == pytest.approx(fac.factorization.error, rel=1e-4)
    s = np.linalg.svd(conv.weight.array.reshape(8, -1).astype(np.float64), compute_uv=False)
    assert fac.factorization.error == pytest.approx(np.sqrt((s[3:] ** 2).sum()), rel=1e-6)


def test_factorize_model_replaces_where_it_saves():
    gradlab.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    # make the first layer nearly rank 4
    u = np.random.default_rng(0).standard_normal((64, 4))
    v = np.random.default_rng(1).standard_normal((4, 64))
    model[0].weight.array[...] = (u @ v / 16 + 1e-4).astype(np.float32)
    ranks = compress.factorize_model(model, energy=0.99)
    assert ranks["0"] <= 5
    assert isinstance(model[0], nn.Sequential)
    assert "2" not in ranks  # a 64->10 layer at rank >= 5 would not shrink: kept
    assert model(gradlab.randn(2, 64)).shape == (2, 10)


def test_errors():
    with pytest.raises(TypeError, match="factorize_linear: expected an nn.Linear, got Conv2d"):
        compress.factorize_linear(nn.Conv2d(1, 1, 1), rank=1)
    with pytest.raises(ValueError, match="factorize_conv2d: only groups=1 convolutions are "
                       "factorized, got groups=2"):
        compress.factorize_conv2d(nn.Conv2d(2, 2, 3, groups=2), rank=1)
    with pytest.raises(ValueError, match="factorize_conv2d: scheme must be 'channel' or "
                       "'spatial', got 'cp'"):
        compress.factorize_conv2d(nn.Conv2d(2, 2, 3), rank=1, scheme="cp")
