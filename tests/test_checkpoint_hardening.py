"""Checkpoints that can be trusted: every malformed file is refused with CheckpointError (never
a raw KeyError, TypeError, RecursionError, ...) and at least wherever the reference
``safetensors`` library refuses it; tampered training checkpoints stop ``gradlab train
--resume``, ``gradlab compress`` and ``gradlab export`` with CheckpointError naming the key;
saves leave no stale temporary files and keep ``best``/``last`` consistent after a kill."""

from __future__ import annotations

import gc
import io
import json
import os
import pickle
import re
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy as st
from safetensors import safe_open

import gradlab
from gradlab import nn, optim
from gradlab.cli import main
from gradlab.io import CheckpointError
from gradlab.io.checkpoint import remove_stale_temporaries
from gradlab.io.structure import KEY, MAX_DEPTH
from gradlab.train import (
    ModelCheckpoint,
    Trainer,
    load_checkpoint,
    load_training_checkpoint,
)
from gradlab.utils.data import DataLoader, TensorDataset

# ----------------------------------------------------------------------------- the corpus


def raw_file(header_bytes: bytes, data: bytes = b"", pad: bool = True) -> bytes:
    """A safetensors file from the header's bytes as given."""
    if pad:
        header_bytes += b" " * (-len(header_bytes) % 8)
    return len(header_bytes).to_bytes(8, "little") + header_bytes + data


def file_of(header, data: bytes = b"") -> bytes:
    return raw_file(json.dumps(header).encode(), data)


def entry(dtype="F32", shape=(2,), offsets=(0, 8)):
    return {"dtype": dtype, "shape": list(shape), "data_offsets": list(offsets)}


def structured(doc_text: str, header=None, data: bytes = b"") -> bytes:
    return file_of({"__metadata__": {KEY: doc_text}, **(header or {})}, data)


GOOD = file_of({"a": entry()}, bytes(8))
EIGHT = bytes(8)


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps({"w": [1.0]}))
    return buf.getvalue()


