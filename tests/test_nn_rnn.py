"""RNN, LSTM, GRU and their cells against torch.nn with copied weights: outputs, final states and
the gradients of the input, the initial states and every parameter, over layers, directions,
batch_first, bias and dtype; packed sequences; gradcheck of each layer Function (both GRU forms);
the Cho et al. GRU against an independent NumPy loop; dropout between layers; IRNN init; error
messages."""

import itertools

import numpy as np
import pytest
import torch
from torch.nn.utils import rnn as trnn

import gradlab
import gradlab.nn as nn
from gradlab.autograd import gradcheck
from gradlab.nn.utils import rnn as grnn
from gradlab.ops.rnn import GRUChoLayer, GRULayer, LSTMLayer, RNNLayer

TOL = {np.float64: dict(rtol=1e-10, atol=1e-10), np.float32: dict(rtol=1e-5, atol=1e-5)}
I, H = 3, 4


def make(kind: str, *args, dtype=np.float64, **kw):
    """A gradlab module and a torch module of ``kind`` with the torch module's weights."""
    if kind.startswith("RNN_"):
        kw["nonlinearity"] = kind[4:]
        kind = "RNN"
    if kind.endswith("Cell_relu"):
        kw["nonlinearity"] = "relu"
        kind = "RNNCell"
    torch.manual_seed(0)
    tm = getattr(torch.nn, kind)(*args, **kw)
    tm = tm.double() if dtype == np.float64 else tm.float()
    gm = getattr(nn, kind)(*args, **kw)
    gm.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    gm = gm.double() if dtype == np.float64 else gm.float()
    return gm, tm


def pair(a: np.ndarray):
    return gradlab.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def flat(out) -> list:
    return [o for x in out for o in flat(x)] if isinstance(out, (tuple, list)) else [out]


def backward_both(outs_g: list, outs_t: list, seed: int = 1) -> None:
    """A random linear functional of every output, backpropagated in both libraries."""
    rng = np.random.default_rng(seed)
    lg = lt = 0
    for a, b in zip(outs_g, outs_t):
        w = rng.normal(size=tuple(b.shape)).astype(b.detach().numpy().dtype)
        lg = lg + (a * gradlab.tensor(w)).sum()
        lt = lt + (b * torch.tensor(w)).sum()
    lg.backward()
    lt.backward()


def assert_close(g, t, dtype, msg=""):
    np.testing.assert_allclose(g.detach().numpy(), t.detach().numpy(), err_msg=msg, **TOL[dtype])


def compare(gm, tm, x, states, dtype):
    """Run both modules on x (and initial states, or None); compare outputs and all grads."""
    xg, xt = pair(x.astype(dtype))
    sg = st = None
    if states is not None:
        ps = [pair(s.astype(dtype)) for s in states]
        sg = [p[0] for p in ps]
        st = [p[1] for p in ps]
        if len(states) == 1:
            sg, st = sg[0], st[0]
        else:
            sg, st = tuple(sg), tuple(st)
    og, ot = flat(gm(xg, sg)), flat(tm(xt, st))
    assert [tuple(a.shape) for a in og] == [tuple(b.shape) for b in ot]
    for k, (a, b) in enumerate(zip(og, ot)):
        assert_close(a, b, dtype, f"output {k}")
    backward_both(og, ot)
    assert_close(xg.grad, xt.grad, dtype, "input grad")
    if states is not None:
        for k, (a, b) in enumerate(zip(flat(sg), flat(st))):
            assert_close(a.grad, b.grad, dtype, f"initial state {k} grad")
    for (name, pg), (tname, pt) in zip(gm.named_parameters(), tm.named_parameters()):
        assert name == tname
        assert_close(pg.grad, pt.grad, dtype, name)


KINDS = ["RNN_tanh", "RNN_relu", "LSTM", "GRU"]
GRID = list(itertools.product(KINDS, [1, 2], [False, True], [False, True]))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind,layers,bidir,batch_first", GRID)
def test_layer_matches_torch(kind, layers, bidir, batch_first, dtype):
    gm, tm = make(kind, I, H, layers, batch_first=batch_first, bidirectional=bidir,
                  dtype=dtype)
    rng = np.random.default_rng(2)
    T, N = 5, 3
    x = rng.normal(size=(N, T, I) if batch_first else (T, N, I))
    n_states = 2 if kind == "LSTM" else 1
    states = [rng.normal(size=(layers * (1 + bidir), N, H)) for _ in range(n_states)]
    compare(gm, tm, x, states, dtype)


