"""Convolutions (``ops/conv.py``): argument checks and padding, then one op call."""

from __future__ import annotations

from ...ops.conv import Conv2d, ConvTranspose2d
from ...ops.pool import to_pair
from ...tensor import Tensor

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


def _conv_padding(padding, kernel: tuple, stride: tuple, dilation: tuple, op: str) -> tuple:
    """PyTorch's padding argument as (top, bottom, left, right)."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding != "same":
            raise ValueError(f"{op}: invalid padding string '{padding}', should be one of "
                             "'valid', 'same'")
        if any(s != 1 for s in stride):
            raise ValueError(f"{op}: padding='same' is not supported for strided convolutions")
        tot = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return (tot[0] // 2, tot[0] - tot[0] // 2, tot[1] // 2, tot[1] - tot[1] // 2)
    ph, pw = to_pair(padding, "padding")
    if ph < 0 or pw < 0:
        raise RuntimeError(f"{op}: negative padding is not supported, got {padding}")
    return (ph, ph, pw, pw)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """2-D cross-correlation by im2col + GEMM (``gradlab/ops/conv.py``).

    out[n, o] = b[o] + sum_c w[o, c] ⋆ x[n, c] over the channels of o's group.

    Shape: input (N, C, H, W) or (C, H, W); weight (O, C / groups, kh, kw); bias (O,);
    output (N, O, Ho, Wo), Ho = floor((H + 2 p - d (kh - 1) - 1) / s) + 1.
    """
    unbatched = input.ndim == 3
    if unbatched:
        input = input.unsqueeze(0)
    if input.ndim != 4 or weight.ndim != 4:
        raise RuntimeError(f"conv2d: expected a 3-D (unbatched) or 4-D (batched) input and a "
                           f"4-D weight, got input of shape {list(input.shape)} and weight "
                           f"of shape {list(weight.shape)}")
    o, cg, kh, kw = weight.shape
    if groups < 1 or o % groups:
        raise RuntimeError(f"conv2d: out_channels ({o}) must be divisible by groups "
                           f"({groups})")
    if input.shape[1] != cg * groups:
        raise RuntimeError(f"conv2d: Given groups={groups}, weight of size {list(weight.shape)}"
                           f", expected input{list(input.shape)} to have {cg * groups} "
                           f"channels, but got {input.shape[1]} channels instead")
    stride, dilation = to_pair(stride, "stride"), to_pair(dilation, "dilation")
    _check_stride_dilation(stride, dilation, "conv2d")
    pad = _conv_padding(padding, (kh, kw), stride, dilation, "conv2d")
    hp, wp = input.shape[2] + pad[0] + pad[1], input.shape[3] + pad[2] + pad[3]
    if hp < dilation[0] * (kh - 1) + 1 or wp < dilation[1] * (kw - 1) + 1:
        raise RuntimeError(f"conv2d: Calculated padded input size per channel: ({hp} x {wp})."
                           f" Kernel size: ({dilation[0] * (kh - 1) + 1} x "
                           f"{dilation[1] * (kw - 1) + 1}). Kernel size can't be greater than "
                           "actual input size")
    if bias is not None and tuple(bias.shape) != (o,):
        raise RuntimeError(f"conv2d: bias must have shape [{o}], got {list(bias.shape)}")
    out = Conv2d.apply(input, weight, bias, stride, pad, dilation, groups)
    return out.squeeze(0) if unbatched else out


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """1-D cross-correlation, computed as a 2-D one of height 1.

    Shape: input (N, C, L) or (C, L); weight (O, C / groups, k); output (N, O, Lo).
    """
    unbatched = input.ndim == 2
    if unbatched:
        input = input.unsqueeze(0)
    if input.ndim != 3 or weight.ndim != 3:
        raise RuntimeError(f"conv1d: expected a 2-D (unbatched) or 3-D (batched) input and a "
                           f"3-D weight, got input of shape {list(input.shape)} and weight "
                           f"of shape {list(weight.shape)}")
    one = lambda v: v[0] if isinstance(v, (tuple, list)) else v  # noqa: E731
    _check_stride_dilation((one(stride),), (one(dilation),), "conv1d")
    pad = padding if isinstance(padding, str) else (0, one(padding))
    out = conv2d(input.unsqueeze(2), weight.unsqueeze(2), bias, (1, one(stride)), pad,
                 (1, one(dilation)), groups).squeeze(2)
    return out.squeeze(0) if unbatched else out


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """Transposed convolution ("deconvolution", source 003): the adjoint of conv2d's input map.

    Shape: input (N, Cin, H, W); weight (Cin, Cout / groups, kh, kw); output (N, Cout, Ho, Wo)
    with Ho = (H - 1) s - 2 p + d (kh - 1) + output_padding + 1.
    """
    unbatched = input.ndim == 3
    if unbatched:
        input = input.unsqueeze(0)
    if input.ndim != 4 or weight.ndim != 4:
        raise RuntimeError(f"conv_transpose2d: expected a 4-D input and weight, got input of "
                           f"shape {list(input.shape)} and weight of shape "
                           f"{list(weight.shape)}")
    if input.shape[1] != weight.shape[0] or weight.shape[0] % groups:
        raise RuntimeError(f"conv_transpose2d: Given transposed=1, weight of size "
                           f"{list(weight.shape)}, expected input{list(input.shape)} to have "
                           f"{weight.shape[0]} channels, but got {input.shape[1]} channels "
                           "instead")
    stride, padding = to_pair(stride, "stride"), to_pair(padding, "padding")
    output_padding = to_pair(output_padding, "output_padding")
    dilation = to_pair(dilation, "dilation")
    _check_stride_dilation(stride, dilation, "conv_transpose2d")
    if padding[0] < 0 or padding[1] < 0:
        raise RuntimeError(f"conv_transpose2d: negative padding is not supported, got "
                           f"padding={list(padding)}")
    for op_, s, d in zip(output_padding, stride, dilation):
        if op_ >= s and op_ >= d:
            raise RuntimeError(f"conv_transpose2d: output padding must be smaller than either "
                               f"stride or dilation, but got output_padding={output_padding}, "
                               f"stride={stride}, dilation={dilation}")
    out = ConvTranspose2d.apply(input, weight, bias, stride, padding, output_padding, dilation,
                                groups)
    return out.squeeze(0) if unbatched else out
