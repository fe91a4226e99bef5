"""Pooling layers (math in ``ops/pool.py``; forward and backward as source 002 Q8 describes)."""

from __future__ import annotations

from . import functional as F
from ._checks import check_int_args, is_int
from .module import Module


def _check_padding(owner: str, padding) -> None:
    """torch's RuntimeError for a negative ``padding`` (int or pair)."""
    pads = tuple(padding) if isinstance(padding, (tuple, list)) else (padding,)
    if any(is_int(p) and p < 0 for p in pads):
        raise RuntimeError(f"{owner}: pad must be non-negative, but got padding={padding!r}")


def _check_output_size(owner: str, op: str, output_size) -> None:
    """An adaptive pool's ``output_size``: an int or a pair, each an int >= 0 or None."""
    sizes = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,)
    if isinstance(output_size, (tuple, list)) and len(sizes) != 2:
        raise RuntimeError(f"{owner}: {op}(): output_size must have 2 elements (H, W), got "
                           f"output_size={output_size!r}")
    for s in sizes:
        if s is not None and not is_int(s):
            raise TypeError(f"{owner}: {op}(): output_size must be ints or None, got "
                            f"{type(s).__name__} in output_size={output_size!r}")
        if s is not None and s < 0:
            raise RuntimeError(f"{owner}: {op}: elements of output_size must be greater than or "
                               f"equal to 0 but received output_size={output_size!r}")


class MaxPool2d(Module):
    """Max over k x k windows. Shape: (N, C, H, W) -> (N, C, Ho, Wo); ``ceil_mode=True`` rounds
    the output size up (source 003 uses ceil, PyTorch defaults to floor)."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input):
        check_int_args("MaxPool2d", kernel_size=self.kernel_size, stride=self.stride,
                       padding=self.padding, dilation=self.dilation)
        _check_padding("MaxPool2d", self.padding)
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            self.ceil_mode, self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """Mean over k x k windows. Shape: (N, C, H, W) -> (N, C, Ho, Wo)."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override=None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input):
        check_int_args("AvgPool2d", kernel_size=self.kernel_size, stride=self.stride,
                       padding=self.padding)
        _check_padding("AvgPool2d", self.padding)
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average to a fixed output size; ``AdaptiveAvgPool2d(1)`` is global average pooling.
    Shape: (N, C, H, W) -> (N, C, *output_size)."""

    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        _check_output_size("AdaptiveAvgPool2d", "adaptive_avg_pool2d", self.output_size)
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(Module):
    """Max to a fixed output size. Shape: (N, C, H, W) -> (N, C, *output_size)."""

    def __init__(self, output_size, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input):
        _check_output_size("AdaptiveMaxPool2d", "adaptive_max_pool2d", self.output_size)
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class StochasticPool2d(Module):
    """Stochastic pooling (Zeiler & Fergus 2013; source 002 Q7); not in PyTorch.

    Training: each window outputs one activation, drawn with probability proportional to it.
    Eval: the probability-weighted average sum(a^2) / sum(a). Inputs must be non-negative.
    Shape: (N, C, H, W) -> (N, C, Ho, Wo).
    """

    def __init__(self, kernel_size, stride=None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size

    def forward(self, input):
        return F.stochastic_pool2d(input, self.kernel_size, self.stride, self.training)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}"