@pytest.mark.parametrize("kind", KINDS)
def test_layer_default_state_no_bias_unbatched(kind):
    rng = np.random.default_rng(3)
    gm, tm = make(kind, I, H, 2, bias=False, bidirectional=True)
    compare(gm, tm, rng.normal(size=(6, 2, I)), None, np.float64)
    gm, tm = make(kind, I, H, 2, bidirectional=True)
    compare(gm, tm, rng.normal(size=(6, I)), None, np.float64)
    n_states = 2 if kind == "LSTM" else 1
    compare(gm, tm, rng.normal(size=(6, I)), [rng.normal(size=(4, H))] * n_states, np.float64)


@pytest.mark.parametrize("kind", KINDS)
def test_parameters_and_repr_as_torch(kind):
    gm, tm = make(kind, I, H, 2, bidirectional=True, batch_first=True, dropout=0.25)
    assert list(gm.state_dict()) == list(tm.state_dict())
    for (n, p), (_, q) in zip(gm.named_parameters(), tm.named_parameters()):
        assert tuple(p.shape) == tuple(q.shape), n
    assert repr(gm) == repr(tm)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_default_init_range(kind):
    m = getattr(nn, kind)(5, 64, 2)
    bound = 1 / np.sqrt(64)
    for n, p in m.named_parameters():
        assert p.dtype == gradlab.float32, n
        assert np.abs(p.array).max() <= bound, n
        assert np.abs(p.array).max() > 0.9 * bound, n


CELLS = ["RNNCell", "RNNCell_relu", "LSTMCell", "GRUCell"]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", CELLS)
def test_cell_matches_torch(kind, dtype):
    rng = np.random.default_rng(4)
    for bias in (True, False):
        gm, tm = make(kind, I, H, bias, dtype=dtype)
        n_states = 2 if kind == "LSTMCell" else 1
        compare(gm, tm, rng.normal(size=(3, I)), [rng.normal(size=(3, H))] * n_states, dtype)
        compare(gm, tm, rng.normal(size=(3, I)), None, dtype)
        compare(gm, tm, rng.normal(size=(I,)), [rng.normal(size=(H,))] * n_states, dtype)


def test_cell_unrolled_equals_layer():
    """An LSTMCell stepped by hand gives the LSTM layer's outputs (same weights)."""
    layer = nn.LSTM(I, H).double()
    cell = nn.LSTMCell(I, H).double()
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
    x = gradlab.tensor(np.random.default_rng(5).normal(size=(7, 2, I)))
    out, (h_n, c_n) = layer(x)
    h = c = gradlab.zeros(2, H, dtype=gradlab.float64)
    for t in range(7):
        h, c = cell(x[t], (h, c))
        np.testing.assert_allclose(h.detach().numpy(), out[t].detach().numpy(), rtol=1e-12,
                                   atol=1e-12)
    np.testing.assert_allclose(c.detach().numpy(), c_n[0].detach().numpy(), rtol=1e-12,
                               atol=1e-12)


# ----------------------------------------------------------------------------- gradcheck

def _layer_inputs(fn, gates, rng, N=2, T=3, In=2, Hd=2):
    t = lambda *s: gradlab.tensor(rng.normal(size=s), requires_grad=True)  # noqa: E731
    states = [t(N, Hd)] * (2 if fn is LSTMLayer else 1)
    states = [t(N, Hd) for _ in states]
    return [t(T, N, In), *states, t(gates * Hd, In), t(gates * Hd, Hd), t(gates * Hd),
            t(gates * Hd)]


GC = [(RNNLayer, 1, {"nonlinearity": "tanh"}), (RNNLayer, 1, {"nonlinearity": "relu"}),
      (LSTMLayer, 4, {}), (GRULayer, 3, {}), (GRUChoLayer, 3, {})]


