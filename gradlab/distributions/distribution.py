"""The base class of the probability distributions (``torch.distributions.Distribution``).

Shapes: a distribution holds a batch of independent distributions (``batch_shape``), each over
events of ``event_shape``. ``sample(sample_shape)`` returns ``sample_shape + batch_shape +
event_shape``; ``log_prob(value)`` takes a value broadcastable to ``batch_shape +
event_shape`` and returns one log-density per event; ``entropy()`` has ``batch_shape``.
"""

from __future__ import annotations

import warnings

from ..autograd import no_grad
from ..tensor import Size, Tensor
from . import constraints
from .utils import fmt, lazy_property

__all__ = ["Distribution"]


def _size(sample_shape) -> Size:
    if isinstance(sample_shape, Tensor) or not hasattr(sample_shape, "__iter__"):
        raise TypeError(f"sample_shape must be a tuple, list or gradlab.Size of ints, got "
                        f"{type(sample_shape).__name__} {sample_shape!r} (write (n,) for n "
                        f"samples)")
    shape = tuple(sample_shape)
    if not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape):
        raise ValueError(f"sample_shape must hold non-negative ints, got {list(shape)}")
    return Size(shape)


class Distribution:
    """Abstract base of the distributions.

    Args:
        batch_shape: the shape over which parameters are batched.
        event_shape: the shape of a single sample.
        validate_args: check the parameters against ``arg_constraints`` now and every value
            given to ``log_prob`` against ``support`` (ValueError on a violation). None: the
            class default, True unless Python runs with ``-O`` (as torch's) and changed by
            :meth:`set_default_validate_args`.
    """

    has_rsample = False
    has_enumerate_support = False
    _validate_args = __debug__

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Turn argument validation on or off for every distribution made later without an
        explicit ``validate_args``."""
        if value not in (True, False):
            raise ValueError(f"set_default_validate_args: expected True or False, got {value!r}")
        Distribution._validate_args = value

    def __init__(self, batch_shape=Size(), event_shape=Size(),
                 validate_args: bool | None = None) -> None:
        self._batch_shape = Size(batch_shape)
        self._event_shape = Size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            try:
                arg_constraints = self.arg_constraints
            except NotImplementedError:
                arg_constraints = {}
                warnings.warn(f"{self.__class__} does not define `arg_constraints`. Please set "
                              "`arg_constraints = {}` or initialize the distribution with "
                              "`validate_args=False` to turn off validation.", stacklevel=2)
            for param, constraint in arg_constraints.items():
                if constraints.is_dependent(constraint):
                    continue
                if param not in self.__dict__ and isinstance(getattr(type(self), param),
                                                             lazy_property):
                    continue  # not given: computed from the other parameter on demand
                value = getattr(self, param)
                with no_grad():
                    valid = bool(constraint.check(value).all().item())
                if not valid:
                    raise ValueError(
                        f"Expected parameter {param} ({type(value).__name__} of shape "
                        f"{tuple(value.shape)}) of distribution {self!r} to satisfy the "
                        f"constraint {constraint!r}, but found invalid values:\n{fmt(value)}")

    @property
    def batch_shape(self) -> Size:
        """The shape over which parameters are batched."""
        return self._batch_shape

    @property
    def event_shape(self) -> Size:
        """The shape of a single sample (without batching)."""
        return self._event_shape

    @property
    def arg_constraints(self) -> dict:
        """Parameter name -> the :mod:`constraints` object it must satisfy."""
        raise NotImplementedError

    @property
    def support(self):
        """The :mod:`constraints` object the values lie in."""
        raise NotImplementedError

    @property
    def mean(self) -> Tensor:
        raise NotImplementedError

    @property
    def mode(self) -> Tensor:
        raise NotImplementedError(f"{self.__class__} does not implement mode")

    @property
    def variance(self) -> Tensor:
        raise NotImplementedError

    @property
    def stddev(self) -> Tensor:
        return self.variance.sqrt()

    def sample(self, sample_shape=Size()) -> Tensor:
        """A sample of shape ``sample_shape + batch_shape + event_shape``, outside the graph."""
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=Size()) -> Tensor:
        """A reparameterized sample: a differentiable function of the parameters and of noise
        that does not depend on them (only where ``has_rsample``)."""
        raise NotImplementedError(f"{self.__class__.__name__} has no reparameterized sample "
                                  f"(has_rsample is False); use sample()")

    def log_prob(self, value: Tensor) -> Tensor:
        """The log of the density or mass function at ``value``."""
        raise NotImplementedError

    def entropy(self) -> Tensor:
        """The entropy of each distribution of the batch; shape ``batch_shape``."""
        raise NotImplementedError

    def enumerate_support(self, expand: bool = True) -> Tensor:
        raise NotImplementedError

    def perplexity(self) -> Tensor:
        """exp(entropy); shape ``batch_shape``."""
        return self.entropy().exp()

    def _extended_shape(self, sample_shape=Size()) -> Size:
        """``sample_shape + batch_shape + event_shape``."""
        return Size(_size(sample_shape) + self._batch_shape + self._event_shape)

    def _validate_sample(self, value) -> None:
        """ValueError (torch's messages) where ``value`` is not a tensor, its rightmost dims
        differ from ``event_shape``, it does not broadcast with ``batch_shape + event_shape`` or
        lies outside ``support``."""
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        shape = Size(value.shape)
        start = len(shape) - len(self._event_shape)
        if shape[start:] != self._event_shape:
            raise ValueError(f"The right-most size of value must match event_shape: {shape!r} vs "
                             f"{self._event_shape!r}.")
        expected = Size(self._batch_shape + self._event_shape)
        for i, j in zip(reversed(shape), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: "
                                 f"{shape!r} vs {expected!r}.")
        try:
            support = self.support
        except NotImplementedError:
            warnings.warn(f"{self.__class__} does not define `support` to enable sample "
                          "validation. Please initialize the distribution with "
                          "`validate_args=False` to turn off validation.", stacklevel=2)
            return
        with no_grad():
            valid = bool(support.check(value).all().item())
        if not valid:
            raise ValueError(
                f"Expected value argument ({type(value).__name__} of shape "
                f"{tuple(value.shape)}) to be within the support ({support!r}) of the "
                f"distribution {self!r}, but found invalid values:\n{fmt(value)}")

    def __repr__(self) -> str:
        names = [k for k in self.arg_constraints if k in self.__dict__]
        shown = [(p, self.__dict__[p]) for p in names]
        args = ", ".join(f"{p}: {fmt(v) if v.numel() == 1 else repr(v.size())}"
                         for p, v in shown)
        return f"{self.__class__.__name__}({args})"
