"""Lab experiments e12-e16 (softmax overflow and CE vs MSE, L2/weight decay and L1 sparsity,
dropout, residual degradation, gated RNNs on the adding problem): each runs in quick mode for
seeds 0, 1 and 2 with the verdict measured on this project; its numbers are finite JSON, the
numbers its explanation cites are there, and its figures are PNG; each ``judge`` is checked on
synthetic numbers on both sides of each of its thresholds."""

from __future__ import annotations

import json

import labchecks
import numpy as np
import pytest

import gradlab
from gradlab.lab.experiment import CAVEATS, FAILS, HOLDS

MODULES = {
    "e12": "e12_softmax_overflow",
    "e13": "e13_regularization",
    "e14": "e14_dropout",
    "e15": "e15_residual",
    "e16": "e16_recurrent",
}

# the verdicts measured in quick mode (the same for seeds 0, 1 and 2)
MEASURED = {"e12": HOLDS, "e13": HOLDS, "e14": CAVEATS, "e15": HOLDS, "e16": CAVEATS}

# numbers each explanation cites, with the format it prints them in
CITED = {
    "e12": [("gradlab_worst_err", ".1e"), ("grad_mse_at_minus10", ".1e"),
            ("grad_ce_at_minus10", ".2f"), ("grad_ratio_at_minus10", ".1e")],
    "e13": [("sgd_max_gap", ".1e"), ("adam_adamw_max_gap", ".2f"), ("adam_l2_norm", ".2f"),
            ("adamw_norm", ".2f"), ("l1_matched_zero", ".0%"), ("l2_matched_zero", ".0%")],
    "e14": [("dropout_ce_gap", ".2f"), ("plain_ce_gap", ".2f"), ("gap_ratio", ".2f"),
            ("dropout_test_acc", ".1%"), ("plain_test_acc", ".1%"), ("agreement", ".1%"),
            ("inverted_ratio_p0.2", ".3f"), ("classic_ratio_p0.5", ".3f"),
            ("seed_rule_ratio_p0.2", ".2f")],
    "e15": [("plain_degradation", ".3f"), ("grad_ratio_plain", ".1f"),
            ("grad_ratio_residual", ".1f")],
    "e16": [("rnn_grad_first_over_last", ".1e"), ("lstm_grad_first_over_last", ".1e"),
            ("gru_grad_first_over_last", ".1e"), ("irnn_grad_first_over_last", ".1e")],
}


def experiment(key: str):
    return labchecks.experiment(MODULES[key])


def result(key: str, seed: int):
    return labchecks.quick_result(MODULES[key], seed)



@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("key", sorted(MODULES))
def test_quick_run(key, seed):
    r = result(key, seed)
    labchecks.check_result(r, MEASURED[key], seed, CITED[key])


@pytest.mark.parametrize("key", sorted(MODULES))
def test_metadata(key):
    e = experiment(key)
    labchecks.check_metadata(e)


def test_seed_errors():
    assert "1 - p" in experiment("e14").seed_error
    assert "U" in experiment("e16").seed_error and "W" in experiment("e16").seed_error
    assert "BatchNorm" in experiment("e15").seed_error
    assert experiment("e12").seed_error is None and experiment("e13").seed_error is None


def test_e12_overflow_point_and_e14_seed_rule():
    # float32 overflows past exp(88.72): the first integer level that breaks is 89
    n = result("e12", 0).numbers
    assert n["naive_first_overflow"] == 89.0 and n["naive_first_underflow"] <= -100.0
    # scaling by the drop probability 0.2 instead of the keep probability 0.8: 4x off
    assert result("e14", 0).numbers["seed_rule_ratio_p0.2"] == pytest.approx(4.0, rel=0.02)


def test_classic_dropout():
    from gradlab.lab.experiments.e14_dropout import ClassicDropout
    gradlab.manual_seed(0)
    d = ClassicDropout(0.25)
    x = gradlab.ones(2000, 8)
    y = d(x).numpy()
    assert set(np.unique(y)) <= {0.0, 1.0}          # the mask, unscaled, in training
    assert y.mean() == pytest.approx(0.75, abs=0.02)
    d.eval()
    np.testing.assert_allclose(d(x).numpy(), 0.75)  # x (1 - p) at test
    with pytest.raises(ValueError, match=r"ClassicDropout: p must be in \[0, 1\), got 1.5"):
        ClassicDropout(1.5)


