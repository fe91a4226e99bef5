"""Lab experiments e22 (internal covariate shift grows with depth) and e32 (tiny weights make
a sigmoid net linear): each runs in quick mode for seeds 0, 1 and 2 with the verdict measured on
this project; its numbers are finite JSON, the numbers its explanation cites are there, its
figures are PNG and its checks pass. Each ``judge`` reaches all three verdicts from synthetic
numbers on both sides of every threshold, each check fails on broken numbers, and the protocols'
helpers (the layer shift, the affine R²) agree with direct computations."""

from __future__ import annotations

import copy
import importlib
import math

import labchecks
import numpy as np
import pytest

from gradlab.lab.experiment import CAVEATS, FAILS, HOLDS

MODULES = {"e22": "e22_covariate_shift", "e32": "e32_tiny_weights_linear"}

# the verdicts measured in quick mode (the same for seeds 0, 1 and 2, on OpenBLAS's SkylakeX
# and Haswell kernels, and under a 1e-6 jitter)
MEASURED = {"e22": HOLDS, "e32": CAVEATS}

# numbers each explanation cites, with the format it prints them in
CITED = {
    "e22": [("plain_ratio", ".2f"), ("bn_ratio", ".2f")],
    "e32": [("r2_small", ".6f"), ("r2_xavier", ".4f"), ("one_minus_r2_small", ".1e"),
            ("acc_small", ".1%"), ("acc_logistic", ".1%"), ("acc_xavier", ".1%"),
            ("r2_small_trained", ".3f")],
}


def module(key: str):
    return importlib.import_module(f"gradlab.lab.experiments.{MODULES[key]}")


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
    for rev in e.revisions:
        assert rev.effect and rev.date == "2026-12-06"


def test_quick_numbers_tell_the_story():
    """The measured facts behind the verdicts, on seed 0."""
    n = result("e22", 0).numbers
    assert n["plain_shift"][-1] > n["plain_shift"][0] and n["bn_ratio"] < n["plain_ratio"]
    assert len(n["probe_steps"]) == 30 and n["probe_steps"][0] == 0
    assert n["probe_steps"][-1] == n["steps"]
    n = result("e32", 0).numbers
    assert n["one_minus_r2_small"] < 1e-6 and n["r2_small_trained"] < n["r2_small"]


# ---- helpers against direct computations ----------------------------------------------------


def test_e22_layer_shift():
    m = module("e22")
    stats = np.zeros((3, 2, 4, 2))
    stats[:, 0, :, 0] = np.array([0.0, 0.5, 1.0])[:, None]    # layer 1: mean moves 0.5 std
    stats[:, 0, :, 1] = 1.0
    stats[:, 1, :, 1] = np.array([1.0, 2.0, 4.0])[:, None]    # layer 2: std doubles
    assert np.allclose(m.layer_shift(stats), [0.5, math.log(2)])
    assert m.probe_times(300) == [round(t) for t in np.linspace(0, 300, 30)]


def test_e32_affine_r2():
    m = module("e32")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((50, 2))
    z = np.stack([x @ rng.standard_normal((2, 2)) + 1.0, np.sin(3 * x)])
    r2 = m.linear_r2(z, x)
    assert r2[0] == pytest.approx(1.0, abs=1e-12) and r2[1] < 0.9


# ---- judge on synthetic numbers -------------------------------------------------------------

def _n(base, **changes):
    n = copy.deepcopy(base)
    n.update(changes)
    return n


def _failed(e, numbers):
    return {c.name for c in e.checks(numbers) if not c.passed}


E22 = {"starts": 3, "hidden_layers": 8, "plain_ratio": 5.0, "plain_ratio_runs": [4.0, 5.0, 6.0],
       "plain_shift_runs": [[0.1] + [0.2] * 6 + [0.4], [0.1] + [0.2] * 6 + [0.5],
                            [0.1] + [0.2] * 6 + [0.6]],
       "plain_shift": [0.1] + [0.2] * 6 + [0.5], "bn_shift": [0.04] + [0.03] * 7,
       "bn_ratio": 0.6, "bn_ratio_runs": [0.5], "bn_shift_runs": [[0.04] + [0.03] * 6 + [0.02]],
       "plain_min_std": 0.05, "bn_min_std": 0.05}


def test_judge_e22_reaches_every_verdict():
    labchecks.check_reachable(experiment("e22"), [
        (E22, HOLDS),
        (_n(E22, plain_ratio=2.0), HOLDS),
        (_n(E22, plain_ratio=1.99), CAVEATS),
        (_n(E22, plain_ratio=1.2), CAVEATS),
        (_n(E22, plain_ratio=1.19), FAILS),
        (_n(E22, plain_ratio=0.5, bn_ratio=5.0), FAILS),   # the BN ratio is not judged
    ])


def test_checks_e22_fail_on_broken_numbers():
    e = experiment("e22")
    assert not _failed(e, E22)
    assert _failed(e, _n(E22, plain_ratio_runs=[4.0, 5.0, 6.1])) == {
        "plain net: each start's ratio is its shift_8 / shift_1"}
    assert _failed(e, _n(E22, bn_min_std=0.0)) == {
        "every unit's pre-activation varies over the probe batch (std > 0)"}


E32 = {"starts": 5, "steps": 500, "r2_small": 0.999, "r2_xavier": 0.9,
       "one_minus_r2_small": 1e-3, "acc_small": 0.66, "acc_logistic": 0.64,
       "acc_xavier": 0.9, "escape": 0.02, "escaped_starts": 0, "r2_small_trained": 0.99,
       "r2_logistic_max_error": 0.0, "float32_logit_error": 3e-7}


def test_judge_e32_reaches_every_verdict():
    labchecks.check_reachable(experiment("e32"), [
        (E32, HOLDS),
        (_n(E32, r2_small=0.99), HOLDS),
        (_n(E32, r2_small=0.989), FAILS),
        (_n(E32, r2_small=0.5, escape=0.3, r2_xavier=0.99), FAILS),
        (_n(E32, r2_xavier=0.95), HOLDS),
        (_n(E32, r2_xavier=0.951), CAVEATS),              # the control is linear too
        (_n(E32, escape=0.05), HOLDS),
        (_n(E32, escape=0.051), CAVEATS),                  # escapes in training
        (_n(E32, escape=-0.2), HOLDS),                     # below logistic: no escape
        (_n(E32, escape=0.2, r2_xavier=0.9999), CAVEATS),
    ])


def test_judge_e32_wording():
    e = experiment("e32")
    v = e.judge(_n(E32, escape=0.2))
    assert "past logistic regression" in v.explanation and "Xavier net is close" not in (
        v.explanation)
    v = e.judge(_n(E32, r2_xavier=0.999))
    assert "Xavier net is close to linear" in v.explanation and "past" not in v.explanation


def test_checks_e32_fail_on_broken_numbers():
    e = experiment("e32")
    assert not _failed(e, E32)
    assert _failed(e, _n(E32, r2_logistic_max_error=1e-6)) == {
        "the affine fit reproduces logistic regression's logits (R² = 1)"}
    assert _failed(e, _n(E32, float32_logit_error=1e-4)) == {
        "gradlab's float32 forward agrees with the float64 one at init"}
    assert _failed(e, _n(E32, escape=0.03)) == {
        "the escape is the small-init minus the logistic median accuracy"}
