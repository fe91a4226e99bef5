"""Dropout and Embedding. Dropout by its statistics (fraction dropped, mean preserved, survivors
scaled by 1 / (1 - p)), eval identity, gradient = mask / (1 - p), p = 0 / 1, whole channels
for Dropout2d, reproducibility from the global seed, errors. Embedding against torch with
copied weights (padding_idx, max_norm, scale_grad_by_freq, train and eval), accumulation over
repeated indices, its init, from_pretrained, gradcheck and errors."""

import warnings

import numpy as np
import pytest
import torch

import gradlab
import gradlab.nn as nn
import gradlab.nn.functional as F
from gradlab.autograd import gradcheck

# --------------------------------------------------------------------------- dropout


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_statistics_and_gradient(p, dtype):
    gradlab.manual_seed(0)
    x0 = np.random.default_rng(1).uniform(0.5, 1.5, size=(200, 500)).astype(dtype)
    x = gradlab.tensor(x0, requires_grad=True)
    y = F.dropout(x, p)
    assert y.dtype == x.dtype and y.shape == x.shape
    out = y.detach().numpy()
    kept = out != 0
    n = kept.size
    assert abs((1 - kept.mean()) - p) < 4 * np.sqrt(p * (1 - p) / n)  # fraction dropped
    scale = np.asarray(1 / (1 - p), dtype=dtype)
    np.testing.assert_array_equal(out[kept], x0[kept] * scale)  # survivors scaled exactly
    # the mean is preserved: E[y] = x (to the sampling error of the mask)
    assert abs(out.mean() - x0.mean()) < 4 * np.sqrt(p / (1 - p) / n) * x0.std() + 4 * np.sqrt(
        p / (1 - p) / n) * abs(x0.mean())
    g = np.random.default_rng(2).normal(size=x0.shape).astype(dtype)
    y.backward(gradlab.tensor(g))
    np.testing.assert_array_equal(x.grad.numpy(), g * (kept * scale))  # g * mask / (1 - p)


def test_dropout_eval_is_identity_and_matches_torch():
    x = gradlab.randn(4, 5, requires_grad=True)
    m = nn.Dropout(0.3)
    assert repr(m) == repr(torch.nn.Dropout(0.3)) == "Dropout(p=0.3, inplace=False)"
    assert repr(nn.Dropout2d(0.2, True)) == repr(torch.nn.Dropout2d(0.2, True))
    assert m.training
    m.eval()
    assert m(x) is x  # torch returns the input itself too
    assert F.dropout(x, 0.9, training=False) is x
    assert F.dropout2d(x.reshape(1, 4, 5, 1), 0.9, training=False) is not None
    xt = torch.tensor(x.detach().numpy())
    np.testing.assert_array_equal(m(x).detach().numpy(), torch.nn.Dropout(0.3).eval()(xt))
    m.train()
    assert m(x) is not x
    seq = nn.Sequential(nn.Linear(5, 3), nn.Dropout(0.5)).eval()
    np.testing.assert_array_equal(seq(x).detach().numpy(), seq[0](x).detach().numpy())


def test_dropout_p0_and_p1():
    x = gradlab.randn(3, 4, requires_grad=True)
    assert F.dropout(x, 0.0) is x  # identity, as torch
    y = F.dropout(x, 1.0)
    assert np.all(y.detach().numpy() == 0) and not np.isnan(y.detach().numpy()).any()
    y.sum().backward()
    assert np.all(x.grad.numpy() == 0)
    x.grad = None
    y2 = F.dropout2d(x.reshape(1, 3, 2, 2), 1.0)
    assert np.all(y2.detach().numpy() == 0)
    assert F.dropout2d(x.reshape(1, 3, 2, 2), 0.0).shape == (1, 3, 2, 2)


def test_dropout_reproducible_from_global_seed():
    x = gradlab.ones(50, 50)
    gradlab.manual_seed(123)
    a = F.dropout(x, 0.5).numpy()
    b = F.dropout(x, 0.5).numpy()
    gradlab.manual_seed(123)
    np.testing.assert_array_equal(F.dropout(x, 0.5).numpy(), a)
    assert not np.array_equal(a, b)


@pytest.mark.parametrize("p", [0.25, 0.5])
def test_dropout2d_zeroes_whole_channels(p):
    gradlab.manual_seed(3)
    x0 = np.random.default_rng(4).uniform(1, 2, size=(64, 64, 3, 3)).astype(np.float32)
    x = gradlab.tensor(x0, requires_grad=True)
    y = nn.Dropout2d(p)(x)
    out = y.detach().numpy()
    kept = out != 0
    per_channel = kept.reshape(64, 64, 9)
    assert np.all(per_channel.all(-1) | ~per_channel.any(-1))  # all or nothing per channel
    frac = 1 - per_channel[..., 0].mean()
    assert abs(frac - p) < 4 * np.sqrt(p * (1 - p) / (64 * 64))
    scale = np.float32(1 / (1 - p))
    np.testing.assert_array_equal(out[kept], x0[kept] * scale)
    y.backward(gradlab.ones(*y.shape))
    np.testing.assert_array_equal(x.grad.numpy(), kept * scale)


