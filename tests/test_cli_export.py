"""`gradlab export CHECKPOINT --onnx out.onnx` on a tiny `gradlab train` run: the file is
written and checked, onnxruntime and gradlab agree on the test set, the accuracy printed is the
one the training run measured; bad arguments exit 2 with one line."""

from __future__ import annotations

import json
import re

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from clitools import run_main

import gradlab
from gradlab.cli import main
from gradlab.datasets import Digits
from gradlab.train import save_checkpoint


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("exp") / "run"
    rc = main(["train", "--model", "mlp", "--epochs", "2", "--out", str(out), "--no-plot"])
    assert rc == 0
    return out


def test_export_prints_size_difference_and_both_accuracies(run_dir, tmp_path, capsys):
    path = tmp_path / "mlp.onnx"
    rc, out, err = run_main(["export", str(run_dir / "last.safetensors"), "--onnx", str(path)],
                            capsys)
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0] == (f"gradlab export: mlp trained on digits (38,410 parameters, epoch 2) "
                        f"from {run_dir / 'last.safetensors'}")
    size = path.stat().st_size
    assert lines[1] == (f"wrote {path}: {size / 1024:.1f} KiB ({size:,} bytes), ONNX opset 17, "
                        "input [1, 8, 8] with a dynamic batch axis")
    m = re.fullmatch(r"test set, 359 images: max \|onnxruntime - gradlab\| = (\S+) on the logits"
                     r" \(largest \|logit\| \S+\); predictions agree on 359/359", lines[2])
    assert m and float(m.group(1)) < 1e-4
    acc = json.loads((run_dir / "metrics.json").read_text())["test"]["accuracy"]
    assert lines[3] == f"accuracy: gradlab {acc:.2%}, onnxruntime {acc:.2%}"
    assert len(lines) == 4

    # the file itself: checked, named initializers, and any batch size runs
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto)
    assert {t.name for t in proto.graph.initializer} == {
        "layers.1.weight/Transpose", "layers.1.bias", "layers.4.weight/Transpose", "layers.4.bias",
        "shape_1"}  # Flatten's target shape (0, 64): copies the batch size
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = Digits(train=False, size=8)[0][0].numpy()[None].repeat(3, 0)
    assert sess.run(None, {"input": x})[0].shape == (3, 10)


def test_bad_arguments_exit_2_with_one_line(run_dir, tmp_path, capsys):
    ckpt = str(run_dir / "best.safetensors")
    rc, out, err = run_main(["export", str(tmp_path / "none.safetensors"), "--onnx", "x.onnx"],
                            capsys)
    assert rc == 2 and err == (f"gradlab export: error: CHECKPOINT: no checkpoint at "
                               f"{tmp_path / 'none.safetensors'}\n")
    rc, out, err = run_main(["export", ckpt, "--onnx", "x.onnx", "--opset", "9"], capsys)
    assert rc == 2 and err == "gradlab export: error: --opset must be between 17 and 21, got 9\n"
    rc, out, err = run_main(["export", ckpt], capsys)
    assert rc == 2 and "the following arguments are required: --onnx" in err

    weights = tmp_path / "weights.safetensors"
    gradlab.save({"w": gradlab.ones(2)}, str(weights))
    rc, out, err = run_main(["export", str(weights), "--onnx", "x.onnx"], capsys)
    assert rc == 2 and err.startswith(f"gradlab export: error: CHECKPOINT: {weights}: not a "
                                      "gradlab training checkpoint") and len(err.splitlines()) == 1

    foreign = tmp_path / "foreign.safetensors"
    save_checkpoint(str(foreign), model=gradlab.nn.Linear(2, 2))
    rc, out, err = run_main(["export", str(foreign), "--onnx", "x.onnx"], capsys)
    assert rc == 2 and err == (f"gradlab export: error: CHECKPOINT: {foreign} was not written "
                               "by gradlab train: its model and data set cannot be rebuilt from "
                               "the checkpoint alone\n")

    rc, out, err = run_main(["export", ckpt, "--onnx", str(tmp_path / "no" / "dir" / "x.onnx")],
                            capsys)
    assert rc == 2 and err.startswith("gradlab export: error: --onnx ") and \
        len(err.splitlines()) == 1
    assert not np.any([p.suffix == ".onnx" for p in tmp_path.iterdir()])
