"""Lab experiments e33 (Newton's method vs gradient descent on ill-conditioned quadratics) and
e34 (a linear autoencoder spans the PCA subspace): each runs in quick mode for seeds 0, 1 and 2
with the verdict measured on this project; its numbers are finite JSON, the numbers its
explanation cites are there, its figures are PNG and its checks pass; each ``judge`` reaches
all three verdicts from synthetic numbers on both sides of every threshold, and each check
fails on broken numbers."""

from __future__ import annotations

import labchecks
import numpy as np
import pytest

from gradlab.lab.experiment import CAVEATS, FAILS, HOLDS

MODULES = {"e33": "e33_newton_vs_gd", "e34": "e34_linear_autoencoder"}

# the verdicts measured in quick mode (the same for seeds 0, 1 and 2, on OpenBLAS's SkylakeX
# and Haswell kernels, and with a 1e-6 jitter)
MEASURED = {"e33": HOLDS, "e34": HOLDS}

# numbers each explanation cites, with the format it prints them in
CITED = {
    "e33": [("gd_growth", ".1f"), ("newton_growth", ".1f"), ("speedup", ".0f"),
            ("newton_steps_max", ".0f")],
    "e34": [("angle_deg", ".2f"), ("recon_ratio", ".4f"), ("mean_cos", ".2f"),
            ("orthonormality_dev", ".2f")],
}

test_quick_run, test_metadata = labchecks.standard_tests(MODULES, MEASURED, CITED)

with_changes = labchecks.with_changes


def experiment(key: str):
    return labchecks.experiment(MODULES[key])


# ---- e33 ------------------------------------------------------------------------------------

def test_e33_numbers():
    n = labchecks.quick_result(MODULES["e33"], 0).numbers
    runs = np.array(n["gd_steps_runs"])                    # (kappa, lr, start)
    best = np.median(runs, axis=2).min(axis=1)
    assert n["gd_best_steps"] == pytest.approx(best.tolist())
    assert n["gd_growth"] == pytest.approx(best[-1] / best[0])
    assert n["speedup"] == pytest.approx(best[-1] / n["newton_steps"][-1])
    # gradient descent at lr 1/lambda_max needs about kappa ln(1/tol) steps on the slowest
    # direction; no run hit the cap
    assert n["gd_capped_runs"] == 0
    assert n["gd_steps_lr1"][-1] <= 1000 * np.log(1 / n["tol"]) + 1


E33 = {"kappas": [10, 100, 1000], "starts": 5, "tol": 1e-6, "gd_best_steps": [72, 596, 6151],
       "gd_steps_lr1": [130, 1300, 11692], "newton_steps": [1, 1, 1], "newton_steps_max": 1.0,
       "gd_growth": 85.4, "newton_growth": 1.0, "speedup": 6151.0,
       "grad_rel_err": 1e-16, "kappa_measured": [10.0, 100.0, 1000.0],
       "newton_one_step_rel_err": [1e-15, 2e-15, 3e-14],
       "nonconvex": {"starts": 8, "start_min_hessian_eig": -0.56, "newton_at_saddle": 8,
                     "newton_final_grad": 0.0, "newton_final_f_max": 0.0, "gd_at_minimum": 8,
                     "gd_final_f_max": -0.25}}

E33_CASES = [
    ({}, HOLDS),
    ({"newton_steps_max": 2.0}, HOLDS),
    ({"newton_steps_max": 3.0}, CAVEATS),          # Newton slower than the threshold
    ({"gd_growth": 10.0}, HOLDS),
    ({"gd_growth": 9.9}, CAVEATS),                 # GD's steps barely grow with kappa
    ({"speedup": 10.0}, HOLDS),
    ({"speedup": 9.9}, FAILS),                     # Newton not far faster
    ({"speedup": 0.5, "newton_steps_max": 30.0}, FAILS),
    ({"grad_rel_err": 1.0}, HOLDS),                # a check, not the verdict
]


def test_e33_reachable():
    labchecks.check_reachable(experiment("e33"),
                              [(with_changes(E33, c), v) for c, v in E33_CASES])


