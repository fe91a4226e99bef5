"""Lab experiments e09 (whitening), e10 (optimizers) and e12 (softmax overflow, CE vs MSE):
each runs in quick mode for seeds 0, 1 and 2 with the verdict measured on this project; its
numbers are finite JSON, the numbers its explanation cites are there, its figures are PNG and
its checks pass. Each ``judge`` reaches all three verdicts from synthetic numbers on both sides
of every threshold, each check fails on broken numbers, and the protocols' helpers (AdaGrad's
effective step, the stacked nets, the closed form of gradient descent on the quadratic, the
interpolated crossing step) are checked against direct computations."""

from __future__ import annotations

import copy
import importlib
import math

import labchecks
import numpy as np
import pytest

import gradlab
from gradlab import nn
from gradlab.lab.experiment import CAVEATS, FAILS, HOLDS

MODULES = {"e09": "e09_whitening", "e10": "e10_optimizers", "e12": "e12_softmax_overflow"}

# the verdicts measured in quick mode (the same for seeds 0, 1 and 2, on the SkylakeX and
# Haswell OpenBLAS kernels)
MEASURED = {"e09": HOLDS, "e10": CAVEATS, "e12": HOLDS}

# numbers each explanation cites, with the format it prints them in
CITED = {
    "e09": [("standardize_speedup", ".1f"), ("whiten_speedup", ".1f"), ("kappa_raw", ".3g"),
            ("kappa_standardized", ".3g"), ("kappa_whitened", ".3g")],
    "e10": [("momentum_gain", ".3g"), ("nesterov_gain", ".3g"), ("adagrad_decay", ".2f"),
            ("rmsprop_decay", ".2f"), ("adagrad_behind", ".2f")],
    "e12": [("grad_mse_at_minus10", ".1e"), ("grad_ce_at_minus10", ".2f"),
            ("ordinary_ce_median_steps", ".2f"), ("ordinary_mse_median_steps", ".2f"),
            ("ordinary_speedup", ".2f")],
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
    assert {c.threshold_name for c in r.criteria} == set(experiment(key).thresholds)


@pytest.mark.parametrize("key", sorted(MODULES))
def test_metadata(key):
    e = experiment(key)
    labchecks.check_metadata(e)
    assert e.revisions and all(r.effect for r in e.revisions)
    assert any(r.date == "2026-12-06" for r in e.revisions)


def test_quick_numbers_tell_the_story():
    """The measured facts behind the verdicts, on seed 0."""
    n = result("e09", 0).numbers
    assert not n["raw_converged"] and n["steps_pca"] <= 3
    assert n["per_input"]["standardized"]["max_abs_corr"] > 0.8      # correlation stays
    n = result("e10", 0).numbers
    assert n["digits"]["AdaGrad"]["best_inside_grid"] and n["digits"]["RMSProp"]["best_inside_grid"]
    assert n["adagrad_decay"] > 0.2        # at its best lr AdaGrad's step decays mildly
    n = result("e12", 0).numbers
    assert n["naive_first_overflow"] == 89.0 and n["naive_first_underflow"] <= -100.0
    assert n["mse_steps_to_90"] is None and n["ce_steps_to_90"] <= 10


# ---- judge on synthetic numbers -------------------------------------------------------------

def _n(base, **changes):
    n = copy.deepcopy(base)
    n.update(changes)
    return n


E09 = {"standardize_speedup": 6.0, "whiten_speedup": 80.0, "kappa_whitened": 1.0,
       "raw_converged": False, "steps_raw": 1000, "cap": 1000, "kappa_raw": 1.6e5,
       "steps_standardized": 160, "kappa_standardized": 80.0, "steps_pca": 2, "steps_zca": 2,
       "per_input": {
           "standardized": {"var_spread": 1.0, "max_abs_corr": 0.9, "kappa_hessian": 80.0},
           "pca": {"var_spread": 1.0001, "max_abs_corr": 4e-9, "kappa_hessian": 1.002},
           "zca": {"var_spread": 1.0001, "max_abs_corr": 1e-5, "kappa_hessian": 1.002}}}


def test_judge_e09_reaches_every_verdict():
    labchecks.check_reachable(experiment("e09"), [
        (E09, HOLDS),
        (_n(E09, standardize_speedup=2.0), HOLDS),
        (_n(E09, standardize_speedup=1.9), CAVEATS),
        (_n(E09, whiten_speedup=1.9), CAVEATS),
        (_n(E09, whiten_speedup=2.1), HOLDS),
        (_n(E09, kappa_whitened=3.0), HOLDS),          # κ is a check, not a verdict gate
        (_n(E09, standardize_speedup=1.9, whiten_speedup=1.9), FAILS),
    ])


def test_judge_e09_wording():
    e = experiment("e09")
    assert "more than 1000 steps" in e.judge(E09).explanation
    v = e.judge(_n(E09, raw_converged=True, steps_raw=900, standardize_speedup=5.6))
    assert "needed 900 steps" in v.explanation and "lower bound" not in v.explanation
    # standardization helps, whitening not enough: the text says so (no "adds little")
    v = e.judge(_n(E09, whiten_speedup=1.5))
    assert "standardization sped gradient descent up" in v.explanation
    assert "whitening did not speed it up enough further" in v.explanation
    v = e.judge(_n(E09, standardize_speedup=1.5))
    assert "standardization did not speed gradient descent up enough" in v.explanation
    assert "whitening sped it up further" in v.explanation


def _failed(e, numbers):
    return {c.name for c in e.checks(numbers) if not c.passed}


def test_checks_e09_fail_on_broken_numbers():
    e = experiment("e09")
    assert not _failed(e, E09)
    bad = copy.deepcopy(E09)
    bad["per_input"]["pca"]["kappa_hessian"] = 1.6
    assert _failed(e, bad) == {"PCA whitening: condition number of the Hessian near 1"}
    bad = copy.deepcopy(E09)
    bad["per_input"]["zca"]["max_abs_corr"] = 0.01
    assert _failed(e, bad) == {"ZCA whitening: features uncorrelated, of equal variance"}
    bad = copy.deepcopy(E09)
    bad["per_input"]["pca"]["var_spread"] = 1.02
    assert _failed(e, bad) == {"PCA whitening: features uncorrelated, of equal variance"}
    bad = copy.deepcopy(E09)
    bad["per_input"]["standardized"]["var_spread"] = 1.5
    assert _failed(e, bad) == {"standardization: features of equal variance"}


def _e10_numbers():
    e10 = module("e10")
    start = [-4.0, 2.0]
    return {"kappa": 100.0, "quad_steps": 100, "quad_start": start, "inits": 3,
            "digits_steps": 300, "digits_lrs": list(e10._DIGITS_LRS),
            "momentum_gain": 300.0, "nesterov_gain": 2e5, "adagrad_decay": 0.15,
            "rmsprop_decay": 2.7, "adagrad_behind": 1.6,
            "quadratic": {"SGD": {"lr": 0.01,
                                  "final_loss": e10._sgd_closed_form(start, 0.01, 100)}},
            "digits": {
                "AdaGrad": {"lr": 0.1, "train_loss": 0.062, "best_inside_grid": True,
                            "effective_step": {"10": 20.0, "100": 15.0, "300": 14.0}},
                "RMSProp": {"lr": 0.01, "train_loss": 0.038, "best_inside_grid": True,
                            "effective_step": {"10": 20.0, "100": 30.0, "300": 50.0}}}}


def test_judge_e10_reaches_every_verdict():
    base = _e10_numbers()
    labchecks.check_reachable(experiment("e10"), [
        (base, HOLDS),
        (_n(base, adagrad_behind=1.5), HOLDS),
        (_n(base, adagrad_behind=1.49), CAVEATS),      # behind, by less than the factor
        (_n(base, adagrad_behind=1.01), CAVEATS),
        (_n(base, adagrad_behind=1.0), FAILS),         # not behind at all: the quote fails
        (_n(base, adagrad_behind=0.8, momentum_gain=1e3), FAILS),
        (_n(base, adagrad_decay=0.21), CAVEATS),
        (_n(base, adagrad_decay=0.2), HOLDS),
        (_n(base, adagrad_decay=None), CAVEATS),
        (_n(base, momentum_gain=9.9), CAVEATS),
        (_n(base, momentum_gain=10.0), HOLDS),
        (_n(base, momentum_gain=9.9, adagrad_behind=1.49), FAILS),
        (_n(base, momentum_gain=9.9, adagrad_behind=1.5, adagrad_decay=0.5), CAVEATS),
    ])


def test_judge_e10_wording():
    v = experiment("e10").judge(_n(_e10_numbers(), adagrad_decay=0.56, adagrad_behind=1.43))
    assert "by less than the registered factor" in v.explanation
    assert "did not shrink to the threshold" in v.explanation
    assert "0.56" in v.explanation and "1.43" in v.explanation
    v = experiment("e10").judge(_n(_e10_numbers(), adagrad_behind=0.9))
    assert "not behind RMSProp" in v.explanation


def test_checks_e10_fail_on_broken_numbers():
    e = experiment("e10")
    assert not _failed(e, _e10_numbers())
    bad = _e10_numbers()
    bad["quadratic"]["SGD"]["final_loss"] *= 1.01
    assert _failed(e, bad) == {"SGD on the quadratic follows the closed form (I - lr H)^k w0"}
    bad = _e10_numbers()
    bad["digits"]["AdaGrad"]["effective_step"]["300"] = 16.0
    assert _failed(e, bad) == {"AdaGrad's effective step never grows"}
    bad = _e10_numbers()
    bad["digits"]["AdaGrad"]["effective_step"] = None
    assert _failed(e, bad) == {"AdaGrad's effective step never grows"}
    bad = _e10_numbers()
    bad["digits"]["RMSProp"]["best_inside_grid"] = False
    assert _failed(e, bad) == {"RMSProp's best Digits lr lies inside the grid"}


E12 = {"naive_first_overflow": 89.0, "naive_first_underflow": -104.0,
       "gradlab_all_finite": True, "gradlab_worst_err": 2e-8, "gradlab_worst_ce_err": 5e-8,
       "grad_z": -10.0, "grad_mse_at_minus10": 9.0792e-5, "grad_ce_at_minus10": 0.9999546,
       "grad_ratio_at_minus10": 9.08e-5,
       "train_steps": 200, "ce_steps_to_90": 4, "mse_steps_to_90": None,
       "ce_final_acc": 0.97, "mse_final_acc": 0.02,
       "ordinary_inits": 11, "ordinary_steps": 300, "ordinary_lrs": [0.1, 1.0, 10.0],
       "ordinary_ce_best_lrs": [1.0] * 11, "ordinary_mse_best_lrs": [1.0] * 11,
       "ordinary_ce_median_steps": 6.0, "ordinary_mse_median_steps": 13.0,
       "ordinary_speedup": 13.0 / 6.0}


def test_judge_e12_reaches_every_verdict():
    labchecks.check_reachable(experiment("e12"), [
        (E12, HOLDS),
        (_n(E12, ordinary_speedup=2.0), HOLDS),
        (_n(E12, ordinary_speedup=1.99), CAVEATS),
        (_n(E12, ce_steps_to_90=10, mse_steps_to_90=100), HOLDS),
        (_n(E12, ce_steps_to_90=10, mse_steps_to_90=99), CAVEATS),
        (_n(E12, ce_steps_to_90=None), CAVEATS),
        (_n(E12, ce_steps_to_90=0), HOLDS),
        (_n(E12, ce_steps_to_90=None, ordinary_speedup=1.0), FAILS),
        (_n(E12, ce_steps_to_90=30, ordinary_speedup=1.5), FAILS),
        # the arithmetic is a check: a broken overflow or gradient moves no verdict
        (_n(E12, naive_first_overflow=None, grad_ratio_at_minus10=0.5), HOLDS),
    ])


def test_checks_e12_fail_on_broken_numbers():
    e = experiment("e12")
    assert not _failed(e, E12)
    for changes, name in [
        ({"naive_first_overflow": 101.0},
         "naive float32 softmax overflows from c = ceil(ln(float32 max))"),
        ({"naive_first_overflow": None},
         "naive float32 softmax overflows from c = ceil(ln(float32 max))"),
        ({"gradlab_all_finite": False},
         "gradlab's softmax and cross-entropy stay finite and accurate"),
        ({"gradlab_worst_err": 1.1e-6},
         "gradlab's softmax and cross-entropy stay finite and accurate"),
        ({"gradlab_worst_ce_err": 1.1e-5},
         "gradlab's softmax and cross-entropy stay finite and accurate"),
        ({"grad_mse_at_minus10": 1e-4}, "|dL/dz| at a saturated wrong output: autograd = "
                                        "closed form, MSE's vanishes"),
        ({"grad_ratio_at_minus10": 0.011}, "|dL/dz| at a saturated wrong output: autograd "
                                           "= closed form, MSE's vanishes"),
        ({"ordinary_mse_best_lrs": [10.0] * 11},
         "ordinary init: every best lr lies inside the grid"),
    ]:
        assert _failed(e, _n(E12, **changes)) == {name}, changes


# ---- the protocols' helpers -----------------------------------------------------------------

def test_adagrad_effective_step_matches_its_accumulator():
    """After two steps AdaGrad's factor is lr / (sqrt(g1^2 + g2^2) + eps) per coordinate, for
    one parameter and per net of a stacked one."""
    e10 = module("e10")
    w = nn.Parameter(gradlab.tensor([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]]))
    opt = e10._make("AdaGrad", [w], 0.1)
    grads = []
    for _ in range(2):
        loss = (w * w * gradlab.tensor([[1.0], [3.0]])).sum()
        opt.zero_grad()
        loss.backward()
        grads.append(w.grad.numpy().copy())
        opt.step()
    expect = 0.1 / (np.sqrt(grads[0] ** 2 + grads[1] ** 2) + 1e-10)
    assert e10._effective_step("AdaGrad", opt) == pytest.approx(np.median(expect), rel=1e-5)
    per_net = e10._stacked_effective_step("AdaGrad", opt)
    np.testing.assert_allclose(per_net, np.median(expect, axis=1), rtol=1e-5)
    assert e10._effective_step("SGD", e10._make("SGD", [w], 0.1)) is None
    with pytest.raises(ValueError, match="only AdaGrad and RMSProp, got 'Adam'"):
        e10._stacked_effective_step("Adam", opt)


