"""Lab experiment e38 (a Bayesian model's effective number of parameters grows with the data):
quick mode for seeds 0, 1 and 2 gives the verdict measured on this project; its numbers are
finite JSON, the numbers its explanation cites are there, its figure is PNG and its checks
pass. ``judge`` reaches all three verdicts from synthetic numbers on both sides of every
threshold, each check fails on broken numbers, and the evidence fit agrees with a direct
computation."""

from __future__ import annotations

import labchecks
import numpy as np
import pytest

from gradlab.lab.experiment import CAVEATS, FAILS, HOLDS

MODULES = {"e38": "e38_effective_parameters"}

# measured in quick mode: the same for seeds 0-2 on OpenBLAS's SkylakeX and Haswell kernels and
# under a 1e-6 jitter
MEASURED = {"e38": HOLDS}

CITED = {"e38": [("gamma_first", ".2f"), ("gamma_last", ".2f"), ("rise", ".2f"),
                 ("dip", ".2f")]}

test_quick_run, test_metadata = labchecks.standard_tests(MODULES, MEASURED, CITED)


def experiment():
    return labchecks.experiment(MODULES["e38"])


def module():
    import importlib
    return importlib.import_module("gradlab.lab.experiments.e38_effective_parameters")


def test_quick_numbers():
    """Seed 0: the median gamma rises at every size, the fitted noise precision is near the
    truth (1 / 0.5^2 = 4) at the largest size, and gamma stays below d."""
    n = labchecks.quick_result(MODULES["e38"], 0).numbers
    assert np.all(np.diff(n["gamma_median"]) > 0)
    assert abs(n["beta_median"][-1] - 4.0) < 0.2
    assert n["gamma_last"] < n["dim"]


def test_evidence_fit_against_a_direct_computation():
    """The fixed point's alpha and beta satisfy MacKay's equations, computed here directly
    from the posterior (S = (alpha I + beta X^T X)^-1, m = beta S X^T y)."""
    m = module()
    x, y = m.dataset(0, 200, 0)
    fit = m.evidence_fit(x, y)
    a, b = fit["alpha"], fit["beta"]
    s = np.linalg.inv(a * np.eye(x.shape[1]) + b * x.T @ x)
    mean = b * s @ x.T @ y
    gamma = x.shape[1] - a * np.trace(s)
    np.testing.assert_allclose(mean, fit["m"], rtol=1e-9)
    assert fit["gamma"] == pytest.approx(gamma, rel=1e-9)
    assert a == pytest.approx(gamma / (mean @ mean), rel=1e-8)
    r = y - x @ mean
    assert b == pytest.approx((len(y) - gamma) / (r @ r), rel=1e-8)


N = {"dim": 20, "sizes": [25, 100, 400, 1600, 6400, 25600], "datasets": 20,
     "gamma_median": [6.0, 8.0, 10.0, 12.0, 14.0, 16.0], "gamma_first": 6.0,
     "gamma_last": 16.0, "rise": 0.5, "dip": 0.0, "fixed_point_change": 1e-11,
     "rounds_max": 60, "gamma_identity_error": 1e-14, "ridge_error": 1e-13,
     "gamma_in_bounds": True}


def _n(**changes):
    return labchecks.with_changes(N, changes)


def test_judge_reaches_every_verdict():
    labchecks.check_reachable(experiment(), [
        (N, HOLDS),
        (_n(rise=0.25), HOLDS),
        (_n(rise=0.249), CAVEATS),
        (_n(rise=0.1), CAVEATS),
        (_n(rise=0.099), FAILS),
        (_n(rise=-0.3), FAILS),
        (_n(dip=0.25), HOLDS),
        (_n(dip=0.26), CAVEATS),
        (_n(rise=0.05, dip=2.0), FAILS),
    ])


def test_judge_wording():
    e = experiment()
    assert "nothing changed but the data" in e.judge(N).explanation
    assert "does not adjust" in e.judge(_n(rise=0.0)).explanation


def test_checks_fail_on_broken_numbers():
    e = experiment()

    def failed(**changes):
        return [c.name for c in e.checks(_n(**changes)) if not c.passed]

    assert failed() == []
    assert failed(fixed_point_change=1e-7) == [
        "the evidence fixed point converged for every data set"]
    assert failed(gamma_identity_error=1e-6) == ["γ = d − α tr(S), S = (αI + βXᵀX)⁻¹"]
    assert failed(ridge_error=1e-6) == ["the posterior mean is the ridge solution with λ = α/β"]
    assert failed(gamma_in_bounds=False) == ["0 ≤ γ ≤ min(N, d) for every data set"]
    assert failed(rise=0.6) == ["the reported rise and dip are those of the medians"]
