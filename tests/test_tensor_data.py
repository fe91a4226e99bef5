"""``Tensor.data`` as torch's: a Tensor sharing memory, outside the graph; ``Tensor.array`` the
NumPy array itself; ``numpy()`` the same array. Each idiom runs side by side with torch 2.13 and
the values (and flags) are compared."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import gradlab
import gradlab.nn as gnn


def _pair(values, requires_grad=None, param=False):
    """(gradlab, torch) tensors of the same float32 values; Parameters require grad."""
    arr = np.asarray(values, dtype=np.float32)
    requires_grad = param if requires_grad is None else requires_grad
    g, t = gradlab.tensor(arr.copy()), torch.tensor(arr.copy())
    if param:
        return gnn.Parameter(g, requires_grad), torch.nn.Parameter(t, requires_grad)
    return g.requires_grad_(requires_grad), t.requires_grad_(requires_grad)


def _same(g, t, rtol=0.0):
    assert isinstance(g, gradlab.Tensor)
    np.testing.assert_allclose(g.array, t.detach().numpy(), rtol=rtol, atol=0.0)


def test_array_is_the_numpy_array_and_numpy_returns_it_without_copy():
    g = gradlab.ones(2, 3)
    assert type(g.array) is np.ndarray and g.array.shape == (2, 3) and g.array.dtype == np.float32
    assert g.numpy() is g.array
    p = gnn.Parameter(gradlab.ones(2))
    assert p.numpy(force=True) is p.array  # numpy() refuses requires_grad, .array never does
    with pytest.raises(RuntimeError, match="Can't call numpy"):
        p.numpy()


@pytest.mark.parametrize("param", [False, True])
def test_data_is_a_plain_tensor_sharing_memory_outside_the_graph(param):
    g, t = _pair([1.0, 2.0, 3.0], requires_grad=True, param=param)
    gd, td = g.data, t.data
    assert type(gd) is gradlab.Tensor and type(td) is torch.Tensor  # not a Parameter
    assert (gd.requires_grad, gd.is_leaf, gd.grad_fn) == (td.requires_grad, td.is_leaf,
                                                          td.grad_fn) == (False, True, None)
    assert gd.array is g.array and np.shares_memory(gd.numpy(), g.array)
    assert td.data_ptr() == t.data_ptr()


def test_data_of_a_non_leaf():
    g, t = _pair([1.0, -2.0, 3.0], requires_grad=True)
    gy, ty = g * 2, t * 2
    gd, td = gy.data, ty.data
    assert (gd.requires_grad, gd.is_leaf, gd.grad_fn) == (td.requires_grad, td.is_leaf,
                                                          td.grad_fn) == (False, True, None)
    assert gy.grad_fn is not None and gd.array is gy.array
    _same(gd, td)
    gd.mul_(10)
    td.mul_(10)
    _same(gy, ty)  # the non-leaf sees the change


IDIOMS = {
    "add_": lambda d, mod, g: d.add_(g, alpha=-0.1),
    "copy_": lambda d, mod, g: d.copy_(mod.full_like(d, 7.0)),
    "fill_": lambda d, mod, g: d.fill_(0),
    "zero_": lambda d, mod, g: d.zero_(),
    "clamp_": lambda d, mod, g: d.clamp_(-0.5, 0.5),
    "mul_": lambda d, mod, g: d.mul_(3),
    "index": lambda d, mod, g: d.__setitem__((0, slice(None)), 4.0),
}


@pytest.mark.parametrize("idiom", sorted(IDIOMS))
def test_in_place_through_data_writes_the_parameter(idiom):
    rng = np.random.default_rng(0)
    w, grad = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    gp, tp = _pair(w, param=True)
    gg, tg = _pair(grad)
    gv, tv = gp._version.v, tp._version
    IDIOMS[idiom](gp.data, gradlab, gg)
    IDIOMS[idiom](tp.data, torch, tg)
    _same(gp, tp, rtol=1e-6)  # add_ with alpha: one float32 rounding may differ
    assert gp.requires_grad and type(gp) is gnn.Parameter
    assert (gp._version.v - gv) == (tp._version - tv) == 0  # not tracked by autograd


def test_normal_through_data_and_nn_init_on_weight_data():
    gm = gnn.Linear(50, 40)
    gradlab.manual_seed(0)
    gm.weight.data.normal_(0, 0.02)
    assert 0.015 < gm.weight.array.std() < 0.025 and abs(gm.weight.array.mean()) < 0.005
    gnn.init.normal_(gm.weight.data, 0.0, 2.0)
    assert 1.5 < gm.weight.array.std() < 2.5
    gnn.init.constant_(gm.bias.data, 0.25)
    assert (gm.bias.array == 0.25).all() and gm.bias.requires_grad


def test_max_of_output_data():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(5, 4))
    gx, tx = _pair(x, requires_grad=True)
    gv, gi = gradlab.max((gx * 2).data, 1)
    tv, ti = torch.max((tx * 2).data, 1)
    _same(gv, tv)
    np.testing.assert_array_equal(gi.numpy(), ti.numpy())
    assert not gv.requires_grad and not tv.requires_grad


def test_set_data_rebinds_to_the_tensors_array():
    gp, tp = _pair([1.0, 2.0, 3.0], param=True)
    gn, tn = _pair([5.0, 6.0, 7.0, 8.0, 9.0])
    gp.data = gn
    tp.data = tn
    _same(gp, tp)
    assert gp.shape == tp.shape == (5,) and gp.requires_grad and tp.requires_grad
    assert type(gp) is gnn.Parameter and gp.array is gn.array  # storage shared, as torch
    gn[0] = -1.0
    tn[0] = -1.0
    _same(gp, tp)


def test_set_data_refuses_what_torch_refuses():
    gp, tp = _pair([1.0, 2.0], param=True)
    for bad in (np.zeros(2, np.float32), [1.0, 2.0]):
        with pytest.raises(TypeError, match="Variable data has to be a tensor") as tex:
            tp.data = bad
        with pytest.raises(TypeError, match=f"Tensor.data: .*{type(bad).__name__}") as gex:
            gp.data = bad
        assert tex.type is gex.type
    with pytest.raises(RuntimeError, match="must be floating point"):
        tp.data = torch.zeros(2, dtype=torch.int64)
    with pytest.raises(RuntimeError, match="must be floating point"):
        gp.data = gradlab.zeros(2, dtype=gradlab.int64)
    gp.array = np.array([3.0, 4.0], np.float32)  # NumPy arrays go to .array
    np.testing.assert_array_equal(gp.numpy(force=True), [3.0, 4.0])


def test_parameter_of_data_shares_memory():
    gp, tp = _pair([1.0, 2.0], param=True)
    gq, tq = gnn.Parameter(gp.data), torch.nn.Parameter(tp.data)
    assert gq.array is gp.array and tq.data_ptr() == tp.data_ptr()
    assert gq.requires_grad and tq.requires_grad


def test_in_place_through_data_after_forward_uses_the_new_values_in_backward():
    """torch does not raise: a graph that saved the parameter sees what was written through
    ``.data``; gradlab's graphs save the same arrays, so the gradients agree."""
    rng = np.random.default_rng(2)
    w, x = rng.normal(size=3), rng.normal(size=3)
    gw, tw = _pair(w, param=True)
    gx, tx = _pair(x, requires_grad=True)
    gout, tout = (gw * gx).sum(), (tw * tx).sum()
    gw.data.mul_(10)
    tw.data.mul_(10)
    gout.backward()
    tout.backward()
    _same(gx.grad, tx.grad)  # d/dx = the modified w
    _same(gw.grad, tw.grad)