def test_residual_block_shapes_and_shortcut():
    from gradlab.lab.experiments.e15_residual import Block
    gradlab.manual_seed(0)
    b = Block(8, residual=True)
    p = Block(8, residual=False)
    p.load_state_dict(b.state_dict())
    x = gradlab.randn(16, 8)
    with gradlab.no_grad():
        yb, yp = b(x), p(x)
    assert yb.shape == (16, 8) == yp.shape
    assert not np.allclose(yb.numpy(), yp.numpy())


# ---- judge on synthetic numbers -------------------------------------------------------------

def _judge(key, base, **changes):
    n = json.loads(json.dumps(base))
    n.update(changes)
    return experiment(key).judge(n).verdict


E12 = {"naive_first_overflow": 89.0, "naive_first_underflow": -104.0,
       "gradlab_all_finite": True, "gradlab_worst_err": 2e-8,
       "grad_mse_at_minus10": 9e-5, "grad_ce_at_minus10": 1.0, "grad_ratio_at_minus10": 9e-5,
       "train_steps": 200, "ce_steps_to_90": 4, "mse_steps_to_90": None,
       "ce_final_acc": 0.97, "mse_final_acc": 0.02}


@pytest.mark.parametrize("changes,verdict", [
    ({}, HOLDS),
    ({"naive_first_overflow": 100.0}, HOLDS),
    ({"naive_first_overflow": 101.0}, CAVEATS),
    ({"naive_first_overflow": None}, CAVEATS),
    ({"gradlab_all_finite": False}, CAVEATS),
    ({"gradlab_worst_err": 1.1e-6}, CAVEATS),
    ({"grad_ratio_at_minus10": 0.011}, CAVEATS),
    ({"grad_ratio_at_minus10": 0.009}, HOLDS),
    ({"grad_ce_at_minus10": 0.49}, CAVEATS),
    ({"ce_steps_to_90": 10, "mse_steps_to_90": 100}, HOLDS),
    ({"ce_steps_to_90": 10, "mse_steps_to_90": 99}, CAVEATS),
    ({"ce_steps_to_90": None}, CAVEATS),
    ({"ce_steps_to_90": 0}, HOLDS),
    ({"grad_ratio_at_minus10": 0.5, "ce_steps_to_90": None}, FAILS),
    ({"naive_first_overflow": None, "grad_ce_at_minus10": 0.1}, FAILS),
])
def test_judge_e12(changes, verdict):
    assert _judge("e12", E12, **changes) == verdict


E13 = {"lambda": 0.01, "steps": 150, "sgd_max_gap": 0.0, "adam_adamw_max_gap": 0.7,
       "adam_l2_norm": 4.8, "adamw_norm": 5.9, "none_acc": 0.92,
       "l1_matched_lambda": 0.01, "l1_matched_acc": 0.91, "l1_matched_zero": 0.76,
       "l2_matched_lambda": 0.03, "l2_matched_acc": 0.916, "l2_matched_zero": 0.21}


@pytest.mark.parametrize("changes,verdict", [
    ({}, HOLDS),
    ({"sgd_max_gap": 0.9e-5}, HOLDS),
    ({"sgd_max_gap": 1.1e-5}, CAVEATS),
    ({"adam_adamw_max_gap": 0.009}, CAVEATS),
    ({"adam_adamw_max_gap": 0.011}, HOLDS),
    ({"l1_matched_zero": 0.41}, CAVEATS),        # ratio 1.95 < 2
    ({"l1_matched_zero": 0.43}, HOLDS),          # ratio 2.05, gain 0.22
    ({"l1_matched_zero": 0.1, "l2_matched_zero": 0.01}, CAVEATS),   # ratio 10, gain 0.09
    ({"l1_matched_zero": 0.12, "l2_matched_zero": 0.0}, HOLDS),     # ratio inf, gain 0.12
    ({"l1_matched_lambda": None, "l1_matched_zero": None}, CAVEATS),
    ({"sgd_max_gap": 1e-3, "l1_matched_zero": 0.2}, FAILS),
])
def test_judge_e13(changes, verdict):
    assert _judge("e13", E13, **changes) == verdict


E14 = {"p": 0.5, "p_input": 0.2, "plain_ce_gap": 0.35, "dropout_ce_gap": 0.24,
       "gap_ratio": 0.69, "plain_test_acc": 0.91, "dropout_test_acc": 0.92,
       "plain_train_acc": 1.0, "dropout_train_acc": 0.99, "agreement": 0.95,
       "inverted_ratio_p0.2": 1.0, "inverted_ratio_p0.5": 1.001, "classic_ratio_p0.2": 0.999,
       "classic_ratio_p0.5": 1.0, "seed_rule_ratio_p0.2": 4.0, "seed_rule_ratio_p0.5": 1.0}


