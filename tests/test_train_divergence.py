"""Training that notices trouble: a NaN/Inf loss, a loss over 1000 times the largest of the
first 10 steps, or NaN/Inf gradients stop ``Trainer.fit`` with :class:`TrainingDiverged`
(before the optimizer step) and ``gradlab train`` with one line and exit status 1; the Monitor
reports the diverging loss at steps it does not sample; normal training is unaffected."""

from __future__ import annotations

import math

import numpy as np
import pytest
from clitools import run_main

import gradlab
from gradlab import nn, optim
from gradlab.diagnose import Monitor
from gradlab.models import MLP
from gradlab.train import Trainer, TrainingDiverged, fit
from gradlab.train.trainer import DIVERGENCE_FACTOR, DIVERGENCE_WARMUP
from gradlab.utils.data import DataLoader, TensorDataset


def _loader(n=256, batch=32, seed=0):
    g = np.random.default_rng(seed)
    x = gradlab.from_numpy(g.standard_normal((n, 8)).astype(np.float32))
    y = gradlab.from_numpy((g.integers(0, 4, n)).astype(np.int64))
    return DataLoader(TensorDataset(x, y), batch_size=batch)


def _weights(model):
    return {k: v.array.copy() for k, v in model.state_dict().items()}


def test_rule_constants():
    assert DIVERGENCE_FACTOR == 1e3 and DIVERGENCE_WARMUP == 10


def test_exploding_loss_stops_before_the_step():
    gradlab.manual_seed(0)
    model = MLP([8, 32, 4])
    snapshots = []

    class Keep(gradlab.train.Callback):
        def on_batch_start(self, trainer, batch_idx):
            snapshots.append(_weights(trainer.model))

    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=1e6),
                      callbacks=[Keep()])
    with pytest.raises(TrainingDiverged) as info:
        trainer.fit(_loader(), epochs=3)
    e = info.value
    assert isinstance(e, RuntimeError) and isinstance(e, FloatingPointError)
    assert e.reason == "exploding loss" and e.epoch == 1 and e.step == e.batch == 1
    assert e.loss > DIVERGENCE_FACTOR * e.reference and math.isfinite(e.loss)
    assert str(e).startswith(f"training diverged at epoch 1, batch 1 (step 1): the training "
                             f"loss is {e.loss:.4g}, over 1000 times the reference "
                             f"{e.reference:.4g} (the largest loss of the first 1 step); try a "
                             "lower learning rate (gradlab train --lr), gradient clipping")
    assert "--monitor" in str(e) and "\n" not in str(e)
    assert trainer.global_step == 1  # the diverging step was not taken
    after = _weights(model)
    assert all(np.array_equal(after[k], snapshots[-1][k]) for k in after)


def test_nonfinite_loss_and_nonfinite_gradients():
    gradlab.manual_seed(0)
    model = MLP([8, 16, 4])
    loss = nn.CrossEntropyLoss()
    with np.errstate(divide="ignore"), pytest.raises(TrainingDiverged) as info:
        fit(model, lambda out, y: loss(out, y) / 0.0, optim.SGD(model.parameters(), 0.1),
            _loader())
    assert info.value.reason == "nonfinite loss" and info.value.loss == math.inf
    assert "at epoch 1, batch 0 (step 0): the training loss is inf; try " in str(info.value)

    class InfGrad(gradlab.autograd.Function):
        """The identity whose gradient is infinite: a finite loss with NaN/Inf gradients."""

        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, g):
            return g * math.inf

    before = _weights(model)
    with np.errstate(invalid="ignore", over="ignore"), pytest.raises(TrainingDiverged) as info:
        fit(model, lambda out, y: loss(InfGrad.apply(out), y),
            optim.SGD(model.parameters(), 0.1), _loader())
    e = info.value
    assert e.reason == "nonfinite gradients" and math.isfinite(e.loss)
    assert set(e.parameters) == {"layers.1.weight", "layers.1.bias", "layers.3.weight",
                                 "layers.3.bias"}
    assert "NaN/Inf in the gradients of layers.1.weight, layers.1.bias, layers.3.weight and 1 " \
           "more (the training loss is" in str(e)
    after = _weights(model)
    assert all(np.array_equal(after[k], before[k]) for k in after)  # no step was taken


def test_stop_on_divergence_false_trains_on_and_the_monitor_still_reports():
    gradlab.manual_seed(0)
    model = MLP([8, 32, 4])
    monitor = Monitor(model, every=1000, warn=False)  # samples step 0 only
    with np.errstate(all="ignore"):
        history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e4),
                      _loader(), epochs=2, callbacks=[monitor], stop_on_divergence=False)
    assert len(history) == 2
    found = [f for f in monitor.findings if f.kind == "diverging"]
    assert len(found) == 1 and found[0].layer == "loss" and found[0].step > 0
    assert found[0].message.startswith("diverging loss: the training loss is ")
    assert len(monitor.records) == 1  # the loss check ran at steps that were not sampled
    with pytest.raises(TypeError, match="stop_on_divergence must be True or False"):
        Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), 0.1),
                stop_on_divergence=None)


def test_monitor_step_checks_the_loss_it_is_given():
    model = MLP([8, 4])
    monitor = Monitor(model, every=50, warn=False)
    for i in range(10):  # the reference: the largest loss of the first 10 steps
        monitor.step(loss=2.0 - 0.1 * i)
    monitor.step(loss=1999.0)
    assert not monitor.findings  # under 1000 x 2.0
    monitor.step(loss=2001.0)
    monitor.step(loss=float("nan"))
    assert [(f.kind, f.step) for f in monitor.findings] == [("diverging", 11)]
    assert monitor.findings[0].count == 2 and monitor.findings[0].last_step == 12
    assert monitor.findings[0].message == (
        "diverging loss: the training loss is 2001, over 1000 times the reference 2 (the "
        "largest loss of the first 10 steps) (step 11)")


def test_normal_training_is_unaffected():
    gradlab.manual_seed(0)
    model = MLP([8, 32, 4])
    history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-2),
                  _loader(), epochs=3)
    assert len(history) == 3 and history[2]["train_loss"] < history[0]["train_loss"]


def test_gradlab_train_with_a_huge_lr_exits_1_with_one_line(tmp_path, capsys):
    out_dir = tmp_path / "run"
    rc, out, err = run_main(["train", "--model", "mlp", "--epochs", "3", "--lr", "1e6",
                             "--no-plot", "--out", str(out_dir)], capsys)
    assert rc == 1
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("gradlab train: training diverged at epoch 1, batch ")
    assert "the training loss is " in err and "try a lower learning rate (gradlab train --lr), " \
        "gradient clipping" in err and "--monitor" in err
    assert "test accuracy" not in out
    assert not (out_dir / "metrics.json").exists()


def test_gradlab_train_monitor_reports_the_divergence(tmp_path, capsys):
    rc, out, err = run_main(["train", "--model", "mlp", "--epochs", "1", "--lr", "1e6",
                             "--optimizer", "sgd", "--monitor", "--no-plot", "--out",
                             str(tmp_path / "run")], capsys)
    assert rc == 1 and err.startswith("gradlab train: training diverged at epoch 1")
    assert "monitor: diverging loss: training stopped at step 1 (epoch 1, batch 1): the " \
           "training loss is " in out
