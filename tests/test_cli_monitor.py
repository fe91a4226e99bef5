"""`gradlab train --monitor`: the monitor's warnings are printed during the run, its summary
after it, and its two PNGs are written into --out."""

from __future__ import annotations

import os

from clitools import run_main
from matplotlib import image as mpimg


def test_healthy_run_reports_no_warnings_and_writes_the_plots(tmp_path, capsys):
    rc, out, err = run_main(["train", "--model", "mlp", "--epochs", "1", "--monitor",
                             "--no-plot", "--out", str(tmp_path)], capsys)
    assert rc == 0, err
    # 1,294 training images in batches of 32: 41 steps, sampled at steps 0, 20 and 40
    assert "monitor: 3 sampled steps of 41 (every 20), no warnings\n" in out
    assert sorted(os.listdir(tmp_path)) == [
        "best.safetensors", "history.csv", "last.safetensors", "metrics.json",
        "monitor_activations.png", "monitor_gradients.png"]
    assert out.rstrip().endswith("monitor_gradients.png, " + str(tmp_path / "monitor_"
                                                                 "activations.png"))
    for name in ("monitor_gradients.png", "monitor_activations.png"):
        img = mpimg.imread(tmp_path / name)
        assert img.ndim == 3 and img.shape[0] > 200


def test_too_large_learning_rate_is_diagnosed(tmp_path, capsys):
    # plain SGD at lr 5 pushes every hidden ReLU of the digits MLP below zero within 20 steps
    rc, out, err = run_main(["train", "--model", "mlp", "--epochs", "1", "--optimizer", "sgd",
                             "--lr", "5", "--monitor", "--no-plot", "--out", str(tmp_path)],
                            capsys)
    assert rc == 0, err
    lines = out.splitlines()
    epoch = next(i for i, ln in enumerate(lines) if ln.startswith("epoch 1/1"))
    assert lines[epoch + 1] == ("monitor: dead ReLU units at layers.2 (ReLU): 100% of its "
                                "units are zero for the whole batch (threshold 50%, step 20)")
    assert lines[epoch + 2].startswith("monitor: vanishing gradients at layers.1 (Linear): its "
                                       "gradient is exactly zero (the last layer layers.4 "
                                       "has gradient RMS ")
    assert "monitor: 3 sampled steps of 41 (every 20), 2 warnings\n" in out
    assert "DiagnosisWarning" not in err  # printed as lines, not as Python warnings


def test_without_the_flag_nothing_changes(tmp_path, capsys):
    rc, out, _ = run_main(["train", "--model", "mlp", "--epochs", "1", "--no-plot", "--out",
                           str(tmp_path)], capsys)
    assert rc == 0 and "monitor" not in out
    assert not any(f.startswith("monitor") for f in os.listdir(tmp_path))
