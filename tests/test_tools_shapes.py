"""gradlab.tools.shapes: the calculators against the output shapes of gradlab's layers and
torch's over option grids; where torch rejects a configuration, the calculator raises."""

import itertools

import pytest
import torch
import torch.nn.functional as TF

import gradlab
from gradlab import nn
from gradlab.nn import functional as F
from gradlab.tools.shapes import (
    conv_output_size,
    conv_transpose_output_size,
    pool_output_size,
    same_padding,
)


@pytest.fixture(autouse=True)
def _one_torch_thread():
    # thousands of tiny torch calls: a thread pool only adds contention on a busy machine
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _torch_shape(fn, size, *args, **kwargs):
    """Spatial output shape of a torch.nn.functional call, None where torch rejects it."""
    try:
        return tuple(fn(torch.zeros(1, 1, size, size), *args, **kwargs).shape[2:])
    except RuntimeError:
        return None


W1 = {k: torch.zeros(1, 1, k, k) for k in range(1, 5)}


def _ours(fn, *args, **kwargs):
    try:
        out = fn(*args, **kwargs)
    except ValueError:
        return None
    return (out, out)


CONV_GRID = list(itertools.product(range(1, 8), range(1, 5), range(1, 4), range(0, 3),
                                   range(1, 3)))


def test_conv_grid():
    checked = 0
    for size, k, s, p, d in CONV_GRID:
        expect = _torch_shape(TF.conv2d, size, W1[k], None, s, p, d)
        got = _ours(conv_output_size, size, k, s, p, d)
        assert got == expect, (size, k, s, p, d)
        if expect is not None:
            layer = nn.Conv2d(1, 1, k, s, p, d, bias=False)
            assert tuple(layer(gradlab.zeros(1, 1, size, size)).shape[2:]) == got
            checked += 1
    assert checked > 300


def test_conv_transpose_grid():
    checked = 0
    for size, k, s, p, op, d in itertools.product(range(1, 5), range(1, 4), range(1, 4),
                                                  range(0, 3), range(0, 3), range(1, 3)):
        expect = _torch_shape(TF.conv_transpose2d, size, W1[k], None, s, p, op, 1, d)
        got = _ours(conv_transpose_output_size, size, k, s, p, op, d)
        assert got == expect, (size, k, s, p, op, d)
        if expect is not None:
            layer = nn.ConvTranspose2d(1, 1, k, s, p, op, dilation=d, bias=False)
            assert tuple(layer(gradlab.zeros(1, 1, size, size)).shape[2:]) == got
            checked += 1
    assert checked > 200


@pytest.mark.parametrize("ceil_mode", [False, True])
def test_max_pool_grid(ceil_mode):
    checked = 0
    for size, k, s, p, d in itertools.product(range(1, 9), range(1, 5), range(1, 4),
                                              range(0, 3), range(1, 3)):
        expect = _torch_shape(TF.max_pool2d, size, k, s, p, d, ceil_mode=ceil_mode)
        got = _ours(pool_output_size, size, k, s, p, d, ceil_mode)
        assert got == expect, (size, k, s, p, d, ceil_mode)
        if expect is not None:
            layer = nn.MaxPool2d(k, s, p, d, ceil_mode=ceil_mode)
            assert tuple(layer(gradlab.zeros(1, 1, size, size)).shape[2:]) == got
            checked += 1
    assert checked > 200


@pytest.mark.parametrize("ceil_mode", [False, True])
def test_avg_pool_grid(ceil_mode):
    for size, k, s, p in itertools.product(range(1, 9), range(1, 5), range(1, 4), range(0, 3)):
        expect = _torch_shape(TF.avg_pool2d, size, k, s, p, ceil_mode=ceil_mode)
        got = _ours(pool_output_size, size, k, s, p, ceil_mode=ceil_mode)
        assert got == expect, (size, k, s, p, ceil_mode)
        if expect is not None:
            layer = nn.AvgPool2d(k, s, p, ceil_mode=ceil_mode)
            assert tuple(layer(gradlab.zeros(1, 1, size, size)).shape[2:]) == got


def test_ceil_mode_drops_a_window_starting_in_the_padding():
    # size 5, kernel 2, stride 2, padding 1: ceil((5 + 2 - 2) / 2) + 1 = 4 windows would start
    # at -1, 1, 3, 5; the last starts in the right padding (5 >= 5 + 1 - 1), so 3 remain
    assert pool_output_size(5, 2, 2, 1, ceil_mode=True) == 3
    assert pool_output_size(6, 3, 2, 0, ceil_mode=True) == 3  # window at 4 covers input 4, 5
    assert pool_output_size(6, 3, 2, 0, ceil_mode=False) == 2


