"""Lab experiment e39 (sums of many independent terms are nearly Gaussian): quick mode for
seeds 0, 1 and 2 gives the verdict measured on this project; its numbers are finite JSON, the
numbers its explanation cites are there, its figure is PNG and its checks pass. ``judge``
reaches all three verdicts from synthetic numbers on both sides of every threshold, each check
fails on broken numbers, and the KS statistic agrees with a direct computation."""

from __future__ import annotations

import math

import labchecks
import numpy as np
import pytest

from gradlab.lab.experiment import CAVEATS, FAILS, HOLDS

MODULES = {"e39": "e39_central_limit"}

# measured in quick mode: the same for seeds 0-2 on OpenBLAS's SkylakeX and Haswell kernels and
# under a 1e-6 jitter (the Bernoulli(0.1) sum of 64 terms is 0.10-0.11 from N(0, 1))
MEASURED = {"e39": CAVEATS}

CITED = {"e39": [("worst_shrink", ".3f"), ("worst_ks64", ".3f")]}

test_quick_run, test_metadata = labchecks.standard_tests(MODULES, MEASURED, CITED)


def experiment():
    return labchecks.experiment(MODULES["e39"])


def module():
    import importlib
    return importlib.import_module("gradlab.lab.experiments.e39_central_limit")


def test_quick_numbers():
    """Seed 0: every finite-variance source gets closer to N(0, 1) from 1 to 64 terms, the
    Cauchy control does not."""
    n = labchecks.quick_result(MODULES["e39"], 0).numbers
    for s in n["sources"]:
        assert n[f"ks_{s}"][-1] < n[f"ks_{s}"][0] / 2
    assert n["ks_cauchy"][-1] > 0.5 * n["ks_cauchy"][0]


def test_ks_against_a_direct_computation():
    m = module()
    z = np.array([-1.0, 0.0, 0.5, 2.0])
    phi = np.array([0.5 * (1 + math.erf(v / math.sqrt(2))) for v in z])
    want = max(max((i + 1) / 4 - phi[i], phi[i] - i / 4) for i in range(4))
    assert m.ks_normal(z[::-1].copy()) == pytest.approx(want, abs=1e-15)
    rng = np.random.default_rng(0)
    assert m.ks_normal(rng.uniform(-3, 3, 5000)) > 0.1     # a uniform is far from N(0, 1)
    with pytest.raises(ValueError, match="unknown source 'gamma'"):
        m.draw("gamma", rng, (2, 2))


N = {"samples": 20000, "terms": [1, 2, 4, 8, 16, 32, 64],
     "sources": ["uniform", "exponential", "bernoulli", "weight_relu"],
     "ks_uniform": [0.06, 0.007], "ks_exponential": [0.16, 0.02],
     "ks_bernoulli": [0.5, 0.04], "ks_weight_relu": [0.26, 0.004],
     "ks_cauchy": [0.12, 0.12], "worst_shrink": 0.125, "worst_shrink_source": "exponential",
     "worst_ks64": 0.04, "worst_ks64_source": "bernoulli", "moment_error": 1e-3,
     "ks_exact_check": 0.004}


def _n(**changes):
    return labchecks.with_changes(N, changes)


def test_judge_reaches_every_verdict():
    labchecks.check_reachable(experiment(), [
        (N, HOLDS),
        (_n(worst_shrink=0.25, worst_ks64=0.05), HOLDS),
        (_n(worst_shrink=0.251), CAVEATS),
        (_n(worst_ks64=0.051), CAVEATS),
        (_n(worst_shrink=0.5, worst_ks64=0.2), CAVEATS),
        (_n(worst_shrink=0.501), FAILS),
        (_n(worst_shrink=1.2, worst_ks64=0.01), FAILS),
    ])


def test_judge_wording():
    e = experiment()
    assert "close to N(0, 1)" in e.judge(N).explanation
    assert "not yet within 0.05" in e.judge(_n(worst_ks64=0.11)).explanation
    assert "does not approach" in e.judge(_n(worst_shrink=0.9)).explanation


def test_checks_fail_on_broken_numbers():
    e = experiment()

    def failed(**changes):
        return [c.name for c in e.checks(_n(**changes)) if not c.passed]

    assert failed() == []
    assert len(failed(moment_error=0.02)) == 1
    assert len(failed(ks_exact_check=0.02)) == 1
