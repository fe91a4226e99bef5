"""Lab experiment e40 (semi-supervised learning: unlabelled images for a classifier trained on
20 labels): quick mode for seeds 0, 1 and 2 gives the verdict measured on this project; its
numbers are finite JSON, the numbers its explanation cites are there, its figure is PNG and its
checks pass. ``judge`` reaches all three verdicts from synthetic numbers on both sides of every
threshold, each check fails on broken numbers, and the PCA codes and the labelled draws agree
with a direct computation."""

from __future__ import annotations

import importlib

import labchecks
import numpy as np
import pytest

from gradlab.lab.experiment import CAVEATS, FAILS, HOLDS

MODULES = {"e40": "e40_semi_supervised"}

# measured in quick mode: the same for seeds 0-2 on OpenBLAS's SkylakeX and Haswell kernels and
# under a 1e-6 jitter (gain -0.137 to -0.157 over the raw pixels, -0.040 to -0.063 over the
# labelled-only PCA: the whitened PCA codes of the unlabelled set lose to both)
MEASURED = {"e40": FAILS}

CITED = {"e40": [("median_acc_raw_2pc", ".1%"), ("median_acc_pca_unlabelled_2pc", ".1%"),
                 ("median_acc_pca_labelled_2pc", ".1%"), ("gain", "+.3f"),
                 ("gain_unlab", "+.3f"), ("gain_5pc", "+.3f"), ("gain_unlab_5pc", "+.3f")]}

test_quick_run, test_metadata = labchecks.standard_tests(MODULES, MEASURED, CITED)


def experiment():
    return labchecks.experiment(MODULES["e40"])


def module():
    return importlib.import_module("gradlab.lab.experiments.e40_semi_supervised")


def test_quick_numbers():
    """Seed 0: the gains are the medians of the paired per-draw differences, every draw has
    its own accuracy, and the checks' numbers are those of a PCA."""
    n = labchecks.quick_result(MODULES["e40"], 0).numbers
    acc = {m: np.array(n[f"test_acc_{m}_2pc"]) for m in module().INPUTS}
    assert all(len(a) == n["draws"] == 20 for a in acc.values())
    assert n["gain"] == pytest.approx(float(np.median(acc["pca_unlabelled"] - acc["raw"])))
    assert n["gain_unlab"] == pytest.approx(
        float(np.median(acc["pca_unlabelled"] - acc["pca_labelled"])))
    assert n["median_acc_raw_2pc"] == pytest.approx(float(np.median(acc["raw"])))
    assert len(set(n["test_acc_raw_2pc"])) > 1           # the draws differ
    assert n["pca_code_variance"] == pytest.approx(n["pca_eig_sum"], rel=1e-10)


def test_pca_codes_match_numpy():
    """The codes equal the projections on the top eigenvectors of the covariance matrix
    (numpy eigh, up to each component's sign), scaled by the square root of its eigenvalue;
    over the rows they came from they have mean 0 and unit variance."""
    m = module()
    from gradlab.datasets import Digits

    x = Digits(train=True).data.numpy().reshape(-1, 64).astype(np.float64)
    mean, comps, sv = m.pca(x, 16)
    codes = m.pca_codes(x, mean, comps, sv, len(x))
    xc = x - x.mean(0)
    eig, vec = np.linalg.eigh(xc.T @ xc / len(x))
    order = np.argsort(eig)[::-1][:16]
    direct = xc @ vec[:, order] / np.sqrt(eig[order])
    signs = np.sign(np.sum(codes * direct, axis=0))
    np.testing.assert_allclose(codes, direct * signs, atol=1e-8)
    np.testing.assert_allclose(codes.mean(0), 0.0, atol=1e-12)
    np.testing.assert_allclose(codes.var(0), 1.0, rtol=1e-12)
    # a small set of 20 images: 16 components of the 19-dimensional centred span
    small = x[:20]
    mean_s, comps_s, sv_s = m.pca(small, 16)
    cs = m.pca_codes(small, mean_s, comps_s, sv_s, 20)
    np.testing.assert_allclose(cs.var(0), 1.0, rtol=1e-10)
    np.testing.assert_allclose(comps_s @ comps_s.T, np.eye(16), atol=1e-12)


