"""Quantization: the integer kernels against NumPy references written here, fake quantization
against torch, the int8 model against the float model on Digits, QAT, binary and ternary
weights, sizes on disk."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import gradlab
from gradlab import compress, nn, optim
from gradlab.compress import quantize as Q
from gradlab.datasets import Digits
from gradlab.nn import functional as F


def _ref_conv(x, w, stride, pad, groups):
    """Direct convolution with Python loops over output positions, int64 arithmetic."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x.astype(np.int64), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    ho = (h + 2 * pad - kh) // stride + 1
    wo = (wd + 2 * pad - kw) // stride + 1
    out = np.zeros((n, o, ho, wo), np.int64)
    og = o // groups
    for oc in range(o):
        g = oc // og
        for i in range(ho):
            for j in range(wo):
                patch = xp[:, g * cg:(g + 1) * cg, i * stride:i * stride + kh,
                           j * stride:j * stride + kw]
                out[:, oc, i, j] = (patch * w[oc].astype(np.int64)).sum(axis=(1, 2, 3))
    return out


@pytest.mark.parametrize("dtype,zp", [("uint8", 131), ("int8", 0)])
def test_int_linear_matches_reference(dtype, zp):
    rng = np.random.default_rng(0)
    lo, hi = Q.RANGES[dtype]
    xq = rng.integers(lo, hi + 1, (5, 37)).astype(dtype)
    wq = rng.integers(-127, 128, (11, 37)).astype(np.int8)
    acc = Q.int_linear(xq, zp, wq)
    assert acc.dtype == np.int32
    ref = np.array([[sum((int(xq[i, k]) - zp) * int(wq[o, k]) for k in range(37))
                     for o in range(11)] for i in range(5)])
    np.testing.assert_array_equal(acc, ref)


