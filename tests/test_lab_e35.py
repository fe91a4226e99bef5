"""Lab experiment e35 (weight decay shrinks the optimum along the Hessian's flat directions by
lambda / (lambda + alpha)): it runs in quick mode for seeds 0, 1 and 2 with the verdict measured
on this project, its numbers are finite JSON, the numbers its explanation cites are there, its
figure is a PNG and its checks pass. ``judge`` reaches all three verdicts from synthetic numbers
on both sides of every threshold, each check fails on broken numbers, and the protocol's
helpers (the designed spectrum, the eigen factors) agree with direct computations."""

from __future__ import annotations

import importlib

import labchecks
import numpy as np
import pytest

from gradlab.lab.experiment import CAVEATS, FAILS, HOLDS

MODULES = {"e35": "e35_weight_decay_hessian"}

# the verdict measured in quick mode (the same for seeds 0, 1 and 2, on OpenBLAS's SkylakeX
# and Haswell kernels, and under a 1e-6 jitter)
MEASURED = {"e35": HOLDS}

# numbers the explanation cites, with the format it prints them in
CITED = {"e35": [("factor_largest", ".4f"), ("factor_smallest", ".4f"),
                 ("predicted_largest", ".4f"), ("predicted_smallest", ".4f"),
                 ("lambda_largest", ".3g"), ("lambda_smallest", ".3g"),
                 ("max_deviation", ".1e")]}

test_quick_run, test_metadata = labchecks.standard_tests(MODULES, MEASURED, CITED)


def module():
    return importlib.import_module(f"gradlab.lab.experiments.{MODULES['e35']}")


def experiment():
    return labchecks.experiment(MODULES["e35"])


def test_quick_numbers_tell_the_story():
    """The measured facts behind the verdict, on seed 0: the factor rises with the
    eigenvalue, training converged, and the penalty lowers the condition number."""
    n = labchecks.quick_result(MODULES["e35"], 0).numbers
    assert np.all(np.diff(n["factor"]) > 0) and np.all(np.diff(n["eigenvalues"]) > 0)
    assert n["probe_steps"][0] == 0 and n["probe_steps"][-1] == n["steps"]
    assert n["probe_deviation"][-1] < 1e-9 < n["probe_deviation"][0]
    assert n["cond_penalized"] < n["cond_hessian"] / 50


# ---- helpers against direct computations ----------------------------------------------------


def test_design_has_the_registered_spectrum():
    m = module()
    d = m.design(0)
    h = d["x"].T @ d["x"] / len(d["x"])
    assert np.allclose(np.linalg.eigvalsh(h), np.logspace(-3, 1, 8), rtol=1e-10, atol=0)
    assert d["y"].shape == (100, 1) and m.starts(0, 5).shape == (8, 5)
    assert not np.array_equal(m.design(1)["x"], d["x"])


def test_eigen_factors():
    m = module()
    rng = np.random.default_rng(0)
    v, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    w_star = v @ np.array([1.0, -2.0, 0.5, 3.0])
    w = v @ np.diag([0.1, 0.2, 0.3, 0.4]) @ v.T @ w_star
    f = m.eigen_factors(np.stack([w, 2 * w], axis=1), w_star, v)
    assert np.allclose(f, [[0.1, 0.2, 0.3, 0.4], [0.2, 0.4, 0.6, 0.8]], atol=1e-12)


# ---- judge on synthetic numbers -------------------------------------------------------------

LAM = np.logspace(-3, 1, 8)
PRED = LAM / (LAM + 0.1)
E35 = {
    "dim": 8, "samples": 100, "alpha": 0.1, "lr": 0.09, "starts": 5, "steps": 3000,
    "eigenvalues": list(LAM), "predicted": list(PRED), "factor": list(PRED),
    "lambda_largest": 10.0, "lambda_smallest": 0.001,
    "factor_largest": float(PRED[-1]), "factor_smallest": float(PRED[0]),
    "predicted_largest": float(PRED[-1]), "predicted_smallest": float(PRED[0]),
    "max_deviation": 1e-12, "worst_eigenvalue": 0.1, "start_spread": 1e-11,
    "min_abs_coord_unregularized": 0.4, "trained_vs_ridge_error": 1e-12,
    "decay_vs_l2_loss_error": 0.0, "closed_form_error": 1e-14, "hessian_asymmetry": 0.0,
    "penalized_eigen_error": 1e-15, "design_eigen_error": 1e-13, "cond_hessian": 1e4,
    "cond_penalized": 100.0,
}


def _n(**changes):
    return labchecks.with_changes(E35, changes)


def test_judge_reaches_every_verdict():
    labchecks.check_reachable(experiment(), [
        (E35, HOLDS),
        (_n(max_deviation=0.02), HOLDS),
        (_n(max_deviation=0.0201), CAVEATS),               # curvature-dependent, not λ/(λ+α)
        (_n(factor_largest=0.9), HOLDS),
        (_n(factor_largest=0.8999), FAILS),                # the steep direction is shrunk
        (_n(factor_smallest=0.1), HOLDS),
        (_n(factor_smallest=0.1001), FAILS),               # the flat direction is kept
        (_n(factor_smallest=0.5, max_deviation=0.3), FAILS),
        (_n(factor_largest=0.95, factor_smallest=0.05, max_deviation=0.05), CAVEATS),
    ])


def test_judge_wording():
    e = experiment()
    v = e.judge(_n(max_deviation=0.05, worst_eigenvalue=0.0464))
    assert "not λ/(λ+α) (worst at λ = 0.0464)" in v.explanation
    v = e.judge(_n(factor_largest=0.5))
    assert "not kept" in v.explanation and "not shrunk" not in v.explanation
    v = e.judge(_n(factor_smallest=0.5))
    assert "not shrunk" in v.explanation and "not kept" not in v.explanation
    assert [c.threshold_name for c in v.criteria] == ["factor_tol", "kept_min", "shrunk_max"]


def _failed(numbers):
    return [c.name for c in experiment().checks(numbers) if not c.passed]


@pytest.mark.parametrize("change, broken", [
    ({"closed_form_error": 2e-10}, "closed form"),
    ({"trained_vs_ridge_error": 2e-8}, "the trained"),
    ({"decay_vs_l2_loss_error": 2e-10}, "SGD weight_decay"),
    ({"penalized_eigen_error": 2e-10}, "the penalized"),
    ({"hessian_asymmetry": 1e-11}, "the Hessian"),
    ({"design_eigen_error": 0.02}, "the Hessian"),
    ({"min_abs_coord_unregularized": 0.04}, "the unregularized"),
    ({"start_spread": 2e-6}, "every start"),
    ({"predicted": list(PRED * 1.01)}, "predicted factors"),
    ({"factor_largest": 0.95}, "predicted factors"),
])
def test_checks_fail_on_broken_numbers(change, broken):
    assert not _failed(E35)
    failed = _failed(_n(**change))
    assert len(failed) == 1 and failed[0].startswith(broken), failed
