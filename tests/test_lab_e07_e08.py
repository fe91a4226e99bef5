"""Lab experiments e07 (BatchNorm: speed at the same lr, lr tolerance, eval mode) and e08 (BN
before vs after ReLU): quick runs for seeds 0-2 with the verdicts measured on this project,
every verdict reached from synthetic numbers on both sides of each threshold, each check
failing on broken numbers, and the protocols' helpers (the grid ratio, the stacked per-net BN
MLP) against direct computations."""

from __future__ import annotations

import importlib
import math

import labchecks
import numpy as np
import pytest

import gradlab
from gradlab import nn
from gradlab.lab.experiment import CAVEATS, FAILS, HOLDS, MOVES

E07, E08 = "e07_batchnorm", "e08_bn_placement"

# the verdicts measured in quick mode on this project's machine (OpenBLAS SkylakeX kernel), the
# same on the Haswell kernel and under a 1e-6 jitter. e07: median pair ratio 0.72 / 0.72 / 0.73
# over 128 pairs (95% intervals up to 0.74). e08: paired t over 120 pairs 3.73 / 1.33 / 1.00
# (Haswell 2.39 / 0.20 / 1.42, jitter 3.05 / 0.40 / 1.02): the verdict differs between seeds,
# a lead of 'before' of about 0.1-0.3 points at the detection limit of 120 pairs.
MEASURED = {E07: [HOLDS, HOLDS, HOLDS], E08: [CAVEATS, HOLDS, HOLDS]}

CITED = {
    E07: [("same_lr_ratio", ".2f"), ("steps_bn_lr0.1", ".0f"), ("steps_plain_lr0.1", ".0f"),
          ("speed_ratio", ".2f"), ("acc_eval", ".1%"), ("running_mean_error", ".2f"),
          ("acc_train_random", ".1%"), ("acc_train_skewed", ".1%"), ("acc_train_pairs", ".1%")],
    E08: [("acc_diff", "+.2%"), ("acc_sd_diff", ".2%"), ("acc_t", ".2f"), ("acc_before", ".2%"),
          ("acc_after", ".2%"), ("log_train_loss_t", ".2f"), ("after_bn_mass_at_min", ".0%"),
          ("after_bn_abs_skew", ".2f")],
}


def module(name: str):
    return importlib.import_module(f"gradlab.lab.experiments.{name}")


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name", [E07, E08])
def test_quick_run(name, seed):
    r = labchecks.quick_result(name, seed)
    labchecks.check_result(r, MEASURED[name][seed], seed, CITED[name])


@pytest.mark.parametrize("name", [E07, E08])
def test_metadata_and_revisions(name):
    e = labchecks.experiment(name)
    labchecks.check_metadata(e)
    from gradlab.lab.errata import ERRATA

    # e08's numbers feed the registry's "BN normalizes to a Gaussian" entry; e07's feed none
    assert any(x.experiment == e.id for x in ERRATA) == (name == E08)
    # the change disclosed in issue 7 (2026-11-27) and this changes, each with its effect
    assert e.revisions[0].date == "2026-11-27" and e.revisions[0].moved == "toward holds"
    assert len(e.revisions) == 5
    for rev in e.revisions:
        assert rev.moved in MOVES and rev.effect
    assert all(rev.date == "2026-12-06" for rev in e.revisions[1:])


def test_quick_numbers_tell_the_story():
    """The measured facts behind the verdicts, on seed 0."""
    n = labchecks.quick_result(E07, 0).numbers
    assert "more than 1 value per channel" in n["single_sample_error"]
    assert n["acc_train_random"] > n["acc_eval"] - 0.05       # a big shuffled batch is fine
    assert n["pairs"] == len(n["pair_ratios"]) == len(n["pair_steps_bn"]) == 128
    assert n["same_lr_ratio"] == pytest.approx(np.median(n["pair_ratios"]))
    lo, hi = n["same_lr_ratio_ci"]
    assert lo <= n["same_lr_ratio"] <= hi
    np.testing.assert_allclose(n["pair_ratios"],
                               np.array(n["pair_steps_bn"]) / np.array(n["pair_steps_plain"]))
    assert n["lr_ratio"] == pytest.approx(n["max_stable_lr_bn"] / n["max_stable_lr_plain"])
    n = labchecks.quick_result(E08, 0).numbers
    assert n["pairs"] == n["nets"] == 120
    a, b = (np.array(n["per_net"][p]["test_acc"]) for p in ("before", "after"))
    assert len(a) == len(b) == 120
    # accuracies are counts of test images
    np.testing.assert_allclose(a * n["test_size"], np.rint(a * n["test_size"]), atol=1e-9)
    d = a - b
    assert n["acc_diff"] == pytest.approx(d.mean())
    assert n["acc_t"] == pytest.approx(d.mean() / (d.std(ddof=1) / np.sqrt(len(d))))
    assert n["wins_before"] + n["wins_after"] <= n["pairs"]
    # the seed error's numbers: after ReLU, BN's output has a point mass and a skew
    assert n["after_bn_mass_at_min"] > 0.01 and n["after_bn_abs_skew"] > 0.1


