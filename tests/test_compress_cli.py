"""`gradlab compress` on a short `gradlab train` run: size and test accuracy before and after,
the compressed file loads back, bad arguments exit 2 with one line."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from clitools import run_main

import gradlab
from gradlab import compress
from gradlab.cli import main
from gradlab.train import evaluate, recipes
from gradlab.utils.data import DataLoader


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("compress") / "run"
    with gradlab.backend.num_threads(1):
        rc = main(["train", "--model", "mlp", "--epochs", "3", "--out", str(out), "--no-plot"])
    assert rc == 0
    return out


def _accuracies(out: str) -> tuple[float, float]:
    found = [float(a) / 100 for a in re.findall(r"test accuracy (\d+\.\d+)%", out)]
    assert len(found) == 2, out
    return found[0], found[1]


def _test_accuracy(model) -> float:
    splits = recipes.load_data("digits", "mlp", val_fraction=0.1)
    return evaluate(model, None, DataLoader(splits.test, batch_size=512), ["accuracy"])[
        "accuracy"]


def _rebuilt_accuracy(state) -> float:
    model = recipes.build_model("mlp", "digits")
    model.load_state_dict(state)
    return _test_accuracy(model)


def test_prune(run_dir, capsys):
    rc, out, err = run_main(["compress", str(run_dir), "--prune", "0.8"], capsys)
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0] == (f"gradlab compress: mlp on digits from {run_dir}/best.safetensors "
                        "(359 test images)")
    assert lines[1].startswith("before: float32, 38,410 parameters, ")
    assert lines[2] == ("prune: 80% of the Linear/Conv weights by global magnitude; 30,310 of "
                        "37,888 weights are zero")
    before, after = _accuracies(out)
    assert before > 0.85 and after > 0.5
    path = run_dir / "best-pruned80.safetensors"
    assert lines[-1] == f"wrote {path}"
    size = path.stat().st_size
    assert f"{size:,} bytes (" in lines[3] and size < 0.35 * 38410 * 4
    state = compress.dense_state_dict(gradlab.load(path))
    zeros = sum(int((state[k] == 0).sum()) for k in ("layers.1.weight", "layers.4.weight"))
    assert zeros == 30310
    assert _rebuilt_accuracy(state) == pytest.approx(after, abs=5e-5)
    assert _test_accuracy(compress.load_compressed(path)) == pytest.approx(after, abs=5e-5)


def test_prune_with_finetune_recovers(run_dir, capsys):
    rc, out, err = run_main(["compress", str(run_dir), "--prune", "0.9", "--out",
                             str(run_dir / "p90.safetensors")], capsys)
    assert rc == 0, err
    _, one_shot = _accuracies(out)
    rc, out, err = run_main(["compress", str(run_dir / "best.safetensors"), "--prune", "0.9",
                             "--finetune", "2", "--out", str(run_dir / "p90.safetensors")],
                            capsys)
    assert rc == 2 and err == (f"gradlab compress: error: --out {run_dir / 'p90.safetensors'}: "
                               "the file exists; pass --overwrite to replace it\n")
    rc, out, err = run_main(["compress", str(run_dir / "best.safetensors"), "--prune", "0.9",
                             "--finetune", "2", "--out", str(run_dir / "p90.safetensors"),
                             "--overwrite"], capsys)
    assert rc == 0, err
    assert "fine-tuned 2 epochs" in out
    _, tuned = _accuracies(out)
    assert tuned > one_shot + 0.1, (one_shot, tuned)


def test_quantize(run_dir, capsys):
    rc, out, err = run_main(["compress", str(run_dir), "--quantize", "int8"], capsys)
    assert rc == 0, err
    assert ("quantize: 2 Linear/Conv2d layers to int8 (per-channel weights, uint8 activations "
            "calibrated on 512 training images)") in out
    before, after = _accuracies(out)
    assert after >= before - 0.02
    state = gradlab.load(run_dir / "best-int8.safetensors")
    assert state["layers.1.weight"].numpy().dtype == np.int8
    assert state["layers.1.bias"].numpy().dtype == np.int32
    assert (run_dir / "best-int8.safetensors").stat().st_size < 0.3 * 38410 * 4
    loaded = compress.load_compressed(run_dir / "best-int8.safetensors")
    assert [type(m).__name__ for m in loaded.modules()].count("QuantizedLinear") == 2
    assert _test_accuracy(loaded) == pytest.approx(after, abs=5e-5)


def test_lowrank(run_dir, capsys):
    rc, out, err = run_main(["compress", str(run_dir), "--lowrank", "0.5"], capsys)
    assert rc == 0, err
    m = re.search(r"factorized layers.1 r=(\d+)", out)
    assert m and int(m.group(1)) < 64
    n = int(re.search(r"after:  ([\d,]+) parameters", out).group(1).replace(",", ""))
    assert n < 38410
    state = gradlab.load(run_dir / "best-lowrank50.safetensors")
    assert state["layers.1.0.weight"].shape == (int(m.group(1)), 64)
    _, after = _accuracies(out)
    loaded = compress.load_compressed(run_dir / "best-lowrank50.safetensors")
    assert sum(p.numel() for p in loaded.parameters()) == n
    assert _test_accuracy(loaded) == pytest.approx(after, abs=5e-5)


def test_load_compressed_refuses_other_files(run_dir, tmp_path):
    with pytest.raises(ValueError, match="was not written by gradlab compress"):
        compress.load_compressed(run_dir / "best.safetensors")
    odd = tmp_path / "odd.safetensors"
    gradlab.save({"w": gradlab.ones(2)}, str(odd), metadata={"gradlab.compress": json.dumps(
        {"model": "mlp", "data": "digits", "method": "distill"})})
    with pytest.raises(ValueError, match="load_compressed: unknown method 'distill' in "):
        compress.load_compressed(odd)


@pytest.mark.parametrize("argv,message", [
    (["--prune", "1.5"], "--prune is the share of weights to zero, in (0, 1); got 1.5"),
    (["--lowrank", "0"], "--lowrank is the share of singular-value energy to keep, in (0, 1]; "
                         "got 0.0"),
    (["--quantize", "int8", "--finetune", "1"], "--finetune applies to --prune and --lowrank"),
])
def test_bad_arguments(run_dir, capsys, argv, message):
    rc, out, err = run_main(["compress", str(run_dir)] + argv, capsys)
    assert rc == 2 and out == ""
    assert err.startswith(f"gradlab compress: error: {message}")
    assert len(err.splitlines()) == 1


def test_bad_checkpoints(tmp_path, capsys):
    rc, _, err = run_main(["compress", str(tmp_path / "nope"), "--prune", "0.5"], capsys)
    assert rc == 2 and err == (f"gradlab compress: error: CHECKPOINT: no checkpoint at "
                               f"{tmp_path}/nope\n")
    plain = tmp_path / "w.safetensors"
    gradlab.save({"w": gradlab.zeros(2)}, plain)
    rc, _, err = run_main(["compress", str(plain), "--prune", "0.5"], capsys)
    assert rc == 2 and "not a gradlab training checkpoint" in err
    rc, _, err = run_main(["compress", str(plain)], capsys)
    assert rc == 2 and "one of the arguments --prune --quantize --lowrank is required" in err
