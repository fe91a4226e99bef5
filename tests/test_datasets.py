"""gradlab.datasets: the IDX reader/writer and its corruption errors, the MNIST family over
generated files (downloads from local mirrors only, never the network), Digits, and the
defining properties of the synthetic tasks."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import os
import shutil
import sys
import threading

import numpy as np
import pytest

import gradlab
import gradlab.datasets as D
from gradlab import transforms as T
from gradlab.datasets import digits as digits_module
from gradlab.utils.data import DataLoader

# ----------------------------------------------------------------------------- IDX

IDX_DTYPES = [("uint8", 0x08), ("int8", 0x09), ("int16", 0x0B), ("int32", 0x0C),
              ("float32", 0x0D), ("float64", 0x0E)]


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("dtype,code", IDX_DTYPES)
def test_idx_round_trip_and_layout(tmp_path, dtype, code, gz):
    a = (np.arange(2 * 3 * 5).reshape(2, 3, 5) * 7 - 20).astype(dtype)
    p = D.write_idx(tmp_path / ("a.idx" + (".gz" if gz else "")), a)
    raw = open(p, "rb").read()
    assert (raw[:2] == b"\x1f\x8b") == gz
    if gz:
        raw = gzip.decompress(raw)
    # the layout, decoded by hand: magic 0x0000TTDD, big-endian sizes, big-endian values
    assert raw[:4] == bytes([0, 0, code, 3])
    assert [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(3)] == [2, 3, 5]
    np.testing.assert_array_equal(np.frombuffer(raw[16:], dtype=np.dtype(dtype).newbyteorder(">")
                                                ).reshape(2, 3, 5), a)
    b = D.read_idx(p)
    assert b.dtype == a.dtype and b.dtype.isnative
    np.testing.assert_array_equal(a, b)


def test_idx_compress_flag_and_1d(tmp_path):
    p = D.write_idx(tmp_path / "plain", np.arange(4, dtype=np.uint8), compress=True)
    assert open(p, "rb").read(2) == b"\x1f\x8b"
    np.testing.assert_array_equal(D.read_idx(p), np.arange(4))
    with pytest.raises(ValueError, match="write_idx: dtype int64 has no IDX type code"):
        D.write_idx(tmp_path / "x", np.arange(3))
    with pytest.raises(ValueError, match="write_idx: expected an array with 1 to 255 dims"):
        D.write_idx(tmp_path / "x", np.array(3, np.uint8))


def _good_bytes() -> bytes:
    return bytes([0, 0, 0x08, 2]) + (2).to_bytes(4, "big") + (3).to_bytes(4, "big") + bytes(6)


CORRUPT = {
    "bad magic": (b"\x12\x34" + _good_bytes()[2:], "is not an IDX file: bad magic number "
                                                   "0x12340802"),
    "zero dims": (bytes([0, 0, 0x08, 0]), "bad magic number 0x00000800"),
    "unknown dtype code": (bytes([0, 0, 0x0A]) + _good_bytes()[3:],
                           "unknown data type code 0x0A in magic number 0x00000A02"),
    "too short": (b"\x00\x00", r"is too short \(2 bytes\) to hold an IDX header"),
    "truncated header": (_good_bytes()[:9], r"truncated inside its header \(9 bytes"),
    "missing data": (_good_bytes()[:-1], r"the header says shape \(2, 3\) of uint8, 6 bytes of "
                                         r"data, but the file holds 5"),
    "extra data": (_good_bytes() + b"\x00", "but the file holds 7"),
}


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("name", list(CORRUPT))
def test_idx_corrupt_files(tmp_path, name, gz):
    data, msg = CORRUPT[name]
    p = tmp_path / "bad"
    p.write_bytes(gzip.compress(data) if gz else data)
    with pytest.raises(ValueError, match=msg) as e:
        D.read_idx(p)
    assert str(p) in str(e.value)


def test_idx_corrupt_gzip(tmp_path):
    p = tmp_path / "bad.gz"
    p.write_bytes(gzip.compress(_good_bytes())[:-6])
    with pytest.raises(ValueError, match="is a corrupt gzip file"):
        D.read_idx(p)


# ----------------------------------------------------------------------------- MNIST family

N_TRAIN, N_TEST = 12, 5


def make_mnist_files(folder, gz=True, n_train=N_TRAIN, n_test=N_TEST, seed=0) -> dict:
    """Write the four MNIST files (random images, labels 0..9) into ``folder``; returns the
    arrays by split and each file's MD5."""
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    out, md5 = {}, {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = (np.arange(n) % 10).astype(np.uint8)
        out[split] = (images, labels)
        for kind, arr in (("images-idx3-ubyte", images), ("labels-idx1-ubyte", labels)):
            name = f"{split}-{kind}" + (".gz" if gz else "")
            p = D.write_idx(os.path.join(folder, name), arr)
            md5[name] = hashlib.md5(open(p, "rb").read()).hexdigest()
    out["md5"] = md5
    return out


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("cls", [D.MNIST, D.FashionMNIST, D.KMNIST])
def test_mnist_reads_generated_files(tmp_path, cls, gz):
    arrays = make_mnist_files(tmp_path / cls.__name__ / "raw", gz=gz)
    for train, split in ((True, "train"), (False, "t10k")):
        ds = cls(str(tmp_path), train=train)
        images, labels = arrays[split]
        assert len(ds) == len(images)
        assert ds.data.dtype == gradlab.uint8 and ds.data.shape == images.shape
        assert ds.targets.dtype == gradlab.int64
        np.testing.assert_array_equal(ds.data.numpy(), images)
        img, y = ds[3]
        assert isinstance(img, np.ndarray) and img.dtype == np.uint8 and type(y) is int
        assert y == labels[3] and len(ds.classes) == 10


def test_mnist_transforms_and_loader(tmp_path):
    arrays = make_mnist_files(tmp_path / "MNIST" / "raw")
    images, labels = arrays["train"]
    ds = D.MNIST(tmp_path, transform=T.ToTensor(), target_transform=lambda y: y + 100)
    x, y = ds[0]
    assert x.shape == (1, 28, 28) and x.dtype == gradlab.float32 and y == labels[0] + 100
    np.testing.assert_array_equal(x.numpy()[0], images[0].astype(np.float32) / 255)
    xb, yb = next(iter(DataLoader(ds, batch_size=4)))
    assert xb.shape == (4, 1, 28, 28) and yb.tolist() == (labels[:4] + 100).tolist()
    # without transforms the whole-batch path gives what default_collate of the samples gives
    plain = D.MNIST(tmp_path)
    xb, yb = next(iter(DataLoader(plain, batch_size=5)))
    assert xb.dtype == gradlab.uint8 and xb.shape == (5, 28, 28) and yb.dtype == gradlab.int64
    np.testing.assert_array_equal(xb.numpy(), images[:5])


def test_mnist_missing_files_error(tmp_path):
    with pytest.raises(RuntimeError) as e:
        D.MNIST(tmp_path)
    msg = str(e.value)
    assert "Dataset not found" in msg and os.path.join(str(tmp_path), "MNIST", "raw") in msg
    assert "train-images-idx3-ubyte[.gz]" in msg and "download=True" in msg


def test_mnist_wrong_contents(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    make_mnist_files(raw)
    D.write_idx(raw / "train-labels-idx1-ubyte.gz", np.zeros(N_TRAIN, np.int32))
    with pytest.raises(TypeError, match="train-labels-idx1-ubyte.gz holds int32 data, "
                                        "expected uint8"):
        D.MNIST(tmp_path)
    D.write_idx(raw / "train-labels-idx1-ubyte.gz", np.zeros(N_TRAIN - 1, np.uint8))
    with pytest.raises(ValueError, match=f"holds {N_TRAIN} images but .* holds {N_TRAIN - 1} "
                                         "labels"):
        D.MNIST(tmp_path)
    D.write_idx(raw / "train-labels-idx1-ubyte.gz", np.zeros((N_TRAIN, 1), np.uint8))
    with pytest.raises(ValueError, match="holds a 2-d array, expected 1-d"):
        D.MNIST(tmp_path)
    (raw / "train-images-idx3-ubyte.gz").write_bytes(b"\x00\x01\x08\x03")
    with pytest.raises(ValueError, match="bad magic number 0x00010803"):
        D.MNIST(tmp_path)


class TinyMNIST(D.MNIST):
    """MNIST's loader with the checksums of the generated files."""

    resources: list = []


def _mirror(tmp_path, seed=0):
    src = tmp_path / "mirror"
    arrays = make_mnist_files(src, seed=seed)
    return src, arrays


def test_download_from_file_mirror_with_good_checksums(tmp_path):
    src, arrays = _mirror(tmp_path)
    TinyMNIST.resources = sorted(arrays["md5"].items())
    root = tmp_path / "root"
    missing = src.parent / "nowhere"  # the first mirror fails; the second serves
    ds = TinyMNIST(root, download=True, mirrors=[missing.as_uri() + "/", src.as_uri()])
    np.testing.assert_array_equal(ds.data.numpy(), arrays["train"][0])
    raw = root / "TinyMNIST" / "raw"
    assert sorted(os.listdir(raw)) == sorted(arrays["md5"])
    # present files are not fetched again (the mirror list is now useless)
    shutil.rmtree(src)
    assert len(TinyMNIST(root, train=False, download=True, mirrors=["file:///nowhere/"])) == N_TEST


def test_download_checksum_mismatch_against_published_md5(tmp_path):
    src, _ = _mirror(tmp_path)
    root = tmp_path / "root"
    with pytest.raises(RuntimeError) as e:
        D.MNIST(root, download=True, mirrors=[src.as_uri()])
    msg = str(e.value)
    assert "could not download train-images-idx3-ubyte.gz" in msg
    assert "checksum mismatch" in msg and "expected f68b3c2dcbeaaa9fbdd348bbdeb94873" in msg
    assert os.listdir(root / "MNIST" / "raw") == []  # nothing corrupt is left behind


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_download_over_http_from_localhost(tmp_path):
    src, arrays = _mirror(tmp_path, seed=1)
    handler = lambda *a, **k: _Quiet(*a, directory=str(src), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        TinyMNIST.resources = sorted(arrays["md5"].items())
        ds = TinyMNIST(tmp_path / "a", train=False, download=True, mirrors=[url + "missing/", url])
        np.testing.assert_array_equal(ds.data.numpy(), arrays["t10k"][0])
        bad = sorted((k, "0" * 32) for k in arrays["md5"])
        TinyMNIST.resources = bad
        with pytest.raises(RuntimeError, match="MD5 [0-9a-f]{32}, expected 0{32}"):
            TinyMNIST(tmp_path / "b", download=True, mirrors=[url])
    finally:
        server.shutdown()
        server.server_close()


def test_download_offline_error(tmp_path):
    with pytest.raises(RuntimeError) as e:
        D.KMNIST(tmp_path, download=True, mirrors=["http://127.0.0.1:9/"])
    msg = str(e.value)
    assert "KMNIST: could not download train-images-idx3-ubyte.gz" in msg
    assert "offline" in msg and os.path.join(str(tmp_path), "KMNIST", "raw") in msg


def test_official_resource_lists():
    assert D.MNIST.mirrors[0] == "https://ossci-datasets.s3.amazonaws.com/mnist/"
    assert dict(D.MNIST.resources)["t10k-labels-idx1-ubyte.gz"] == \
        "ec29112dd5afa0611ce80d1b7f02629c"
    assert dict(D.FashionMNIST.resources)["train-images-idx3-ubyte.gz"] == \
        "8d4fb7e6c68d591d4c3dfef9ec88bf0d"
    assert dict(D.KMNIST.resources)["t10k-images-idx3-ubyte.gz"] == \
        "5c965bf0a639b31b8f53240b1b52f4d7"


# ----------------------------------------------------------------------------- Digits

@pytest.mark.parametrize("size", [8, 28, 32])
def test_digits_sizes_dtypes_range(size):
    tr, te = D.Digits(size=size), D.Digits(train=False, size=size)
    assert (len(tr), len(te)) == (1438, 359)
    for ds in (tr, te):
        assert ds.data.shape == (len(ds), 1, size, size) and ds.data.dtype == gradlab.float32
        assert ds.targets.dtype == gradlab.int64
        assert ds.data.numpy().min() == 0.0 and ds.data.numpy().max() == 1.0
        np.testing.assert_array_equal(np.bincount(ds.targets.numpy(), minlength=10) > 0, True)
    x, y = tr[0]
    assert x.shape == (1, size, size) and type(y) is int


def test_digits_split_is_stratified_disjoint_and_fixed():
    from sklearn.datasets import load_digits

    src = load_digits()
    images, targets = src.images, src.target
    tr_idx, te_idx = digits_module._split(targets, 0.2, 0)
    assert len(np.intersect1d(tr_idx, te_idx)) == 0 and len(tr_idx) + len(te_idx) == 1797
    per_class = np.bincount(targets)
    np.testing.assert_array_equal(np.bincount(targets[te_idx]), np.round(per_class * 0.2))
    gradlab.manual_seed(123)  # the split ignores the global stream
    a = D.Digits(train=False)
    gradlab.manual_seed(456)
    b = D.Digits(train=False)
    np.testing.assert_array_equal(a.data.numpy(), b.data.numpy())
    np.testing.assert_array_equal(a.data.numpy()[:, 0], images[te_idx] / 16)
    np.testing.assert_array_equal(a.targets.numpy(), targets[te_idx])


def test_digits_upsampling_layout():
    small, big, big32 = D.Digits(size=8), D.Digits(size=28), D.Digits(size=32)
    s, b, c = small.data.numpy()[:, 0], big.data.numpy()[:, 0], big32.data.numpy()[:, 0]
    np.testing.assert_array_equal(b[:, 2:26, 2:26], np.kron(s, np.ones((3, 3), np.float32)))
    assert b[:, :2].max() == b[:, 26:].max() == b[:, :, :2].max() == b[:, :, 26:].max() == 0
    np.testing.assert_array_equal(c[:, 2:30, 2:30], b)
    assert c[:, :2].max() == c[:, :, 30:].max() == 0


def test_digits_transforms_and_errors(monkeypatch, tmp_path):
    ds = D.Digits(transform=T.Normalize([0.5], [0.5]), target_transform=lambda y: -y)
    x, y = ds[5]
    np.testing.assert_allclose(x.numpy(), (ds.data.numpy()[5] - 0.5) / 0.5)
    assert y == -int(ds.targets.numpy()[5])
    xb, yb = next(iter(DataLoader(ds, batch_size=3)))
    assert xb.shape == (3, 1, 8, 8) and yb.tolist() == [-int(v) for v in ds.targets.numpy()[:3]]
    inplace = D.Digits(transform=T.Normalize([0.5], [0.5], inplace=True))
    before = inplace.data.numpy().copy()
    inplace[0], inplace[0]
    np.testing.assert_array_equal(inplace.data.numpy(), before)  # samples are copies
    with pytest.raises(ValueError, match=r"Digits: size must be one of \(8, 28, 32\), got 16"):
        D.Digits(size=16)
    digits_module._load.cache_clear()
    damaged = tmp_path / "digits.csv.gz"
    damaged.write_bytes(open(digits_module.DATA_FILE, "rb").read()[:-1] + b"x")
    monkeypatch.setattr(digits_module, "DATA_FILE", str(damaged))
    try:
        with pytest.raises(OSError, match=r"Digits: the data file .*digits\.csv\.gz is damaged "
                                          r"\(SHA-256 [0-9a-f]{64}, expected 09f66e6d"):
            D.Digits()
    finally:
        digits_module._load.cache_clear()


# ----------------------------------------------------------------------------- synthetic tasks

SYNTH = {
    "two_spirals": (lambda **k: D.two_spirals(50, **k), (50, 2), "float32", (50,), "int64"),
    "moons": (lambda **k: D.moons(50, **k), (50, 2), "float32", (50,), "int64"),
    "xor": (lambda **k: D.xor(50, **k), (50, 2), "float32", (50,), "int64"),
    "blobs": (lambda **k: D.blobs(50, centers=4, n_features=3, **k), (50, 3), "float32", (50,),
              "int64"),
    "noisy_sine": (lambda **k: D.noisy_sine(50, **k), (50, 1), "float32", (50, 1), "float32"),
    "adding_problem": (lambda **k: D.adding_problem(50, seq_len=12, **k), (50, 12, 2), "float32",
                       (50, 1), "float32"),
    "copy_task": (lambda **k: D.copy_task(50, seq_len=5, delay=3, **k), (50, 14), "int64",
                  (50, 14), "int64"),
}


@pytest.mark.parametrize("name", list(SYNTH))
def test_synthetic_shapes_dtypes_and_seeding(name):
    fn, xs, xd, ys, yd = SYNTH[name]
    gradlab.manual_seed(0)
    x, y = fn()
    assert x.shape == xs and x.dtype.name == xd and y.shape == ys and y.dtype.name == yd
    gradlab.manual_seed(0)
    x2, y2 = fn()
    np.testing.assert_array_equal(x.numpy(), x2.numpy())
    np.testing.assert_array_equal(y.numpy(), y2.numpy())
    x3, _ = fn(generator=gradlab.Generator().manual_seed(5))
    x4, _ = fn(generator=gradlab.Generator().manual_seed(5))
    np.testing.assert_array_equal(x3.numpy(), x4.numpy())
    assert not np.array_equal(x.numpy(), x3.numpy())


def test_adding_problem_target_is_the_marked_sum():
    x, y = D.adding_problem(300, seq_len=20, generator=gradlab.Generator().manual_seed(1))
    v, m = x.numpy()[..., 0], x.numpy()[..., 1]
    assert set(np.unique(m)) == {0.0, 1.0}
    assert (m.sum(axis=1) == 2).all()
    assert (m[:, :10].sum(axis=1) == 1).all() and (m[:, 10:].sum(axis=1) == 1).all()
    assert v.min() >= 0 and v.max() <= 1
    np.testing.assert_allclose(y.numpy()[:, 0], (v * m).sum(axis=1), rtol=1e-6)
    assert abs(((y.numpy() - 1) ** 2).mean() - 1 / 6) < 0.03  # the predict-1 baseline


def test_copy_task_target_is_the_input_symbols():
    m, delay, k = 6, 4, 5
    x, y = D.copy_task(100, seq_len=m, delay=delay, n_symbols=k)
    x, y = x.numpy(), y.numpy()
    np.testing.assert_array_equal(y[:, -m:], x[:, :m])
    assert (y[:, :-m] == 0).all()
    assert x[:, :m].min() >= 1 and x[:, :m].max() <= k
    assert (x[:, m:m + delay] == 0).all() and (x[:, m + delay] == k + 1).all()
    assert (x[:, m + delay + 1:] == 0).all()


def test_xor_moons_blobs_sine_definitions():
    x, y = D.xor(4, noise=0.0)
    assert sorted(map(tuple, np.c_[x.numpy(), y.numpy()].tolist())) == [
        (0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 0)]
    x, y = D.xor(200, noise=0.1)
    corner = np.round(x.numpy()).astype(int)
    assert ((corner[:, 0] ^ corner[:, 1]) == y.numpy()).mean() > 0.97
    x, y = D.moons(200, noise=0.0)
    x, y = x.numpy().astype(np.float64), y.numpy()
    np.testing.assert_allclose(np.hypot(*x[y == 0].T), 1.0, rtol=1e-6)
    np.testing.assert_allclose(np.hypot(1 - x[y == 1, 0], 0.5 - x[y == 1, 1]), 1.0, rtol=1e-6)
    assert (np.bincount(y) == 100).all()
    centers = [[0.0, 0.0], [5.0, 5.0], [-5.0, 3.0]]
    x, y = D.blobs(30, centers=centers, cluster_std=0.0)
    np.testing.assert_array_equal(x.numpy(), np.array(centers, np.float32)[y.numpy()])
    x, y = D.noisy_sine(50, noise=0.0)
    np.testing.assert_allclose(y.numpy(), np.sin(x.numpy()), rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="adding_problem: seq_len must be at least 2, got 1"):
        D.adding_problem(5, seq_len=1)
    with pytest.raises(ValueError, match="moons: n must be an int >= 2, got 1"):
        D.moons(1)


@pytest.mark.parametrize("task", ["adding_problem", "copy_task", "two_spirals", "moons", "xor",
                                  "blobs", "noisy_sine"])
def test_synthetic_tasks_reject_a_numpy_generator_by_name(task):
    with pytest.raises(TypeError, match=rf"^{task}: generator must be a gradlab\.Generator "
                                        r"\(or None\), got numpy\.random\.Generator; make one "
                                        r"with gradlab\.Generator\(\)\.manual_seed\(seed\)$"):
        getattr(D, task)(8, generator=np.random.default_rng(0))
    with pytest.raises(TypeError, match=rf"^{task}: generator must be .* got int;"):
        getattr(D, task)(8, generator=0)
    a = getattr(D, task)(8, generator=gradlab.Generator().manual_seed(3))
    b = getattr(D, task)(8, generator=gradlab.Generator().manual_seed(3))
    np.testing.assert_array_equal(a[0].numpy(), b[0].numpy())


def test_rng_rejects_a_numpy_generator_everywhere():
    with pytest.raises(TypeError, match=r"^generator must be a gradlab\.Generator .* got "
                                        r"numpy\.random\.Generator"):
        gradlab.rand(3, generator=np.random.default_rng(0))


def test_digits_file_read_equals_sklearn_load_digits():
    """Digits reads the copy of scikit-learn's CSV that gradlab ships; it must give exactly
    load_digits()'s images and labels, and the process must not have imported sklearn."""
    import subprocess

    from sklearn.datasets import load_digits

    from gradlab.datasets.digits import _load

    images, labels = _load()
    ref = load_digits()
    assert images.dtype == np.uint8 and labels.dtype == np.int64
    np.testing.assert_array_equal(images, ref.images.astype(np.uint8))
    np.testing.assert_array_equal(labels, ref.target)
    code = ("import sys; from gradlab.datasets import Digits; Digits(train=True); "
            "print('sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=os.path.dirname(os.path.dirname(__file__)))
    assert out.stdout.strip() == "False", out.stdout + out.stderr

def test_digits_ships_with_gradlab_and_needs_no_scikit_learn():
    """The data file is inside the package (declared as package data) and Digits loads in a
    process where importing sklearn or scipy fails."""
    import subprocess

    from gradlab.datasets import digits as digits_module

    assert os.path.dirname(digits_module.DATA_FILE).startswith(
        os.path.dirname(gradlab.__file__))
    pyproject = open(os.path.join(os.path.dirname(os.path.dirname(__file__)),
                                  "pyproject.toml"), encoding="utf-8").read()
    assert '"gradlab.datasets" = ["data/digits.csv.gz", "data/README.md"]' in pyproject
    code = ("import sys; sys.modules['sklearn'] = None; sys.modules['scipy'] = None; "
            "from gradlab.datasets import Digits; d = Digits(train=False); print(len(d))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=os.path.dirname(os.path.dirname(__file__)))
    assert out.returncode == 0 and out.stdout.strip() == "359", out.stdout + out.stderr

