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

Loading trusts nothing: :func:`load_checkpoint` checks the structure (every key present, each
of its type, tensor references that exist, random-stream states that a generator takes, the
settings of ``gradlab train``, nesting at most 100 deep) and :func:`load_training_checkpoint`
also checks the weights against a model and the optimizer's state against an optimizer before
loading anything into them; every failure is a :class:`~gradlab.io.CheckpointError` naming
the file and the key. ``gradlab train --resume``, ``gradlab compress``, ``gradlab export`` and
``Trainer.fit(resume_from=...)`` load through them. :class:`ModelCheckpoint` writes ``best``
before ``last``: a run killed between the two resumes from the epoch before, repeats the
epoch bit for bit and writes the same ``best`` again, so the two never disagree.
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
from ..io import CheckpointError, load, save
from ..io.checkpoint import (
    atomic_write,  # noqa: F401  (callbacks, plots and the CLI use it)
    parse_json,
    remove_stale_temporaries,
)
from ..io.structure import MAX_DEPTH
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


def _decode(obj: Any, tensors: dict, where: str, depth: int = 0) -> Any:
    """The state of a JSON document with its tensors in place; raises CheckpointError naming
    the place (``where``) of anything malformed."""
    if obj is None or type(obj) in (bool, int, float, str):
        return obj
    if depth >= MAX_DEPTH:
        raise CheckpointError(f"{where}: nested deeper than {MAX_DEPTH} containers")
    if type(obj) is list:
        return [_decode(v, tensors, f"{where}/{i}", depth + 1) for i, v in enumerate(obj)]
    if type(obj) is not dict:
        raise CheckpointError(f"{where}: unexpected value {obj!r}")
    if len(obj) == 1:
        (tag, v), = obj.items()
        if tag in ("__tensor__", "__ndarray__", "__scalar__"):
            if type(v) is not str or v not in tensors:
                raise CheckpointError(f"{where}: refers to the tensor entry {v!r}, which the "
                                      "file does not hold")
            t = tensors[v]
            if tag == "__tensor__":
                return t
            if tag == "__ndarray__":
                return t.array
            if t.array.ndim != 0:
                raise CheckpointError(f"{where}: the scalar entry {v!r} has shape "
                                      f"{list(t.shape)}, not []")
            return t.array[()]
        if tag == "__tuple__":
            if type(v) is not list:
                raise CheckpointError(f"{where}: a tuple must be a JSON list, got {v!r}")
            return tuple(_decode(x, tensors, f"{where}/{i}", depth + 1) for i, x in enumerate(v))
        if tag == "__dict__":
            if type(v) is not list:
                raise CheckpointError(f"{where}: a dict must be a JSON list of pairs, got {v!r}")
            out = {}
            for i, pair in enumerate(v):
                if type(pair) is not list or len(pair) != 2:
                    raise CheckpointError(f"{where}: dict item {i} is not a [key, value] pair")
                key = _hashable(_decode(pair[0], tensors, f"{where}/key{i}", depth + 1))
                try:
                    hash(key)
                except TypeError:
                    raise CheckpointError(f"{where}: dict key {key!r} cannot be a key") from None
                out[key] = _decode(pair[1], tensors, f"{where}/{key}", depth + 1)
            return out
        if tag == "__float__":
            if v not in ("nan", "inf", "-inf"):
                raise CheckpointError(f"{where}: float {v!r} is not 'nan', 'inf' or '-inf'")
            return float(v)
    return {k: _decode(v, tensors, f"{where}/{k}", depth + 1) for k, v in obj.items()}


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


#: the settings ``gradlab train`` keeps in ``extra['gradlab_train']`` and the types each may
#: have (a number is an int or a float, never a bool)
RUN_SETTINGS = {"model": (str,), "data": (str,), "epochs": (int,), "batch_size": (int,),
                "optimizer": (str,), "lr": (int, float), "momentum": (int, float),
                "weight_decay": (int, float), "scheduler": (str,), "augment": (bool,),
                "val_fraction": (int, float), "seed": (int,), "threads": (int,),
                "recipe_target": (int, float, type(None)), "data_dir": (str, type(None))}