def test_e33_checks_pass_and_fail():
    e = experiment("e33")
    assert all(c.passed for c in e.checks(E33))
    broken = [
        {"grad_rel_err": 1e-8},
        {"kappa_measured": [10.0, 100.0, 999.0]},
        {"newton_one_step_rel_err": [1e-15, 2e-15, 1e-6]},
        {"nonconvex": dict(E33["nonconvex"], newton_at_saddle=7)},
        {"nonconvex": dict(E33["nonconvex"], gd_at_minimum=0)},
        {"nonconvex": dict(E33["nonconvex"], start_min_hessian_eig=0.1)},
    ]
    for i, change in enumerate(broken):
        failed = [c for c in e.checks(with_changes(E33, change)) if not c.passed]
        assert len(failed) == 1, (change, failed)
        assert failed[0].name == e.checks(E33)[min(i, 3)].name


# ---- e34 ------------------------------------------------------------------------------------

def test_e34_numbers():
    n = labchecks.quick_result(MODULES["e34"], 0).numbers
    assert n["angle_deg"] == pytest.approx(float(np.median(n["angle_runs"])))
    assert n["recon_ratio"] == pytest.approx(float(np.median(n["recon_ratio_runs"])))
    assert n["mean_cos"] == pytest.approx(float(np.median(n["mean_cos_runs"])))
    # the angle falls during training: the start is far from PCA's subspace
    assert n["angle_curve"][0] > 10 * n["angle_curve"][-1]


def test_e34_angle_function():
    from gradlab.lab.experiments.e34_linear_autoencoder import _max_angle_deg
    u = np.eye(4)[:, :2]
    v = np.stack([[1.0, 0.0, 0.0, 0.0], [0.0, np.cos(0.3), np.sin(0.3), 0.0]], axis=1)
    assert _max_angle_deg(u, v) == pytest.approx(np.degrees(0.3))
    assert _max_angle_deg(u, u @ np.array([[2.0, 1.0], [0.0, 3.0]])) == pytest.approx(0.0,
                                                                                       abs=1e-6)


E34 = {"k": 8, "starts": 5, "steps": 400, "angle_deg": 0.49, "angle_runs": [0.04, 0.49, 2.73],
       "recon_ratio": 1.00001, "mean_cos": 0.64, "orthonormality_dev": 2.46,
       "pca_mse": 1.52, "pca_eig_sum_tail": 1.52, "ae_mse_runs": [1.52, 1.53],
       "ae_mse_r_runs": [1.52, 1.53], "recon_ratio_runs": [1.0, 1.0066],
       "check_angle_rotated": 1e-13, "check_angle_next": 90.0}

E34_CASES = [
    ({}, HOLDS),
    ({"angle_deg": 5.0}, HOLDS),
    ({"angle_deg": 5.1}, CAVEATS),               # near PCA's subspace, not at it
    ({"angle_deg": 20.0}, CAVEATS),
    ({"angle_deg": 20.1}, FAILS),                # not PCA's subspace
    ({"recon_ratio": 1.01}, HOLDS),
    ({"recon_ratio": 1.011}, CAVEATS),           # worse than PCA by more than 1%
    ({"mean_cos": 0.95}, HOLDS),
    ({"mean_cos": 0.96}, CAVEATS),               # the weights are the components
    ({"angle_deg": 45.0, "recon_ratio": 1.0, "mean_cos": 0.5}, FAILS),
    ({"check_angle_next": 80.0}, HOLDS),         # a check, not the verdict
]


def test_e34_reachable():
    labchecks.check_reachable(experiment("e34"),
                              [(with_changes(E34, c), v) for c, v in E34_CASES])


def test_e34_checks_pass_and_fail():
    e = experiment("e34")
    assert all(c.passed for c in e.checks(E34))
    broken = [
        ({"ae_mse_r_runs": [1.52, 1.54]}, 0),
        ({"pca_eig_sum_tail": 1.5}, 1),
        ({"recon_ratio_runs": [0.99, 1.0]}, 2),
        ({"check_angle_rotated": 1e-3}, 3),
        ({"check_angle_next": 89.0}, 3),
    ]
    for change, which in broken:
        checks = e.checks(with_changes(E34, change))
        assert [c.passed for c in checks] == [i != which for i in range(len(checks))], change
