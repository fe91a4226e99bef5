"""``optim.Optimizer``: the base of every optimizer (``torch.optim.Optimizer``'s interface).

An optimizer holds ``param_groups`` (dicts: ``'params'``, a list of tensors, plus that group's
hyperparameters, filled from ``defaults``) and ``state`` (per parameter, a dict of the
algorithm's buffers). ``step()`` updates ``p.array`` in place for every parameter whose ``.grad``
is set; parameters without a gradient are skipped and get no state.

``state_dict()`` has PyTorch's format::

    {'state': {0: {'step': 3.0, 'exp_avg': Tensor, ...}, ...},
     'param_groups': [{'lr': 0.001, ..., 'params': [0, 1, 2]}, ...]}

Parameters are numbered by their order across the groups. Array values are gradlab Tensors
sharing memory with the optimizer's buffers, and each per-parameter dict is the live one (as in
PyTorch); ``step`` is a Python float (PyTorch keeps it as a 0-d float tensor). Everything else
is a plain number, bool, string, None or tuple, so the dict can be written as arrays + JSON.
"""

from __future__ import annotations

import copy
import functools
import numbers
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from itertools import chain
from typing import Any

import numpy as np

from .. import autograd
from .._workspace import Workspace
from ..autograd.graph import increment_version
from ..tensor import Tensor, from_numpy

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]] | Iterable[tuple[str, Tensor]]


def _typename(x: Any) -> str:
    t = type(x)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _track_step(step: Callable) -> Callable:
    """Wrap a subclass's ``step`` so that schedulers can tell it ran (their order warning)."""

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        self._opt_called = True
        return step(self, *args, **kwargs)

    wrapper._tracked = True  # type: ignore[attr-defined]
    return wrapper


def _lerp_(m: np.ndarray, end: np.ndarray, w: float, tmp: np.ndarray) -> None:
    """``m += w (end - m)`` in place, in PyTorch's two forms (the second for w ≥ 0.5 keeps
    the result exact at w = 1)."""
    np.subtract(end, m, out=tmp)
    if w < 0.5:
        tmp *= w
        m += tmp
    else:
        tmp *= 1 - w
        np.subtract(end, tmp, out=m)


def _ema_square_(v: np.ndarray, g: np.ndarray, beta: float, tmp: np.ndarray) -> None:
    """``v = β v + (1 - β) g²`` in place (PyTorch's ``v.mul_(β).addcmul_(g, g, value=1 - β)``,
    in that order: ``(1 - β) g`` first, then times ``g``)."""
    v *= beta
    np.multiply(g, 1 - beta, out=tmp)
    tmp *= g
    v += tmp