def test_draws_and_side_by_side_training():
    """Each labelled draw holds per_class images of every class; training draws side by side
    gives each draw the weights it gets alone."""
    m = module()
    y = np.repeat(np.arange(10), 7)
    sel = m.draw_labelled(np.random.default_rng(1), y, 2, 4)
    assert sel.shape == (4, 20)
    for s in sel:
        assert np.bincount(y[s], minlength=10).tolist() == [2] * 10
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 20, 5))
    labels = np.stack([y[s] for s in sel[:3]])
    w, b, _ = m.train(x, labels, 15)
    w1, b1, _ = m.train(x[1:2], labels[1:2], 15)
    np.testing.assert_allclose(w[1], w1[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b[1], b1[0], rtol=1e-5, atol=1e-6)
    assert np.abs(w[1] - w[0]).max() > 1e-2                 # each draw its own gradient


N = {"draws": 20, "components": 16, "per_class": [2, 5], "steps": 300,
     "median_acc_raw_2pc": 0.70, "median_acc_pca_unlabelled_2pc": 0.75,
     "median_acc_pca_labelled_2pc": 0.72, "gain": 0.05, "gain_unlab": 0.03,
     "gain_5pc": 0.04, "gain_unlab_5pc": 0.02,
     "class_count_min_2pc": 2, "class_count_max_2pc": 2, "distinct_min_2pc": 20,
     "labelled_in_test_2pc": 0, "pca_orthonormality_err": 2e-15,
     "pca_code_variance": 3.98, "pca_eig_sum": 3.98, "pca_explained": 0.85,
     "alone_vs_side_by_side": 0.0, "raw_train_acc_min": 1.0}


def _n(**changes):
    return labchecks.with_changes(N, changes)


def test_judge_reaches_every_verdict():
    labchecks.check_reachable(experiment(), [
        (N, HOLDS),
        (_n(gain=0.02, gain_unlab=0.02), HOLDS),
        (_n(gain=0.0199), CAVEATS),                        # not 2 pt over the raw pixels
        (_n(gain_unlab=0.0199), CAVEATS),                  # not 2 pt over labelled-only PCA
        (_n(gain=0.01, gain_unlab=-0.05), CAVEATS),        # some help over raw only
        (_n(gain=-0.05, gain_unlab=0.01), CAVEATS),        # some help over the control only
        (_n(gain=0.0099, gain_unlab=0.0099), FAILS),       # no help
        (_n(gain=-0.15, gain_unlab=-0.05), FAILS),
        (_n(alone_vs_side_by_side=1.0), HOLDS),            # a check, not the verdict
    ])


def test_judge_wording():
    e = experiment()
    assert "does not beat both" in e.judge(_n(gain=0.015)).explanation
    assert "did not help" in e.judge(_n(gain=0.0, gain_unlab=0.0)).explanation
    v = e.judge(N)
    assert {c.threshold_name for c in v.criteria} == {"gain_holds", "gain_fails"}


def test_checks_fail_on_broken_numbers():
    e = experiment()
    assert all(c.passed for c in e.checks(N))
    broken = [
        ({"class_count_max_2pc": 3}, 0),
        ({"class_count_min_2pc": 1}, 0),
        ({"distinct_min_2pc": 19}, 0),
        ({"labelled_in_test_2pc": 1}, 0),
        ({"pca_orthonormality_err": 1e-9}, 1),
        ({"pca_code_variance": 3.98 * (1 + 1e-9)}, 2),
        ({"alone_vs_side_by_side": 2e-5}, 3),
        ({"raw_train_acc_min": 0.95}, 4),
    ]
    for change, which in broken:
        checks = e.checks(_n(**change))
        assert [c.passed for c in checks] == [i != which for i in range(len(checks))], change
