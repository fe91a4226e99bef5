"""``nn.utils``: weight normalization (and, with the training floor, gradient clipping)."""

from .weight_norm import remove_weight_norm, weight_norm

__all__ = ["weight_norm", "remove_weight_norm"]
