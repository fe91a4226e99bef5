"""Lab experiments e11 (batch size) and e16 (gated RNNs on the adding problem): each runs in
quick mode for seeds 0, 1 and 2 with the verdict measured on this project; the numbers its
explanation cites are there; each judge reaches all three verdicts from synthetic numbers on
both sides of every threshold; each check fails on broken numbers; and the helpers the
protocols rely on (the example count of an epoch, the crossover, steps to learned) are checked
against direct computations."""

from __future__ import annotations

import copy
import json

import labchecks
import numpy as np
import pytest

import gradlab
from gradlab.lab.experiment import CAVEATS, FAILS, HOLDS
from gradlab.lab.experiments import e11_batch_size as e11
from gradlab.lab.experiments import e16_recurrent as e16

MODULES = {"e11": "e11_batch_size", "e16": "e16_recurrent"}

# the verdicts measured in quick mode (identical for seeds 0, 1 and 2, on the SkylakeX and
# Haswell OpenBLAS kernels)
MEASURED = {"e11": CAVEATS, "e16": CAVEATS}

CITED = {
    "e11": [("large_cost_ratio", ".1f"), ("cost_growth", ".2f"), ("batch_growth", ".2f"),
            ("minibatch_growth", ".2f"), ("sgd_vs_batch", ".3f"), ("sgd_vs_minibatch", ".2f"),
            ("frac_uphill", ".0%"), ("frac_uphill_first", ".0%"),
            ("uphill_loss_before", ".2f"), ("uphill_loss_after", ".2f")],
    "e16": [("rnn_grad_first_over_last", ".1e"), ("lstm_grad_first_over_last", ".1e"),
            ("gru_grad_first_over_last", ".1e"), ("irnn_grad_first_over_last", ".1e")],
}


def result(key: str, seed: int):
    return labchecks.quick_result(MODULES[key], seed)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("key", sorted(MODULES))
def test_quick_run(key, seed):
    r = result(key, seed)
    labchecks.check_result(r, MEASURED[key], seed, CITED[key])


@pytest.mark.parametrize("key", sorted(MODULES))
def test_metadata(key):
    e = labchecks.experiment(MODULES[key])
    labchecks.check_metadata(e)
    assert e.revisions, "both experiments record the changes made after results were seen"


def test_e11_quick_numbers_tell_the_story():
    """Seed 0: every run reached the target; the cost is counted, not booked; B=1's CPU note."""
    r = result("e11", 0)
    n = r.numbers
    assert n["all_reached"]
    assert n["sizes"] == list(e11._SIZES["quick"])
    for k in e11._KINDS:
        for s, run in n["runs"][k].items():
            assert run["batch"] == {"sgd": 1, "minibatch": 32, "batch": int(s)}[k]
            assert run["examples_to_target"] == run["examples"]
    # the CPU seconds are a note about the machine, never a criterion
    assert len(r.notes) == 1 and "CPU" in r.notes[0]
    assert all("CPU" not in c.name for c in r.criteria)
    # the uphill count is kept for the first 300 updates too (the first protocol's window)
    assert 0 <= n["frac_uphill_first"] <= 1 and n["uphill_watched"] > 300


def test_e16_quick_numbers_tell_the_story():
    """Seed 0: the judged ratios are medians of 3 runs each, 7 for the RNN and IRNN at the
    longest length."""
    n = result("e16", 0).numbers
    assert n["repeats"] == {"rnn": 7, "irnn": 7, "lstm": 3, "gru": 3}
    for c in e16._CELLS:
        for length, values in n[f"{c}_ratios"].items():
            assert len(values) == (n["repeats"][c] if length == "12" else 3)
            assert n[f"{c}_ratio"][length] == pytest.approx(float(np.median(values)))
    assert set(n["rnn_ratio"]) == {"5", "12"} and set(n["lstm_ratio"]) == {"12"}
    assert 0 < n["irnn_active_fraction"] < 1


# ---- e11: judge and checks on synthetic numbers ----------------------------------------------

