"""Lab experiments e07-e11 (BatchNorm, BN placement, whitening, optimizers, batch size): each
runs in quick mode for seeds 0, 1 and 2 with the verdict measured on this project; its numbers
are finite JSON, the numbers its explanation cites are there, and its figures are PNG; each
``judge`` is checked on synthetic numbers on both sides of its thresholds; and the helpers the
protocols rely on (the stacked per-net BatchNorm MLP, the effective step of AdaGrad, the op
count of an epoch) are checked against direct computations."""

from __future__ import annotations

import importlib

import labchecks
import numpy as np
import pytest

import gradlab
from gradlab import nn, optim
from gradlab.lab.experiment import CAVEATS, FAILS, HOLDS

MODULES = {
    "e07": "e07_batchnorm",
    "e08": "e08_bn_placement",
    "e09": "e09_whitening",
    "e10": "e10_optimizers",
    "e11": "e11_batch_size",
}

# the verdicts measured in quick mode (identical for seeds 0, 1 and 2)
MEASURED = {"e07": HOLDS, "e08": HOLDS, "e09": HOLDS, "e10": CAVEATS, "e11": CAVEATS}

# numbers each explanation cites, with the format it prints them in
CITED = {
    "e07": [("speed_ratio", ".2f"), ("same_lr_ratio", ".2f"), ("acc_eval", ".1%"),
            ("running_mean_error", ".2f"),
            ("acc_train_skewed", ".1%"), ("acc_train_pairs", ".1%")],
    "e08": [("acc_diff", "+.2%"), ("acc_t", ".2f"), ("acc_before", ".2%"),
            ("acc_after", ".2%"), ("log_train_loss_t", ".2f"), ("after_bn_mass_at_min", ".0%"),
            ("after_bn_abs_skew", ".2f")],
    "e09": [("standardize_speedup", ".1f"), ("whiten_speedup", ".1f"), ("kappa_raw", ".3g"),
            ("kappa_standardized", ".3g"), ("kappa_whitened", ".3g")],
    "e10": [("momentum_gain", ".3g"), ("nesterov_gain", ".3g"), ("adagrad_decay", ".2f"),
            ("rmsprop_decay", ".2f"), ("adagrad_behind", ".2f")],
    "e11": [("epoch_gap", ".1f"), ("large_cost_ratio", ".1f"), ("small_cost_ratio", ".2f"),
            ("sgd_cost_ratio", ".1f"), ("frac_uphill", ".0%")],
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
    assert (e.seed_error is None) == (key != "e08")


def test_quick_numbers_tell_the_story():
    """The measured facts behind the verdicts, on seed 0."""
    n = result("e07", 0).numbers
    assert "more than 1 value per channel" in n["single_sample_error"]
    assert n["acc_train_random"] > n["acc_eval"] - 0.05       # a big shuffled batch is fine
    n = result("e08", 0).numbers
    for placement in ("before", "after"):      # BN's guarantee: mean 0, variance 1 per unit
        shape = n["per_net"][placement]["bn_output"]
        assert shape["max_abs_mean"] < 1e-4 and shape["max_var_dev"] < 1e-3
    assert n["after_bn_mass_at_min"] > 0.01 and n["after_bn_abs_skew"] > 0.1  # not Gaussian
    n = result("e09", 0).numbers
    pca = n["per_input"]["pca"]
    assert pca["max_abs_corr"] < 1e-3 and pca["var_spread"] < 1.01   # whitened: white
    assert n["per_input"]["standardized"]["var_spread"] < 1.01
    assert n["per_input"]["standardized"]["max_abs_corr"] > 0.8      # correlation stays
    n = result("e11", 0).numbers
    small = n["small"]
    assert [small[k]["updates_per_epoch"] for k in ("sgd", "minibatch", "batch")] == [
        n["N"], -(-n["N"] // 32), 1]
    for k in ("sgd", "minibatch", "batch"):        # one forward matmul per update
        assert small[k]["matmuls_per_epoch"] == small[k]["updates_per_epoch"]


# ---- judge on synthetic numbers -------------------------------------------------------------

def _judge(key, base, **changes):
    n = dict(base)
    n.update(changes)
    return experiment(key).judge(n)


E07 = {"speed_ratio": 0.2, "same_lr_ratio": 0.75, "best_steps_bn": 14.0,
       "best_steps_plain": 70.0, "lr_ratio": 10.0, "max_stable_lr_bn": 3.0,
       "max_stable_lr_plain": 0.3, "acc_eval": 0.97, "acc_train_random": 0.96,
       "acc_train_skewed": 0.12, "acc_train_pairs": 0.4, "skew_drop": 0.85,
       "running_mean_error": 0.14,
       "single_sample_error": "Expected more than 1 value per channel when training"}


@pytest.mark.parametrize("changes,verdict", [
    ({}, HOLDS),
    ({"speed_ratio": 0.81}, CAVEATS),
    ({"speed_ratio": 0.79}, HOLDS),
    ({"lr_ratio": 2.9}, CAVEATS),
    ({"lr_ratio": 3.0}, HOLDS),
    ({"skew_drop": 0.19}, CAVEATS),
    ({"skew_drop": 0.21}, HOLDS),
    ({"speed_ratio": 0.81, "lr_ratio": 2.9}, FAILS),
    ({"speed_ratio": 0.81, "lr_ratio": 2.9, "skew_drop": 0.9}, FAILS),
])
def test_judge_e07(changes, verdict):
    assert _judge("e07", E07, **changes).verdict == verdict


def test_judge_e07_texts():
    v = _judge("e07", E07, speed_ratio=0.81)
    assert "Not shown: faster convergence." in v.explanation
    v = _judge("e07", E07, max_stable_lr_plain=None, single_sample_error="")
    assert "3 with BN vs none without" in v.explanation
    assert "went through" in v.explanation


E08 = {"nets": 12, "acc_before": 0.972, "acc_after": 0.970, "acc_sd_before": 0.005,
       "acc_sd_after": 0.006, "acc_diff": 0.002, "acc_t": 0.8, "wins_before": 6,
       "wins_after": 5, "train_loss_before": 0.005, "train_loss_after": 0.006,
       "log_train_loss_t": -1.0, "after_bn_mass_at_min": 0.15, "after_bn_abs_skew": 0.5,
       "before_bn_abs_skew": 0.2}


@pytest.mark.parametrize("changes,verdict", [
    ({}, HOLDS),
    ({"acc_t": 1.99, "acc_diff": 0.02}, HOLDS),
    ({"acc_t": 2.01, "acc_diff": 0.02}, FAILS),
    ({"acc_t": -2.01, "acc_diff": -0.011}, FAILS),
    ({"acc_t": 2.5, "acc_diff": 0.009}, HOLDS),       # significant but under one point
    ({"acc_t": -5.0, "acc_diff": -0.0099}, HOLDS),
])
def test_judge_e08(changes, verdict):
    assert _judge("e08", E08, **changes).verdict == verdict


def test_judge_e08_names_the_winner():
    assert "'after' clearly wins" in _judge("e08", E08, acc_t=-3.0, acc_diff=-0.02).explanation
    v = _judge("e08", E08, acc_t=3.0, acc_diff=0.005)
    assert "'before' is ahead significantly" in v.explanation


E09 = {"standardize_speedup": 6.0, "whiten_speedup": 80.0, "kappa_whitened": 1.0,
       "raw_converged": False, "steps_raw": 1000, "cap": 1000, "kappa_raw": 1.6e5,
       "steps_standardized": 160, "kappa_standardized": 80.0, "steps_pca": 2, "steps_zca": 2}


@pytest.mark.parametrize("changes,verdict", [
    ({}, HOLDS),
    ({"standardize_speedup": 1.9}, CAVEATS),
    ({"standardize_speedup": 2.0}, HOLDS),
    ({"whiten_speedup": 1.9}, CAVEATS),
    ({"whiten_speedup": 2.1}, HOLDS),
    ({"kappa_whitened": 1.6}, CAVEATS),
    ({"kappa_whitened": 1.4}, HOLDS),
    ({"standardize_speedup": 1.9, "whiten_speedup": 1.9}, FAILS),
])
def test_judge_e09(changes, verdict):
    assert _judge("e09", E09, **changes).verdict == verdict


def test_judge_e09_lower_bound_wording():
    assert "more than 1000 steps" in _judge("e09", E09).explanation
    v = _judge("e09", E09, raw_converged=True, steps_raw=900)
    assert "needed 900 steps" in v.explanation and "lower bound" not in v.explanation


E10 = {"kappa": 100.0, "quad_steps": 100, "momentum_gain": 300.0, "nesterov_gain": 2e5,
       "adagrad_decay": 0.16, "rmsprop_decay": 0.33, "adam_decay": 0.5,
       "adagrad_behind": 1.36, "best_digits": "AdaDelta",
       "digits": {"AdaGrad": {"train_loss": 0.27}, "RMSProp": {"train_loss": 0.2},
                  "Adam": {"train_loss": 0.29}}}


@pytest.mark.parametrize("changes,verdict", [
    ({}, CAVEATS),
    ({"adagrad_behind": 1.5}, HOLDS),
    ({"adagrad_behind": 1.49}, CAVEATS),
    ({"adagrad_decay": 0.21, "adagrad_behind": 2.0}, CAVEATS),
    ({"adagrad_decay": 0.19, "adagrad_behind": 2.0}, HOLDS),
    ({"momentum_gain": 9.9, "adagrad_behind": 2.0}, CAVEATS),
    ({"momentum_gain": 10.0, "adagrad_behind": 2.0}, HOLDS),
    ({"momentum_gain": 9.9, "adagrad_decay": 0.21}, FAILS),
])
def test_judge_e10(changes, verdict):
    assert _judge("e10", E10, **changes).verdict == verdict


E11 = {"N": 1438, "N_large": 23008, "epoch_gap": 2.8, "large_cost_ratio": 3.2,
       "small_cost_ratio": 0.4, "sgd_cost_ratio": 8.0, "frac_uphill": 0.42,
       "sgd_epoch1_loss": 0.33, "initial_loss": 2.33,
       "loss_1ep": {"sgd": 0.33, "minibatch": 0.68, "batch": 1.9},
       "small": {"sgd": {"updates_per_epoch": 1438, "ops_per_epoch": 10066,
                         "cpu_per_epoch": 0.74},
                 "minibatch": {"updates_per_epoch": 45, "ops_per_epoch": 315,
                               "cpu_per_epoch": 0.026},
                 "batch": {"updates_per_epoch": 1, "ops_per_epoch": 7, "cpu_per_epoch": 0.001}}}


@pytest.mark.parametrize("changes,verdict", [
    ({}, CAVEATS),
    ({"sgd_cost_ratio": 2.0}, HOLDS),
    ({"sgd_cost_ratio": 2.1}, CAVEATS),
    ({"sgd_cost_ratio": 1.0, "frac_uphill": 0.09}, CAVEATS),
    ({"sgd_cost_ratio": 1.0, "sgd_epoch1_loss": 2.4}, CAVEATS),
    ({"epoch_gap": 1.4}, FAILS),
    ({"epoch_gap": 1.6}, CAVEATS),
    ({"large_cost_ratio": 1.9}, FAILS),
    ({"large_cost_ratio": 2.1, "sgd_cost_ratio": 1.0}, HOLDS),
])
def test_judge_e11(changes, verdict):
    assert _judge("e11", E11, **changes).verdict == verdict


# ---- the protocols' helpers -----------------------------------------------------------------

def test_stacked_mlp_equals_separate_nets():
    """Net r of the stacked model computes what a plain Sequential with slice r of the weights
    and its own BatchNorm1d computes, in training and in eval mode, for both placements."""
    stacked_cls = module("e08").StackedMLP
    gradlab.manual_seed(0)
    x = gradlab.randn(16, 64)
    for placement in ("before", "after"):
        model = stacked_cls(3, placement, depth=2, width=8)
        nets = []
        for r in range(3):
            layers = []
            for layer in model.layers:
                w = layer.weight.detach().numpy()[r]
                lin = nn.Linear(w.shape[0], w.shape[1])
                lin.weight.data[...] = w.T
                lin.bias.data[...] = layer.bias.detach().numpy()[r, 0]
                bn = nn.BatchNorm1d(w.shape[1])
                layers += [lin, bn, nn.ReLU()] if placement == "before" else [lin, nn.ReLU(), bn]
            head = nn.Linear(8, 10)
            head.weight.data[...] = model.head_w.detach().numpy()[r].T
            head.bias.data[...] = model.head_b.detach().numpy()[r, 0]
            nets.append(nn.Sequential(*layers, head))
        for mode in ("train", "eval"):
            if mode == "eval":
                model.eval()
                for net in nets:
                    net.eval()
            with gradlab.no_grad():
                out = model(x).numpy()
                for r, net in enumerate(nets):
                    np.testing.assert_allclose(out[r], net(x).numpy(), rtol=1e-4, atol=1e-5)


def test_stacked_mlp_rejects_a_bad_placement():
    with pytest.raises(ValueError, match=r"StackedMLP: placement must be 'before' or 'after', "
                                         r"got 'middle'"):
        module("e08").StackedMLP(2, "middle")


def test_adagrad_effective_step_matches_its_accumulator():
    """After two steps AdaGrad's factor is lr / (sqrt(g1^2 + g2^2) + eps) per coordinate."""
    e10 = module("e10")
    w = nn.Parameter(gradlab.tensor([1.0, -2.0, 3.0]))
    opt = e10._make("AdaGrad", [w], 0.1)
    grads = []
    for _ in range(2):
        loss = (w * w).sum()
        opt.zero_grad()
        loss.backward()
        grads.append(w.grad.numpy().copy())
        opt.step()
    expect = np.median(0.1 / (np.sqrt(grads[0] ** 2 + grads[1] ** 2) + 1e-10))
    assert e10._effective_step("AdaGrad", opt) == pytest.approx(expect, rel=1e-5)
    assert e10._effective_step("SGD", optim.SGD([w], lr=0.1)) is None


def test_make_rejects_an_unknown_optimizer():
    with pytest.raises(ValueError, match=r"_make: unknown optimizer 'LBFGS', expected one of"):
        module("e10")._make("LBFGS", [nn.Parameter(gradlab.zeros(2))], 0.1)


def test_batch_size_epoch_counts():
    """An epoch of batch B over N samples is ceil(N / B) updates, one forward matmul each; the
    uphill fraction is watched only for B = 1."""
    e11 = module("e11")
    gradlab.manual_seed(0)
    X = gradlab.rand(70, 64)
    y = gradlab.randint(0, 10, (70,))
    for kind, updates in (("sgd", 70), ("minibatch", 3), ("batch", 1)):
        r = e11._train(kind, X, y, 1, np.random.default_rng(0), 0)
        assert r["updates_per_epoch"] == r["updates"] == updates
        assert r["matmuls_per_epoch"] == updates
        assert r["ops_per_epoch"] >= 3 * updates
        assert (r["frac_updates_up"] is not None) == (kind == "sgd")
        assert r["history"][-1][0] == pytest.approx(1.0)
