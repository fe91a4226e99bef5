"""Weight initialization (``torch.nn.init``): fills parameters in place, without recording a
graph, from the global random stream or ``generator=``.

Fan-in / fan-out follow PyTorch: for a weight of shape (out, in, *kernel), fan_in = in * prod
(kernel) and fan_out = out * prod(kernel). Source 004 §3.2 gives the Xavier-uniform ranges of
sigmoid and tanh swapped; these follow Glorot & Bengio (2010): r = gain * sqrt(6 / (fan_in +
fan_out)) with gain 1 for tanh-like units (PyTorch's gains: calculate_gain).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import backend
from ..autograd import no_grad
from ..autograd.graph import increment_version
from ..tensor import Tensor


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (PyTorch's table).

    linear/conv/sigmoid: 1; tanh: 5/3; relu: sqrt(2); leaky_relu: sqrt(2 / (1 + slope^2));
    selu: 3/4.
    """
    return _gain(nonlinearity, param, "calculate_gain")


def _gain(nonlinearity: str, param, op: str) -> float:
    """calculate_gain, its errors naming ``op`` (the init function that asked)."""
    linear = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d", "sigmoid")
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"{op}: negative_slope {param} not a valid number (the param "
                             "of leaky_relu)")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"{op}: Unsupported nonlinearity {nonlinearity} (expected one of linear, "
                     "conv1d/2d/3d, conv_transpose1d/2d/3d, sigmoid, tanh, relu, leaky_relu, "
                     "selu)")


def _calculate_fan_in_and_fan_out(tensor: Tensor, op: str = "init") -> tuple[int, int]:
    if tensor.dim() < 2:
        raise ValueError(f"{op}: Fan in and fan out can not be computed for tensor with fewer "
                         f"than 2 dimensions (got shape {list(tensor.shape)})")
    receptive = int(np.prod(tensor.shape[2:])) if tensor.dim() > 2 else 1
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor: Tensor, mode: str, op: str) -> int:
    mode = mode.lower() if isinstance(mode, str) else mode
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{op}: Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor, op)
    return fan_in if mode == "fan_in" else fan_out


def _check_floating(tensor: Tensor, op: str) -> None:
    """torch's NotImplementedError for a random fill of a tensor that is not floating point."""
    if not np.issubdtype(tensor.array.dtype, np.floating):
        raise NotImplementedError(f"{op}: not implemented for {tensor.dtype} tensors (a random "
                                  f"fill needs a floating point tensor, got {tensor.dtype})")


def _check_number(value, name: str, op: str) -> None:
    if not isinstance(value, numbers.Real):
        raise TypeError(f"{op}: {name} must be a number, got {type(value).__name__} "
                        f"{name}={value!r}")


@no_grad()
def _fill(tensor: Tensor, values: np.ndarray) -> Tensor:
    tensor.array[...] = values.astype(tensor.array.dtype, copy=False)
    increment_version(tensor)
    return tensor


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None,
             _op: str = "uniform_") -> Tensor:
    """Fill with U(a, b); a <= b, both finite."""
    _check_floating(tensor, _op)
    _check_number(a, "a", _op)
    _check_number(b, "b", _op)
    if a > b:
        raise RuntimeError(f"{_op}: expects to return a [from, to) range, but found "
                           f"from={a} > to={b}")
    if not (math.isfinite(a) and math.isfinite(b)):
        raise RuntimeError(f"{_op}: bounds must be finite, got a={a}, b={b} (out of bounds for "
                           f"{tensor.dtype})")
    return _fill(tensor, backend.rng(generator).uniform(a, b, tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None,
            _op: str = "normal_") -> Tensor:
    """Fill with N(mean, std^2); std >= 0."""
    _check_floating(tensor, _op)
    _check_number(mean, "mean", _op)
    _check_number(std, "std", _op)
    if std < 0:
        raise RuntimeError(f"{_op}: normal expects std >= 0.0, but found std={std}")
    return _fill(tensor, mean + std * backend.rng(generator).standard_normal(tensor.shape))


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator=None) -> Tensor:
    """Fill with N(mean, std^2) truncated to [a, b] (rejection: redraw values outside)."""
    _check_floating(tensor, "trunc_normal_")
    if a > b:
        raise RuntimeError(f"trunc_normal_: expects a <= b (the range [a, b] to truncate to), "
                           f"but found a={a} > b={b}")
    rng = backend.rng(generator)
    out = mean + std * rng.standard_normal(tensor.shape)
    bad = (out < a) | (out > b)
    for _ in range(1000):
        if not bad.any():
            break
        out[bad] = mean + std * rng.standard_normal(int(bad.sum()))
        bad = (out < a) | (out > b)
    return _fill(tensor, np.clip(out, a, b))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val`` (a number, or a tensor of one element)."""
    if isinstance(val, Tensor) and val.numel() == 1:
        val = val.item()
    if not isinstance(val, (numbers.Number, np.generic)):
        raise TypeError(f"constant_: val must be a number, got {type(val).__name__} "
                        f"val={val!r}")
    return _fill(tensor, np.full(tensor.shape, val))


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0 (every unit then computes the same thing: the symmetry problem, 004 §3.2)."""
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1.0)


