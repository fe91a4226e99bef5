"""Fit the rational approximation of tanh used by gradlab's numba kernels and print its error.

    python scripts/fit_tanh.py [--m 4] [--n 4] [--clamp 9]

tanh(x) = x P(x^2) / Q(x^2) for |x| <= clamp (+-1 beyond), P of degree m and Q of degree n in
s = x^2, P(0) = Q(0) = 1 so that tanh(x) = x (1 + O(x^2)) near 0. The coefficients minimize
the largest RELATIVE error of P/Q against f(s) = tanh(sqrt s) / sqrt s on [0, clamp^2]
(relative error of tanh itself; it bounds the absolute error since |tanh| <= 1), found in
float64 by a linearized least-squares fit (P - f Q weighted by 1 / (f Q_prev), so that the
linear residual approximates the relative error) iterated to convergence, with Lawson's
reweighting of the points (weights grow where the error is largest) to move from least squares
toward the minimax (equioscillating) solution.

Prints the coefficients (lowest degree first, the literals pasted into
``gradlab/ops/_rnn_kernels.py``), the fit's max relative error in float64, and the max
absolute / relative error of the approximation evaluated in float32 and float64 arithmetic
on every float32 in [-clamp - 1, clamp + 1] sampled densely, against float64 ``np.tanh``.
"""

from __future__ import annotations

import argparse

import numpy as np


def fit(m: int, n: int, clamp: float, points: int = 4000, iters: int = 60):
    """(p, q): the coefficients of P and Q, lowest first, p[0] = q[0] = 1."""
    # Chebyshev points on [0, clamp] in x (dense near both ends), then s = x^2
    k = np.arange(points)
    x = clamp * 0.5 * (1 - np.cos(np.pi * (k + 0.5) / points))
    s = x * x
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.where(x > 0, np.tanh(x) / np.where(x > 0, x, 1), 1.0)
    # unknowns: p1..pm, q1..qn; P(s) - f Q(s) = 0  ->  sum p_j s^j - f sum q_j s^j = f - 1
    A = np.concatenate([s[:, None] ** np.arange(1, m + 1),
                        -f[:, None] * s[:, None] ** np.arange(1, n + 1)], axis=1)
    rhs = f - 1.0
    q_prev = np.ones_like(s)
    lawson = np.ones_like(s) / len(s)
    p = q = None
    for _ in range(iters):
        w = np.sqrt(lawson) / (f * q_prev)
        sol, *_ = np.linalg.lstsq(A * w[:, None], rhs * w, rcond=None)
        p = np.r_[1.0, sol[:m]]
        q = np.r_[1.0, sol[m:]]
        Q = np.polynomial.polynomial.polyval(s, q)
        rel = np.polynomial.polynomial.polyval(s, p) / Q / f - 1
        q_prev = Q
        lawson = lawson * np.abs(rel)
        lawson /= lawson.sum()
    return p, q, float(np.abs(rel).max())


def evaluate(x: np.ndarray, p, q, clamp: float, dtype) -> np.ndarray:
    """The kernel's formula in the given arithmetic, on float32 inputs."""
    x = x.astype(dtype)
    s = x * x
    P = np.full_like(x, p[-1], dtype=dtype)
    for c in p[-2::-1]:
        P = P * s + dtype(c)
    Q = np.full_like(x, q[-1], dtype=dtype)
    for c in q[-2::-1]:
        Q = Q * s + dtype(c)
    with np.errstate(invalid="ignore", over="ignore"):
        y = x * P / Q
    y = np.where(x > clamp, dtype(1), np.where(x < -clamp, dtype(-1), y))
    return y.astype(np.float32)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--m", type=int, default=4, help="degree of P in x^2")
    ap.add_argument("--n", type=int, default=4, help="degree of Q in x^2")
    ap.add_argument("--clamp", type=float, default=9.0)
    a = ap.parse_args()
    p, q, err = fit(a.m, a.n, a.clamp)
    print(f"P (x^2 powers 0..{a.m}): {[float(v) for v in p]}")
    print(f"Q (x^2 powers 0..{a.n}): {[float(v) for v in q]}")
    print("literals:")
    print("  P = (" + ", ".join(repr(float(v)) for v in p) + ")")
    print("  Q = (" + ", ".join(repr(float(v)) for v in q) + ")")
    print(f"fit: max relative error of P/Q on [0, {a.clamp}] in float64: {err:.3e}")
    x = np.linspace(-a.clamp - 1, a.clamp + 1, 4_000_001, dtype=np.float32)
    x = np.r_[x, np.float32(a.clamp) * np.float32([1 - 1e-7, 1, 1 + 1e-7])]
    ref = np.tanh(x.astype(np.float64))
    small = np.abs(x) < 1e-3
    for dt in (np.float32, np.float64):
        y = evaluate(x, p, q, a.clamp, dt).astype(np.float64)
        ab = np.abs(y - ref).max()
        rel = (np.abs(y - ref)[small & (x != 0)] / np.abs(ref[small & (x != 0)])).max()
        print(f"evaluated in {np.dtype(dt).name}: max abs error {ab:.3e}, "
              f"max rel error for |x| < 1e-3 {rel:.3e}")


if __name__ == "__main__":
    main()
