"""Lab experiments e01-e06 (sigmoid depth, exploding gradients, symmetry, initialization scale,
dying ReLU, tanh saturation): each runs in quick mode for seeds 0, 1 and 2 with the verdict
measured on this project; its numbers are finite JSON and its figures PNG; and each ``judge``
is checked on synthetic numbers on both sides of its thresholds."""

from __future__ import annotations

import math

import labchecks
import numpy as np
import pytest

from gradlab.lab.experiment import CAVEATS, FAILS, HOLDS

MODULES = {
    "e01": "e01_sigmoid_depth",
    "e02": "e02_exploding_gradients",
    "e03": "e03_symmetry",
    "e04": "e04_init_scale",
    "e05": "e05_dying_relu",
    "e06": "e06_tanh_saturation",
}

# the verdicts measured in quick mode (identical for seeds 0, 1 and 2)
MEASURED = {"e01": CAVEATS, "e02": HOLDS, "e03": CAVEATS, "e04": CAVEATS, "e05": CAVEATS,
            "e06": CAVEATS}

# numbers each explanation cites, with the format it prints them in
CITED = {
    "e01": [("sigmoid_ratio", ".3g"), ("relu_ratio", ".3g"), ("max_gain_ratio", ".3g")],
    "e02": [("growth_per_layer", ".2f"), ("clipped_final_loss", ".3g"),
            ("plain_diverged_fraction", ".0%"), ("seed_chain_mean_slope", ".2g")],
    "e03": [("zero_float64_max_rel_diff", ".3g"), ("random_float32_min_rel_diff", ".3g"),
            ("zero_float32_max_rel_diff", ".3g")],
    "e04": [("tanh/xavier var_ratio", ".2g"), ("relu/he var_ratio", ".2g"),
            ("sigmoid/xavier grad_ratio", ".2f"), ("tanh/xavier x4 grad_ratio", ".2f")],
    "e05": [("relu_large_inactive_after_phase1", ".0%"), ("leaky_large_inactive_end", ".0%"),
            ("relu_large_revived_fraction", ".0%")],
    "e06": [("slope_x20", ".4f"), ("raw_saturated_init", ".0%"),
            ("loss_ratio_standardized_raw", ".2f")],
}


def experiment(key: str):
    return labchecks.experiment(MODULES[key])


def result(key: str, seed: int):
    return labchecks.quick_result(MODULES[key], seed)



@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("key", sorted(MODULES))
def test_quick_run(key, seed):
    r = result(key, seed)
    expected = MEASURED[key]
    if key == "e03" and r.numbers["float32_matmul_column_spread"] == 0.0:
        # e03's caveat is float32 rounding that differs between identical columns of a BLAS
        # product (2.6e-7 relative with this project's OpenBLAS); a BLAS that computes them
        # identically leaves the symmetry exact in float32 too
        expected = HOLDS
    labchecks.check_result(r, expected, seed, CITED[key])


@pytest.mark.parametrize("key", sorted(MODULES))
def test_metadata(key):
    e = experiment(key)
    labchecks.check_metadata(e)


def test_e02_states_the_seed_error():
    e = experiment("e02")
    assert "0.25" in e.seed_error and "weights 100" in e.seed_error


def test_e04_states_the_seed_error():
    e = experiment("e04")
    assert "sqrt(6/(n_in+n_out))" in e.seed_error and "Glorot" in e.seed_error
    assert "swapped" in e.seed_error


# ---- judge on synthetic numbers -------------------------------------------------------------

def _judge(key, base, **changes):
    n = dict(base)
    n.update(changes)
    return experiment(key).judge(n).verdict


E01 = {"sigmoid_ratio": 0.14, "sigmoid_r2": 0.99, "relu_ratio": 1.02, "max_gain_ratio": 1.2,
       "max_gain_ratio_gain": 16.0, "smallest_gain_over_bound": 2.0,
       "spectral_norm_at_first_over": 3.9}


@pytest.mark.parametrize("changes,verdict", [
    ({}, CAVEATS),
    ({"max_gain_ratio": 0.24, "smallest_gain_over_bound": None,
      "spectral_norm_at_first_over": None}, HOLDS),
    ({"max_gain_ratio": 0.26}, CAVEATS),
    ({"sigmoid_r2": 0.89}, FAILS),
    ({"sigmoid_r2": 0.91}, CAVEATS),
    ({"sigmoid_ratio": 0.26}, FAILS),
    ({"sigmoid_ratio": 0.24}, CAVEATS),
    ({"relu_ratio": 0.79}, FAILS),
    ({"relu_ratio": 0.81}, CAVEATS),
])
def test_judge_e01(changes, verdict):
    assert _judge("e01", E01, **changes) == verdict


E02 = {"seed_chain_depth": 10, "seed_chain_log10_grad": -376.0, "seed_chain_mean_slope": 0.013,
       "seed_arithmetic_log10_grad": 13.98, "growth_per_layer": 2.0, "growth_r2": 0.99,
       "he_growth_per_layer": 1.05, "gain": 2.0,
       "plain_diverged_fraction": 1.0, "clipped_initial_loss": 800.0,
       "clipped_final_loss": 4.0, "clipped_loss_ratio": 0.005, "clipped_final_acc": 0.75}


