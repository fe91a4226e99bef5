"""Quantization-aware training: fake quantization with a straight-through estimator, layers
that train through it, and their conversion to the integer layers of ``compress.quantize``.

Source 003 "model acceleration", quantization rows. Fake quantization rounds to the grid of
``compress.quantize`` in float, x -> s (clamp(round(x / s) + z, q_min, q_max) - z), so the
network trains against the rounding it will meet in integers; the rounding's gradient is taken
as 1 inside the clip range (Bengio et al. 2013; Jacob et al. 2018).

    qat = prepare_qat(model)        # Linear / Conv2d -> QATLinear / QATConv2d
    ... train qat ...
    q = convert_qat(qat)            # -> QuantizedLinear / QuantizedConv2d
"""

from __future__ import annotations

import numpy as np

from .. import nn
from ..autograd import ArrayFunction
from ..nn import functional as F
from ..tensor import Tensor, from_numpy
from ._util import replace_layers
from .quantize import (
    RANGES,
    WEIGHT_RANGE,
    QuantizedConv2d,
    QuantizedLinear,
    qparams_from_range,
)


class FakeQuantize(ArrayFunction):
    """Quantize then dequantize in float: x -> s (clamp(round(x / s) + z, q_min, q_max) - z).

    Straight-through estimator (Bengio et al. 2013; Jacob et al. 2018): the rounding's
    gradient is taken as 1 inside the clip range and 0 outside it.
    """

    # d out / d x = 1 where q_min <= round(x / s) + z <= q_max, else 0
    @staticmethod
    def forward(ctx, x, scale, zero_point, qmin, qmax):
        inv = (np.float32(1.0) / scale).astype(x.dtype)
        q = np.round(x * inv) + zero_point
        inside = (q >= qmin) & (q <= qmax)
        ctx.save_for_backward(inside)
        return ((np.clip(q, qmin, qmax) - zero_point) * scale).astype(x.dtype)

    @staticmethod
    def backward(ctx, g):
        (inside,) = ctx.saved_tensors
        return g * inside, None, None, None, None


def fake_quantize(x: Tensor, scale, zero_point, quant_min: int, quant_max: int,
                  axis: int | None = None) -> Tensor:
    """Fake quantization with one (``axis=None``) or per-channel scales and zero points along
    ``axis`` (torch's ``fake_quantize_per_tensor_affine`` / ``_per_channel_affine``).

    Shape: x any; scale, zero_point scalars or (x.shape[axis],).
    """
    s = np.asarray(scale.array if isinstance(scale, Tensor) else scale, np.float32)
    z = np.asarray(zero_point.array if isinstance(zero_point, Tensor) else zero_point, np.int32)
    if axis is not None:
        if s.shape != (x.shape[axis],) or z.shape != s.shape:
            raise ValueError(f"fake_quantize: per-channel scale {list(s.shape)} and zero_point "
                             f"{list(z.shape)} must both have shape [{x.shape[axis]}] (x.shape"
                             f"[{axis}] of x {list(x.shape)})")
        shape = [1] * x.ndim
        shape[axis] = -1
        s, z = s.reshape(shape), z.reshape(shape)
    if quant_min >= quant_max:
        raise ValueError(f"fake_quantize: quant_min ({quant_min}) must be below quant_max "
                         f"({quant_max})")
    return FakeQuantize.apply(x, s, z.astype(x.array.dtype), quant_min, quant_max)