@pytest.mark.parametrize("changes,verdict", [
    ({}, HOLDS),
    ({"gap_ratio": 0.79}, HOLDS),
    ({"gap_ratio": 0.81}, CAVEATS),
    ({"dropout_test_acc": 0.909}, CAVEATS),
    ({"dropout_test_acc": 0.91}, HOLDS),
    ({"inverted_ratio_p0.5": 1.021}, CAVEATS),
    ({"classic_ratio_p0.2": 0.979}, CAVEATS),
    ({"classic_ratio_p0.2": 0.981}, HOLDS),
    ({"agreement": 0.89}, CAVEATS),
    ({"gap_ratio": 0.9, "agreement": 0.8}, FAILS),
    ({"gap_ratio": 0.9, "dropout_test_acc": 0.8, "seed_rule_ratio_p0.2": 4.0,
      "classic_ratio_p0.5": 0.5}, FAILS),
])
def test_judge_e14(changes, verdict):
    assert _judge("e14", E14, **changes) == verdict


E15 = {"depths": [4, 18], "steps": 100, "plain_final_loss": [0.07, 0.7],
       "residual_final_loss": [0.07, 0.07], "plain_degradation": 0.63,
       "residual_degradation": 0.0, "plain_grad0": [1.3, 15.0], "residual_grad0": [1.4, 7.6],
       "grad_ratio_plain": 11.6, "grad_ratio_residual": 5.4}


@pytest.mark.parametrize("changes,verdict", [
    ({}, HOLDS),
    ({"residual_degradation": 0.09}, HOLDS),
    ({"residual_degradation": 0.11}, CAVEATS),
    ({"plain_degradation": 0.11}, HOLDS),
    ({"plain_degradation": 0.09}, FAILS),
    ({"plain_degradation": 0.1}, FAILS),         # "more than" the margin
    ({"plain_degradation": -0.2, "residual_degradation": 0.5}, FAILS),
    ({"grad_ratio_plain": 0.5}, HOLDS),          # reported, not judged
])
def test_judge_e15(changes, verdict):
    assert _judge("e15", E15, **changes) == verdict


E16 = {"lengths": [5, 12], "steps": 200, "short": 5, "long": 12,
       "rnn_ratio": {"5": 0.15, "12": 0.95}, "irnn_ratio": {"5": 0.1, "12": 0.9},
       "lstm_ratio": {"12": 0.02}, "gru_ratio": {"12": 0.003},
       "rnn_grad_first_over_last": 1e-11, "irnn_grad_first_over_last": 0.6,
       "lstm_grad_first_over_last": 1e-3, "gru_grad_first_over_last": 1e-10}


def _e16(rnn=None, irnn=None, lstm=None, gru=None):
    n = json.loads(json.dumps(E16))
    for name, v in (("rnn", rnn), ("irnn", irnn), ("lstm", lstm), ("gru", gru)):
        if v is not None:
            n[f"{name}_ratio"].update(v)
    return experiment("e16").judge(n).verdict


@pytest.mark.parametrize("changes,verdict", [
    ({}, CAVEATS),                                         # IRNN far from the LSTM
    ({"irnn": {"12": 0.09}}, HOLDS),                       # solved (<= 0.1)
    ({"irnn": {"12": 0.11}}, CAVEATS),
    ({"irnn": {"12": 0.29}, "lstm": {"12": 0.1}}, HOLDS),  # within 3x the LSTM
    ({"irnn": {"12": 0.31}, "lstm": {"12": 0.1}}, CAVEATS),
    ({"rnn": {"12": 0.49}}, FAILS),                        # the RNN learns the long task
    ({"rnn": {"12": 0.51}}, CAVEATS),
    ({"lstm": {"12": 0.51}}, FAILS),                       # a gated cell fails
    ({"gru": {"12": 0.49}}, CAVEATS),
    ({"rnn": {"5": 0.6}}, CAVEATS),                        # RNN fails even short
    ({"lstm": {"12": 0.6}, "irnn": {"12": 0.05}}, CAVEATS),
])
def test_judge_e16(changes, verdict):
    assert _e16(**changes) == verdict
