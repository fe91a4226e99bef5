"""Adam (Kingma & Ba 2015): momentum on the gradient plus RMSProp-style scaling, with bias
correction of both moving averages (source 004 §3.3: "Adam ≈ momentum + RMSprop")."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..tensor import Tensor, from_numpy
from .optimizer import Optimizer, ParamsT, _ema_square_, _lerp_


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam``.

    For each parameter θ, at step t (γ = lr, β₁, β₂ = betas, ε = eps, λ = weight_decay)::

        g_t = ∇f(θ_{t-1})                       (-∇f with maximize)
        θ_{t-1} = (1 - γλ) θ_{t-1}              if decoupled_weight_decay (AdamW)
        g_t = g_t + λ θ_{t-1}                   otherwise, if λ ≠ 0 (L2)
        m_t = β₁ m_{t-1} + (1 - β₁) g_t
        v_t = β₂ v_{t-1} + (1 - β₂) g_t²
        v̂_t = max(v̂_{t-1}, v_t)                with amsgrad, else v̂_t = v_t
        θ_t = θ_{t-1} - γ / (1 - β₁ᵗ) · m_t / (√v̂_t / √(1 - β₂ᵗ) + ε)

    m₀ = v₀ = 0. Source 004 §3.3 writes the denominator as √(Ĝ_t + ε); PyTorch (and gradlab)
    add ε after the square root. State per parameter: ``step`` (a float), ``exp_avg`` (m),
    ``exp_avg_sq`` (v) and, with amsgrad, ``max_exp_avg_sq`` (v̂).

    Args:
        params: parameters or parameter groups.
        lr: γ (default 1e-3).
        betas: (β₁, β₂), each in [0, 1) (default (0.9, 0.999)).
        eps: ε (default 1e-8).
        weight_decay: λ (default 0).
        amsgrad: use the running maximum of v (Reddi et al. 2018).
        maximize: ascend the objective instead of descending.
        foreach: accepted for PyTorch compatibility; gradlab has a single NumPy implementation.
        decoupled_weight_decay: decay θ directly instead of adding λθ to the gradient (AdamW).
    """

    _state_arrays = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False,
                 decoupled_weight_decay: bool = False) -> None:
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    _nonnegative = ("eps", "weight_decay")

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        betas = group["betas"]
        name = type(self).__name__
        if len(betas) != 2 or any(isinstance(b, Tensor) for b in betas):
            raise ValueError(f"{name}: betas must be a pair of floats, got {betas!r}")
        for i, b in enumerate(betas):
            if not isinstance(b, numbers.Real):
                raise TypeError(f"{name}: beta parameter at index {i} must be a number, got "
                                f"{type(b).__name__} betas={betas!r}")
            if not 0.0 <= b < 1.0:
                raise ValueError(f"{name}: Invalid beta parameter at index {i}: {b} (expected "
                                 "0 <= beta < 1)")

    def _init_state(self, state: dict[str, Any], theta: np.ndarray,
                    group: dict[str, Any]) -> None:
        state["exp_avg"] = from_numpy(np.zeros_like(theta))  # m₀ = 0
        state["exp_avg_sq"] = from_numpy(np.zeros_like(theta))  # v₀ = 0
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = from_numpy(np.zeros_like(theta))

    def _grad_weight_decay(self, group: dict[str, Any]) -> float:
        # AdamW decays θ in _update instead of adding λθ to the gradient
        return 0 if group.get("decoupled_weight_decay", False) else group["weight_decay"]

    def _update(self, theta: np.ndarray, g: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        """The class docstring's update of one parameter, in place."""
        if group["amsgrad"] and "max_exp_avg_sq" not in state:  # torch's KeyError, explained
            raise KeyError(f"{type(self).__name__}: max_exp_avg_sq: the parameter group was "
                           "given amsgrad=True after the first step, and its state holds no "
                           "max_exp_avg_sq (torch raises this KeyError too); set it before the "
                           "first step")
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        wd = group["weight_decay"]
        step, m, v = state["step"], state["exp_avg"].array, state["exp_avg_sq"].array
        t = self._scratch(theta, 1)
        if wd != 0 and group.get("decoupled_weight_decay", False):
            theta *= 1 - lr * wd  # θ_{t-1} = (1 - γλ) θ_{t-1}
        _lerp_(m, g, 1 - beta1, t)  # m_t = β₁ m_{t-1} + (1 - β₁) g_t
        _ema_square_(v, g, beta2, t)  # v_t = β₂ v_{t-1} + (1 - β₂) g_t²
        step_size = lr / (1 - beta1 ** step)  # γ / (1 - β₁ᵗ)
        bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5  # √(1 - β₂ᵗ)
        if group["amsgrad"]:  # v̂_t = max(v̂_{t-1}, v_t)
            vmax = state["max_exp_avg_sq"].array
            np.maximum(vmax, v, out=vmax)
            v = vmax
        # θ_t = θ_{t-1} - γ / (1 - β₁ᵗ) · m_t / (√v̂_t / √(1 - β₂ᵗ) + ε)
        np.sqrt(v, out=t)
        t /= bias_correction2_sqrt
        t += eps
        np.divide(m, t, out=t)
        t *= -step_size
        theta += t
