"""gradlab.utils.tensorboard.SummaryWriter against torch.utils.tensorboard.SummaryWriter: the
same calls write event files that tensorboard's EventAccumulator reads back with the same tags,
steps, wall times, scalar values, histogram buckets, images (pixels after decoding), text and
hyper-parameters."""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from tensorboard.backend.event_processing import event_accumulator as ea
from torch.utils.tensorboard import SummaryWriter as TorchWriter

import gradlab
from gradlab.utils.tensorboard import SummaryWriter

ROOT = Path(__file__).resolve().parents[1]
KEEP_ALL = {ea.SCALARS: 0, ea.HISTOGRAMS: 0, ea.IMAGES: 0, ea.TENSORS: 0}


def _read(path) -> ea.EventAccumulator:
    acc = ea.EventAccumulator(str(path), size_guidance=KEEP_ALL)
    acc.Reload()
    return acc


def _both(tmp_path, write):
    """Run ``write(writer, lib)`` with gradlab's writer and with torch's; read both back."""
    out = []
    for name, cls, lib in (("gradlab", SummaryWriter, gradlab), ("torch", TorchWriter, torch)):
        with cls(str(tmp_path / name)) as w:
            write(w, lib)
        out.append(_read(tmp_path / name))
    return out


def _same_tags(a, b):
    assert a.Tags() == b.Tags()
    return a.Tags()


# ------------------------------------------------------------------ scalars


def test_scalars_match_torch(tmp_path):
    def write(w, lib):
        x = lib.tensor([2.0, 3.0], requires_grad=True)
        loss = (x * x).sum()                      # a tensor that requires grad, 0-d
        for step in range(4):
            w.add_scalar("loss", loss * (step + 1), step, walltime=100.0 + step)
            w.add_scalar("lr", 0.1 / (step + 1), global_step=np.int64(step), walltime=7.5)
            w.add_scalar("count", step * 3, step, walltime=8.0)
            w.add_scalar("np", np.float32(1 / 3) * step, step, walltime=9.0)
            w.add_scalar("one", lib.tensor([[1.25]]), step, walltime=9.5)
        w.add_scalar("new", 1 / 3, 5, walltime=1.0, new_style=True)
        w.add_scalar("new64", 1 / 3, 5, walltime=1.0, new_style=True, double_precision=True)

    g, t = _both(tmp_path, write)
    tags = _same_tags(g, t)
    assert sorted(tags["scalars"]) == ["count", "loss", "lr", "np", "one"]
    for tag in tags["scalars"]:
        assert g.Scalars(tag) == t.Scalars(tag), tag
    assert [e.value for e in g.Scalars("loss")] == [13.0, 26.0, 39.0, 52.0]
    for tag in ("new", "new64"):
        assert g.Tensors(tag) == t.Tensors(tag)
        assert g.SummaryMetadata(tag) == t.SummaryMetadata(tag)
    assert g.Tensors("new64")[0].tensor_proto.double_val == [1 / 3]


def test_add_scalars_writes_one_sub_run_per_tag(tmp_path):
    def write(w, lib):
        for step in range(3):
            w.add_scalars("run/14h", {"xsinx": step * np.sin(step), "xcosx": step * np.cos(step),
                                      "tanx": lib.tensor(float(np.tan(step)))}, step,
                          walltime=50.0 + step)

    _both(tmp_path, write)
    subs = sorted(p.name for p in (tmp_path / "gradlab").iterdir() if p.is_dir())
    assert subs == sorted(p.name for p in (tmp_path / "torch").iterdir() if p.is_dir())
    assert subs == ["run_14h_tanx", "run_14h_xcosx", "run_14h_xsinx"]
    for sub in subs:
        g, t = _read(tmp_path / "gradlab" / sub), _read(tmp_path / "torch" / sub)
        assert g.Tags()["scalars"] == ["run/14h"]
        assert g.Scalars("run/14h") == t.Scalars("run/14h")