# (name, file bytes, what gradlab's message says, the reference's verdict, note)
# verdict: "rejects" or "accepts" (reference_verdict); where the reference accepts, the note
# says why gradlab is stricter.
CORPUS = [
    ("empty file", b"", r"only 0 bytes", "rejects", ""),
    ("5 bytes", GOOD[:5], r"only 5 bytes", "rejects", ""),
    ("header length past the end", (100).to_bytes(8, "little") + b"{}",
     r"header length 100 exceeds the 2 bytes", "rejects", ""),
    ("huge header length", (2**63 + 5).to_bytes(8, "little") + b"{}",
     r"header length 9223372036854775813 exceeds the 100000000-byte bound", "rejects", ""),
    ("header length 0", (0).to_bytes(8, "little") + EIGHT, r"header is not JSON", "rejects",
     ""),
    ("truncated data", GOOD[:-3], r"truncated: tensor 'a' needs bytes up to 8 but the file "
                                  r"holds 5", "rejects", ""),
    ("truncated header", GOOD[:12], r"header length \d+ exceeds the 4 bytes", "rejects", ""),
    ("not UTF-8", raw_file(b'{"\xff\xfe": 1}'), r"header is not UTF-8", "rejects", ""),
    ("not JSON", raw_file(b'{"a": '), r"header is not JSON", "rejects", ""),
    ("UTF-8 byte order mark", raw_file(b'\xef\xbb\xbf{"a":' + json.dumps(entry()).encode()
                                       + b"}", EIGHT), r"header is not JSON", "rejects", ""),
    ("NUL bytes after the JSON", raw_file(b'{"a":' + json.dumps(entry()).encode() + b"}\0\0\0",
                                          EIGHT, pad=False), r"header is not JSON: Extra data",
     "rejects", ""),
    ("lone surrogate in a name", raw_file(b'{"\\ud800x":' + json.dumps(entry()).encode()
                                          + b"}", EIGHT),
     r"the string '\\ud800x' holds a lone surrogate escape", "rejects", ""),
    ("JSON list", file_of([1, 2]), r"header is not a JSON object \(it is a JSON list\)",
     "rejects", ""),
    ("JSON string", file_of("a"), r"header is not a JSON object \(it is a JSON str\)",
     "rejects", ""),
    ("NaN literal", raw_file(b'{"__metadata__": {"a": NaN}}'), r"NaN is not JSON", "rejects",
     ""),
    ("duplicate entry names",
     raw_file(b'{"a":' + json.dumps(entry()).encode() + b',"a":'
              + json.dumps(entry()).encode() + b"}", EIGHT),
     r"key 'a' appears twice", "accepts",
     "the reference keeps the last of two entries with one name"),
    ("duplicate field in an entry",
     raw_file(b'{"a":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}}', EIGHT),
     r"key 'dtype' appears twice", "rejects", ""),
    ("duplicate metadata key with ':' in strings",
     raw_file(b'{"__metadata__":{"k":"a:b","k":"c"}}'), r"key 'k' appears twice", "accepts",
     "the reference keeps the last of two metadata values with one key"),
    ("unknown dtype", file_of({"a": entry("F33")}, EIGHT), r"unknown dtype 'F33'", "rejects",
     ""),
    ("dtype a number", file_of({"a": entry(3)}, EIGHT), r"unknown dtype 3", "rejects", ""),
    ("dtype a list", file_of({"a": entry(["F32"])}, EIGHT), r"unknown dtype \[\"F32\"\]",
     "rejects", ""),
    ("dtype an object", file_of({"a": entry({"F32": 1})}, EIGHT),
     r"unknown dtype \{\"F32\": 1\}", "rejects", ""),
    ("no dtype", file_of({"a": {"shape": [2], "data_offsets": [0, 8]}}, EIGHT),
     r"tensor 'a' has no dtype", "rejects", ""),
    ("U16 (no gradlab dtype)", file_of({"a": entry("U16", (4,))}, EIGHT),
     r"dtype U16, which gradlab tensors cannot hold", "accepts",
     "gradlab has no uint16 tensors (as torch before 2.3), so it names the dtype it lacks"),
    ("BF16 (no gradlab dtype)", file_of({"a": entry("BF16", (4,))}, EIGHT),
     r"dtype BF16, which gradlab tensors cannot hold", "accepts",
     "gradlab has no bfloat16 tensors, so it names the dtype it lacks"),
    ("negative shape", file_of({"a": entry(shape=(-2,))}, EIGHT),
     r"shape \[-2\], not a list of sizes >= 0", "rejects", ""),
    ("float shape", file_of({"a": entry(shape=(2.0,))}, EIGHT),
     r"shape \[2.0\], not a list", "rejects", ""),
    ("bool shape", file_of({"a": entry(shape=(True, True))}, EIGHT),
     r"shape \[true, true\], not a list", "rejects", ""),
    ("shape not a list", file_of({"a": {**entry(), "shape": 2}}, EIGHT),
     r"shape 2, not a list", "rejects", ""),
    ("shape overflowing 64 bits", file_of({"a": entry(shape=(2**62, 2**62))}, EIGHT),
     r"inconsistent data offsets \[0, 8\) for shape", "rejects", ""),
    ("int of 5000 digits", raw_file(b'{"a":{"dtype":"F32","shape":[' + b"1" * 5000
                                    + b'],"data_offsets":[0,8]}}', EIGHT),
     r"header is not JSON: Exceeds the limit", "rejects", ""),
    ("offsets reversed", file_of({"a": entry(offsets=(8, 0))}, EIGHT),
     r"invalid data_offsets \[8, 0\)", "rejects", ""),
    ("offsets floats", file_of({"a": entry(offsets=(0.0, 8.0))}, EIGHT),
     r"no valid data_offsets \(got \[0.0, 8.0\]", "rejects", ""),
    ("offsets bools", file_of({"a": entry(shape=(0,), offsets=(False, False))}),
     r"no valid data_offsets \(got \[false, false\]", "rejects", ""),
    ("offsets strings", file_of({"a": entry(offsets=("0", "8"))}, EIGHT),
     r"no valid data_offsets", "rejects", ""),
    ("three offsets", file_of({"a": entry(offsets=(0, 8, 8))}, EIGHT),
     r"no valid data_offsets \(got \[0, 8, 8\]", "rejects", ""),
    ("negative offsets", file_of({"a": entry(shape=(0,), offsets=(-1, -1))}),
     r"invalid data_offsets \[-1, -1\)", "rejects", ""),
    ("offsets past 2**64", file_of({"a": entry(shape=(0,), offsets=(2**70, 2**70))}),
     r"starts at byte 1180591620717411303424 but the data before it ends at 0", "rejects", ""),
    ("overlapping entries", file_of({"a": entry(), "b": entry(offsets=(4, 12))}, bytes(12)),
     r"tensor 'b' starts at byte 4 but the data before it ends at 8", "rejects", ""),
    ("gap between entries", file_of({"a": entry(), "b": entry(offsets=(12, 20))}, bytes(20)),
     r"tensor 'b' starts at byte 12 but the data before it ends at 8", "rejects", ""),
    ("offsets out of range", file_of({"a": entry()}, bytes(4)),
     r"truncated: tensor 'a' needs bytes up to 8 but the file holds 4", "rejects", ""),
    ("bytes mismatch", file_of({"a": entry(shape=(3,))}, EIGHT),
     r"inconsistent data offsets \[0, 8\) for shape \[3\] and dtype F32 \(which take 12 "
     r"bytes\)", "rejects", ""),
    ("trailing garbage", GOOD + b"junk", r"4 trailing bytes after the last tensor", "rejects",
     ""),
    ("entry not an object", file_of({"a": [1, 2]}), r"tensor 'a' is described by \[1, 2\]",
     "rejects", ""),
    ("metadata a list", file_of({"__metadata__": [1]}),
     r"__metadata__ must map strings to strings, got a JSON list", "rejects", ""),
    ("metadata value a number", file_of({"__metadata__": {"k": 1}}),
     r"'k' maps to 1", "rejects", ""),
    ("metadata value an object", file_of({"__metadata__": {"k": {"x": 1}}}),
     r"'k' maps to \{\"x\": 1\}", "rejects", ""),
    ("header nested 100,000 deep", raw_file(b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
     r"header is not JSON: nested too deeply", "rejects", ""),
    ("structure nested 100,000 deep",
     structured('{"format":"gradlab.save/1","obj":' + "[" * 100_000 + "]" * 100_000 + "}"),
     r"bad structure .*not JSON: .*recursion", "accepts",
     "the reference does not read gradlab's structure document"),
    ("structure nested 101 containers",
     structured('{"format":"gradlab.save/1","obj":' + "[" * 101 + "]" * 101 + "}"),
     rf"nested deeper than {MAX_DEPTH} containers", "accepts",
     "the reference does not read gradlab's structure document"),
    ("structure not JSON", structured("{"), r"bad structure .*not JSON", "accepts",
     "the reference does not read gradlab's structure document"),
    ("structure a JSON list", structured("[1]"),
     r"the structure is not an object with keys 'format' and 'obj'", "accepts",
     "the reference does not read gradlab's structure document"),
    ("structure format a list", structured('{"format":[1],"obj":1}'),
     r"unknown structure format \[1\]", "accepts",
     "the reference does not read gradlab's structure document"),
    ("structure node of unknown type", structured('{"format":"gradlab.save/1","obj":{"x":1}}'),
     r"obj: unknown node \{'x': \.\.\.\}", "accepts",
     "the reference does not read gradlab's structure document"),
    ("structure tuple not a list", structured('{"format":"gradlab.save/1","obj":{"tuple":3}}'),
     r"obj: unknown node \{'tuple': \.\.\.\}", "accepts",
     "the reference does not read gradlab's structure document"),
    ("structure dict key a list",
     structured('{"format":"gradlab.save/1","obj":{"dict":[[[1],2]]}}'),
     r"dict item \[\[1\], 2\] is not a \[str or int key", "accepts",
     "the reference does not read gradlab's structure document"),
    ("structure refers to a missing tensor",
     structured('{"format":"gradlab.save/1","obj":{"tensor":"zz"}}'),
     r"refers to the tensor entry 'zz', which the file does not hold", "accepts",
     "the reference does not read gradlab's structure document"),
    ("structure requires_grad a string",
     structured('{"format":"gradlab.save/1","obj":{"tensor":"a","requires_grad":"yes"}}',
                {"a": entry()}, EIGHT),
     r"malformed tensor reference", "accepts",
     "the reference does not read gradlab's structure document"),
    ("a pickle (torch.save's format)", pickle.dumps({"w": [1.0, 2.0]}),
     r"not a safetensors file", "rejects", ""),
    ("a zip archive", _zip(), r"not a safetensors file", "rejects", ""),
]


def reference_verdict(path: Path) -> str:
    """The reference reader's verdict on the file's format: ``safe_open`` checks the whole
    header and the file's length before it lists the entries. (Whether ``load_file`` then
    makes a NumPy array of a BF16 entry depends on whether ``ml_dtypes`` was imported, so it is
    not asked.)"""
    try:
        with safe_open(str(path), framework="numpy") as f:
            f.keys()
            f.metadata()
    except Exception:  # the reference's own errors (SafetensorError, ...)
        return "rejects"
    return "accepts"


@pytest.mark.parametrize("name,data,pattern,reference,note", CORPUS,
                         ids=[c[0] for c in CORPUS])
def test_corrupt_files_raise_checkpoint_error(tmp_path, name, data, pattern, reference, note):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(data)
    assert reference_verdict(path) == reference, "the table's reference verdict is stale"
    assert (reference == "accepts") == bool(note)  # every stricter verdict says why
    sys_limit = sys.getrecursionlimit()
    with pytest.raises(CheckpointError, match=rf"^{re.escape(str(path))}: .*{pattern}"):
        gradlab.load(path)
    with pytest.raises(CheckpointError, match=pattern):
        gradlab.load(path, mmap=True)
    with pytest.raises(CheckpointError, match=pattern):
        gradlab.load(io.BytesIO(data))
    assert sys.getrecursionlimit() == sys_limit


def test_the_corpus_is_broad_and_the_good_file_loads(tmp_path):
    assert len(CORPUS) >= 25
    path = tmp_path / "good.safetensors"
    path.write_bytes(GOOD)
    assert reference_verdict(path) == "accepts"
    assert gradlab.load(path)["a"].tolist() == [0.0, 0.0]


def test_colons_in_strings_and_many_empty_tensors_load(tmp_path):
    # a header whose strings hold ':' takes the slower duplicate check: still accepted
    data = file_of({"__metadata__": {"a:b": "c:d", "e": "::"}, "x:y": entry()}, EIGHT)
    obj, meta = gradlab.load(io.BytesIO(data), with_metadata=True)
    assert list(obj) == ["x:y"] and meta == {"a:b": "c:d", "e": "::"}
    n = 20_000  # the shape of a many-entry header, small
    header = {f"t{i}": entry(shape=(0, 3), offsets=(0, 0)) for i in range(n)}
    header["w"] = entry("I64", (2,), (0, 16))
    path = tmp_path / "many.safetensors"
    path.write_bytes(file_of(header, np.array([7, -7], "<i8").tobytes()))
    assert path.stat().st_size > 2**20  # a header read with the cycle collector paused
    out = gradlab.load(path)
    assert len(out) == n + 1 and out["t0"].shape == (0, 3) and out["w"].tolist() == [7, -7]
    assert gc.isenabled()  # and enabled again after
    ref = st.load_file(str(path))
    assert len(ref) == n + 1 and ref["t123"].shape == (0, 3)


def test_loaded_tensors_own_their_memory_and_mmap_survives_replacement(tmp_path):
    path = tmp_path / "w.safetensors"
    w = np.arange(1000, dtype=np.float32).reshape(10, 100)
    gradlab.save({"w": w, "i": np.arange(3, dtype=np.int16)}, path)
    owned = gradlab.load(path)
    mapped = gradlab.load(path, mmap=True)
    assert isinstance(owned["w"].array.base, (type(None), np.ndarray))  # not a map
    assert not isinstance(owned["w"].array.base, np.memmap)
    gradlab.save({"w": np.zeros((10, 100), np.float32), "i": np.zeros(3, np.int16)}, path)
    os.unlink(path)  # replaced, then removed: neither copy nor map sees a change
    for out in (owned, mapped):
        np.testing.assert_array_equal(out["w"].numpy(), w)
        assert out["i"].tolist() == [0, 1, 2]
    mapped["w"].array[0, 0] = -1.0  # copy-on-write: the map is private
    assert mapped["w"].array[0, 0] == -1.0


# ----------------------------------------------------------------------------- saves


def _dead_pid() -> int:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    return int(child.stdout)


def test_a_killed_save_leaves_a_temporary_file_the_next_save_removes(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    code = ("import os, sys, gradlab, numpy as np\n"
            "os.replace = lambda *a: os._exit(9)  # killed between the write and the rename\n"
            "gradlab.save({'w': np.ones(1000, np.float32)}, sys.argv[1])\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(Path(gradlab.__file__).parents[1]), os.environ.get("PYTHONPATH", "")])}
    rc = subprocess.run([sys.executable, "-c", code, str(path)], env=env).returncode
    assert rc == 9
    (left,) = os.listdir(tmp_path)
    assert re.fullmatch(r"ckpt\.safetensors\.\d+\.[0-9a-f]{8}\.tmp", left)
    # files that are not stale temporaries of the target stay
    dead = _dead_pid()
    keep = ["ckpt.safetensors.tmp", "notes.tmp", f"ckpt.safetensors.{dead}.xyz.tmp",
            f"other.safetensors.{dead}.0123abcd.tmp",  # another target's (a run folder's)
            f"ckpt.safetensors.{os.getppid()}.0123abcd.tmp"]  # a live process's
    for name in keep:
        (tmp_path / name).write_bytes(b"user data")
    (tmp_path / f"ckpt.safetensors.{os.getpid()}.00000000.tmp").write_bytes(b"")  # ours, idle
    gradlab.save({"w": np.zeros(2, np.float32)}, path)
    assert sorted(os.listdir(tmp_path)) == sorted(keep + ["ckpt.safetensors"])
    # a run folder: every stale temporary, of any target, goes at load time
    removed = remove_stale_temporaries(tmp_path)
    assert [os.path.basename(p) for p in removed] == [f"other.safetensors.{dead}.0123abcd.tmp"]


def test_save_flushes_the_directory_after_the_rename(tmp_path, monkeypatch):
    calls = []
    real = os.fsync

    def fsync(fd):
        calls.append(stat.S_ISDIR(os.fstat(fd).st_mode))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    gradlab.save({"w": np.ones(3, np.float32)}, tmp_path / "w.safetensors")
    assert calls == [False, True]  # the file, then its directory


def test_nesting_deeper_than_the_bound_is_refused_at_save(tmp_path):
    obj: list = []
    inner = obj
    for _ in range(MAX_DEPTH - 2):
        inner.append([])
        inner = inner[0]
    gradlab.save({"x": obj}, tmp_path / "ok")  # {"x": ...} is one more: exactly the bound
    assert gradlab.load(tmp_path / "ok")["x"] == obj
    with pytest.raises(ValueError, match=rf"nested {MAX_DEPTH + 1} containers deep; a "
                                         rf"checkpoint nests at most {MAX_DEPTH}"):
        gradlab.save({"x": [obj]}, tmp_path / "deep")


# ----------------------------------------------------------------------------- best and last


class Killed(BaseException):
    """A kill -9 stand-in: nothing after it runs."""


def _run(ckdir: Path, epochs: int, kill_after_writes: int | None = None,
         resume: bool = False) -> Trainer:
    gradlab.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 6)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    train = DataLoader(TensorDataset(gradlab.from_numpy(x[:64]), gradlab.from_numpy(y[:64])),
                       batch_size=16, shuffle=True)
    val = DataLoader(TensorDataset(gradlab.from_numpy(x[64:]), gradlab.from_numpy(y[64:])),
                     batch_size=32)
    model = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 2))
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.2),
                      callbacks=[ModelCheckpoint(ckdir)])
    if kill_after_writes is not None:
        real, writes = trainer.save_checkpoint, []

        def save(path):
            real(path)
            writes.append(path)
            if len(writes) == kill_after_writes:
                raise Killed
        trainer.save_checkpoint = save
    trainer.fit(train, val, epochs=epochs,
                resume_from=ckdir / "last.safetensors" if resume else None)
    return trainer


