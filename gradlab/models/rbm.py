"""A Bernoulli-Bernoulli restricted Boltzmann machine (Smolensky 1986; Hinton 2002; Deep Learning
book §16.7.1 and §20.2; source 003 "受限玻尔兹曼机广泛应用的原因").

Binary visible units v (n_visible) and hidden units h (n_hidden), energy
``E(v, h) = -b.v - c.h - h.W.v`` and ``p(v, h) = exp(-E(v, h)) / Z``. There are no
visible-visible or hidden-hidden connections, so both conditionals factorize and are exact:
``p(h_j = 1 | v) = sigmoid(c_j + W_j.v)`` and ``p(v_i = 1 | h) = sigmoid(b_i + (h W)_i)``. Summing
out h gives the free energy ``F(v) = -b.v - sum_j softplus(c_j + W_j.v)`` with
``p(v) = exp(-F(v)) / Z``. Z itself sums over every state; :meth:`RBM.log_partition` computes it
exactly by enumeration for small machines (at most 2^20 states).
"""

from __future__ import annotations

import math

import numpy as np

from .. import backend, creation, nn
from ..autograd import no_grad
from ..nn import functional as F
from ..nn import init
from ..nn.parameter import Parameter
from ..tensor import Tensor, from_numpy

#: the most units :meth:`RBM.log_partition` enumerates the states of (2^20 states)
MAX_ENUMERATED_UNITS = 20


def all_binary_states(n: int, dtype=np.float64) -> np.ndarray:
    """Every binary vector of length ``n`` as the rows of a (2^n, n) array, row k being the
    binary digits of k (most significant first)."""
    if not 0 <= n <= MAX_ENUMERATED_UNITS:
        raise ValueError(f"all_binary_states: n must be in 0..{MAX_ENUMERATED_UNITS}, got {n}")
    k = np.arange(2 ** n, dtype=np.int64)[:, None]
    bits = (k >> np.arange(n - 1, -1, -1, dtype=np.int64)[None, :]) & 1
    return bits.astype(dtype)


def _softplus(x: Tensor) -> Tensor:
    # the exact log(1 + e^x) for every x (no linear branch: the threshold is infinite)
    return F.softplus(x, 1.0, math.inf)


def _uniform(shape, rng) -> np.ndarray:
    """U[0, 1) draws from ``rng``: a numpy Generator, a gradlab Generator, or None (gradlab's
    global stream, seeded by ``gradlab.manual_seed``)."""
    if isinstance(rng, np.random.Generator):
        return rng.random(shape)
    return backend.rng(rng, "RBM.sample").random(shape)


