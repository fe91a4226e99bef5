"""gradlab.train: fit / evaluate / predict, History, callbacks, metrics, plots.

Convergence on the bundled Digits set (1,438 training / 359 held-out test images, fixed split):
an MLP and a small CNN must reach real held-out accuracies. Metrics are checked against torch
and scikit-learn; ReduceLROnPlateau's wiring against torch's scheduler fed the same losses.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys

import numpy as np
import pytest
import torch
from sklearn.metrics import confusion_matrix as sk_confusion_matrix

import gradlab
from gradlab import nn, optim
from gradlab.datasets import Digits
from gradlab.models import MLP
from gradlab.train import (
    Accuracy,
    Callback,
    ConfusionMatrix,
    CSVLogger,
    EarlyStopping,
    History,
    LambdaCallback,
    ModelCheckpoint,
    ProgressBar,
    Trainer,
    accuracy,
    confusion_matrix,
    evaluate,
    fit,
    get_metric,
    load_checkpoint,
    plot_history,
    predict,
    save_checkpoint,
    top_k_accuracy,
)
from gradlab.utils.data import DataLoader, TensorDataset


@pytest.fixture(scope="module")
def digits():
    return Digits(train=True), Digits(train=False)


def small_cnn() -> nn.Module:
    """Two 3x3 convs with BatchNorm on the 8x8 digits, max pool, linear: 10,762 parameters."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 4 * 4, 10))