# ---- e07's judge on synthetic numbers -------------------------------------------------------

E07_BASE = {
    "same_lr": 0.1, "pairs": 9, "same_lr_ratio": 0.7, "same_lr_ratio_ci": [0.62, 0.78],
    "pair_ratios": [0.6, 0.62, 0.65, 0.68, 0.7, 0.72, 0.75, 0.78, 0.79],
    "steps_bn_lr0.1": 56.0, "steps_plain_lr0.1": 80.0, "speed_ratio": 0.2,
    "lr_ratio": 10.0, "max_stable_lr_bn": 3.0, "max_stable_lr_plain": 0.3,
    "acc_eval": 0.97, "acc_train_random": 0.96, "acc_train_skewed": 0.12,
    "acc_train_pairs": 0.4, "skew_drop": 0.85, "running_mean_error": 0.14,
    "single_sample_error": "Expected more than 1 value per channel when training"}

E07_CASES = [
    ({}, HOLDS),
    ({"same_lr_ratio": 0.81}, CAVEATS),              # speed alone fails
    ({"same_lr_ratio": 0.8}, HOLDS),
    ({"lr_ratio": 2.9}, CAVEATS),                    # tolerance alone fails
    ({"lr_ratio": 3.0}, HOLDS),
    ({"same_lr_ratio": 0.81, "lr_ratio": 2.9}, FAILS),   # the first half fails entirely
    ({"skew_drop": 0.19}, FAILS),                    # the eval-mode half fails
    ({"skew_drop": 0.2}, HOLDS),
    ({"same_lr_ratio": 0.81, "skew_drop": 0.19}, FAILS),
    ({"lr_ratio": 2.9, "skew_drop": 0.21}, CAVEATS),
]


def _numbers(base, changes):
    n = dict(base)
    n.update(changes)
    return n


@pytest.mark.parametrize("changes,verdict", E07_CASES)
def test_judge_e07(changes, verdict):
    v = labchecks.experiment(E07).judge(_numbers(E07_BASE, changes))
    assert v.verdict == verdict, v.explanation
    assert [c.threshold_name for c in v.criteria] == ["speed_ratio_max", "lr_ratio_min",
                                                      "skew_drop_min"]


def test_e07_reaches_every_verdict():
    labchecks.check_reachable(labchecks.experiment(E07),
                              [(_numbers(E07_BASE, c), v) for c, v in E07_CASES])


def test_judge_e07_texts():
    e = labchecks.experiment(E07)
    v = e.judge(_numbers(E07_BASE, {"same_lr_ratio": 0.81}))
    assert "Not shown: faster training at the same lr." in v.explanation
    v = e.judge(_numbers(E07_BASE, {"skew_drop": 0.1}))
    assert "the eval-mode half of the claim is not borne out" in v.explanation
    v = e.judge(_numbers(E07_BASE, {"max_stable_lr_plain": None, "lr_ratio": 1e9,
                                    "single_sample_error": ""}))
    assert "3 with BN vs none without (no stable lr without BN" in v.explanation
    assert "went through" in v.explanation
    assert "9 at or below it" in v.explanation and "depends on which pairs" not in v.explanation
    assert "(95% interval 0.62 to 0.78; threshold 0.8;" in v.explanation
    ratios = [0.66, 0.68, 0.7, 0.79, 0.81, 0.82, 0.84, 0.85, 0.9]
    for ci, note in (([0.7, 0.84], True), ([0.81, 0.85], False), ([0.7, 0.8], True)):
        v = e.judge(_numbers(E07_BASE, {"pair_ratios": ratios, "same_lr_ratio": 0.81,
                                        "same_lr_ratio_ci": ci}))
        assert ("That interval contains 0.8: the speed verdict depends on which pairs are "
                "drawn." in v.explanation) == note


def test_e07_median_interval():
    """The interval's ranks, and its coverage of the median computed exactly: the median lies
    between the order statistics v[lo] and v[hi] (0-based) when lo + 1 to hi of the n values
    fall below it, a binomial(n, 1/2) count."""
    m = module(E07)
    for n, ranks in ((128, (51, 76)), (9, (0, 8)), (100, (39, 60))):
        lo, hi = m._median_ci(list(range(n))[::-1])
        assert (lo, hi) == ranks
        cover = sum(math.comb(n, k) for k in range(int(lo) + 1, int(hi) + 1)) / 2 ** n
        assert cover >= 0.95 and (n < 100 or cover < 0.98), (n, cover)