@pytest.mark.parametrize("stride,pad,groups", [(1, 0, 1), (2, 1, 1), (1, 1, 2)])
def test_int_conv2d_matches_reference(stride, pad, groups):
    rng = np.random.default_rng(1)
    zp = 77
    xq = rng.integers(0, 256, (2, 4, 7, 6)).astype(np.uint8)
    wq = rng.integers(-127, 128, (6, 4 // groups, 3, 3)).astype(np.int8)
    acc = Q.int_conv2d(xq, zp, wq, (stride, stride), (pad,) * 4, (1, 1), groups)
    assert acc.dtype == np.int32
    # the padding is the real 0, i.e. the zero point in the quantized domain
    ref = _ref_conv(xq.astype(np.int64) - zp, wq, stride, pad, groups)
    np.testing.assert_array_equal(acc, ref)


def test_requantize_is_integer_fixed_point():
    rng = np.random.default_rng(4)
    m = np.exp(rng.uniform(np.log(1e-6), np.log(3.0), 200))
    m0, shift = Q.fixed_point_multiplier(m)
    assert m0.dtype == np.int64 and ((m0 >= 1 << 30) & (m0 < 1 << 31)).all()
    np.testing.assert_allclose(m0 * 2.0 ** -shift.astype(np.float64), m, rtol=2 ** -30)
    acc = (rng.uniform(-140, 140, (50, 200)) / m).astype(np.int32)  # acc * M around +-140
    q = Q.requantize(acc, m, Q.QParams(np.float32(1), np.int32(3), "int8"))
    assert q.dtype == np.int8
    ref = np.clip(np.floor(acc.astype(np.float64) * m + 0.5) + 3, -127, 127)  # half up
    # the 31-bit multiplier agrees with float64 except within ~1e-9 of a half
    assert np.abs(q - ref).max() <= 1 and (q == ref).mean() > 0.999
    assert (q == 127).any() and (q == -127).any()
    with pytest.raises(ValueError, match="fixed_point_multiplier: multipliers must be positive"):
        Q.fixed_point_multiplier([0.5, 0.0])


def test_quantized_conv_layer_integer_path():
    gradlab.manual_seed(0)
    conv = nn.Conv2d(3, 5, 3, padding=1)
    in_qp = Q.qparams_from_range(-1.0, 2.0, "uint8")
    out_qp = Q.qparams_from_range(-3.0, 3.0, "uint8")
    q = Q.QuantizedConv2d(conv, in_qp, out_qp)
    x = gradlab.rand(2, 3, 5, 5) * 3 - 1
    xq = in_qp.quantize(x.numpy())
    # reference: integer weights and bias from the float layer, loops, then requantization
    w = conv.weight.array
    s_w = np.abs(w.reshape(5, -1)).max(1) / 127
    wq = np.clip(np.round(w / s_w[:, None, None, None]), -127, 127).astype(np.int8)
    np.testing.assert_array_equal(q.weight.numpy(), wq)
    bq = np.round(conv.bias.array.astype(np.float64) / (in_qp.scale * s_w)).astype(np.int64)
    acc = _ref_conv(xq.astype(np.int64) - in_qp.zero_point, wq, 1, 1, 1) + bq[None, :, None, None]
    m = (float(in_qp.scale) * s_w / float(out_qp.scale))[None, :, None, None]
    ref = np.clip(np.round(acc * m) + out_qp.zero_point, 0, 255)
    got = q.forward_int(xq)
    assert got.dtype == np.uint8
    assert np.abs(got.astype(np.int64) - ref).max() <= 1  # float32 vs float64 scale rounding
    assert (got.astype(np.int64) == ref).mean() > 0.99
    # and it approximates the float conv to within a few output steps
    err = np.abs(q(x).numpy() - conv(x).detach().numpy()).max()
    assert err < 4 * float(out_qp.scale)


def test_qparams_affine_and_symmetric():
    qp = Q.qparams_from_range(-0.5, 1.5, "uint8")
    assert qp.quantize(np.array([0.0]))[0] == qp.zero_point  # 0 is exact
    np.testing.assert_allclose(qp.dequantize(qp.quantize(np.array([-0.5, 1.5]))), [-0.5, 1.5],
                               atol=float(qp.scale))
    sq = Q.qparams_from_range(-0.5, 2.54, "int8")
    assert int(sq.zero_point) == 0 and np.isclose(sq.scale, 2.54 / 127)
    q, wqp = Q.quantize_weight(np.array([[1.0, -0.5], [0.01, 0.03]], np.float32))
    np.testing.assert_array_equal(q, [[127, -64], [42, 127]])
    with pytest.raises(ValueError, match=r"qparams_from_range: dtype must be one of "
                       r"\['int8', 'uint8'\], got 'int4'"):
        Q.qparams_from_range(0, 1, "int4")


def test_percentile_observer_ignores_outliers():
    x = np.random.default_rng(0).uniform(-1, 1, 100_000).astype(np.float32)
    x[0] = 1000.0
    mm, pc = Q.MinMaxObserver(), Q.PercentileObserver(99.9)
    mm(x)
    pc(x)
    assert mm.range()[1] == 1000.0
    lo, hi = pc.range()
    assert 0.99 < hi < 1.0 and -1.0 < lo < -0.99
    with pytest.raises(RuntimeError, match="MinMaxObserver: no data observed"):
        Q.MinMaxObserver().range()


def test_fake_quantize_matches_torch():
    rng = np.random.default_rng(2)
    x = rng.uniform(-3, 3, (4, 6)).astype(np.float32)
    g = rng.standard_normal((4, 6)).astype(np.float32)
    xg = gradlab.tensor(x, requires_grad=True)
    yg = compress.fake_quantize(xg, 0.02, 10, 0, 255)
    yg.backward(gradlab.tensor(g))
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.fake_quantize_per_tensor_affine(xt, 0.02, 10, 0, 255)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(yg.detach().numpy(), yt.detach().numpy(), rtol=0, atol=1e-6)
    np.testing.assert_array_equal(xg.grad.numpy(), xt.grad.numpy())
    assert 0 < (xg.grad.numpy() == 0).mean() < 1  # both clipped and passed entries
    # per channel, along axis 0
    s = np.array([0.01, 0.02, 0.05, 0.03], np.float32)
    z = np.array([0, 3, -2, 0], np.int32)
    xg = gradlab.tensor(x, requires_grad=True)
    yg = compress.fake_quantize(xg, s, z, -8, 7, axis=0)
    yg.backward(gradlab.tensor(g))
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.fake_quantize_per_channel_affine(xt, torch.tensor(s), torch.tensor(z), 0, -8, 7)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(yg.detach().numpy(), yt.detach().numpy(), rtol=0, atol=1e-6)
    np.testing.assert_array_equal(xg.grad.numpy(), xt.grad.numpy())
    with pytest.raises(ValueError, match=r"fake_quantize: per-channel scale \[4\] and "
                       r"zero_point \[4\] must both have shape \[6\]"):
        compress.fake_quantize(xg, s, z, -8, 7, axis=1)


# ----------------------------------------------------------------------------- on Digits


def _digits_net():
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))


