"""Binary and ternary weights: XNOR-Net's scaled sign, Ternary Weight Networks' two thresholds,
both trained through a straight-through estimator, and their bit-packed storage.

Source 003 "model acceleration": binary networks (weights in {-1, +1}: less storage, additions
instead of multiplications); XNOR networks (a scaled sign); ternary weights ("a single
threshold becomes two").
"""

from __future__ import annotations

import numpy as np

from .. import nn
from ..autograd import ArrayFunction, no_grad
from ..tensor import Tensor
from ._util import saved_size


class Binarize(ArrayFunction):
    """XNOR-Net weights: w_b = α sign(w), α = mean|w| per output channel (Rastegari et al.
    2016); sign(0) = +1 (BinaryConnect, Courbariaux et al. 2015).

    Straight-through estimator with BinaryConnect's clip: the gradient passes where |w| <= 1.
    """

    # d w_b / d w ≈ 1 where |w| <= 1, else 0
    @staticmethod
    def forward(ctx, w):
        alpha = np.abs(w).reshape(w.shape[0], -1).mean(axis=1)
        ctx.save_for_backward(np.abs(w) <= 1)
        sign = np.where(w >= 0, 1, -1).astype(w.dtype)
        return sign * alpha.reshape((-1,) + (1,) * (w.ndim - 1)).astype(w.dtype)

    @staticmethod
    def backward(ctx, g):
        (inside,) = ctx.saved_tensors
        return g * inside


def ternary_threshold(w: np.ndarray) -> float:
    """Δ = 0.7 · mean|w| (Li & Liu 2016, Ternary Weight Networks)."""
    return 0.7 * float(np.abs(w).mean())


class Ternarize(ArrayFunction):
    """Ternary weights (Li & Liu 2016): two thresholds ±Δ, Δ = 0.7 mean|w|; w_t = α t with
    t = +1 where w > Δ, -1 where w < -Δ, 0 between, and α = mean of |w| over |w| > Δ (the
    scale that minimises ||w - α t||). Straight-through estimator: d w_t / d w ≈ 1.
    """

    # d w_t / d w ≈ 1 (straight through)
    @staticmethod
    def forward(ctx, w):
        delta = ternary_threshold(w)
        t = (w > delta).astype(w.dtype) - (w < -delta).astype(w.dtype)
        big = t != 0
        alpha = np.abs(w[big]).mean() if big.any() else 0.0
        return (t * alpha).astype(w.dtype)

    @staticmethod
    def backward(ctx, g):
        return g


def binarize(w: Tensor) -> Tensor:
    """α sign(w) per output channel with a straight-through gradient (:class:`Binarize`)."""
    return Binarize.apply(w)


def ternarize(w: Tensor) -> Tensor:
    """α · {-1, 0, +1} with thresholds ±0.7 mean|w| (:class:`Ternarize`)."""
    return Ternarize.apply(w)


