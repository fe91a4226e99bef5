"""Low-rank factorization by the SVD: a Linear becomes two thinner Linears, a Conv2d a k x k conv
with r filters followed by a 1 x 1 conv, or a 1 x k conv followed by a k x 1 conv (source 003
"model acceleration": factorized convolution, 1 x k and k x 1 in place of k x k; low-rank
decomposition by SVD).

By the Eckart-Young theorem the rank-r truncation W_r = U_r S_r V_r^T is the closest rank-r
matrix to W, and ||W - W_r||_F = sqrt(Σ_{i>r} s_i²): the energy kept is Σ_{i<=r} s_i² / Σ s_i².
The factors are split as (U_r sqrt(S_r)) (sqrt(S_r) V_r^T) so both layers have similar scales.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import nn
from ._util import replace_layers


@dataclass
class Factorization:
    """The SVD of a layer's weight matrix and the chosen rank."""

    u: np.ndarray
    s: np.ndarray
    vt: np.ndarray
    rank: int

    @property
    def energy(self) -> float:
        """Share of Σ s_i² kept by the first ``rank`` singular values."""
        total = float((self.s ** 2).sum())
        return float((self.s[:self.rank] ** 2).sum()) / total if total else 1.0

    @property
    def error(self) -> float:
        """||W - W_r||_F = sqrt(Σ_{i>r} s_i²)."""
        return float(np.sqrt((self.s[self.rank:].astype(np.float64) ** 2).sum()))

    def factors(self) -> tuple[np.ndarray, np.ndarray]:
        """(A, B) with W_r = A @ B: A = U_r sqrt(S_r) (m, r), B = sqrt(S_r) V_r^T (r, n)."""
        r = self.rank
        root = np.sqrt(self.s[:r])
        return ((self.u[:, :r] * root).astype(np.float32),
                (root[:, None] * self.vt[:r]).astype(np.float32))


def rank_for_energy(s: np.ndarray, energy: float) -> int:
    """The smallest r whose singular values keep at least ``energy`` of Σ s_i²."""
    if not 0.0 < energy <= 1.0:
        raise ValueError(f"rank_for_energy: energy must be in (0, 1], got {energy}")
    e = np.cumsum(s.astype(np.float64) ** 2)
    if e[-1] == 0:
        return 1
    return int(min(np.searchsorted(e / e[-1], energy - 1e-12) + 1, len(s)))


