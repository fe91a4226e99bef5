"""Weight penalties to add to a loss: L1 (Σ|w|, drives weights to exactly zero) and L2
(½ Σ w², shrinks them; SCOPE G, source 002 Q2).

Convention: ``l2_penalty`` carries the factor ½ of source 002 eq. (6), so that with the penalty
α·l2_penalty added to the loss J, its gradient is α w and one SGD step is (source 002 eq. 7)::

    w ← w - η (∇J(w) + α w) = (1 - ηα) w - η ∇J(w)

which is exactly ``SGD(params, lr=η, weight_decay=α)`` on J alone. (With adaptive optimizers
the two differ: Adam rescales the penalty's gradient, AdamW's decoupled decay does not.)
"""

from __future__ import annotations

from collections.abc import Iterable

from ... import creation
from ...tensor import Tensor


def _as_list(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def l1_penalty(parameters: Tensor | Iterable[Tensor]) -> Tensor:
    """Σ |w| over every element of every parameter, differentiable (d/dw = sign(w), 0 at 0).

    Shape: a 0-d Tensor; 0.0 for no parameters.
    """
    total = None
    for p in _as_list(parameters):
        term = p.abs().sum()
        total = term if total is None else total + term
    return creation.tensor(0.0) if total is None else total


def l2_penalty(parameters: Tensor | Iterable[Tensor]) -> Tensor:
    """½ Σ w² over every element of every parameter, differentiable (d/dw = w).

    α · l2_penalty(params) added to the loss gives SGD weight decay α (source 002 eq. 7; see
    the module docstring). Shape: a 0-d Tensor; 0.0 for no parameters.
    """
    total = None
    for p in _as_list(parameters):
        term = (p * p).sum()
        total = term if total is None else total + term
    return creation.tensor(0.0) if total is None else total * 0.5