# ------------------------------------------------------------------ histograms


def test_histograms_match_torch(tmp_path):
    rng = np.random.default_rng(0)
    normal = rng.standard_normal((50, 20)).astype(np.float32)
    ints = rng.integers(-5, 6, 300)
    skewed = np.exp(rng.standard_normal(400)).astype(np.float64)

    def write(w, lib):
        w.add_histogram("normal", lib.from_numpy(normal.copy()), 0, walltime=1.0)
        w.add_histogram("normal", lib.from_numpy(normal * 2 + 1), 1, walltime=2.0)
        w.add_histogram("ints", lib.from_numpy(ints.copy()), 3, walltime=3.0)
        w.add_histogram("numpy", skewed, 4, walltime=4.0)
        w.add_histogram("auto", lib.from_numpy(normal.copy()), 5, bins="auto", walltime=5.0)
        w.add_histogram("ten", lib.from_numpy(skewed.copy()), 6, bins=10, walltime=6.0)
        w.add_histogram("edges", skewed, 7, bins=np.linspace(0, 3, 13), walltime=7.0)
        w.add_histogram("max_bins", lib.from_numpy(normal.copy()), 8, bins=64, max_bins=10,
                        walltime=8.0)
        w.add_histogram("single", lib.tensor(0.5), 9, walltime=9.0)
        w.add_histogram_raw("raw", min=0.0, max=4.0, num=6, sum=10.0, sum_squares=22.0,
                            bucket_limits=[1.0, 2.0, 4.0], bucket_counts=[1, 3, 2],
                            global_step=10, walltime=10.0)

    g, t = _both(tmp_path, write)
    tags = _same_tags(g, t)
    assert len(tags["histograms"]) == 9
    for tag in tags["histograms"]:
        assert g.Histograms(tag) == t.Histograms(tag), tag
    h = g.Histograms("normal")[0].histogram_value
    assert h.num == normal.size and sum(h.bucket) == normal.size
    # 64 buckets summed in groups of 64 // 10 = 6: 11, and the empty one left of the first
    assert len(g.Histograms("max_bins")[0].histogram_value.bucket) == 12


# ------------------------------------------------------------------ images


def _pixels(event) -> np.ndarray:
    img = Image.open(io.BytesIO(event.encoded_image_string))
    return np.asarray(img)


def test_images_match_torch(tmp_path):
    rng = np.random.default_rng(1)
    chw = rng.uniform(-0.2, 1.2, (3, 5, 7)).astype(np.float32)       # clipped at both ends
    hwc8 = rng.integers(0, 256, (6, 4, 3)).astype(np.uint8)
    rgba = rng.uniform(0, 1, (4, 6, 4))
    grey = rng.uniform(0, 1, (1, 5, 5)).astype(np.float32)
    hw = rng.uniform(0, 1, (3, 8)).astype(np.float32)
    batch = rng.uniform(0, 1, (10, 3, 4, 3)).astype(np.float32)      # a 8 + 2 grid
    greys = rng.integers(0, 256, (3, 2, 3, 1)).astype(np.uint8)      # NHWC, one channel

    def write(w, lib):
        w.add_image("chw", lib.from_numpy(chw.copy()), 0, walltime=1.0)
        w.add_image("chw", lib.from_numpy(chw[:, ::-1].copy()), 1, walltime=2.0)
        w.add_image("hwc_uint8", lib.from_numpy(hwc8.copy()), 2, dataformats="HWC",
                    walltime=3.0)
        w.add_image("rgba", rgba, 3, dataformats="HWC", walltime=4.0)
        w.add_image("grey", lib.from_numpy(grey.copy()), 4, walltime=5.0)
        w.add_image("hw", lib.from_numpy(hw.copy()), 5, dataformats="HW", walltime=6.0)
        w.add_image("wh", lib.from_numpy(hw.copy()), 5, dataformats="WH", walltime=6.0)
        w.add_images("batch", lib.from_numpy(batch.copy()), 6, walltime=7.0)
        w.add_images("greys", lib.from_numpy(greys.copy()), 7, dataformats="NHWC",
                     walltime=8.0)

    g, t = _both(tmp_path, write)
    tags = _same_tags(g, t)
    assert len(tags["images"]) == 8
    for tag in tags["images"]:
        for a, b in zip(g.Images(tag), t.Images(tag), strict=True):
            assert (a.wall_time, a.step, a.width, a.height) == (b.wall_time, b.step, b.width,
                                                                b.height), tag
            np.testing.assert_array_equal(_pixels(a), _pixels(b), err_msg=tag)
    first = g.Images("chw")[0]
    assert (first.height, first.width) == (5, 7)
    assert _pixels(g.Images("rgba")[0]).shape == (4, 6, 4)
    assert _pixels(g.Images("batch")[0]).shape == (8, 24, 3)
    np.testing.assert_array_equal(_pixels(first),
                                  (chw.transpose(1, 2, 0) * 255).clip(0, 255).astype(np.uint8))