class _QATMixin:
    """Fake-quantizes the weight (symmetric int8, per output channel) and the input (ranges
    tracked by an exponential moving average in training, frozen in eval)."""

    def _init_qat(self, activation: str, momentum: float) -> None:
        self.activation, self.momentum = activation, momentum
        self.register_buffer("input_range", from_numpy(np.zeros(2, np.float32)))
        self.register_buffer("output_range", from_numpy(np.zeros(2, np.float32)))
        self.register_buffer("observed", from_numpy(np.zeros((), np.int64)))

    def _track(self, buf: Tensor, x: np.ndarray) -> None:
        lo, hi = float(x.min()), float(x.max())
        if int(self.observed.array) == 0:
            buf.array[...] = (lo, hi)
        else:
            buf.array[...] = (1 - self.momentum) * buf.array + self.momentum * np.array((lo, hi))

    def _fq_input(self, x: Tensor) -> Tensor:
        if self.training:
            self._track(self.input_range, x.array)
        qp = qparams_from_range(*self.input_range.array, self.activation)
        lo, hi = qp.qrange
        return fake_quantize(x, qp.scale, qp.zero_point, lo, hi)

    def _fq_weight(self) -> Tensor:
        w = self.weight
        amax = np.abs(w.array.reshape(w.shape[0], -1)).max(axis=1)
        qp = qparams_from_range(-amax, amax, "int8", axis=0)
        return fake_quantize(w, qp.scale, qp.zero_point, *WEIGHT_RANGE, axis=0)

    def _after(self, out: Tensor) -> Tensor:
        if self.training:
            self._track(self.output_range, out.array)
            self.observed.array[...] = self.observed.array + 1
        return out


class QATLinear(nn.Linear, _QATMixin):
    """A Linear trained with fake-quantized weights and inputs (see :func:`prepare_qat`)."""

    def __init__(self, in_features, out_features, bias=True, activation="uint8",
                 momentum=0.1) -> None:
        super().__init__(in_features, out_features, bias)
        self._init_qat(activation, momentum)

    def forward(self, input):
        return self._after(F.linear(self._fq_input(input), self._fq_weight(), self.bias))


class QATConv2d(nn.Conv2d, _QATMixin):
    """A Conv2d trained with fake-quantized weights and inputs (see :func:`prepare_qat`)."""

    def __init__(self, *args, activation="uint8", momentum=0.1, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._init_qat(activation, momentum)

    def forward(self, input):
        out = F.conv2d(self._fq_input(input), self._fq_weight(), self.bias, self.stride,
                       self.padding, self.dilation, self.groups)
        return self._after(out)


def prepare_qat(model: nn.Module, activation: str = "uint8", momentum: float = 0.1) -> nn.Module:
    """Quantization-aware training, in place: every Linear / Conv2d becomes a QAT layer that
    sees its weights and inputs through :func:`fake_quantize`, so training adapts the weights
    to the int8 grid. Train as usual, then :func:`convert_qat` gives the integer model."""
    if activation not in RANGES:
        raise ValueError(f"prepare_qat: activation must be 'uint8' or 'int8', got "
                         f"{activation!r}")

    def swap(name, m):
        if type(m) is nn.Linear:
            new = QATLinear(m.in_features, m.out_features, m.bias is not None, activation,
                            momentum)
        elif type(m) is nn.Conv2d:
            new = QATConv2d(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding,
                            m.dilation, m.groups, m.bias is not None, activation=activation,
                            momentum=momentum)
        else:
            return None
        new.weight = m.weight
        if m.bias is not None:
            new.bias = m.bias
        return new
    replace_layers(model, swap)
    return model


def convert_qat(model: nn.Module, per_channel: bool = True) -> nn.Module:
    """Replace the QAT layers of a model trained after :func:`prepare_qat` by integer layers,
    with the activation ranges tracked during training. In place; returns the model."""
    def swap(name, m):
        if not isinstance(m, (QATLinear, QATConv2d)):
            return None
        if int(m.observed.array) == 0:
            raise RuntimeError(f"convert_qat: layer '{name}' saw no training batch")
        in_qp = qparams_from_range(*m.input_range.array, m.activation)
        out_qp = qparams_from_range(*m.output_range.array, m.activation)
        cls = QuantizedLinear if isinstance(m, QATLinear) else QuantizedConv2d
        return cls(m, in_qp, out_qp, per_channel)
    replace_layers(model, swap)
    return model.eval()
