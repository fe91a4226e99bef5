"""``Linear``, ``LazyLinear``, ``Bilinear``-free dense layers and ``Identity``."""

from __future__ import annotations

from .. import creation
from .._device import check_device
from . import functional as F
from . import init
from ._checks import check_size
from .lazy import LazyModuleMixin
from .module import Module
from .parameter import Parameter, UninitializedParameter


class Identity(Module):
    """Returns its input unchanged (a placeholder, e.g. where a shortcut has no projection)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """y = x W^T + b.

    Weight (out_features, in_features) and bias (out_features,) start as PyTorch's: U(-k, k)
    with k = 1 / sqrt(in_features). ``device``: None or the CPU; another raises RuntimeError.

    Shape: input (*, in_features) -> output (*, out_features).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        check_device(device, type(self).__name__)
        super().__init__()
        check_size(type(self).__name__, "in_features", in_features)
        check_size(type(self).__name__, "out_features", out_features)
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(creation.empty(out_features, in_features, dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.default_reset_(self.weight, self.bias)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class LazyLinear(LazyModuleMixin, Linear):
    """A :class:`Linear` whose ``in_features`` is read from the first input (``input.shape[-1]``);
    weight and bias are :class:`UninitializedParameter` s until then, when they get Linear's
    init and the module becomes a ``Linear`` (see gradlab/nn/lazy.py).

    Shape: input (*, in_features) -> output (*, out_features).
    """

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        check_size("LazyLinear", "out_features", out_features)
        super().__init__(0, 0, False, device=device)
        self.weight = UninitializedParameter(dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input) -> None:
        """in_features = input.shape[-1]; materialize and initialize as ``Linear``."""
        if self.has_uninitialized_params():
            if input.ndim == 0:
                raise ValueError("LazyLinear: the input must have at least one dimension (its "
                                 "last is in_features), got a 0-d tensor")
            self.in_features = int(input.shape[-1])
            self.weight.materialize((self.out_features, self.in_features))
            if self.bias is not None:
                self.bias.materialize((self.out_features,))
            self.reset_parameters()
        else:  # loaded by load_state_dict before the first forward
            self.in_features = int(self.weight.shape[1])