def test_dropout2d_other_ranks_as_torch():
    x = gradlab.ones(40, 50, 6)
    with pytest.warns(UserWarning, match=r"Received a 3D input to dropout2d.*\(N, C, L\)"):
        y = F.dropout2d(x, 0.5).numpy()
    assert np.all(y.min(-1) == y.max(-1))  # 3-D: whole (n, c) rows, i.e. (N, C, L)
    with pytest.warns(UserWarning, match=r"Received a 2-D input to dropout2d"):
        y = F.dropout2d(gradlab.ones(200, 300), 0.5).numpy()
    assert 0.45 < (y == 0).mean() < 0.55  # 2-D: element-wise
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match=r"dropout2d: Feature dropout requires at least "
                                               r"2 dimensions in the input, got shape \[5\]"):
            F.dropout2d(gradlab.ones(5), 0.5)


DROPOUT_ERRORS = [
    lambda: F.dropout(gradlab.ones(2), 1.5),
    lambda: F.dropout(gradlab.ones(2), -0.1, training=False),
    lambda: F.dropout2d(gradlab.ones(1, 2, 2, 2), 2.0),
    lambda: nn.Dropout(-0.1),
    lambda: nn.Dropout2d(1.01),
]


@pytest.mark.parametrize("call", DROPOUT_ERRORS)
def test_dropout_p_out_of_range(call):
    with pytest.raises(ValueError, match=r"dropout probability has to be between 0 and 1, but "
                                         r"got (1.5|-0.1|2.0|1.01)"):
        call()


# --------------------------------------------------------------------------- embedding

IDX = np.array([[1, 4, 0, 4, 2], [3, 3, 3, 1, 0]])


def emb_pair(dtype, **kw):
    t = torch.nn.Embedding(6, 3, **kw).to(getattr(torch, dtype))
    g = nn.Embedding(6, 3, **kw)
    g.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    return g.to(getattr(gradlab, dtype)), t


def compare_embedding(g, t, idx, dtype, train=True):
    g.train(train)
    t.train(train)
    og, ot = g(gradlab.tensor(idx)), t(torch.tensor(idx))
    up = np.random.default_rng(7).normal(size=tuple(ot.shape)).astype(dtype)
    og.backward(gradlab.tensor(up))
    ot.backward(torch.tensor(up))
    tol = dict(rtol=1e-12, atol=1e-14) if dtype == "float64" else dict(rtol=1e-5, atol=1e-6)
    assert og.dtype.np == np.dtype(dtype) and og.shape == tuple(ot.shape)
    np.testing.assert_allclose(og.detach().numpy(), ot.detach().numpy(), **tol)
    np.testing.assert_allclose(g.weight.grad.numpy(), t.weight.grad.numpy(), **tol)
    np.testing.assert_allclose(g.weight.detach().numpy(), t.weight.detach().numpy(), **tol)


EMB_OPTIONS = [
    {},
    {"padding_idx": 3},
    {"padding_idx": -2},
    {"scale_grad_by_freq": True},
    {"padding_idx": 0, "scale_grad_by_freq": True},
    {"max_norm": 1.0},
    {"max_norm": 0.5, "norm_type": 1.0, "padding_idx": 4},
]


@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", EMB_OPTIONS, ids=[str(sorted(k.items())) for k in EMB_OPTIONS])
def test_embedding_module_vs_torch(kw, dtype, train):
    g, t = emb_pair(dtype, **kw)
    assert repr(g) == repr(t)
    assert g.padding_idx == t.padding_idx
    compare_embedding(g, t, IDX, dtype, train)
    compare_embedding(g, t, IDX[0, 2], dtype, train)  # a 0-d index gives one vector


def test_embedding_functional_vs_torch_and_int32_indices():
    w0 = np.random.default_rng(8).normal(size=(5, 4))
    wg, wt = gradlab.tensor(w0, requires_grad=True), torch.tensor(w0, requires_grad=True)
    idx = np.array([[0, 2, 2], [4, 4, 4]], dtype=np.int32)
    og = F.embedding(gradlab.tensor(idx), wg, padding_idx=2)
    ot = torch.nn.functional.embedding(torch.tensor(idx), wt, padding_idx=2)
    og.sum().backward()
    ot.sum().backward()
    np.testing.assert_allclose(og.detach().numpy(), ot.detach().numpy(), rtol=1e-15)
    np.testing.assert_allclose(wg.grad.numpy(), wt.grad.numpy(), rtol=1e-15)


