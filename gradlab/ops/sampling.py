"""Random draws on arrays: ``multinomial`` (the sampler behind ``Tensor.multinomial``,
``gradlab.multinomial`` and ``distributions.Categorical.sample``).

Unlike the rest of ``ops/`` these are not ``Function``s: a draw of indices has no gradient, as
in torch (the output is an int64 tensor that does not require grad). The caller passes the NumPy
generator (``backend.rng(generator)``), so ``gradlab.manual_seed`` or a ``gradlab.Generator``
makes every draw repeat.
"""

from __future__ import annotations

import numpy as np


def _check_num_samples(num_samples) -> int:
    if not isinstance(num_samples, (int, np.integer)) or isinstance(num_samples, (bool, np.bool_)):
        raise TypeError(f"multinomial(): argument 'num_samples' (position 2) must be int, not "
                        f"{type(num_samples).__name__}")
    return int(num_samples)


def multinomial(weights: np.ndarray, num_samples, replacement: bool,
                rng: np.random.Generator) -> np.ndarray:
    """Draw ``num_samples`` category indices per row of ``weights``, with probabilities
    proportional to the weights (they need not sum to 1).

    * With replacement: inverse-CDF sampling, u ~ U[0, 1) against each row's normalised
      cumulative sum. Rows are searched in one ``np.searchsorted`` call: row r's CDF is shifted
      to [r, r + 1] and its uniforms by r, so the concatenated CDFs stay sorted (the shift costs
      log2(rows) of float64's 52 bits). A zero weight repeats the previous CDF value, so its
      interval is empty and it is never drawn.
    * Without replacement: the exponential race (Efraimidis & Spirakis 2006): each category gets
      the key E_i / w_i with E_i ~ Exp(1), i.e. the arrival time of a Poisson clock of rate w_i;
      the first category to arrive is distributed as w_i / sum(w), and the order of arrivals is
      that of sequential draws without replacement. The ``num_samples`` smallest keys, in
      increasing order, are the draw (``argpartition`` then a sort of those few). Keys are taken
      in log space, log E_i - log w_i, so tiny weights do not overflow; a zero weight gets +inf.

    Args:
        weights: (K,) or (rows, K) non-negative, finite, each row with a positive sum.
        num_samples: draws per row (> 0; <= the number of non-zero weights of every row
            without replacement).
        replacement: draw with or without replacement.
        rng: the NumPy generator to draw from.

    Returns:
        int64 array of shape (num_samples,) or (rows, num_samples).

    Raises RuntimeError for the conditions torch raises on (its messages, with the values), and
    also where a row has fewer non-zero weights than ``num_samples`` without replacement
    (torch's documentation forbids it; its CPU kernel instead returns zero-weight categories).
    """
    n = _check_num_samples(num_samples)
    if not isinstance(replacement, (bool, np.bool_)):
        raise TypeError(f"multinomial(): argument 'replacement' must be bool, not "
                        f"{type(replacement).__name__}")
    if weights.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{weights.dtype}")
    if weights.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got input of shape "
                           f"{list(weights.shape)}")
    if n <= 0:
        raise RuntimeError(f"multinomial: cannot sample n_sample <= 0 samples "
                           f"(num_samples={n})")
    rows, k = int(np.prod(weights.shape[:-1])), weights.shape[-1]
    w2 = weights.reshape(rows, k).astype(np.float64)
    if not replacement and n > k:
        raise RuntimeError(f"multinomial: cannot sample n_sample > prob_dist.size(-1) samples "
                           f"without replacement (num_samples={n}, {k} categories)")
    if rows == 0:
        return np.zeros(weights.shape[:-1] + (n,), dtype=np.int64)
    if k == 0:
        raise RuntimeError(f"multinomial: cannot sample from a distribution over 0 categories "
                           f"(input of shape {list(weights.shape)})")
    bad = ~np.isfinite(w2) | (w2 < 0)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        where = f"element {c}" if weights.ndim == 1 else f"row {r}, element {c}"
        raise RuntimeError(f"multinomial: probability tensor contains either `inf`, `nan` or "
                           f"element < 0 (at {where}: {w2[r, c]})")
    # scale each row by its largest weight: the sums below cannot overflow
    top = w2.max(axis=1, keepdims=True)
    if (top <= 0).any():
        r = int(np.argmax(top[:, 0] <= 0))
        where = "" if weights.ndim == 1 else f" (row {r} is all zeros)"
        raise RuntimeError(f"multinomial: invalid multinomial distribution (sum of probabilities "
                           f"<= 0){where}")
    w2 = w2 / top
    if replacement:
        out = _with_replacement(w2, n, rng)
    else:
        nonzero = (w2 > 0).sum(axis=1)
        if (nonzero < n).any():
            r = int(np.argmax(nonzero < n))
            where = "" if weights.ndim == 1 else f" (row {r})"
            raise RuntimeError(f"multinomial: cannot sample {n} samples without replacement from "
                               f"{int(nonzero[r])} categories of non-zero probability{where}")
        out = _without_replacement(w2, n, rng)
    return out.reshape(weights.shape[:-1] + (n,))


def _with_replacement(w: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    rows, k = w.shape
    cdf = np.cumsum(w, axis=1)
    cdf /= cdf[:, -1:]
    offset = np.arange(rows, dtype=np.float64)[:, None]
    u = rng.random((rows, n)) + offset
    flat = np.searchsorted((cdf + offset).ravel(), u.ravel(), side="right").reshape(rows, n)
    idx = flat - (np.arange(rows, dtype=np.int64) * k)[:, None]
    # u + r can round up to r + 1 (the end of the row): that draw belongs to the row's last
    # category of non-zero weight
    last = k - 1 - np.argmax(w[:, ::-1] > 0, axis=1)
    return np.minimum(idx, last[:, None]).astype(np.int64, copy=False)


def _without_replacement(w: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    k = w.shape[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        keys = np.where(w > 0, np.log(rng.standard_exponential(w.shape)) - np.log(w), np.inf)
    idx = (np.argpartition(keys, n - 1, axis=1)[:, :n] if n < k
           else np.broadcast_to(np.arange(k), keys.shape))
    order = np.argsort(np.take_along_axis(keys, idx, axis=1), axis=1, kind="stable")
    return np.take_along_axis(idx, order, axis=1).astype(np.int64, copy=False)
