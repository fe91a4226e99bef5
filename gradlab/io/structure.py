"""The nesting of a checkpoint as JSON: what :func:`gradlab.save` keeps beside the tensors.

``gradlab.save(obj, f)`` writes the tensors of ``obj`` as the entries of a safetensors file and
the rest of ``obj`` (the containers, their keys, the numbers and strings) as one JSON document
in the file's ``__metadata__`` under :data:`KEY`: ``{"format": "gradlab.save/1", "obj": node}``,
where a node is one of

- ``null``, ``true``, ``3``, ``0.12``, ``-0.0``, ``"text"``: None, a bool, an int, a finite
  float, a str (JSON keeps ``1`` and ``1.0`` apart, and Python writes floats to the last bit);
- ``{"float": "nan"}``: a non-finite float, ``"nan"``, ``"inf"`` or ``"-inf"``;
- ``[node, ...]``: a list; ``{"tuple": [node, ...]}``: a tuple;
- ``{"dict": [[key, node], ...]}``: a dict, its items in order, each key a JSON string or
  integer (so ``{0: ...}`` stays apart from ``{"0": ...}``); ``{"OrderedDict": [...]}`` the same
  for an ``OrderedDict``;
- ``{"tensor": "name"}``: the tensor stored as entry ``name``, with ``"requires_grad": true``
  when it required grad; ``{"parameter": "name"}``: an ``nn.Parameter`` (with
  ``"requires_grad": false`` when it did not).

Each object node has exactly the keys above, so no user key or string can be taken for a tag.
Entries are named by their path in ``obj`` (``model_state_dict/fc.weight``,
``optimizer_state_dict/state/0/momentum_buffer``), made unique with ``#1``, ``#2`` ...; a
reader that knows nothing of this document still gets every tensor by a readable name.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any

import numpy as np

from ..nn.module import Module
from ..nn.parameter import Parameter
from ..optim.optimizer import Optimizer
from ..tensor import Tensor

KEY = "gradlab.structure"
FORMAT = "gradlab.save/1"
RESERVED = "__metadata__"  # the one name a safetensors entry cannot have
#: the deepest nesting of containers that is saved and loaded (a state_dict nests 2 deep, an
#: optimizer's 4): deeper documents are refused before Python's recursion limit is reached
MAX_DEPTH = 100

_STORABLE = ("a checkpoint holds tensors (NumPy arrays are stored as tensors), dicts and "
             "OrderedDicts with str or int keys, lists, tuples, str, int, float, bool and None")
_STATE_DICT_WAY = ("save what a state_dict() returns: gradlab.save(model.state_dict(), f) for a "
                   "model, gradlab.save(opt.state_dict(), f) for an optimizer")


class StructureError(ValueError):
    """A structure document that does not describe the file it is in (malformed or foreign)."""


def _type_name(obj: Any) -> str:
    cls = type(obj)
    name = cls.__qualname__
    return name if cls.__module__ == "builtins" else f"{cls.__module__}.{name}"


def _refuse(obj: Any, where: str) -> TypeError:
    what = _type_name(obj)
    if isinstance(obj, Module):
        hint = ("save its weights instead: gradlab.save(model.state_dict(), f), and later "
                "model.load_state_dict(gradlab.load(f))")
        what += " (an nn.Module)"
    elif isinstance(obj, Optimizer):
        hint = ("save its state instead: gradlab.save(opt.state_dict(), f), and later "
                "opt.load_state_dict(gradlab.load(f))")
        what += " (an optimizer)"
    elif callable(getattr(obj, "state_dict", None)):
        hint = f"it has a state_dict(): save {where}.state_dict() instead"
    elif isinstance(obj, np.generic):
        hint = (f"turn it into a Python number with .item() or into a 0-d tensor with "
                f"gradlab.tensor(x); {_STATE_DICT_WAY}")
    else:
        hint = _STATE_DICT_WAY
    return TypeError(f"save: cannot save a {what} at {where}: gradlab.save writes no pickle, "
                     f"and {_STORABLE}; {hint}")


class Encoder:
    """Turns ``obj`` into a structure node, collecting its tensors in :attr:`arrays`
    (entry name -> C-contiguous ndarray, in the order met)."""

    def __init__(self) -> None:
        self.arrays: OrderedDict[str, np.ndarray] = OrderedDict()
        self._open: set[int] = set()  # containers being encoded (a cycle would never end)

    def _name(self, parts: tuple) -> str:
        base = "/".join(parts) or "obj"
        name, i = base, 1
        while name in self.arrays or name == RESERVED:
            name, i = f"{base}#{i}", i + 1
        return name

    def _tensor(self, arr: np.ndarray, parts: tuple) -> str:
        name = self._name(parts)
        self.arrays[name] = arr
        return name

    def encode(self, obj: Any, where: str = "obj", parts: tuple = ()) -> Any:
        kind = type(obj)
        if obj is None or kind in (bool, int, str):
            return obj
        if kind is float:
            if math.isfinite(obj):
                return obj
            return {"float": "nan" if math.isnan(obj) else ("inf" if obj > 0 else "-inf")}
        if isinstance(obj, Tensor):
            name = self._tensor(obj.array, parts)
            if isinstance(obj, Parameter):
                return {"parameter": name} if obj.requires_grad else \
                    {"parameter": name, "requires_grad": False}
            return {"tensor": name, "requires_grad": True} if obj.requires_grad else \
                {"tensor": name}
        if isinstance(obj, np.ndarray):
            return {"tensor": self._tensor(np.asarray(obj), parts)}
        if kind not in (list, tuple, dict, OrderedDict):
            raise _refuse(obj, where)
        if len(parts) >= MAX_DEPTH:
            raise ValueError(f"save: {where} is nested {len(parts) + 1} containers deep; a "
                             f"checkpoint nests at most {MAX_DEPTH}")
        if id(obj) in self._open:
            raise TypeError(f"save: {where} contains itself (a reference cycle), which a "
                            "checkpoint cannot hold")
        self._open.add(id(obj))
        try:
            if kind is list or kind is tuple:
                items = [self.encode(v, f"{where}[{i}]", parts + (str(i),))
                         for i, v in enumerate(obj)]
                return items if kind is list else {"tuple": items}
            pairs = []
            for k, v in obj.items():
                if type(k) not in (str, int):
                    raise TypeError(
                        f"save: cannot save the dict key {k!r} (a {_type_name(k)}) in {where}: "
                        "gradlab.save keeps str and int keys only (state_dict() keys are str, "
                        f"an optimizer's state is keyed by int); {_STATE_DICT_WAY}")
                pairs.append([k, self.encode(v, f"{where}[{k!r}]", parts + (str(k),))])
            return {"dict" if kind is dict else "OrderedDict": pairs}
        finally:
            self._open.discard(id(obj))


def is_flat(obj: Any) -> bool:
    """Whether ``obj`` is a ``{str: tensor or array}`` dict that the plain safetensors layout
    holds without a structure document (what ``gradlab.save`` wrote before nesting): no
    Parameter, nothing requiring grad, no entry named ``__metadata__``. Such a file loads as
    an ``OrderedDict`` of tensors."""
    return type(obj) in (dict, OrderedDict) and all(
        type(k) is str and k != RESERVED and (
            isinstance(v, np.ndarray)
            or (isinstance(v, Tensor) and not isinstance(v, Parameter) and not v.requires_grad))
        for k, v in obj.items())


def decode(doc: Any, tensors: dict[str, Tensor]) -> Any:
    """The object described by the structure document ``doc`` (parsed JSON), with the tensors
    of ``tensors`` in place. Every tensor must be referred to exactly once; raises
    :class:`StructureError` naming the problem."""
    if not isinstance(doc, dict) or set(doc) != {"format", "obj"}:
        raise StructureError("the structure is not an object with keys 'format' and 'obj'")
    if doc["format"] != FORMAT:
        raise StructureError(f"unknown structure format {doc['format']!r} (this gradlab reads "
                             f"{FORMAT!r})")
    used: set[str] = set()
    out = _decode(doc["obj"], tensors, used, "obj", 0)
    unused = [k for k in tensors if k not in used]
    if unused:
        raise StructureError(f"the structure does not refer to the tensor entries {unused}")
    return out


def _decode(node: Any, tensors: dict, used: set, where: str, depth: int) -> Any:
    kind = type(node)
    if node is None or kind in (bool, int, float, str):
        return node
    if depth >= MAX_DEPTH:
        raise StructureError(f"{where}: nested deeper than {MAX_DEPTH} containers")
    depth += 1
    if kind is list:
        return [_decode(v, tensors, used, f"{where}[{i}]", depth) for i, v in enumerate(node)]
    if kind is not dict:
        raise StructureError(f"{where}: unexpected JSON value {node!r}")
    keys = set(node)
    if keys in ({"tensor"}, {"tensor", "requires_grad"}, {"parameter"},
                {"parameter", "requires_grad"}):
        return _leaf(node, tensors, used, where)
    if len(node) != 1:
        raise StructureError(f"{where}: unknown node with keys {sorted(keys)}")
    (tag, value), = node.items()
    if tag == "float":
        if value not in ("nan", "inf", "-inf"):
            raise StructureError(f"{where}: float {value!r} is not 'nan', 'inf' or '-inf'")
        return float(value)
    if tag == "tuple" and type(value) is list:
        return tuple(_decode(v, tensors, used, f"{where}[{i}]", depth)
                     for i, v in enumerate(value))
    if tag in ("dict", "OrderedDict") and type(value) is list:
        out = {} if tag == "dict" else OrderedDict()
        for pair in value:
            if type(pair) is not list or len(pair) != 2 or type(pair[0]) not in (str, int):
                raise StructureError(f"{where}: dict item {pair!r} is not a [str or int key, "
                                     "value] pair")
            if pair[0] in out:
                raise StructureError(f"{where}: dict key {pair[0]!r} appears twice")
            out[pair[0]] = _decode(pair[1], tensors, used, f"{where}[{pair[0]!r}]", depth)
        return out
    raise StructureError(f"{where}: unknown node {{{tag!r}: ...}}")


def _leaf(node: dict, tensors: dict, used: set, where: str) -> Tensor:
    param = "parameter" in node
    name = node["parameter" if param else "tensor"]
    grad = node.get("requires_grad", param)
    if type(name) is not str or type(grad) is not bool:
        raise StructureError(f"{where}: malformed tensor reference {node!r}")
    if name not in tensors:
        raise StructureError(f"{where} refers to the tensor entry {name!r}, which the file "
                             "does not hold")
    if name in used:
        raise StructureError(f"{where} refers to the tensor entry {name!r} a second time")
    used.add(name)
    t = tensors[name]
    if grad and not t.dtype.is_floating_point:
        raise StructureError(f"{where}: tensor entry {name!r} of dtype {t.dtype} cannot "
                             "require grad")
    if param:
        return Parameter(t, requires_grad=grad)
    return t.requires_grad_(True) if grad else t
