"""The numba kernels of the recurrent layers (``gradlab/ops/_rnn_kernels.py``) against the NumPy
reference path and torch: LSTM and GRU outputs, final states and every gradient (input,
initial states, weights, biases), plain, bidirectional, packed with variable lengths; that the
fused path is really taken for float32 (and never for float64); the accuracy of the kernels'
rational tanh on a dense float32 grid and at special values.

Tolerances, fused vs NumPy (both float32): rtol 1e-5, atol 1e-6. The kernels' tanh is within
6e-8 of the exact value and evaluated in float64 where NumPy's float32 tanh rounds each call, so
the two paths differ by a few float32 ulps per step; over the short sequences here that stays
well under 1e-5 relative, and atol 1e-6 only covers entries that are near zero by cancellation.
Against torch float32: rtol 1e-5, atol 1e-5, as the float32 cases of tests/test_nn_rnn.py.
"""

import numpy as np
import pytest
import torch
from torch.nn.utils import rnn as trnn

import gradlab
import gradlab._jit as jit
import gradlab.nn as nn
from gradlab.nn.utils import rnn as grnn
from gradlab.ops import _rnn_kernels as K

I, H, T, N = 5, 16, 7, 4
LENGTHS = [7, 5, 5, 2]  # packed: variable lengths, sorted (batch_sizes 4, 4, 3, 3, 3, 1, 1)


def _run(kind, jit_on, *, bidirectional=False, packed=False, with_state=True, dtype=np.float32,
         oracle=False):
    """Outputs and gradients of an nn.LSTM / nn.GRU with torch's initial weights, under
    ``jit.use(jit_on)``; and (``oracle``) torch's for the same loss, else None."""
    rng = np.random.default_rng(3)
    torch.manual_seed(0)
    D = 2 if bidirectional else 1
    tm = getattr(torch.nn, kind)(I, H, 2, bidirectional=bidirectional)
    tm = tm.float() if dtype == np.float32 else tm.double()
    gm = getattr(nn, kind)(I, H, 2, bidirectional=bidirectional)
    gm.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    gm = gm.float() if dtype == np.float32 else gm.double()
    x = rng.normal(size=(T, N, I)).astype(dtype)
    states = [rng.normal(size=(2 * D, N, H)).astype(dtype)
              for _ in range(2 if kind == "LSTM" else 1)]
    wy = rng.normal(size=(T, N, D * H)).astype(dtype)
    ws = [rng.normal(size=s.shape).astype(dtype) for s in states]

    def step(lib, module, tensor):
        xs = tensor(x.copy(), requires_grad=True)
        ss = [tensor(s.copy(), requires_grad=True) for s in states]
        hx = (tuple(ss) if kind == "LSTM" else ss[0]) if with_state else None
        inp = xs
        if packed:
            pack = grnn.pack_padded_sequence if lib is gradlab else trnn.pack_padded_sequence
            inp = pack(xs, LENGTHS if lib is gradlab else torch.tensor(LENGTHS))
        out, hn = module(inp, hx)
        if packed:
            unpack = grnn.pad_packed_sequence if lib is gradlab else trnn.pad_packed_sequence
            out, _ = unpack(out, total_length=T)
        finals = list(hn) if kind == "LSTM" else [hn]
        loss = (out * tensor(wy)).sum()
        for f, w in zip(finals, ws):
            loss = loss + (f * tensor(w)).sum()
        loss.backward()
        res = {"output": out, **{f"final {k}": f for k, f in enumerate(finals)},
               "grad x": xs.grad}
        if with_state:
            res.update({f"grad state {k}": s.grad for k, s in enumerate(ss)})
        res.update({f"grad {name}": p.grad for name, p in module.named_parameters()})
        return {k: np.array(v.detach().numpy())
                for k, v in res.items()}

    with jit.use(jit_on):
        ours = step(gradlab, gm, gradlab.tensor)
    return ours, (step(torch, tm, torch.tensor) if oracle else None)


CASES = [dict(), dict(bidirectional=True), dict(packed=True), dict(packed=True, bidirectional=True),
         dict(with_state=False)]
IDS = ["plain", "bidirectional", "packed", "packed-bidirectional", "no-state"]


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_fused_matches_numpy_and_torch(kind, case):
    fused, theirs = _run(kind, True, oracle=True, **case)
    ref, _ = _run(kind, False, **case)
    assert fused.keys() == ref.keys() == theirs.keys()
    for k in ref:
        np.testing.assert_allclose(fused[k], ref[k], rtol=1e-5, atol=1e-6,
                                   err_msg=f"{kind} {k}: fused vs NumPy")
        np.testing.assert_allclose(fused[k], theirs[k], rtol=1e-5, atol=1e-5,
                                   err_msg=f"{kind} {k}: fused vs torch")
    if case.get("packed"):  # padded steps receive no gradient, padded outputs are zero
        for n, length in enumerate(LENGTHS):
            assert np.all(fused["grad x"][length:, n] == 0)
            assert np.all(fused["output"][length:, n] == 0)


def _counting(monkeypatch):
    calls = {}
    for name in ("lstm_forward_step", "lstm_backward_step", "gru_forward_step",
                 "gru_backward_step"):
        kernel = getattr(K, name)

        def counted(*args, _kernel=kernel, _name=name):
            calls[_name] = calls.get(_name, 0) + 1
            return _kernel(*args)

        monkeypatch.setattr(K, name, counted)
    return calls


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_fused_path_is_taken_for_float32_only(kind, monkeypatch):
    calls = _counting(monkeypatch)
    _run(kind, True, bidirectional=True, packed=True)
    k = kind.lower()
    # 2 layers x 2 directions x T steps, forward and backward
    assert calls == {f"{k}_forward_step": 4 * T, f"{k}_backward_step": 4 * T}
    calls.clear()
    _run(kind, False)  # GRADLAB_JIT=0's path
    _run(kind, True, dtype=np.float64)  # float64 always takes the NumPy path
    assert calls == {}


def test_tanh_accuracy_and_special_values():
    grid = np.linspace(-20, 20, 1_000_001, dtype=np.float32)
    tiny = np.finfo(np.float32).tiny
    small = np.geomspace(1e-3, 1e-38, 2001, dtype=np.float32)
    denormals = np.array([1e-45, 1e-42, 3e-40, tiny / 2], dtype=np.float32)
    x = np.concatenate([grid, small, -small, denormals, -denormals,
                        np.float32([0.0, -0.0, tiny, -tiny, 9.0, -9.0, np.nextafter(9, 10)])])
    y = x.copy()
    K.tanh_(y)
    ref = np.tanh(x.astype(np.float64))
    err = np.abs(y.astype(np.float64) - ref)
    assert err.max() <= 2.5e-7, f"max abs error {err.max():.3e} at x={x[err.argmax()]}"
    near0 = (np.abs(x) < 1e-3) & (x != 0)
    rel = err[near0] / np.abs(ref[near0])
    assert rel.max() <= 2.5e-7, f"max rel error {rel.max():.3e} at x={x[near0][rel.argmax()]}"
    specials = np.float32([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45])
    out = specials.copy()
    K.tanh_(out)
    assert out[0] == 0 and not np.signbit(out[0])
    assert out[1] == 0 and np.signbit(out[1])
    assert out[2] == 1 and out[3] == -1
    assert np.isnan(out[4])
    assert out[5] == specials[5] and out[6] == specials[6]
