"""Lab experiment e18 (vanishing gradients: shallow layers barely learn, the top layers do the
work): quick mode for seeds 0, 1 and 2 gives the verdict measured on this project; its numbers
are finite JSON, the numbers its explanation cites are there, its figure is PNG and its checks
pass. ``judge`` reaches all three verdicts from synthetic numbers on both sides of every
threshold, each check fails on broken numbers, and the stacked nets compute what separate nets
compute."""

from __future__ import annotations

import copy

import labchecks
import numpy as np
import pytest

import gradlab
from gradlab.lab.experiment import CAVEATS, FAILS, HOLDS

NAME = "e18_shallow_layers"

# measured in quick mode: the same for seeds 0, 1 and 2, on OpenBLAS's SkylakeX and Haswell
# kernels, and under a 1e-6 jitter
MEASURED = CAVEATS

CITED = [("full_ratio", ".3g"), ("relu_ratio", ".3g"), ("full_test_acc", ".1%"),
         ("top2_test_acc", ".1%"), ("relu_test_acc", ".1%"), ("full_final_batch_loss", ".3f")]


def module():
    import importlib
    return importlib.import_module(f"gradlab.lab.experiments.{NAME}")


def experiment():
    return labchecks.experiment(NAME)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_quick_run(seed):
    r = labchecks.quick_result(NAME, seed)
    labchecks.check_result(r, MEASURED, seed, CITED)


def test_metadata():
    e = experiment()
    labchecks.check_metadata(e)
    assert len(e.revisions) == 3
    for rev in e.revisions:
        assert rev.effect and rev.date == "2026-12-06"


def test_quick_numbers_tell_the_story():
    """The measured facts behind the verdict, on seed 0: the weight change grows towards the
    top, the ReLU control moves its first layer, and the sigmoid net stays at chance."""
    n = labchecks.quick_result(NAME, 0).numbers
    ch = n["full_change_per_layer"]
    assert all(a < b for a, b in zip(ch[:8], ch[1:9]))
    assert n["relu_diverged"] == 0 and n["relu_ratio"] > 0.1
    assert n["full_test_acc"] < 0.3 < n["relu_test_acc"]


def test_stacked_net_is_the_separate_nets():
    m = module()
    w, b = m.initial_weights(2, "default", 0)
    net = m.StackedMLP(w, b, "sigmoid")
    x = np.random.default_rng(0).random((5, 64)).astype(np.float32)
    with gradlab.no_grad():
        got = net(gradlab.tensor(np.stack([x, x]))).numpy()
    for k in range(2):
        h = x.astype(np.float64)
        for i in range(len(w)):
            h = h @ w[i][k] + b[i][k]
            if i < len(w) - 1:
                h = 1 / (1 + np.exp(-h))
        assert np.allclose(got[k], h, atol=1e-5)
    before = [np.ones((2, 3, 3)), 2 * np.ones((2, 3, 3))]
    after = [np.ones((2, 3, 3)) * np.array([1.5, 1.0])[:, None, None], 2 * np.ones((2, 3, 3))]
    assert np.allclose(m.relative_change(before, after), [[0.5, 0.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match="init must be 'default' or 'he'"):
        m.initial_weights(1, "xavier", 0)


def _n(base, **changes):
    n = copy.deepcopy(base)
    n.update(changes)
    return n


E18 = {"starts": 3, "steps": 400, "full_ratio": 5e-7, "acc_gap": 0.0, "relu_ratio": 0.7,
       "relu_diverged": 0, "relu_lr": 0.05, "full_test_acc": 0.80, "top2_test_acc": 0.80,
       "relu_test_acc": 0.94, "full_final_batch_loss": 0.6,
       "full_change_per_layer": [6e-8] + [1e-4] * 8 + [0.13],
       "full_test_acc_runs": [0.8, 0.8, 0.8], "top2_test_acc_runs": [0.8, 0.8, 0.8],
       "top2_change_runs": [[0.0] * 8 + [0.5, 0.1]] * 3}
CHANCE = _n(E18, full_test_acc=0.10, top2_test_acc=0.10, full_final_batch_loss=2.31,
            full_test_acc_runs=[0.1] * 3, top2_test_acc_runs=[0.1] * 3)


def test_judge_reaches_every_verdict():
    labchecks.check_reachable(experiment(), [
        (E18, HOLDS),
        (_n(E18, full_ratio=0.1), HOLDS),
        (_n(E18, full_ratio=0.11), FAILS),
        (_n(E18, full_ratio=0.11, acc_gap=0.3), FAILS),
        (_n(E18, full_ratio=None), FAILS),                 # every sigmoid start diverged
        (_n(E18, acc_gap=0.02), HOLDS),
        (_n(E18, acc_gap=0.021), CAVEATS),
        (_n(E18, acc_gap=-0.05), HOLDS),                   # top-2-only better: within
        (_n(E18, full_test_acc=0.30), HOLDS),
        (_n(E18, full_test_acc=0.299), CAVEATS),           # the whole net learns nothing
        (CHANCE, CAVEATS),
        (_n(CHANCE, full_ratio=0.2), FAILS),
        (_n(E18, relu_ratio=None, relu_diverged=3), HOLDS),    # the control is not judged
    ])


def test_judge_wording():
    e = experiment()
    assert "the whole net learns" in e.judge(E18).explanation
    v = e.judge(_n(E18, relu_ratio=None, relu_diverged=3))
    assert "3 of 3 starts diverged" in v.explanation
    assert "loses more than the threshold" in e.judge(_n(E18, acc_gap=0.05)).explanation
    assert "compares two nets that learned nothing" in e.judge(CHANCE).explanation


def _failed(e, numbers):
    return {c.name for c in e.checks(numbers) if not c.passed}


def test_checks_fail_on_broken_numbers():
    e = experiment()
    assert not _failed(e, E18)
    moved = [[0.0] * 7 + [1e-9, 0.5, 0.1]] + E18["top2_change_runs"][1:]
    assert _failed(e, _n(E18, top2_change_runs=moved)) == {
        "the top-2-only net's frozen layers 1-8 do not move"}
    assert _failed(e, _n(E18, acc_gap=0.01)) == {
        "the gap is the median of the paired per-start differences"}
