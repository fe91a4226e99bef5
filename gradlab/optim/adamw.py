"""AdamW: Adam with weight decay decoupled from the gradient scaling."""

from __future__ import annotations

from typing import Any

from .adam import Adam
from .optimizer import ParamsT


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019), as ``torch.optim.AdamW``.

    The update is :class:`Adam`'s with ``decoupled_weight_decay=True``: before the Adam step,
    θ_{t-1} ← (1 - γλ) θ_{t-1}; the gradient is not changed by λ, so the decay is not rescaled
    by √v̂. weight_decay defaults to 1e-2.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, decoupled_weight_decay=True)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        for group in self.param_groups:  # an AdamW always decouples, as in PyTorch
            group["decoupled_weight_decay"] = True