@pytest.mark.parametrize("packed", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("fn,gates,kw", GC, ids=["tanh", "relu", "lstm", "gru", "gru_cho"])
def test_layer_function_gradcheck(fn, gates, kw, reverse, packed):
    rng = np.random.default_rng(6)
    args = _layer_inputs(fn, gates, rng, N=3 if packed else 2)
    bs = [3, 2, 1] if packed else None

    def f(*a):
        return fn.apply(*a, reverse=reverse, batch_sizes=bs, **kw)

    assert gradcheck(f, args)


# ----------------------------------------------------------------------------- GRU forms

def _sig(a):
    return 1 / (1 + np.exp(-a))


def gru_cho_reference(x, h, w_ih, w_hh, b_ih, b_hh):
    """Cho et al. 2014 written out step by step: the reset gate applied to h before W_hn."""
    Hd = h.shape[1]
    W_ir, W_iz, W_in = np.split(w_ih, 3)
    W_hr, W_hz, W_hn = np.split(w_hh, 3)
    b_ir, b_iz, b_in = np.split(b_ih, 3)
    b_hr, b_hz, b_hn = np.split(b_hh, 3)
    outs = []
    for xt in x:
        r = _sig(xt @ W_ir.T + b_ir + h @ W_hr.T + b_hr)
        z = _sig(xt @ W_iz.T + b_iz + h @ W_hz.T + b_hz)
        n = np.tanh(xt @ W_in.T + b_in + (r * h) @ W_hn.T + b_hn)
        h = (1 - z) * n + z * h
        outs.append(h)
    assert h.shape[1] == Hd
    return np.stack(outs), h


def test_gru_cho_matches_reference_and_differs_from_torch_form():
    rng = np.random.default_rng(7)
    m = nn.GRU(I, H, cho=True).double()
    x = rng.normal(size=(6, 2, I))
    h0 = rng.normal(size=(1, 2, H))
    with gradlab.no_grad():
        out, h_n = m(gradlab.tensor(x), gradlab.tensor(h0))
    ref, ref_h = gru_cho_reference(x, h0[0], *(p.detach().numpy() for p in m.parameters()))
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(h_n[0].numpy(), ref_h, rtol=1e-12, atol=1e-12)
    m.cho = False
    with gradlab.no_grad():
        out2, _ = m(gradlab.tensor(x), gradlab.tensor(h0))
    assert np.abs(out2.numpy() - ref).max() > 1e-3
    assert "cho=True" in repr(nn.GRU(I, H, cho=True))


# ----------------------------------------------------------------------------- packed

@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("kind", KINDS)
def test_packed_matches_torch(kind, enforce_sorted):
    rng = np.random.default_rng(8)
    lengths = [5, 3, 3, 1] if enforce_sorted else [3, 5, 1, 3]
    gm, tm = make(kind, I, H, 2, bidirectional=True, batch_first=True)
    x = rng.normal(size=(4, 5, I))
    n_states = 2 if kind == "LSTM" else 1
    states = [rng.normal(size=(4, 4, H)) for _ in range(n_states)]
    xg, xt = pair(x)
    sg = [pair(s) for s in states]
    hg = tuple(s[0] for s in sg) if n_states == 2 else sg[0][0]
    ht = tuple(s[1] for s in sg) if n_states == 2 else sg[0][1]
    pg = grnn.pack_padded_sequence(xg, lengths, batch_first=True, enforce_sorted=enforce_sorted)
    pt = trnn.pack_padded_sequence(xt, torch.tensor(lengths), batch_first=True,
                                   enforce_sorted=enforce_sorted)
    assert_close(pg.data, pt.data, np.float64)
    np.testing.assert_array_equal(pg.batch_sizes.numpy(), pt.batch_sizes.numpy())
    og, sgo = gm(pg, hg)
    ot, sto = tm(pt, ht)
    assert_close(og.data, ot.data, np.float64, "packed output")
    padg, leng = grnn.pad_packed_sequence(og, batch_first=True, total_length=6)
    padt, lent = trnn.pad_packed_sequence(ot, batch_first=True, total_length=6)
    np.testing.assert_array_equal(leng.numpy(), lent.numpy())
    outs_g, outs_t = [padg, *flat(sgo)], [padt, *flat(sto)]
    for k, (a, b) in enumerate(zip(outs_g, outs_t)):
        assert_close(a, b, np.float64, f"output {k}")
    backward_both(outs_g, outs_t)
    assert_close(xg.grad, xt.grad, np.float64, "input grad")
    short = lengths.index(1)
    assert np.all(xg.grad.numpy()[short, 1:] == 0)  # padded steps receive no gradient
    for k, (a, b) in enumerate(sg):
        assert_close(a.grad, b.grad, np.float64, f"initial state {k} grad")
    for (name, p), (_, q) in zip(gm.named_parameters(), tm.named_parameters()):
        assert_close(p.grad, q.grad, np.float64, name)


def test_pad_sequence_and_pack_sequence_match_torch():
    rng = np.random.default_rng(9)
    seqs = [rng.normal(size=(n, 2)) for n in (2, 4, 1)]
    for bf, side in itertools.product([False, True], ["right", "left"]):
        gs = [gradlab.tensor(s, requires_grad=True) for s in seqs]
        ts = [torch.tensor(s, requires_grad=True) for s in seqs]
        a = grnn.pad_sequence(gs, batch_first=bf, padding_value=-1.5, padding_side=side)
        b = trnn.pad_sequence(ts, batch_first=bf, padding_value=-1.5, padding_side=side)
        assert_close(a, b, np.float64)
        backward_both([a], [b])
        for g, t in zip(gs, ts):
            assert_close(g.grad, t.grad, np.float64)
    pg = grnn.pack_sequence([gradlab.tensor(s) for s in seqs], enforce_sorted=False)
    pt = trnn.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False)
    assert_close(pg.data, pt.data, np.float64)
    np.testing.assert_array_equal(pg.sorted_indices.numpy(), pt.sorted_indices.numpy())
    np.testing.assert_array_equal(pg.unsorted_indices.numpy(), pt.unsorted_indices.numpy())
    padded, lengths = grnn.pad_packed_sequence(pg)
    back = grnn.unpad_sequence(padded, lengths)
    for s, u in zip(seqs, back):
        np.testing.assert_array_equal(u.numpy(), s)