def tiny_loaders(n=96, batch=32, seed=0):
    """A small random 10-class problem (8 features) for the wiring tests."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8)).astype(np.float32)
    y = (x[:, :5].argmax(1) + 5 * (x[:, 5] > 0)).astype(np.int64)
    ds = TensorDataset(gradlab.tensor(x), gradlab.tensor(y))
    return DataLoader(ds, batch, shuffle=True), DataLoader(ds, 64)


def weights(model) -> dict:
    return {k: v.array.copy() for k, v in model.state_dict().items()}


# ----------------------------------------------------------------------------- convergence


@pytest.mark.parametrize("arch,epochs,target", [("mlp", 30, 0.95), ("cnn", 12, 0.97)])
def test_fit_on_digits_reaches_held_out_accuracy(digits, arch, epochs, target):
    train, test = digits
    gradlab.manual_seed(0)
    model = MLP([64, 256, 10]) if arch == "mlp" else small_cnn()
    opt = optim.Adam(model.parameters(), lr=3e-3)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    # one BLAS thread: as fast for these small GEMMs, and steady when another process holds a
    # core (two threads made this test take 10x longer then)
    with gradlab.backend.num_threads(1):
        history = fit(model, nn.CrossEntropyLoss(), opt, DataLoader(train, 32, shuffle=True),
                      epochs=epochs, scheduler=sched, metrics=["accuracy"])
        result = evaluate(model, nn.CrossEntropyLoss(), DataLoader(test, 512), ["accuracy"])
    assert result["accuracy"] >= target, result
    assert len(history) == epochs and history["train_accuracy"][-1] > 0.98
    assert history["train_loss"][-1] < history["train_loss"][0] / 5


# ----------------------------------------------------------------------------- history


def test_history_rows_lr_and_val_metrics():
    train_loader, val_loader = tiny_loaders()
    gradlab.manual_seed(1)
    model = MLP([8, 16, 10])
    opt = optim.SGD(model.parameters(), lr=0.4, momentum=0.9)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    h = fit(model, nn.CrossEntropyLoss(), opt, train_loader, val_loader, epochs=3,
            scheduler=sched, metrics=["accuracy", "top3_accuracy", "confusion_matrix"])
    assert isinstance(h, History) and len(h) == 3
    assert h.keys() == ["epoch", "train_loss", "train_accuracy", "train_top3_accuracy",
                        "train_confusion_matrix", "val_loss", "val_accuracy",
                        "val_top3_accuracy", "val_confusion_matrix", "lr", "time"]
    assert h["epoch"] == [1, 2, 3]
    assert h["lr"] == [0.4, 0.2, 0.1]  # the rate each epoch trained with
    assert all(t > 0 for t in h["time"])
    assert h.history["val_loss"] == h["val_loss"]
    # the last epoch's val row is what evaluate gives on the final weights
    final = evaluate(model, nn.CrossEntropyLoss(), val_loader,
                     ["accuracy", "top3_accuracy", "confusion_matrix"])
    assert final["loss"] == h[-1]["val_loss"]
    assert final["accuracy"] == h[-1]["val_accuracy"]
    cm = np.array(h[-1]["val_confusion_matrix"])
    assert cm.sum() == 96 and np.trace(cm) / 96 == h[-1]["val_accuracy"]
    assert h.best("val_accuracy")["val_accuracy"] == max(h["val_accuracy"])
    assert json.loads(h.to_json()) == h.rows
    with pytest.raises(KeyError, match="History has no 'val_acc'"):
        h["val_acc"]


def test_train_loss_is_the_batch_size_weighted_mean():
    x = gradlab.tensor(np.arange(10, dtype=np.float32).reshape(10, 1))
    y = gradlab.zeros(10, 1)
    model = nn.Linear(1, 1)
    with gradlab.no_grad():
        model.weight.array[...] = 1.0
        model.bias.array[...] = 0.0
    opt = optim.SGD(model.parameters(), lr=0.0)  # no change: the epoch loss is exact
    loader = DataLoader(TensorDataset(x, y), batch_size=4)  # batches of 4, 4, 2
    h = fit(model, nn.MSELoss(), opt, loader, loader, epochs=1)
    expected = float(np.mean(np.arange(10.0) ** 2))
    assert math.isclose(h[0]["train_loss"], expected, rel_tol=1e-6)
    assert math.isclose(h[0]["val_loss"], expected, rel_tol=1e-6)


def test_evaluate_and_predict_use_eval_mode_without_grad():
    train_loader, val_loader = tiny_loaders()
    gradlab.manual_seed(0)
    model = MLP([8, 16, 10], dropout=0.5)
    model.train()
    seen = []
    model.register_forward_hook(lambda m, a, out: seen.append((m.training, out.requires_grad)))
    r1 = evaluate(model, nn.CrossEntropyLoss(), val_loader)
    r2 = evaluate(model, nn.CrossEntropyLoss(), val_loader)
    assert r1 == r2  # dropout off: deterministic
    out = predict(model, val_loader)
    assert out.shape == (96, 10) and not out.requires_grad
    assert set(seen) == {(False, False)} and model.training
    xs = val_loader.dataset.tensors[0]
    model.eval()
    expected = np.concatenate([model(xs[:64]).array, model(xs[64:]).array])  # same batches
    np.testing.assert_array_equal(out.array, expected)
    model.train()
    # predict also takes loaders that yield bare inputs
    out2 = predict(model, DataLoader(TensorDataset(xs), batch_size=64))
    np.testing.assert_array_equal(out2.array, out.array)


def test_trainer_class_continues_and_stops_on_request():
    train_loader, val_loader = tiny_loaders()
    gradlab.manual_seed(0)
    model = MLP([8, 16, 10])
    stopper = LambdaCallback(on_epoch_end=lambda t, e, logs: setattr(t, "stop_training",
                                                                     e == 2))
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters()),
                      callbacks=[stopper])
    trainer.fit(train_loader, epochs=5)
    assert trainer.epoch == 2 and len(trainer.history) == 2
    trainer.callbacks = []
    trainer.fit(train_loader, epochs=4)  # epochs counts in total: two more
    assert trainer.history["epoch"] == [1, 2, 3, 4] and trainer.global_step == 4 * 3
    assert set(trainer.evaluate(val_loader, metrics=["accuracy"])) == {"loss", "accuracy"}


def test_callback_hook_order_and_batch_logs():
    train_loader, _ = tiny_loaders()
    calls = []

    class Recorder(Callback):
        def on_fit_start(self, t):
            calls.append("fit_start")

        def on_epoch_start(self, t, e):
            calls.append(f"epoch_start {e}")

        def on_batch_start(self, t, i):
            calls.append(f"batch_start {i}")

        def on_batch_end(self, t, i, logs):
            assert set(logs) == {"loss", "batch_size"} and logs["batch_size"] == 32
            calls.append(f"batch_end {i}")

        def on_epoch_end(self, t, e, logs):
            assert t.history[-1] == logs
            calls.append(f"epoch_end {e}")

        def on_fit_end(self, t):
            calls.append("fit_end")

    model = MLP([8, 10])
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), 0.1), train_loader,
        epochs=1, callbacks=[Recorder()])
    assert calls == ["fit_start", "epoch_start 1", "batch_start 0", "batch_end 0",
                     "batch_start 1", "batch_end 1", "batch_start 2", "batch_end 2",
                     "epoch_end 1", "fit_end"]


def test_fit_errors():
    train_loader, _ = tiny_loaders()
    model = MLP([8, 10])
    opt = optim.SGD(model.parameters(), lr=0.1)
    loss = nn.CrossEntropyLoss()
    with pytest.raises(ValueError, match="epochs must be an integer >= 0"):
        fit(model, loss, opt, train_loader, epochs=-1)
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        fit(model, loss, opt, train_loader, metrics=["f1"])
    with pytest.raises(TypeError, match="callbacks must be gradlab.train.Callback"):
        fit(model, loss, opt, train_loader, callbacks=[print])
    with pytest.raises(TypeError, match=r"batches of \(inputs, targets\), got list of length 3"):
        fit(model, loss, opt, [[1, 2, 3]])
    with pytest.raises(ValueError, match="the training loader yielded no batches"):
        fit(model, loss, opt, [])
    with np.errstate(divide="ignore"), pytest.raises(
            FloatingPointError, match=r"training diverged at epoch 1, batch 0 \(step 0\): the "
                                      "training loss is inf"):
        fit(model, lambda out, y: loss(out, y) / 0.0, opt, train_loader)


# ----------------------------------------------------------------------------- callbacks


class _Scores(Callback):
    """Puts a scripted 'score' into the logs and keeps each epoch's weights."""

    def __init__(self, scores):
        self.scores, self.snapshots = scores, {}

    def on_epoch_end(self, trainer, epoch, logs):
        logs["score"] = self.scores[epoch - 1]
        self.snapshots[epoch] = weights(trainer.model)