def test_rebinding_data_after_forward_keeps_the_saved_values():
    """A departure (README): after ``w.data = other`` torch's backward uses other's values
    (the graph saved w itself); gradlab's graph saved w's old array, so it uses the old ones."""
    w, x = np.array([1.0, 2.0, 3.0]), np.ones(3)
    gw, tw = _pair(w, param=True)
    gx, tx = _pair(x, requires_grad=True)
    gout, tout = (gw * gx).sum(), (tw * tx).sum()
    gw.data = gradlab.full((3,), 5.0)
    tw.data = torch.full((3,), 5.0)
    gout.backward()
    tout.backward()
    np.testing.assert_array_equal(tx.grad.numpy(), [5.0, 5.0, 5.0])
    np.testing.assert_array_equal(gx.grad.numpy(), w)
    _same(gw, tw)


def test_sgd_step_through_data_matches_torch():
    rng = np.random.default_rng(3)
    w, x = rng.normal(size=(3, 4)), rng.normal(size=(5, 4))
    gw, tw = _pair(w, param=True)
    gx, tx = _pair(x)
    for _ in range(3):
        for p, xx in ((gw, gx), (tw, tx)):
            p.grad = None
            (xx @ p.T).pow(2).mean().backward()
            p.data.add_(p.grad, alpha=-0.1)
    np.testing.assert_allclose(gw.array, tw.detach().numpy(), rtol=1e-6, atol=1e-7)