def test_make_rejects_an_unknown_optimizer():
    with pytest.raises(ValueError, match=r"_make: unknown optimizer 'LBFGS', expected one of"):
        module("e10")._make("LBFGS", [nn.Parameter(gradlab.zeros(2))], 0.1)


def test_stacked_digits_nets_train_like_separate_ones():
    """Two nets trained side by side end where each trained alone ends (float32)."""
    e10 = module("e10")
    rng = np.random.default_rng(0)
    x = gradlab.tensor(rng.random((100, 64)).astype(np.float32))
    y = gradlab.tensor(rng.integers(0, 10, 100))
    data = (x, y, x, y)
    both = e10._train_digits("RMSProp", 0.01, data, 20, [10, 20], [3, 4])
    for r, s in enumerate([3, 4]):
        alone = e10._train_digits("RMSProp", 0.01, data, 20, [10, 20], [s])[0]
        assert both[r]["final"] == pytest.approx(alone["final"], rel=1e-4)
        np.testing.assert_allclose(both[r]["curve"], alone["curve"], rtol=1e-4)
        assert both[r]["eff"][20] == pytest.approx(alone["eff"][20], rel=1e-4)
    # the init of a stacked net is _mlp()'s for that seed
    gradlab.manual_seed(3)
    ref = e10._mlp()
    w1 = e10._stacked_mlps([3, 4])[0]
    np.testing.assert_array_equal(w1.detach().numpy()[0], ref[0].weight.detach().numpy().T)


def test_sgd_closed_form_matches_a_run():
    e10 = module("e10")
    start = np.array([-4.0, 2.0])
    losses, _ = e10._run_quadratic("SGD", 0.015, 50, start)
    assert losses[-1] == pytest.approx(e10._sgd_closed_form(start, 0.015, 50), rel=1e-4)


def test_ordinary_training_crossing_step():
    """The interpolated crossing lies between the integer steps around the first hit, at
    the lr that crosses first; copies of one init at each lr do not interact."""
    e12 = module("e12")
    tr = gradlab.datasets.Digits(train=True)
    x = gradlab.tensor(tr.data.reshape(-1, 64).numpy()[:300])
    y = tr.targets[:300]
    r = e12._train_ordinary("ce", x, y, 100, [0, 1])
    for steps, lr in zip(r["steps_to_target"], r["best_lr"]):
        assert steps is not None and 0 < steps < 100 and lr in e12._DIGITS_LRS
    acc = r["acc_first_init"]
    k = math.ceil(r["steps_to_target"][0])
    assert acc[k] >= e12._TARGET_ACC > acc[k - 1]
    none = e12._train_ordinary("mse", x, y, 1, [0])
    assert none["steps_to_target"] == [None] and none["best_lr"] == [None]