def test_e07_grid_ratio_counts_one_step():
    """0.3 / 0.1 is below 3 in binary floats; the grid ratio rounds it back to 3."""
    m = module(E07)
    assert 0.3 / 0.1 < 3.0
    assert m._grid_ratio(0.1, 0.3) == 3.0 and m._grid_ratio(1.0, 3.0) == 3.0
    assert m._grid_ratio(0.3, 1.0) == 3.33333
    assert m._grid_ratio(0.1, 0.25) == 2.5


def test_e07_checks_fail_on_broken_numbers():
    e = labchecks.experiment(E07)
    good = {"lrs": [0.1, 0.3, 1.0, 3.0], "single_sample_error": "Expected more than 1 value"}
    assert all(c.passed for c in e.checks(good))
    grid, single = e.checks(dict(good, lrs=[0.1, 0.25, 1.0, 3.0]))
    assert not grid.passed and single.passed and "2.5" in grid.detail
    grid, single = e.checks(dict(good, single_sample_error=""))
    assert grid.passed and not single.passed


# ---- e08's judge on synthetic numbers -------------------------------------------------------

E08_BASE = {
    "nets": 36, "pairs": 36, "acc_before": 0.972, "acc_after": 0.970,
    "acc_sd_before": 0.005, "acc_sd_after": 0.006, "acc_diff": 0.002, "acc_sd_diff": 0.008,
    "acc_diff_se": 0.0025, "acc_t": 0.8, "wins_before": 18, "wins_after": 14,
    "train_loss_before": 0.005, "train_loss_after": 0.006, "log_train_loss_t": -1.0,
    "after_bn_mass_at_min": 0.15, "after_bn_abs_skew": 0.5, "before_bn_abs_skew": 0.2}

E08_CASES = [
    ({}, HOLDS),
    ({"acc_t": 1.99, "acc_diff": 0.02}, HOLDS),       # a big difference within the spread
    ({"acc_t": 2.0, "acc_diff": 0.009}, CAVEATS),     # consistent but under one point
    ({"acc_t": -5.0, "acc_diff": -0.0099}, CAVEATS),
    ({"acc_t": 2.01, "acc_diff": 0.01}, FAILS),       # consistent and at least one point
    ({"acc_t": -3.0, "acc_diff": -0.02}, FAILS),
]


@pytest.mark.parametrize("changes,verdict", E08_CASES)
def test_judge_e08(changes, verdict):
    v = labchecks.experiment(E08).judge(_numbers(E08_BASE, changes))
    assert v.verdict == verdict, v.explanation
    assert [c.threshold_name for c in v.criteria] == ["t_max", "margin_min"]


def test_e08_reaches_every_verdict():
    labchecks.check_reachable(labchecks.experiment(E08),
                              [(_numbers(E08_BASE, c), v) for c, v in E08_CASES])


def test_judge_e08_texts():
    e = labchecks.experiment(E08)
    v = e.judge(_numbers(E08_BASE, {"acc_t": -3.0, "acc_diff": -0.02, "wins_after": 30}))
    assert "'after' clearly wins" in v.explanation
    v = e.judge(_numbers(E08_BASE, {"acc_t": 3.0, "acc_diff": 0.005, "wins_before": 24}))
    assert "'before' is ahead consistently" in v.explanation and "24 of 36 pairs" in v.explanation
    assert "within what a rerun changes" not in v.explanation
    assert "is a matter of the draw" not in v.explanation
    assert "(difference +/- 2 standard errors: +0.00% to +1.00%)" in v.explanation
    for t, note in ((2.12, True), (-1.2, True), (0.8, False), (3.5, False), (-3.0, False)):
        v = e.judge(_numbers(E08_BASE, {"acc_t": t}))
        assert ("|t| is within 1 of 2, about the spread of a t statistic between redraws of "
                "the pairs: whether it reaches 2 is a matter of the draw." in v.explanation
                ) == note, t


def test_e08_checks_fail_on_broken_numbers():
    e = labchecks.experiment(E08)
    ok = {"max_abs_mean": 2e-6, "max_var_dev": 2e-5}

    def numbers(before, after):
        return {"per_net": {"before": {"bn_output": before}, "after": {"bn_output": after}}}
    assert all(c.passed for c in e.checks(numbers(ok, ok)))
    assert [c.passed for c in e.checks(numbers(ok, dict(ok, max_abs_mean=1e-3)))] == [True,
                                                                                     False]
    assert [c.passed for c in e.checks(numbers(dict(ok, max_var_dev=1e-3), ok))] == [False,
                                                                                    True]