class Optimizer:
    """Base class of all optimizers: parameter groups, per-parameter state, ``zero_grad``,
    ``state_dict`` / ``load_state_dict`` and ``add_param_group``, as ``torch.optim.Optimizer``.

    Args:
        params: an iterable of Tensors, of ``(name, Tensor)`` pairs, or of dicts (parameter
            groups: ``{'params': [...], 'lr': ..., ...}``; missing keys come from ``defaults``).
        defaults: the hyperparameters of every group that does not set its own.

    ``step`` is one frame for every algorithm: run the closure; for each group, each parameter
    θ with a gradient: create its state on first use (``step`` = 0.0 where the algorithm counts
    steps, then ``_init_state``), count the step, form the gradient g the algorithm sees
    (``-∇f`` with ``maximize``, ``+ λθ`` for L2 weight decay) and call ``_update``, the
    algorithm's formula, which changes θ and its state arrays in place.

    Subclasses implement ``_update`` (and ``_init_state`` for buffers that start at a fixed
    value) and may override ``_check_group`` (hyperparameter checks, applied to the defaults,
    to every added group and to loaded groups) and list their parameter-shaped state entries in
    ``_state_arrays`` (shape-checked on load). A subclass may still write its own ``step``.
    """

    _state_arrays: tuple[str, ...] = ()

    #: the algorithm keeps a step count t in ``state['step']`` (a float, as PyTorch's)
    _counts_steps: bool = True

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_tracked", False):
            cls.step = _track_step(step)

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        name = type(self).__name__
        if isinstance(params, Tensor) or not isinstance(params, Iterable):
            raise TypeError(f"{name}: params argument given to the optimizer should be an "
                            f"iterable of Tensors or dicts, but got {_typename(params)}")
        self._check_group(defaults)
        self.defaults = defaults
        self.state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        self._workspace = Workspace(f"optim.{type(self).__name__}")
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError(f"{name}: optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    #: hyperparameters that must be >= 0 ("Invalid <name> value: ..." otherwise, as PyTorch)
    _nonnegative: tuple = ()

    # ------------------------------------------------------------------ groups
    def _check_group(self, group: dict[str, Any]) -> None:
        """Raise ValueError for invalid hyperparameters (PyTorch's messages, after the
        optimizer's name), TypeError for one that is not a number."""
        name = type(self).__name__
        lr = group.get("lr")
        if isinstance(lr, Tensor):
            raise TypeError(f"{name}: lr must be a Python number, got a Tensor "
                            "(gradlab keeps learning rates as floats)")
        if lr is not None:
            self._check_number(group, "lr")
            if not 0.0 <= lr:
                raise ValueError(f"{name}: Invalid learning rate: {lr}")
        for key in self._nonnegative:
            if key in group:
                self._check_number(group, key)
                if not 0.0 <= group[key]:
                    label = "epsilon" if key == "eps" else key
                    raise ValueError(f"{name}: Invalid {label} value: {group[key]} (the "
                                     f"{key} must be >= 0)")

    def _check_number(self, group: dict[str, Any], key: str) -> None:
        """TypeError unless ``group[key]`` is a real number."""
        v = group[key]
        if not isinstance(v, numbers.Real):
            raise TypeError(f"{type(self).__name__}: {key} must be a number, got "
                            f"{type(v).__name__} {key}={v!r}")

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group (``{'params': [...], <hyperparameters>}``); missing hyperparameters
        are taken from ``defaults``. A parameter may belong to one group only."""
        owner = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{owner}.add_param_group: param_group must be a dict, but got "
                            f"{_typename(param_group)}")
        if "params" not in param_group:
            raise KeyError(f"{owner}.add_param_group: param_group must have a 'params' entry, "
                           f"got keys {sorted(map(str, param_group))}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError(f"{owner}: optimizer parameters need to be organized in ordered "
                            "collections, but the ordering of tensors in sets will change "
                            "between runs. Please use a list instead.")
        else:
            param_group["params"] = list(params)
        tensors, names = [], []
        for p in param_group["params"]:
            if isinstance(p, tuple):
                names.append(p[0])
                tensors.append(p[1])
            else:
                tensors.append(p)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param "
                                 "names are missing")
            param_group["param_names"] = names
        for p in tensors:
            if not isinstance(p, Tensor):
                raise TypeError(f"{owner}: optimizer can only optimize Tensors, but one of the "
                                f"params is {_typename(p)}")
            if not (p.is_leaf or p.retains_grad):
                raise ValueError(f"{owner}: can't optimize a non-leaf Tensor (got one with "
                                 f"shape {list(p.shape)} made by an operation)")
        for name, default in self.defaults.items():
            param_group.setdefault(name, default)
        self._check_group(param_group)
        ids = [id(p) for p in tensors]
        if len(ids) != len(set(ids)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error", stacklevel=3)
        seen: set[int] = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if not seen.isdisjoint(ids):
            raise ValueError(f"{owner}: some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ------------------------------------------------------------------ gradients
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient: set it to None (default), or fill it with zeros
        in place (``set_to_none=False``). A None gradient makes ``step`` skip the parameter,
        a zero one still steps it (momentum and weight decay act)."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g.requires_grad = False
                    g.zero_()

    @_track_step
    def step(self, closure: Callable[[], Any] | None = None):
        """One update of every parameter that has a gradient; ``closure`` (re-evaluating the
        loss, run with grad enabled) is called first and its value returned."""
        loss = self._closure(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                theta = p.array
                state = self._param_state(p, group)
                if self._counts_steps:
                    state["step"] += 1.0
                g = self._effective_grad(theta, p.grad.array, self._grad_weight_decay(group),
                                         group.get("maximize", False))
                self._update(theta, g, state, group)
                increment_version(p)
        return loss

    def _update(self, theta: np.ndarray, g: np.ndarray, state: dict[str, Any] | None,
                group: dict[str, Any]) -> None:
        """The algorithm's update of one parameter, in place: ``theta`` is ``p.array``, ``g``
        the effective gradient (not to be written: it may be ``p.grad``'s array), ``state``
        the parameter's state (``step`` already counted), ``group`` its hyperparameters."""
        raise NotImplementedError

    def _param_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any] | None:
        """``p``'s state, created on first use (``step`` = 0.0 where the algorithm counts
        steps, then the algorithm's buffers)."""
        state = self.state[p]
        if not state:
            if self._counts_steps:
                state["step"] = 0.0
            self._init_state(state, p.array, group)
        return state

    def _init_state(self, state: dict[str, Any], theta: np.ndarray,
                    group: dict[str, Any]) -> None:
        """Add the algorithm's buffers to a new parameter state (none by default)."""

    def _grad_weight_decay(self, group: dict[str, Any]) -> float:
        """λ of the L2 term added to the gradient (g + λθ); an algorithm that decays θ
        itself instead returns 0."""
        return group.get("weight_decay", 0)

    def _closure(self, closure: Callable[[], Any] | None):
        if closure is None:
            return None
        with autograd.enable_grad():
            return closure()

    def _scratch(self, like: np.ndarray, slot: int) -> np.ndarray:
        """A buffer shaped like ``like`` from this optimizer's workspace (one per dtype and
        slot, grown to the largest parameter): the updates run in place without fresh
        temporaries. Valid until the next ``_scratch`` of the same slot."""
        return self._workspace.get(f"slot{slot}", like.shape, like.dtype)

    def _effective_grad(self, x: np.ndarray, g: np.ndarray, weight_decay: float,
                        maximize: bool) -> np.ndarray:
        """``±g + weight_decay * x`` (``-`` with ``maximize``); ``g`` itself when neither
        applies, else a scratch buffer (slot 0): ``p.grad`` is never written."""
        if not weight_decay and not maximize:
            return g
        d = self._scratch(x, 0)
        if weight_decay:
            np.multiply(x, weight_decay, out=d)
            if maximize:
                np.subtract(d, g, out=d)
            else:
                np.add(d, g, out=d)
        else:
            np.negative(g, out=d)
        return d

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}`` with
        parameters numbered in order across groups (PyTorch's format). Arrays are shared with
        the optimizer (write them out before the next ``step``)."""
        mapping: dict[int, int] = {}
        start = 0

        def pack(group: dict[str, Any]) -> dict[str, Any]:
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            mapping.update({id(p): i for i, p in enumerate(group["params"], start)
                            if id(p) not in mapping})
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        groups = [pack(g) for g in self.param_groups]
        state = {(mapping[id(k)] if isinstance(k, Tensor) else k): v
                 for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a dict from :meth:`state_dict` (or PyTorch's, with tensors as arrays).

        Groups must match in number and size; their hyperparameters replace the current
        ones. State arrays (gradlab Tensors, NumPy arrays or anything ``np.asarray`` reads)
        are copied and cast to their parameter's floating dtype; ``step`` becomes a float.
        State keys may be ints or their decimal strings (what JSON makes of int keys).
        """
        name = type(self).__name__
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{name}.load_state_dict: state_dict must be a dict with 'state' and "
                            f"'param_groups', got {_typename(state_dict)}")
        for key in ("state", "param_groups"):
            if key not in state_dict:
                raise KeyError(f"{name}.load_state_dict: state_dict has no '{key}' entry (got "
                               f"keys {sorted(map(str, state_dict))})")
        groups = self.param_groups
        saved_groups = copy.deepcopy(list(state_dict["param_groups"]))
        if len(groups) != len(saved_groups):
            raise ValueError(f"{name}: loaded state dict has a different number of parameter "
                             f"groups ({len(saved_groups)}, the optimizer has {len(groups)})")
        sizes = [(len(g["params"]), len(s["params"])) for g, s in zip(groups, saved_groups)]
        if any(a != b for a, b in sizes):
            raise ValueError(f"{name}: loaded state dict contains a parameter group that doesn't "
                             f"match the size of optimizer's group (sizes, optimizer vs loaded: "
                             f"{sizes})")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if isinstance(k, str) and k.isdigit():
                k = int(k)
            if k in id_map:
                state[id_map[k]] = self._load_param_state(id_map[k], k, v)
            else:
                state[k] = v
        new_groups = []
        for g, ng in zip(groups, saved_groups):
            ng["params"] = g["params"]
            if "param_names" in g and "param_names" not in ng:
                ng["param_names"] = g["param_names"]
            for name, default in self.defaults.items():
                ng.setdefault(name, default)
            self._check_group(ng)
            new_groups.append(ng)
        self.state = state
        self.param_groups = new_groups

    def _load_param_state(self, p: Tensor, index: int, values: dict[str, Any]) -> dict:
        out: dict[str, Any] = {}
        for key, v in values.items():
            if key == "step":
                out[key] = float(v.item() if hasattr(v, "item") else v)
                continue
            if v is None or isinstance(v, (bool, int, float, str)):
                out[key] = v
                continue
            arr = v.array if isinstance(v, Tensor) else np.asarray(v)
            if key in self._state_arrays and arr.shape != p.array.shape:
                raise ValueError(f"{type(self).__name__}.load_state_dict: state '{key}' of "
                                 f"parameter {index} has shape {list(arr.shape)}, but the "
                                 f"parameter has shape {list(p.array.shape)}")
            dtype = p.array.dtype if p.array.dtype.kind == "f" and arr.dtype.kind == "f" else None
            out[key] = from_numpy(np.array(arr, dtype=dtype, copy=True))
        return out

    def __repr__(self) -> str:
        s = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    s += f"    {key}: {group[key]}\n"
        return s + ")"