def test_embedding_gradient_accumulates_and_padding_stays_zero():
    m = nn.Embedding(5, 2, padding_idx=1).double()
    np.testing.assert_array_equal(m.weight.detach().numpy()[1], 0)
    idx = gradlab.tensor([0, 1, 0, 3, 0, 1])
    g = np.arange(12, dtype=np.float64).reshape(6, 2)
    m(idx).backward(gradlab.tensor(g))
    grad = m.weight.grad.numpy()
    np.testing.assert_array_equal(grad[0], g[0] + g[2] + g[4])  # three lookups, summed
    np.testing.assert_array_equal(grad[3], g[3])
    np.testing.assert_array_equal(grad[1], 0)  # padding row: no gradient
    np.testing.assert_array_equal(grad[[2, 4]], 0)  # unused rows
    with gradlab.no_grad():
        m.weight.array -= 0.1 * m.weight.grad.array
    np.testing.assert_array_equal(m.weight.detach().numpy()[1], 0)
    w = gradlab.randn(4, 3, dtype=gradlab.float64, requires_grad=True)
    assert gradcheck(lambda w: F.embedding(gradlab.tensor([[0, 3, 3], [2, 0, 3]]), w), (w,))
    # (padding_idx and scale_grad_by_freq change the gradient on purpose, so finite differences
    # do not apply to them; they are compared with torch above)


def test_embedding_init_is_standard_normal():
    gradlab.manual_seed(0)
    m = nn.Embedding(1000, 64)
    w = m.weight.detach().numpy()
    assert w.dtype == np.float32 and w.shape == (1000, 64)
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1) < 0.01
    assert list(m.state_dict()) == list(torch.nn.Embedding(3, 2).state_dict()) == ["weight"]


def test_embedding_from_pretrained():
    w = gradlab.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    m = nn.Embedding.from_pretrained(w, padding_idx=1)
    assert not m.weight.requires_grad
    np.testing.assert_array_equal(m(gradlab.tensor([1, 2])).numpy(), [[3.0, 4.0], [5.0, 6.0]])
    assert repr(m) == repr(torch.nn.Embedding.from_pretrained(torch.tensor(w.numpy()),
                                                              padding_idx=1))
    assert nn.Embedding.from_pretrained(w, freeze=False).weight.requires_grad


EMB_ERRORS = [
    (lambda: F.embedding(gradlab.tensor([0.0, 1.0]), gradlab.ones(3, 2)), RuntimeError,
     r"embedding: expected indices of an integer type \(int64 or int32\), got float32"),
    (lambda: F.embedding(gradlab.tensor([0, 3]), gradlab.ones(3, 2)), IndexError,
     r"embedding: index 3 is out of range for 3 embeddings \(index out of range in self\)"),
    (lambda: F.embedding(gradlab.tensor([[0, -1]]), gradlab.ones(3, 2)), IndexError,
     r"embedding: index -1 is out of range for 3 embeddings"),
    (lambda: F.embedding(gradlab.tensor([0]), gradlab.ones(3)), RuntimeError,
     r"embedding: 'weight' must be 2-D \(num_embeddings, embedding_dim\), got shape \[3\]"),
    (lambda: F.embedding(gradlab.tensor([0]), gradlab.ones(3, 2), padding_idx=3), AssertionError,
     r"embedding: padding_idx must be within num_embeddings \(3\), got 3"),
    (lambda: nn.Embedding(3, 2, padding_idx=-4), ValueError,
     r"Embedding: padding_idx must be within num_embeddings \(3\), got -4"),
    (lambda: F.embedding(gradlab.tensor([0]), gradlab.ones(3, 2), sparse=True),
     NotImplementedError, r"embedding: sparse=True \(sparse gradients\) is not supported"),
    (lambda: nn.Embedding(3, 2, sparse=True), NotImplementedError, r"sparse=True"),
    (lambda: nn.Embedding(3, 2, _weight=gradlab.ones(2, 3)), ValueError,
     r"Embedding: shape of weight \[2, 3\] does not match num_embeddings and embedding_dim "
     r"\[3, 2\]"),
    (lambda: nn.Embedding.from_pretrained(gradlab.ones(3)), ValueError,
     r"embeddings are expected to be 2-dimensional, got shape \[3\]"),
]


@pytest.mark.parametrize("call,exc,msg", EMB_ERRORS, ids=[str(i) for i in range(len(EMB_ERRORS))])
def test_embedding_errors(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call()