# ---- e08's stacked model --------------------------------------------------------------------

def _separate_nets(model, placement):
    nets = []
    for r in range(model.nets):
        layers = []
        for layer in model.layers:
            w = layer.weight.detach().numpy()[r]
            lin = nn.Linear(w.shape[0], w.shape[1])
            lin.weight.array[...] = w.T
            lin.bias.array[...] = layer.bias.detach().numpy()[r, 0]
            bn = nn.BatchNorm1d(w.shape[1])
            if placement == "none":
                layers += [lin, nn.ReLU()]
                continue
            layers += [lin, bn, nn.ReLU()] if placement == "before" else [lin, nn.ReLU(), bn]
        head = nn.Linear(model.width, 10)
        head.weight.array[...] = model.head_w.detach().numpy()[r].T
        head.bias.array[...] = model.head_b.detach().numpy()[r, 0]
        nets.append(nn.Sequential(*layers, head))
    return nets


@pytest.mark.parametrize("per_net_input", [False, True])
def test_stacked_mlp_equals_separate_nets(per_net_input):
    """Net r of the stacked model computes what a plain Sequential with slice r of the weights
    and its own BatchNorm1d computes, in training and in eval mode, for both placements, on one
    batch shared by all nets or on a batch per net."""
    stacked_cls = module(E08).StackedMLP
    gradlab.manual_seed(0)
    x = gradlab.randn(3, 16, 64) if per_net_input else gradlab.randn(16, 64)
    for placement in ("before", "after", "none"):
        model = stacked_cls(3, placement, depth=2, width=8)
        nets = _separate_nets(model, placement)
        for mode in ("train", "eval"):
            if mode == "eval":
                model.eval()
                for net in nets:
                    net.eval()
            with gradlab.no_grad():
                out = model(x).numpy()
                for r, net in enumerate(nets):
                    xr = x[r] if per_net_input else x
                    np.testing.assert_allclose(out[r], net(xr).numpy(), rtol=1e-4, atol=1e-5)


def test_both_placements_start_from_the_same_weights():
    """The pairing: under one seed, 'before' and 'after' draw identical initial weights."""
    stacked_cls = module(E08).StackedMLP
    gradlab.manual_seed(5)
    a = stacked_cls(4, "before", depth=2, width=8)
    gradlab.manual_seed(5)
    b = stacked_cls(4, "after", depth=2, width=8)
    for pa, pb in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(pa.detach().numpy(), pb.detach().numpy())


def test_stacked_mlp_rejects_a_bad_placement():
    with pytest.raises(ValueError, match=r"StackedMLP: placement must be 'before', 'after' or "
                                         r"'none', got 'middle'"):
        module(E08).StackedMLP(2, "middle")


@pytest.mark.parametrize("bn", [False, True])
def test_e07_stacked_pairs_train_like_separate_nets(bn):
    """e07's side-by-side training: each stacked net follows the loss curve of a separate net
    with its initial weights, trained by plain SGD on its own batches; a net that diverges is
    cut after its first loss above the limit."""
    m = module(E07)
    digits = m.Digits(train=True)
    X, y = digits.data.reshape(-1, 64), digits.targets
    curves = m._train_pairs(bn, 3, 0.1, 6, 11, X, y)
    gradlab.manual_seed(11)
    nets = _separate_nets(module(E08).StackedMLP(3, "before" if bn else "none"),
                          "before" if bn else "none")
    opts = [gradlab.optim.SGD(net.parameters(), lr=0.1) for net in nets]
    rng = np.random.default_rng(11)
    losses = [[] for _ in nets]
    for _ in range(6):
        idx = rng.integers(0, len(X), (3, 64))
        for r, (net, opt) in enumerate(zip(nets, opts)):
            i = gradlab.tensor(idx[r])
            loss = gradlab.nn.functional.cross_entropy(net(X[i]), y[i])
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses[r].append(float(loss))
    np.testing.assert_allclose(np.array(curves), np.array(losses), rtol=2e-4)
    # divergence: an lr far too large, every net cut with the marker as its last loss
    with np.errstate(all="ignore"):
        diverged = m._train_pairs(bn, 2, 1e4, 30, 11, X, y)
    for c in diverged:
        assert len(c) < 30 and c[-1] == m._DIVERGED
        assert all(np.isfinite(v) and v <= m._DIVERGED for v in c[:-1])
