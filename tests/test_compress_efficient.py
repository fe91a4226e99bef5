"""Efficient convolutions: nn.ChannelShuffle against torch, the blocks against torch-built
twins, and their parameter / multiply-add counts against the closed forms."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import gradlab
from gradlab import compress, nn


@pytest.mark.parametrize("shape,groups", [((2, 6, 3, 4), 3), ((1, 8, 5), 2), ((2, 4, 2, 2, 2), 4),
                                          ((3, 5, 2), 1)])
def test_channel_shuffle_matches_torch(shape, groups):
    x = np.random.default_rng(0).standard_normal(shape)
    g = np.random.default_rng(1).standard_normal(shape)
    xg = gradlab.tensor(x, requires_grad=True)
    yg = nn.ChannelShuffle(groups)(xg)
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.nn.ChannelShuffle(groups)(xt)
    np.testing.assert_array_equal(yg.detach().numpy(), yt.detach().numpy())
    yg.backward(gradlab.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_array_equal(xg.grad.numpy(), xt.grad.numpy())
    assert repr(nn.ChannelShuffle(groups)) == repr(torch.nn.ChannelShuffle(groups))


def test_channel_shuffle_errors_match_torch():
    for shape, groups in (((1, 5, 2, 2), 2), ((5, 2), 2)):
        with pytest.raises(RuntimeError) as want:
            torch.nn.ChannelShuffle(groups)(torch.zeros(shape))
        with pytest.raises(RuntimeError) as got:
            nn.ChannelShuffle(groups)(gradlab.zeros(*shape))
        assert str(got.value) == str(want.value)


def _copy(dst, src):
    with torch.no_grad():
        for (name, p), (tname, tp) in zip(dst.named_parameters(), src.named_parameters()):
            assert tuple(p.shape) == tuple(tp.shape), (name, tname)
            tp.copy_(torch.from_numpy(p.array))


def test_depthwise_separable_matches_torch_twin():
    gradlab.manual_seed(0)
    block = compress.DepthwiseSeparableConv2d(4, 6, 3, stride=2, padding=1)
    twin = torch.nn.Sequential(torch.nn.Conv2d(4, 4, 3, 2, 1, groups=4, bias=False),
                               torch.nn.Conv2d(4, 6, 1))
    _copy(block, twin)
    x = np.random.default_rng(0).standard_normal((2, 4, 9, 9)).astype(np.float32)
    with gradlab.no_grad():
        out = block(gradlab.tensor(x)).numpy()
    np.testing.assert_allclose(out, twin(torch.tensor(x)).detach().numpy(), rtol=1e-5,
                               atol=1e-5)


def test_fire_matches_torch_twin():
    gradlab.manual_seed(0)
    fire = compress.Fire(8, 3, 4, 5)
    sq, e1, e3 = (torch.nn.Conv2d(8, 3, 1), torch.nn.Conv2d(3, 4, 1),
                  torch.nn.Conv2d(3, 5, 3, padding=1))
    _copy(fire, torch.nn.ModuleList([sq, e1, e3]))
    x = np.random.default_rng(0).standard_normal((2, 8, 6, 6)).astype(np.float32)
    s = torch.relu(sq(torch.tensor(x)))
    ref = torch.cat([torch.relu(e1(s)), torch.relu(e3(s))], 1).detach().numpy()
    with gradlab.no_grad():
        np.testing.assert_allclose(fire(gradlab.tensor(x)).numpy(), ref, rtol=1e-5, atol=1e-5)


def test_shuffle_unit_shapes_and_gradients():
    gradlab.manual_seed(0)
    x = gradlab.randn(2, 24, 8, 8)
    unit = compress.ShuffleUnit(24, 24, groups=3)
    y = unit(x)
    assert y.shape == (2, 24, 8, 8) and (y.array >= 0).all()
    y.sum().backward()
    assert all(p.grad is not None for p in unit.parameters())
    down = compress.ShuffleUnit(24, 48, groups=3, stride=2)
    assert down(x).shape == (2, 48, 4, 4)
    with pytest.raises(ValueError, match=r"ShuffleUnit: bottleneck \(out // 4\) = 3 must be a "
                       r"positive multiple of groups = 2"):
        compress.ShuffleUnit(12, 12, groups=2)


def test_costs_against_closed_forms():
    c, o, k, h = 32, 64, 3, 16
    table = compress.compare_costs({
        "standard": nn.Conv2d(c, o, k, padding=1),
        "separable": compress.DepthwiseSeparableConv2d(c, o, k, padding=1),
        "fire": compress.Fire(c, 8, o // 2, o // 2)}, (1, c, h, h))
    std, sep, fire = table.rows
    assert (std.params, std.macs) == (o * c * k * k + o, o * c * k * k * h * h)
    assert (sep.params, sep.macs) == (c * k * k + c * o + o, (c * k * k + c * o) * h * h)
    squeeze, half = 8, o // 2
    assert fire.params == (c * squeeze + squeeze) + (squeeze * half + half) + (
        squeeze * half * 9 + half)
    assert fire.macs == (c * squeeze + squeeze * half + squeeze * half * 9) * h * h
    # MobileNet's ratio 1/O + 1/k^2
    assert sep.macs / std.macs == pytest.approx(1 / o + 1 / k ** 2)
    text = str(table)
    assert "separable" in text and "0.127" in text
    with pytest.raises(ValueError, match="compare_costs: no blocks given"):
        compress.compare_costs({}, (1, 1, 4, 4))


def test_channel_shuffle_gradcheck_float64():
    from gradlab.autograd import gradcheck

    x = gradlab.randn(2, 6, 3, 2, dtype=gradlab.float64, requires_grad=True)
    assert gradcheck(nn.ChannelShuffle(3), (x,))
