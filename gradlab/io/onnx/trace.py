"""Tracing: one forward pass of the model with an observer on every ``Function.apply``.

A user's ``autograd.Function`` is not an op of the file: the gradlab ops its ``forward`` runs
are traced as they run (its outputs must come from them).

:func:`run_trace` runs the model on copies of the example inputs and records, as a list of
:class:`Record`, each op that reads a value computed from the input (its Function class, its
arguments as traced values, constants or Python values, and its outputs). Ops on parameters and
constants alone are not recorded: their results are folded and named after the parameter they
came from. :func:`second_input` makes the inputs of the checking run (other values, and one
more entry along each dynamic axis).
"""

from __future__ import annotations

import zlib

import numpy as np

from ...autograd import Function, enable_grad, observe
from ...ops import elementwise as E
from ...tensor import Tensor, from_numpy
from .common import ExportError, opname


class Record:
    """One traced op: its Function class, arguments and outputs."""

    __slots__ = ("cls", "args", "kwargs", "outs", "shapes", "dtypes")

    def __init__(self, cls, args, kwargs, outs, shapes, dtypes) -> None:
        self.cls, self.args, self.kwargs = cls, args, kwargs
        self.outs, self.shapes, self.dtypes = outs, shapes, dtypes


class Trace:
    """Observer of ``Function.apply``: records the ops that read a traced value."""

    def __init__(self, param_ids: dict, reserved: set) -> None:
        self.reserved = reserved  # the user's input and output names
        self.values: dict[int, tuple[str, np.ndarray]] = {}  # id(array) -> (name, array)
        self.shapes: dict[str, tuple] = {}
        self.dtypes: dict[str, np.dtype] = {}
        self.records: list[Record] = []
        self.param_ids = param_ids
        # folded constants: id(array) -> (name after the parameter it came from, array)
        self.hints: dict[int, tuple[str, np.ndarray]] = {}
        self.sums: dict[str, int] = {}
        self.count = 0

    def add_value(self, name: str, arr: np.ndarray) -> None:
        self.values[id(arr)] = (name, arr)
        self.shapes[name] = arr.shape
        self.dtypes[name] = arr.dtype
        self.sums[name] = _checksum(arr)

    def check_unchanged(self, producers: dict) -> None:
        """Traced values must not change after they were made: an in-place op outside
        Function.apply (under no_grad, or on an integer tensor) would be lost in the file."""
        for name, arr in self.values.values():
            if _checksum(arr) != self.sums[name]:
                what = producers.get(name, "the model's input")
                raise ExportError(f"cannot export: {what} (shape {list(arr.shape)}) was changed "
                                  "in place outside gradlab's traced ops (an in-place op under "
                                  "no_grad or on an integer tensor); use the out-of-place op")

    def lookup(self, arr) -> str | None:
        v = self.values.get(id(arr))
        return v[0] if v is not None and v[1] is arr else None

    def _nested_traced(self, obj) -> bool:
        if isinstance(obj, (tuple, list)):
            return any(self._nested_traced(o) for o in obj)
        if isinstance(obj, Tensor):
            obj = obj.array
        return isinstance(obj, np.ndarray) and self.lookup(obj) is not None

    def hint(self, arr) -> str | None:
        if id(arr) in self.param_ids:
            return self.param_ids[id(arr)]
        h = self.hints.get(id(arr))
        return h[0] if h is not None and h[1] is arr else None

    def __call__(self, cls, args, kwargs, results) -> None:
        if issubclass(cls, Function):
            self._inlined(cls, args, results)
            return
        rec = []
        traced = False
        root = None
        for a in args:
            arr = a.array if isinstance(a, Tensor) else a
            if isinstance(arr, np.ndarray):
                name = self.lookup(arr)
                if name is not None:
                    rec.append(("value", name))
                    traced = True
                    continue
                h = self.hint(arr)
                root = root or (h.split("/")[0] if h else None)
                if id(arr) in self.param_ids:
                    rec.append(("const", arr))
                else:  # copied: it may be changed in place later in the forward
                    c = np.array(arr, copy=True)
                    if h:
                        self.hints[id(c)] = (h, c)
                    rec.append(("const", c))
            else:
                if self._nested_traced(a):
                    raise ExportError(f"cannot export {opname(cls)}: it takes a value computed "
                                      "from the input inside a Python container (e.g. an index "
                                      "tensor); only constant indices are supported")
                rec.append(("py", a))
        if not traced:
            # a constant: folded, its result is read as a constant where it is used (and named
            # after the parameter it comes from, e.g. "fc.weight/Permute")
            if root is not None:
                for r in results:
                    self.hints[id(r.array)] = (f"{root}/{cls.__name__}", r.array)
            return
        outs = []
        for r in results:
            self.count += 1
            name = f"{cls.__name__.lower()}_{self.count}"
            while name in self.reserved:
                name += "_"
            self.add_value(name, r.array)
            outs.append(name)
        self.records.append(Record(cls, rec, dict(kwargs), outs,
                                    [r.array.shape for r in results],
                                    [r.array.dtype for r in results]))


    def _inlined(self, cls, args, results) -> None:
        """A user's ``autograd.Function``: the gradlab ops its ``forward`` ran were traced as
        they ran (the exported graph holds them, as torch's exporter inlines a Function without
        ``symbolic``); refuse one whose outputs were computed outside them."""
        if not any(self._nested_traced(a) for a in args):
            return
        for r in results:
            if self.lookup(r.array) is None:
                raise ExportError(f"cannot export {opname(cls)}: its forward computes an output "
                                  "outside gradlab's ops (from NumPy arrays), which cannot be "
                                  "traced; write the forward with gradlab's Tensor ops")