E11 = {"sizes": [500, 2000, 8000, 32000], "excess_target": 0.25,
       "cost_growth": 0.76, "batch_growth": 1.2, "minibatch_growth": 0.44,
       "large_cost_ratio": 73.0, "crossover_2x": 500.0, "sgd_vs_batch": 0.012,
       "sgd_vs_minibatch": 0.9, "frac_uphill": 0.1, "frac_uphill_first": 0.2,
       "uphill_watched": 700, "uphill_loss_before": 2.37, "uphill_loss_after": 0.75,
       "all_reached": True, "cpu_ratio": [0.3, 0.4, 0.7, 1.7], "cpu_crossover_1x": 15000.0,
       "cpu_sgd_vs_minibatch": 20.0, "cpu_per_update": {"sgd": 2e-4, "minibatch": 3e-4,
                                                        "batch": 5e-3}}


def _e11(**changes):
    n = copy.deepcopy(E11)
    n.update(changes)
    return e11.EXPERIMENT.judge(n)


@pytest.mark.parametrize("changes,verdict", [
    ({}, HOLDS),
    ({"cost_growth": 0.49}, FAILS),                   # BGD's cost does not outgrow mini-batch's
    ({"cost_growth": 0.5}, HOLDS),
    ({"large_cost_ratio": 1.9, "crossover_2x": None}, CAVEATS),   # grows, not yet 2x
    ({"large_cost_ratio": 2.0}, HOLDS),
    ({"frac_uphill_first": 0.09}, CAVEATS),           # B=1 steps not noisy
    ({"frac_uphill_first": 0.1}, HOLDS),
    ({"frac_uphill": 0.0}, HOLDS),                    # the whole-run fraction is not judged
    ({"sgd_vs_batch": 0.51}, CAVEATS),                # B=1 not cheaper than BGD
    ({"sgd_vs_batch": 0.5}, HOLDS),
    ({"cost_growth": 0.3, "frac_uphill_first": 0.0, "sgd_vs_batch": 2.0}, FAILS),
])
def test_judge_e11(changes, verdict):
    v = _e11(**changes)
    assert v.verdict == verdict, v.explanation
    assert v.criteria and v.notes


def test_e11_reaches_every_verdict():
    labchecks.check_reachable(e11.EXPERIMENT, [
        ({**E11}, HOLDS), ({**E11, "frac_uphill_first": 0.05}, CAVEATS),
        ({**E11, "cost_growth": 0.1}, FAILS)])


def test_e11_texts():
    v = _e11()
    assert "already at the smallest, N = 500" in v.explanation
    assert "from about N = 15,000" in v.notes[0]
    v = _e11(crossover_2x=3000.0, cpu_crossover_1x=None)
    assert "from about N = 3,000 on" in v.explanation
    assert "cheaper at every N" in v.notes[0]
    assert "Caveat" in _e11(large_cost_ratio=1.5, crossover_2x=None).explanation
    assert "lower bounds" in _e11(all_reached=False).explanation
    # the CPU note never decides: reversing every CPU number leaves the verdict
    assert _e11(cpu_ratio=[9.0] * 4, cpu_sgd_vs_minibatch=0.1).verdict == HOLDS


def test_e11_checks_fail_on_broken_numbers():
    n = json.loads(json.dumps(result("e11", 0).numbers))
    assert all(c.passed for c in e11.EXPERIMENT.checks(n))
    rows = copy.deepcopy(n)
    rows["runs"]["sgd"]["500"]["rows_counted"] += 1
    mm = copy.deepcopy(n)
    mm["runs"]["batch"]["2000"]["matmuls_counted"] = 0
    assert [c.passed for c in e11.EXPERIMENT.checks(rows)] == [False, True]
    assert [c.passed for c in e11.EXPERIMENT.checks(mm)] == [True, False]