def test_packed_errors():
    x = gradlab.zeros(3, 2, 1)
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        grnn.pack_padded_sequence(x, [1, 3])
    with pytest.raises(RuntimeError, match="has to be greater than 0"):
        grnn.pack_padded_sequence(x, [3, 0])
    with pytest.raises(RuntimeError, match="a length of 4 exceeds the 3 time steps"):
        grnn.pack_padded_sequence(x, [4, 3])
    with pytest.raises(ValueError, match="got 3 lengths for a batch of 2"):
        grnn.pack_padded_sequence(x, [3, 2, 1])
    p = grnn.pack_padded_sequence(x, [3, 1])
    with pytest.raises(ValueError, match="total_length=2 and max sequence length being 3"):
        grnn.pad_packed_sequence(p, total_length=2)


# ----------------------------------------------------------------------------- dropout, init

def test_dropout_between_layers_and_variational_mask():
    gm, tm = make("LSTM", I, H, 2, dropout=0.5, dtype=np.float32)
    x = gradlab.tensor(np.random.default_rng(10).normal(size=(4, 2, I)).astype(np.float32))
    gm.train()
    with gradlab.no_grad():
        a, _ = gm(x)
        b, _ = gm(x)
    assert np.abs(a.numpy() - b.numpy()).max() > 1e-4  # dropout is on in training
    gm.eval()
    compare(gm, tm.eval(), x.numpy(), None, np.float32)  # and off in eval: torch's outputs
    m = nn.GRU(I, H, 2, dropout=0.4, variational_dropout=True).train()
    ones = gradlab.ones(6, 3, 5)
    with gradlab.no_grad():
        d = m._between_layers(ones).numpy()
    assert np.all(d == d[:1])  # one mask per sequence, shared by every time step
    assert set(np.unique(d)) <= {0.0, np.float32(1 / 0.6)}
    assert 0 < (d[0] == 0).sum() < d[0].size
    gradlab.manual_seed(11)  # the mask is public dropout of ones of shape (1, N, features)
    d = m._between_layers(ones).numpy()
    gradlab.manual_seed(11)
    mask = gradlab.nn.functional.dropout(gradlab.ones(1, 3, 5), 0.4, True).numpy()
    np.testing.assert_array_equal(d, np.broadcast_to(mask, d.shape))
    m.eval()
    assert m._between_layers(ones) is ones


