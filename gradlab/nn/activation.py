"""Activation layers (``torch.nn``'s names): ReLU and its variants, ELU, Softplus, GELU,
Hardsigmoid, Hardswish, Sigmoid, Tanh, Softmax/LogSoftmax, and a Gaussian RBF layer torch does
not have.

Thin wrappers: the math is in ``nn.functional`` and ``ops/activation.py``. ``inplace=True`` is
accepted where torch has it and computed out of place (a new tensor with the same values).
Sources: 002 Q1, 003 activations, 004 §1.1.
"""

from __future__ import annotations

import numbers
import warnings

from .. import creation
from .._device import check_device
from . import functional as F
from . import init
from ._checks import check_number, check_size
from .module import Module
from .parameter import Parameter


def _inplace_repr(inplace: bool) -> str:
    return ", inplace=True" if inplace else ""


class ReLU(Module):
    """max(x, 0). Shape: any."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.relu(input, self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """max(x, 0) + negative_slope * min(x, 0). Shape: any."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        check_number("LeakyReLU", "negative_slope", negative_slope)
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}{_inplace_repr(self.inplace)}"


class PReLU(Module):
    """max(x, 0) + a * min(x, 0) with learnable slopes a (He et al. 2015), initialised to
    ``init``: one shared (``num_parameters=1``) or one per channel (dim 1 of the input).

    Shape: input (N, C, *) with C = num_parameters when it is > 1; output the same.
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None,
                 dtype=None) -> None:
        check_device(device, "PReLU")
        super().__init__()
        check_size("PReLU", "num_parameters", num_parameters)
        check_number("PReLU", "init", init)
        self.num_parameters, self.init = num_parameters, init
        self.weight = Parameter(creation.empty(num_parameters, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.constant_(self.weight, self.init)

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class ELU(Module):
    """x for x > 0, alpha (e^x - 1) otherwise. Shape: any."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        check_number("ELU", "alpha", alpha)
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}{_inplace_repr(self.inplace)}"


class Hardsigmoid(Module):
    """relu6(x + 3) / 6, a piecewise-linear sigmoid. Shape: any."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.hardsigmoid(input, self.inplace)


class Hardswish(Module):
    """x · relu6(x + 3) / 6, a piecewise-linear swish (MobileNetV3). Shape: any. Its repr
    leaves out ``inplace``, as torch's."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.hardswish(input, self.inplace)


class Softplus(Module):
    """log(1 + e^{beta x}) / beta, linear where beta x > threshold. Shape: any."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class GELU(Module):
    """x Phi(x), exact (``approximate='none'``) or with torch's tanh approximation.
    Shape: any."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Sigmoid(Module):
    """1 / (1 + e^-x). Shape: any."""

    def forward(self, input):
        return F.sigmoid(input)


class Tanh(Module):
    """(e^x - e^-x) / (e^x + e^-x). Shape: any."""

    def forward(self, input):
        return F.tanh(input)


def _softmax_dim(dim: int | None, ndim: int, name: str) -> int:
    """torch's legacy choice when no dim is given (with its warning): 0 for 0-, 1- and 3-D
    inputs, else 1."""
    if dim is not None:
        if not isinstance(dim, numbers.Integral):
            raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__} "
                            f"(got dim={dim!r})")
        return dim
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


class Softmax(Module):
    """e^{x_i} / sum_j e^{x_j} along ``dim``. Shape: any."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmax(input, _softmax_dim(self.dim, input.ndim, "softmax"))

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """x_i - logsumexp(x) along ``dim``. Shape: any."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.log_softmax(input, _softmax_dim(self.dim, input.ndim, "log_softmax"))

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class RBF(Module):
    """Gaussian radial-basis-function layer (gradlab's own; torch has none).

    y_j = exp(-||x - c_j||^2 / (2 sigma_j^2)),  sigma_j = exp(log_sigma_j)

    Each output unit is a bump of height 1 at its centre c_j that decays with the distance from
    it; a Linear layer on top makes an RBF network (Broomhead & Lowe 1988; source 003, RBF
    activation and "kernel regression and RBF networks"). Centres and widths are learned by
    backpropagation; the width is learned as its log, so sigma stays positive.

    Parameters: ``centers`` (out_features, in_features), initialised U(-1, 1) (inputs are
    assumed roughly standardised); ``log_sigma`` (out_features,), initialised 0 (sigma = 1).

    Shape: input (*, in_features) -> output (*, out_features), values in (0, 1].
    """

    def __init__(self, in_features: int, out_features: int, dtype=None) -> None:
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.centers = Parameter(creation.empty(out_features, in_features, dtype=dtype))
        self.log_sigma = Parameter(creation.empty(out_features, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.uniform_(self.centers, -1.0, 1.0)
        init.zeros_(self.log_sigma)

    def forward(self, input):
        return F.rbf(input, self.centers, self.log_sigma)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}"