def test_e11_train_counts_an_epoch():
    """An epoch of batch B over N samples is ceil(N / B) updates and N examples, one forward
    matmul each update; the uphill fraction is watched only when asked."""
    gradlab.manual_seed(0)
    X = gradlab.rand(70, 64)
    y = gradlab.randint(0, 10, (70,))
    for kind, updates in (("sgd", 70), ("minibatch", 3), ("batch", 1)):
        old = dict(e11._CAP)
        e11._CAP.update(sgd=70, minibatch=70)
        try:
            r = e11._train(kind, X, y, -1.0, 0, watch=kind == "sgd")
        finally:
            e11._CAP.clear()
            e11._CAP.update(old)
        if kind == "batch":          # 100 epochs of one update each
            assert r["updates"] == 100 and r["examples"] == 7000
        else:
            assert r["updates"] == updates and r["examples"] == 70
        assert r["matmuls_counted"] == r["updates"] and r["rows_counted"] == r["examples"]
        assert not r["reached"] and r["examples_to_target"] is None
        assert ("frac_uphill" in r) == (kind == "sgd")
        if kind == "sgd":
            assert r["watched"] == 70


def test_e11_crossover_and_slope():
    ns = [500, 2000, 8000]
    assert e11._crossover(ns, [0.5, 1.0, 4.0], 2.0) == pytest.approx(4000.0)
    assert e11._crossover(ns, [3.0, 5.0, 9.0], 2.0) == 500.0
    assert e11._crossover(ns, [0.1, 0.2, 0.3], 2.0) is None
    assert e11._slope(ns, [2 * n for n in ns]) == pytest.approx(1.0)
    assert e11._slope(ns, [7.0, 7.0, 7.0]) == pytest.approx(0.0, abs=1e-12)


def test_e11_teacher_loss_is_the_cross_entropy_of_the_teacher():
    x, y, loss = e11._teacher_data(200, 3)
    assert x.shape == (200, 64) and x.dtype == np.float32 and y.shape == (200,)
    w = np.random.default_rng([11, 3]).standard_normal((64, 10)) * 5.0 / 8.0
    z = x.astype(np.float64) @ w
    logp = z - np.log(np.exp(z - z.max(1, keepdims=True)).sum(1, keepdims=True)) - z.max(
        1, keepdims=True)
    np.testing.assert_allclose(loss, -logp[np.arange(200), y], rtol=1e-5)


# ---- e16: judge on synthetic numbers ---------------------------------------------------------

E16 = {"lengths": [5, 12], "steps": 200, "short": 5, "long": 12,
       "repeats": {"rnn": 7, "irnn": 7, "lstm": 3, "gru": 3},
       "rnn_ratio": {"5": 0.15, "12": 0.95}, "irnn_ratio": {"5": 0.1, "12": 0.9},
       "lstm_ratio": {"12": 0.02}, "gru_ratio": {"12": 0.003},
       "rnn_steps_to_learned": {"5": 80, "12": None}, "irnn_steps_to_learned": {"5": 60,
                                                                                "12": None},
       "lstm_steps_to_learned": {"12": 150}, "gru_steps_to_learned": {"12": 76},
       "rnn_grad_first_over_last": 1e-11, "irnn_grad_first_over_last": 0.6,
       "lstm_grad_first_over_last": 1e-3, "gru_grad_first_over_last": 1e-10}


def _e16(rnn=None, irnn=None, lstm=None, gru=None, irnn_steps=None, lstm_steps=None):
    n = json.loads(json.dumps(E16))
    for name, v in (("rnn", rnn), ("irnn", irnn), ("lstm", lstm), ("gru", gru)):
        if v is not None:
            n[f"{name}_ratio"].update(v)
    if irnn_steps is not None:
        n["irnn_steps_to_learned"]["12"] = irnn_steps
    if lstm_steps is not None:
        n["lstm_steps_to_learned"]["12"] = lstm_steps
    return e16.EXPERIMENT.judge(n)


