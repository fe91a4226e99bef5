"""Convolutions (``ops/conv.py``): argument checks and padding, then one op call."""

from __future__ import annotations

from ...ops.conv import Conv2d, ConvTranspose2d
from ...tensor import Tensor, tensor_arg

__all__ = ["conv1d", "conv2d", "conv_transpose2d"]


def _check_stride_dilation(stride: tuple, dilation: tuple, op: str) -> None:
    """torch's checks: every stride and dilation at least 1 (0 would divide by zero or give
    a wrong result silently)."""
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"{op}: dilation should be greater than zero, but got "
                           f"dilation={list(dilation)}")
    if any(s <= 0 for s in stride):
        raise RuntimeError(f"{op}: non-positive stride is not supported, got "
                           f"stride={list(stride)}")


def _expand(value, name: str, nd: int, op: str) -> tuple:
    """``stride``/``padding``/``dilation``/``output_padding`` as ``nd`` ints: one int or a
    sequence of 1 or ``nd`` of them (torch's RuntimeError otherwise)."""
    vals = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if len(vals) not in (1, nd) or not all(isinstance(v, int) and not isinstance(v, bool)
                                           for v in vals):
        raise RuntimeError(f"{op}: expected {name} to be a single integer value or a list of "
                           f"{nd} values to match the convolution dimensions, but got "
                           f"{name}={list(vals) if isinstance(value, (tuple, list)) else value}")
    return vals * nd if len(vals) == 1 else vals


def _check_operands(input, weight, bias, nd: int, op: str) -> None:
    """Types, ranks and dtypes of a convolution's operands (torch's checks, with shapes)."""
    tensor_arg(input, op)
    tensor_arg(weight, op, "weight")
    if input.ndim not in (nd + 1, nd + 2) or weight.ndim != nd + 2:
        raise RuntimeError(f"{op}: expected a {nd + 1}-D (unbatched) or {nd + 2}-D (batched) "
                           f"input and a {nd + 2}-D weight, got input of shape "
                           f"{list(input.shape)} and weight of shape {list(weight.shape)}")
    if any(k <= 0 for k in weight.shape[2:]):
        raise RuntimeError(f"{op}: kernel size should be greater than zero, but got "
                           f"kernel_size={list(weight.shape[2:])} (weight of shape "
                           f"{list(weight.shape)})")
    # two floating dtypes are computed in the wider one; torch wants one dtype
    for name, t in (("weight", weight), ("bias", bias)):
        if t is None:
            continue
        tensor_arg(t, op, name)
        if t.array.dtype != input.array.dtype and (t.array.dtype.kind, input.array.dtype.kind) \
                != ("f", "f"):
            raise RuntimeError(f"{op}: expected input and {name} to have the same dtype, but got "
                               f"input of dtype {input.array.dtype} and {name} of dtype "
                               f"{t.array.dtype}")


def _check_groups(groups, op: str) -> None:
    if not isinstance(groups, int) or isinstance(groups, bool) or groups < 1:
        raise RuntimeError(f"{op}: non-positive groups is not supported, got groups={groups}")


def _check_bias(bias, o: int, weight, op: str, transposed: bool = False) -> None:
    if bias is not None and tuple(bias.shape) != (o,):
        raise RuntimeError(f"{op}: Given {'transposed=1, ' if transposed else ''}weight of size "
                           f"{list(weight.shape)}, expected bias to be 1-dimensional with {o} "
                           f"elements, but got bias of size {list(bias.shape)} instead")


def _conv_args(input, weight, bias, stride, padding, dilation, groups, nd: int, op: str):
    """Check a convolution's arguments as torch does and return ``(stride, pad, dilation)``:
    ``nd`` ints, ``nd`` (before, after) pairs of padding, ``nd`` ints. ``input`` is batched."""
    o, cg, kernel = weight.shape[0], weight.shape[1], tuple(weight.shape[2:])
    _check_groups(groups, op)
    if o < groups or o % groups:
        raise RuntimeError(f"{op}: Given groups={groups}, expected weight to be divisible by "
                           f"{groups} at dimension 0, but got weight of size "
                           f"{list(weight.shape)} instead")
    if input.shape[1] != cg * groups:
        raise RuntimeError(f"{op}: Given groups={groups}, weight of size {list(weight.shape)}"
                           f", expected input{list(input.shape)} to have {cg * groups} "
                           f"channels, but got {input.shape[1]} channels instead")
    stride = _expand(stride, "stride", nd, op)
    dilation = _expand(dilation, "dilation", nd, op)
    _check_stride_dilation(stride, dilation, op)
    pad = _padding_pairs(padding, kernel, stride, dilation, nd, op)
    padded = [n + a + b for n, (a, b) in zip(input.shape[2:], pad)]
    eff = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    if any(n < e for n, e in zip(padded, eff)):
        raise RuntimeError(f"{op}: Calculated padded input size per channel: "
                           f"({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, eff))}). Kernel size can't be greater than "
                           "actual input size")
    _check_bias(bias, o, weight, op)
    return stride, pad, dilation


