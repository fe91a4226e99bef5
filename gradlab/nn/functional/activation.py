"""Activations (``ops/activation.py``): relu, sigmoid, tanh, softmax, log_softmax and the
parametrised ones."""

from __future__ import annotations

from ...ops._util import check_floating
from ...ops.activation import ELU, GELU, RBF, Hardsigmoid, Hardswish, LeakyReLU, PReLU, Softplus
from ...tensor import Tensor, tensor_arg

__all__ = ["relu", "sigmoid", "tanh", "softmax", "log_softmax", "leaky_relu", "prelu", "elu",
           "softplus", "gelu", "hardsigmoid", "hardswish", "rbf"]

# ``inplace=True`` is accepted wherever torch has it, and computed out of place: the result is
# a new tensor and the input is left as it was (the values are the same either way).


def _float_input(input, op: str, kernel: str) -> None:
    """A Tensor of a floating dtype (torch's NotImplementedError for integer inputs)."""
    tensor_arg(input, op)
    check_floating(input.array, op, kernel=kernel)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0). Shape: any."""
    tensor_arg(input, "relu")
    return input.relu()


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x)), computed without overflow. Shape: any."""
    tensor_arg(input, "sigmoid")
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    tensor_arg(input, "tanh")
    return input.tanh()


def softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    """exp(x_i) / sum_j exp(x_j) along ``dim`` (max-shifted), computed in ``dtype`` when
    given (an integer input needs it). Shape: any."""
    tensor_arg(input, "softmax")
    return input.softmax(dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    """x_i - logsumexp(x) along ``dim`` (in ``dtype`` when given). Shape: any."""
    tensor_arg(input, "log_softmax")
    return input.log_softmax(dim, dtype=dtype)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """max(x, 0) + negative_slope * min(x, 0) (Maas et al. 2013): a small slope for x < 0 keeps
    units from dying (source 004 §1.1, ReLU variants). Shape: any."""
    _float_input(input, "leaky_relu", "leaky_relu_cpu")
    return LeakyReLU.apply(input, float(negative_slope))


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """max(x, 0) + a * min(x, 0) with a learnable slope a (He et al. 2015), one for all channels
    or one per channel (dim 1).

    Shape: input (N, C, *) or any shape with a single slope; weight (1,) or (C,). Inputs with
    fewer than 2 dims have no channel dim (C = 1), as in torch.
    """
    n = weight.numel()
    if n != 1:
        channels = input.shape[1] if input.ndim >= 2 else 1
        if channels != n:
            raise RuntimeError(f"prelu: Mismatch of parameter numbers and input channel size. "
                               f"Found parameter numbers = {n} and channel size = {channels} "
                               f"(input of shape {list(input.shape)}).")
        w = weight.reshape((1, n) + (1,) * (input.ndim - 2))
    else:
        w = weight.reshape((1,) * input.ndim)
    return PReLU.apply(input, w)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha (e^x - 1) otherwise (Clevert et al. 2016; source 004 §1.1): smooth,
    and its negative saturation pushes mean activations toward 0. Shape: any."""
    _float_input(input, "elu", "elu_cpu")
    return ELU.apply(input, float(alpha))


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6 = clamp(x / 6 + 1/2, 0, 1): a piecewise-linear sigmoid, cheap on integer
    hardware (Howard et al. 2019, MobileNetV3). Shape: any."""
    _float_input(input, "hardsigmoid", "hardsigmoid_cpu")
    return Hardsigmoid.apply(input)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x · relu6(x + 3) / 6: the piecewise-linear form of swish x · sigmoid(x) (Howard et al.
    2019, MobileNetV3). 0 for x <= -3, x for x >= 3. Shape: any."""
    _float_input(input, "hardswish", "hardswish_cpu")
    return Hardswish.apply(input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^{beta x}) / beta, a smooth ReLU (sources 003 activations, 004 §1.1); x itself
    where beta x > threshold, as torch. Computed as max(z, 0) + log1p(e^-|z|), which never
    overflows. Shape: any."""
    _float_input(input, "softplus", "softplus_cpu")
    return Softplus.apply(input, float(beta), float(threshold))


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x Phi(x), Phi the standard normal CDF (Hendrycks & Gimpel 2016).

    ``approximate='none'``: exact, Phi(x) = erfc(-x / sqrt 2) / 2 with a float64-accurate erfc
    (Chebyshev series, see ``ops/activation.py``). ``'tanh'``:
    0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))). Shape: any.
    """
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"gelu: approximate argument must be either none or tanh, got "
                           f"{approximate!r}")
    _float_input(input, "gelu", "GeluKernelImpl")
    return GELU.apply(input, approximate)


def rbf(input: Tensor, centers: Tensor, log_sigma: Tensor) -> Tensor:
    """Gaussian radial basis functions (gradlab's; torch has none):
    y_j = exp(-||x - c_j||^2 / (2 sigma_j^2)), sigma_j = exp(log_sigma_j).

    Output 1 at a centre, decaying with the distance from it (source 003, RBF activation and
    "kernel regression and RBF networks"). ||x - c||^2 = ||x||^2 + ||c||^2 - 2 x.c, one GEMM.

    Shape: input (*, in), centers (out, in), log_sigma (out,) -> (*, out).
    """
    if centers.ndim != 2 or tuple(log_sigma.shape) != (centers.shape[0],):
        raise RuntimeError(f"rbf: expected centers (out, in) and log_sigma (out,), got "
                           f"{list(centers.shape)} and {list(log_sigma.shape)}")
    if input.ndim == 0 or input.shape[-1] != centers.shape[1]:
        raise RuntimeError(f"rbf: input of shape {list(input.shape)} does not match centers of "
                           f"shape {list(centers.shape)} (expected input (*, "
                           f"{centers.shape[1]}))")
    lead = tuple(input.shape[:-1])
    out = RBF.apply(input.reshape(-1, centers.shape[1]), centers, log_sigma)
    return out.reshape(lead + (centers.shape[0],))
