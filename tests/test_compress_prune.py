"""Model pruning: global / per-layer magnitude pruning to an exact target, iterative pruning
with fine-tuning, masks that survive training, structured pruning that shrinks the layers,
kernel sparsification by an L1 penalty, the sparsity report."""

from __future__ import annotations

import numpy as np
import pytest

import gradlab
from gradlab import compress, models, nn, optim
from gradlab.nn import functional as F
from gradlab.nn.utils import prune


def _mlp():
    gradlab.manual_seed(0)
    return nn.Sequential(nn.Linear(64, 48), nn.ReLU(), nn.Linear(48, 32), nn.ReLU(),
                         nn.Linear(32, 10))


def _batch(n=64, seed=0):
    g = gradlab.Generator().manual_seed(seed)
    return gradlab.randn(n, 64, generator=g), gradlab.randint(0, 10, (n,), generator=g)


def _steps(model, opt, n=5):
    x, y = _batch()
    for _ in range(n):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    model(x)  # recompute the masked weights from the updated originals


@pytest.mark.parametrize("make_opt", [lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
                                      lambda ps: optim.Adam(ps, lr=1e-2)],
                         ids=["sgd-momentum", "adam"])
def test_global_pruning_hits_target_and_survives_training(make_opt):
    model = _mlp()
    compress.magnitude_prune(model, 0.8)
    total = 64 * 48 + 48 * 32 + 32 * 10
    rep = compress.sparsity_report(model)
    assert rep.params == total and rep.zeros == round(0.8 * total)
    assert len({round(r.sparsity, 3) for r in rep.layers}) == 3  # global: shares differ
    _steps(model, make_opt(model.parameters()))
    assert compress.sparsity_report(model).zeros == round(0.8 * total)
    masks = [m.weight_mask.array.copy() for m in (model[0], model[2], model[4])]
    compress.remove_masks(model)
    assert not prune.is_pruned(model)
    assert "0.weight" in model.state_dict() and "0.weight_orig" not in model.state_dict()
    for m, mask in zip((model[0], model[2], model[4]), masks):
        np.testing.assert_array_equal(m.weight.array[mask == 0], 0)
    assert compress.sparsity_report(model).sparsity == pytest.approx(round(0.8 * total) / total)


def test_layer_pruning_prunes_each_layer_by_the_amount():
    model = _mlp()
    compress.magnitude_prune(model, 0.5, scope="layer")
    for r in compress.sparsity_report(model).layers:
        assert r.zeros == round(0.5 * r.params)
    compress.magnitude_prune(model, 0.75, scope="layer")  # continues from the masks
    for r in compress.sparsity_report(model).layers:
        assert r.zeros == round(0.75 * r.params)


def test_iterative_pruning_with_finetune():
    model = _mlp()
    opt = optim.Adam(model.parameters(), lr=1e-3)
    calls = []

    def finetune(m, step):
        calls.append(step)
        # the pruned model trains on; the optimizer holds weight_orig (the same Parameter)
        _steps(m, optim.Adam(m.parameters(), lr=1e-3), 2)

    reached = compress.iterative_prune(model, 0.9, steps=3, finetune=finetune)
    assert calls == [1, 2, 3]
    total = compress.sparsity_report(model).params
    assert reached[-1] == round(0.9 * total) / total
    assert reached[0] < reached[1] < reached[2]
    np.testing.assert_allclose(reached[:2], [1 - 0.1 ** (1 / 3), 1 - 0.1 ** (2 / 3)], atol=1e-3)
    del opt


