"""The strong-Wolfe line search of optim.LBFGS (``gradlab.optim._line_search``) against torch's
``torch.optim.lbfgs._strong_wolfe`` and ``_cubic_interpolate``: one-dimensional functions chosen
so that every branch of the search is taken (extrapolation, both bracketing tests, the zoom's
moves away from the bracket's ends, the bracket-length stop, evaluations running out while
bracketing and while zooming), and LBFGS taking the search to its evaluation limit.

torch is imported unconditionally: without it these tests must fail, never skip.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from torch.optim.lbfgs import _cubic_interpolate, _strong_wolfe

import gradlab
import gradlab.optim as optim
from gradlab.optim._line_search import cubic_interpolate, strong_wolfe


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """torch on one thread for these tiny tensors (as tests/test_optim.py). Restored after."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def test_cubic_interpolate_matches_torch():
    """Random brackets, with and without bounds, including cubics without a real minimiser
    (the midpoint). torch's float64 sqrt is off by an ulp on ~1% of inputs (its vectorised
    kernel, measured on this machine's AVX-512 build), hence 1e-13 and not equality."""
    rng = np.random.default_rng(0)
    midpoints = 0
    for _ in range(300):
        x1, x2 = rng.uniform(-1, 3, 2)
        f1, f2, g1, g2 = rng.standard_normal(4)
        bounds = (min(x1, x2) - 1.0, max(x1, x2) + 2.0) if rng.random() < 0.5 else None
        got = cubic_interpolate(x1, f1, np.float64(g1), x2, f2, np.float64(g2), bounds)
        want = _cubic_interpolate(x1, f1, torch.tensor(g1), x2, f2, torch.tensor(g2), bounds)
        assert float(got) == pytest.approx(float(want), rel=1e-13, abs=1e-15)
        midpoints += (g1 + g2 - 3 * (f1 - f2) / (x1 - x2)) ** 2 < g1 * g2
    assert midpoints > 10


def _sine_bowl(w: float, c: float):
    """φ(x) = sin(w x) + c x², a bowl with ripples (several local minima along the line)."""
    return (lambda x: np.sin(w * x) + c * x**2), (lambda x: w * np.cos(w * x) + 2 * c * x)


def _descent_with_a_step_up():
    """φ(x) = -x + 9.5 σ((x - 6) / 0.3): slope -1 everywhere but a smooth rise of 9.5 at 6.
    From t = 0.1 the search extrapolates to 1, then 10, where φ is below φ(0) but above
    φ(1): a bracket [1, 10] though the slope at 10 is still -1. From t = 1, the same rise seen
    at the second trial does not bracket (torch counts it only from the third)."""
    def sig(z):
        return 1 / (1 + np.exp(-z))

    return ((lambda x: -x + 9.5 * sig((x - 6) / 0.3)),
            (lambda x: -1 + 9.5 / 0.3 * sig((x - 6) / 0.3) * (1 - sig((x - 6) / 0.3))))


#: (name, (f, ∇f), x₀, first step t, max_ls, tolerance_change): each reaches a branch of
#: the search that the LBFGS runs of tests/test_optim_lbfgs.py do not all reach
LINE_SEARCHES = [
    ("extrapolate", (lambda x: (x - 5) ** 2, lambda x: 2 * (x - 5)), 0.0, 0.1, 25, 1e-9),
    ("old-high-becomes-low", (lambda x: x**4 - 3 * x**2 + x, lambda x: 4 * x**3 - 6 * x + 1),
     0.0, 10.0, 25, 1e-9),
    ("push-from-upper-end", _sine_bowl(3, 0.02), 0.5, 30.0, 25, 1e-9),
    ("push-from-lower-end", _sine_bowl(3, 0.05), 0.5, 30.0, 25, 1e-9),
    ("near-an-end-after-a-push", _sine_bowl(11, 0.2), 1.3, 30.0, 25, 1e-9),
    ("worse-than-the-last-trial", _descent_with_a_step_up(), 0.0, 0.1, 25, 1e-9),
    ("worse-than-the-first-trial", _descent_with_a_step_up(), 0.0, 1.0, 4, 1e-9),  # no bracket
    ("bracket-below-tolerance", _sine_bowl(1, 0.02), 2.1, 0.3, 25, 50.0),
    ("evaluations-spent-bracketing", (lambda x: -x, lambda x: -np.ones_like(x)),
     0.0, 1.0, 4, 1e-9),
    ("evaluations-spent-zooming", _sine_bowl(3, 0.02), 0.5, 30.0, 2, 1e-9),
]


@pytest.mark.parametrize("name, fg, x0, t0, max_ls, tol", LINE_SEARCHES,
                         ids=[c[0] for c in LINE_SEARCHES])
def test_strong_wolfe_matches_torch(name, fg, x0, t0, max_ls, tol):
    f, g = fg
    x = np.array([x0, 0.25])
    d = np.array([-np.sign(g(x0)), 0.0])

    def phi(t):  # along d: (f, ∇f) with a second, flat coordinate
        y = x + float(t) * d
        return float(f(y[0])), np.array([g(y[0]), 0.0])

    f0, g0 = phi(0.0)
    gtd = np.dot(g0, d)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the straight line divides by zero silently, as torch
        got = strong_wolfe(phi, t0, d, f0, g0, gtd, tolerance_change=tol, max_ls=max_ls)
    want = _strong_wolfe(lambda _, t, __: tuple(torch.tensor(v) if isinstance(v, np.ndarray)
                                                 else v for v in phi(t)),
                         None, t0, torch.tensor(d), f0, torch.tensor(g0), torch.tensor(gtd),
                         tolerance_change=tol, max_ls=max_ls)
    assert got[3] == want[3] <= max_ls + 1, "evaluations"
    assert float(got[2]) == pytest.approx(float(want[2]), rel=1e-12), "step"
    assert got[0] == pytest.approx(want[0], rel=1e-12, abs=1e-15), "loss"
    np.testing.assert_allclose(got[1], want[1].numpy(), rtol=1e-10, atol=1e-14)


def test_line_search_spends_its_evaluations_on_a_straight_line():
    """f = -Σx never satisfies the curvature condition: the search extrapolates (10x per
    trial) until its max_ls = max_eval - 1 trials after the first are spent, then takes the
    last step, as torch's (so func_evals ends one over max_eval, as torch's does)."""
    g = gradlab.zeros(3, requires_grad=True)
    t = torch.zeros(3, requires_grad=True)
    g_opt = optim.LBFGS([g], max_iter=2, max_eval=5, line_search_fn="strong_wolfe")
    t_opt = torch.optim.LBFGS([t], max_iter=2, max_eval=5, line_search_fn="strong_wolfe")

    def closure(lib, p, opt):
        opt.zero_grad()
        loss = -p.sum()
        loss.backward()
        return loss

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g_opt.step(lambda: closure(gradlab, g, g_opt))
    t_opt.step(lambda: closure(torch, t, t_opt))
    assert g_opt.state[g]["func_evals"] == t_opt.state[t]["func_evals"] == 6
    np.testing.assert_allclose(g.array, t.detach().numpy(), rtol=1e-12)
    assert g.array[0] > 100