def test_early_stopping_stops_after_patience_and_restores_best():
    train_loader, _ = tiny_loaders()
    gradlab.manual_seed(0)
    model = MLP([8, 16, 10])
    scores = _Scores([3.0, 2.0, 1.0, 1.5, 0.9999, 1.7, 0.5, 0.1])
    stop = EarlyStopping(monitor="score", patience=2, min_delta=0.001,
                         restore_best_weights=True)
    h = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), train_loader,
            epochs=8, callbacks=[scores, stop])
    # epoch 3 is best; 4 is worse and 5 improves by less than min_delta: stop after epoch 5
    assert len(h) == 5 and stop.stopped_epoch == 5 and stop.best_epoch == 3
    assert stop.best == 1.0 and stop.wait == 2
    for k, v in weights(model).items():
        np.testing.assert_array_equal(v, scores.snapshots[3][k])
    assert not all(np.array_equal(scores.snapshots[5][k], v) for k, v in weights(model).items())


def test_early_stopping_on_val_loss_and_max_mode():
    train_loader, val_loader = tiny_loaders()
    gradlab.manual_seed(0)
    model = MLP([8, 16, 10])
    stop = EarlyStopping(patience=1, min_delta=100.0)  # val_loss can never improve by 100
    h = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
            train_loader, val_loader, epochs=10, callbacks=[stop])
    assert len(h) == 2 and stop.best == h[0]["val_loss"]
    acc = EarlyStopping(monitor="val_accuracy")
    assert acc.mode == "max" and acc.best == -math.inf
    with pytest.raises(ValueError, match="monitor 'val_loss' is not in the epoch logs \\(pass "
                                         "val_loader to fit\\); available: train_loss, lr"):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), train_loader,
            epochs=1, callbacks=[EarlyStopping()])
    with pytest.raises(ValueError, match="mode must be 'min', 'max' or 'auto'"):
        EarlyStopping(mode="lowest")
    with pytest.raises(ValueError, match="patience must be an integer >= 0"):
        EarlyStopping(patience=-1)


def test_model_checkpoint_writes_last_and_best(tmp_path):
    train_loader, val_loader = tiny_loaders()
    gradlab.manual_seed(0)
    model = MLP([8, 16, 10])
    scores = _Scores([0.5, 0.7, 0.6, 0.9, 0.8])
    ckpt = ModelCheckpoint(tmp_path / "ckpt", monitor="score", mode="max")
    fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-2), train_loader,
        val_loader, epochs=5, callbacks=[ckpt, scores])  # checkpoints run after the others
    assert sorted(p.name for p in (tmp_path / "ckpt").iterdir()) == ["best.safetensors",
                                                                     "last.safetensors"]
    last, best = load_checkpoint(ckpt.last_path), load_checkpoint(ckpt.best_path)
    assert last["epoch"] == 5 and best["epoch"] == 4 and ckpt.best_epoch == 4
    for k, v in best["model"].items():
        np.testing.assert_array_equal(v.array, scores.snapshots[4][k])
    for k, v in last["model"].items():
        np.testing.assert_array_equal(v.array, scores.snapshots[5][k])
    assert [r["epoch"] for r in best["history"]] == [1, 2, 3, 4]
    assert best["callbacks"]["0:ModelCheckpoint"] == {"best_score": 0.9, "best_epoch": 4}
    assert set(best["optimizer"]["state"]) == {0, 1, 2, 3}
    with pytest.raises(ValueError, match="nothing to save"):
        ModelCheckpoint(tmp_path, save_best=False, save_last=False)


