"""Lab experiment e41 (an RBM trained by CD-1 raises its exact likelihood nearly as far as the
exact gradient does): it runs in quick mode for seeds 0, 1 and 2 with the verdict measured on
this project, its numbers are finite JSON, the numbers its explanation cites are there, its
figure is a PNG and its checks pass. ``judge`` reaches all three verdicts from synthetic numbers
on both sides of every threshold, each check fails on broken numbers, and the protocol's helpers
(the bars-and-stripes set, the stacked log Z) agree with direct computations."""

from __future__ import annotations

import importlib
import itertools
import math

import labchecks
import numpy as np
import pytest

import gradlab
from gradlab.lab.experiment import CAVEATS, FAILS, HOLDS

MODULES = {"e41": "e41_rbm"}

# the verdict measured in quick mode (the same for seeds 0, 1 and 2, on OpenBLAS's SkylakeX
# and Haswell kernels, and under a 1e-6 jitter)
MEASURED = {"e41": HOLDS}

# numbers the explanation cites, with the format it prints them in
CITED = {"e41": [("ll_start", ".3f"), ("ll_cd_end", ".3f"), ("ll_exact_end", ".3f"),
                 ("rise_cd", ".3f"), ("rise_exact", ".3f"), ("ratio", ".3f"),
                 ("patterns", "d"), ("steps", "d")]}

test_quick_run, test_metadata = labchecks.standard_tests(MODULES, MEASURED, CITED)


def module():
    return importlib.import_module(f"gradlab.lab.experiments.{MODULES['e41']}")


def experiment():
    return labchecks.experiment(MODULES["e41"])


def test_quick_numbers_tell_the_story():
    """Seed 0: both trainers start at the uniform model's level (W ~ N(0, 0.01^2), biases 0),
    every start rises under both trainers, and the recorded curves end at the measured values."""
    n = labchecks.quick_result(MODULES["e41"], 0).numbers
    assert abs(n["ll_start"] - n["uniform_ll"]) < 0.01
    assert min(n["rise_cd_runs"]) > 0 and min(n["rise_exact_runs"]) > 0
    assert n["curve_cd_steps"][-1] == n["steps"] == n["curve_exact_steps"][-1]
    np.testing.assert_allclose(n["curve_cd"][-1], n["ll_cd_end_runs"], rtol=1e-10)
    np.testing.assert_allclose(n["curve_exact"][-1], n["ll_exact_end_runs"], rtol=1e-10)


# ---- helpers against direct computations ----------------------------------------------------


def test_bars_and_stripes():
    m = module()
    p = m.bars_and_stripes()
    assert p.shape == (30, 16)
    expected = set()
    for bits in itertools.product([0.0, 1.0], repeat=4):
        img = np.repeat(np.array(bits)[:, None], 4, axis=1)
        expected.add(img.tobytes())
        expected.add(np.ascontiguousarray(img.T).tobytes())
    assert len(expected) == 30
    assert {r.reshape(4, 4).tobytes() for r in p} == expected
    assert all(m.is_bars_or_stripes(r) for r in p)
    assert not m.is_bars_or_stripes(np.eye(4).reshape(-1))
    assert not m.is_bars_or_stripes(np.full(16, 0.5))
    assert m.bars_and_stripes(3).shape == (14, 9)


def test_stacked_log_partition_and_likelihood_match_the_class():
    m = module()
    rng = np.random.default_rng(0)
    w = rng.standard_normal((2, 3, 5))
    b = rng.standard_normal((2, 1, 5))
    c = rng.standard_normal((2, 1, 3))
    hs = gradlab.tensor(m.all_binary_states(3))
    lz = m.stacked_log_partition(gradlab.tensor(w), gradlab.tensor(b), gradlab.tensor(c), hs)
    np.testing.assert_allclose(lz.numpy(), m.log_partition_hidden_np(w, b, c), rtol=1e-13)
    data = rng.integers(0, 2, (7, 5)).astype(float)
    ll = m.mean_ll_np(data, w, b, c)
    for i in range(2):
        r = m.rbm_of(w[i], b[i], c[i])
        assert math.isclose(lz.numpy()[i], r.log_partition().item(), rel_tol=1e-13)
        assert math.isclose(ll[i], r.log_likelihood(gradlab.tensor(data)).mean().item(),
                            rel_tol=1e-13)
    s = m.starts(0, 3)
    assert s.shape == (3, 8, 16) and abs(s.std() - 0.01) < 0.002
    assert not np.array_equal(s[0], s[1]) and not np.array_equal(s, m.starts(1, 3))