def _weights(ckpt: dict) -> dict:
    return {k: v.array for k, v in ckpt["model"].items()}


def test_a_kill_between_the_best_and_last_writes_resumes_consistent(tmp_path):
    epochs = 3
    straight = _run(tmp_path / "straight", epochs)
    best = load_checkpoint(tmp_path / "straight" / "best.safetensors")
    assert best["epoch"] == epochs  # the last epoch is the best: its two writes matter
    # killed right after the first of the last epoch's two writes (2 per epoch before)
    with pytest.raises(Killed):
        _run(tmp_path / "killed", epochs, kill_after_writes=2 * epochs - 1)
    resumed = _run(tmp_path / "killed", epochs, resume=True)
    for name in ("best", "last"):
        a = load_checkpoint(tmp_path / "straight" / f"{name}.safetensors")
        b = load_checkpoint(tmp_path / "killed" / f"{name}.safetensors")
        assert a["epoch"] == b["epoch"] == epochs, name
        wa, wb = _weights(a), _weights(b)
        assert all(np.array_equal(wa[k], wb[k]) for k in wa), name
        assert a["callbacks"] == b["callbacks"], name
    wa, wb = straight.model.state_dict(), resumed.model.state_dict()
    assert all(np.array_equal(wa[k].array, wb[k].array) for k in wa)


