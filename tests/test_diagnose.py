"""The training monitor: vanishing gradients in a deep sigmoid MLP and none with He-initialized
ReLUs; dead ReLUs, exploding gradients and NaN named by layer; statistics equal to a NumPy
forward and backward by hand; sampling, plots, remove(), the Trainer callback, bad arguments."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
from matplotlib import image as mpimg

import gradlab
from gradlab import models, nn
from gradlab.diagnose import DiagnosisWarning, Monitor, plot_activations
from gradlab.nn import functional as F
from gradlab.train import Trainer
from gradlab.utils.data import DataLoader, TensorDataset


def deep_mlp(act, depth: int = 10, width: int = 32, he: bool = False, seed: int = 0):
    gradlab.manual_seed(seed)
    layers, d = [], 16
    for _ in range(depth):
        lin = nn.Linear(d, width)
        if he:
            nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
            nn.init.zeros_(lin.bias)
        layers += [lin, act()]
        d = width
    layers.append(nn.Linear(d, 4))
    return nn.Sequential(*layers)


def train_steps(model, monitor, steps: int = 1, lr: float = 0.1, seed: int = 1):
    gradlab.manual_seed(seed)
    opt = gradlab.optim.SGD(model.parameters(), lr=lr)
    for _ in range(steps):
        x, y = gradlab.randn(64, 16), gradlab.randint(0, 4, (64,))
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
        monitor.step()


def kinds(monitor, kind):
    return [f.layer for f in monitor.findings if f.kind == kind]


def test_deep_sigmoid_mlp_reports_vanishing_gradients_in_its_early_layers():
    model = deep_mlp(nn.Sigmoid)
    monitor = Monitor(model, every=1)
    with pytest.warns(DiagnosisWarning, match=r"vanishing gradients at 0 \(Linear\): gradient "
                      r"RMS .* x that of the last layer 20"):
        train_steps(model, monitor, steps=2)
    vanishing = kinds(monitor, "vanishing")
    # Linear layers are modules 0, 2, ..., 18; 20 is the output layer
    assert vanishing[:6] == ["0", "2", "4", "6", "8", "10"]
    assert "18" not in vanishing and "20" not in vanishing
    first = monitor.findings[0]
    assert first.kind == "vanishing" and first.value < 1e-6 and first.count == 2
    assert set(monitor.findings[0].__dict__) >= {"kind", "layer", "step", "message", "value"}
    assert "vanishing gradients at 0 (Linear)" in monitor.report()


def test_he_initialized_relu_mlp_reports_nothing():
    model = deep_mlp(nn.ReLU, he=True)
    monitor = Monitor(model, every=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DiagnosisWarning)
        train_steps(model, monitor, steps=3)
    assert monitor.findings == []
    ratios = [monitor.records[0].layer_grad_rms[k] for k in monitor.layers]
    assert min(ratios) / ratios[-1] > 1e-2  # far from the 1e-3 threshold
    assert monitor.report() == "monitor: 3 sampled steps of 3 (every 1), no warnings"


def test_dead_relu_from_a_large_negative_bias_is_named():
    model = deep_mlp(nn.ReLU, depth=4, he=True)
    with gradlab.no_grad():
        model[2].bias.fill_(-100.0)  # the ReLU at index 3 is now zero for every input
    monitor = Monitor(model, every=1)
    with pytest.warns(DiagnosisWarning, match=r"dead ReLU units at 3 \(ReLU\): 100% of its "
                      r"units are zero for the whole batch"):
        train_steps(model, monitor)
    assert "3" in kinds(monitor, "dead") and "1" not in kinds(monitor, "dead")
    acts = monitor.records[0].activations
    assert acts["3"].dead_fraction == 1.0 and acts["3"].mean == 0.0
    assert acts["1"].dead_fraction < 0.1


def test_nan_weight_is_named_in_weights_output_and_gradients():
    model = deep_mlp(nn.ReLU, depth=4, he=True)
    with gradlab.no_grad():
        model[4].weight.array[0, 0] = np.nan
    monitor = Monitor(model, every=1, warn=False)
    train_steps(model, monitor)
    msgs = [f.message for f in monitor.findings if f.kind == "nonfinite"]
    assert msgs[0].startswith("NaN/Inf in the weights of 4 (Linear): 4.weight has 1 "
                              "non-finite of 1024 values")
    assert any(m.startswith("NaN/Inf in the output of 4 (Linear): 64 of 2048 values, the "
                            "first layer (in forward order)") for m in msgs)
    assert any(m.startswith("NaN/Inf in the gradients of 0 (Linear)") for m in msgs)
    assert "2" not in [f.layer for f in monitor.findings if "output" in f.message]


def test_exploding_gradients_from_large_weights():
    model = deep_mlp(nn.ReLU, depth=6, he=True)
    with gradlab.no_grad():
        for m in model:
            if isinstance(m, nn.Linear):
                m.weight.mul_(4.0)
    monitor = Monitor(model, every=1, warn=False)
    train_steps(model, monitor, lr=1e-12)
    exploding = [f for f in monitor.findings if f.kind == "exploding"]
    assert exploding and exploding[0].layer == "0"
    assert exploding[0].value > 1e3 and "exceeds max_grad_norm 1000" in exploding[0].message
    quiet = Monitor(deep_mlp(nn.ReLU, depth=6, he=True), every=1, max_grad_norm=None,
                    warn=False)
    assert quiet.max_grad_norm is None


def _np_forward(layers, x):
    """The model's forward in NumPy (float64): the pre-activations and outputs of each layer."""
    outs = []
    h = x
    for m in layers:
        if isinstance(m, nn.Linear):
            h = h @ m.weight.array.T.astype(np.float64) + m.bias.array.astype(np.float64)
        elif isinstance(m, nn.ReLU):
            h = np.maximum(h, 0)
        elif isinstance(m, nn.Tanh):
            h = np.tanh(h)
        elif isinstance(m, nn.Sigmoid):
            h = 1 / (1 + np.exp(-h))
        outs.append(h)
    return outs


