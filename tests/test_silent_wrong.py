"""Calls on which gradlab used to return a wrong value silently where torch raises: each row is
run in torch (which must raise) and in gradlab (which must raise the same exception type from
its own code, with a message naming the op, the argument, the value and what was expected)."""

import re

import pytest
import torch

import gradlab


def _set_rg_nonleaf(lib, value):
    a = lib.ones(3, requires_grad=True)
    y = a * 2
    y.requires_grad = value


def _x4(lib):
    return lib.ones(1, 2, 5, 5)


def _w4(lib):
    return lib.ones(2, 2, 3, 3)


def _s(lib):
    return lib.arange(12.0).reshape(3, 4)


def _long(lib, *shape):
    return lib.ones(*shape, dtype=lib.int64)


def _set_grad(lib, make):
    x = lib.ones(3, requires_grad=True)
    x.grad = make(lib)


# (id, call(lib), exception type, regex on gradlab's message)
CASES = [
    ("requires_grad=False on non-leaf", lambda lib: _set_rg_nonleaf(lib, False), RuntimeError,
     r"requires_grad: you can only change requires_grad flags of leaf variables.*"
     r"requires_grad=False on a non-leaf made by MulBackward0"),
    ("requires_grad=True on non-leaf", lambda lib: _set_rg_nonleaf(lib, True), RuntimeError,
     r"requires_grad: you can only change requires_grad flags of leaf variables.*"
     r"requires_grad=True"),
    ("requires_grad_(False) on non-leaf",
     lambda lib: (lib.ones(3, requires_grad=True) * 2).requires_grad_(False), RuntimeError,
     r"you can only change requires_grad flags of leaf variables"),
    ("requires_grad=True on int64", lambda lib: setattr(lib.ones(2, dtype=lib.int64),
                                                        "requires_grad", True),
     RuntimeError, r"only Tensors of floating point.*can require gradients.*int64"),
    ("grad = str", lambda lib: _set_grad(lib, lambda m: "abc"), TypeError,
     r"^grad: assigned grad expected to be a Tensor or None but got grad of type str$"),
    ("grad = ndarray", lambda lib: _set_grad(lib, lambda m: __import__("numpy").ones(3)),
     TypeError, r"grad: assigned grad expected to be a Tensor or None but got grad of type "
                r"numpy\.ndarray"),
    ("grad of other size", lambda lib: _set_grad(lib, lambda m: m.ones(2)), RuntimeError,
     r"grad: attempting to assign a gradient of size '\[2\]' to a tensor of size '\[3\]'"),
    ("grad of other dtype", lambda lib: _set_grad(lib, lambda m: m.ones(3, dtype=m.float64)),
     RuntimeError, r"grad: attempting to assign a gradient with dtype '.*float64' to a tensor "
                   r"with grad_dtype '.*float32'"),
    ("randperm(-1)", lambda lib: lib.randperm(-1), RuntimeError,
     r"randperm: Trying to create tensor with negative dimension -1: \[-1\]"),
    ("zeros(-1)", lambda lib: lib.zeros(-1), RuntimeError,
     r"zeros: Trying to create tensor with negative dimension -1: \[-1\]"),
    ("empty(2, -3)", lambda lib: lib.empty(2, -3), RuntimeError,
     r"empty: Trying to create tensor with negative dimension -3: \[2, -3\]"),
    ("ones((2, -1))", lambda lib: lib.ones((2, -1)), RuntimeError,
     r"ones: Trying to create tensor with negative dimension -1: \[2, -1\]"),
    ("rand(-1)", lambda lib: lib.rand(-1), RuntimeError,
     r"rand: Trying to create tensor with negative dimension -1: \[-1\]"),
    ("randn(-2, 3)", lambda lib: lib.randn(-2, 3), RuntimeError,
     r"randn: Trying to create tensor with negative dimension -2: \[-2, 3\]"),
    ("full((-1,), 1.0)", lambda lib: lib.full((-1,), 1.0), RuntimeError,
     r"full: Trying to create tensor with negative dimension -1"),
    ("randint(0, 5, (-1,))", lambda lib: lib.randint(0, 5, (-1,)), RuntimeError,
     r"randint: Trying to create tensor with negative dimension -1"),
    ("eye(-1)", lambda lib: lib.eye(-1), RuntimeError,
     r"eye: n must be greater or equal to 0, got -1"),
    ("new_zeros(-1)", lambda lib: lib.ones(2).new_zeros(-1), RuntimeError,
     r"new_zeros: Trying to create tensor with negative dimension -1"),
    ("Conv1d(dilation=0)", lambda lib: lib.nn.Conv1d(2, 2, 3, dilation=0)(lib.ones(1, 2, 5)),
     RuntimeError, r"conv1d: dilation should be greater than zero, but got dilation=\[0\]"),
    ("Conv2d(dilation=0)", lambda lib: lib.nn.Conv2d(2, 2, 3, dilation=0)(_x4(lib)),
     RuntimeError, r"conv2d: dilation should be greater than zero, but got dilation=\[0, 0\]"),
    ("Conv2d(dilation=-1)", lambda lib: lib.nn.Conv2d(2, 2, 3, dilation=-1)(_x4(lib)),
     RuntimeError, r"conv2d: dilation should be greater than zero, but got dilation=\[-1, -1\]"),
    ("Conv2d(stride=0)", lambda lib: lib.nn.Conv2d(2, 2, 3, stride=0)(_x4(lib)),
     RuntimeError, r"conv2d: non-positive stride is not supported, got stride=\[0, 0\]"),
    ("ConvTranspose2d(dilation=0)",
     lambda lib: lib.nn.ConvTranspose2d(2, 2, 3, dilation=0)(_x4(lib)), RuntimeError,
     r"conv_transpose2d: dilation should be greater than zero, but got dilation=\[0, 0\]"),
    ("ConvTranspose2d(padding=-1)",
     lambda lib: lib.nn.ConvTranspose2d(2, 2, 3, padding=-1)(_x4(lib)), RuntimeError,
     r"conv_transpose2d: negative padding is not supported, got padding=\[-1, -1\]"),
    ("ConvTranspose2d(stride=0)",
     lambda lib: lib.nn.ConvTranspose2d(2, 2, 3, stride=0)(_x4(lib)), RuntimeError,
     r"conv_transpose2d: non-positive stride is not supported, got stride=\[0, 0\]"),
    ("MaxPool2d(dilation=0)", lambda lib: lib.nn.MaxPool2d(2, dilation=0)(_x4(lib)),
     RuntimeError, r"max_pool2d: dilation should be greater than zero, but got dilation=\(0, 0\)"),
    ("F.conv2d(dilation=0)",
     lambda lib: lib.nn.functional.conv2d(_x4(lib), _w4(lib), dilation=0), RuntimeError,
     r"conv2d: dilation should be greater than zero"),
    ("F.conv2d(stride=0)",
     lambda lib: lib.nn.functional.conv2d(_x4(lib), _w4(lib), stride=0), RuntimeError,
     r"conv2d: non-positive stride is not supported, got stride=\[0, 0\]"),
    ("F.conv1d(dilation=0)",
     lambda lib: lib.nn.functional.conv1d(lib.ones(1, 2, 5), lib.ones(2, 2, 3), dilation=0),
     RuntimeError, r"conv1d: dilation should be greater than zero"),
    ("F.max_pool2d(dilation=0)",
     lambda lib: lib.nn.functional.max_pool2d(_x4(lib), 2, dilation=0), RuntimeError,
     r"max_pool2d: dilation should be greater than zero"),
    ("F.conv_transpose2d(dilation=0)",
     lambda lib: lib.nn.functional.conv_transpose2d(_x4(lib), _w4(lib), dilation=0),
     RuntimeError, r"conv_transpose2d: dilation should be greater than zero"),
    ("F.conv_transpose2d(padding=-1)",
     lambda lib: lib.nn.functional.conv_transpose2d(_x4(lib), _w4(lib), padding=-1),
     RuntimeError, r"conv_transpose2d: negative padding is not supported"),
    ("index_select index -1", lambda lib: lib.index_select(_s(lib), 0, lib.tensor([-1])),
     IndexError, r"index_select: index out of range in self: index -1 is out of bounds for "
                 r"dimension 0 with size 3"),
    ("index_select index 3", lambda lib: _s(lib).index_select(0, lib.tensor([0, 3])),
     IndexError, r"index_select: index out of range in self: index 3 .*dimension 0 with size 3"),
    ("gather index -1", lambda lib: lib.gather(_s(lib), 1, lib.tensor([[-1]])), RuntimeError,
     r"gather: index -1 is out of bounds for dimension 1 with size 4"),
    ("gather index 4", lambda lib: _s(lib).gather(1, lib.tensor([[0, 4]])), RuntimeError,
     r"gather: index 4 is out of bounds for dimension 1 with size 4"),
    ("scatter_add index -1 dim 1",
     lambda lib: lib.zeros(3, 4).scatter_add(1, lib.tensor([[-1]]), lib.ones(1, 1)),
     RuntimeError, r"scatter_add: index -1 is out of bounds for dimension 1 with size 4"),
    ("scatter_add index -1 dim 0",
     lambda lib: lib.scatter_add(lib.zeros(3, 4), 0, lib.tensor([[-1]]), lib.ones(1, 1)),
     RuntimeError, r"scatter_add: index -1 is out of bounds for dimension 0 with size 3"),
    ("BatchNorm1d on int64", lambda lib: lib.nn.BatchNorm1d(3)(_long(lib, 4, 3)),
     NotImplementedError, r'batch_norm: "batch_norm" not implemented for .*int64 input'),
    ("BatchNorm2d on int64", lambda lib: lib.nn.BatchNorm2d(3)(_long(lib, 2, 3, 2, 2)),
     NotImplementedError, r'batch_norm: "batch_norm" not implemented for .*int64'),
    ("BatchNorm1d eval on int64", lambda lib: lib.nn.BatchNorm1d(3).eval()(_long(lib, 4, 3)),
     NotImplementedError, r'batch_norm: "batch_norm" not implemented for .*int64'),
    ("LayerNorm on int64", lambda lib: lib.nn.LayerNorm(3)(_long(lib, 4, 3)), RuntimeError,
     r"layer_norm: mixed dtype \(CPU\): all inputs must share same datatype \(input is "
     r".*int64, weight/bias .*float32"),
    ("GroupNorm on int64", lambda lib: lib.nn.GroupNorm(1, 3)(_long(lib, 4, 3)), RuntimeError,
     r"group_norm: mixed dtype \(CPU\): all inputs must share same datatype"),
    ("F.batch_norm on int64", lambda lib: lib.nn.functional.batch_norm(
        _long(lib, 4, 3), lib.zeros(3), lib.ones(3)),
     NotImplementedError, r'batch_norm: "batch_norm" not implemented for .*int64'),
    ("F.layer_norm on int64", lambda lib: lib.nn.functional.layer_norm(_long(lib, 4, 3), (3,)),
     NotImplementedError, r'layer_norm: "LayerNormKernelImpl" not implemented for .*int64'),
    ("F.group_norm on int64", lambda lib: lib.nn.functional.group_norm(_long(lib, 4, 3), 1),
     NotImplementedError, r'group_norm: "GroupNormKernelImpl" not implemented for .*int64'),
]


@pytest.mark.parametrize("call,exc,pattern", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_raises_like_torch(call, exc, pattern):
    with pytest.raises(exc):
        call(torch)
    with pytest.raises(exc) as info:
        call(gradlab)
    assert re.search(pattern, str(info.value)), str(info.value)


def test_grad_setter_accepts_valid_and_none():
    x = gradlab.ones(3, requires_grad=True)
    x.grad = gradlab.full((3,), 2.0)
    assert x.grad.tolist() == [2.0, 2.0, 2.0]
    x.grad = None
    assert x.grad is None
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0, 3.0]


def test_requires_grad_setter_on_leaf():
    x = gradlab.ones(2)
    x.requires_grad = True
    assert x.requires_grad and x.is_leaf
    x.requires_grad = False
    assert not x.requires_grad


def test_batchnorm_on_int64_leaves_running_stats_alone():
    bn = gradlab.nn.BatchNorm1d(3)
    with pytest.raises(NotImplementedError):
        bn(gradlab.ones(4, 3, dtype=gradlab.int64))
    assert bn.running_mean.tolist() == [0.0, 0.0, 0.0]
    assert bn.running_var.tolist() == [1.0, 1.0, 1.0]
    assert bn.num_batches_tracked.item() == 0