@pytest.mark.parametrize("changes,verdict", [
    ({}, HOLDS),
    ({"growth_per_layer": 0.99}, FAILS),
    ({"growth_per_layer": 1.01}, HOLDS),
    ({"growth_r2": 0.89}, FAILS),
    ({"plain_diverged_fraction": 0.49}, CAVEATS),
    ({"plain_diverged_fraction": 0.5}, HOLDS),
    ({"clipped_loss_ratio": 0.11}, CAVEATS),
    ({"clipped_loss_ratio": 0.09}, HOLDS),
])
def test_judge_e02(changes, verdict):
    assert _judge("e02", E02, **changes) == verdict


E03 = {"steps": 150, "drift_steps": 600, "zero_float64_max_rel_diff": 0.0,
       "constant_float64_max_rel_diff": 0.0, "zero_float64_train_acc": 0.1,
       "constant_float64_train_acc": 0.1, "random_float32_min_rel_diff": 0.7,
       "random_float32_train_acc": 0.9, "float32_drift_max_rel_diff": 0.03,
       "zero_float32_max_rel_diff": 0.03, "float32_matmul_column_spread": 2.6e-7}


@pytest.mark.parametrize("changes,verdict", [
    ({}, CAVEATS),
    ({"float32_drift_max_rel_diff": 0.9e-4}, HOLDS),
    ({"float32_drift_max_rel_diff": 1.1e-4}, CAVEATS),
    ({"zero_float64_max_rel_diff": 1.1e-4}, FAILS),
    ({"constant_float64_max_rel_diff": 1.1e-4}, FAILS),
    ({"constant_float64_max_rel_diff": 0.9e-4}, CAVEATS),
    ({"random_float32_min_rel_diff": 0.049}, FAILS),
    ({"random_float32_min_rel_diff": 0.051, "float32_drift_max_rel_diff": 0.0}, HOLDS),
])
def test_judge_e03(changes, verdict):
    assert _judge("e03", E03, **changes) == verdict


E04 = {"depth": 32, "tanh/too small var_ratio": 1e-59, "relu/too small var_ratio": 1e-68,
       "tanh/too large saturated_last": 0.8, "relu/too large var_ratio": 1e55,
       "tanh/xavier var_ratio": 0.04, "relu/he var_ratio": 0.9,
       "sigmoid/xavier grad_ratio": 0.24, "sigmoid/xavier x4 grad_ratio": 0.63,
       "tanh/xavier grad_ratio": 0.96, "tanh/xavier x4 grad_ratio": 1.54,
       "seed_assignment_log_dev": {"sigmoid": 1.43, "tanh": 0.43},
       "glorot_assignment_log_dev": {"sigmoid": 0.46, "tanh": 0.04}}


@pytest.mark.parametrize("changes,verdict", [
    ({}, CAVEATS),
    ({"seed_assignment_log_dev": {"sigmoid": 0.1, "tanh": 0.01}}, HOLDS),
    ({"seed_assignment_log_dev": {"sigmoid": 1.43, "tanh": 0.01}}, HOLDS),
    ({"tanh/too small var_ratio": 2e-4}, FAILS),
    ({"relu/too small var_ratio": 0.5e-4}, CAVEATS),
    ({"tanh/too large saturated_last": 0.49}, FAILS),
    ({"relu/too large var_ratio": 0.9e4}, FAILS),
    ({"relu/too large var_ratio": 1.1e4}, CAVEATS),
    ({"tanh/xavier var_ratio": 0.009}, FAILS),
    ({"tanh/xavier var_ratio": 0.011}, CAVEATS),
    ({"relu/he var_ratio": 101.0}, FAILS),
    ({"relu/he var_ratio": 99.0}, CAVEATS),
])
def test_judge_e04(changes, verdict):
    assert _judge("e04", E04, **changes) == verdict


E05 = {"large_lr": 1.0, "normal_lr": 0.1, "steps_normal": 200,
       "relu_large_inactive_after_phase1": 0.46, "relu_normal_inactive_after_phase1": 0.03,
       "relu_large_revived_fraction": 0.0, "relu_large_inactive_moved_max": 0.0,
       "relu_large_inactive_end": 0.47, "relu_normal_inactive_end": 0.03,
       "leaky_large_inactive_count": 150, "leaky_large_inactive_moved_min": 1e-4,
       "leaky_large_inactive_moved_max": 0.03, "leaky_large_inactive_end": 0.6,
       "leaky_large_revived_fraction": 0.0, "leaky_large_acc_end": 0.95,
       "relu_large_acc_end": 0.95}