def svd(matrix: np.ndarray, rank: int | None = None, energy: float | None = None,
        params: int | None = None) -> Factorization:
    """SVD of a (m, n) matrix truncated to ``rank``, or to the smallest rank keeping
    ``energy``, or to the largest rank whose two factors hold at most ``params`` entries
    (r (m + n) <= params). Exactly one of the three must be given."""
    if sum(v is not None for v in (rank, energy, params)) != 1:
        raise ValueError(f"svd: give exactly one of rank, energy, params (got rank={rank}, "
                         f"energy={energy}, params={params})")
    m, n = matrix.shape
    u, s, vt = np.linalg.svd(matrix.astype(np.float64), full_matrices=False)
    full = len(s)
    if rank is None and energy is not None:
        rank = rank_for_energy(s, energy)
    elif rank is None:
        rank = max(min(int(params) // (m + n), full), 1)
    if not 1 <= rank <= full:
        raise ValueError(f"svd: rank must be in [1, {full}] for a {m}x{n} matrix, got {rank}")
    return Factorization(u, s, vt, int(rank))


def factorize_linear(layer: nn.Linear, rank: int | None = None, energy: float | None = None,
                     params: int | None = None) -> nn.Sequential:
    """Linear(in, out) -> Sequential(Linear(in, r, bias=False), Linear(r, out)) with
    W ≈ (U_r sqrt S_r)(sqrt S_r V_r^T); the bias goes to the second layer.

    Parameters: r (in + out) + out instead of in · out + out.
    Shape: (*, in_features) -> (*, out_features).
    """
    if not isinstance(layer, nn.Linear):
        raise TypeError(f"factorize_linear: expected an nn.Linear, got {type(layer).__name__}")
    f = svd(layer.weight.array, rank, energy, params)
    a, b = f.factors()
    first = nn.Linear(layer.in_features, f.rank, bias=False)
    second = nn.Linear(f.rank, layer.out_features, bias=layer.bias is not None)
    first.weight = nn.Parameter(b)
    second.weight = nn.Parameter(a)
    if layer.bias is not None:
        second.bias = nn.Parameter(layer.bias.array.copy())
    out = nn.Sequential(first, second)
    out.factorization = f
    return out


def _check_conv(fn: str, layer) -> None:
    if not isinstance(layer, nn.Conv2d):
        raise TypeError(f"{fn}: expected an nn.Conv2d, got {type(layer).__name__}")
    if layer.groups != 1:
        raise ValueError(f"{fn}: only groups=1 convolutions are factorized, got groups="
                         f"{layer.groups}")


def factorize_conv2d(layer: nn.Conv2d, rank: int | None = None, energy: float | None = None,
                     params: int | None = None, scheme: str = "channel") -> nn.Sequential:
    """Factorize a Conv2d by the SVD of a reshaped kernel.

    ``scheme="channel"``: W (O, C, kh, kw) as an (O, C kh kw) matrix -> a kh x kw conv with r
    filters (same stride, padding, dilation), then a 1 x 1 conv r -> O with the bias.
    Parameters r (C kh kw + O) instead of O C kh kw.

    ``scheme="spatial"``: W as a (C kw, O kh) matrix M[(c, j), (o, i)] = W[o, c, i, j] -> a
    1 x kw conv C -> r, then a kh x 1 conv r -> O (the factorized convolution of Inception-v3,
    Jaderberg et al. 2014 scheme 2). Parameters r (C kw + O kh).

    At full rank both give the original outputs (up to rounding).
    Shape: (N, C, H, W) -> (N, O, Ho, Wo), as the original.
    """
    _check_conv("factorize_conv2d", layer)
    w = layer.weight.array
    o, c, kh, kw = w.shape
    bias = layer.bias is not None
    if scheme == "channel":
        f = svd(w.reshape(o, -1), rank, energy, params)
        a, b = f.factors()
        first = nn.Conv2d(c, f.rank, (kh, kw), layer.stride, layer.padding, layer.dilation,
                          bias=False)
        second = nn.Conv2d(f.rank, o, 1, bias=bias)
        first.weight = nn.Parameter(b.reshape(f.rank, c, kh, kw))
        second.weight = nn.Parameter(a.reshape(o, f.rank, 1, 1))
    elif scheme == "spatial":
        if isinstance(layer.padding, str):
            raise ValueError(f"factorize_conv2d: scheme='spatial' needs numeric padding, got "
                             f"padding={layer.padding!r}")
        (sh, sw), (ph, pw), (dh, dw) = layer.stride, layer.padding, layer.dilation
        m = w.transpose(1, 3, 0, 2).reshape(c * kw, o * kh)
        f = svd(m, rank, energy, params)
        a, b = f.factors()  # a: (C kw, r), b: (r, O kh)
        first = nn.Conv2d(c, f.rank, (1, kw), (1, sw), (0, pw), (1, dw), bias=False)
        second = nn.Conv2d(f.rank, o, (kh, 1), (sh, 1), (ph, 0), (dh, 1), bias=bias)
        first.weight = nn.Parameter(
            np.ascontiguousarray(a.reshape(c, kw, f.rank).transpose(2, 0, 1)[:, :, None, :]))
        second.weight = nn.Parameter(
            np.ascontiguousarray(b.reshape(f.rank, o, kh).transpose(1, 0, 2)[:, :, :, None]))
    else:
        raise ValueError(f"factorize_conv2d: scheme must be 'channel' or 'spatial', got "
                         f"{scheme!r}")
    if bias:
        second.bias = nn.Parameter(layer.bias.array.copy())
    out = nn.Sequential(first, second)
    out.factorization = f
    return out


def factorize_model(model: nn.Module, energy: float = 0.9, scheme: str = "channel",
                    min_saving: float = 0.0) -> dict[str, int]:
    """Replace each Linear and (groups=1) Conv2d of ``model``, in place, by its factorization
    keeping ``energy`` of the squared singular values, where that saves more than
    ``min_saving`` of the layer's weights (a layer whose rank stays high is left alone).
    Returns the chosen rank per replaced layer name."""
    if not 0.0 < energy <= 1.0:
        raise ValueError(f"factorize_model: energy must be in (0, 1], got {energy}")
    ranks: dict[str, int] = {}

    def swap(name, m):
        if type(m) is nn.Linear:
            new = factorize_linear(m, energy=energy)
        elif type(m) is nn.Conv2d and m.groups == 1:
            new = factorize_conv2d(m, energy=energy, scheme=scheme)
        else:
            return None
        before = m.weight.numel()
        after = sum(layer.weight.numel() for layer in new)
        if after >= (1.0 - min_saving) * before:
            return None
        ranks[name] = new.factorization.rank
        return new
    replace_layers(model, swap)
    return ranks
