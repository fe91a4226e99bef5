"""`gradlab train`: short runs write their files; --resume continues an interrupted run bit for
bit; a target decides the exit status; bad arguments exit 2 with one line, never a traceback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from clitools import run_main

import gradlab
from gradlab.datasets import write_idx
from gradlab.train import ProgressBar, load_checkpoint

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "gradlab.cli"]




def test_short_run_writes_checkpoint_metrics_csv_and_curves(tmp_path, capsys):
    out_dir = tmp_path / "run"
    rc, out, err = run_main(["train", "--model", "mlp", "--epochs", "3", "--out", str(out_dir)],
                            capsys)
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0] == ("gradlab train: mlp on digits (1,294 train / 144 validation / 359 test "
                        "images, 1x8x8), seed 0, 1 BLAS thread")
    assert [ln.split("  ")[0] for ln in lines if ln.startswith("epoch")] == [
        "epoch 1/3", "epoch 2/3", "epoch 3/3"]
    assert "target: none set for this run" in out  # 3 epochs is not the measured recipe
    assert sorted(os.listdir(out_dir)) == ["best.safetensors", "curves.png", "history.csv",
                                           "last.safetensors", "metrics.json"]
    metrics = json.loads((out_dir / "metrics.json").read_text())
    assert metrics["model"] == "mlp" and metrics["epochs_run"] == 3
    assert metrics["config"]["epochs"] == 3 and metrics["config"]["lr"] == 3e-3
    assert len(metrics["history"]) == 3 and metrics["reached"] is None
    acc = metrics["test"]["accuracy"]
    assert f"test accuracy {acc:.2%}" in out and acc > 0.85
    cm = np.array(metrics["test"]["confusion_matrix"])
    assert cm.shape == (10, 10) and cm.sum() == 359 and np.trace(cm) / 359 == acc
    assert len((out_dir / "history.csv").read_text().splitlines()) == 1 + 3
    assert (out_dir / "curves.png").read_bytes()[:4] == b"\x89PNG"
    ckpt = load_checkpoint(out_dir / "last.safetensors")
    assert ckpt["epoch"] == 3 and ckpt["extra"]["gradlab_train"]["model"] == "mlp"


def test_default_model_runs_with_augmentation(tmp_path, capsys):
    before = gradlab.get_num_threads()
    rc, out, err = run_main(["train", "--epochs", "1", "--no-plot", "--threads", "2", "--out",
                             str(tmp_path)], capsys)
    assert rc == 0, err
    assert "seed 0, 2 BLAS threads" in out
    assert gradlab.get_num_threads() == before  # set for the run only
    assert "lenet5 on digits" in out and "1x28x28" in out
    assert "LeNet5: 61,706 parameters; adam lr=0.002, cosine schedule, batch 32, 1 epochs, " \
           "random 2-pixel shifts" in out
    assert "curves.png" not in os.listdir(tmp_path)


def test_missed_target_exits_1(tmp_path, capsys):
    rc, out, _ = run_main(["train", "--model", "mlp", "--epochs", "1", "--target", "0.999",
                           "--out", str(tmp_path), "--no-plot"], capsys)
    assert rc == 1 and "target: test accuracy >= 100%: MISSED" in out


def test_interrupted_run_resumes_bit_identical(tmp_path, capsys, monkeypatch):
    args = ["train", "--model", "mlp", "--epochs", "4", "--no-plot"]
    rc, _, err = run_main(args + ["--out", str(tmp_path / "straight")], capsys)
    assert rc == 0, err

    def interrupt(self, trainer, batch_idx, logs):
        if trainer.epoch == 2 and batch_idx == 9:  # in epoch 3
            raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(ProgressBar, "on_batch_end", interrupt)
        rc, out, err = run_main(args + ["--out", str(tmp_path / "cut")], capsys)
    last = tmp_path / "cut" / "last.safetensors"
    assert rc == 130
    assert err.strip() == f"interrupted; resume with: gradlab train --resume {last}"
    assert load_checkpoint(last)["epoch"] == 2
    gradlab.manual_seed(12345)  # the checkpoint must restore the streams
    rc, out, err = run_main(["train", "--resume", str(tmp_path / "cut"), "--no-plot"], capsys)
    assert rc == 0, err
    assert f"resuming from {last}" in out and "epoch 3/4" in out and "epoch 1/4" not in out
    a = load_checkpoint(tmp_path / "straight" / "last.safetensors")
    b = load_checkpoint(last)
    for k in a["model"]:
        assert np.array_equal(a["model"][k].array, b["model"][k].array), k
    ma = json.loads((tmp_path / "straight" / "metrics.json").read_text())
    mb = json.loads((tmp_path / "cut" / "metrics.json").read_text())
    assert ma["test"] == mb["test"]
    # a resumed run keeps its settings
    rc, _, err = run_main(["train", "--resume", str(last), "--lr", "0.5"], capsys)
    assert rc == 2
    assert err == ("gradlab train: error: --lr 0.5 differs from the checkpoint's 0.003; a "
                   "resumed run keeps its settings\n")


def test_sigint_stops_cleanly_with_a_resume_hint(tmp_path):
    out_dir = tmp_path / "run"
    # Ctrl-C at a terminal: Python's KeyboardInterrupt handler, installed explicitly because a
    # process started in the background inherits SIGINT ignored and Python then keeps it so
    ctrl_c = ("import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler);"
              " sys.argv[0] = 'gradlab'; runpy.run_module('gradlab.cli', run_name='__main__')")
    proc = subprocess.Popen([sys.executable, "-c", ctrl_c, "train", "--model", "mlp", "--epochs",
                             "500", "--no-plot", "--out", str(out_dir)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    last = out_dir / "last.safetensors"
    deadline = time.monotonic() + 120
    while not last.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == (f"interrupted; resume with: gradlab train --resume "
                                            f"{last}")
    assert "Traceback" not in err
    assert load_checkpoint(last)["epoch"] >= 1


def _fake_mnist(root: Path, n_train=192, n_test=64):
    """IDX files in MNIST's layout: each class a bright bar at its own row."""
    rng = np.random.default_rng(0)
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for split, n in (("train", n_train), ("t10k", n_test)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = rng.integers(0, 60, (n, 28, 28)).astype(np.uint8)
        for i, c in enumerate(labels):
            images[i, 2 + 2 * c:4 + 2 * c, 4:24] = 255
        write_idx(raw / f"{split}-images-idx3-ubyte.gz", images)
        write_idx(raw / f"{split}-labels-idx1-ubyte.gz", labels)


@pytest.mark.parametrize("model", ["lenet5", "vgg"])
def test_mnist_family_from_idx_files(tmp_path, capsys, model):
    _fake_mnist(tmp_path / "data")
    rc, out, err = run_main(["train", "--data", "mnist", "--data-dir", str(tmp_path / "data"),
                             "--model", model, "--epochs", "1", "--batch-size", "32",
                             "--no-plot", "--out", str(tmp_path / "run")], capsys)
    assert rc == 0, err
    assert f"{model} on mnist (173 train / 19 validation / 64 test images, 1x28x28)" in out
    assert "target: none set" in out
    assert load_checkpoint(tmp_path / "run" / "last.safetensors")["epoch"] == 1
    if model == "lenet5":  # a resumed run finds its data without --data-dir
        rc, out, err = run_main(["train", "--resume", str(tmp_path / "run"), "--epochs", "1",
                                 "--no-plot"], capsys)
        assert rc == 0, err
        assert "resuming from" in out and "epoch 1/1" not in out  # nothing left to train


ERRORS = [
    (["--epochs", "many"], "argument --epochs: invalid int value: 'many'"),
    (["--lr", "-0.1"], "--lr: must be a finite number > 0, got -0.1"),
    (["--lr", "nan"], "--lr: must be a finite number > 0, got nan"),
    (["--epochs", "0"], "--epochs: must be an integer >= 1, got 0"),
    (["--batch-size", "0"], "--batch-size: must be an integer >= 1, got 0"),
    (["--val-fraction", "1"], "--val-fraction: must be a finite number in [0, 1), got 1.0"),
    (["--target", "97"], "--target: must be a finite number in [0, 1], got 97.0"),
    (["--momentum", "-1"], "--momentum: must be a finite number >= 0, got -1.0"),
    (["--threads", "0"], "--threads: must be an integer >= 1, got 0"),
    (["--scheduler", "plateau", "--val-fraction", "0"],
     "--scheduler plateau needs a validation split (--val-fraction > 0)"),
    (["--data", "mnist"], "--data mnist needs --data-dir DIR (the folder that holds or will "
     "hold the IDX files; add --download to fetch them)"),
    (["--data", "kmnist", "--data-dir", "/nonexistent/gradlab-data"],
     "--data-dir /nonexistent/gradlab-data does not exist (add --download to fetch the data "
     "set into it)"),
    (["--data-dir", "/tmp"], "--data-dir: --data digits ships with gradlab: --data-dir and "
     "--download do not apply"),
    (["--resume", "/nonexistent/last.safetensors"],
     "--resume: no checkpoint at /nonexistent/last.safetensors"),
]


@pytest.mark.parametrize("argv,message", ERRORS, ids=[" ".join(a) for a, _ in ERRORS])
def test_bad_arguments_exit_2_with_one_line(argv, message, capsys):
    rc, out, err = run_main(["train", *argv], capsys)
    assert rc == 2 and out == ""
    assert err == f"gradlab train: error: {message}\n"


def test_unknown_names_exit_2_with_one_line(capsys):
    for flag, bad in (("--model", "alexnet"), ("--data", "cifar10"), ("--optimizer", "lbfgs"),
                      ("--scheduler", "cyclic")):
        rc, out, err = run_main(["train", flag, bad], capsys)
        assert rc == 2 and out == "" and err.count("\n") == 1
        # argparse quotes the choices or not depending on the Python version
        assert err.startswith(f"gradlab train: error: argument {flag}: invalid choice: "
                              f"'{bad}' (choose from ")


def test_missing_data_files_and_foreign_checkpoints_exit_2(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    rc, _, err = run_main(["train", "--data", "fashion-mnist", "--data-dir",
                           str(tmp_path / "empty")], capsys)
    assert rc == 2 and err.count("\n") == 1
    assert err.startswith(f"gradlab train: error: --data-dir {tmp_path / 'empty'}: Dataset not "
                          "found. FashionMNIST looked for "
                          "train-images-idx3-ubyte[.gz]")
    weights = tmp_path / "weights.safetensors"
    gradlab.save({"w": gradlab.ones(2)}, weights)
    rc, _, err = run_main(["train", "--resume", str(weights)], capsys)
    assert rc == 2 and err.count("\n") == 1
    assert "--resume: " in err and "not a gradlab training checkpoint" in err


def test_errors_from_the_command_line_have_no_traceback():
    p = subprocess.run(CLI + ["train", "--lr", "-1"], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr == "gradlab train: error: --lr: must be a finite number > 0, got -1.0\n"
    p = subprocess.run(CLI + ["train", "--model", "nope"], capture_output=True, text=True,
                       cwd=ROOT)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "invalid choice" in p.stderr
