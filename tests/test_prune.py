"""gradlab.nn.utils.prune against torch.nn.utils.prune: the same weights give the same masks,
the same state_dict keys and the same effective weights; masks survive optimizer steps."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.utils.prune as tprune

import gradlab
from gradlab import nn, optim
from gradlab.nn.utils import prune


def _twins(kind: str, seed: int = 0):
    """A gradlab layer and a torch layer with the same (tie-free) weights."""
    rng = np.random.default_rng(seed)
    if kind == "linear":
        g, t = nn.Linear(12, 7), torch.nn.Linear(12, 7)
    else:
        g, t = nn.Conv2d(3, 8, 3), torch.nn.Conv2d(3, 8, 3)
    w = rng.standard_normal(tuple(g.weight.shape)).astype(np.float32)
    b = rng.standard_normal(tuple(g.bias.shape)).astype(np.float32)
    g.weight.array[...] = w
    g.bias.array[...] = b
    with torch.no_grad():
        t.weight.copy_(torch.from_numpy(w))
        t.bias.copy_(torch.from_numpy(b))
    return g, t


def _same(g, t):
    assert list(g.state_dict()) == list(t.state_dict())
    for k, v in t.state_dict().items():
        np.testing.assert_array_equal(g.state_dict()[k].numpy(), v.numpy(), err_msg=k)
    np.testing.assert_array_equal(g.weight.detach().numpy(), t.weight.detach().numpy())


CASES = [
    ("l1 0.3", lambda lib, m: lib.l1_unstructured(m, "weight", amount=0.3)),
    ("l1 count", lambda lib, m: lib.l1_unstructured(m, "weight", amount=17)),
    ("l1 twice", lambda lib, m: (lib.l1_unstructured(m, "weight", amount=0.5),
                                 lib.l1_unstructured(m, "weight", amount=0.5))),
    ("l1 bias", lambda lib, m: lib.l1_unstructured(m, "bias", amount=0.4)),
    ("ln dim0 L2", lambda lib, m: lib.ln_structured(m, "weight", amount=0.5, n=2, dim=0)),
    ("ln dim1 L1", lambda lib, m: lib.ln_structured(m, "weight", amount=2, n=1, dim=1)),
    ("ln twice", lambda lib, m: (lib.ln_structured(m, "weight", amount=0.25, n=2, dim=0),
                                 lib.ln_structured(m, "weight", amount=0.5, n=2, dim=0))),
    ("l1 then ln", lambda lib, m: (lib.l1_unstructured(m, "weight", amount=0.3),
                                   lib.ln_structured(m, "weight", amount=0.4, n=2, dim=0))),
    ("identity", lambda lib, m: lib.identity(m, "weight")),
]


@pytest.mark.parametrize("kind", ["linear", "conv"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_masks_and_keys_match_torch(kind, case):
    g, t = _twins(kind)
    case[1](prune, g)
    case[1](tprune, t)
    _same(g, t)
    assert prune.is_pruned(g) and tprune.is_pruned(t)
    name = "bias" if case[0] == "l1 bias" else "weight"
    prune.remove(g, name)
    tprune.remove(t, name)
    _same(g, t)
    assert not prune.is_pruned(g)


def test_global_unstructured_matches_torch():
    g1, t1 = _twins("conv", 1)
    g2, t2 = _twins("linear", 2)
    prune.l1_unstructured(g2, "weight", amount=0.2)  # a second pass counts only survivors
    tprune.l1_unstructured(t2, "weight", amount=0.2)
    prune.global_unstructured([(g1, "weight"), (g2, "weight")], prune.L1Unstructured,
                              amount=0.6)
    tprune.global_unstructured([(t1, "weight"), (t2, "weight")], tprune.L1Unstructured,
                               amount=0.6)
    _same(g1, t1)
    _same(g2, t2)
    total = g1.weight.numel() + g2.weight.numel()
    zeros = int((g1.weight.array == 0).sum() + (g2.weight.array == 0).sum())
    # 20% of the linear weight, then 60% of what was left of both
    first = round(0.2 * g2.weight.numel())
    assert zeros == first + round(0.6 * (total - first))


def test_random_unstructured_prunes_the_count():
    gradlab.manual_seed(0)
    m = nn.Linear(10, 10)
    prune.random_unstructured(m, "weight", amount=0.37)
    assert int((m.weight_mask.array == 0).sum()) == 37
    assert set(np.unique(m.weight_mask.array)) <= {0.0, 1.0}


@pytest.mark.parametrize("make_opt", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
    lambda ps: optim.Adam(ps, lr=0.01),
], ids=["sgd-momentum", "adam"])
def test_masks_stay_zero_through_training(make_opt):
    gradlab.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3))
    prune.l1_unstructured(model[0], "weight", amount=0.5)
    prune.ln_structured(model[2], "weight", amount=1, n=2, dim=0)
    zero0 = model[0].weight_mask.array == 0
    zero2 = model[2].weight_mask.array == 0
    opt = make_opt(model.parameters())
    x, y = gradlab.randn(32, 6), gradlab.randint(0, 3, (32,))
    before = model[0].weight_orig.array.copy()
    for _ in range(5):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        np.testing.assert_array_equal(model[0].weight_orig.grad.numpy()[zero0], 0)
        opt.step()
    model(x)
    assert not np.allclose(before[~zero0], model[0].weight_orig.array[~zero0])
    np.testing.assert_array_equal(model[0].weight.array[zero0], 0)
    np.testing.assert_array_equal(model[2].weight.array[zero2], 0)
    prune.remove(model[0], "weight")
    assert "weight" in dict(model[0].named_parameters())
    np.testing.assert_array_equal(model[0].weight.array[zero0], 0)


def test_errors():
    m = nn.Linear(4, 4)
    with pytest.raises(ValueError, match=r"amount=1.5 should either be a float in the range"):
        prune.l1_unstructured(m, "weight", amount=1.5)
    with pytest.raises(ValueError, match=r"amount=20 should be smaller than the number of "
                       r"parameters to prune=16"):
        prune.l1_unstructured(m, "weight", amount=20)
    with pytest.raises(AttributeError, match="Linear has no parameter 'kernel'"):
        prune.l1_unstructured(m, "kernel", amount=0.5)
    with pytest.raises(ValueError, match="Parameter 'weight' of module Linear has to be "
                       "pruned before pruning can be removed"):
        prune.remove(m, "weight")
    with pytest.raises(ValueError, match=r"structured pruning can only be applied to "
                       r"multidimensional tensors; found a tensor of shape \[4\]"):
        prune.ln_structured(m, "bias", amount=0.5, n=2, dim=0)
    with pytest.raises(ValueError, match=r"importance_scores shape \[3\] should match the "
                       r"parameter 'weight' shape \[4, 4\]"):
        prune.l1_unstructured(m, "weight", amount=0.5, importance_scores=np.ones(3))
