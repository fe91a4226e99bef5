"""Adagrad (Duchi et al. 2011): per-coordinate step sizes shrinking with the accumulated
squared gradient (seed 004 §3.3)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, ParamsT


class Adagrad(Optimizer):
    """Adagrad, as ``torch.optim.Adagrad``.

    For each parameter θ, at step t (γ = lr, η = lr_decay, λ = weight_decay, ε = eps)::

        g_t = ∇f(θ_{t-1})                     (-∇f with maximize)
        g_t = g_t + λ θ_{t-1}                 if λ ≠ 0
        γ_t = γ / (1 + (t - 1) η)
        G_t = G_{t-1} + g_t²                  G_0 = initial_accumulator_value
        θ_t = θ_{t-1} - γ_t g_t / (√G_t + ε)

    Seed 004 §3.3 writes the denominator as √(G_t + ε); PyTorch (and gradlab) add ε after
    the square root. The effective step only shrinks, which is Adagrad's known weakness late in
    training. State per parameter, created here as in PyTorch: ``step`` (a float) and ``sum``
    (G).

    Args:
        params: parameters or parameter groups.
        lr: γ (default 1e-2).
        lr_decay: η (default 0).
        weight_decay: λ (default 0).
        initial_accumulator_value: G_0 (default 0).
        eps: ε (default 1e-10).
        foreach: accepted for PyTorch compatibility; gradlab has a single NumPy implementation.
        maximize: ascend the objective instead of descending.
    """

    _state_arrays = ("sum",)

    def __init__(self, params: ParamsT, lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, foreach: bool | None = None, *,
                 maximize: bool = False) -> None:
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value,
                    "foreach": foreach, "maximize": maximize}
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        state = self.state[p]
        state["step"] = 0.0
        state["sum"] = Tensor._wrap(np.full_like(p.data, group["initial_accumulator_value"]))
        return state

    _nonnegative = ("lr_decay", "weight_decay", "initial_accumulator_value", "eps")

    def step(self, closure: Callable[[], Any] | None = None):
        """Update every parameter that has a gradient (see the class docstring)."""
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
            wd, maximize = group["weight_decay"], group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                x = p.data
                state = self.state.get(p) or self._init_state(p, group)  # groups added later
                step = state["step"] = state["step"] + 1.0
                d = self._effective_grad(x, p.grad.data, wd, maximize)
                clr = lr / (1 + (step - 1) * lr_decay)
                s = state["sum"].data
                t = self._scratch(x, 1)
                np.multiply(d, d, out=t)
                s += t
                np.sqrt(s, out=t)
                t += eps
                np.divide(d, t, out=t)
                t *= -clr
                x += t
                p._version.v += 1
        return loss
