"""Normalization layers: BatchNorm1d/2d, LayerNorm, GroupNorm, InstanceNorm2d, and a cosine-
normalized linear layer. The math (closed-form backward) is in ``ops/norm.py``.

BN may go before or after the activation: both are just orders in a ``Sequential`` (SCOPE D).
The torch layers take ``device=``: None or the CPU; another raises RuntimeError.
"""

from __future__ import annotations

from .. import creation
from .._device import check_device
from ..autograd import no_grad
from . import functional as F
from . import init
from ._checks import check_size, check_sizes, is_int
from .functional.normalization import _check_floating
from .module import Module
from .parameter import Parameter


def _affine_params(module: Module, shape, affine: bool, bias: bool, dtype) -> None:
    """Register ``weight`` (ones) and ``bias`` (zeros) of ``shape``, or None where absent."""
    if affine:
        module.weight = Parameter(creation.ones(shape, dtype=dtype))
    else:
        module.register_parameter("weight", None)
    if affine and bias:
        module.bias = Parameter(creation.zeros(shape, dtype=dtype))
    else:
        module.register_parameter("bias", None)


class _BatchNorm(Module):
    _expected_dims: tuple = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None,
                 dtype=None, *, bias: bool = True) -> None:
        check_device(device, type(self).__name__)
        super().__init__()
        check_size(type(self).__name__, "num_features", num_features)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.use_bias = affine and bias
        _affine_params(self, num_features, affine, bias, dtype)
        if track_running_stats:
            self.register_buffer("running_mean", creation.zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", creation.ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", creation.tensor(0))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            self.num_batches_tracked.array[...] = 0

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input):
        if input.ndim not in self._expected_dims:
            dims = " or ".join(f"{d}D" for d in self._expected_dims)
            raise ValueError(f"{type(self).__name__}: expected {dims} input (got {input.ndim}D "
                             f"input of shape {list(input.shape)})")
        name = type(self).__name__
        if input.shape[1] != self.num_features:
            raise RuntimeError(f"{name}({self.num_features}): input has {input.shape[1]} "
                               f"channels (shape {list(input.shape)}), expected "
                               f"{self.num_features} (running_mean should contain "
                               f"{input.shape[1]} elements not {self.num_features})")
        _check_floating(input, "batch_norm", "batch_norm")  # before the counter moves
        if self.eps < 0:  # eps = 0 is kept in training too (torch refuses it there)
            raise ValueError(f"{name}: batch_norm eps must be non-negative, but got "
                             f"eps={self.eps}")
        if self.training or not self.track_running_stats:
            _check_values_per_channel(name, input, "value per channel", 0)
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            with no_grad():
                self.num_batches_tracked.array += 1
            if self.momentum is None:  # cumulative moving average
                momentum = 1.0 / float(self.num_batches_tracked.item())
        use_batch = self.training or not self.track_running_stats
        return F.batch_norm(input,
                            self.running_mean if not self.training or self.track_running_stats
                            else None,
                            self.running_var if not self.training or self.track_running_stats
                            else None,
                            self.weight, self.bias, use_batch, momentum, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.use_bias}, "
                f"track_running_stats={self.track_running_stats}")


