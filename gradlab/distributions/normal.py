"""The normal (Gaussian) distribution (``torch.distributions.Normal``)."""

from __future__ import annotations

import math
import numbers

from ..creation import randn
from ..tensor import Size, Tensor
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["Normal"]


class Normal(Distribution):
    r"""N(loc, scale^2), batched over the broadcast shape of ``loc`` and ``scale``.

    log p(x) = -(x - loc)^2 / (2 scale^2) - log scale - log sqrt(2 pi)
    H = 1/2 + 1/2 log(2 pi) + log scale
    rsample: loc + eps * scale with eps ~ N(0, 1) (the reparameterization trick, Kingma &
    Welling 2014): differentiable through ``loc`` and ``scale``; eps comes from
    :func:`gradlab.randn`, so :func:`gradlab.manual_seed` repeats it.

    Args:
        loc: mean (a number or a tensor).
        scale: standard deviation, > 0 (a number or a tensor).

    Shape: batch_shape = broadcast(loc.shape, scale.shape) (``()`` when both are numbers);
    ``sample``/``rsample(sample_shape)`` (\*sample_shape, \*batch_shape); ``log_prob(value)``
    broadcast(value.shape, batch_shape); ``entropy()`` batch_shape.
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        both_numbers = isinstance(loc, numbers.Real) and isinstance(scale, numbers.Real)
        batch_shape = Size() if both_numbers else self.loc.shape
        super().__init__(batch_shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        return self.stddev.pow(2)

    def rsample(self, sample_shape=Size()) -> Tensor:
        """loc + eps * scale, eps ~ N(0, 1) of shape ``sample_shape + batch_shape``."""
        shape = self._extended_shape(sample_shape)
        eps = randn(*shape, dtype=self.loc.dtype)
        return self.loc + eps * self.scale

    def log_prob(self, value) -> Tensor:
        """The log-density at ``value`` (broadcast against batch_shape)."""
        if self._validate_args:
            self._validate_sample(value)
        var = self.scale ** 2
        return (-((value - self.loc) ** 2) / (2 * var) - self.scale.log()
                - math.log(math.sqrt(2 * math.pi)))

    def entropy(self) -> Tensor:
        """1/2 + 1/2 log(2 pi) + log scale; shape batch_shape."""
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()