@pytest.mark.parametrize("changes,verdict", [
    ({}, CAVEATS),                                 # the IRNN learns short, not long
    ({"irnn": {"12": 0.51}}, CAVEATS),
    ({"irnn": {"5": 0.51}}, FAILS),                # nor short, where the LSTM learns long
    ({"irnn": {"5": 0.5}}, CAVEATS),
    ({"irnn": {"5": 0.51}, "lstm": {"12": 0.51}}, FAILS),         # the gated half fails too
    ({"irnn": {"12": 0.5}, "irnn_steps": 180}, CAVEATS),          # learns, not similar
    ({"irnn": {"12": 0.09}, "irnn_steps": 100}, HOLDS),           # solved and faster
    ({"irnn": {"12": 0.09}, "irnn_steps": 160}, CAVEATS),         # solved, slower
    ({"irnn": {"12": 0.09}, "irnn_steps": 150}, HOLDS),           # as fast
    ({"irnn": {"12": 0.11}, "irnn_steps": 100}, CAVEATS),         # 0.11 > 3 x 0.02
    ({"irnn": {"12": 0.29}, "lstm": {"12": 0.1}, "irnn_steps": 100}, HOLDS),  # within 3x
    ({"irnn": {"12": 0.31}, "lstm": {"12": 0.1}, "irnn_steps": 100}, CAVEATS),
    ({"irnn": {"12": 0.09}, "irnn_steps": 100, "rnn": {"12": 0.49}}, FAILS),  # RNN learns long
    ({"irnn": {"12": 0.09}, "irnn_steps": 100, "rnn": {"12": 0.51}}, HOLDS),
    ({"irnn": {"12": 0.09}, "irnn_steps": 100, "lstm": {"12": 0.51}}, FAILS),  # a gated cell
    ({"irnn": {"12": 0.09}, "irnn_steps": 100, "gru": {"12": 0.51}}, FAILS),
    ({"irnn": {"12": 0.09}, "irnn_steps": 100, "rnn": {"5": 0.6}}, CAVEATS),  # RNN fails short
    ({"irnn": {"12": 0.09}, "irnn_steps": 100, "rnn": {"5": 0.5}}, HOLDS),
    ({"lstm": {"12": 0.6}}, FAILS),                  # neither gated nor IRNN
])
def test_judge_e16(changes, verdict):
    v = _e16(**changes)
    assert v.verdict == verdict, v.explanation
    assert v.criteria


def test_e16_reaches_every_verdict():
    n = json.loads(json.dumps(E16))
    held = json.loads(json.dumps(E16))
    held["irnn_ratio"]["12"], held["irnn_steps_to_learned"]["12"] = 0.05, 90
    slow = json.loads(json.dumps(held))
    slow["irnn_steps_to_learned"]["12"] = 190
    n["irnn_ratio"]["5"] = 0.7
    labchecks.check_reachable(e16.EXPERIMENT, [(held, HOLDS), (slow, CAVEATS), (n, FAILS)])


def test_e16_texts():
    assert "learns length 5 but not length 12" in _e16().explanation
    assert "learns neither length 12 nor length 5" in _e16(irnn={"5": 0.6}).explanation
    assert "LSTM 150, GRU 76, IRNN -, RNN -" in _e16().explanation
    assert "as the seed says" in _e16(irnn={"12": 0.05}, irnn_steps=90).explanation
    assert "not as the seed says" in _e16(irnn={"12": 0.05}, irnn_steps=190).explanation
    # an IRNN that learns but never crosses the smoothed level: 'faster' is not credited
    assert _e16(irnn={"12": 0.05}, irnn_steps=None).verdict == CAVEATS


def test_e16_steps_to_learned():
    base = 1.0
    curve = [1.0] * 30 + [0.2] * 30
    # the 20-step mean first reaches 0.5 when 13 of the last 20 steps are at 0.2
    assert e16._steps_to_learned(curve, base, 0.5) == 43
    assert e16._steps_to_learned([1.0] * 50, base, 0.5) is None
    assert e16._steps_to_learned([0.1] * 5, base, 0.5) is None
    assert e16._median_steps([10, None, 30]) == 30
    assert e16._median_steps([None, None, 30]) is None
    assert e16._median_steps([10, 20, 30]) == 20
