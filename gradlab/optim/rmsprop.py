"""RMSprop (Hinton's lecture 6e): divide the gradient by a running root mean square of recent
gradients (source 004 §3.3)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import from_numpy
from .optimizer import Optimizer, ParamsT, _ema_square_, _lerp_


class RMSprop(Optimizer):
    """RMSprop, as ``torch.optim.RMSprop``.

    For each parameter θ, at step t (γ = lr, α = alpha, ε = eps, λ = weight_decay,
    μ = momentum)::

        g_t = ∇f(θ_{t-1})                     (-∇f with maximize)
        g_t = g_t + λ θ_{t-1}                 if λ ≠ 0
        v_t = α v_{t-1} + (1 - α) g_t²
        ṽ_t = v_t - ḡ_t²,  ḡ_t = α ḡ_{t-1} + (1 - α) g_t     if centered, else ṽ_t = v_t
        if μ > 0:
            b_t = μ b_{t-1} + g_t / (√ṽ_t + ε)
            θ_t = θ_{t-1} - γ b_t
        else:
            θ_t = θ_{t-1} - γ g_t / (√ṽ_t + ε)

    v₀ = ḡ₀ = b₀ = 0. "centered" (Graves 2013) normalizes by an estimate of the gradient's
    variance instead of its second moment. State per parameter: ``step`` (a float),
    ``square_avg`` (v), ``momentum_buffer`` (b, when μ > 0), ``grad_avg`` (ḡ, when centered).
    The state is made at the first step: turning momentum or centered on later is a KeyError
    naming the missing buffer, as in torch.

    Args:
        params: parameters or parameter groups.
        lr: γ (default 1e-2).
        alpha: smoothing constant α (default 0.99).
        eps: ε (default 1e-8).
        weight_decay: λ (default 0).
        momentum: μ (default 0).
        centered: normalize by the estimated variance.
        foreach: accepted for PyTorch compatibility; gradlab has a single NumPy implementation.
        maximize: ascend the objective instead of descending.
    """

    _state_arrays = ("square_avg", "momentum_buffer", "grad_avg")

    def __init__(self, params: ParamsT, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False, foreach: bool | None = None,
                 maximize: bool = False) -> None:
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay, "foreach": foreach,
                    "maximize": maximize}
        super().__init__(params, defaults)

    _nonnegative = ("eps", "momentum", "weight_decay", "alpha")

    def _init_state(self, state: dict[str, Any], theta: np.ndarray,
                    group: dict[str, Any]) -> None:
        state["square_avg"] = from_numpy(np.zeros_like(theta))  # v₀ = 0
        if group["momentum"] > 0:
            state["momentum_buffer"] = from_numpy(np.zeros_like(theta))  # b₀ = 0
        if group["centered"]:
            state["grad_avg"] = from_numpy(np.zeros_like(theta))  # ḡ₀ = 0

    def _update(self, theta: np.ndarray, g: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        """The class docstring's update of one parameter, in place (``g`` already has λθ)."""
        lr, alpha, eps, mu = group["lr"], group["alpha"], group["eps"], group["momentum"]
        for key, on in (("momentum_buffer", mu > 0), ("grad_avg", group["centered"])):
            if on and key not in state:  # torch's KeyError, with what it means
                arg = "momentum > 0" if key == "momentum_buffer" else "centered=True"
                raise KeyError(f"RMSprop: {key}: the parameter group was given {arg} after "
                               f"the first step, and its state holds no {key} (torch's RMSprop "
                               f"raises this KeyError too); set it before the first step")
        v, t = state["square_avg"].array, self._scratch(theta, 1)
        _ema_square_(v, g, alpha, t)  # v_t = α v_{t-1} + (1 - α) g_t²
        if group["centered"]:
            ga = state["grad_avg"].array
            _lerp_(ga, g, 1 - alpha, t)  # ḡ_t = α ḡ_{t-1} + (1 - α) g_t
            # √ṽ_t = √(v_t - ḡ_t²)
            np.multiply(ga, ga, out=t)
            np.subtract(v, t, out=t)
            np.sqrt(t, out=t)
        else:
            np.sqrt(v, out=t)  # √ṽ_t = √v_t
        # t = g_t / (√ṽ_t + ε)
        t += eps
        np.divide(g, t, out=t)
        if mu > 0:
            b = state["momentum_buffer"].array
            # b_t = μ b_{t-1} + g_t / (√ṽ_t + ε)
            b *= mu
            b += t
            # θ_t = θ_{t-1} - γ b_t
            np.multiply(b, lr, out=t)
            theta -= t
        else:
            # θ_t = θ_{t-1} - γ g_t / (√ṽ_t + ε)
            t *= -lr
            theta += t