# ----------------------------------------------------------------------------- tampering


@pytest.fixture(scope="module")
def run_file(tmp_path_factory):
    out = tmp_path_factory.mktemp("tamper") / "run"
    with gradlab.backend.num_threads(1):
        rc = main(["train", "--model", "mlp", "--epochs", "1", "--out", str(out), "--no-plot"])
    assert rc == 0
    return out / "last.safetensors"


def tampered(src: Path, dst: Path, edit) -> Path:
    """``src`` rewritten with ``edit(doc, tensors)`` applied to its parsed state document and
    its tensors (an OrderedDict of arrays)."""
    tensors, meta = gradlab.io.load(src, with_metadata=True)
    arrays = {k: v.array for k, v in tensors.items()}
    doc = json.loads(meta["gradlab.train"])
    edit(doc, arrays)
    meta["gradlab.train"] = json.dumps(doc) if not isinstance(doc, str) else doc
    dst.parent.mkdir(parents=True, exist_ok=True)
    gradlab.save(arrays, dst, metadata=meta)
    return dst


def _deep(doc, _):
    doc["extra"]["deep"] = json.loads("[" * 500 + "]" * 500)


def _very_deep(doc, _):
    # as text: deeper than any JSON parser's recursion limit
    raise _Text('"extra": {"deep": ' + "[" * 100_000 + "]" * 100_000 + "}")