class RBM(nn.Module):
    """A Bernoulli-Bernoulli restricted Boltzmann machine.

    Parameters: ``W`` (n_hidden, n_visible) (laid out like ``nn.Linear(n_visible,
    n_hidden).weight``), visible bias ``b`` (n_visible,), hidden bias ``c`` (n_hidden,). They
    start as W ~ N(0, 0.01^2) (from ``generator``, or gradlab's global stream), b = c = 0.

    Energy ``E(v, h) = -b.v - c.h - h.W.v``. Every method is batched: ``v`` is (B, n_visible),
    ``h`` is (B, n_hidden) (0/1 values for samples; any real values are accepted, as
    probabilities are in mean-field use).

    * :meth:`free_energy` (B,), :meth:`prob_h` (B, n_hidden), :meth:`prob_v` (B, n_visible):
      built from gradlab ops, so autograd differentiates them;
    * :meth:`sample_h`, :meth:`sample_v`, :meth:`gibbs`: Bernoulli samples, no gradient;
    * :meth:`cd_loss`: the contrastive-divergence surrogate whose gradient is the CD-k estimate;
    * :meth:`log_partition`, :meth:`log_likelihood`: exact, by enumerating 2^n states.

    ``forward(v)`` is :meth:`free_energy`.
    """

    def __init__(self, n_visible: int, n_hidden: int, dtype=None, generator=None) -> None:
        super().__init__()
        for name, n in (("n_visible", n_visible), ("n_hidden", n_hidden)):
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
                raise ValueError(f"RBM: {name} must be a positive integer, got {n!r}")
        self.n_visible, self.n_hidden = int(n_visible), int(n_hidden)
        self.W = Parameter(creation.empty(self.n_hidden, self.n_visible, dtype=dtype))
        self.b = Parameter(creation.zeros(self.n_visible, dtype=dtype))
        self.c = Parameter(creation.zeros(self.n_hidden, dtype=dtype))
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        """W ~ N(0, 0.01^2), b = c = 0."""
        init.normal_(self.W, 0.0, 0.01, generator=generator)
        init.zeros_(self.b)
        init.zeros_(self.c)

    def extra_repr(self) -> str:
        return f"n_visible={self.n_visible}, n_hidden={self.n_hidden}"

    # ------------------------------------------------------------------ shapes

    def _units(self, x, width: int, what: str, method: str) -> Tensor:
        if not isinstance(x, Tensor):
            if isinstance(x, np.ndarray):
                x = from_numpy(x.astype(self.W.array.dtype))
            else:
                raise TypeError(f"RBM.{method}: {what} must be a Tensor of shape (B, {width}), "
                                f"got {type(x).__name__}")
        if x.ndim != 2 or x.shape[1] != width:
            raise ValueError(f"RBM.{method}: {what} must have shape (B, {width}) for this "
                             f"RBM(n_visible={self.n_visible}, n_hidden={self.n_hidden}), got "
                             f"{tuple(x.shape)}")
        return x

    # ------------------------------------------------------------ the energy

    def energy(self, v, h) -> Tensor:
        """E(v, h) = -b.v - c.h - h.W.v. Shapes: v (B, n_visible), h (B, n_hidden) -> (B,)."""
        v = self._units(v, self.n_visible, "v", "energy")
        h = self._units(h, self.n_hidden, "h", "energy")
        if v.shape[0] != h.shape[0]:
            raise ValueError(f"RBM.energy: v and h must have the same batch size, got "
                             f"{tuple(v.shape)} and {tuple(h.shape)}")
        return -(v @ self.b) - (h @ self.c) - ((h @ self.W) * v).sum(1)

    def free_energy(self, v) -> Tensor:
        """F(v) = -b.v - sum_j softplus(c_j + W_j.v), so that p(v) = exp(-F(v)) / Z.

        Shape: v (B, n_visible) -> (B,)."""
        v = self._units(v, self.n_visible, "v", "free_energy")
        return -(v @ self.b) - _softplus(v @ self.W.t() + self.c).sum(1)

    def forward(self, v) -> Tensor:
        return self.free_energy(v)

    def free_energy_hidden(self, h) -> Tensor:
        """The hidden side's free energy F(h) = -c.h - sum_i softplus(b_i + (h W)_i), so that
        p(h) = exp(-F(h)) / Z. Shape: h (B, n_hidden) -> (B,)."""
        h = self._units(h, self.n_hidden, "h", "free_energy_hidden")
        return -(h @ self.c) - _softplus(h @ self.W + self.b).sum(1)

    # ----------------------------------------------------------- conditionals

    def prob_h(self, v) -> Tensor:
        """p(h_j = 1 | v) = sigmoid(c + v W^T). Shape: v (B, n_visible) -> (B, n_hidden)."""
        v = self._units(v, self.n_visible, "v", "prob_h")
        return F.sigmoid(v @ self.W.t() + self.c)

    def prob_v(self, h) -> Tensor:
        """p(v_i = 1 | h) = sigmoid(b + h W). Shape: h (B, n_hidden) -> (B, n_visible)."""
        h = self._units(h, self.n_hidden, "h", "prob_v")
        return F.sigmoid(h @ self.W + self.b)

    def sample_h(self, v, rng=None) -> Tensor:
        """A Bernoulli sample of h given v (0/1 values, no gradient). ``rng``: a
        ``numpy.random.Generator``, a ``gradlab.Generator``, or None for gradlab's global
        stream. Shape: v (B, n_visible) -> (B, n_hidden)."""
        v = self._units(v, self.n_visible, "v", "sample_h")
        with no_grad():
            p = self.prob_h(v).array
        return from_numpy((_uniform(p.shape, rng) < p).astype(p.dtype))

    def sample_v(self, h, rng=None) -> Tensor:
        """A Bernoulli sample of v given h (0/1 values, no gradient); ``rng`` as in
        :meth:`sample_h`. Shape: h (B, n_hidden) -> (B, n_visible)."""
        h = self._units(h, self.n_hidden, "h", "sample_v")
        with no_grad():
            p = self.prob_v(h).array
        return from_numpy((_uniform(p.shape, rng) < p).astype(p.dtype))

    def gibbs(self, v, k: int = 1, rng=None) -> Tensor:
        """v after ``k`` steps of block Gibbs sampling (h ~ p(h|v), then v ~ p(v|h)), without
        gradient. Shape: v (B, n_visible) -> (B, n_visible)."""
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
            raise ValueError(f"RBM.gibbs: k must be an integer >= 0, got {k!r}")
        v = self._units(v, self.n_visible, "v", "gibbs")
        out = from_numpy(v.array.astype(self.W.array.dtype, copy=True))
        for _ in range(int(k)):
            out = self.sample_v(self.sample_h(out, rng), rng)
        return out

    def cd_loss(self, v, k: int = 1, rng=None) -> Tensor:
        """The contrastive-divergence surrogate ``mean F(v) - mean F(v_k)``, v_k from ``k``
        Gibbs steps started at the data and detached. Its gradient is the CD-k estimate of the
        negative log-likelihood gradient: data statistics minus model-sample statistics, e.g.
        dW = -(mean p(h|v) v^T - mean p(h|v_k) v_k^T). Shape: v (B, n_visible) -> scalar."""
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"RBM.cd_loss: k must be an integer >= 1, got {k!r}")
        v = self._units(v, self.n_visible, "v", "cd_loss")
        vk = self.gibbs(v, k, rng).detach()
        return self.free_energy(v).mean() - self.free_energy(vk).mean()

    # ------------------------------------------------------- exact likelihood

    def log_partition(self, over: str = "visible") -> Tensor:
        """log Z, exact: the logsumexp of -F over every binary state of the visible units
        (``over="visible"``: 2^n_visible states) or of the hidden side's free energy over
        every hidden state (``over="hidden"``: 2^n_hidden states); both give the same Z.
        Differentiable (autograd goes through the logsumexp). Refuses more than 20 enumerated
        units with a ValueError. Shape: () (a scalar)."""
        if over not in ("visible", "hidden"):
            raise ValueError(f"RBM.log_partition: over must be 'visible' or 'hidden', got "
                             f"{over!r}")
        n = self.n_visible if over == "visible" else self.n_hidden
        if n > MAX_ENUMERATED_UNITS:
            raise ValueError(f"RBM.log_partition: n_{over} = {n} would enumerate 2^{n} states; "
                             f"the exact partition function is limited to n_{over} <= "
                             f"{MAX_ENUMERATED_UNITS}")
        states = from_numpy(_states(n, self.W.array.dtype))
        fe = self.free_energy(states) if over == "visible" else self.free_energy_hidden(states)
        return (-fe).logsumexp(0)

    def log_likelihood(self, v, over: str = "visible") -> Tensor:
        """log p(v) = -F(v) - log Z, exact (see :meth:`log_partition`).

        Shape: v (B, n_visible) -> (B,)."""
        v = self._units(v, self.n_visible, "v", "log_likelihood")
        return -self.free_energy(v) - self.log_partition(over)


_STATES: dict = {}


def _states(n: int, dtype) -> np.ndarray:
    key = (n, np.dtype(dtype).str)
    if key not in _STATES:
        _STATES[key] = all_binary_states(n, dtype)
        _STATES[key].flags.writeable = False
    return _STATES[key]
