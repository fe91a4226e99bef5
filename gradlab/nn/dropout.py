"""Dropout layers: ``Dropout`` (elements) and ``Dropout2d`` (whole channels), inverted dropout.

In training they zero units with probability p and scale the rest by 1 / (1 - p); in eval mode
(``model.eval()``) they are the identity. Masks come from gradlab's global generator
(``gradlab.manual_seed``). Sources: 003 "dropout", 004 §3.5.
"""

from __future__ import annotations

from . import functional as F
from ._checks import check_probability
from .module import Module


class _DropoutNd(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        check_probability(type(self).__name__, p)
        self.p, self.inplace = p, inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero each element with probability p in training (scaling the rest by 1 / (1 - p)).
    ``inplace`` is computed out of place. Shape: any."""

    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Zero whole channels with probability p in training (scaling the rest by 1 / (1 - p)).
    Shape: (N, C, H, W) (a 3-D input is taken as (N, C, L), as torch)."""

    def forward(self, input):
        return F.dropout2d(input, self.p, self.training, self.inplace)