def test_tuples_and_defaults():
    assert conv_output_size((32, 28), (5, 3), stride=(1, 2), padding=(2, 1)) == (32, 14)
    layer = nn.Conv2d(1, 1, (5, 3), stride=(1, 2), padding=(2, 1))
    assert tuple(layer(gradlab.zeros(1, 1, 32, 28)).shape[2:]) == (32, 14)
    assert pool_output_size(224, 2) == 112  # stride defaults to the kernel size
    assert conv_output_size(224, 11, 4) == 54  # source 003: (224 - 11) / 4 + 1, floored
    assert conv_transpose_output_size(7, 4, 2, 1) == 14  # source 003: (7 - 1) 2 - 2 + 4
    assert conv_output_size(9, 3, padding="valid") == 7
    assert conv_output_size((9, 5), 4, padding="same") == (9, 5)


@pytest.mark.parametrize("k,d", [(1, 1), (3, 1), (4, 1), (5, 2), (2, 3), (6, 1)])
def test_same_padding_keeps_size_at_stride_1(k, d):
    pad = same_padding(k, dilation=d)
    x = gradlab.zeros(1, 1, 9, 9)
    if isinstance(pad, tuple):  # odd total: (left, right) with the extra pixel on the right
        left, right = pad
        x = F.pad(x, (left, right, left, right))
        pad = 0
        assert right == left + 1
    out = nn.Conv2d(1, 1, k, padding=pad, dilation=d)(x)
    assert tuple(out.shape[2:]) == (9, 9)
    # torch's padding='same' pads the same way
    t = torch.nn.Conv2d(1, 1, k, padding="same", dilation=d)
    assert tuple(t(torch.zeros(1, 1, 9, 9)).shape[2:]) == (9, 9)


@pytest.mark.parametrize("size,k,s", [(7, 3, 2), (8, 3, 2), (224, 7, 2), (10, 1, 3), (5, 4, 4)])
def test_same_padding_strided_gives_ceil(size, k, s):
    pad = same_padding(k, stride=s, size=size)
    left, right = pad if isinstance(pad, tuple) else (pad, pad)
    x = F.pad(gradlab.zeros(1, 1, size, size), (left, right, left, right))
    out = nn.Conv2d(1, 1, k, stride=s)(x)
    assert out.shape[2] == -(-size // s)


def test_errors():
    with pytest.raises(ValueError, match=r"conv_output_size: kernel_size 5 \(dilation 1: "
                       r"effective 5\) is larger than the padded input 3 \+ 2 x 0 = 3"):
        conv_output_size(3, 5)
    with pytest.raises(ValueError, match="conv_output_size: stride must be >= 1, got 0"):
        conv_output_size(8, 3, stride=0)
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        conv_output_size(8, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="conv_output_size: padding must be an int, a tuple, "
                       "'same' or 'valid', got 'full'"):
        conv_output_size(8, 3, padding="full")
    with pytest.raises(ValueError, match=r"per-dimension arguments disagree in length: "
                       r"\{'size': 2, 'kernel_size': 3\}"):
        conv_output_size((8, 8), (3, 3, 3))
    with pytest.raises(TypeError, match="conv_output_size: kernel_size must be an int or a "
                       "tuple of ints, got 2.5"):
        conv_output_size(8, 2.5)
    with pytest.raises(ValueError, match=r"pool_output_size: padding \(2\) must be between 0 "
                       r"and half the kernel size \(3 // 2 = 1\)"):
        pool_output_size(8, 3, 1, 2)
    with pytest.raises(ValueError, match=r"conv_transpose_output_size: output_padding \(2\) "
                       r"must be smaller than either stride \(2\) or dilation \(1\)"):
        conv_transpose_output_size(4, 3, 2, output_padding=2)
    with pytest.raises(ValueError, match="conv_transpose_output_size: output size -1 is too "
                       "small"):
        conv_transpose_output_size(1, 1, 1, padding=1)
    with pytest.raises(ValueError, match="conv_output_size: padding must be >= 0, got -1"):
        conv_output_size(8, 3, padding=-1)
    with pytest.raises(ValueError, match="conv_transpose_output_size: padding and "
                       "output_padding must be >= 0, got 0 and -1"):
        conv_transpose_output_size(4, 3, 2, output_padding=-1)
    with pytest.raises(ValueError, match="same_padding: size must be >= 1, got 0"):
        same_padding(3, stride=2, size=0)
    with pytest.raises(ValueError, match="same_padding: with stride 2 the padding depends on "
                       "the input size; pass size="):
        same_padding(3, stride=2)