def _checksum(arr: np.ndarray) -> int:
    return zlib.crc32(np.ascontiguousarray(arr).view(np.uint8).reshape(-1)) if arr.size else 0


def _flatten(out, where: str = "output") -> list:
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        res = []
        for k, o in enumerate(out):
            res += _flatten(o, f"{where}[{k}]")
        return res
    raise ExportError(f"export: the model's {where} is a {type(out).__name__}; only Tensors "
                      "and (nested) tuples or lists of Tensors can be exported")


def run_trace(model, inputs: list, param_ids: dict, names: list, reserved: set) -> tuple:
    """Run ``model`` on ``inputs`` (named ``names``) under a :class:`Trace`: the trace and the
    model's outputs as a flat list of Tensors."""
    trace = Trace(param_ids, reserved)
    tensors = []
    for name, a in zip(names, inputs):
        t = from_numpy(np.array(a, copy=True))
        if a.dtype.kind == "f":
            # a non-leaf that requires grad: in-place ops on it and on everything computed
            # from it then go through Function.apply (as out-of-place ops), so they are traced
            t.requires_grad = True
            with enable_grad():
                t = E.Clone.apply(t)
        trace.add_value(name, t.array)
        tensors.append(t)
    try:
        with observe(trace), enable_grad():
            out = model(*tensors)
    except RuntimeError as exc:
        if "requires grad" not in str(exc):
            raise
        # the trace runs with gradients on (so in-place ops are recorded): a forward that
        # leaves the graph through .numpy() fails here, and could not be traced anyway
        raise ExportError(f"cannot export: the forward reads a value computed from the input "
                          f"as a NumPy array, outside gradlab's ops ({exc})") from None
    trace.check_unchanged({n: f"the output of {opname(r.cls)}" for r in trace.records
                           for n in r.outs})
    return trace, _flatten(out)


def second_input(a: np.ndarray, axes: list, rng: np.random.Generator) -> np.ndarray:
    """Other values (and one more entry along each dynamic axis) for the checking run."""
    b = a
    for ax in axes:
        idx = np.r_[np.arange(b.shape[ax]), 0]
        b = np.take(b, idx, axis=ax)
    if b.dtype.kind == "f":
        scale = float(np.abs(a).mean()) if a.size else 1.0
        return (b + rng.standard_normal(b.shape) * (scale or 1.0)).astype(a.dtype)
    if b.dtype.kind in "iu" and b.size:
        lo, hi = int(b.min()), int(b.max())
        if hi > lo:
            return rng.integers(lo, hi + 1, size=b.shape).astype(b.dtype)
    return b.copy()