_KEYS = ("epoch", "global_step", "optimizer", "scheduler", "history", "rng", "callbacks",
         "extra")


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Read a checkpoint written by :func:`save_checkpoint`, checking its structure.

    Returns a dict with ``model`` (an ordered ``state_dict`` of Tensors), ``optimizer``,
    ``scheduler`` (their ``state_dict`` s or None), ``epoch``, ``global_step``, ``history``,
    ``rng``, ``callbacks`` and ``extra``. Raises :class:`~gradlab.io.CheckpointError` (a
    ValueError) naming the file and the key for a file that is not a training checkpoint or
    whose contents are malformed: a key missing, a value of the wrong type, random-stream
    states that cannot be restored, settings of ``gradlab train`` (``extra['gradlab_train']``,
    :data:`RUN_SETTINGS`) missing or of the wrong type, nesting deeper than
    :data:`~gradlab.io.structure.MAX_DEPTH`. The shapes of the weights and of the optimizer's
    state are checked against a model and an optimizer by :func:`load_training_checkpoint`.
    """
    where = os.fspath(path)
    tensors, meta = load(path, with_metadata=True)
    if meta.get("format") != FORMAT or _META_KEY not in meta:
        raise CheckpointError(f"{where}: not a gradlab training checkpoint (expected metadata "
                              f"format {FORMAT!r}, found {meta.get('format')!r}); plain "
                              "weights load with gradlab.load()")
    doc = _json(where, meta, _META_KEY)
    if type(doc) is not dict:
        raise CheckpointError(f"{where}: metadata {_META_KEY!r} is not a JSON object")
    missing = [k for k in _KEYS if k not in doc]
    if missing:
        raise CheckpointError(f"{where}: the checkpoint has no {', '.join(map(repr, missing))}")
    state = {k: _decode(v, tensors, k) if k in _KEYS else v for k, v in doc.items()}
    for key in ("epoch", "global_step"):
        if type(state[key]) is not int or state[key] < 0:
            raise CheckpointError(f"{where}: {key!r} must be an int >= 0, got "
                                  f"{state[key]!r}")
    for key, kind in (("optimizer", dict), ("scheduler", dict), ("history", list),
                      ("rng", dict), ("callbacks", dict), ("extra", dict)):
        if not isinstance(state[key], kind) and not (key in ("optimizer", "scheduler")
                                                     and state[key] is None):
            raise CheckpointError(f"{where}: {key!r} must be a {kind.__name__}"
                                  + (" or None" if key in ("optimizer", "scheduler") else "")
                                  + f", got a {type(state[key]).__name__}")
    for i, row in enumerate(state["history"]):
        if type(row) is not dict or not all(type(k) is str for k in row):
            raise CheckpointError(f"{where}: 'history/{i}' must be a dict with str keys")
    for name, cb in state["callbacks"].items():
        if type(cb) is not dict:
            raise CheckpointError(f"{where}: 'callbacks/{name}' must be a dict (a callback's "
                                  f"state_dict()), got a {type(cb).__name__}")
    if state["optimizer"] is not None:
        _check_optimizer_layout(where, state["optimizer"])
    _check_rng(where, state["rng"])
    settings = state["extra"].get("gradlab_train")
    if settings is not None:
        _check_settings(where, settings)
    keys = _json(where, meta, "model_keys")
    if type(keys) is not list or not all(type(k) is str for k in keys) \
            or len(set(keys)) != len(keys):
        raise CheckpointError(f"{where}: metadata 'model_keys' must be a list of distinct "
                              "names")
    absent = [k for k in keys if f"model/{k}" not in tensors]
    if absent:
        raise CheckpointError(f"{where}: the model's {absent[0]!r} is listed but its tensor "
                              f"'model/{absent[0]}' is not in the file")
    state["model"] = OrderedDict((k, tensors[f"model/{k}"]) for k in keys)
    return state


def _json(where: str, meta: dict, key: str) -> Any:
    if key not in meta:
        raise CheckpointError(f"{where}: the checkpoint has no metadata {key!r}")
    try:
        return parse_json(meta[key])
    except (ValueError, RecursionError) as exc:
        what = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise CheckpointError(f"{where}: metadata {key!r} is not JSON: {what}") from None


def _check_optimizer_layout(where: str, opt: dict) -> None:
    """An optimizer ``state_dict``: ``state`` a dict of dicts keyed by parameter index,
    ``param_groups`` a list of dicts each with ``params``, a list of distinct int indices."""
    if set(opt) != {"state", "param_groups"}:
        raise CheckpointError(f"{where}: 'optimizer' must have the keys 'state' and "
                              f"'param_groups', got {sorted(map(str, opt))}")
    groups, state = opt["param_groups"], opt["state"]
    if type(groups) is not list:
        raise CheckpointError(f"{where}: 'optimizer/param_groups' must be a list")
    seen: set = set()
    for i, g in enumerate(groups):
        params = g.get("params") if type(g) is dict else None
        if type(params) is not list or not all(type(p) is int and p >= 0 for p in params):
            raise CheckpointError(f"{where}: 'optimizer/param_groups/{i}' must be a dict whose "
                                  "'params' is a list of parameter indices")
        if seen & set(params) or len(set(params)) != len(params):
            raise CheckpointError(f"{where}: 'optimizer/param_groups/{i}' repeats a parameter")
        seen |= set(params)
    if type(state) is not dict:
        raise CheckpointError(f"{where}: 'optimizer/state' must be a dict")
    for k, v in state.items():
        if k not in seen:
            raise CheckpointError(f"{where}: 'optimizer/state' has an entry {k!r} for no "
                                  "parameter of its param_groups")
        if type(v) is not dict:
            raise CheckpointError(f"{where}: 'optimizer/state/{k}' must be a dict")


def _check_rng(where: str, rng: dict) -> None:
    """Each random-stream state restores into a scratch generator of its kind."""
    for key in ("gradlab", "numpy", "python"):
        if key not in rng:
            raise CheckpointError(f"{where}: 'rng' has no {key!r} state")
    gens = rng.get("generators", {})
    if type(gens) is not dict:
        raise CheckpointError(f"{where}: 'rng/generators' must be a dict")
    trials = [("rng/gradlab", lambda: Generator().set_state(rng["gradlab"]))]
    trials += [(f"rng/generators/{name}", lambda st=st: Generator().set_state(st))
               for name, st in gens.items()]
    trials += [("rng/numpy", lambda: np.random.RandomState().set_state(_numpy_state(rng["numpy"]))),
               ("rng/python", lambda: random.Random().setstate(_tupled(rng["python"])))]
    for key, trial in trials:
        try:
            trial()
        except Exception as exc:  # whatever the generator refuses the state with
            raise CheckpointError(f"{where}: {key!r} is not a state of its random generator "
                                  f"({type(exc).__name__}: {exc})") from None


def _numpy_state(state: Any) -> dict:
    return {**state, "state": {"key": np.asarray(state["state"]["key"], dtype=np.uint32),
                               "pos": state["state"]["pos"]}}


def _check_settings(where: str, settings: Any) -> None:
    if type(settings) is not dict:
        raise CheckpointError(f"{where}: 'extra/gradlab_train' must be a dict of settings")
    for key, kinds in RUN_SETTINGS.items():
        if key not in settings:
            raise CheckpointError(f"{where}: 'extra/gradlab_train' has no {key!r}")
        if type(settings[key]) not in kinds:
            names = " or ".join("None" if k is type(None) else k.__name__ for k in kinds)
            raise CheckpointError(f"{where}: 'extra/gradlab_train/{key}' must be {names}, got "
                                  f"{settings[key]!r}")


def load_model_state(model: Any, ckpt: dict, where: str = "checkpoint") -> None:
    """Check the weights of a loaded training checkpoint (``ckpt['model']``) against
    ``model``: the same names, each a tensor of the same shape, floating where the model's is
    floating; then load them (``model.load_state_dict``). Raises
    :class:`~gradlab.io.CheckpointError` naming the key, and changes nothing, when they do not
    fit."""
    saved, own = ckpt["model"], model.state_dict()
    missing = [k for k in own if k not in saved]
    unexpected = [k for k in saved if k not in own]
    if missing or unexpected:
        raise CheckpointError(
            f"{where}: the weights do not fit {type(model).__name__}: "
            + "; ".join(f"{what} {', '.join(map(repr, ks[:5]))}"
                        + (f" and {len(ks) - 5} more" if len(ks) > 5 else "")
                        for what, ks in (("missing", missing), ("unexpected", unexpected)) if ks))
    for k, t in own.items():
        v = saved[k]
        if not isinstance(v, Tensor):
            raise CheckpointError(f"{where}: 'model/{k}' is a {type(v).__name__}, not a tensor")
        if tuple(v.shape) != tuple(t.shape):
            raise CheckpointError(f"{where}: 'model/{k}' has shape {list(v.shape)}, but "
                                  f"{type(model).__name__} has {list(t.shape)}")
        if v.dtype.is_floating_point != t.dtype.is_floating_point:
            raise CheckpointError(f"{where}: 'model/{k}' has dtype {v.dtype}, but "
                                  f"{type(model).__name__} has {t.dtype}")
    model.load_state_dict(saved)


def _check_optimizer_fits(where: str, saved: dict, optimizer: Any) -> None:
    groups = optimizer.param_groups
    if len(saved["param_groups"]) != len(groups):
        raise CheckpointError(f"{where}: 'optimizer/param_groups' has "
                              f"{len(saved['param_groups'])} groups, the optimizer "
                              f"{len(groups)}")
    params = []
    for i, (s, g) in enumerate(zip(saved["param_groups"], groups)):
        if len(s["params"]) != len(g["params"]):
            raise CheckpointError(f"{where}: 'optimizer/param_groups/{i}' has "
                                  f"{len(s['params'])} parameters, the optimizer's group "
                                  f"{len(g['params'])}")
        for key, v in s.items():
            ours = g.get(key)
            if key == "params" or key not in g:
                continue
            if not _same_kind(v, ours):
                raise CheckpointError(f"{where}: 'optimizer/param_groups/{i}/{key}' is "
                                      f"{v!r}, where the optimizer has {ours!r}")
        params += list(zip(s["params"], g["params"]))
    by_index = dict(params)
    arrays = getattr(optimizer, "_state_arrays", ())
    for k, values in saved["state"].items():
        p = by_index[k]
        for key, v in values.items():
            if isinstance(v, (Tensor, np.ndarray)) and key in arrays \
                    and tuple(v.shape) != tuple(p.shape):
                raise CheckpointError(f"{where}: 'optimizer/state/{k}/{key}' has shape "
                                      f"{list(v.shape)}, but parameter {k} has "
                                      f"{list(p.shape)}")
            if key == "step" and not (_is_number(v) or (isinstance(v, (Tensor, np.ndarray))
                                                        and v.shape == ())):
                raise CheckpointError(f"{where}: 'optimizer/state/{k}/step' is {v!r}, not a "
                                      "number")


def _is_number(v: Any) -> bool:
    return type(v) in (int, float) or isinstance(v, np.number)


def _same_kind(a: Any, b: Any) -> bool:
    """Whether a saved hyperparameter ``a`` may replace the optimizer's ``b``."""
    if b is None or isinstance(b, str):
        return a is None or type(a) is type(b)
    if isinstance(b, bool):
        return type(a) is bool
    if _is_number(b):
        return _is_number(a)
    if isinstance(b, (tuple, list)):
        return isinstance(a, (tuple, list)) and len(a) == len(b) and all(
            _same_kind(x, y) for x, y in zip(a, b))
    return True


