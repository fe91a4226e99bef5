"""The strong-Wolfe line search of ``optim.LBFGS`` (``torch.optim.lbfgs._strong_wolfe``, itself
ported from torch7's ``lswolfe.lua``; Nocedal & Wright, *Numerical Optimization*, 2nd ed.,
algorithms 3.5 and 3.6).

Along a direction d from the point x, with φ(t) = f(x + t d) and φ'(t) = ∇f(x + t d)·d, a step
t satisfies the strong Wolfe conditions when (c₁ = 1e-4, c₂ = 0.9)::

    φ(t) ≤ φ(0) + c₁ t φ'(0)             (sufficient decrease, Armijo)
    |φ'(t)| ≤ -c₂ φ'(0)                  (curvature)

The search first brackets such a t (growing t by cubic extrapolation within
[t + 0.01 (t - t_prev), 10 t]), then zooms into the bracket by cubic interpolation until a
step satisfies both, the bracket is shorter than ``tolerance_change`` (measured as its length
times max|d|) or ``max_ls`` evaluations are spent.

Scalars follow torch's types: the loss values f are Python floats, the directional derivatives
``gtd`` NumPy scalars of the parameters' dtype (torch's 0-d tensors), so that float32 runs
round where torch's do. Vectors (gradients, d) are 1-D NumPy arrays of all the parameters.

Shape:
    x, d, g: (n,), n the total number of parameter elements.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Scalar = Any  # a Python float or int, or a NumPy floating scalar


def cubic_interpolate(x1: Scalar, f1: Scalar, g1: Scalar, x2: Scalar, f2: Scalar, g2: Scalar,
                      bounds: tuple[Scalar, Scalar] | None = None) -> Scalar:
    """The minimiser of the cubic through (x₁, f₁) and (x₂, f₂) with slopes g₁ and g₂, clipped
    to ``bounds`` (default: the interval between x₁ and x₂); the bounds' midpoint when the cubic
    has no real minimiser (torch7's ``polyinterp.lua``)::

        d₁ = g₁ + g₂ - 3 (f₁ - f₂) / (x₁ - x₂)
        d₂ = √(d₁² - g₁ g₂)
        x* = x₂ - (x₂ - x₁) (g₂ + d₂ - d₁) / (g₂ - g₁ + 2 d₂)      (for x₁ ≤ x₂; mirrored else)
    """
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    # a straight line (d₂ = 0, g₁ = g₂) divides by zero: ±inf, then clipped to the bounds,
    # as torch's 0-d tensors do without a warning
    with np.errstate(divide="ignore", invalid="ignore"):
        d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
        d2_square = d1**2 - g1 * g2
        if d2_square >= 0:
            d2 = np.sqrt(d2_square)
            if x1 <= x2:
                min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
            else:
                min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
            return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def strong_wolfe(obj_func: Callable[[Scalar], tuple[float, np.ndarray]], t: Scalar,
                 d: np.ndarray, f: float, g: np.ndarray, gtd: Scalar, c1: float = 1e-4,
                 c2: float = 0.9, tolerance_change: float = 1e-9,
                 max_ls: int = 25) -> tuple[float, np.ndarray, Scalar, int]:
    """A step t along ``d`` satisfying the strong Wolfe conditions (module docstring).

    Args:
        obj_func: ``obj_func(t)`` returns (f(x + t d), ∇f(x + t d)) and leaves the parameters
            at x; the gradient array is fresh (never written afterwards).
        t: the first trial step.
        d: the search direction, (n,).
        f, g, gtd: f(x), ∇f(x) (n,) and ∇f(x)·d.
        c1, c2: the sufficient-decrease and curvature constants.
        tolerance_change: the smallest bracket length (times max|d|) worth zooming into.
        max_ls: the most evaluations of ``obj_func``.

    Returns:
        (f at the step, the gradient there, the step t, the number of evaluations).
    """
    d_norm = np.abs(d).max()
    f_new, g_new = obj_func(t)
    ls_func_evals = 1
    gtd_new = np.dot(g_new, d)

    # bracketing: find an interval containing a step that satisfies the conditions
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            # no sufficient decrease (or worse than the last step): the step lies before t
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            # both conditions hold at t
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            # φ rises again: a minimiser lies between t_prev and t
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        # still descending: extrapolate to a longer step in [t + 0.01 (t - t_prev), 10 t]
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                              bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new, gtd_new
        f_new, g_new = obj_func(t)
        ls_func_evals += 1
        gtd_new = np.dot(g_new, d)
        ls_iter += 1

    if ls_iter >= max_ls:
        # evaluations spent while bracketing: fall back to the interval [0, t] (torch tests
        # ``==`` and fails on a negative max_ls, as max_eval = 0 gives)
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    # zoom: shrink the bracket around a step satisfying the conditions
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0],
                              bracket[1], bracket_f[1], bracket_gtd[1])

        # a trial within 10% of the bracket's ends makes little progress: after two such in a
        # row, or when it lands on (or outside) an end, move it 10% of the length inside
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False

        f_new, g_new = obj_func(t)
        ls_func_evals += 1
        gtd_new = np.dot(g_new, d)
        ls_iter += 1

        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            # no sufficient decrease, or not below the low end: t becomes the high end
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new, gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True  # both conditions hold at t
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                # the slope at t points away from the high end: the old low end replaces it
                bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
                bracket_g[high_pos] = bracket_g[low_pos]
                bracket_gtd[high_pos] = bracket_gtd[low_pos]
            # t becomes the low end
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new, gtd_new

    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals
