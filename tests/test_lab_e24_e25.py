"""Lab experiments e24 (CNNs need local correlation: permuted pixels) and e25 (convolution plus
pooling tolerate small shifts): each runs in quick mode for seeds 0, 1 and 2 with the verdicts
measured on this project; its numbers are finite JSON, the numbers its explanation cites are
there, its figures are PNG and its checks pass; each ``judge`` reaches all three verdicts from
synthetic numbers on both sides of every threshold, and each check fails on broken numbers.
The side-by-side nets train as the separate nets do, and the shift is a translation."""

from __future__ import annotations

import labchecks
import numpy as np
import pytest

import gradlab
from gradlab.lab.experiment import CAVEATS, FAILS, HOLDS

MODULES = {"e24": "e24_local_correlation", "e25": "e25_shift_tolerance"}

# the verdicts measured in quick mode, the same on OpenBLAS's SkylakeX and Haswell kernels and
# under a 1e-6 jitter; e25's differs between seeds (its ratio 0.85 / 0.91 / 0.73 straddles the
# registered 0.8), as reported
MEASURED = {"e24": HOLDS, "e25": {0: FAILS, 1: FAILS, 2: CAVEATS}}

# numbers each explanation cites, with the format it prints them in
CITED = {
    "e24": [("cnn_orig_acc", ".1%"), ("cnn_perm_acc", ".1%"), ("mlp_orig_acc", ".1%"),
            ("mlp_perm_acc", ".1%"), ("drop_pt", ".1f"), ("excess_pt", "+.1f")],
    "e25": [("mlp_acc", ".1%"), ("mlp_shifted_acc", ".1%"), ("pool_acc", ".1%"),
            ("pool_shifted_acc", ".1%"), ("nopool_acc", ".1%"), ("nopool_shifted_acc", ".1%"),
            ("mlp_drop_pt", ".1f"), ("pool_drop_pt", ".1f"), ("nopool_drop_pt", ".1f"),
            ("ratio", ".2f")],
}


def experiment(key: str):
    return labchecks.experiment(MODULES[key])


def result(key: str, seed: int):
    return labchecks.quick_result(MODULES[key], seed)


_numbers = labchecks.with_changes


test_quick_run, test_metadata = labchecks.standard_tests(MODULES, MEASURED, CITED)


# ---- shared: nets trained side by side --------------------------------------------------------

@pytest.mark.parametrize("kind", ["pool", "nopool", "mlp"])
def test_stacked_nets_train_as_separate_nets(kind):
    """Three starts trained side by side (one grouped convolution / batched matmuls) follow
    the three separate nets, each on its own batches, to float32 rounding."""
    from gradlab.lab.experiments import e24_local_correlation as m
    from gradlab.nn import functional as F

    rng = np.random.default_rng(0)
    x = rng.random((200, 64)).astype(np.float32)
    y = np.arange(200) % 10
    nets = m.build_starts(kind, 3, 5, 1)
    stacked = (m.StackedMLP.from_nets(nets) if kind == "mlp"
               else m.StackedCNN.from_nets(nets, pool=kind == "pool"))
    order = rng.integers(0, 200, (4, 3, 16))
    curve = m.train(stacked, np.stack([x] * 3), y, order)
    assert curve.shape == (4, 3)
    for k, net in enumerate(nets):
        opt = gradlab.optim.Adam(net.parameters(), lr=1e-3)
        for idx in order[:, k]:
            xb = gradlab.tensor(x[idx].reshape(-1, 1, 8, 8) if kind != "mlp" else x[idx])
            loss = F.cross_entropy(net(xb), gradlab.tensor(y[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
    assert m.stack_error(stacked, nets, np.stack([x] * 3), image=kind != "mlp") < 1e-4
    # and a wrong stacking (nets swapped) is caught by the same measure
    assert m.stack_error(stacked, nets[::-1], np.stack([x] * 3), image=kind != "mlp") > 1e-2


def test_permuted_mlp_twin():
    from gradlab.lab.experiments import e24_local_correlation as m

    rng = np.random.default_rng(1)
    x = rng.random((50, 64)).astype(np.float32)
    perm = rng.permutation(64)
    net = m.build_starts("mlp", 1, 0, 7)[0]
    model = m.StackedMLP.from_nets([net, net], rows=[None, perm])
    with gradlab.no_grad():
        z = model(gradlab.tensor(np.stack([x, x[:, perm]]))).numpy()
        same = model(gradlab.tensor(np.stack([x, x]))).numpy()
    np.testing.assert_allclose(z[1], z[0], rtol=1e-5, atol=1e-6)
    assert not np.allclose(z[0], same[1])    # without the permutation the rows disagree


# ---- e24 --------------------------------------------------------------------------------------

def test_e24_numbers():
    n = result("e24", 0).numbers
    k = n["starts"]
    assert sorted(n["permutation"]) == list(range(64)) and n["permutation"] != list(range(64))
    for name in ("cnn_orig", "cnn_perm", "mlp_orig", "mlp_perm"):
        assert len(n[f"{name}_acc_runs"]) == k
        assert n[f"{name}_acc"] == pytest.approx(float(np.median(n[f"{name}_acc_runs"])))
    assert n["drop_pt"] == pytest.approx(100 * (n["cnn_orig_acc"] - n["cnn_perm_acc"]))
    assert n["excess_pt"] == pytest.approx(100 * (n["cnn_perm_acc"] - n["mlp_perm_acc"]))


E24 = {"starts": 3, "cnn_orig_acc": 0.92, "cnn_perm_acc": 0.87, "mlp_orig_acc": 0.91,
       "mlp_perm_acc": 0.91, "drop_pt": 5.0, "excess_pt": -4.0, "cnn_stack_error": 0.0,
       "mlp_stack_error": 0.0, "mlp_perm_twin_error": 5e-7}

E24_CASES = [
    ({}, HOLDS),
    ({"drop_pt": 3.0}, HOLDS),                        # "at least" 3 pt
    ({"drop_pt": 2.99}, CAVEATS),                     # C.2's gap: a drop, under 3 pt
    ({"drop_pt": 1.0}, CAVEATS),
    ({"drop_pt": 0.99}, FAILS),                       # no drop
    ({"drop_pt": -2.0}, FAILS),
    ({"excess_pt": 1.0}, HOLDS),                      # "at most" 1 pt above the MLP
    ({"excess_pt": 1.01}, CAVEATS),                   # still beats the MLP on shuffled pixels
    ({"excess_pt": 1.01, "drop_pt": 2.0}, CAVEATS),
    ({"excess_pt": 5.0, "drop_pt": 0.5}, FAILS),
    ({"cnn_stack_error": 1.0, "mlp_perm_twin_error": 1.0}, HOLDS),   # checks, not verdicts
]


def test_e24_reachable():
    labchecks.check_reachable(experiment("e24"),
                              [(_numbers(E24, c), v) for c, v in E24_CASES])


# the checks, in order: 0 CNN stacking, 1 MLP stacking, 2 the permuted MLP twin
@pytest.mark.parametrize("changes,failed", [
    ({}, []),
    ({"cnn_stack_error": 1e-4}, []),
    ({"cnn_stack_error": 2e-4}, [0]),
    ({"mlp_stack_error": 0.3}, [1]),
    ({"mlp_perm_twin_error": 1.1e-4}, [2]),
    ({"cnn_stack_error": 1.0, "mlp_perm_twin_error": 1.0}, [0, 2]),
])
def test_e24_checks(changes, failed):
    checks = experiment("e24").checks(_numbers(E24, changes))
    assert len(checks) == 3
    assert [i for i, c in enumerate(checks) if not c.passed] == failed


# ---- e25 --------------------------------------------------------------------------------------

def test_shift_images_is_a_translation():
    from gradlab.lab.experiments import e25_shift_tolerance as m

    img = np.arange(64, dtype=np.float32).reshape(1, 64) + 1
    for (dy, dx) in m.DIRECTIONS:
        out = m.shift_images(img, np.array([[dy, dx]])).reshape(8, 8)
        src = img.reshape(8, 8)
        for i in range(8):
            for j in range(8):
                si, sj = i - dy, j - dx
                want = src[si, sj] if 0 <= si < 8 and 0 <= sj < 8 else 0.0
                assert out[i, j] == want
    rng = np.random.default_rng(0)
    x = rng.random((40, 64)).astype(np.float32)
    moves = np.array(m.DIRECTIONS)[rng.integers(0, 4, 40)]
    np.testing.assert_array_equal(m.shift_images(x, moves), m._rolled(x, moves))


def test_convolution_is_equivariant():
    from gradlab.lab.experiments import e24_local_correlation as m24
    from gradlab.lab.experiments import e25_shift_tolerance as m

    rng = np.random.default_rng(2)
    x = rng.random((2, 30, 64)).astype(np.float32)
    moves = np.array(m.DIRECTIONS)[rng.integers(0, 4, 30)]
    model = m24.StackedCNN.from_nets(m24.build_starts("pool", 2, 0, 3), pool=True)
    assert m.equivariance_error(model, x, moves) < 1e-5

    class Positional(m24.StackedCNN):
        """The same features plus a term that depends on the position: not equivariant."""

        def conv_features(self, x):
            ramp = np.arange(64, dtype=np.float32).reshape(1, 1, 8, 8) / 64
            return super().conv_features(x) + gradlab.tensor(ramp)

    broken = Positional.from_nets(m24.build_starts("pool", 2, 0, 3), pool=True)
    assert m.equivariance_error(broken, x, moves) > 1e-2


def test_e25_numbers():
    n = result("e25", 0).numbers
    k = n["starts"]
    assert sum(n["moves_per_direction"]) == n["test_size"]
    for name in ("mlp", "pool", "nopool"):
        runs = n[f"{name}_drop_runs"]
        assert len(runs) == k
        np.testing.assert_allclose(runs, 100 * (np.array(n[f"{name}_acc_runs"])
                                                - np.array(n[f"{name}_shifted_acc_runs"])))
        assert n[f"{name}_drop_pt"] == pytest.approx(float(np.median(runs)))
    assert n["ratio"] == pytest.approx(n["pool_drop_pt"] / n["mlp_drop_pt"])
    assert n["pool_minus_nopool_pt"] == pytest.approx(n["pool_drop_pt"] - n["nopool_drop_pt"])


E25 = {"starts": 3, "mlp_acc": 0.91, "mlp_shifted_acc": 0.51, "pool_acc": 0.92,
       "pool_shifted_acc": 0.75, "nopool_acc": 0.94, "nopool_shifted_acc": 0.5,
       "mlp_drop_pt": 40.0, "pool_drop_pt": 17.0, "nopool_drop_pt": 44.0, "ratio": 0.425,
       "pool_minus_nopool_pt": -27.0, "mlp_stack_error": 0.0, "pool_stack_error": 0.0,
       "nopool_stack_error": 0.0, "shift_error": 0.0, "equivariance_error": 0.0}

E25_CASES = [
    ({}, HOLDS),
    ({"ratio": 0.5}, HOLDS),                          # "at most" half the MLP's drop
    ({"ratio": 0.501}, CAVEATS),                      # C.2's gap: more tolerant, not by half
    ({"ratio": 0.8}, CAVEATS),
    ({"ratio": 0.801}, FAILS),                        # "more than 0.8": does not hold
    ({"ratio": 1.3}, FAILS),
    ({"pool_minus_nopool_pt": -0.01}, HOLDS),
    ({"pool_minus_nopool_pt": 0.0}, CAVEATS),         # the unpooled CNN is as tolerant
    ({"pool_minus_nopool_pt": 5.0, "ratio": 0.7}, CAVEATS),
    ({"pool_minus_nopool_pt": -5.0, "ratio": 0.9}, FAILS),
    ({"mlp_drop_pt": 0.0, "ratio": None}, FAILS),     # the MLP loses nothing: no ratio
    ({"mlp_drop_pt": -1.0, "ratio": None}, FAILS),
    ({"mlp_drop_pt": 0.01, "ratio": 0.4}, HOLDS),
    ({"shift_error": 1.0, "equivariance_error": 1.0}, HOLDS),     # checks, not verdicts
]


def test_e25_reachable():
    labchecks.check_reachable(experiment("e25"),
                              [(_numbers(E25, c), v) for c, v in E25_CASES])


# the checks, in order: 0-2 stacking (MLP, pooled CNN, unpooled CNN), 3 the shift, 4
# equivariance
@pytest.mark.parametrize("changes,failed", [
    ({}, []),
    ({"mlp_stack_error": 2e-4}, [0]),
    ({"pool_stack_error": 1e-4}, []),
    ({"pool_stack_error": 0.5}, [1]),
    ({"nopool_stack_error": 0.5}, [2]),
    ({"shift_error": 1 / 16}, [3]),
    ({"equivariance_error": 1e-4}, []),
    ({"equivariance_error": 1.1e-4}, [4]),
    ({"shift_error": 1.0, "equivariance_error": 0.3}, [3, 4]),
])
def test_e25_checks(changes, failed):
    checks = experiment("e25").checks(_numbers(E25, changes))
    assert len(checks) == 5
    assert [i for i, c in enumerate(checks) if not c.passed] == failed
