"""Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import axpy_
from ..tensor import Tensor, from_numpy
from .optimizer import Optimizer, ParamsT


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum), as ``torch.optim.SGD``.

    For each parameter θ with gradient ∇f(θ), at step t (γ = lr, λ = weight_decay,
    μ = momentum, τ = dampening)::

        g_t = ∇f(θ_{t-1})                 (-∇f with maximize)
        g_t = g_t + λ θ_{t-1}             if λ ≠ 0   (L2 weight decay, source 002 eq. 7)
        if μ ≠ 0:
            b_t = g_t                     at t = 1
            b_t = μ b_{t-1} + (1 - τ) g_t at t > 1
            g_t = g_t + μ b_t             with nesterov
            g_t = b_t                     without
        θ_t = θ_{t-1} - γ g_t

    With λ ≠ 0 and μ = 0 this is w ← (1 - γλ) w - γ ∇J(w), the update of a loss with the
    penalty (λ/2)‖w‖² (source 002 eq. 7). Nesterov's form is Sutskever et al. 2013's, as in
    PyTorch. State per parameter: ``momentum_buffer`` (only when μ ≠ 0).

    Args:
        params: parameters or parameter groups.
        lr: learning rate γ (default 1e-3, PyTorch's).
        momentum: μ (default 0).
        dampening: τ (default 0).
        weight_decay: λ (default 0).
        nesterov: Nesterov momentum; needs μ > 0 and τ = 0.
        maximize: ascend the objective instead of descending.
        foreach: accepted for PyTorch compatibility; gradlab has a single NumPy implementation.
    """

    _state_arrays = ("momentum_buffer",)

    def __init__(self, params: ParamsT, lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None) -> None:
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach}
        super().__init__(params, defaults)

    _nonnegative = ("momentum", "weight_decay")

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        self._check_number(group, "dampening")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"SGD: Nesterov momentum requires a momentum and zero dampening, got "
                             f"momentum={group['momentum']}, dampening={group['dampening']}")

    _counts_steps = False

    def _param_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any] | None:
        # without momentum SGD keeps no state: p gets no entry (PyTorch's state_dict)
        return super()._param_state(p, group) if group["momentum"] != 0 else None

    def _update(self, theta: np.ndarray, g: np.ndarray, state: dict[str, Any] | None,
                group: dict[str, Any]) -> None:
        """The class docstring's update of one parameter, in place (``g`` already has λθ)."""
        lr, mu, damp = group["lr"], group["momentum"], group["dampening"]
        if mu != 0:
            buf = state.get("momentum_buffer")
            if buf is None:  # b_t = g_t at t = 1
                b = np.array(g, dtype=theta.dtype, copy=True)
                state["momentum_buffer"] = from_numpy(b)
            else:  # b_t = μ b_{t-1} + (1 - τ) g_t
                b = buf.array
                b *= mu
                if damp == 0:
                    b += g
                else:
                    t = self._scratch(theta, 1)
                    np.multiply(g, 1 - damp, out=t)
                    b += t
            if group["nesterov"]:  # g_t = g_t + μ b_t
                t = self._scratch(theta, 1)
                np.multiply(b, mu, out=t)
                t += g
                g = t
            else:  # g_t = b_t
                g = b
        # θ_t = θ_{t-1} - γ g_t: one fused pass where BLAS can (as PyTorch's add_ with alpha)
        if axpy_(theta, -lr, g):
            return
        t = self._scratch(theta, 1)
        np.multiply(g, lr, out=t)
        theta -= t