def test_csv_logger_rows_match_history(tmp_path):
    train_loader, val_loader = tiny_loaders()
    gradlab.manual_seed(0)
    model = MLP([8, 16, 10])
    path = tmp_path / "logs" / "log.csv"
    h = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), train_loader,
            val_loader, epochs=3, metrics=["accuracy", "confusion_matrix"],
            callbacks=[CSVLogger(path)])
    rows = list(csv.DictReader(path.open()))
    assert list(rows[0]) == ["epoch", "train_loss", "train_accuracy", "val_loss",
                             "val_accuracy", "lr", "time"]  # the matrices are left out
    assert len(rows) == 3
    for row, logs in zip(rows, h):
        assert int(row["epoch"]) == logs["epoch"]
        for k in ("train_loss", "val_loss", "val_accuracy", "lr", "time"):
            assert float(row[k]) == logs[k]  # written with repr: exact


def test_progress_bar_plain_lines_and_tty(capsys):
    train_loader, val_loader = tiny_loaders()
    model = MLP([8, 16, 10])
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), train_loader,
        val_loader, epochs=2, metrics=["accuracy"], callbacks=[ProgressBar()])
    lines = capsys.readouterr().out.splitlines()  # pytest's stdout is not a terminal
    assert len(lines) == 2
    assert lines[0].startswith("epoch 1/2  train_loss ")
    assert "train_accuracy" in lines[1] and "val_accuracy" in lines[1] and "%" in lines[1]
    buf = io.StringIO()
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), train_loader,
        val_loader, epochs=1, callbacks=[ProgressBar(file=buf, force_tty=True)])
    text = buf.getvalue()
    assert "epoch 1/1:   0%|" in text and "0/3 [" in text  # the bar, over 3 batches
    last = text.rsplit("\r", 1)[1]  # then it is cleared and the epoch's line printed
    assert last.startswith("epoch 1/1  train_loss ") and "val_loss" in last
    assert last.endswith("s\n") and last.count("\n") == 1


def test_progress_bar_closes_on_interrupt():
    train_loader, _ = tiny_loaders()
    model = MLP([8, 10])
    bar = ProgressBar(file=io.StringIO(), force_tty=True)

    def interrupt(t, i):
        if i == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), train_loader,
            epochs=1, callbacks=[bar, LambdaCallback(on_batch_start=interrupt)])
    assert bar._bar is None


def test_lambda_callback_rejects_unknown_hooks():
    with pytest.raises(TypeError, match="unknown hook 'on_step'"):
        LambdaCallback(on_step=print)


# ----------------------------------------------------------------------------- schedulers


def test_reduce_lr_on_plateau_gets_the_monitored_value():
    train_loader, val_loader = tiny_loaders()
    gradlab.manual_seed(0)
    model = MLP([8, 16, 10])
    opt = optim.SGD(model.parameters(), lr=0.5)
    plateau = optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0, threshold=0.1)
    h = fit(model, nn.CrossEntropyLoss(), opt, train_loader, val_loader, epochs=8,
            scheduler=plateau)
    # torch's scheduler fed the same validation losses gives the same rates
    p = torch.nn.Parameter(torch.zeros(1))
    t_opt = torch.optim.SGD([p], lr=0.5)
    t_plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(t_opt, factor=0.5, patience=0,
                                                           threshold=0.1)
    expected = []
    for v in h["val_loss"]:
        expected.append(t_opt.param_groups[0]["lr"])
        t_plateau.step(v)
    assert h["lr"] == expected and len(set(expected)) > 1
    assert opt.param_groups[0]["lr"] == t_opt.param_groups[0]["lr"]


