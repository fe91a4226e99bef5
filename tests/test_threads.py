"""gradlab._threads splits large copies and elementwise passes over the threads: the parts
cover the loop, run on two threads, raise their errors, and give results bit-identical to one
call (convolution and batch normalization, forward and backward, checked op by op)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import gradlab
from gradlab import _threads
from gradlab.ops import conv as conv_ops
from gradlab.ops import norm as norm_ops


def test_split_covers_the_loop_on_two_threads(monkeypatch):
    monkeypatch.setattr(_threads, "workers", lambda: 2)
    seen = []
    lock = threading.Lock()

    def part(lo, hi):
        with lock:
            seen.append((lo, hi, threading.get_ident()))

    _threads.split(part, 7, _threads.MIN_BYTES)
    assert sorted((lo, hi) for lo, hi, _ in seen) == [(0, 3), (3, 7)]
    assert len({t for *_, t in seen}) == 2
    seen.clear()
    _threads.split(part, 7, _threads.MIN_BYTES - 1)  # small: one call on this thread
    assert [(lo, hi) for lo, hi, _ in seen] == [(0, 7)]
    assert seen[0][2] == threading.get_ident()


def test_split_raises_a_part_error(monkeypatch):
    monkeypatch.setattr(_threads, "workers", lambda: 2)

    def part(lo, hi):
        if lo > 0:
            raise ValueError(f"part {lo}:{hi}")

    with pytest.raises(ValueError, match="part 2:4"):
        _threads.split(part, 4, 1 << 30)


def test_a_part_does_not_split_again(monkeypatch):
    monkeypatch.setattr(_threads, "workers", lambda: 2)
    inner = []

    def part(lo, hi):
        _threads.split(lambda a, b: inner.append((a, b)), 10, 1 << 30)

    _threads.split(part, 2, 1 << 30)
    assert sorted(inner) == [(0, 10), (0, 10)]


def test_copyto_along_an_axis(monkeypatch):
    monkeypatch.setattr(_threads, "workers", lambda: 2)
    src = np.random.default_rng(0).standard_normal((3, 5, 40, 500)).astype(np.float32)
    for axis in range(4):
        dst = np.zeros_like(src)
        _threads.copyto(dst, src, axis=axis)
        assert np.array_equal(dst, src)


def _conv_case(seed, c_in, stride):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((8, c_in, 20, 20)).astype(np.float32)
    w = rng.standard_normal((6, c_in, 3, 3)).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    return x, w, b, (stride, stride)


def _conv_all(x, w, b, stride):
    xt = gradlab.tensor(x, requires_grad=True)
    wt = gradlab.tensor(w, requires_grad=True)
    bt = gradlab.tensor(b, requires_grad=True)
    y = gradlab.nn.functional.conv2d(xt, wt, bt, stride=stride, padding=1)
    (y * y).sum().backward()
    return [y.detach().numpy(), xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()]


def _bn_all(x):
    bn = gradlab.nn.BatchNorm2d(x.shape[1])
    with gradlab.no_grad():
        bn.weight.copy_(gradlab.tensor(np.linspace(0.5, 1.5, x.shape[1], dtype=np.float32)))
        bn.bias.copy_(gradlab.tensor(np.linspace(-1, 1, x.shape[1], dtype=np.float32)))
    xt = gradlab.tensor(x, requires_grad=True)
    y = bn(xt)
    (y * y * y).sum().backward()
    return [y.detach().numpy(), xt.grad.numpy(), bn.weight.grad.numpy(), bn.bias.grad.numpy(),
            bn.running_mean.numpy(), bn.running_var.numpy()]


@pytest.mark.parametrize("c_in, stride", [(1, 1), (4, 1), (4, 2)])
def test_conv_is_bit_identical_on_two_threads(monkeypatch, c_in, stride):
    case = _conv_case(c_in + stride, c_in, stride)
    monkeypatch.setattr(_threads, "workers", lambda: 1)
    one = _conv_all(*case)
    monkeypatch.setattr(_threads, "workers", lambda: 2)
    calls = []
    real = _threads.split
    monkeypatch.setattr(_threads, "split", lambda fn, n, nbytes: (calls.append(n),
                                                                   real(fn, n, nbytes)))
    monkeypatch.setattr(_threads, "MIN_BYTES", 1)  # split even these small arrays
    two = _conv_all(*case)
    assert len(calls) >= 4  # the gathers and layout copies went through split
    for a, b in zip(one, two):
        assert a.dtype == b.dtype and np.array_equal(a, b)


def test_batchnorm_is_bit_identical_on_two_threads(monkeypatch):
    x = np.random.default_rng(3).standard_normal((16, 6, 32, 32)).astype(np.float32) * 3 + 1
    monkeypatch.setattr(_threads, "workers", lambda: 1)
    one = _bn_all(x)
    monkeypatch.setattr(_threads, "workers", lambda: 2)
    parts = []
    real = norm_ops._standardize
    monkeypatch.setattr(norm_ops, "_standardize", lambda x, *a: (parts.append(x.shape),
                                                                 real(x, *a))[1])
    two = _bn_all(x)
    assert sorted(parts) == [(16, 3, 32, 32), (16, 3, 32, 32)]  # two parts of 3 channels
    for a, b in zip(one, two):
        assert a.dtype == b.dtype and np.array_equal(a, b)


def test_the_split_conv_pieces_match_the_reference_copies(monkeypatch):
    monkeypatch.setattr(_threads, "workers", lambda: 2)
    monkeypatch.setattr(_threads, "MIN_BYTES", 1)
    x, w, _, _ = _conv_case(7, 3, 1)
    geo = conv_ops.geometry(x.shape, w.shape, (1, 1), (1, 1, 1, 1), (1, 1), 1)
    xbuf = conv_ops.input_grid(x, geo)
    grid = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1))).transpose(1, 0, 2, 3)
    assert np.array_equal(xbuf[:, :geo.grid].reshape(grid.shape), grid)
    cols = conv_ops._windows(xbuf, geo).reshape(3, 3, 3, 8, 20, 20)
    for i in range(3):
        for j in range(3):
            assert np.array_equal(cols[:, i, j], grid[:, :, i:i + 20, j:j + 20])


def _pool_relu_all(x):
    xt = gradlab.tensor(x, requires_grad=True)
    y = gradlab.nn.functional.max_pool2d(gradlab.relu(xt), 2)
    (y * y).sum().backward()
    return [y.detach().numpy(), xt.grad.numpy()]


def test_relu_and_max_pool_are_bit_identical_on_two_threads(monkeypatch):
    x = np.random.default_rng(5).standard_normal((6, 3, 10, 10)).astype(np.float32)
    x[0, 0, 0, :2] = np.nan  # a NaN wins its tile on both paths
    x[1, 1, 2, 2] = x[1, 1, 2, 3]  # a tie goes to the first tap on both paths
    monkeypatch.setattr(_threads, "workers", lambda: 1)
    one = _pool_relu_all(x)
    monkeypatch.setattr(_threads, "workers", lambda: 2)
    monkeypatch.setattr(_threads, "MIN_BYTES", 1)
    sizes = []
    real = _threads.split
    monkeypatch.setattr(_threads, "split", lambda fn, n, nbytes: (sizes.append(n),
                                                                  real(fn, n, nbytes)))
    two = _pool_relu_all(x)
    assert sizes.count(6) >= 4  # relu and pool, forward and backward, split over the images
    for a, b in zip(one, two):
        assert a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)


def test_add_splits_large_equal_shapes_and_falls_back_otherwise(monkeypatch):
    monkeypatch.setattr(_threads, "workers", lambda: 2)
    rng = np.random.default_rng(9)
    a = rng.standard_normal((300, 300)).astype(np.float32)  # 360 KB: split
    b = rng.standard_normal((300, 300)).astype(np.float32)
    parts = []
    real = _threads.split
    monkeypatch.setattr(_threads, "split", lambda fn, n, nbytes: (parts.append(n),
                                                                  real(fn, n, nbytes)))
    out = _threads.add(a, b)
    assert parts == [300] and np.array_equal(out, a + b)
    for x, y in [(a, b[0]), (a, b.astype(np.float64)), (a, 2.0), (a[:10], b[:10])]:
        r = _threads.add(x, y)  # broadcasting, mixed dtypes, scalars, small: NumPy's own add
        assert r.dtype == (x + y).dtype and np.array_equal(r, x + y)
    assert parts == [300]