def _accuracy(model, x, y):
    model.eval()
    with gradlab.no_grad():
        return float((model(x).argmax(1) == y).float().mean().item())


def _train(model, x, y, epochs, lr=3e-3):
    opt = optim.Adam(model.parameters(), lr=lr)
    gen = gradlab.Generator().manual_seed(0)
    model.train()
    for _ in range(epochs):
        perm = gradlab.randperm(len(y), generator=gen)
        for i in range(0, len(y), 64):
            idx = perm[i:i + 64]
            opt.zero_grad()
            F.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()
    return model


@pytest.fixture(scope="module")
def digits():
    train, test = Digits(train=True, size=8), Digits(train=False, size=8)
    gradlab.manual_seed(0)
    with gradlab.backend.num_threads(1):
        model = _train(_digits_net(), train.data, train.targets, 15)
    return model, train.data, train.targets, test.data, test.targets


@pytest.mark.parametrize("activation,per_channel,observer", [
    ("uint8", True, "minmax"), ("int8", False, "minmax"), ("uint8", True, "percentile")])
def test_int8_model_close_to_float_on_digits(digits, activation, per_channel, observer):
    model, xtr, _, xte, yte = digits
    acc_float = _accuracy(model, xte, yte)
    assert acc_float > 0.92  # measured 0.939
    q = compress.quantize_model(compress.clone_module(model), [xtr[:256], xtr[256:512]],
                                activation, per_channel, observer, percentile=99.99)
    kinds = {type(m).__name__ for m in q.modules()}
    assert {"QuantizedConv2d", "QuantizedLinear"} <= kinds and "Linear" not in kinds
    acc_int8 = _accuracy(q, xte, yte)
    assert acc_int8 >= acc_float - 0.02, (acc_float, acc_int8)
    # the logits themselves agree closely
    with gradlab.no_grad():
        agree = (q(xte).argmax(1) == model(xte).argmax(1)).float().mean().item()
    assert agree > 0.97
    # int8 weights: the tensors take under 30% of the float32 bytes; the whole file (for this
    # 3,500-parameter net its JSON header is a third of it) under 45%
    data_q = sum(t.numpy().nbytes for t in q.state_dict().values())
    data_f = sum(t.numpy().nbytes for t in model.state_dict().values())
    assert data_q < 0.3 * data_f, (data_q, data_f)
    size_q, size_f = compress.model_size(q), compress.model_size(model)
    assert size_q < 0.45 * size_f, (size_q, size_f)
    assert q.state_dict()["0.weight"].numpy().dtype == np.int8
    assert q.state_dict()["0.bias"].numpy().dtype == np.int32


