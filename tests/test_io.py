"""Checkpoints: safetensors round trips, interoperability with the reference implementation,
atomic writes and clear errors for bad files."""

import os
import pickle

import numpy as np
import pytest
import safetensors.numpy as st
import torch

import gradlab
import gradlab.nn as nn
from gradlab.io import CheckpointError


def sample():
    rng = np.random.default_rng(0)
    return {
        "w": rng.normal(size=(3, 4)).astype(np.float32),
        "d": rng.normal(size=(2,)),
        "h": np.array([1.5, -2.0], dtype=np.float16),
        "i": np.arange(5, dtype=np.int64),
        "j": np.arange(3, dtype=np.int32),
        "u": np.array([0, 255], dtype=np.uint8),
        "k": np.array([-1, 1], dtype=np.int8),
        "b": np.array([True, False]),
        "scalar": np.array(2.5, dtype=np.float32),
        "empty": np.zeros((0, 3), dtype=np.float32),
    }


def test_round_trip_every_dtype_and_shape(tmp_path):
    data = sample()
    path = tmp_path / "all.safetensors"
    gradlab.save({k: gradlab.from_numpy(v) for k, v in data.items()}, path,
                 metadata={"epoch": "3"})
    out, meta = gradlab.io.load(path, with_metadata=True)
    assert list(out) == list(data) and meta == {"epoch": "3"}
    for k, v in data.items():
        assert out[k].array.dtype == v.dtype and out[k].shape == v.shape, k
        np.testing.assert_array_equal(out[k].numpy(), v)


def test_interoperates_with_the_reference_implementation(tmp_path):
    data = sample()
    ours = tmp_path / "ours.safetensors"
    gradlab.save(data, ours)
    theirs = st.load_file(str(ours))
    for k, v in data.items():
        np.testing.assert_array_equal(theirs[k], v)
    ref = tmp_path / "ref.safetensors"
    st.save_file(data, str(ref), metadata={"by": "reference"})
    back, meta = gradlab.io.load(ref, with_metadata=True)
    assert meta == {"by": "reference"}
    for k, v in data.items():
        np.testing.assert_array_equal(back[k].numpy(), v)


def test_model_checkpoint_restores_outputs_and_loads_torch_weights(tmp_path):
    t = torch.nn.Sequential(torch.nn.Conv2d(1, 3, 3), torch.nn.BatchNorm2d(3))
    g = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3))
    st.save_file({k: v.detach().numpy() for k, v in t.state_dict().items()},
                 str(tmp_path / "torch.safetensors"))
    g.load_state_dict(gradlab.load(tmp_path / "torch.safetensors"))
    g.eval()
    t.eval()
    x = np.random.default_rng(1).normal(size=(2, 1, 5, 5)).astype(np.float32)
    np.testing.assert_allclose(g(gradlab.tensor(x)).detach().numpy(),
                               t(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    gradlab.save(g.state_dict(), tmp_path / "g.safetensors")
    g2 = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3)).eval()
    g2.load_state_dict(gradlab.load(tmp_path / "g.safetensors"))
    assert g2(gradlab.tensor(x)).equal(g(gradlab.tensor(x)))


def test_write_is_atomic(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    gradlab.save({"a": np.ones(3, dtype=np.float32)}, path)
    with pytest.raises(TypeError, match="which safetensors cannot store"):
        gradlab.save({"a": np.ones(3, dtype=np.float32), "c": np.ones(2, dtype=np.complex64)},
                     path)
    assert gradlab.load(path)["a"].tolist() == [1.0, 1.0, 1.0]  # the old file is intact
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]  # no temporary file left behind


@pytest.mark.parametrize("make,pattern", [
    (lambda good: good[:5], r"only 5 bytes"),
    (lambda good: good[:-3], r"truncated: tensor 'w' needs bytes up to 48"),
    (lambda good: good + b"xx", r"2 trailing bytes"),
    (lambda good: (10**9).to_bytes(8, "little") + good[8:], r"header length 1000000000 "
                                                             r"exceeds"),
    (lambda good: good[:8] + b"{not json" + good[17:], r"its header is not JSON"),
    (lambda good: pickle.dumps({"w": [1.0, 2.0]}), r"not a safetensors file"),
    (lambda good: good.replace(b'"F32"', b'"F99"'), r"unknown dtype 'F99'"),
    (lambda good: good.replace(b"[0,48]", b"[0,44]"), r"inconsistent data offsets"),
])
def test_bad_files_give_clear_errors(tmp_path, make, pattern):
    good_path = tmp_path / "good.safetensors"
    gradlab.save({"w": np.arange(12, dtype=np.float32)}, good_path)
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(make(good_path.read_bytes()))
    with pytest.raises(CheckpointError, match=pattern):
        gradlab.load(bad)


def test_save_rejects_bad_keys_and_metadata(tmp_path):
    with pytest.raises(TypeError, match=r"dict key 1.5 \(a float\) in obj: .* str and int keys"):
        gradlab.save({1.5: np.ones(1)}, tmp_path / "x")
    with pytest.raises(TypeError, match="metadata must map strings to strings"):
        gradlab.save({"a": np.ones(1)}, tmp_path / "x", metadata={"a": 1})


def test_save_gives_the_usual_file_permissions(tmp_path):
    # the temporary file of the atomic write must not leave the checkpoint private (0o600)
    import os

    old = os.umask(0o022)
    try:
        gradlab.save({"w": gradlab.ones(2)}, tmp_path / "w.safetensors")
    finally:
        os.umask(old)
    assert (os.stat(tmp_path / "w.safetensors").st_mode & 0o777) == 0o644
    assert os.listdir(tmp_path) == ["w.safetensors"]  # no temporary file left behind


def test_onnx_export_is_reachable_after_import_gradlab():
    import subprocess
    import sys

    code = "import gradlab, sys; sys.exit(0 if callable(gradlab.onnx.export) else 1)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