def test_reduce_lr_on_plateau_monitor_and_interval_errors():
    train_loader, _ = tiny_loaders()
    model = MLP([8, 10])
    opt = optim.SGD(model.parameters(), lr=0.5)
    plateau = optim.lr_scheduler.ReduceLROnPlateau(opt)
    with pytest.raises(ValueError, match="ReduceLROnPlateau monitors 'val_loss', which is not "
                                         "in the epoch logs"):
        fit(model, nn.CrossEntropyLoss(), opt, train_loader, scheduler=plateau)
    h = fit(model, nn.CrossEntropyLoss(), opt, train_loader, scheduler=plateau, epochs=2,
            scheduler_monitor="train_loss")
    assert plateau.best == min(h["train_loss"])
    with pytest.raises(ValueError, match="needs an epoch's metric"):
        Trainer(model, nn.CrossEntropyLoss(), opt, scheduler=plateau, scheduler_interval="step")


def test_per_step_scheduler():
    train_loader, _ = tiny_loaders()
    model = MLP([8, 10])
    opt = optim.SGD(model.parameters(), lr=1.0)
    sched = optim.lr_scheduler.LambdaLR(opt, lambda step: 1.0 / (1 + step))
    h = fit(model, nn.CrossEntropyLoss(), opt, train_loader, epochs=2, scheduler=sched,
            scheduler_interval="step")
    assert h["lr"] == [1.0, 1.0 / 4]  # 3 batches per epoch
    assert opt.param_groups[0]["lr"] == 1.0 / 7


# ----------------------------------------------------------------------------- metrics


def _logits(n=200, c=7, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, c)).astype(np.float32), rng.integers(0, c, n)


def test_accuracy_and_top_k_match_torch():
    x, y = _logits()
    tx, ty = torch.tensor(x), torch.tensor(y)
    assert accuracy(gradlab.tensor(x), gradlab.tensor(y)) == pytest.approx(
        (tx.argmax(1) == ty).double().mean().item(), abs=0)
    for k in range(1, 8):
        expected = (tx.topk(k, dim=1).indices == ty[:, None]).any(1).double().mean().item()
        assert top_k_accuracy(x, y, k) == expected
    assert top_k_accuracy(x, y, 1) == accuracy(x, y)
    assert top_k_accuracy(x, y, 50) == 1.0
    # (N, C, d) scores, as cross_entropy takes them
    x3 = np.random.default_rng(1).normal(size=(4, 5, 6))
    y3 = np.random.default_rng(2).integers(0, 5, (4, 6))
    assert accuracy(x3, y3) == np.mean(x3.argmax(1) == y3)
    # labels instead of scores
    assert accuracy(np.array([1, 2, 3]), np.array([1, 0, 3])) == 2 / 3


def test_top_k_breaks_ties_by_class_index_like_argmax():
    scores = np.zeros((3, 4), dtype=np.float32)  # all tied
    target = np.array([0, 2, 3])
    assert accuracy(scores, target) == 1 / 3  # argmax picks class 0
    assert top_k_accuracy(scores, target, 3) == 2 / 3  # classes 0, 1, 2
    assert top_k_accuracy(scores, target, 4) == 1.0


def test_confusion_matrix_matches_sklearn():
    x, y = _logits(300, 5, seed=3)
    cm = confusion_matrix(gradlab.tensor(x), gradlab.tensor(y))
    assert cm.dtype == gradlab.int64 and cm.shape == (5, 5)
    np.testing.assert_array_equal(cm.array, sk_confusion_matrix(y, x.argmax(1), labels=range(5)))
    pred = np.array([0, 0, 2, 2, 1])
    true = np.array([0, 1, 2, 2, 2])
    np.testing.assert_array_equal(confusion_matrix(pred, true).array,
                                  [[1, 0, 0], [1, 0, 0], [0, 1, 2]])
    assert confusion_matrix(pred, true, num_classes=5).shape == (5, 5)


def test_epoch_accumulators_equal_whole_set_values():
    x, y = _logits(250, 6, seed=4)
    acc, top3, cm = Accuracy(), Accuracy(top_k=3), ConfusionMatrix()
    for i in range(0, 250, 64):
        for m in (acc, top3, cm):
            m.update(x[i:i + 64], y[i:i + 64])
    assert acc.compute() == accuracy(x, y) and (acc.correct, acc.total) == (
        int(np.sum(x.argmax(1) == y)), 250)
    assert top3.compute() == top_k_accuracy(x, y, 3) and top3.name == "top3_accuracy"
    np.testing.assert_array_equal(cm.compute().array, confusion_matrix(x, y).array)
    acc.reset()
    assert math.isnan(acc.compute())
    assert get_metric("top5_accuracy").top_k == 5 and get_metric(acc) is acc
    assert isinstance(get_metric("confusion_matrix"), ConfusionMatrix)


