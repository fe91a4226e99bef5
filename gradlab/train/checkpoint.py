"""Training checkpoints: everything needed to resume a run bit for bit, in one safetensors file.

A checkpoint holds the model's ``state_dict``, the optimizer's and the scheduler's
``state_dict``, the epoch, the history, the callbacks' states and every random stream (gradlab's
global generator, each DataLoader's generator, NumPy's and Python's global ones). It is written
with :func:`gradlab.io.save`, so atomically (temporary file, then rename: a run killed while
saving leaves the previous checkpoint intact) and without pickle (loading runs no code).

Layout: tensors are safetensors entries named by their path in the nested state
(``model/conv1.weight``, ``optimizer/state/0/exp_avg``); everything else (numbers, strings,
lists, the nesting itself) is JSON in the metadata entry ``gradlab.train``, where each tensor
appears as ``{"__tensor__": "<entry name>"}``. JSON cannot express tuples, dicts with non-string
keys (the optimizer's ``state`` is keyed by parameter index), non-finite floats or NumPy
scalars; they are written as tagged objects (``__tuple__``, ``__dict__``, ``__float__``,
``__scalar__``) so that a state comes back with the same Python types it was saved with.
"""

from __future__ import annotations

import json
import math
import os
import random
import warnings
from collections import OrderedDict
from typing import Any

import numpy as np

from .. import backend
from ..backend import Generator
from ..io import load, save
from ..io.checkpoint import atomic_write  # noqa: F401  (callbacks, plots and the CLI use it)
from ..tensor import Tensor

FORMAT = "gradlab.train.checkpoint/1"
_META_KEY = "gradlab.train"
_TAGS = ("__tensor__", "__ndarray__", "__scalar__", "__tuple__", "__dict__", "__float__")


# ----------------------------------------------------------------------------- encoding


class _Encoder:
    """Turns a nested state into JSON-able data, moving arrays into ``self.tensors``."""

    def __init__(self) -> None:
        self.tensors: OrderedDict[str, Any] = OrderedDict()

    def _key(self, path: str) -> str:
        key, i = path, 1
        while key in self.tensors:
            key, i = f"{path}#{i}", i + 1
        return key

    def encode(self, obj: Any, path: str) -> Any:
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, Tensor):
            key = self._key(path)
            self.tensors[key] = obj.array
            return {"__tensor__": key}
        if isinstance(obj, np.ndarray):
            key = self._key(path)
            self.tensors[key] = obj
            return {"__ndarray__": key}
        if isinstance(obj, np.generic):
            key = self._key(path)
            self.tensors[key] = np.asarray(obj)
            return {"__scalar__": key}
        if isinstance(obj, int):
            return int(obj)
        if isinstance(obj, float):
            return float(obj) if math.isfinite(obj) else {"__float__": repr(float(obj))}
        if isinstance(obj, tuple):
            return {"__tuple__": [self.encode(v, f"{path}/{i}") for i, v in enumerate(obj)]}
        if isinstance(obj, list):
            return [self.encode(v, f"{path}/{i}") for i, v in enumerate(obj)]
        if isinstance(obj, dict):
            if all(isinstance(k, str) for k in obj) and not any(k in _TAGS for k in obj):
                return {k: self.encode(v, f"{path}/{k}") for k, v in obj.items()}
            return {"__dict__": [[self.encode(k, f"{path}/key{i}"),
                                  self.encode(v, f"{path}/{k}")]
                                 for i, (k, v) in enumerate(obj.items())]}
        raise TypeError(f"checkpoint: cannot store a {type(obj).__name__} at '{path}' (only "
                        "tensors, arrays, numbers, strings, None, lists, tuples and dicts)")