def test_irnn_init_keeps_state_without_input():
    m = nn.irnn_init_(nn.RNN(I, H, 2, nonlinearity="relu", bidirectional=True).double())
    for name, p in m.named_parameters():
        p = p.detach().numpy()
        if "weight_hh" in name:
            np.testing.assert_array_equal(p, np.eye(H))
        elif "bias" in name:
            assert not p.any()
        else:
            assert 0 < np.abs(p).max() < 0.01
    h0 = np.abs(np.random.default_rng(11).normal(size=(4, 2, H)))
    with gradlab.no_grad():
        _, h_n = m(gradlab.zeros(9, 2, I, dtype=gradlab.float64), gradlab.tensor(h0))
    np.testing.assert_allclose(h_n.numpy()[0], h0[0], rtol=1e-12)


# ----------------------------------------------------------------------------- errors

def test_layer_error_messages_as_torch():
    lstm, gru = nn.LSTM(3, 4, 2), nn.GRU(3, 4)
    z = gradlab.zeros
    cases = [
        (lstm, (z(5, 2, 6),), RuntimeError,
         "input.size(-1) must be equal to input_size. Expected 3, got 6"),
        (lstm, (z(5, 2, 3, 1),), ValueError, "LSTM: Expected input to be 2D or 3D, got 4D"),
        (lstm, (z(5, 2, 3), (z(2, 3, 4), z(2, 2, 4))), RuntimeError,
         "Expected hidden[0] size (2, 2, 4), got [2, 3, 4]"),
        (lstm, (z(5, 2, 3), (z(2, 2, 4), z(1, 2, 4))), RuntimeError,
         "Expected hidden[1] size (2, 2, 4), got [1, 2, 4]"),
        (lstm, (z(5, 3), (z(2, 2, 4), z(2, 2, 4))), RuntimeError,
         "For unbatched 2-D input, hx and cx should also be 2-D but got (3-D, 3-D) tensors"),
        (gru, (z(5, 2, 3), z(2, 2, 4)), RuntimeError,
         "Expected hidden size (1, 2, 4), got [2, 2, 4]"),
        (gru, (z(5, 3), z(1, 2, 4)), RuntimeError,
         "For unbatched 2-D input, hx should also be 2-D but got 3-D tensor"),
        (gru, (z(5, 2, 3), z(2, 4)), RuntimeError,
         "For batched 3-D input, hx should also be 3-D but got 2-D tensor"),
        (gru, (z(0, 2, 3),), RuntimeError, "Expected sequence length to be larger than 0"),
    ]
    for mod, args, exc, msg in cases:
        with pytest.raises(exc) as info:
            mod(*args)
        assert msg in str(info.value)
        tmod = getattr(torch.nn, type(mod).__name__)(3, 4, mod.num_layers)
        targs = [tuple(torch.zeros(*s.shape) for s in a) if isinstance(a, tuple)
                 else torch.zeros(*a.shape) for a in args]
        with pytest.raises(Exception) as tinfo:
            tmod(*targs)
        # torch's message, after the layer's name
        assert str(info.value) in (str(tinfo.value), f"{type(mod).__name__}: {tinfo.value}")


def test_cell_and_constructor_error_messages():
    c = nn.LSTMCell(3, 4)
    with pytest.raises(ValueError, match="LSTMCell: Expected input to be 1D or 2D, got 3D"):
        c(gradlab.zeros(2, 2, 3))
    with pytest.raises(RuntimeError, match="input has inconsistent input_size: got 5 expected"):
        c(gradlab.zeros(2, 5))
    with pytest.raises(RuntimeError, match="Input batch size 2 doesn't match hidden0 batch "
                                           "size 3"):
        c(gradlab.zeros(2, 3), (gradlab.zeros(3, 4), gradlab.zeros(2, 4)))
    with pytest.raises(RuntimeError, match="hidden1 has inconsistent hidden_size: got 5, "
                                           "expected 4"):
        c(gradlab.zeros(2, 3), (gradlab.zeros(2, 4), gradlab.zeros(2, 5)))
    with pytest.raises(ValueError, match="Unknown nonlinearity 'sigmoid'. Select from 'tanh'"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match=r"dropout should be a number in range \[0, 1\]"):
        nn.GRU(3, 4, dropout=1.5)
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.LSTM(3, 4, dropout=0.5)
