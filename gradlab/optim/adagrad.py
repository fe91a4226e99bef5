"""Adagrad (Duchi et al. 2011): per-coordinate step sizes shrinking with the accumulated
squared gradient (source 004 §3.3)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import from_numpy
from .optimizer import Optimizer, ParamsT


class Adagrad(Optimizer):
    """Adagrad, as ``torch.optim.Adagrad``.

    For each parameter θ, at step t (γ = lr, η = lr_decay, λ = weight_decay, ε = eps)::

        g_t = ∇f(θ_{t-1})                     (-∇f with maximize)
        g_t = g_t + λ θ_{t-1}                 if λ ≠ 0
        γ_t = γ / (1 + (t - 1) η)
        G_t = G_{t-1} + g_t²                  G_0 = initial_accumulator_value
        θ_t = θ_{t-1} - γ_t g_t / (√G_t + ε)

    Source 004 §3.3 writes the denominator as √(G_t + ε); PyTorch (and gradlab) add ε after
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
        for group in self.param_groups:  # state from the start, as PyTorch (step's frame
            for p in group["params"]:    # creates it for groups added later)
                self._param_state(p, group)

    def _init_state(self, state: dict[str, Any], theta: np.ndarray,
                    group: dict[str, Any]) -> None:
        state["sum"] = from_numpy(np.full_like(theta, group["initial_accumulator_value"]))

    _nonnegative = ("lr_decay", "weight_decay", "initial_accumulator_value", "eps")

    def _update(self, theta: np.ndarray, g: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        """The class docstring's update of one parameter, in place (``g`` already has λθ)."""
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])  # γ_t
        s, t = state["sum"].array, self._scratch(theta, 1)
        # G_t = G_{t-1} + g_t²
        np.multiply(g, g, out=t)
        s += t
        # θ_t = θ_{t-1} - γ_t g_t / (√G_t + ε)
        np.sqrt(s, out=t)
        t += group["eps"]
        np.divide(g, t, out=t)
        t *= -clr
        theta += t
