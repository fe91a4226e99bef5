"""Adadelta (Zeiler 2012): RMSprop whose step size is the running RMS of past updates, so no
learning rate needs tuning (source 004 §3.3)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import from_numpy
from .optimizer import Optimizer, ParamsT, _ema_square_


class Adadelta(Optimizer):
    """Adadelta, as ``torch.optim.Adadelta``.

    For each parameter θ, at step t (γ = lr, ρ = rho, ε = eps, λ = weight_decay)::

        g_t = ∇f(θ_{t-1})                       (-∇f with maximize)
        g_t = g_t + λ θ_{t-1}                   if λ ≠ 0
        v_t = ρ v_{t-1} + (1 - ρ) g_t²
        Δθ_t = √(u_{t-1} + ε) / √(v_t + ε) · g_t
        u_t = ρ u_{t-1} + (1 - ρ) Δθ_t²
        θ_t = θ_{t-1} - γ Δθ_t

    v₀ = u₀ = 0; γ = 1 is Zeiler's method (γ only rescales it). State per parameter:
    ``step`` (a float), ``square_avg`` (v), ``acc_delta`` (u).

    Args:
        params: parameters or parameter groups.
        lr: γ (default 1.0).
        rho: ρ in [0, 1] (default 0.9).
        eps: ε (default 1e-6).
        weight_decay: λ (default 0).
        foreach: accepted for PyTorch compatibility; gradlab has a single NumPy implementation.
        maximize: ascend the objective instead of descending.
    """

    _state_arrays = ("square_avg", "acc_delta")

    def __init__(self, params: ParamsT, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 maximize: bool = False) -> None:
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "foreach": foreach}
        super().__init__(params, defaults)

    _nonnegative = ("eps", "weight_decay")

    def _check_group(self, group: dict[str, Any]) -> None:
        if not 0.0 <= group["rho"] <= 1.0:
            raise ValueError(f"Adadelta: Invalid rho value: {group['rho']} (expected 0 <= rho <= "
                             "1)")
        super()._check_group(group)

    def _init_state(self, state: dict[str, Any], theta: np.ndarray,
                    group: dict[str, Any]) -> None:
        state["square_avg"] = from_numpy(np.zeros_like(theta))  # v₀ = 0
        state["acc_delta"] = from_numpy(np.zeros_like(theta))  # u₀ = 0

    def _update(self, theta: np.ndarray, g: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        """The class docstring's update of one parameter, in place (``g`` already has λθ)."""
        rho, eps = group["rho"], group["eps"]
        v, u = state["square_avg"].array, state["acc_delta"].array
        t, delta = self._scratch(theta, 1), self._scratch(theta, 2)
        _ema_square_(v, g, rho, t)  # v_t = ρ v_{t-1} + (1 - ρ) g_t²
        # Δθ_t = √(u_{t-1} + ε) / √(v_t + ε) · g_t
        np.add(v, eps, out=t)
        np.sqrt(t, out=t)
        np.add(u, eps, out=delta)
        np.sqrt(delta, out=delta)
        delta /= t
        delta *= g
        _ema_square_(u, delta, rho, t)  # u_t = ρ u_{t-1} + (1 - ρ) Δθ_t²
        # θ_t = θ_{t-1} - γ Δθ_t
        delta *= group["lr"]
        theta -= delta