# ---- judge on synthetic numbers -------------------------------------------------------------

E41 = {
    "visible": 16, "hidden": 8, "starts": 5, "steps": 1000, "lr": 0.1, "patterns": 30,
    "patterns_distinct": 30, "patterns_expected": 30, "patterns_all_bars_or_stripes": True,
    "uniform_ll": -16 * math.log(2), "ll_start": -11.09, "ll_cd_end": -9.6,
    "ll_exact_end": -9.5, "rise_cd": 1.4, "rise_exact": 1.5, "ratio": 1.4 / 1.5,
    "logz_visible_vs_hidden": 2e-16, "exact_loss_max_rise": -6e-6,
    "exact_loss_first_vs_visible": 4e-15, "stacked_vs_class_free_energy": 0.0,
    "stacked_vs_class_cd_grad": 2e-16, "stacked_vs_class_exact_grad": 5e-15,
}


def _n(rise_cd=None, rise_exact=None, **changes):
    rc = E41["rise_cd"] if rise_cd is None else rise_cd
    re = E41["rise_exact"] if rise_exact is None else rise_exact
    base = {"rise_cd": rc, "rise_exact": re, "ratio": rc / max(re, 1e-12),
            "ll_cd_end": E41["ll_start"] + rc, "ll_exact_end": E41["ll_start"] + re}
    base.update(changes)
    return labchecks.with_changes(E41, base)


def test_judge_reaches_every_verdict():
    labchecks.check_reachable(experiment(), [
        (E41, HOLDS),
        (_n(rise_cd=1.0, rise_exact=1.25), HOLDS),          # rise and ratio exactly at 1.0, 0.8
        (_n(rise_cd=0.999, rise_exact=1.0), FAILS),         # ratio high, rise just short
        (_n(rise_cd=1.6, rise_exact=2.0), HOLDS),           # ratio 0.8
        (_n(rise_cd=1.599, rise_exact=2.0), CAVEATS),       # ratio just under 0.8
        (_n(rise_cd=1.5, rise_exact=3.0), CAVEATS),         # ratio exactly 0.5
        (_n(rise_cd=1.499, rise_exact=3.0), FAILS),         # ratio just under 0.5
        (_n(rise_cd=2.0, rise_exact=1.5), HOLDS),           # CD beyond the exact gradient
        (_n(rise_cd=0.2, rise_exact=0.1), FAILS),           # neither rises 1 nat
        (_n(rise_cd=-0.5, rise_exact=1.5), FAILS),          # CD lowers the likelihood
    ])


def test_judge_wording():
    e = experiment()
    v = e.judge(_n(rise_cd=0.5, rise_exact=0.6))
    assert "does not raise the exact likelihood by the registered amount" in v.explanation
    v = e.judge(_n(rise_cd=1.2, rise_exact=3.0))
    assert "falls far short" in v.explanation
    v = e.judge(_n(rise_cd=1.2, rise_exact=2.0))
    assert v.verdict == CAVEATS and "clearly less far" in v.explanation
    assert [c.threshold_name for c in v.criteria] == ["rise_min", "ratio_holds", "ratio_fails"]
    assert "ratio of the rises is 0.600" in v.explanation


def _failed(numbers):
    return [c.name for c in experiment().checks(numbers) if not c.passed]


@pytest.mark.parametrize("change, broken", [
    ({"patterns_distinct": 29}, "the data"),
    ({"patterns": 31}, "the data"),
    ({"patterns_all_bars_or_stripes": False}, "the data"),
    ({"logz_visible_vs_hidden": 2e-6}, "log Z summed"),
    ({"exact_loss_max_rise": 2e-6}, "the exact trainer"),
    ({"stacked_vs_class_free_energy": 1e-9}, "the trainers' stacked"),
    ({"stacked_vs_class_cd_grad": 1e-9}, "the trainers' stacked"),
    ({"stacked_vs_class_exact_grad": 1e-9}, "the trainers' stacked"),
    ({"exact_loss_first_vs_visible": 1e-9}, "the trainers' stacked"),
    ({"ratio": 0.9}, "the ratio"),
])
def test_checks_fail_on_broken_numbers(change, broken):
    assert not _failed(E41)
    failed = _failed(labchecks.with_changes(E41, change))
    assert len(failed) == 1 and failed[0].startswith(broken), failed