def eye_(tensor: Tensor) -> Tensor:
    """The identity matrix (2-D only), e.g. for IRNN's recurrent weights (004 §2.5)."""
    if tensor.dim() != 2:
        raise ValueError(f"eye_: Only tensors with 2 dimensions are supported, got shape "
                         f"{list(tensor.shape)}")
    return _fill(tensor, np.eye(*tensor.shape))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Conv weights (out, in, *k) that pass each input channel through unchanged."""
    if tensor.dim() not in (3, 4, 5):
        raise ValueError(f"dirac_: Only tensors with 3, 4, or 5 dimensions are supported, got "
                         f"shape {list(tensor.shape)}")
    if groups == 0:  # torch's class: its check is a modulo by groups
        raise ZeroDivisionError("dirac_: groups must be positive, got groups=0 (integer modulo "
                                "by zero)")
    if groups < 0 or tensor.shape[0] % groups:
        raise ValueError(f"dirac_: dim 0 must be divisible by groups, got dim 0 of size "
                         f"{tensor.shape[0]} and groups={groups}")
    out_per = tensor.shape[0] // groups
    w = np.zeros(tensor.shape)
    centre = tuple(s // 2 for s in tensor.shape[2:])
    for g in range(groups):
        for d in range(min(out_per, tensor.shape[1])):
            w[(g * out_per + d, d) + centre] = 1
    return _fill(tensor, w)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010)."""
    _check_number(gain, "gain", "xavier_uniform_")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor, "xavier_uniform_")
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -a, a, generator, _op="xavier_uniform_")


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    _check_number(gain, "gain", "xavier_normal_")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor, "xavier_normal_")
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator,
                   _op="xavier_normal_")


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """U(-b, b) with b = gain * sqrt(3 / fan) (He et al. 2015)."""
    if 0 in tensor.shape:
        return tensor
    op = "kaiming_uniform_"
    bound = _gain(nonlinearity, a, op) * math.sqrt(3.0 / _fan(tensor, mode, op))
    return uniform_(tensor, -bound, bound, generator, _op=op)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """N(0, std^2) with std = gain / sqrt(fan) (He et al. 2015)."""
    if 0 in tensor.shape:
        return tensor
    op = "kaiming_normal_"
    std = _gain(nonlinearity, a, op) / math.sqrt(_fan(tensor, mode, op))
    return normal_(tensor, 0.0, std, generator, _op=op)


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """A (semi-)orthogonal matrix from the QR decomposition of a Gaussian one (Saxe et al.
    2013), scaled by ``gain``; dims after the first are flattened."""
    if tensor.dim() < 2:
        raise ValueError(f"orthogonal_: Only tensors with 2 or more dimensions are supported, "
                         f"got shape {list(tensor.shape)}")
    if tensor.numel() == 0:  # nothing to fill, as torch
        return tensor
    _check_floating(tensor, "orthogonal_")
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = backend.rng(generator).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))  # makes the distribution uniform (Haar)
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(tensor.shape))


def default_reset_(weight: Tensor, bias: Tensor | None) -> None:
    """PyTorch's default init of Linear and Conv layers: weight ``kaiming_uniform_(a=sqrt(5))``,
    i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and bias U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = _calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        uniform_(bias, -bound, bound)
