"""The categorical distribution over {0, ..., K-1} (``torch.distributions.Categorical``)."""

from __future__ import annotations

import numpy as np

from ..creation import arange, full
from ..functions import multinomial
from ..tensor import Size, Tensor
from . import constraints
from .distribution import Distribution
from .utils import lazy_property, logits_to_probs, probs_to_logits

__all__ = ["Categorical"]


class Categorical(Distribution):
    r"""A categorical distribution given by ``probs`` or by ``logits`` (not both).

    * ``probs``: non-negative, finite, with a positive sum along the last dim; normalised,
      ``probs / probs.sum(-1, keepdim=True)`` (what :attr:`probs` returns).
    * ``logits``: unnormalised log-probabilities, any reals; normalised,
      ``logits - logits.logsumexp(-1, keepdim=True)`` (what :attr:`logits` returns).

    The other parameter is computed on first use: ``probs = softmax(logits)``,
    ``logits = log(clamp(probs, eps, 1 - eps))``. Sampling is :func:`gradlab.multinomial` with
    replacement.

    log p(k) = logits[..., k];  H = -sum_k p_k log p_k (logits clamped at the dtype's lowest
    finite value, so that a category of probability 0 adds 0, not 0 * -inf = nan).

    Shape: ``probs``/``logits`` (\*batch_shape, K); ``sample(sample_shape)``
    (\*sample_shape, \*batch_shape), int64; ``log_prob(value)`` broadcasts ``value`` against
    batch_shape; ``entropy()`` batch_shape.
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs: Tensor | None = None, logits: Tensor | None = None,
                 validate_args: bool | None = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        for name, p in (("probs", probs), ("logits", logits)):
            if p is not None and not isinstance(p, Tensor):
                raise TypeError(f"Categorical: `{name}` must be a Tensor, got "
                                f"{type(p).__name__}")
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(-1, keepdim=True)
        self._param = self.probs if probs is not None else self.logits
        self._num_events = self._param.shape[-1]
        batch_shape = self._param.shape[:-1] if self._param.ndim > 1 else Size()
        super().__init__(batch_shape, validate_args=validate_args)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits)

    @property
    def param_shape(self) -> Size:
        return self._param.shape

    @property
    def mean(self) -> Tensor:
        """NaN (categories are labels), shape batch_shape."""
        return full(self._extended_shape(), float("nan"), dtype=self.probs.dtype)

    @property
    def mode(self) -> Tensor:
        return self.probs.argmax(-1)

    @property
    def variance(self) -> Tensor:
        """NaN, shape batch_shape."""
        return full(self._extended_shape(), float("nan"), dtype=self.probs.dtype)

    def sample(self, sample_shape=Size()) -> Tensor:
        """Indices of shape ``sample_shape + batch_shape``: ``prod(sample_shape)`` draws with
        replacement from every distribution of the batch in one multinomial call."""
        shape = self._extended_shape(sample_shape)
        n = int(np.prod(shape[:len(shape) - len(self._batch_shape)], dtype=np.int64))
        probs_2d = self.probs.detach().reshape(-1, self._num_events)
        return multinomial(probs_2d, n, True).t().reshape(shape)

    def log_prob(self, value: Tensor) -> Tensor:
        """logits[..., value], with ``value`` broadcast against batch_shape."""
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        try:
            shape = tuple(np.broadcast_shapes(tuple(value.shape), tuple(self.logits.shape)))
        except ValueError:
            raise RuntimeError(f"Categorical.log_prob: value of shape {list(value.shape)[:-1]} "
                               f"does not broadcast with batch_shape "
                               f"{list(self._batch_shape)}") from None
        log_pmf = self.logits.expand(*shape)
        index = value.expand(*shape[:-1], 1)
        return log_pmf.gather(-1, index).squeeze(-1)

    def entropy(self) -> Tensor:
        """-sum_k p_k log p_k over the last dim; shape batch_shape."""
        min_real = float(np.finfo(self.logits.array.dtype).min)
        logits = self.logits.clamp(min=min_real)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """0..K-1 along dim 0, shape (K, \\*batch_shape) (``expand=False``: (K, 1, ..., 1))."""
        values = arange(self._num_events).reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand(-1, *self._batch_shape) if expand else values