def test_quantization_aware_training(digits):
    model, xtr, ytr, xte, yte = digits
    acc_float = _accuracy(model, xte, yte)
    qat = compress.prepare_qat(compress.clone_module(model))
    assert isinstance(qat[0], compress.QATConv2d) and isinstance(qat[9], compress.QATLinear)
    gradlab.manual_seed(1)
    with gradlab.backend.num_threads(1):
        _train(qat, xtr, ytr, 1, lr=5e-4)
    q = compress.convert_qat(qat)
    assert isinstance(q[0], compress.QuantizedConv2d)
    assert _accuracy(q, xte, yte) >= acc_float - 0.02


def test_binary_weights_and_ste():
    w = gradlab.tensor([[0.5, -2.0, 0.0, 1.5], [-0.1, 0.2, -0.3, 0.4]], requires_grad=True)
    wb = compress.binarize(w)
    alpha = np.abs(w.detach().numpy()).mean(axis=1)
    for row in range(2):
        assert set(np.abs(wb.detach().numpy()[row]).round(6)) == {round(alpha[row], 6)}
    np.testing.assert_array_equal(np.sign(wb.detach().numpy()), [[1, -1, 1, 1], [-1, 1, -1, 1]])
    g = np.arange(1.0, 9.0, dtype=np.float32).reshape(2, 4)
    wb.backward(gradlab.tensor(g))
    np.testing.assert_array_equal(w.grad.numpy(), g * (np.abs(w.detach().numpy()) <= 1))


def test_ternary_weights_two_thresholds_and_ste():
    rng = np.random.default_rng(3)
    w = gradlab.tensor(rng.standard_normal((8, 5)).astype(np.float32), requires_grad=True)
    wt = compress.ternarize(w)
    delta = 0.7 * np.abs(w.detach().numpy()).mean()
    big = np.abs(w.detach().numpy()) > delta
    alpha = np.abs(w.detach().numpy()[big]).mean()
    np.testing.assert_allclose(wt.detach().numpy(), np.sign(w.detach().numpy()) * big * alpha,
                               rtol=1e-6)
    assert len(np.unique(wt.detach().numpy())) == 3
    g = rng.standard_normal((8, 5)).astype(np.float32)
    wt.backward(gradlab.tensor(g))
    np.testing.assert_array_equal(w.grad.numpy(), g)


@pytest.mark.parametrize("mode,values", [("binary", 2), ("ternary", 3)])
def test_low_bit_training_freeze_pack(digits, mode, values):
    model, xtr, ytr, xte, yte = digits
    net = compress.low_bit_weights_(compress.clone_module(model), mode)
    assert "3.weight_latent" in net.state_dict()
    gradlab.manual_seed(2)
    with gradlab.backend.num_threads(1):
        _train(net, xtr, ytr, 1, lr=1e-3)
    compress.freeze_low_bit_weights_(net)
    for m in (net[0], net[3], net[7], net[9]):
        w = m.weight.array
        per_row = [len(np.unique(np.abs(r))) for r in w.reshape(w.shape[0], -1)]
        assert len(np.unique(w)) <= (2 * w.shape[0] if mode == "binary" else values)
        if mode == "binary":
            assert max(per_row) == 1 and not (w == 0).any()
        packed = compress.pack_low_bit(w, mode)
        np.testing.assert_array_equal(compress.unpack_low_bit(packed, mode), w)
    assert _accuracy(net, xte, yte) > 0.5  # far above chance (0.1) after one epoch
    assert compress.low_bit_size(net, mode) < 0.25 * compress.model_size(model)
    with pytest.raises(ValueError, match="pack_low_bit: ternary weights must take the values"):
        compress.pack_low_bit(np.array([[0.1, 0.2, -0.3]]), "ternary")


def test_quantize_model_errors():
    with pytest.raises(ValueError, match="quantize_model: activation must be 'uint8' or "
                       "'int8', got 'fp8'"):
        compress.quantize_model(nn.Sequential(nn.Linear(2, 2)), [gradlab.zeros(1, 2)], "fp8")
    with pytest.raises(ValueError, match="calibrate: no calibration batches were given"):
        compress.quantize_model(nn.Sequential(nn.Linear(2, 2)), [])