def _check_values_per_channel(owner: str, input, what: str, skip: int) -> None:
    """torch's ValueError when the batch statistics would come from a single value: the
    product of the sizes of every dim but the channel one (and the first ``skip`` dims)."""
    shape = list(input.shape)
    count = 1
    for i, s in enumerate(shape):
        if i != 1 and i >= skip:
            count *= s
    if count == 1:
        raise ValueError(f"{owner}: Expected more than 1 {what} when training, got input size "
                         f"{shape}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization over (N, C) or (N, C, L) inputs, per channel C."""

    _expected_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization over (N, C, H, W) inputs, per channel C (source 003 BN)."""

    _expected_dims = (4,)


class LayerNorm(Module):
    """Layer normalization over the last dims. Shape: (*, *normalized_shape), unchanged."""

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device=None, dtype=None) -> None:
        check_device(device, type(self).__name__)
        super().__init__()
        self.normalized_shape = check_sizes(type(self).__name__, "normalized_shape",
                                            normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        _affine_params(self, self.normalized_shape, elementwise_affine, bias, dtype)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """Group normalization: channels split into ``num_groups`` groups, each standardised per
    sample. Shape: (N, C, *), unchanged."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device=None, dtype=None, *, bias: bool = True) -> None:
        check_device(device, type(self).__name__)
        super().__init__()
        check_size("GroupNorm", "num_channels", num_channels)
        if not is_int(num_groups):
            raise TypeError(f"GroupNorm: num_groups must be an int, got "
                            f"{type(num_groups).__name__} num_groups={num_groups!r}")
        if num_groups == 0:  # torch's class: its check is num_channels % num_groups
            raise ZeroDivisionError("GroupNorm: num_groups must be positive, got num_groups=0 "
                                    "(integer modulo by zero)")
        if num_groups < 0 or num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by "
                             f"num_groups ({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = (num_groups, num_channels,
                                                                      eps, affine)
        _affine_params(self, num_channels, affine, bias, dtype)

    def forward(self, input):
        if input.ndim >= 2 and self.weight is not None and input.shape[1] != self.num_channels:
            raise RuntimeError(f"GroupNorm: Expected weight to be a vector of size equal to the "
                               f"number of channels in input ({self.num_channels}, "
                               f"num_channels), but got weight of shape "
                               f"{list(self.weight.shape)} and input of shape "
                               f"{list(input.shape)}")
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class InstanceNorm2d(_BatchNorm):
    """Instance normalization: each channel of each sample standardised over H, W.

    PyTorch's defaults: ``affine=False``, ``track_running_stats=False``.
    Shape: (N, C, H, W), unchanged.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device=None,
                 dtype=None, *, bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)

    def forward(self, input):
        if input.ndim not in (3, 4):
            raise ValueError(f"InstanceNorm2d: expected 3D or 4D input (got {input.ndim}D "
                             "input)")
        unbatched = input.ndim == 3
        x = input.unsqueeze(0) if unbatched else input
        if x.shape[1] != self.num_features:
            msg = (f"InstanceNorm2d: expected input's size at dim=1 to match num_features "
                   f"({self.num_features}), but got: {x.shape[1]}.")
            if self.affine:
                raise ValueError(msg)
            import warnings

            warnings.warn(msg + " The input is normalized per channel all the same, and the "
                          "layer's num_features is unused.", stacklevel=2)
        use_input_stats = self.training or not self.track_running_stats
        if use_input_stats:
            _check_values_per_channel("InstanceNorm2d", x, "spatial element", 1)
        out = F.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                              use_input_stats, self.momentum, self.eps)
        return out.squeeze(0) if unbatched else out


class CosineLinear(Module):
    """Cosine normalization (Luo et al. 2018): a linear layer whose pre-activation is the
    cosine between the input and each weight row, so it is bounded in [-1, 1]:

        y_j = w_j . x / (|w_j| |x| + eps)

    Not in PyTorch. Shape: (*, in_features) -> (*, out_features).
    """

    def __init__(self, in_features: int, out_features: int, eps: float = 1e-8,
                 dtype=None) -> None:
        super().__init__()
        self.in_features, self.out_features, self.eps = in_features, out_features, eps
        self.weight = Parameter(creation.empty(out_features, in_features, dtype=dtype))
        init.kaiming_uniform_(self.weight, a=5 ** 0.5)

    def forward(self, input):
        dot = F.linear(input, self.weight)
        xn = (input * input).sum(-1, keepdim=True).sqrt()
        wn = (self.weight * self.weight).sum(-1).sqrt()
        return dot / (xn * wn + self.eps)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}"
