"""The scratch workspaces (gradlab/_workspace.py): reuse, growth, the byte limit, clearing, and
the ownership rule (no module reads another's buffers)."""

import copy
import pickle

import numpy as np
import pytest

import gradlab
from gradlab import _workspace
from gradlab._workspace import Workspace
from gradlab.compress import quantize
from gradlab.ops import conv as conv_ops
from gradlab.ops import rnn as rnn_ops


def test_get_reuses_and_grows_the_named_buffer():
    ws = Workspace("test")
    a = ws.get("t", (2, 3), np.float32)
    assert a.shape == (2, 3) and a.dtype == np.float32 and a.flags.c_contiguous
    b = ws.get("t", (3, 2), np.float32)
    assert np.shares_memory(a, b)  # same buffer, new shape
    c = ws.get("t", (4, 4), np.float32)  # larger: a new buffer, kept from now on
    assert not np.shares_memory(a, c) and ws.nbytes == 16 * 4
    d = ws.get("t", (2, 2), np.float32)
    assert np.shares_memory(c, d)
    # names and dtypes are separate buffers
    assert not np.shares_memory(ws.get("u", (2, 2), np.float32), d)
    assert not np.shares_memory(ws.get("t", (2, 2), np.float64), d)


def test_arrays_over_the_limit_are_not_kept():
    ws = Workspace("test", limit_bytes=64)
    big = ws.get("t", (17,), np.float32)  # 68 bytes
    assert big.shape == (17,) and ws.nbytes == 0
    assert not np.shares_memory(big, ws.get("t", (17,), np.float32))
    ws.get("t", (16,), np.float32)  # 64 bytes: kept
    assert ws.nbytes == 64
    with pytest.raises(ValueError, match="limit_bytes"):
        Workspace("bad", limit_bytes=-1)


def test_clear_one_and_every_workspace():
    ws, other = Workspace("a"), Workspace("b")
    ws.get("t", (8,), np.float32)
    other.get("t", (8,), np.float32)
    ws.clear()
    assert ws.nbytes == 0 and other.nbytes == 32
    _workspace.clear()
    assert other.nbytes == 0 and _workspace.nbytes() == 0
    assert "Workspace('a'" in repr(ws)


def test_copies_and_pickles_start_empty():
    ws = Workspace("test", limit_bytes=1 << 10)
    ws.get("t", (8,), np.float32)
    for clone in (copy.deepcopy(ws), pickle.loads(pickle.dumps(ws))):
        assert clone.nbytes == 0 and clone.limit_bytes == 1 << 10 and clone.owner == "test"


def test_optimizer_temporaries_live_in_its_own_workspace():
    p = gradlab.nn.Parameter(gradlab.ones(5, 3))
    opt = gradlab.optim.Adam([p], lr=0.1, weight_decay=0.01)
    p.grad = gradlab.ones(5, 3)
    opt.step()
    assert opt._workspace.owner == "optim.Adam" and opt._workspace.nbytes > 0
    other = gradlab.optim.Adam([p], lr=0.1, weight_decay=0.01)
    assert other._workspace is not opt._workspace
    assert copy.deepcopy(opt)._workspace.nbytes == 0


def test_conv_columns_are_owned_by_the_caller():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    geo = conv_ops.geometry(x.shape, (4, 3, 3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1)
    cols = conv_ops.columns(x, geo)
    assert cols.shape == (3 * 3 * 3, 2 * 6 * 6)
    kept = cols.copy()
    conv_ops.conv_forward(conv_ops.input_grid(x * 2, geo), np.ones((4, 3, 3, 3), np.float32),
                          None, geo)  # the forward fills the module's own buffer ...
    np.testing.assert_array_equal(cols, kept)  # ... which the caller's columns do not alias


def test_integer_convolution_does_not_use_the_conv_workspace():
    conv_ops._ws.clear()
    xq = np.arange(2 * 3 * 5 * 5, dtype=np.int32).reshape(2, 3, 5, 5) % 7
    wq = (np.arange(4 * 3 * 3 * 3).reshape(4, 3, 3, 3) % 5 - 2).astype(np.int8)
    acc = quantize.int_conv2d(xq.astype(np.uint8), 1, wq, padding=(1, 1, 1, 1))
    assert conv_ops._ws.nbytes == 0
    ref = gradlab.nn.functional.conv2d(gradlab.tensor((xq - 1).astype(np.float64)),
                                       gradlab.tensor(wq.astype(np.float64)), padding=1)
    np.testing.assert_array_equal(acc, ref.numpy().astype(np.int32))


@pytest.mark.parametrize("layer", [rnn_ops.RNNLayer, rnn_ops.LSTMLayer, rnn_ops.GRULayer,
                                   rnn_ops.GRUChoLayer])
def test_recurrent_temporaries_live_in_the_rnn_workspace_and_are_never_returned(layer):
    rnn_ops._ws.clear()
    gates = {rnn_ops.RNNLayer: 1, rnn_ops.LSTMLayer: 4}.get(layer, 3)
    rng = np.random.default_rng(1)
    t = lambda *s: gradlab.tensor(rng.standard_normal(s), requires_grad=True)  # noqa: E731
    states = [t(2, 3) for _ in range(2 if layer is rnn_ops.LSTMLayer else 1)]
    args = [t(4, 2, 5), *states, t(3 * gates, 5), t(3 * gates, 3), t(3 * gates), t(3 * gates)]
    outs = layer.apply(*args)
    sum((o * o).sum() for o in outs).backward()
    assert rnn_ops._ws.owner == "ops.rnn" and rnn_ops._ws.nbytes > 0
    buffers = list(rnn_ops._ws._buffers.values())
    for a in [o.detach().numpy() for o in outs] + [a.grad.numpy() for a in args]:
        assert not any(np.shares_memory(a, b) for b in buffers)