# ------------------------------------------------------------------ text, hparams, purge


def test_text_matches_torch(tmp_path):
    def write(w, lib):
        w.add_text("notes", "lr *0.1*, batch 16", 0, walltime=1.0)
        w.add_text("notes", "µ and ∑", 1, walltime=2.0)

    g, t = _both(tmp_path, write)
    assert _same_tags(g, t)["tensors"] == ["notes/text_summary"]
    assert g.Tensors("notes/text_summary") == t.Tensors("notes/text_summary")
    assert g.SummaryMetadata("notes/text_summary") == t.SummaryMetadata("notes/text_summary")
    assert g.Tensors("notes/text_summary")[1].tensor_proto.string_val == ["µ and ∑".encode()]


def test_hparams_match_torch(tmp_path):
    def write(w, lib):
        w.add_hparams({"lr": 0.1, "bsize": 16, "optim": "sgd", "nesterov": True, "skip": None,
                       "wd": lib.tensor([1e-4])},
                      {"hparam/accuracy": 0.75, "hparam/loss": lib.tensor(0.5)},
                      hparam_domain_discrete={"optim": ["sgd", "adam"], "bsize": [16, 32]},
                      run_name="run0", global_step=3)

    _both(tmp_path, write)
    g, t = _read(tmp_path / "gradlab" / "run0"), _read(tmp_path / "torch" / "run0")
    tags = _same_tags(g, t)
    assert g.PluginTagToContent("hparams") == t.PluginTagToContent("hparams")
    assert len(g.PluginTagToContent("hparams")) == 3
    for tag in tags["scalars"]:
        assert [(e.step, e.value) for e in g.Scalars(tag)] == [(e.step, e.value)
                                                               for e in t.Scalars(tag)]


def test_purge_step_hides_the_steps_written_before(tmp_path):
    for name, cls in (("gradlab", SummaryWriter), ("torch", TorchWriter)):
        path = str(tmp_path / name)
        with cls(path) as w:
            for step in range(5):
                w.add_scalar("x", float(step), step, walltime=float(step))
        with cls(path, purge_step=2) as w:
            for step in (2, 3):
                w.add_scalar("x", 10.0 * step, step, walltime=10.0 + step)
    g, t = _read(tmp_path / "gradlab"), _read(tmp_path / "torch")
    assert [(e.step, e.value) for e in g.Scalars("x")] == [(0, 0.0), (1, 1.0), (2, 20.0),
                                                           (3, 30.0)]
    assert g.Scalars("x") == t.Scalars("x")


# ------------------------------------------------------------------ the writer itself