class _Text(Exception):
    pass


def _resize(key, shape):
    def edit(doc, arrays):
        arrays[key] = np.zeros(shape, arrays[key].dtype)
    return edit


TAMPER = [
    ("required key removed", lambda d, a: d.pop("rng"), r"the checkpoint has no 'rng'"),
    ("model tensor removed", lambda d, a: a.pop("model/layers.4.bias"),
     r"the model's 'layers.4.bias' is listed but its tensor 'model/layers.4.bias' is not in "
     r"the file"),
    ("setting removed", lambda d, a: d["extra"]["gradlab_train"].pop("seed"),
     r"'extra/gradlab_train' has no 'seed'"),
    ("epoch a string", lambda d, a: d.update(epoch="1"), r"'epoch' must be an int >= 0"),
    ("history a dict", lambda d, a: d.update(history={"a": 1}),
     r"'history' must be a list, got a dict"),
    ("param_groups a number", lambda d, a: d["optimizer"].update(param_groups=5),
     r"'optimizer/param_groups' must be a list"),
    ("setting of the wrong type", lambda d, a: d["extra"]["gradlab_train"].update(lr="fast"),
     r"'extra/gradlab_train/lr' must be int or float, got 'fast'"),
    ("numpy stream state broken", lambda d, a: d["rng"]["numpy"]["state"].update(key=[1, 2]),
     r"'rng/numpy' is not a state of its random generator"),
    ("tensor reference to nothing",
     lambda d, a: d["optimizer"]["state"]["__dict__"][0][1].update(
         exp_avg={"__tensor__": "nowhere"}),
     r"optimizer/state/0/exp_avg: refers to the tensor entry 'nowhere'"),
    ("weight of the wrong shape", _resize("model/layers.1.weight", (3, 3)),
     r"'model/layers.1.weight' has shape \[3, 3\], but MLP has \[\d+, \d+\]"),
    ("nested 500 deep", _deep, rf"nested deeper than {MAX_DEPTH} containers"),
]