@pytest.mark.parametrize("changes,verdict", [
    ({}, CAVEATS),
    ({"leaky_large_inactive_end": 0.23}, HOLDS),
    ({"leaky_large_inactive_end": 0.24}, CAVEATS),
    ({"relu_large_inactive_after_phase1": 0.19}, FAILS),
    ({"relu_large_inactive_after_phase1": 0.21}, CAVEATS),
    ({"relu_normal_inactive_after_phase1": 0.11}, FAILS),
    ({"relu_normal_inactive_after_phase1": 0.09}, CAVEATS),
    ({"relu_large_revived_fraction": 0.06}, FAILS),
    ({"relu_large_revived_fraction": 0.04}, CAVEATS),
    ({"relu_large_inactive_moved_max": 1e-6}, FAILS),
    ({"leaky_large_inactive_moved_min": 0.0}, FAILS),
    ({"leaky_large_inactive_moved_min": 0.0, "leaky_large_inactive_count": 0,
      "leaky_large_inactive_end": 0.0}, HOLDS),
])
def test_judge_e05(changes, verdict):
    assert _judge("e05", E05, **changes) == verdict


E06 = {"tanh_x1": 0.0997, "tanh_x20": 0.964, "tanh_x40": 0.9993, "slope_x1": 0.99,
       "slope_x20": 0.0707, "slope_ratio_x20_x1": 0.0714, "steps": 300,
       "raw_saturated_init": 0.54, "standardized_saturated_init": 0.003,
       "raw_saturated_end": 0.63, "raw_final_loss": 0.087, "standardized_final_loss": 0.123,
       "loss_ratio_standardized_raw": 1.42, "raw_early_loss": 1.38,
       "standardized_early_loss": 0.4, "raw_first_layer_grad_init": 1.7,
       "standardized_first_layer_grad_init": 0.3}


@pytest.mark.parametrize("changes,verdict", [
    ({}, CAVEATS),
    ({"loss_ratio_standardized_raw": 0.79}, HOLDS),
    ({"loss_ratio_standardized_raw": 0.81}, CAVEATS),
    ({"slope_ratio_x20_x1": 0.11}, FAILS),
    ({"tanh_x20": 0.94}, FAILS),
    ({"raw_saturated_init": 0.24}, FAILS),
    ({"raw_saturated_init": 0.26}, CAVEATS),
    ({"standardized_saturated_init": 0.051}, FAILS),
    ({"standardized_saturated_init": 0.049}, CAVEATS),
])
def test_judge_e06(changes, verdict):
    assert _judge("e06", E06, **changes) == verdict


# ---- helpers: formulas and clear errors -----------------------------------------------------

def test_fit_ratio_recovers_a_geometric_sequence():
    from gradlab.lab.experiments.e01_sigmoid_depth import fit_ratio
    ratio, r2 = fit_ratio(0.3 ** np.arange(10.0, 0.0, -1.0))
    assert ratio == pytest.approx(0.3) and r2 == pytest.approx(1.0)
    _, r2_noisy = fit_ratio(np.array([1.0, 5.0, 0.5, 4.0, 1.0, 3.0]))
    assert r2_noisy < 0.5


def test_seed_chain_matches_autograd():
    import gradlab
    import gradlab.nn.functional as F
    from gradlab.lab.experiments.e02_exploding_gradients import seed_chain
    gradlab.manual_seed(0)
    out = seed_chain(depth=3, weight=2.0, n=200)
    gradlab.manual_seed(0)
    x = gradlab.randn(200).double().requires_grad_()
    h = x
    for _ in range(3):
        h = F.sigmoid(2.0 * h)
    h.sum().backward()
    assert out["log10_grad"] == pytest.approx(np.median(np.log10(np.abs(x.grad.data))),
                                              rel=1e-9)
    # the seed's example underflows float64 by far: the log-space sum still reports it
    assert seed_chain()["log10_grad"] < -300


def test_pairwise_unit_difference():
    from gradlab.lab.experiments.e03_symmetry import pairwise_unit_difference
    assert pairwise_unit_difference(np.zeros((4, 3))) == (0.0, 0.0)
    same = np.tile(np.array([[1.0, 2.0, 2.0]]), (3, 1))
    assert pairwise_unit_difference(same) == (0.0, 0.0)
    mx, mn = pairwise_unit_difference(np.array([[3.0, 0.0], [0.0, 3.0], [3.0, 0.0]]))
    assert mx == pytest.approx(math.sqrt(18) / 3) and mn == 0.0


def test_seed_example_slopes():
    from gradlab.lab.experiments.e06_tanh_saturation import seed_example
    act, slope = seed_example([1.0, 20.0])
    np.testing.assert_allclose(act, np.tanh([0.1, 2.0]), rtol=1e-12)
    np.testing.assert_allclose(slope, 1 - np.tanh([0.1, 2.0]) ** 2, rtol=1e-12)


def test_bad_init_names_raise_clear_errors():
    from gradlab.lab.experiments.e01_sigmoid_depth import build_layers
    from gradlab.lab.experiments.e03_symmetry import make_net
    from gradlab.lab.experiments.e04_init_scale import init_weight
    from gradlab.nn import Linear
    with pytest.raises(ValueError, match=r"build_layers: init must be .*got 'orthogonal'"):
        build_layers(2, 4, "orthogonal")
    with pytest.raises(ValueError, match=r"make_net: init must be one of .*got 'ones'"):
        make_net("ones")
    with pytest.raises(ValueError, match=r"init_weight: unknown scheme 'lecun'"):
        init_weight(Linear(3, 3).weight, "lecun")