def test_default_log_dir_flush_reopen_and_close(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w, tw = SummaryWriter(comment="_lr0.1"), TorchWriter(comment="_torch")
    stamp = r"runs/[A-Z][a-z]{2}\d{2}_\d{2}-\d{2}-\d{2}_" + re.escape(socket.gethostname())
    for writer, comment in ((w, "_lr0.1"), (tw, "_torch")):
        assert re.fullmatch(stamp + comment, writer.get_logdir()), writer.get_logdir()
        assert os.path.isdir(writer.log_dir)
    tw.close()
    w.add_scalar("a", 1.0, 0)
    w.flush()                                        # on disk while the writer is open
    assert [e.value for e in _read(w.log_dir).Scalars("a")] == [1.0]
    w.close()
    w.close()                                        # twice: nothing
    w.add_scalar("a", 2.0, 1)                        # after close: a new event file
    w.close()
    assert [e.value for e in _read(w.log_dir).Scalars("a")] == [1.0, 2.0]
    assert len(os.listdir(w.log_dir)) == 2
    with SummaryWriter(tmp_path / "p", filename_suffix=".v1", max_queue=1) as w2:
        w2.add_text("t", "x")
    assert w2.all_writers is None
    assert os.listdir(tmp_path / "p")[0].endswith(".v1")


def test_errors_are_torchs(tmp_path):
    cases = [
        (lambda w, lib: w.add_scalar("s", lib.ones(2)), AssertionError,
         r"add_scalar: the value should contain one element .* got size 2"),
        (lambda w, lib: w.add_scalar("s", [1.0]), NotImplementedError,
         r"add_scalar: got list, but a NumPy array, a gradlab tensor or a number"),
        (lambda w, lib: w.add_image("i", lib.ones(3, 4)), AssertionError,
         r"add_image: the image has 2 dimensions \(shape \(3, 4\)\) but dataformats 'CHW'"),
        (lambda w, lib: w.add_image("i", lib.ones(2, 2), dataformats="HH"), AssertionError,
         r"add_image: a dimension letter is used twice in dataformats 'HH'"),
        (lambda w, lib: w.add_images("i", lib.ones(2, 2, 3, 3)), AssertionError,
         r"add_images: the images should have 1 or 3 channels, got shape \(2, 2, 3, 3\)"),
        (lambda w, lib: w.add_histogram("h", lib.ones(0)), ValueError,
         r"add_histogram: the input has no element"),
        (lambda w, lib: w.add_histogram_raw("h", 0, 1, 1, 1, 1, [1.0, 2.0], [1]), ValueError,
         r"add_histogram_raw: len\(bucket_limits\) = 2 != len\(bucket_counts\) = 1"),
        (lambda w, lib: w.add_hparams([("lr", 0.1)], {}), TypeError,
         r"add_hparams: hparam_dict and metric_dict should be dictionaries, got list"),
        (lambda w, lib: w.add_hparams({"lr": [0.1]}, {}), ValueError,
         r"add_hparams: hparam_dict\['lr'\] should be an int, float, str, bool or gradlab"),
    ]
    with SummaryWriter(tmp_path / "g") as w, TorchWriter(str(tmp_path / "t")) as tw:
        for fn, exc, pattern in cases:
            with pytest.raises(exc, match=pattern):
                fn(w, gradlab)
            with pytest.raises(exc):                  # torch raises the same type
                fn(tw, torch)
        with pytest.raises(NotImplementedError, match="add_graph: gradlab has no TorchScript"):
            w.add_graph(gradlab.nn.Linear(2, 2), gradlab.ones(1, 2))


def test_without_tensorboard_the_writer_says_how_to_install_it(tmp_path):
    code = ("import sys; sys.modules['tensorboard'] = None\n"
            "from gradlab.utils.tensorboard import SummaryWriter\n"
            "try:\n    SummaryWriter(sys.argv[1])\n"
            "except ImportError as e:\n    print('ImportError:', e)\n")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "x")], cwd=ROOT,
                         capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.stdout.startswith("ImportError: SummaryWriter: writing TensorBoard event files "
                                 "needs the tensorboard package")
    assert 'pip install "gradlab[tensorboard]"' in out.stdout
    assert not (tmp_path / "x").exists()
