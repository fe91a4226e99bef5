"""Convolution layers: ``Conv1d``, ``Conv2d``, ``ConvTranspose2d``, ``LazyConv2d`` (math in
``ops/conv.py``).

``device``: None or the CPU; another raises RuntimeError (gradlab computes on the CPU)."""

from __future__ import annotations

from .. import creation
from .._device import check_device
from . import functional as F
from . import init
from ._checks import check_int_args, check_size, check_sizes, is_int
from .lazy import LazyModuleMixin
from .module import Module
from .parameter import Parameter, UninitializedParameter


def _tuple(v, n: int) -> tuple:
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _check_padding_mode(owner: str, padding_mode) -> None:
    """torch's ValueError for a mode that is none of its four; gradlab computes 'zeros' only."""
    if padding_mode not in _PADDING_MODES:
        raise ValueError(f"{owner}: padding_mode must be one of {{'circular', 'reflect', "
                         f"'replicate', 'zeros'}}, but got padding_mode={padding_mode!r}")
    if padding_mode != "zeros":
        raise NotImplementedError(f"{owner}: padding_mode='{padding_mode}' is not supported "
                                  "(only 'zeros'); pad with F.pad(mode=...) first")


class _ConvNd(Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 groups, bias, transposed, output_padding, n, device, dtype) -> None:
        name = type(self).__name__
        check_device(device, name)
        super().__init__()
        check_size(name, "in_channels", in_channels)
        check_size(name, "out_channels", out_channels)
        if not is_int(groups) or groups <= 0:
            raise ValueError(f"{name}: groups must be a positive integer, got groups={groups!r}")
        if in_channels % groups:
            raise ValueError(f"{name}: in_channels must be divisible by groups, got "
                             f"in_channels={in_channels}, groups={groups}")
        if out_channels % groups:
            raise ValueError(f"{name}: out_channels must be divisible by groups, got "
                             f"out_channels={out_channels}, groups={groups}")
        kernel_size = check_sizes(name, "kernel_size", kernel_size, n)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"{name}: Invalid padding string '{padding}', should be one "
                                 "of {'valid', 'same'}")
            if padding == "same" and any(s != 1 for s in _tuple(stride, n)):
                raise ValueError(f"{name}: padding='same' is not supported for strided "
                                 f"convolutions, got stride={stride!r}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _tuple(kernel_size, n)
        self.stride, self.dilation = _tuple(stride, n), _tuple(dilation, n)
        self.padding = padding if isinstance(padding, str) else _tuple(padding, n)
        self.output_padding = _tuple(output_padding, n)
        self.groups, self.transposed = groups, transposed
        shape = ((in_channels, out_channels // groups) if transposed
                 else (out_channels, in_channels // groups)) + self.kernel_size
        self.weight = Parameter(creation.empty(*shape, dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.default_reset_(self.weight, self.bias)

    def _check_input(self, input) -> None:
        """The layer's own contract on ``input``, before the functional call: ``in_channels``
        channels and a positive kernel size (torch checks these when the convolution runs, so
        does gradlab). The number of dims, stride, padding and dilation are the op's checks."""
        name, n = type(self).__name__, len(self.kernel_size)
        check_int_args(name, stride=self.stride, dilation=self.dilation,
                       padding=None if isinstance(self.padding, str) else self.padding,
                       output_padding=self.output_padding)
        if input.ndim not in (n + 1, n + 2):
            return  # the op's error names the dims it expects
        c = int(input.shape[0] if input.ndim == n + 1 else input.shape[1])
        if c != self.in_channels:
            what = "transposed=1" if self.transposed else f"groups={self.groups}"
            shape = list(input.shape) if input.ndim == n + 2 else [1] + list(input.shape)
            raise RuntimeError(f"{name}: Given {what}, weight of size "
                               f"{list(self.weight.shape)}, expected input{shape} to have "
                               f"{self.in_channels} channels, but got {c} channels instead")
        if any(k <= 0 for k in self.kernel_size):
            raise RuntimeError(f"{name}: kernel size should be greater than zero, but got "
                               f"kernel_size={self.kernel_size}")

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, " \
            f"stride={self.stride}"
        n = len(self.kernel_size)
        if self.padding != (0,) * n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class Conv2d(_ConvNd):
    """2-D convolution (cross-correlation) over (N, C_in, H, W) inputs.

    Weight (C_out, C_in / groups, kh, kw), bias (C_out,); ``groups=C_in`` is a depthwise conv.
    Shape: (N, C_in, H, W) -> (N, C_out, Ho, Wo), Ho = floor((H + 2p - d (k - 1) - 1) / s) + 1.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None) -> None:
        _check_padding_mode("Conv2d", padding_mode)
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, False, 0, 2, device, dtype)

    def forward(self, input):
        self._check_input(input)
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding,
                        self.dilation, self.groups)


class Conv1d(_ConvNd):
    """1-D convolution. Shape: (N, C_in, L) -> (N, C_out, Lo)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None) -> None:
        _check_padding_mode("Conv1d", padding_mode)
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, False, 0, 1, device, dtype)

    def forward(self, input):
        self._check_input(input)
        return F.conv1d(input, self.weight, self.bias, self.stride, self.padding,
                        self.dilation, self.groups)


class ConvTranspose2d(_ConvNd):
    """Transposed 2-D convolution ("deconvolution", source 003): upsamples by ``stride``.

    Weight (C_in, C_out / groups, kh, kw). Shape: (N, C_in, H, W) -> (N, C_out, Ho, Wo),
    Ho = (H - 1) s - 2p + d (k - 1) + output_padding + 1.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", device=None, dtype=None) -> None:
        if padding_mode != "zeros":
            raise ValueError(f'ConvTranspose2d: Only "zeros" padding mode is supported for '
                             f'ConvTranspose2d, got padding_mode={padding_mode!r}')
        if isinstance(padding, str):
            raise ValueError("ConvTranspose2d: padding must be an int or a pair of ints")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, True, output_padding, 2, device, dtype)

    def _output_padding(self, input, output_size) -> tuple:
        """The output_padding that makes the output ``output_size`` (its last two entries),
        as torch's: each size must lie between the smallest output and stride - 1 above it."""
        if output_size is None:
            return self.output_padding
        size = [int(v) for v in output_size]
        if len(size) == input.ndim:
            size = size[2:] if input.ndim == 4 else size[1:]
        if len(size) != 2:
            raise ValueError(f"ConvTranspose2d: output_size must have 2 or {input.ndim} "
                             f"elements (got {len(size)})")
        spatial = list(input.shape[-2:])
        lo = [(spatial[d] - 1) * self.stride[d] - 2 * self.padding[d]
              + self.dilation[d] * (self.kernel_size[d] - 1) + 1 for d in range(2)]
        hi = [lo[d] + self.stride[d] - 1 for d in range(2)]
        for d in range(2):
            if not lo[d] <= size[d] <= hi[d]:
                raise ValueError(f"ConvTranspose2d: requested an output size of {size}, but "
                                 f"valid sizes range from {lo} to {hi} (for an input of "
                                 f"{spatial})")
        return tuple(size[d] - lo[d] for d in range(2))

    def forward(self, input, output_size=None):
        """``output_size`` (optional): the (H, W) (or full shape) of the output, among the
        sizes the stride leaves ambiguous; it sets ``output_padding`` for this call."""
        self._check_input(input)
        output_padding = self._output_padding(input, output_size)
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                  output_padding, self.groups, self.dilation)


class LazyConv2d(LazyModuleMixin, Conv2d):
    """A :class:`Conv2d` whose ``in_channels`` is read from the first input (``input.shape[1]``,
    or ``shape[0]`` unbatched); weight and bias are :class:`UninitializedParameter` s until
    then, when they get Conv2d's init and the module becomes a ``Conv2d`` (gradlab/nn/lazy.py).

    Shape: (N, C_in, H, W) -> (N, C_out, Ho, Wo), as :class:`Conv2d`.
    """

    cls_to_become = Conv2d

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None,
                 dtype=None) -> None:
        check_size("LazyConv2d", "out_channels", out_channels)
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False,
                         padding_mode, device=device, dtype=dtype)
        self.weight = UninitializedParameter(dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input) -> None:
        """in_channels from the input; materialize and initialize as ``Conv2d``."""
        if not self.has_uninitialized_params():  # loaded by load_state_dict
            self.in_channels = int(self.weight.shape[1]) * self.groups
            return
        if input.ndim not in (3, 4):
            raise RuntimeError(f"LazyConv2d: expected a 3-D (unbatched) or 4-D (batched) input, "
                               f"got shape {list(input.shape)}")
        c = int(input.shape[0] if input.ndim == 3 else input.shape[1])
        if c % self.groups:
            raise ValueError("in_channels must be divisible by groups")
        self.in_channels = c
        self.weight.materialize((self.out_channels, c // self.groups) + self.kernel_size)
        if self.bias is not None:
            self.bias.materialize((self.out_channels,))
        self.reset_parameters()