def _decode(obj: Any, tensors: dict) -> Any:
    if isinstance(obj, list):
        return [_decode(v, tensors) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if len(obj) == 1:
        (tag, v), = obj.items()
        if tag == "__tensor__":
            return tensors[v]
        if tag == "__ndarray__":
            return tensors[v].array
        if tag == "__scalar__":
            return tensors[v].array[()]
        if tag == "__tuple__":
            return tuple(_decode(x, tensors) for x in v)
        if tag == "__dict__":
            return {_hashable(_decode(k, tensors)): _decode(x, tensors) for k, x in v}
        if tag == "__float__":
            return float(v)
    return {k: _decode(v, tensors) for k, v in obj.items()}


def _hashable(k: Any) -> Any:
    return tuple(_hashable(v) for v in k) if isinstance(k, (list, tuple)) else k


# ----------------------------------------------------------------------------- random streams


def capture_rng_state(generators: dict[str, Generator] | None = None) -> dict:
    """The state of every random stream a training run can draw from: gradlab's global
    generator, the given named :class:`~gradlab.Generator` objects (e.g. a DataLoader's), and
    NumPy's and Python's global generators (used by user transforms)."""
    np_state = np.random.get_state(legacy=False)
    return {"gradlab": backend.get_rng_state(),
            "generators": {name: g.get_state() for name, g in (generators or {}).items()},
            "numpy": {**np_state, "state": {"key": np_state["state"]["key"].tolist(),
                                            "pos": int(np_state["state"]["pos"])}},
            "python": random.getstate()}


def restore_rng_state(state: dict, generators: dict[str, Generator] | None = None) -> None:
    """Put every stream back as :func:`capture_rng_state` saw it. A named generator that is in
    the checkpoint but not given (or the reverse) is reported with a warning: the run can go
    on, but it will not repeat the original one."""
    backend.set_rng_state(state["gradlab"])
    generators = generators or {}
    saved = state.get("generators", {})
    for name, g in generators.items():
        if name in saved:
            g.set_state(saved[name])
    missing = sorted(set(saved) - set(generators))
    new = sorted(set(generators) - set(saved))
    if missing or new:
        warnings.warn("resuming with different random generators than the checkpoint "
                      f"(in the checkpoint only: {missing or 'none'}; new: {new or 'none'}); "
                      "the resumed run will not repeat the original one", stacklevel=3)
    np_state = state["numpy"]
    np.random.set_state({**np_state, "state": {
        "key": np.asarray(np_state["state"]["key"], dtype=np.uint32),
        "pos": np_state["state"]["pos"]}})
    random.setstate(_tupled(state["python"]))


def _tupled(x: Any) -> Any:
    return tuple(_tupled(v) for v in x) if isinstance(x, (list, tuple)) else x


def loader_generators(loader: Any, name: str) -> dict[str, Generator]:
    """The gradlab Generators a DataLoader draws from (its ``generator``, its sampler's and its
    batch sampler's sampler's), named ``<name>.generator`` etc.; each object once."""
    found: dict[str, Generator] = {}
    seen: set[int] = set()
    for attr_path in ("generator", "sampler.generator", "batch_sampler.sampler.generator"):
        obj = loader
        for attr in attr_path.split("."):
            obj = getattr(obj, attr, None)
            if obj is None:
                break
        if isinstance(obj, Generator) and id(obj) not in seen:
            seen.add(id(obj))
            found[f"{name}.{attr_path}"] = obj
    return found


# ----------------------------------------------------------------------------- files


def save_checkpoint(path: str | os.PathLike, *, model: Any, optimizer: Any = None,
                    scheduler: Any = None, epoch: int = 0, global_step: int = 0,
                    history: list | None = None, rng: dict | None = None,
                    callbacks: dict | None = None, extra: dict | None = None) -> None:
    """Write a training checkpoint atomically (see the module docstring for the layout).

    ``rng`` is a :func:`capture_rng_state` result (taken now, without named generators, when
    None); ``callbacks`` maps names to callback ``state_dict()`` s; ``extra`` is any further
    JSON-able state (tensors allowed) to keep with the run.
    """
    enc = _Encoder()
    state = {
        "epoch": int(epoch),
        "global_step": int(global_step),
        "optimizer": enc.encode(optimizer.state_dict(), "optimizer")
        if optimizer is not None else None,
        "scheduler": enc.encode(scheduler.state_dict(), "scheduler")
        if scheduler is not None else None,
        "history": enc.encode(list(history or []), "history"),
        "rng": enc.encode(rng if rng is not None else capture_rng_state(), "rng"),
        "callbacks": enc.encode(dict(callbacks or {}), "callbacks"),
        "extra": enc.encode(dict(extra or {}), "extra"),
    }
    model_state = model.state_dict() if hasattr(model, "state_dict") else model
    tensors: OrderedDict[str, Any] = OrderedDict(
        (f"model/{k}", v) for k, v in model_state.items())
    tensors.update(enc.tensors)
    meta = {"format": FORMAT,
            "model_keys": json.dumps(list(model_state)),
            _META_KEY: json.dumps(state, separators=(",", ":"), allow_nan=False)}
    save(tensors, path, metadata=meta)


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Read a checkpoint written by :func:`save_checkpoint`.

    Returns a dict with ``model`` (an ordered ``state_dict`` of Tensors), ``optimizer``,
    ``scheduler`` (their ``state_dict`` s or None), ``epoch``, ``global_step``, ``history``,
    ``rng``, ``callbacks`` and ``extra``. A safetensors file that is not a training checkpoint
    raises ValueError.
    """
    tensors, meta = load(path, with_metadata=True)
    if meta.get("format") != FORMAT or _META_KEY not in meta:
        raise ValueError(f"{os.fspath(path)}: not a gradlab training checkpoint (expected "
                         f"metadata format {FORMAT!r}, found {meta.get('format')!r}); plain "
                         "weights load with gradlab.load()")
    state = _decode(json.loads(meta[_META_KEY]), tensors)
    keys = json.loads(meta["model_keys"])
    state["model"] = OrderedDict((k, tensors[f"model/{k}"]) for k in keys)
    return state

