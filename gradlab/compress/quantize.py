"""Quantization: int8 post-training quantization with an integer inference path. Training
through the rounding (fake quantization) is in ``compress/qat.py``, binary and ternary weights
in ``compress/lowbit.py``.

Source 003 "model acceleration", quantization rows: integer and single-precision quantization.

Affine quantization of a real x with scale s and zero point z (Jacob et al. 2018)::

    q = clamp(round(x / s) + z, q_min, q_max),     x ≈ s (q - z)

Weights are int8, symmetric (z = 0, q in [-127, 127]), one scale per tensor or per output
channel: s = max|w| / 127. Activations are either affine uint8 (q in [0, 255], s = (max - min)
/ 255, z = round(-min / s), with min <= 0 <= max so that 0 is exact) or symmetric int8,
calibrated on sample batches from their min/max or from percentiles (which ignore outliers).

A quantized Linear / Conv2d (:class:`QuantizedLinear`, :class:`QuantizedConv2d`) computes in
integers: the input is quantized, the int8 x int8 products are accumulated in int32 (NumPy
integer matmul; im2col for the convolution), the bias is added as int32 at scale s_x s_w, and
the accumulator is requantized to the layer's calibrated output scale, q_out = clamp(round(acc
· M) + z_out) with M = s_x s_w / s_out, in integers too: M = m0 · 2^-shift with a 31-bit m0
(gemmlowp's fixed-point multiplier), so acc · m0 is an int64 product and the division a
rounding right shift. Between layers the output is dequantized, so activations, pooling
and flattening run unchanged in float on values that are exactly representable in the int8
grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import nn
from ..autograd import no_grad
from ..nn import functional as F
from ..ops import conv as conv_ops
from ..tensor import Tensor, from_numpy
from ._util import replace_layers, saved_size

#: (q_min, q_max) of each activation type; weights use the symmetric int8 range
RANGES = {"uint8": (0, 255), "int8": (-127, 127)}
WEIGHT_RANGE = (-127, 127)


# ----------------------------------------------------------------------------- parameters


@dataclass
class QParams:
    """Scale(s) and zero point(s) of one quantized tensor; ``axis`` is the channel axis of
    per-channel parameters (None: one scale for the tensor)."""

    scale: np.ndarray
    zero_point: np.ndarray
    dtype: str
    axis: int | None = None

    @property
    def qrange(self) -> tuple[int, int]:
        return RANGES[self.dtype]

    def _shaped(self, v: np.ndarray, ndim: int) -> np.ndarray:
        if self.axis is None:
            return v
        shape = [1] * ndim
        shape[self.axis] = -1
        return v.reshape(shape)

    def quantize(self, x: np.ndarray) -> np.ndarray:
        """q = clamp(round(x / s) + z, q_min, q_max) as an integer array of ``dtype``."""
        lo, hi = self.qrange
        s = self._shaped(self.scale, x.ndim)
        z = self._shaped(self.zero_point, x.ndim)
        q = np.clip(np.round(x / s) + z, lo, hi)
        return q.astype(self.dtype)

    def dequantize(self, q: np.ndarray) -> np.ndarray:
        """x = s (q - z), float32."""
        s = self._shaped(self.scale, q.ndim)
        z = self._shaped(self.zero_point, q.ndim)
        return ((q.astype(np.int32) - z) * s).astype(np.float32)


def qparams_from_range(lo, hi, dtype: str = "uint8", axis: int | None = None) -> QParams:
    """The scale and zero point that map the real range [lo, hi] onto ``dtype``.

    The range is widened to include 0 (so zero padding and ReLU zeros are exact). uint8
    (affine): s = (hi - lo) / 255, z = round(-lo / s); int8 (symmetric): s = max(|lo|, |hi|) /
    127, z = 0. A zero range gets s = 1.
    """
    if dtype not in RANGES:
        raise ValueError(f"qparams_from_range: dtype must be one of {sorted(RANGES)}, got "
                         f"{dtype!r}")
    lo = np.minimum(np.asarray(lo, np.float64), 0.0)
    hi = np.maximum(np.asarray(hi, np.float64), 0.0)
    if np.any(hi < lo):
        raise ValueError(f"qparams_from_range: empty range [{lo}, {hi}]")
    qmin, qmax = RANGES[dtype]
    if dtype == "int8":
        scale = np.maximum(np.abs(lo), np.abs(hi)) / qmax
        zp = np.zeros_like(scale)
    else:
        scale = (hi - lo) / (qmax - qmin)
        scale = np.where(scale > 0, scale, 1.0)
        zp = np.clip(np.round(qmin - lo / scale), qmin, qmax)
    scale = np.where(scale > 0, scale, 1.0).astype(np.float32)
    return QParams(scale, zp.astype(np.int32), dtype, axis)


def quantize_weight(w: np.ndarray, per_channel: bool = True) -> tuple[np.ndarray, QParams]:
    """Symmetric int8 weights: s = max|w| / 127 per output channel (axis 0) or per tensor.

    Returns ``(q, qparams)`` with q an int8 array of w's shape.
    """
    w = np.asarray(w, np.float32)
    if per_channel:
        amax = np.abs(w.reshape(w.shape[0], -1)).max(axis=1)
        qp = qparams_from_range(-amax, amax, "int8", axis=0)
    else:
        amax = np.abs(w).max()
        qp = qparams_from_range(-amax, amax, "int8")
    return qp.quantize(w), qp


class MinMaxObserver:
    """Running min and max of everything it sees (calibration of activation ranges)."""

    def __init__(self) -> None:
        self.lo, self.hi = np.inf, -np.inf

    def __call__(self, x: np.ndarray) -> None:
        self.lo = min(self.lo, float(x.min()))
        self.hi = max(self.hi, float(x.max()))

    def range(self) -> tuple[float, float]:
        if self.lo > self.hi:
            raise RuntimeError("MinMaxObserver: no data observed (run calibration batches "
                               "through the model first)")
        return self.lo, self.hi


class PercentileObserver(MinMaxObserver):
    """The range from the (100 - ``percentile``)-th to the ``percentile``-th percentile of the
    values seen (at most ``max_samples`` per batch, taken at even steps), so that rare
    outliers do not stretch the scale."""

    def __init__(self, percentile: float = 99.99, max_samples: int = 100_000) -> None:
        super().__init__()
        if not 50.0 < percentile <= 100.0:
            raise ValueError(f"PercentileObserver: percentile must be in (50, 100], got "
                             f"{percentile}")
        self.percentile, self.max_samples = percentile, max_samples
        self.samples: list[np.ndarray] = []

    def __call__(self, x: np.ndarray) -> None:
        flat = x.reshape(-1)
        step = max(flat.size // self.max_samples, 1)
        self.samples.append(flat[::step].astype(np.float32))

    def range(self) -> tuple[float, float]:
        if not self.samples:
            raise RuntimeError("PercentileObserver: no data observed (run calibration batches "
                               "through the model first)")
        v = np.concatenate(self.samples)
        return (float(np.percentile(v, 100.0 - self.percentile)),
                float(np.percentile(v, self.percentile)))


# ----------------------------------------------------------------------------- integer kernels


def int_linear(xq: np.ndarray, x_zero_point: int, wq: np.ndarray) -> np.ndarray:
    """int32 accumulators of (x_q - z_x) @ w_q^T, computed as x_q @ w_q^T - z_x Σ_k w_q.

    Shape: xq (N, K) uint8 / int8, wq (O, K) int8 -> (N, O) int32.
    """
    w32 = wq.astype(np.int32)
    acc = xq.astype(np.int32) @ w32.T
    if x_zero_point:
        acc -= np.int32(x_zero_point) * w32.sum(axis=1)
    return acc


def int_conv2d(xq: np.ndarray, x_zero_point: int, wq: np.ndarray, stride=(1, 1),
               padding=(0, 0, 0, 0), dilation=(1, 1), groups: int = 1) -> np.ndarray:
    """int32 accumulators of the convolution of (x_q - z_x) with w_q: im2col (the window
    gather of ``gradlab/ops/conv.py``) on the centered integers, zero-padded (the real 0), then
    one int32 GEMM.

    Shape: xq (N, C, H, W), wq (O, C / groups, kh, kw) int8 -> (N, O, Ho, Wo) int32.
    """
    x = xq.astype(np.int32)
    if x_zero_point:
        x -= np.int32(x_zero_point)
    geo = conv_ops.geometry(x.shape, wq.shape, tuple(stride), tuple(padding), tuple(dilation),
                            groups)
    cols = conv_ops.columns(x, geo)
    acc = conv_ops.grouped_matmul(wq.reshape(geo.o, -1).astype(np.int32), cols, groups)
    return np.ascontiguousarray(acc.reshape(geo.o, geo.n, geo.ho, geo.wo).transpose(1, 0, 2, 3))


def fixed_point_multiplier(m) -> tuple[np.ndarray, np.ndarray]:
    """Write each positive real multiplier M as m0 · 2^-shift with m0 an integer in
    [2^30, 2^31) (M = M0 2^e with M0 in [0.5, 1), m0 = round(M0 2^31), shift = 31 - e).

    Shape: m any -> (m0 int64, shift int64), both of m's shape.
    """
    m = np.asarray(m, np.float64)
    if np.any(m <= 0) or not np.all(np.isfinite(m)):
        raise ValueError(f"fixed_point_multiplier: multipliers must be positive and finite, "
                         f"got min {m.min()}")
    frac, exp = np.frexp(m)
    m0 = np.round(frac * (1 << 31)).astype(np.int64)
    carry = m0 == (1 << 31)  # frac rounded up to 1.0
    m0 = np.where(carry, m0 // 2, m0)
    exp = exp + carry
    shift = (31 - exp).astype(np.int64)
    if np.any(shift < 1) or np.any(shift > 62):
        raise ValueError(f"fixed_point_multiplier: multiplier out of range (2^-31 .. 2^30): "
                         f"{m.min()} .. {m.max()}")
    return m0, shift


def requantize(acc: np.ndarray, multiplier, out: QParams) -> np.ndarray:
    """q_out = clamp(round(acc · M) + z_out), M = s_x s_w / s_out (broadcast against acc, e.g.
    one per output channel), computed in integers: (acc · m0 + 2^(shift-1)) >> shift with
    :func:`fixed_point_multiplier` (rounds halves up; |acc| < 2^31 keeps the product in int64).
    """
    lo, hi = out.qrange
    m0, shift = fixed_point_multiplier(multiplier)
    prod = acc.astype(np.int64) * m0
    q = ((prod + (np.int64(1) << (shift - 1))) >> shift) + out.zero_point.astype(np.int64)
    return np.clip(q, lo, hi).astype(out.dtype)


# ----------------------------------------------------------------------------- quantized layers


class _QuantizedLayer(nn.Module):
    """Integer weights, int32 bias and the calibrated input / output quantization parameters,
    kept as buffers (they are what a saved quantized model holds)."""

    def __init__(self, layer: nn.Module, in_qp: QParams, out_qp: QParams,
                 per_channel: bool) -> None:
        super().__init__()
        wq, wqp = quantize_weight(layer.weight.array, per_channel)
        o = wq.shape[0]
        w_scale = np.broadcast_to(wqp.scale, (o,)).astype(np.float32)
        self.register_buffer("weight", from_numpy(wq))
        self.register_buffer("weight_scale", from_numpy(w_scale.copy()))
        acc_scale = (in_qp.scale * w_scale).astype(np.float64)
        if layer.bias is not None:
            bq = np.round(layer.bias.array.astype(np.float64) / acc_scale).astype(np.int32)
            self.register_buffer("bias", from_numpy(bq))
        else:
            self.register_buffer("bias", None)
        # copies: buffers must not share memory with the QParams (or with each other when
        # in_qp is out_qp), since load_state_dict writes into them in place
        self.register_buffer("input_scale", from_numpy(np.array(in_qp.scale, np.float32)))
        self.register_buffer("input_zero_point",
                             from_numpy(np.array(in_qp.zero_point, np.int32)))
        self.register_buffer("output_scale", from_numpy(np.array(out_qp.scale, np.float32)))
        self.register_buffer("output_zero_point",
                             from_numpy(np.array(out_qp.zero_point, np.int32)))
        self.activation_dtype = in_qp.dtype

    @property
    def input_qparams(self) -> QParams:
        return QParams(self.input_scale.array, self.input_zero_point.array, self.activation_dtype)

    @property
    def output_qparams(self) -> QParams:
        return QParams(self.output_scale.array, self.output_zero_point.array,
                       self.activation_dtype)

    def _accumulate(self, xq: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def forward_int(self, xq: np.ndarray) -> np.ndarray:
        """The integer path: quantized input -> quantized output (uint8 / int8)."""
        acc = self._accumulate(xq)
        shape = (1, -1) + (1,) * (acc.ndim - 2)
        if self.bias is not None:
            acc = acc + self.bias.array.reshape(shape)
        m = (self.input_scale.array.astype(np.float64) * self.weight_scale.array
             / self.output_scale.array)
        return requantize(acc, m.reshape(shape), self.output_qparams)

    def forward(self, input: Tensor) -> Tensor:
        xq = self.input_qparams.quantize(input.array)
        return from_numpy(self.output_qparams.dequantize(self.forward_int(xq)))


class QuantizedLinear(_QuantizedLayer):
    """An int8 Linear: y_q = requant((x_q - z_x) W_q^T + b_q) (see the module docstring).

    Shape: (N, in_features) -> (N, out_features), float in and out.
    """

    def __init__(self, layer: nn.Linear, in_qp: QParams, out_qp: QParams,
                 per_channel: bool = True) -> None:
        super().__init__(layer, in_qp, out_qp, per_channel)
        self.in_features, self.out_features = layer.in_features, layer.out_features

    def _accumulate(self, xq):
        lead = xq.shape[:-1]
        acc = int_linear(xq.reshape(-1, xq.shape[-1]), int(self.input_zero_point.array),
                         self.weight.array)
        return acc.reshape(lead + (acc.shape[-1],))

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"activations={self.activation_dtype}")


class QuantizedConv2d(_QuantizedLayer):
    """An int8 Conv2d: integer im2col + int32 GEMM, then requantization.

    Shape: (N, C_in, H, W) -> (N, C_out, Ho, Wo), float in and out.
    """

    def __init__(self, layer: nn.Conv2d, in_qp: QParams, out_qp: QParams,
                 per_channel: bool = True) -> None:
        super().__init__(layer, in_qp, out_qp, per_channel)
        self.stride, self.dilation, self.groups = layer.stride, layer.dilation, layer.groups
        self.pad = F._conv_padding(layer.padding, layer.kernel_size, layer.stride,
                                   layer.dilation, "QuantizedConv2d")
        self.in_channels, self.out_channels = layer.in_channels, layer.out_channels
        self.kernel_size = layer.kernel_size

    def _accumulate(self, xq):
        return int_conv2d(xq, int(self.input_zero_point.array), self.weight.array, self.stride,
                          self.pad, self.dilation, self.groups)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, activations={self.activation_dtype}")


def _observer(kind: str, percentile: float):
    if kind == "minmax":
        return MinMaxObserver()
    if kind == "percentile":
        return PercentileObserver(percentile)
    raise ValueError(f"quantize_model: observer must be 'minmax' or 'percentile', got {kind!r}")


def calibrate(model: nn.Module, batches, observer: str = "minmax", percentile: float = 99.99,
              types: tuple = (nn.Linear, nn.Conv2d)) -> dict:
    """Run ``batches`` (tensors, or (inputs, targets) pairs) through ``model`` in eval mode and
    record the range of each Linear / Conv2d layer's input and output.

    Returns ``{name: (input_observer, output_observer)}``.
    """
    observers, handles = {}, []
    for name, m in model.named_modules():
        if isinstance(m, types):
            obs = (_observer(observer, percentile), _observer(observer, percentile))
            observers[name] = obs

            def hook(mod, args, out, obs=obs):
                obs[0](args[0].array)
                obs[1](out.array)
            handles.append(m.register_forward_hook(hook))
    if not observers:
        raise ValueError(f"calibrate: {type(model).__name__} has no Linear or Conv2d layer")
    was_training = model.training
    model.eval()
    seen = 0
    try:
        with no_grad():
            for batch in batches:
                x = batch[0] if isinstance(batch, (tuple, list)) else batch
                model(x)
                seen += 1
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    if seen == 0:
        raise ValueError("calibrate: no calibration batches were given")
    return observers


def quantize_model(model: nn.Module, calibration_batches, activation: str = "uint8",
                   per_channel: bool = True, observer: str = "minmax",
                   percentile: float = 99.99) -> nn.Module:
    """Post-training int8 quantization, in place: calibrate the activation ranges on
    ``calibration_batches``, then replace every Linear and Conv2d by its integer version.

    ``activation``: "uint8" (affine) or "int8" (symmetric); ``per_channel``: one weight scale
    per output channel, else per tensor; ``observer``: "minmax" or "percentile". Returns the
    model (in eval mode).
    """
    if activation not in RANGES:
        raise ValueError(f"quantize_model: activation must be 'uint8' or 'int8', got "
                         f"{activation!r}")
    if type(model) in (nn.Linear, nn.Conv2d):
        raise TypeError("quantize_model: wrap a single layer in nn.Sequential first (the root "
                        "module is not replaced)")
    observers = calibrate(model, calibration_batches, observer, percentile)

    def convert(name, m):
        if name not in observers:
            return None
        (lo_i, hi_i), (lo_o, hi_o) = observers[name][0].range(), observers[name][1].range()
        in_qp = qparams_from_range(lo_i, hi_i, activation)
        out_qp = qparams_from_range(lo_o, hi_o, activation)
        cls = QuantizedLinear if isinstance(m, nn.Linear) else QuantizedConv2d
        return cls(m, in_qp, out_qp, per_channel)
    replace_layers(model, convert)
    return model.eval()


def model_size(model: nn.Module) -> int:
    """Bytes of ``model.state_dict()`` saved with :func:`gradlab.io.save` (safetensors)."""
    return saved_size(model.state_dict())