def _padding_pairs(padding, kernel: tuple, stride: tuple, dilation: tuple, nd: int,
                   op: str) -> tuple:
    """torch's ``padding`` (an int, ``nd`` ints, 'valid' or 'same') as ``nd`` (before, after)
    pairs."""
    if isinstance(padding, str):
        if padding == "valid":
            pad = ((0, 0),) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError(f"{op}: padding='same' is not supported for strided "
                                   f"convolutions, got stride={list(stride)}")
            tot = [d * (k - 1) for k, d in zip(kernel, dilation)]
            pad = tuple((t // 2, t - t // 2) for t in tot)
        else:
            raise RuntimeError(f"{op}: Invalid padding string: '{padding}', should be one of "
                               "'valid', 'same'")
    else:
        p = _expand(padding, "padding", nd, op)
        if any(v < 0 for v in p):
            raise RuntimeError(f"{op}: negative padding is not supported, got "
                               f"padding={list(p)}")
        pad = tuple((v, v) for v in p)
    return pad


def _conv_padding(padding, kernel: tuple, stride: tuple, dilation: tuple, op: str) -> tuple:
    """A 2-D convolution's ``padding`` as (top, bottom, left, right)."""
    (t, b), (left, right) = _padding_pairs(padding, tuple(kernel), _expand(stride, "stride", 2, op),
                                           _expand(dilation, "dilation", 2, op), 2, op)
    return (t, b, left, right)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """2-D cross-correlation by im2col + GEMM (``gradlab/ops/conv.py``).

    out[n, o] = b[o] + sum_c w[o, c] ⋆ x[n, c] over the channels of o's group.

    Shape: input (N, C, H, W) or (C, H, W); weight (O, C / groups, kh, kw); bias (O,);
    output (N, O, Ho, Wo), Ho = floor((H + 2 p - d (kh - 1) - 1) / s) + 1.
    """
    _check_operands(input, weight, bias, 2, "conv2d")
    unbatched = input.ndim == 3
    if unbatched:
        input = input.unsqueeze(0)
    stride, pad, dilation = _conv_args(input, weight, bias, stride, padding, dilation, groups,
                                       2, "conv2d")
    out = Conv2d.apply(input, weight, bias, stride, pad[0] + pad[1], dilation, groups)
    return out.squeeze(0) if unbatched else out


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """1-D cross-correlation, computed as a 2-D one of height 1.

    Shape: input (N, C, L) or (C, L); weight (O, C / groups, k); output (N, O, Lo).
    """
    _check_operands(input, weight, bias, 1, "conv1d")
    unbatched = input.ndim == 2
    if unbatched:
        input = input.unsqueeze(0)
    (s,), (pad,), (d,) = _conv_args(input, weight, bias, stride, padding, dilation, groups, 1,
                                    "conv1d")
    out = Conv2d.apply(input.unsqueeze(2), weight.unsqueeze(2), bias, (1, s), (0, 0) + pad,
                       (1, d), groups).squeeze(2)
    return out.squeeze(0) if unbatched else out


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """Transposed convolution ("deconvolution", source 003): the adjoint of conv2d's input map.

    Shape: input (N, Cin, H, W); weight (Cin, Cout / groups, kh, kw); output (N, Cout, Ho, Wo)
    with Ho = (H - 1) s - 2 p + d (kh - 1) + output_padding + 1.
    """
    op = "conv_transpose2d"
    _check_operands(input, weight, bias, 2, op)
    unbatched = input.ndim == 3
    if unbatched:
        input = input.unsqueeze(0)
    _check_groups(groups, op)
    if weight.shape[0] < groups or weight.shape[0] % groups:
        raise RuntimeError(f"{op}: Given groups={groups}, expected weight to be divisible by "
                           f"{groups} at dimension 0, but got weight of size "
                           f"{list(weight.shape)} instead")
    if input.shape[1] != weight.shape[0]:
        raise RuntimeError(f"{op}: Given transposed=1, weight of size {list(weight.shape)}, "
                           f"expected input{list(input.shape)} to have {weight.shape[0]} "
                           f"channels, but got {input.shape[1]} channels instead")
    stride, padding = _expand(stride, "stride", 2, op), _expand(padding, "padding", 2, op)
    output_padding = _expand(output_padding, "output_padding", 2, op)
    dilation = _expand(dilation, "dilation", 2, op)
    _check_stride_dilation(stride, dilation, op)
    if padding[0] < 0 or padding[1] < 0:
        raise RuntimeError(f"{op}: negative padding is not supported, got "
                           f"padding={list(padding)}")
    for op_, s, d in zip(output_padding, stride, dilation):
        if op_ >= s and op_ >= d:
            raise RuntimeError(f"{op}: output padding must be smaller than either "
                               f"stride or dilation, but got output_padding={output_padding}, "
                               f"stride={stride}, dilation={dilation}")
    _check_bias(bias, weight.shape[1] * groups, weight, op, transposed=True)
    size = [(n - 1) * s - 2 * p + d * (k - 1) + q + 1 for n, s, p, d, k, q in zip(
        input.shape[2:], stride, padding, dilation, weight.shape[2:], output_padding)]
    if any(v <= 0 for v in size):
        raise RuntimeError(f"{op}: Given input size per channel: "
                           f"({' x '.join(map(str, input.shape[2:]))}). Calculated output size "
                           f"per channel: ({' x '.join(map(str, size))}). Output size is too "
                           "small")
    out = ConvTranspose2d.apply(input, weight, bias, stride, padding, output_padding, dilation,
                                groups)
    return out.squeeze(0) if unbatched else out