def _refused(argv, capsys, pattern):
    """``gradlab ARGV`` fails with CheckpointError (raised, or printed as one line with exit
    status 2) whose message matches ``pattern``; any other exception fails the test."""
    try:
        rc = main(argv)
    except CheckpointError as exc:
        capsys.readouterr()
        message = str(exc)
    else:
        out, err = capsys.readouterr()
        assert rc == 2, (rc, out, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        message = lines[0]
    assert re.search(pattern, message), message


@pytest.mark.parametrize("name,edit,pattern", TAMPER, ids=[t[0] for t in TAMPER])
def test_tampered_training_checkpoints_stop_every_command(run_file, tmp_path, capsys, name,
                                                          edit, pattern):
    bad = tampered(run_file, tmp_path / "run" / "last.safetensors", edit)
    with pytest.raises(CheckpointError, match=pattern):
        load_training_checkpoint(bad, model=_mlp())
    with gradlab.backend.num_threads(1):
        _refused(["train", "--resume", str(bad), "--no-plot"], capsys, pattern)
        _refused(["compress", str(bad), "--prune", "0.5"], capsys, pattern)
        _refused(["export", str(bad), "--onnx", str(tmp_path / "m.onnx")], capsys, pattern)
    assert not (tmp_path / "m.onnx").exists()


def _mlp():
    from gradlab.train import recipes

    return recipes.build_model("mlp", "digits")


def test_a_structure_too_deep_for_the_json_parser_stops_every_command(run_file, tmp_path,
                                                                      capsys):
    tensors, meta = gradlab.io.load(run_file, with_metadata=True)
    text = meta["gradlab.train"]
    meta["gradlab.train"] = text[:-1] + ', "deep": ' + "[" * 100_000 + "]" * 100_000 + "}"
    bad = tmp_path / "run" / "last.safetensors"
    bad.parent.mkdir()
    gradlab.save({k: v.array for k, v in tensors.items()}, bad, metadata=meta)
    pattern = r"metadata 'gradlab.train' is not JSON: nested too deeply"
    with gradlab.backend.num_threads(1):
        _refused(["train", "--resume", str(bad), "--no-plot"], capsys, pattern)
        _refused(["compress", str(bad), "--prune", "0.5"], capsys, pattern)
        _refused(["export", str(bad), "--onnx", str(tmp_path / "m.onnx")], capsys, pattern)


def test_optimizer_state_of_the_wrong_shape_is_refused_before_anything_loads(run_file,
                                                                             tmp_path):
    bad = tampered(run_file, tmp_path / "bad.safetensors",
                   _resize("optimizer/state/2/exp_avg_sq", (4,)))
    model = _mlp()
    opt = optim.Adam(model.parameters(), lr=1e-3)
    before = {k: v.array.copy() for k, v in model.state_dict().items()}
    with pytest.raises(CheckpointError, match=r"'optimizer/state/2/exp_avg_sq' has shape "
                                              r"\[4\], but parameter 2 has \[\d+, \d+\]"):
        load_training_checkpoint(bad, model=model, optimizer=opt)
    assert all(np.array_equal(v.array, before[k]) for k, v in model.state_dict().items())
    assert opt.state == {} or not any(opt.state.values())
    with pytest.raises(CheckpointError, match=r"'optimizer/param_groups' has 1 groups, the "
                                              r"optimizer 2"):
        load_training_checkpoint(run_file, model=model, optimizer=optim.SGD(
            [{"params": list(model.parameters())[:2]},
             {"params": list(model.parameters())[2:]}], lr=0.1))
    good = load_training_checkpoint(run_file, model=model, optimizer=opt)
    assert good["epoch"] == 1 and opt.state_dict()["state"][0]["step"] == 41.0


def test_a_pickle_named_like_a_checkpoint_runs_no_code(tmp_path, capsys):
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (os.mkdir, (str(marker),))

    bad = tmp_path / "run" / "last.safetensors"
    bad.parent.mkdir()
    bad.write_bytes(pickle.dumps({"model": Payload()}))
    with pytest.raises(CheckpointError, match="not a safetensors file"):
        load_training_checkpoint(bad)
    _refused(["compress", str(bad), "--prune", "0.5"], capsys, "not a safetensors file")
    assert not marker.exists()