def test_structured_pruning_shrinks_lenet_exactly():
    gradlab.manual_seed(0)
    net = models.LeNet5(10, 1, 28, classic=False)
    x = gradlab.randn(3, 1, 28, 28)
    before = compress.count_parameters(net)
    # the reference: the same channels zeroed in the full net (ReLU(0) = 0, max-pool of 0 = 0),
    # each layer's filter norms taken over the inputs that survive the previous layer's cut
    ref = compress.clone_module(net)
    layers = [m for _, m in compress.prunable_layers(ref)]
    for m, nxt in zip(layers[:-1], layers[1:]):
        out = m.weight.shape[0]
        norms = np.linalg.norm(m.weight.array.reshape(out, -1), axis=1)
        drop = np.argsort(-norms, kind="stable")[out - round(0.5 * out):]
        m.weight.array[drop] = 0
        m.bias.array[drop] = 0
        per = nxt.weight.shape[1] // out
        cols = (drop[:, None] * per + np.arange(per)).reshape(-1)
        nxt.weight.array[:, cols] = 0
    sizes = compress.prune_channels_(net, 0.5)
    assert sizes == {"features.0": 3, "features.3": 8, "classifier.1": 60, "classifier.3": 42}
    assert net.features[3].weight.shape == (8, 3, 5, 5)
    assert net.classifier[1].weight.shape == (60, 8 * 25)
    assert net.classifier[5].weight.shape == (10, 42)
    assert compress.count_parameters(net) < 0.3 * before
    with gradlab.no_grad():
        np.testing.assert_allclose(net(x).numpy(), ref(x).numpy(), rtol=1e-5, atol=1e-5)


def test_structured_pruning_slices_batchnorm():
    gradlab.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 4, 3),
                        nn.Flatten(), nn.Linear(4 * 4 * 4, 5))
    net[1].running_mean.array[...] = np.arange(8, dtype=np.float32)
    compress.prune_channels_(net, 0.25)
    assert net[1].num_features == 6 and net[1].weight.shape == (6,)
    assert net[1].running_mean.shape == (6,)
    assert set(net[1].running_mean.array.astype(int)) < set(range(8))
    assert net[3].weight.shape == (3, 6, 3, 3) and net[5].weight.shape == (5, 3 * 16)
    assert net(gradlab.randn(2, 3, 8, 8)).shape == (2, 5)


def test_l1_penalty_sparsifies_kernels():
    x, y = _batch(128)

    def train(strength):
        model = _mlp()
        opt = optim.SGD(model.parameters(), lr=0.05)
        loss_fn = compress.with_l1_penalty(F.cross_entropy, model, strength)
        for _ in range(150):
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
        w = np.concatenate([m.weight.array.reshape(-1) for _, m in
                            compress.prunable_layers(model)])
        return float((np.abs(w) < 1e-2).mean())

    plain, sparse = train(0.0), train(1e-2)
    assert sparse > plain + 0.2, (plain, sparse)  # share of |w| < 0.01
    model = _mlp()
    out = model(x)
    expected = F.cross_entropy(out, y).item() + 1e-3 * sum(
        float(np.abs(m.weight.array).sum()) for _, m in compress.prunable_layers(model))
    got = compress.with_l1_penalty(F.cross_entropy, model, 1e-3)(out, y).item()
    assert got == pytest.approx(expected, rel=1e-5)


def test_sparsity_report_table():
    model = _mlp()
    compress.magnitude_prune(model, 0.5, scope="layer")
    text = str(compress.sparsity_report(model))
    assert text.splitlines()[0].split() == ["layer", "type", "weights", "zeros", "sparsity"]
    assert "total" in text.splitlines()[-1] and "50.0%" in text.splitlines()[-1]


def test_errors():
    with pytest.raises(ValueError, match=r"magnitude_prune: amount must be a fraction in "
                       r"\[0, 1\), got 1.2"):
        compress.magnitude_prune(_mlp(), 1.2)
    with pytest.raises(ValueError, match="magnitude_prune: scope must be 'global' or 'layer', "
                       "got 'net'"):
        compress.magnitude_prune(_mlp(), 0.5, scope="net")
    with pytest.raises(ValueError, match="iterative_prune: steps must be a positive int, got 0"):
        compress.iterative_prune(_mlp(), 0.5, 0)
    pruned = compress.magnitude_prune(_mlp(), 0.5)
    with pytest.raises(ValueError, match="prune_channels_: layer '0' carries a pruning mask"):
        compress.prune_channels_(pruned, 0.5)
    with pytest.raises(ValueError, match=r"prune_channels_: '1' takes 5 inputs, not a multiple "
                       r"of the 4 outputs of '0'"):
        compress.prune_channels_(nn.Sequential(nn.Linear(3, 4), nn.Linear(5, 2)), 0.5)
