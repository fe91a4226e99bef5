"""Bad invocations of every ``gradlab`` sub-command: each exits with status 2 and prints ONE line
on stderr, ``gradlab <cmd>: error: <argument>...``, that names the argument, never a traceback.

The table covers values out of range, paths (an output that is a file, a folder, unwritable, in
a missing folder, already there), and checkpoints that are missing, not checkpoints, truncated,
foreign or tampered with. Rows run in this process through ``gradlab.cli.main``; two run
``python -m gradlab`` for real."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from clitools import run_main

import gradlab
from gradlab.cli import main
from gradlab.train import load_checkpoint, save_checkpoint

ROOT = Path(__file__).resolve().parents[1]
#: a folder nobody may create files in, root included (sysfs)
UNWRITABLE = "/sys/gradlab-no-write"


def _rewrite_config(src: Path, dst: Path, change) -> None:
    """Copy the training checkpoint ``src`` to ``dst`` with its ``gradlab train`` settings
    passed through ``change(cfg)`` (edited in the file's JSON, as a hand-edited file would be)."""
    raw = src.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    state = json.loads(header["__metadata__"]["gradlab.train"])
    change(state["extra"]["gradlab_train"])
    header["__metadata__"]["gradlab.train"] = json.dumps(state)
    head = json.dumps(header).encode()
    dst.write_bytes(len(head).to_bytes(8, "little") + head + raw[8 + n:])


@pytest.fixture(scope="module")
def paths(tmp_path_factory) -> dict[str, str]:
    """The files the rows refer to: a real run of ``gradlab train`` (mlp, 1 epoch) and
    damaged or foreign files next to it."""
    d = tmp_path_factory.mktemp("clierr")
    run = d / "run"
    assert main(["train", "--model", "mlp", "--epochs", "1", "--no-plot", "--out",
                 str(run)]) == 0
    ckpt = run / "last.safetensors"
    (d / "plain.txt").write_text("not a checkpoint\n")
    (d / "empty.safetensors").write_bytes(b"")
    (d / "garbage.safetensors").write_bytes(os.urandom(64) * 40)
    raw = ckpt.read_bytes()
    (d / "truncated.safetensors").write_bytes(raw[:len(raw) // 2])
    (d / "badheader.safetensors").write_bytes((10 ** 9).to_bytes(8, "little") + raw[8:200])
    gradlab.save({"w": gradlab.ones(2)}, d / "weights.safetensors")
    save_checkpoint(d / "foreign.safetensors", model=gradlab.nn.Linear(2, 2))
    (d / "emptydir").mkdir()

    def setter(key, value):
        def change(cfg):
            cfg[key] = value
        return change

    def dropper(key):
        return lambda cfg: cfg.pop(key)

    tampered = {"t_model": setter("model", "nonet"), "t_data": setter("data", "cifar99"),
                "t_lr": setter("lr", -1.0), "t_threads": setter("threads", 0),
                "t_valfrac": setter("val_fraction", "a tenth"), "t_nodata": dropper("data"),
                "t_seed": setter("seed", -5), "t_batch": setter("batch_size", 0),
                "t_arch": setter("model", "lenet5")}  # LeNet-5 settings over MLP weights
    for name, change in tampered.items():
        _rewrite_config(ckpt, d / f"{name}.safetensors", change)
    # the settings of the run, the weights of another MLP
    cfg = load_checkpoint(ckpt)["extra"]["gradlab_train"]
    save_checkpoint(d / "t_shapes.safetensors", model=gradlab.models.MLP([64, 7, 10]),
                    extra={"gradlab_train": cfg})
    (d / "out.safetensors").write_bytes(b"keep me")
    (d / "out.onnx").write_bytes(b"keep me")
    (run / "last-pruned50.safetensors").write_bytes(b"keep me")
    other = d / "other-run"
    other.mkdir()
    (other / "metrics.json").write_text("{}")
    return {"run": str(run), "ckpt": str(ckpt), "d": str(d), "other": str(other),
            "file": str(d / "plain.txt"), "missing": str(d / "missing"),
            "ro": UNWRITABLE, **{k: str(d / f"{k}.safetensors") for k in (
                "empty", "garbage", "truncated", "badheader", "weights", "foreign",
                "t_shapes", *tampered)}}


T = "train"
C = "compress"
E = "export"
# (argv, the argument the line must name); {name} is replaced by paths[name]
ROWS = [
    # ------------------------------------------------------------------ train: values
    ([T, "--lr", "0"], "--lr"),
    ([T, "--lr", "-1"], "--lr"),
    ([T, "--lr", "inf"], "--lr"),
    ([T, "--lr", "nan"], "--lr"),
    ([T, "--lr", "fast"], "--lr"),
    ([T, "--epochs", "0"], "--epochs"),
    ([T, "--epochs", "-3"], "--epochs"),
    ([T, "--epochs", "1.5"], "--epochs"),
    ([T, "--batch-size", "0"], "--batch-size"),
    ([T, "--batch-size", "-8"], "--batch-size"),
    ([T, "--threads", "0"], "--threads"),
    ([T, "--threads", "-2"], "--threads"),
    ([T, "--val-fraction", "1"], "--val-fraction"),
    ([T, "--val-fraction", "-0.1"], "--val-fraction"),
    ([T, "--val-fraction", "nan"], "--val-fraction"),
    ([T, "--momentum", "-1"], "--momentum"),
    ([T, "--momentum", "nan"], "--momentum"),
    ([T, "--momentum", "inf"], "--momentum"),
    ([T, "--weight-decay", "-1"], "--weight-decay"),
    ([T, "--weight-decay", "inf"], "--weight-decay"),
    ([T, "--target", "2"], "--target"),
    ([T, "--target", "nan"], "--target"),
    ([T, "--seed", "-1"], "--seed"),
    ([T, "--seed", str(2 ** 64)], "--seed"),
    ([T, "--seed", "one"], "--seed"),
    ([T, "--model", "nonet"], "--model"),
    ([T, "--optimizer", "lbfgs"], "--optimizer"),
    ([T, "--scheduler", "plateau", "--val-fraction", "0"], "--scheduler"),
    ([T, "--data", "mnist"], "--data"),
    ([T, "--data", "mnist", "--data-dir", "{file}"], "--data-dir"),
    ([T, "--data", "mnist", "--data-dir", "{missing}"], "--data-dir"),
    ([T, "--data-dir", "{d}"], "--data-dir"),
    ([T, "--bogus"], "--bogus"),
    # ------------------------------------------------------------------ train: paths
    ([T, "--out", "{file}"], "--out"),
    ([T, "--out", "{file}/run"], "--out"),
    ([T, "--out", "{ro}"], "--out"),
    ([T, "--out", "{run}"], "--out"),
    ([T, "--out", "{other}"], "--out"),
    ([T, "--resume", "{missing}"], "--resume"),
    ([T, "--resume", "{d}/emptydir"], "--resume"),
    ([T, "--resume", "{file}"], "--resume"),
    ([T, "--resume", "{empty}"], "--resume"),
    ([T, "--resume", "{garbage}"], "--resume"),
    ([T, "--resume", "{truncated}"], "--resume"),
    ([T, "--resume", "{badheader}"], "--resume"),
    ([T, "--resume", "{weights}"], "--resume"),
    ([T, "--resume", "{foreign}"], "--resume"),
    ([T, "--resume", "{t_model}"], "--resume"),
    ([T, "--resume", "{t_data}"], "--resume"),
    ([T, "--resume", "{t_lr}"], "--resume"),
    ([T, "--resume", "{t_threads}"], "--resume"),
    ([T, "--resume", "{t_valfrac}"], "--resume"),
    ([T, "--resume", "{t_nodata}"], "--resume"),
    ([T, "--resume", "{t_seed}"], "--resume"),
    ([T, "--resume", "{t_batch}"], "--resume"),
    ([T, "--resume", "{t_arch}"], "--resume"),
    ([T, "--resume", "{t_shapes}"], "--resume"),
    ([T, "--resume", "{ckpt}", "--lr", "5"], "--lr"),
    ([T, "--resume", "{ckpt}", "--out", "{file}"], "--out"),
    ([T, "--resume", "{ckpt}", "--out", "{other}"], "--out"),
    # ------------------------------------------------------------------ demo, info
    (["demo", "--steps", "0"], "--steps"),
    (["demo", "--lr", "0"], "--lr"),
    (["demo", "--lr", "inf"], "--lr"),
    (["demo", "--lr", "nan"], "--lr"),
    (["demo", "--hidden", "0"], "--hidden"),
    (["demo", "--n", "0"], "--n"),
    (["demo", "--n", "3"], "--n"),
    (["demo", "--noise", "-1"], "--noise"),
    (["demo", "--noise", "nan"], "--noise"),
    (["demo", "--seed", "-1"], "--seed"),
    (["demo", "--target", "1.5"], "--target"),
    (["demo", "--target", "nan"], "--target"),
    (["info", "extra"], "extra"),
    # ------------------------------------------------------------------ ask
    (["ask", "--limit", "0", "relu"], "--limit"),
    (["ask", "--limit", "-1", "relu"], "--limit"),
    (["ask"], "WORD"),
    (["ask", "--html", "{file}/index.html"], "--html"),
    (["ask", "--html", "{missing}/index.html"], "--html"),
    (["ask", "--html", "{d}/emptydir"], "--html"),
    (["ask", "--html", "{ro}/index.html"], "--html"),
    # ------------------------------------------------------------------ lab
    (["lab", "--seed", "-1"], "--seed"),
    (["lab", "--threads", "0"], "--threads"),
    (["lab", "--jitter", "0.5"], "--jitter"),
    (["lab", "--jitter", "nan"], "--jitter"),
    (["lab", "--out", "{file}"], "--out"),
    (["lab", "--out", "{ro}"], "--out"),
    (["lab", "--out", "{d}/lab", "run", "e99_nothing"], "ID"),
    (["lab", "--question", "Q-none"], "--question"),
    (["lab", "--seeds", "1,1"], "--seeds"),
    (["lab", "--seeds", "a,b"], "--seeds"),
    (["lab", "--seed", "1", "--seeds", "0,1"], "--seed"),
    (["lab", "--question", "x", "list"], "--question"),
    # ------------------------------------------------------------------ summary, rf
    (["summary", "lenet5", "--input", "0"], "--input"),
    (["summary", "lenet5", "--input", "1", "8"], "--input"),
    (["summary", "nonet", "--input", "1"], "MODEL"),
    (["summary", "lenet5", "--input", "1", "28", "28", "--depth", "-1"], "--depth"),
    (["summary", "lenet5", "--input", "1", "28", "28", "--batch", "0"], "--batch"),
    (["summary", "lenet5", "--input", "1", "28", "28", "--classes", "0"], "--classes"),
    (["summary", "charlm", "--input", "3", "32", "32"], "--input"),
    (["summary", "lenet5", "--input", "1", "28", "30"], "--input"),
    (["summary", "lenet5", "--input", "1", "2", "2"], "--input"),
    (["summary", "alexnet", "--input", "1", "224", "224"], "--input"),
    (["rf", "mlp", "--input", "28"], "MODEL"),
    (["rf", "lenet5", "--input", "1", "2", "3"], "--input"),
    (["rf", "lenet5", "--input", "2"], "--input"),
    (["rf", "lenet5", "--input", "0"], "--input"),
    # ------------------------------------------------------------------ compress
    ([C, "{run}", "--prune", "0"], "--prune"),
    ([C, "{run}", "--prune", "1"], "--prune"),
    ([C, "{run}", "--prune", "nan"], "--prune"),
    ([C, "{run}", "--lowrank", "0"], "--lowrank"),
    ([C, "{run}", "--lowrank", "1.5"], "--lowrank"),
    ([C, "{run}", "--lowrank", "inf"], "--lowrank"),
    ([C, "{run}", "--prune", "0.5", "--finetune", "-1"], "--finetune"),
    ([C, "{run}", "--quantize", "int8", "--calibration", "0"], "--calibration"),
    ([C, "{run}", "--quantize", "int8", "--finetune", "1"], "--finetune"),
    ([C, "{run}"], "--prune"),
    ([C, "{missing}", "--prune", "0.5"], "CHECKPOINT"),
    ([C, "{d}/emptydir", "--prune", "0.5"], "CHECKPOINT"),
    ([C, "{file}", "--prune", "0.5"], "CHECKPOINT"),
    ([C, "{empty}", "--prune", "0.5"], "CHECKPOINT"),
    ([C, "{garbage}", "--prune", "0.5"], "CHECKPOINT"),
    ([C, "{truncated}", "--prune", "0.5"], "CHECKPOINT"),
    ([C, "{badheader}", "--prune", "0.5"], "CHECKPOINT"),
    ([C, "{weights}", "--prune", "0.5"], "CHECKPOINT"),
    ([C, "{foreign}", "--prune", "0.5"], "CHECKPOINT"),
    ([C, "{t_model}", "--prune", "0.5"], "CHECKPOINT"),
    ([C, "{t_data}", "--prune", "0.5"], "CHECKPOINT"),
    ([C, "{t_valfrac}", "--prune", "0.5"], "CHECKPOINT"),
    ([C, "{t_nodata}", "--prune", "0.5"], "CHECKPOINT"),
    ([C, "{t_arch}", "--prune", "0.5"], "CHECKPOINT"),
    ([C, "{t_shapes}", "--prune", "0.5"], "CHECKPOINT"),
    ([C, "{ckpt}", "--prune", "0.5", "--out", "{d}/out.safetensors"], "--out"),
    ([C, "{ckpt}", "--prune", "0.5"], "--out"),  # the default output is already there
    ([C, "{ckpt}", "--prune", "0.5", "--out", "{d}/emptydir"], "--out"),
    ([C, "{ckpt}", "--prune", "0.5", "--out", "{missing}/c.safetensors"], "--out"),
    ([C, "{ckpt}", "--prune", "0.5", "--out", "{file}/c.safetensors"], "--out"),
    ([C, "{ckpt}", "--prune", "0.5", "--out", "{ro}/c.safetensors"], "--out"),
    ([C, "{ckpt}", "--prune", "0.5", "--out", "{ckpt}", "--overwrite"], "--out"),
    # ------------------------------------------------------------------ export
    ([E, "{ckpt}"], "--onnx"),
    ([E, "{ckpt}", "--onnx", "{d}/x.onnx", "--opset", "16"], "--opset"),
    ([E, "{ckpt}", "--onnx", "{d}/x.onnx", "--opset", "22"], "--opset"),
    ([E, "{missing}", "--onnx", "{d}/x.onnx"], "CHECKPOINT"),
    ([E, "{d}/emptydir", "--onnx", "{d}/x.onnx"], "CHECKPOINT"),
    ([E, "{file}", "--onnx", "{d}/x.onnx"], "CHECKPOINT"),
    ([E, "{garbage}", "--onnx", "{d}/x.onnx"], "CHECKPOINT"),
    ([E, "{truncated}", "--onnx", "{d}/x.onnx"], "CHECKPOINT"),
    ([E, "{weights}", "--onnx", "{d}/x.onnx"], "CHECKPOINT"),
    ([E, "{foreign}", "--onnx", "{d}/x.onnx"], "CHECKPOINT"),
    ([E, "{t_model}", "--onnx", "{d}/x.onnx"], "CHECKPOINT"),
    ([E, "{t_nodata}", "--onnx", "{d}/x.onnx"], "CHECKPOINT"),
    ([E, "{t_arch}", "--onnx", "{d}/x.onnx"], "CHECKPOINT"),
    ([E, "{t_shapes}", "--onnx", "{d}/x.onnx"], "CHECKPOINT"),
    ([E, "{ckpt}", "--onnx", "{d}/out.onnx"], "--onnx"),
    ([E, "{ckpt}", "--onnx", "{d}/emptydir"], "--onnx"),
    ([E, "{ckpt}", "--onnx", "{missing}/x.onnx"], "--onnx"),
    ([E, "{ckpt}", "--onnx", "{file}/x.onnx"], "--onnx"),
    ([E, "{ckpt}", "--onnx", "{ro}/x.onnx"], "--onnx"),
    # ------------------------------------------------------------------ the command itself
    (["nonsense"], "command"),
]


def _argv(row: list[str], paths: dict[str, str]) -> list[str]:
    return [a.format(**paths) for a in row]


def test_the_table_covers_every_sub_command():
    from gradlab.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert {r[0][0] for r in ROWS} >= set(sub.choices)
    assert len(ROWS) >= 80


@pytest.mark.parametrize("row,argument", ROWS, ids=[" ".join(r) for r, _ in ROWS])
def test_bad_invocation_exits_2_with_one_line(row, argument, paths, capsys):
    rc, out, err = run_main(_argv(row, paths), capsys)
    cmd = "gradlab" if row[0] == "nonsense" else f"gradlab {row[0]}"
    assert rc == 2, (out, err)
    lines = err.splitlines()
    assert len(lines) == 1 and err.endswith("\n"), err
    prefix = f"{cmd}: error: "
    assert lines[0].startswith(prefix), err
    rest = lines[0][len(prefix):]
    assert rest.startswith((argument, f"argument {argument}", "unrecognized arguments: "
                            f"{argument}", f"the following arguments are required: {argument}",
                            f"one of the arguments {argument}")), err


def test_nothing_was_overwritten_or_left_behind(paths, capsys):
    for row, _ in ROWS:
        if any(a in row for a in ("--out", "--onnx", "--html")) or row[0] in ("compress",
                                                                             "export"):
            run_main(_argv(row, paths), capsys)
    d = Path(paths["d"])
    for name in ("out.safetensors", "out.onnx", "run/last-pruned50.safetensors"):
        assert (d / name).read_bytes() == b"keep me"
    assert not (d / "x.onnx").exists()
    assert not list((d / "emptydir").iterdir())
    assert json.loads((Path(paths["other"]) / "metrics.json").read_text()) == {}
    ckpt = load_checkpoint(paths["ckpt"])
    assert ckpt["epoch"] == 1  # neither trained further nor replaced


@pytest.mark.parametrize("argv,argument", [
    (["train", "--lr", "inf", "--model", "mlp"], "--lr"),
    (["compress", "{garbage}", "--prune", "0.5"], "CHECKPOINT"),
])
def test_no_traceback_from_the_real_command(argv, argument, paths):
    p = subprocess.run([sys.executable, "-m", "gradlab", *_argv(argv, paths)],
                       capture_output=True, text=True, cwd=ROOT,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert p.returncode == 2 and p.stdout == ""
    assert "Traceback" not in p.stderr
    assert p.stderr.count("\n") == 1
    assert p.stderr.startswith(f"gradlab {argv[0]}: error: {argument}")


def test_an_internal_error_still_shows_its_traceback(monkeypatch, capsys):
    """Only a user's mistake becomes one line: a bug in gradlab's own code is not hidden."""
    from gradlab.cli import demo

    def broken(*args, **kwargs):
        raise KeyError("an internal bug")

    monkeypatch.setattr(demo, "two_spirals", broken)
    with pytest.raises(KeyError, match="an internal bug"):
        main(["demo", "--steps", "1"])

    def missing_internal_file(*args, **kwargs):
        raise FileNotFoundError(2, "No such file or directory", "/gradlab/internal/table.bin")

    monkeypatch.setattr(demo, "two_spirals", missing_internal_file)
    with pytest.raises(FileNotFoundError):
        main(["demo", "--steps", "1"])


# ----------------------------------------------------------------------------- overwriting


def _train(argv, capsys):
    return run_main(["train", "--model", "mlp", "--epochs", "1", "--no-plot", *argv], capsys)


def test_train_refuses_a_folder_with_a_run_unless_overwrite(tmp_path, capsys):
    run = tmp_path / "run"
    assert _train(["--out", str(run), "--seed", "3"], capsys)[0] == 0
    first = (run / "last.safetensors").read_bytes()
    rc, out, err = _train(["--out", str(run)], capsys)
    assert rc == 2 and out == ""
    assert err == (f"gradlab train: error: --out {run}: holds a run already; pass --resume "
                   f"{run / 'last.safetensors'} to continue it, --overwrite to replace it, or "
                   "another --out\n")
    assert (run / "last.safetensors").read_bytes() == first
    (run / "curves.png").write_bytes(b"old")
    # replaced: no file of the old run survives (a run without validation writes no best)
    rc, out, err = _train(["--out", str(run), "--overwrite", "--val-fraction", "0"], capsys)
    assert rc == 0, err
    assert sorted(os.listdir(run)) == ["history.csv", "last.safetensors", "metrics.json"]
    assert load_checkpoint(run / "last.safetensors")["extra"]["gradlab_train"]["seed"] == 0
    # a resumed run continues in its own folder without --overwrite
    rc, out, err = run_main(["train", "--resume", str(run), "--no-plot"], capsys)
    assert rc == 0, err
    assert f"resuming from {run / 'last.safetensors'}" in out


def test_train_without_out_takes_the_next_free_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for expected in ("mlp-digits", "mlp-digits-2", "mlp-digits-3"):
        rc, out, err = _train([], capsys)
        assert rc == 0, err
        assert f"writing to {os.path.join('runs', expected)}\n" in out
    assert sorted(os.listdir("runs")) == ["mlp-digits", "mlp-digits-2", "mlp-digits-3"]
    rc, out, err = _train(["--overwrite"], capsys)  # replaces runs/mlp-digits itself
    assert rc == 0 and f"writing to {os.path.join('runs', 'mlp-digits')}\n" in out


def test_compress_and_export_replace_only_with_overwrite(paths, tmp_path, capsys):
    target = tmp_path / "pruned.safetensors"
    target.write_bytes(b"old")
    argv = ["compress", paths["ckpt"], "--prune", "0.5", "--out", str(target)]
    rc, _, err = run_main(argv, capsys)
    assert rc == 2 and err == (f"gradlab compress: error: --out {target}: the file exists; pass "
                               "--overwrite to replace it\n")
    assert target.read_bytes() == b"old"
    rc, out, err = run_main(argv + ["--overwrite"], capsys)
    assert rc == 0, err
    assert target.read_bytes() != b"old" and out.endswith(f"wrote {target}\n")

    onnx = tmp_path / "m.onnx"
    onnx.write_bytes(b"old")
    argv = ["export", paths["ckpt"], "--onnx", str(onnx)]
    rc, _, err = run_main(argv, capsys)
    assert rc == 2 and err == (f"gradlab export: error: --onnx {onnx}: the file exists; pass "
                               "--overwrite to replace it\n")
    rc, out, err = run_main(argv + ["--overwrite"], capsys)
    assert rc == 0, err
    assert onnx.read_bytes()[:4] != b"old" and onnx.stat().st_size > 1000