class _WeightQuantHook:
    """Forward pre-hook: ``weight = f(weight_latent)`` with f = binarize or ternarize."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.fn = {"binary": binarize, "ternary": ternarize}[mode]

    def __call__(self, module, args) -> None:
        object.__setattr__(module, "weight", self.fn(module.weight_latent))


def low_bit_weights_(model: nn.Module, mode: str = "ternary",
                     types: tuple = (nn.Linear, nn.Conv2d)) -> nn.Module:
    """Train with binary or ternary weights, in place: each Linear / Conv2d keeps its float
    weight as the Parameter ``weight_latent`` (updated by the optimizer through the
    straight-through gradient) and uses ``binarize`` / ``ternarize`` of it in the forward pass.
    :func:`freeze_low_bit_weights_` stores the final low-bit weights."""
    if mode not in ("binary", "ternary"):
        raise ValueError(f"low_bit_weights_: mode must be 'binary' or 'ternary', got {mode!r}")
    for _, m in model.named_modules():
        if isinstance(m, types):
            w = m._parameters.pop("weight", None)
            if w is None:
                raise ValueError(f"low_bit_weights_: {type(m).__name__} has no plain 'weight' "
                                 "parameter (already converted or pruned?)")
            m.register_parameter("weight_latent", w)
            hook = _WeightQuantHook(mode)
            m.register_forward_pre_hook(hook)
            hook(m, ())
    return model


def freeze_low_bit_weights_(model: nn.Module) -> nn.Module:
    """Replace each ``weight_latent`` by the plain Parameter ``weight`` = its binary / ternary
    value and drop the hook."""
    for m in model.modules():
        for key, hook in list(m._forward_pre_hooks.items()):
            if isinstance(hook, _WeightQuantHook):
                with no_grad():
                    w = hook.fn(m.weight_latent).array.copy()
                del m._forward_pre_hooks[key]
                del m._parameters["weight_latent"]
                m.__dict__.pop("weight", None)
                m.register_parameter("weight", nn.Parameter(w))
    return model


def pack_low_bit(w: np.ndarray, mode: str) -> dict[str, np.ndarray]:
    """The storage of binary or ternary weights: 1 bit (binary) or 2 bits (ternary) per entry
    packed into uint8, plus the float32 scale(s). Inverse: :func:`unpack_low_bit`."""
    w = np.asarray(w, np.float32)
    rows = np.abs(w.reshape(w.shape[0], -1))
    if mode == "binary" and not np.all(rows == rows.max(axis=1, keepdims=True)):
        raise ValueError("pack_low_bit: binary weights must be ±α per output channel (call "
                         "freeze_low_bit_weights_ first)")
    if mode == "ternary" and not np.all((rows == 0) | (rows == rows.max())):
        raise ValueError("pack_low_bit: ternary weights must take the values {-α, 0, α} "
                         "(call freeze_low_bit_weights_ first)")
    if mode == "binary":
        alpha = np.abs(w.reshape(w.shape[0], -1)).max(axis=1)
        return {"bits": np.packbits((w >= 0).reshape(-1)), "scale": alpha.astype(np.float32),
                "shape": np.asarray(w.shape, np.int64)}
    if mode == "ternary":
        codes = (np.sign(w) + 1).astype(np.uint8).reshape(-1)  # 0, 1, 2
        pad = (-codes.size) % 4
        codes = np.concatenate([codes, np.ones(pad, np.uint8)]).reshape(-1, 4)
        packed = codes[:, 0] | codes[:, 1] << 2 | codes[:, 2] << 4 | codes[:, 3] << 6
        scale = np.abs(w).max()
        return {"bits": packed.astype(np.uint8), "scale": np.asarray([scale], np.float32),
                "shape": np.asarray(w.shape, np.int64)}
    raise ValueError(f"pack_low_bit: mode must be 'binary' or 'ternary', got {mode!r}")


def unpack_low_bit(packed: dict[str, np.ndarray], mode: str) -> np.ndarray:
    """The float32 weights stored by :func:`pack_low_bit`."""
    shape = tuple(int(s) for s in packed["shape"])
    n = int(np.prod(shape))
    if mode == "binary":
        sign = np.unpackbits(packed["bits"])[:n].astype(np.float32) * 2 - 1
        return (sign.reshape(shape[0], -1) * packed["scale"][:, None]).reshape(shape)
    b = packed["bits"]
    codes = np.stack([b & 3, (b >> 2) & 3, (b >> 4) & 3, (b >> 6) & 3], axis=1).reshape(-1)
    return ((codes[:n].astype(np.float32) - 1) * packed["scale"][0]).reshape(shape)


def low_bit_size(model: nn.Module, mode: str, types: tuple = (nn.Linear, nn.Conv2d)) -> int:
    """Bytes on disk of ``model`` with the weights of its Linear / Conv2d layers packed by
    :func:`pack_low_bit` and everything else float32 (safetensors via gradlab.io)."""
    state: dict = {}
    packed_names = set()
    for name, m in model.named_modules():
        if isinstance(m, types):
            pre = f"{name}." if name else ""
            for k, v in pack_low_bit(m.weight.array, mode).items():
                state[f"{pre}weight.{k}"] = v
            packed_names.add(f"{pre}weight")
    for k, v in model.state_dict().items():
        if k not in packed_names and not k.endswith("weight_latent"):
            state[k] = v
    return saved_size(state)
