"""Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, ParamsT


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum), as ``torch.optim.SGD``.

    For each parameter θ with gradient ∇f(θ), at step t (γ = lr, λ = weight_decay,
    μ = momentum, τ = dampening)::

        g_t = ∇f(θ_{t-1})                 (-∇f with maximize)
        g_t = g_t + λ θ_{t-1}             if λ ≠ 0   (L2 weight decay, seed 002 eq. 7)
        if μ ≠ 0:
            b_t = g_t                     at t = 1
            b_t = μ b_{t-1} + (1 - τ) g_t at t > 1
            g_t = g_t + μ b_t             with nesterov
            g_t = b_t                     without
        θ_t = θ_{t-1} - γ g_t

    With λ ≠ 0 and μ = 0 this is w ← (1 - γλ) w - γ ∇J(w), the update of a loss with the
    penalty (λ/2)‖w‖² (seed 002 eq. 7). Nesterov's form is Sutskever et al. 2013's, as in
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
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def step(self, closure: Callable[[], Any] | None = None):
        """Update every parameter that has a gradient (see the class docstring)."""
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, mu, damp = group["lr"], group["momentum"], group["dampening"]
            wd, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                x = p.data
                d = self._effective_grad(x, p.grad.data, wd, maximize)
                if mu != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        b = np.array(d, dtype=x.dtype, copy=True)
                        state["momentum_buffer"] = Tensor._wrap(b)
                    else:
                        b = buf.data
                        b *= mu
                        if damp == 0:
                            b += d
                        else:
                            t = self._scratch(x, 1)
                            np.multiply(d, 1 - damp, out=t)
                            b += t
                    if nesterov:
                        t = self._scratch(x, 1)
                        np.multiply(b, mu, out=t)
                        t += d
                        d = t
                    else:
                        d = b
                t = self._scratch(x, 1)
                np.multiply(d, lr, out=t)
                x -= t
                p._version.v += 1
        return loss
