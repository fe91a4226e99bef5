"""Probability distributions with torch.distributions' interface: ``Categorical``,
``Normal``, ``Bernoulli`` on the :class:`Distribution` base (batch and event shapes, ``sample``,
``rsample`` where reparameterizable, ``log_prob``, ``entropy``, ``mean``/``variance``,
``validate_args``), and their :mod:`constraints`.

``log_prob`` and ``entropy`` are built from gradlab's differentiable ops, so gradients reach
the parameters (the score-function/REINFORCE estimator: ``(-dist.log_prob(a) * reward)
.backward()``); ``Normal.rsample`` is differentiable through ``loc`` and ``scale`` (the
reparameterization trick). Samplers draw from gradlab's random streams:
``gradlab.manual_seed`` repeats them.
"""

from . import constraints
from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .normal import Normal

__all__ = ["Bernoulli", "Categorical", "Distribution", "Normal", "constraints"]