def load_training_checkpoint(path: str | os.PathLike, model: Any = None, optimizer: Any = None,
                             scheduler: Any = None) -> dict:
    """Read the training checkpoint at ``path`` (:func:`load_checkpoint`, which checks its
    structure), check it against ``model`` and ``optimizer`` and load it into them: the
    weights (:func:`load_model_state`), the optimizer's state (the same number of parameter
    groups and parameters in each, hyperparameters of the same kinds, state arrays of their
    parameter's shape) and the scheduler's. An optimizer or scheduler is loaded only when the
    checkpoint has its state (the caller decides what a missing one means). Everything is
    checked before anything is loaded.

    Stale temporary files of killed saves in the checkpoint's folder are removed first
    (:func:`gradlab.io.checkpoint.remove_stale_temporaries`). Returns the checkpoint (as
    :func:`load_checkpoint`). Raises :class:`~gradlab.io.CheckpointError` (a ValueError)
    naming the file and the key for anything that does not fit; OSError for a file that
    cannot be read.
    """
    where = os.fspath(path)
    remove_stale_temporaries(os.path.dirname(where) or ".")
    ckpt = load_checkpoint(path)
    if optimizer is not None and ckpt["optimizer"] is not None:
        _check_optimizer_fits(where, ckpt["optimizer"], optimizer)
    if model is not None:
        load_model_state(model, ckpt, where)
    for name, obj in (("optimizer", optimizer), ("scheduler", scheduler)):
        if obj is not None and ckpt[name] is not None:
            try:
                obj.load_state_dict(ckpt[name])
            except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
                raise CheckpointError(f"{where}: {name!r} does not fit the "
                                      f"{type(obj).__name__}: {type(exc).__name__}: "
                                      f"{exc}") from None
    return ckpt