def _np_backward(layers, x, outs, y):
    """Gradients of mean cross-entropy in NumPy: {layer index: (dW, db)}."""
    z = outs[-1]
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    g = p.copy()
    g[np.arange(len(y)), y] -= 1
    g /= len(y)
    grads = {}
    for i in range(len(layers) - 1, -1, -1):
        m, inp = layers[i], (outs[i - 1] if i else x)
        if isinstance(m, nn.Linear):
            grads[i] = (g.T @ inp, g.sum(0))
            g = g @ m.weight.array.astype(np.float64)
        elif isinstance(m, nn.ReLU):
            g = g * (outs[i] > 0)
        elif isinstance(m, nn.Tanh):
            g = g * (1 - outs[i] ** 2)
        elif isinstance(m, nn.Sigmoid):
            g = g * outs[i] * (1 - outs[i])
    return grads


def test_statistics_match_numpy_by_hand():
    gradlab.manual_seed(3)
    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 8), nn.Tanh(),
                          nn.Linear(8, 8), nn.Sigmoid(), nn.Linear(8, 3))
    with gradlab.no_grad():
        model[0].bias.array[:3] = -50.0  # three dead units at least
        model[2].weight.mul_(8.0)  # saturate some tanh outputs
        model[4].weight.mul_(20.0)  # and some sigmoid outputs
    layers = list(model)
    x = gradlab.randn(20, 6)
    y = gradlab.randint(0, 3, (20,))
    x64 = x.array.astype(np.float64)
    outs = _np_forward(layers, x64)
    grads = _np_backward(layers, x64, outs, y.array)
    before = {n: p.array.astype(np.float64) for n, p in model.named_parameters()}

    monitor = Monitor(model, every=1, warn=False, tanh_threshold=0.95, sigmoid_low=0.05,
                      sigmoid_high=0.95)
    lr = 0.05
    opt = gradlab.optim.SGD(model.parameters(), lr=lr)
    F.cross_entropy(model(x), y).backward()
    opt.step()
    rec = monitor.step()
    assert rec is monitor.records[0] and rec.step == 0

    for i, out in enumerate(outs):
        st = rec.activations[str(i)]
        assert st.numel == out.size and st.nonfinite == 0
        np.testing.assert_allclose(st.mean, out.mean(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(st.std, out.std(), rtol=1e-5, atol=1e-6)
    dead = (outs[1] == 0).all(axis=0).mean()
    assert rec.activations["1"].dead_fraction == dead and dead >= 3 / 8
    sat_tanh = (np.abs(outs[3]) > 0.95).mean()
    sat_sig = ((outs[5] < 0.05) | (outs[5] > 0.95)).mean()
    assert 0 < sat_tanh < 1 and 0 < sat_sig < 1
    np.testing.assert_allclose(rec.activations["3"].saturated_fraction, sat_tanh, atol=1e-12)
    np.testing.assert_allclose(rec.activations["5"].saturated_fraction, sat_sig, atol=1e-12)
    assert rec.activations["0"].dead_fraction is None
    assert rec.activations["0"].saturated_fraction is None

    for i, (dw, db) in grads.items():
        gw, gb = np.linalg.norm(dw), np.linalg.norm(db)
        np.testing.assert_allclose(rec.grad_norms[f"{i}.weight"], gw, rtol=1e-4)
        np.testing.assert_allclose(rec.grad_norms[f"{i}.bias"], gb, rtol=1e-4)
        layer = np.hypot(gw, gb)
        np.testing.assert_allclose(rec.layer_grad_norms[str(i)], layer, rtol=1e-4)
        np.testing.assert_allclose(rec.layer_grad_rms[str(i)],
                                   layer / np.sqrt(dw.size + db.size), rtol=1e-4)
        # plain SGD: the update is lr * g, so the ratio is lr * ||g|| / ||w||
        w = before[f"{i}.weight"]
        np.testing.assert_allclose(rec.update_ratios[f"{i}.weight"],
                                   lr * gw / np.linalg.norm(w), rtol=1e-4)
        wl = np.hypot(np.linalg.norm(w), np.linalg.norm(before[f"{i}.bias"]))
        np.testing.assert_allclose(rec.layer_update_ratios[str(i)], lr * layer / wl, rtol=1e-4)


def test_a_layer_called_twice_pools_both_calls_and_eval_is_not_recorded():
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 5)
            self.act = nn.ReLU()

        def forward(self, x):
            return self.act(self.fc(x)) + self.act(self.fc(-2 * x)).sum(1, keepdim=True)

    gradlab.manual_seed(0)
    model = Twice()
    monitor = Monitor(model, every=1)
    x = gradlab.randn(7, 4)
    with gradlab.no_grad():
        model(x * 100)  # an evaluation forward: not part of the training step
        a = np.maximum(x.array @ model.fc.weight.array.T + model.fc.bias.array, 0)
        b = np.maximum(-2 * x.array @ model.fc.weight.array.T + model.fc.bias.array, 0)
    model(x).sum().backward()
    rec = monitor.step()
    both = np.concatenate([a, b]).astype(np.float64)
    st = rec.activations["act"]
    assert st.numel == both.size
    np.testing.assert_allclose([st.mean, st.std], [both.mean(), both.std()], rtol=1e-5)
    dead = ((a == 0).all(0).sum() + (b == 0).all(0).sum()) / 10
    assert st.dead_fraction == dead
    assert list(monitor.layers) == ["fc"]


def test_sampling_every_k_steps():
    model = deep_mlp(nn.Tanh, depth=2)
    monitor = Monitor(model, every=3, warn=False)
    seen = []
    model[0].register_forward_hook(lambda m, a, o: seen.append(bool(monitor._pending)))
    train_steps(model, monitor, steps=7)
    assert [r.step for r in monitor.records] == [0, 3, 6] and monitor.steps_seen == 7
    assert monitor.series("layer_grad_norms", "0")[0] == [0, 3, 6]
    steps, means = monitor.series("mean", "1")
    assert steps == [0, 3, 6] and all(-1 < m < 1 for m in means)
    # only sampled forwards computed statistics (the hook above runs after the monitor's)
    assert seen == [True, False, False, True, False, False, True]
    assert Monitor(model).every == 20


def test_plots_are_valid_pngs(tmp_path):
    model = deep_mlp(nn.Sigmoid, depth=3)
    monitor = Monitor(model, every=1, warn=False)
    train_steps(model, monitor, steps=3)
    paths = monitor.plot(tmp_path / "diag")
    assert [p.rsplit("/", 1)[1] for p in paths] == ["monitor_gradients.png",
                                                    "monitor_activations.png"]
    for p in paths:
        with open(p, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
        img = mpimg.imread(p)
        assert img.ndim == 3 and img.shape[0] > 200 and img.shape[1] > 400
        assert img[..., :3].std() > 0.05  # something is drawn
    few = plot_activations(monitor, tmp_path / "few.png", max_layers=2)
    assert mpimg.imread(few).shape[1] < mpimg.imread(paths[1]).shape[1]


def test_remove_detaches_every_hook():
    model = deep_mlp(nn.ReLU, depth=2)
    from gradlab.autograd.observers import _apply_observers

    before = [(len(m._forward_hooks), len(m._forward_pre_hooks)) for m in model.modules()]
    monitor = Monitor(model, every=1)
    # the 5 leaf modules' statistics hooks, and every module's enter/leave pair (6 modules)
    assert sum(len(m._forward_hooks) for m in model.modules()) == 5 + 6
    assert sum(len(m._forward_pre_hooks) for m in model.modules()) == 6
    assert monitor._functional not in _apply_observers  # only during forwards
    seen = []
    probe = model[0].register_forward_hook(
        lambda m, a, o: seen.append(monitor._functional in _apply_observers))
    model(gradlab.randn(3, model[0].in_features)).sum()
    probe.remove()
    assert seen == [True] and monitor._functional not in _apply_observers
    train_steps(model, monitor)
    monitor.remove()
    assert [(len(m._forward_hooks), len(m._forward_pre_hooks))
            for m in model.modules()] == before
    assert monitor._functional not in _apply_observers
    assert len(monitor.records) == 1  # the records stay
    with pytest.raises(RuntimeError, match="Monitor.step: the monitor was removed"):
        monitor.step()


class _Fails(nn.Module):
    """A block whose forward applies F.relu and then raises when asked to."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 3)
        self.fail = True

    def forward(self, x):
        y = F.relu(self.lin(x))
        if self.fail:
            raise ValueError("forward failed on purpose")
        return y


def test_a_forward_that_raises_ends_the_observation():
    from gradlab.autograd.observers import _apply_observers

    model = nn.Sequential(_Fails())
    monitor = Monitor(model, every=1, warn=False)
    with pytest.raises(ValueError, match="on purpose"):
        model(gradlab.randn(2, 3))
    # the observer and the stack of running modules went with the exception
    assert monitor._functional not in _apply_observers
    assert monitor._running == []
    # a later forward of another model reports nothing to this monitor
    recorded = dict(monitor._pending)
    other = nn.Sequential(_Fails())
    other[0].fail = False
    other(gradlab.randn(2, 3))
    F.relu(gradlab.randn(2, 3, requires_grad=True))
    assert monitor._pending.keys() == recorded.keys()
    # and the monitored model, fixed, is observed again and only during its forward
    model[0].fail = False
    model(gradlab.randn(2, 3))
    assert "0/relu" in monitor._pending
    assert monitor._functional not in _apply_observers
    monitor.remove()


def test_forward_hook_always_call_as_torch():
    import torch

    calls = {}
    for lib in (torch, gradlab):
        m = lib.nn.Linear(2, 2)
        seen = calls[lib.__name__] = []
        m.register_forward_hook(lambda mod, args, out, seen=seen: seen.append(out is None),
                                always_call=True)
        m.register_forward_hook(lambda mod, args, out, seen=seen: seen.append("plain"))
        m(lib.ones(1, 2))
        with pytest.raises(RuntimeError):
            m(lib.ones(1, 3))  # a shape error in forward
    assert calls["gradlab"] == calls["torch"] == [False, "plain", True]


def _loader(n=48, seed=0):
    gradlab.manual_seed(seed)
    ds = TensorDataset(gradlab.randn(n, 16), gradlab.randint(0, 4, (n,)))
    return DataLoader(ds, batch_size=12, shuffle=True)


def test_trainer_callback_records_and_prints_findings():
    model = deep_mlp(nn.Sigmoid, depth=8)
    out = io.StringIO()
    monitor = Monitor(model, every=2, warn=False, file=out)
    trainer = Trainer(model, nn.CrossEntropyLoss(), gradlab.optim.SGD(model.parameters(), 0.1),
                      callbacks=[monitor])
    trainer.fit(_loader(), epochs=2)
    assert monitor.steps_seen == 8 == trainer.global_step
    assert [r.step for r in monitor.records] == [0, 2, 4, 6]
    printed = out.getvalue().splitlines()
    assert printed and printed[0].startswith("monitor: vanishing gradients at 0 (Linear)")
    assert len(printed) == len(monitor.findings)  # each finding printed once

    other = Trainer(deep_mlp(nn.ReLU, depth=1), nn.CrossEntropyLoss(),
                    gradlab.optim.SGD(model.parameters(), 0.1), callbacks=[monitor])
    with pytest.raises(ValueError, match="the Trainer's model is not the model this monitor"):
        other.fit(_loader(), epochs=1)


def test_trainer_nan_loss_leaves_the_layer_named():
    model = deep_mlp(nn.ReLU, depth=3, he=True)
    with gradlab.no_grad():
        model[2].bias.array[1] = np.inf
    monitor = Monitor(model, every=1, warn=False)
    trainer = Trainer(model, nn.CrossEntropyLoss(), gradlab.optim.SGD(model.parameters(), 0.1),
                      callbacks=[monitor])
    with pytest.raises(FloatingPointError):
        trainer.fit(_loader(), epochs=1)
    layers = [(f.kind, f.layer) for f in monitor.findings]
    assert layers[0] == ("nonfinite", "2")
    assert "NaN/Inf in the output of 2 (Linear)" in monitor.report()


@pytest.mark.parametrize("kwargs, err, match", [
    ({"every": 0}, ValueError, r"Monitor: every must be an integer >= 1, got 0"),
    ({"vanishing_ratio": 2.0}, ValueError, r"Monitor: vanishing_ratio must be in \(0, 1\), "
     r"got 2.0"),
    ({"exploding_ratio": 0.5}, ValueError, r"Monitor: exploding_ratio must be > 1, got 0.5"),
    ({"max_grad_norm": -1}, ValueError, r"Monitor: max_grad_norm must be > 0, got -1"),
    ({"sigmoid_low": 0.6, "sigmoid_high": 0.4}, ValueError,
     r"Monitor: sigmoid_low \(0.6\) must be below sigmoid_high \(0.4\)"),
    ({"histogram_samples": 0}, ValueError, r"histogram_samples must be an integer >= 1"),
])
def test_bad_arguments(kwargs, err, match):
    with pytest.raises(err, match=match):
        Monitor(nn.Linear(2, 2), **kwargs)


def test_bad_model_series_and_early_plot(tmp_path):
    with pytest.raises(TypeError, match="Monitor: model must be a gradlab.nn.Module, got list"):
        Monitor([nn.Linear(2, 2)])
    monitor = Monitor(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="Monitor.series: unknown statistic 'nrom'"):
        monitor.series("nrom", "Linear")
    with pytest.raises(ValueError, match="plot_gradients: the monitor has recorded no step"):
        monitor.plot(tmp_path)


class _FunctionalBlock(nn.Module):
    """Activations applied as functions in forward, as the zoo's residual blocks do."""

    def __init__(self, act):
        super().__init__()
        self.fc = nn.Linear(4, 8)
        self.act = act

    def forward(self, x):
        return self.act(self.fc(x))


def test_functional_relu_inside_a_module_is_recorded_and_dead_units_named():
    model = nn.Sequential(_FunctionalBlock(F.relu), nn.Linear(8, 2))
    with gradlab.no_grad():
        model[0].fc.bias.fill_(-100.0)
        model[0].fc.bias[:2] = 100.0  # two of the eight units alive
    mon = Monitor(model, every=1, warn=False)
    x = gradlab.randn(16, 4)
    model(x).sum().backward()
    rec = mon.step()
    st = rec.activations["0/relu"]
    assert st.dead_fraction == 6 / 8
    w, b = model[0].fc.weight.detach().numpy(), model[0].fc.bias.detach().numpy()
    h = np.maximum(x.numpy() @ w.T + b, 0)
    np.testing.assert_allclose(st.mean, h.mean(dtype=np.float64), rtol=1e-6)
    dead = [f for f in mon.findings if f.kind == "dead"]
    assert [f.layer for f in dead] == ["0/relu"]
    assert dead[0].message.startswith("dead ReLU units at 0/relu (F.relu): 75%")
    # a leaf nn.ReLU is recorded once, by its own hook, not again as a functional call
    mon.remove()
    mon2 = Monitor(nn.Sequential(nn.Linear(4, 8), nn.ReLU()), every=1, warn=False)
    with gradlab.no_grad():
        mon2.model(x)
    mon2.model(x).sum().backward()
    assert sorted(mon2.step().activations) == ["0", "1"]


def test_functional_tanh_saturation_and_the_zoo_resnet_relus():
    model = nn.Sequential(_FunctionalBlock(lambda z: (z * 50).tanh()))
    mon = Monitor(model, every=1, warn=False)
    model(gradlab.randn(32, 4)).sum().backward()
    rec = mon.step()
    assert rec.activations["0/tanh"].saturated_fraction > 0.5
    assert any(f.kind == "saturated" and "|tanh| > 0.99" in f.message for f in mon.findings)
    net = models.resnet20()
    mon = Monitor(net, every=1, warn=False)
    net(gradlab.randn(2, 3, 32, 32)).sum().backward()
    relus = [k for k in mon.step().activations if k.endswith("/relu")]
    assert relus[:2] == ["ResNet/relu", "layer1.0/relu"] and len(relus) == 10