def test_metric_errors():
    x, y = _logits(10, 3)
    with pytest.raises(ValueError, match=r"target values must be in \[0, 3\) for 3 classes"):
        accuracy(x, y + 5)
    with pytest.raises(ValueError, match="output has 10 samples but target has 9"):
        top_k_accuracy(x, y[:9], 2)
    with pytest.raises(ValueError, match="k must be a positive integer, got 0"):
        top_k_accuracy(x, y, 0)
    with pytest.raises(TypeError, match="target must hold integer class indices"):
        accuracy(x, y.astype(np.float32))
    with pytest.raises(ValueError, match=r"output must be scores of shape \(N, C\)"):
        top_k_accuracy(y, y, 1)
    with pytest.raises(ValueError, match="num_classes is needed"):
        ConfusionMatrix().update(y, y)
    with pytest.raises(ValueError, match=r"prediction values must be in \[0, 2\)"):
        confusion_matrix(np.array([0, 2]), np.array([0, 1]), num_classes=2)


# ----------------------------------------------------------------------------- plots, files


def test_plot_history_writes_a_png(tmp_path):
    rows = [{"epoch": e, "train_loss": 1 / e, "val_loss": 1.2 / e, "train_accuracy": 0.5 + e / 20,
             "val_accuracy": 0.5 + e / 25, "lr": 0.1 / e, "time": 0.1} for e in range(1, 6)]
    path = plot_history(History(rows), tmp_path / "curves.png", title="test")
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    with pytest.raises(ValueError, match="the history is empty"):
        plot_history([], tmp_path / "empty.png")


def test_plot_history_without_matplotlib_says_how_to_install(tmp_path, monkeypatch):
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    with pytest.raises(ImportError, match=r'needs matplotlib.*pip install "gradlab\[train\]"'):
        plot_history([{"epoch": 1, "train_loss": 1.0}], tmp_path / "x.png")


def test_checkpoint_keeps_python_types_and_is_plain_safetensors(tmp_path):
    from safetensors.numpy import load_file, safe_open

    model = MLP([3, 2])
    extra = {"tuple": (1, 2.5, "a"), "int_keys": {0: "zero", 7: [1, 2]}, "inf": -math.inf,
             "nan": math.nan, "np": np.float32(1.5), "arr": np.arange(3, dtype=np.int16),
             "tensor": gradlab.ones(2, 2), "none": None, "bool": True,
             "tagged": {"__tensor__": "not a tensor"}}
    path = tmp_path / "c.safetensors"
    save_checkpoint(path, model=model, epoch=3, history=[{"epoch": 1}], extra=extra)
    back = load_checkpoint(path)["extra"]
    assert back["tuple"] == (1, 2.5, "a") and back["int_keys"] == {0: "zero", 7: [1, 2]}
    assert back["inf"] == -math.inf and math.isnan(back["nan"])
    assert type(back["np"]) is np.float32 and back["np"] == 1.5
    assert back["arr"].dtype == np.int16 and back["arr"].tolist() == [0, 1, 2]
    assert isinstance(back["tensor"], gradlab.Tensor) and back["tensor"].shape == (2, 2)
    assert back["none"] is None and back["bool"] is True
    assert back["tagged"] == {"__tensor__": "not a tensor"}
    # the reference reader opens it: tensors are entries, the rest strict JSON metadata
    entries = load_file(str(path))
    assert set(entries) >= {"model/layers.1.weight", "model/layers.1.bias", "extra/arr"}
    with safe_open(str(path), "np") as f:
        meta = f.metadata()
    assert meta["format"] == "gradlab.train.checkpoint/1"
    state = json.loads(meta["gradlab.train"])
    assert state["epoch"] == 3 and state["extra"]["tensor"] == {"__tensor__": "extra/tensor"}
    with pytest.raises(TypeError, match="cannot store a function at 'extra/f'"):
        save_checkpoint(tmp_path / "bad.safetensors", model=model, extra={"f": lambda: 0})
    gradlab.save(model.state_dict(), tmp_path / "weights.safetensors")
    with pytest.raises(ValueError, match="not a gradlab training checkpoint"):
        load_checkpoint(tmp_path / "weights.safetensors")
