"""gradlab.save / gradlab.load with nested checkpoints: exact round trips (types, key order,
dtypes, shapes, values), resuming training from a checkpoint, torch.save / torch.load as the
oracle for what comes back, the safetensors package as a reader of the files, file objects,
torch's load arguments, the refusals and the malformed files."""

import io
import json
import math
import os
import pickle
import re
from collections import OrderedDict

import numpy as np
import pytest
import safetensors
import safetensors.numpy as st
import torch

import gradlab
import gradlab.nn as nn
import gradlab.nn.functional as F
import gradlab.optim as optim
from gradlab.io import CheckpointError

KEY = "gradlab.structure"


# ----------------------------------------------------------------------------- helpers


def assert_same(a, b, where="obj"):
    """``b`` is ``a`` again: the same types (Tensor vs Parameter, dict vs OrderedDict, list vs
    tuple, int vs float vs bool), keys in the same order, tensors of the same dtype, shape,
    values and requires_grad; floats to the bit (nan, -0.0)."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} became {type(b).__name__}"
    if isinstance(a, gradlab.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        assert a.requires_grad == b.requires_grad, where
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy(), err_msg=where)
    elif isinstance(a, dict):
        assert [(type(k), k) for k in a] == [(type(k), k) for k in b], where
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, float):
        assert repr(a) == repr(b) and math.copysign(1, a) == math.copysign(1, b), where
    else:
        assert a == b, where


def round_trip(obj, how, tmp_path):
    """Save ``obj`` and load it back through a path, a str path, io.BytesIO or real files."""
    path = tmp_path / "ckpt.safetensors"
    if how == "path":
        gradlab.save(obj, path)
        return gradlab.load(path)
    if how == "str":
        gradlab.save(obj, str(path))
        return gradlab.load(str(path), mmap=True)
    if how == "bytesio":
        buf = io.BytesIO()
        gradlab.save(obj, buf)
        buf.seek(0)
        return gradlab.load(buf)
    with open(path, "wb") as f:
        gradlab.save(obj, f)
        assert not f.closed
    with open(path, "rb") as f:
        return gradlab.load(f)


def safetensors_bytes(header: dict, data: bytes = b"") -> bytes:
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    return len(raw).to_bytes(8, "little") + raw + data


def structured(node, tensors: dict | None = None, doc: dict | None = None) -> bytes:
    """A safetensors file with the given entries {name: float32 array} and structure node."""
    header, data, offset = {}, b"", 0
    for name, arr in (tensors or {}).items():
        arr = np.asarray(arr, np.float32)
        header[name] = {"dtype": "F32", "shape": list(arr.shape),
                        "data_offsets": [offset, offset + arr.nbytes]}
        data += arr.tobytes()
        offset += arr.nbytes
    doc = doc if doc is not None else {"format": "gradlab.save/1", "obj": node}
    return safetensors_bytes({"__metadata__": {KEY: json.dumps(doc)}, **header}, data)


def make_model():
    return nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 3))


DATA = np.random.default_rng(0)
X = DATA.normal(size=(8, 4)).astype(np.float32)
Y = DATA.integers(0, 3, 8)


def train_step(model, opt):
    opt.zero_grad()
    loss = F.cross_entropy(model(gradlab.tensor(X)), gradlab.tensor(Y))
    loss.backward()
    opt.step()
    return loss.item()


OPTIMIZERS = {
    "sgd-momentum": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    "adam": lambda p: optim.Adam(p, lr=0.01, betas=(0.8, 0.9)),
}


# ----------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_checkpoint_round_trips_and_resumed_training_is_identical(tmp_path, name):
    gradlab.manual_seed(0)
    model = make_model()
    opt = OPTIMIZERS[name](model.parameters())
    for _ in range(3):
        loss = train_step(model, opt)
    ckpt = {"epoch": 3, "model_state_dict": model.state_dict(),
            "optimizer_state_dict": opt.state_dict(), "loss": loss}
    gradlab.save(ckpt, tmp_path / "ckpt.safetensors")
    back = gradlab.load(tmp_path / "ckpt.safetensors")
    assert_same(ckpt, back)
    assert type(back["model_state_dict"]) is OrderedDict
    assert list(back["optimizer_state_dict"]["state"]) == [0, 1, 2, 3, 4, 5]  # int keys
    for _ in range(3):
        train_step(model, opt)

    gradlab.manual_seed(1)  # other initial weights, overwritten by the checkpoint
    fresh = make_model()
    fresh_opt = OPTIMIZERS[name](fresh.parameters())
    fresh.load_state_dict(back["model_state_dict"])
    fresh_opt.load_state_dict(back["optimizer_state_dict"])
    for _ in range(3):
        train_step(fresh, fresh_opt)
    for (k, p), q in zip(model.state_dict().items(), fresh.state_dict().values()):
        assert p.equal(q), k


EDGE = {
    "int keys": {0: "a", "0": "b", -7: [1], 2**70: {}},
    "tuples and lists": ([1, (2, [3])], (), [], ([],), [()]),
    "empty containers": {"d": {}, "o": OrderedDict(), "l": [], "t": ()},
    "edge values": [None, True, False, 0, -1, 2**70, 0.0, -0.0, float("nan"), float("inf"),
                    float("-inf"), 1e-310, 0.1, 1.0, 3, "", "é✓ \"/\n\ud800", 5e-324],
    "nested OrderedDict": OrderedDict([("b", OrderedDict([(1, 2.5)])), ("a", {"x": None})]),
    "keys like tags": {"tensor": "x", "dict": [], "float": "nan", "__metadata__": gradlab.ones(1),
                       "tuple": {"parameter": "p"}},
    "a tensor": gradlab.arange(6).reshape(2, 3),
    "a scalar": 1.5,
    "None": None,
    "tensors of every dtype": [gradlab.from_numpy(np.ones((2, 1), dt)) for dt in (
        np.float32, np.float64, np.float16, np.int64, np.int32, np.int16, np.int8, np.uint8,
        np.bool_)] + [gradlab.tensor(2.5), gradlab.zeros(0, 3), gradlab.tensor([[np.nan, -0.0]])],
    "Parameter and requires_grad": {
        "p": nn.Parameter(gradlab.ones(2)), "frozen": nn.Parameter(gradlab.ones(2), False),
        "g": gradlab.ones(3, requires_grad=True), "t": gradlab.ones(3)},
}


@pytest.mark.parametrize("how", ["path", "str", "bytesio", "file"])
@pytest.mark.parametrize("case", EDGE)
def test_edge_cases_round_trip_exactly(tmp_path, case, how):
    assert_same(EDGE[case], round_trip(EDGE[case], how, tmp_path))


def test_flat_state_dicts_keep_the_plain_file_and_load_as_ordered_dicts(tmp_path):
    # these bytes are what gradlab.save wrote for this dict before nested checkpoints existed
    old = (b"p\x00\x00\x00\x00\x00\x00\x00"
           b'{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
           b'"n":{"dtype":"I64","shape":[],"data_offsets":[8,16]}}     '
           + np.array([1.5, -2], np.float32).tobytes() + np.int64(7).tobytes())
    flat = {"w": gradlab.tensor([1.5, -2.0]), "n": gradlab.tensor(7)}
    buf = io.BytesIO()
    gradlab.save(flat, buf)
    assert buf.getvalue() == old
    gradlab.save(OrderedDict(flat), tmp_path / "o.safetensors")
    assert (tmp_path / "o.safetensors").read_bytes() == old
    back = gradlab.load(io.BytesIO(old))
    assert type(back) is OrderedDict and list(back) == ["w", "n"]
    assert back["w"].tolist() == [1.5, -2.0] and back["n"].dtype == gradlab.int64
    assert_same(OrderedDict(flat), back)
    # arrays are stored as tensors and come back as tensors, nested or flat
    assert_same({"a": [gradlab.ones(2)]}, round_trip({"a": [np.ones(2, np.float32)]}, "path",
                                                     tmp_path))
    assert_same(OrderedDict(a=gradlab.ones(2)), round_trip({"a": np.ones(2, np.float32)},
                                                           "path", tmp_path))


def test_files_are_safetensors_any_reader_can_read(tmp_path):
    gradlab.manual_seed(0)
    model = make_model()
    opt = OPTIMIZERS["sgd-momentum"](model.parameters())
    train_step(model, opt)
    ckpt = {"epoch": 1, "model_state_dict": model.state_dict(),
            "optimizer_state_dict": opt.state_dict(), "shared": [gradlab.ones(2)] * 2}
    path = tmp_path / "ckpt.safetensors"
    gradlab.save(ckpt, path, metadata={"by": "test"})
    theirs = st.load_file(str(path))  # the reference implementation, safetensors 0.x
    expected = {f"model_state_dict/{k}": v.numpy() for k, v in model.state_dict().items()}
    expected.update({f"optimizer_state_dict/state/{i}/momentum_buffer":
                     opt.state_dict()["state"][i]["momentum_buffer"].numpy() for i in range(6)})
    expected.update({"shared/0": np.ones(2, np.float32), "shared/1": np.ones(2, np.float32)})
    assert sorted(theirs) == sorted(expected)
    for k, v in expected.items():
        assert theirs[k].dtype == v.dtype
        np.testing.assert_array_equal(theirs[k], v)
    with safetensors.safe_open(str(path), framework="np") as f:
        meta = f.metadata()
    assert meta["by"] == "test" and json.loads(meta[KEY])["format"] == "gradlab.save/1"
    back, user_meta = gradlab.load(path, with_metadata=True)
    assert user_meta == {"by": "test"}
    # a tensor in two places is stored twice and loads as two tensors (torch would share)
    assert back["shared"][0] is not back["shared"][1]
    back["shared"][0].add_(1)
    assert back["shared"][1].tolist() == [1.0, 1.0]


def test_a_reference_written_file_loads_as_an_ordered_dict(tmp_path):
    data = {"b": np.arange(3, dtype=np.int32), "a": np.ones((2, 2), np.float16)}
    st.save_file(data, str(tmp_path / "ref.safetensors"), metadata={"k": "v"})
    back, meta = gradlab.load(tmp_path / "ref.safetensors", with_metadata=True)
    assert type(back) is OrderedDict and meta == {"k": "v"}
    for k, v in data.items():
        assert back[k].numpy().dtype == v.dtype
        np.testing.assert_array_equal(back[k].numpy(), v)


# ----------------------------------------------------------------------------- torch as oracle


def to_gradlab(obj):
    """torch's checkpoint with every torch tensor replaced by the gradlab one of equal data."""
    if isinstance(obj, torch.Tensor):
        t = gradlab.from_numpy(obj.detach().numpy().copy())
        if isinstance(obj, torch.nn.Parameter):
            return nn.Parameter(t, requires_grad=obj.requires_grad)
        return t.requires_grad_(True) if obj.requires_grad else t
    if isinstance(obj, dict):
        return type(obj)((k, to_gradlab(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_gradlab(v) for v in obj)
    return obj


def same_as_torch(t, g, where="obj"):
    if isinstance(t, torch.Tensor):
        assert isinstance(g, gradlab.Tensor), where
        assert isinstance(t, torch.nn.Parameter) == isinstance(g, nn.Parameter), where
        assert t.requires_grad == g.requires_grad, where
        assert str(t.dtype) == f"torch.{g.dtype.name}" and tuple(t.shape) == tuple(g.shape)
        np.testing.assert_array_equal(t.detach().numpy(), g.detach().numpy(), err_msg=where)
        return
    assert type(t) is type(g), f"{where}: torch {type(t).__name__}, gradlab {type(g).__name__}"
    if isinstance(t, dict):
        assert [(type(k), k) for k in t] == [(type(k), k) for k in g], where
        for k in t:
            same_as_torch(t[k], g[k], f"{where}[{k!r}]")
    elif isinstance(t, (list, tuple)):
        assert len(t) == len(g), where
        for i, (x, y) in enumerate(zip(t, g)):
            same_as_torch(x, y, f"{where}[{i}]")
    elif isinstance(t, float):
        assert repr(t) == repr(g) and math.copysign(1, t) == math.copysign(1, g), where
    else:
        assert t == g, where


@pytest.mark.parametrize("name", ["sgd", "adam"])
def test_torch_save_and_gradlab_save_load_the_same_checkpoint(tmp_path, name):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.BatchNorm1d(5),
                                torch.nn.Linear(5, 3))
    opt = (torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9) if name == "sgd"
           else torch.optim.Adam(model.parameters(), lr=0.01))
    for _ in range(2):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(torch.tensor(X)), torch.tensor(Y)).backward()
        opt.step()
    ckpt = {"epoch": 2, "model_state_dict": model.state_dict(),
            "optimizer_state_dict": opt.state_dict(), "loss": 0.12,
            "edge": [float("nan"), float("-inf"), -0.0, 2**70, True, None, "é", (), [], {},
                     OrderedDict(), (1, [2.5])],
            "int keys": {3: "x", "3": "y"},
            "tensors": (torch.tensor(2.5, dtype=torch.float64), torch.zeros(0, 3),
                        torch.tensor([True, False]), torch.arange(4, dtype=torch.int16),
                        torch.tensor([1, 255], dtype=torch.uint8), torch.ones(2).half()),
            "param": torch.nn.Parameter(torch.ones(2)),
            "grad": torch.ones(2, requires_grad=True)}
    torch.save(ckpt, tmp_path / "torch.pt")
    theirs = torch.load(tmp_path / "torch.pt")  # weights_only=True, torch's default
    gradlab.save(to_gradlab(ckpt), tmp_path / "gradlab.safetensors")
    ours = gradlab.load(tmp_path / "gradlab.safetensors")
    same_as_torch(theirs, ours)


