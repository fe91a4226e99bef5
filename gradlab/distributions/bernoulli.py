"""The Bernoulli distribution over {0, 1} (``torch.distributions.Bernoulli``)."""

from __future__ import annotations

import numbers

from ..autograd import no_grad
from ..creation import arange, bernoulli
from ..nn.functional import binary_cross_entropy_with_logits
from ..tensor import Size, Tensor
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all, lazy_property, logits_to_probs, probs_to_logits

__all__ = ["Bernoulli"]


class Bernoulli(Distribution):
    r"""1 with probability p, 0 with 1 - p; given by ``probs`` (p) or ``logits`` (the log-odds
    log(p / (1 - p))), not both. The other is computed on first use: ``probs = sigmoid(logits)``,
    ``logits = log(p) - log1p(-p)`` of p clamped to [eps, 1 - eps].

    log p(x) = -BCEWithLogits(logits, x) = x logits - softplus(logits)
    H = BCEWithLogits(logits, probs)
    (binary_cross_entropy_with_logits, finite for every logit; its gradient reaches both
    arguments, so the entropy is differentiable through ``probs`` and ``logits``.)

    Shape: batch_shape = the parameter's shape (``()`` for a number); ``sample(sample_shape)``
    (\*sample_shape, \*batch_shape) of the parameter's dtype; ``log_prob(value)``
    broadcast(value.shape, batch_shape); ``entropy()`` batch_shape.
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            is_scalar = isinstance(probs, numbers.Real)
            (self.probs,) = broadcast_all(probs)
        else:
            is_scalar = isinstance(logits, numbers.Real)
            (self.logits,) = broadcast_all(logits)
        self._param = self.probs if probs is not None else self.logits
        super().__init__(Size() if is_scalar else self._param.shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        """1 where p > 1/2, 0 where p < 1/2, NaN at p = 1/2."""
        p = self.probs.detach()
        mode = (p >= 0.5).to(p.dtype)
        return mode.masked_fill(p == 0.5, float("nan"))

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self) -> Size:
        return self._param.shape

    def sample(self, sample_shape=Size()) -> Tensor:
        """0/1 of shape ``sample_shape + batch_shape`` (the parameter's dtype)."""
        shape = self._extended_shape(sample_shape)
        with no_grad():
            return bernoulli(self.probs.detach().expand(*shape))

    def log_prob(self, value: Tensor) -> Tensor:
        """x logits - softplus(logits), ``value`` broadcast against batch_shape."""
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -binary_cross_entropy_with_logits(logits, value.to(logits.dtype),
                                                 reduction="none")

    def entropy(self) -> Tensor:
        """BCEWithLogits(logits, probs); shape batch_shape."""
        return binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """[0., 1.] along dim 0, shape (2, \\*batch_shape) (``expand=False``: (2, 1, ..., 1))."""
        values = arange(2, dtype=self._param.dtype).reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand(-1, *self._batch_shape) if expand else values