def test_a_torch_file_is_not_a_safetensors_file(tmp_path):
    torch.save({"w": torch.ones(2)}, tmp_path / "torch.pt")
    with pytest.raises(CheckpointError, match="not a safetensors file"):
        gradlab.load(tmp_path / "torch.pt")


# ----------------------------------------------------------------------------- refusals


class Thing:
    pass


class Scheduler:
    def state_dict(self):
        return {}


@pytest.mark.parametrize("obj,what,where,hint", [
    ({"model": nn.Linear(2, 2)}, r"gradlab\.nn\.linear\.Linear \(an nn\.Module\)",
     r"obj\['model'\]", r"gradlab\.save\(model\.state_dict\(\), f\)"),
    ([optim.SGD([nn.Parameter(gradlab.ones(1))], lr=0.1)], r"gradlab\.optim\.sgd\.SGD "
     r"\(an optimizer\)", r"obj\[0\]", r"gradlab\.save\(opt\.state_dict\(\), f\)"),
    ({"a": {"f": lambda x: x}}, "function", r"obj\['a'\]\['f'\]", r"model\.state_dict\(\)"),
    ({"s": {1, 2}}, "set", r"obj\['s'\]", r"opt\.state_dict\(\)"),
    ({"n": [np.float64(1.0)]}, r"numpy\.float64", r"obj\['n'\]\[0\]", r"\.item\(\)"),
    ({3: (np.int64(1),)}, r"numpy\.int64", r"obj\[3\]\[0\]", r"model\.state_dict\(\)"),
    ({"o": Thing()}, r"test_io_save\.Thing", r"obj\['o'\]", r"model\.state_dict\(\)"),
    ({"sched": Scheduler()}, r"test_io_save\.Scheduler", r"obj\['sched'\]",
     r"save obj\['sched'\]\.state_dict\(\) instead"),
    (b"bytes", "bytes", "obj", r"model\.state_dict\(\)"),
    ({"c": 1j}, "complex", r"obj\['c'\]", r"model\.state_dict\(\)"),
])
def test_objects_a_checkpoint_cannot_hold_are_refused(tmp_path, obj, what, where, hint):
    path = tmp_path / "ckpt.safetensors"
    gradlab.save({"w": gradlab.ones(1)}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match=rf"save: cannot save a {what} at {where}: .*{hint}"):
        gradlab.save(obj, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == [path.name]
    buf = io.BytesIO()
    with pytest.raises(TypeError, match=where):
        gradlab.save(obj, buf)
    assert buf.getvalue() == b""  # nothing written


@pytest.mark.parametrize("key,kind", [(1.5, "float"), (True, "bool"), (None, "NoneType"),
                                      ((1, 2), "tuple"), (b"k", "bytes")])
def test_dict_keys_other_than_str_and_int_are_refused(key, kind):
    with pytest.raises(TypeError, match=rf"save: cannot save the dict key {re.escape(repr(key))} "
                                        rf"\(a {kind}\) in obj\['a'\]: .*str and int keys only.*"
                                        r"model\.state_dict\(\)"):
        gradlab.save({"a": {key: 1}}, io.BytesIO())


def test_cycles_arrays_and_arguments_are_refused_clearly(tmp_path):
    loop: list = [1]
    loop.append({"x": loop})
    with pytest.raises(TypeError, match=r"obj\[1\]\['x'\] contains itself"):
        gradlab.save(loop, io.BytesIO())
    with pytest.raises(TypeError, match="'a/0' has dtype complex64, which safetensors cannot"):
        gradlab.save({"a": [np.ones(2, np.complex64)]}, io.BytesIO())
    with pytest.raises(TypeError, match="pass metadata by keyword"):
        gradlab.save({"a": gradlab.ones(1)}, io.BytesIO(), {"k": "v"})
    with pytest.raises(ValueError, match="'gradlab.structure' is reserved"):
        gradlab.save([1], io.BytesIO(), metadata={KEY: "x"})
    with pytest.raises(TypeError, match="text mode"):
        with open(tmp_path / "t.txt", "w") as f:
            gradlab.save([1], f)
    with pytest.raises(TypeError, match="f must be a path .* or a binary file object opened "
                                        "for writing, got int"):
        gradlab.save([1], 3)
    gradlab.save([1], io.BytesIO(), pickle, 4)  # torch.save's arguments, unused


# ----------------------------------------------------------------------------- load arguments


@pytest.mark.parametrize("loc", [None, "cpu", "cpu:0", torch.device("cpu"),
                                 torch.device("cpu", 0), {"cuda:0": "cpu"}, {"cpu": "cpu"},
                                 lambda storage, location: storage,
                                 lambda storage, location: None])
@pytest.mark.parametrize("weights_only", [None, True, False])
def test_map_location_and_weights_only_are_accepted(tmp_path, loc, weights_only):
    obj = {"w": [gradlab.ones(2)], "n": 3}
    gradlab.save(obj, tmp_path / "c.safetensors")
    assert_same(obj, gradlab.load(tmp_path / "c.safetensors", map_location=loc,
                                  weights_only=weights_only))
    assert_same(obj, gradlab.load(tmp_path / "c.safetensors", loc, None, encoding="latin1"))


def test_a_callable_map_location_sees_every_tensor_on_the_cpu(tmp_path):
    seen = []

    def double(storage, location):
        seen.append(location)
        return storage * 2

    gradlab.save({"a": gradlab.ones(2), "b": (gradlab.ones(1),)}, tmp_path / "c.safetensors")
    back = gradlab.load(tmp_path / "c.safetensors", map_location=double)
    assert seen == ["cpu", "cpu"] and back["a"].tolist() == [2.0, 2.0]
    with pytest.raises(TypeError, match="map_location returned a int for 'a', expected a "
                                        "Tensor or None"):
        gradlab.load(tmp_path / "c.safetensors", map_location=lambda s, loc: 3)


@pytest.mark.parametrize("loc", ["cuda", "cuda:0", "mps", torch.device("cuda", 1), "meta",
                                 "cpu:1", "foo", {"cpu": "cuda:0"}])
def test_devices_other_than_the_cpu_are_refused(tmp_path, loc):
    gradlab.save([gradlab.ones(1)], tmp_path / "c.safetensors")
    with pytest.raises(RuntimeError, match=r"load: map_location '.*' asks for a device gradlab "
                                           r"does not have .*computes on the CPU"):
        gradlab.load(tmp_path / "c.safetensors", map_location=loc)


def test_bad_load_arguments_are_refused(tmp_path):
    path = tmp_path / "c.safetensors"
    gradlab.save([gradlab.ones(1)], path)
    with pytest.raises(TypeError, match="map_location must be None, a device string"):
        gradlab.load(path, map_location=5)
    with pytest.raises(TypeError, match="weights_only must be True, False or None"):
        gradlab.load(path, weights_only="yes")
    with pytest.raises(TypeError, match="mmap must be True, False or None"):
        gradlab.load(path, mmap=1)
    with pytest.raises(TypeError, match="unexpected keyword argument 'bogus'"):
        gradlab.load(path, bogus=1)
    with pytest.raises(TypeError, match="pickle_module must be None or a module"):
        gradlab.load(path, None, "pickle")
    with pytest.raises(ValueError, match="f must be a file path in order to use the mmap"):
        gradlab.load(io.BytesIO(path.read_bytes()), mmap=True)
    with pytest.raises(TypeError, match="text mode"):
        with open(path, encoding="latin-1") as f:
            gradlab.load(f)
    with pytest.raises(TypeError, match="f must be a path .* or a binary file object, got int"):
        gradlab.load(3)
    r, w = os.pipe()
    with os.fdopen(r, "rb") as pipe, os.fdopen(w, "wb"):
        with pytest.raises(io.UnsupportedOperation, match="must be seekable"):
            gradlab.load(pipe)


def test_mmap_maps_the_file_copy_on_write(tmp_path):
    path = tmp_path / "c.safetensors"
    obj = {"w": gradlab.arange(12.0).reshape(3, 4), "e": gradlab.zeros(0), "i": gradlab.tensor(7)}
    gradlab.save({"nested": obj}, path)
    before = path.read_bytes()
    back = gradlab.load(path, mmap=True)
    assert_same({"nested": obj}, back)
    base = back["nested"]["w"].numpy()
    while not isinstance(base, np.memmap) and base.base is not None:
        base = base.base
    assert isinstance(base, np.memmap)  # a view of the mapped file, not a copy
    back["nested"]["w"].add_(1)  # writable, and the file does not change
    assert path.read_bytes() == before
    assert gradlab.load(path)["nested"]["w"].equal(obj["w"])


class CountingBytesIO(io.BytesIO):
    def __init__(self, data):
        super().__init__(data)
        self.read_bytes = 0

    def read(self, n=-1):
        out = super().read(n)
        self.read_bytes += len(out)
        return out

    def readinto(self, buf):
        n = super().readinto(buf)
        self.read_bytes += n
        return n


def test_the_reader_reads_the_header_first_then_each_byte_once():
    buf = io.BytesIO()
    gradlab.save({"a": gradlab.ones(1000), "b": [gradlab.zeros(10, dtype=gradlab.int64)]}, buf)
    data = buf.getvalue()
    f = CountingBytesIO(b"prefix" + data)
    f.seek(6)  # read from the current position
    back = gradlab.load(f)
    assert back["a"].sum().item() == 1000 and f.read_bytes == len(data)
    assert f.tell() == len(f.getvalue())
    header_len = 8 + int.from_bytes(data[:8], "little")
    bad = CountingBytesIO(data.replace(b'"F32"', b'"F99"'))
    with pytest.raises(CheckpointError, match="unknown dtype 'F99'"):
        gradlab.load(bad)
    assert bad.read_bytes == header_len  # refused before reading any tensor data


# ----------------------------------------------------------------------------- malformed files


ONE = {"w": np.arange(3)}
OK_NODE = {"dict": [["w", {"tensor": "w"}]]}


@pytest.mark.parametrize("data,pattern", [
    (b"", r"not a safetensors file \(only 0 bytes"),
    (structured(OK_NODE, ONE)[:20], r"header length \d+ exceeds the 12 bytes that follow"),
    (structured(OK_NODE, ONE)[:-1], r"truncated: tensor 'w' needs bytes up to 12 but the file "
                                    r"holds 11"),
    (safetensors_bytes({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 16]}},
                       bytes(16)), r"tensor 'w' has inconsistent data offsets \[0, 16\)"),
    (safetensors_bytes({"w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}},
                       bytes(8)), r"tensor 'w' starts at byte 4 but the data before it ends at 0"),
    (safetensors_bytes({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                        "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}},
                       bytes(8)), r"tensor 'b' starts at byte 4 but the data before it ends at 8"
                                  r": entries must follow each other without gaps or overlaps"),
    (safetensors_bytes({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}},
                       bytes(8)), r"4 trailing bytes after the last tensor"),
    (safetensors_bytes({"w": {"dtype": "f32", "shape": [1], "data_offsets": [0, 4]}},
                       bytes(4)), r"tensor 'w' has unknown dtype 'f32'"),
    (safetensors_bytes({"w": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]}},
                       bytes(2)), r"tensor 'w' has dtype BF16, which gradlab tensors cannot hold"),
    (safetensors_bytes({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}},
                       bytes(4)), r"shape \[-1\], not a list of sizes >= 0"),
    (safetensors_bytes({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0]}}, bytes(4)),
     r"tensor 'w' has no valid data_offsets"),
    (safetensors_bytes({"w": [1, 2]}), r"tensor 'w' is described by \[1, 2\]"),
    (safetensors_bytes({"__metadata__": {"k": 1}}), r"__metadata__ must map strings to strings"),
    (safetensors_bytes([1]), r"the header is not a JSON object"),
    (b"\x08\x00\x00\x00\x00\x00\x00\x00{not jso", r"its header is not JSON"),
    (b"\x10\x00\x00\x00\x00\x00\x00\x00" + b'{"a":{},"a":{}} ', r"key 'a' appears twice"),
    (pickle.dumps({"w": [1.0]}), r"not a safetensors file"),
    (structured({"tensor": "missing"}, ONE), r"bad structure .*obj refers to the tensor entry "
                                            r"'missing', which the file does not hold"),
    (structured({"dict": []}, ONE), r"the structure does not refer to the tensor entries \['w'\]"),
    (structured([{"tensor": "w"}, {"tensor": "w"}], ONE), r"obj\[1\] refers to the tensor "
                                                         r"entry 'w' a second time"),
    (structured({"set": [1]}), r"obj: unknown node \{'set': \.\.\.\}"),
    (structured({"float": "NaN"}), r"float 'NaN' is not 'nan', 'inf' or '-inf'"),
    (structured({"dict": [[1.5, 2]]}), r"dict item \[1.5, 2\] is not a \[str or int key"),
    (structured({"dict": [["a", 1], ["a", 2]]}), r"dict key 'a' appears twice"),
    (structured({"tensor": "w", "requires_grad": 1}, ONE), r"malformed tensor reference"),
    (structured(None, doc={"format": "gradlab.save/9", "obj": None}),
     r"unknown structure format 'gradlab.save/9'"),
    (safetensors_bytes({"__metadata__": {KEY: "{not json"}}), r"bad structure .*not JSON"),
])
def test_malformed_files_give_clear_errors(tmp_path, data, pattern):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(data)
    with pytest.raises(CheckpointError, match=rf"{re.escape(str(path))}: .*{pattern}"):
        gradlab.load(path)
    with pytest.raises(CheckpointError, match=pattern):
        gradlab.load(io.BytesIO(data))


def test_requires_grad_on_an_integer_tensor_is_refused():
    data = safetensors_bytes({"__metadata__": {KEY: json.dumps({
        "format": "gradlab.save/1", "obj": {"tensor": "i", "requires_grad": True}})},
        "i": {"dtype": "I64", "shape": [], "data_offsets": [0, 8]}}, bytes(8))
    with pytest.raises(CheckpointError, match="tensor entry 'i' of dtype gradlab.int64 cannot "
                                              "require grad"):
        gradlab.load(io.BytesIO(data))

