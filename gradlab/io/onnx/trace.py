"""Tracing: one forward pass of the model with an observer on every ``Function.apply``.

A user's ``autograd.Function`` is not an op of the file: the gradlab ops its ``forward`` runs
are traced as they run (its outputs must come from them).

:func:`run_trace` runs the model on copies of the example inputs and records, as a list of
:class:`Record`, each op that reads a value computed from the input (its Function class, its
arguments as traced values, constants or Python values, and its outputs). Ops on parameters and
constants alone are not recorded: their results are folded and named after the parameter they
came from. :func:`second_input` makes the inputs of the checking run (other values, and one
more entry along each dynamic axis).

While the forward runs, :func:`watch_conversions` also watches the Tensor methods that turn a
value into a Python one (``.item()``, ``bool()``, ``int()``, ``float()``, ``operator.index``,
``.tolist()``, ``.numpy()``, ``numpy.asarray``): the trace cannot follow such a value, so what it
gave for the example input is frozen into the file, with any Python branch taken on it. A
conversion of a value that may come from the input warns :class:`TracerWarning` at the user's
line (or raises :class:`ExportError` with ``strict=True``). Conversions of the constants the
trace knows (parameters, buffers, and what gradlab's ops compute from them alone) are silent:
their values are the same for every input, so the file holds the right ones. Any other tensor
warns, as torch warns for every conversion: the results of comparisons, ``argmax``, ``any()``
(computed outside the traced ops) and tensors made in ``forward`` alike, since the trace cannot
tell them apart. ``len()`` and iterating over a tensor are silent: they read a shape, not
values, and a size that changes along a dynamic axis is caught by the second run (another
number of ops, or a Python argument of an op that differs).
"""

from __future__ import annotations

import sys
import threading
import warnings
import zlib

import numpy as np

from ... import tensor as _tensor_module
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
        # results of ops on parameters, buffers and such results alone: id(array) -> array
        self.consts: dict[int, np.ndarray] = {}

    def is_constant(self, arr) -> bool:
        """Whether ``arr`` is a parameter or buffer, or was computed from them alone by
        gradlab's ops: the same for every input (anything else may come from the input through
        a path the trace does not see, a comparison or ``argmax`` for instance)."""
        if id(arr) in self.param_ids:
            return True
        c = self.consts.get(id(arr))
        return c is not None and c is arr

    def _nested_constant(self, obj) -> bool:
        if isinstance(obj, (tuple, list)):
            return all(self._nested_constant(o) for o in obj)
        if isinstance(obj, Tensor):
            obj = obj.array
        return not isinstance(obj, np.ndarray) or self.is_constant(obj)

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
            if all(self._nested_constant(a) for a in args):
                for r in results:
                    self.consts[id(r.array)] = r.array
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


class TracerWarning(Warning):
    """Warned by :func:`gradlab.onnx.export` when the traced ``forward`` turns a value computed
    from the input into a Python value (``.item()``, ``bool()``, ``int()``, ``float()``,
    ``.tolist()``, ``.numpy()``, ...): the trace cannot follow it, so the file holds the value the
    example input gave, as a constant (torch's ``torch.jit.TracerWarning``). The warning's
    filename and line are those of the code that converted."""


# Tensor method -> (what it converts to, in torch's words; the call as the message names it)
_CONVERSIONS = {
    "item": ("a Python number", "Tensor.item()"),
    "__bool__": ("a Python boolean", "bool(tensor), e.g. an if on a tensor"),
    "__int__": ("a Python integer", "int(tensor)"),
    "__float__": ("a Python float", "float(tensor)"),
    "__index__": ("a Python index", "operator.index(tensor), e.g. a tensor as a list index"),
    "tolist": ("a Python list", "Tensor.tolist()"),
    "numpy": ("a NumPy array", "Tensor.numpy()"),
    "__array__": ("a NumPy array", "numpy.asarray(tensor)"),
}
# The files whose frames are not the converting code: Tensor's methods (float(t) and
# format(t) call t.item()) and the watch itself.
_INTERNAL_FILES = frozenset({_tensor_module.__file__, __file__})

_lock = threading.Lock()
_watches: list = []  # the ConversionWatch of each trace now running (empty: Tensor unpatched)
_originals: dict = {}  # method name -> Tensor's own function, while the watched one stands in
_local = threading.local()  # .busy: inside a watched conversion (float(t) calls t.item())


class ConversionWatch:
    """What one export does with the conversions its forward makes: each converting line
    warns :class:`TracerWarning` once over both runs, or, with ``strict``, raises
    :class:`ExportError`. Constants the trace knows do not count (``Trace.is_constant``)."""

    def __init__(self, strict: bool = False) -> None:
        self.strict = strict
        self.trace: Trace | None = None  # the run in progress
        self.thread: int | None = None  # the thread that runs it (others are not watched)
        self.seen: set = set()  # (filename, lineno, method) already warned

    def converted(self, t: Tensor, name: str) -> None:
        """Called before Tensor method ``name`` runs on ``t``: warns (or raises) unless ``t``
        is a constant (``Trace.is_constant``)."""
        trace = self.trace
        if trace is None or self.thread != threading.get_ident() or trace.is_constant(t.array):
            return
        traced = trace.lookup(t.array) is not None
        if name == "numpy" and t.requires_grad:
            if not traced:
                return  # numpy() refuses it, as it does outside an export
            # the trace gives the input requires_grad (so in-place ops are recorded), and
            # numpy() refuses such a tensor: the export refuses, naming the line
            filename, lineno, _ = _caller()
            raise ExportError(f"cannot export: the forward reads a value computed from the "
                              f"input as a NumPy array, outside gradlab's ops (Tensor.numpy() "
                              f"at {filename}:{lineno}); compute it with gradlab's tensor ops")
        filename, lineno, glob = _caller()
        what, call = _CONVERSIONS[name]
        origin = ("computed from the input" if traced else
                  "that may come from the input (the trace cannot tell: it was computed outside "
                  "gradlab's traced ops, e.g. by a comparison, argmax or any(), or made in "
                  "forward)")
        if self.strict:
            raise ExportError(
                f"cannot export (strict=True): {filename}:{lineno} converts a tensor {origin} "
                f"to {what} ({call}); the trace cannot follow a Python value, so the file would "
                "hold the value this example input gave, and any Python branch taken on it, as "
                "a constant. Compute it with gradlab's tensor ops (e.g. gradlab.where instead "
                "of an if on a value), or export with strict=False to be warned instead")
        if (filename, lineno, name) in self.seen:
            return
        self.seen.add((filename, lineno, name))
        warnings.warn_explicit(
            f"Converting a tensor to {what} might cause the trace to be incorrect. We can't "
            "record the data flow of Python values, so this value will be treated as a "
            "constant in the future. This means that the trace might not generalize to other "
            f"inputs! ({call} at {filename}:{lineno}, on a tensor {origin}: the exported file "
            "holds the value this example input gave, and any Python branch taken on it; "
            "compute it with gradlab's tensor ops, or pass strict=True to refuse.)",
            TracerWarning, filename, lineno, module=glob.get("__name__") if glob else None,
            registry=glob.setdefault("__warningregistry__", {}) if glob is not None else None,
            module_globals=glob)


def _caller() -> tuple:
    """(filename, line, globals) of the code that called the conversion: the first frame
    outside Tensor's methods and this file."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename in _INTERNAL_FILES:
        frame = frame.f_back
    if frame is None:
        return "<unknown>", 0, None
    return frame.f_code.co_filename, frame.f_lineno, frame.f_globals


def _watched(name: str, orig):
    """Tensor method ``name`` as it stands while a trace runs: ``orig`` after the watches."""
    def method(self, *args, **kwargs):
        if getattr(_local, "busy", False) or not _watches:
            return orig(self, *args, **kwargs)
        _local.busy = True
        try:
            for w in tuple(_watches):
                w.converted(self, name)
            return orig(self, *args, **kwargs)
        finally:
            _local.busy = False

    method.__name__, method.__qualname__, method.__doc__ = \
        orig.__name__, orig.__qualname__, orig.__doc__
    return method


class watch_conversions:
    """Context manager: while a trace runs, Tensor's converting methods report to ``watch``
    (they are Tensor's own functions again when no trace runs: no cost outside export)."""

    def __init__(self, watch: ConversionWatch, trace: Trace) -> None:
        self.watch, self.trace = watch, trace

    def __enter__(self) -> ConversionWatch:
        self.watch.trace, self.watch.thread = self.trace, threading.get_ident()
        with _lock:
            if not _watches:
                for name in _CONVERSIONS:
                    _originals[name] = Tensor.__dict__[name]
                    setattr(Tensor, name, _watched(name, _originals[name]))
            _watches.append(self.watch)
        return self.watch

    def __exit__(self, *exc) -> None:
        with _lock:
            _watches.remove(self.watch)
            if not _watches:
                for name in _CONVERSIONS:
                    setattr(Tensor, name, _originals.pop(name))
        self.watch.trace = self.watch.thread = None


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


def run_trace(model, inputs: list, param_ids: dict, names: list, reserved: set,
              watch: ConversionWatch | None = None) -> tuple:
    """Run ``model`` on ``inputs`` (named ``names``) under a :class:`Trace`: the trace and the
    model's outputs as a flat list of Tensors. ``watch`` sees the conversions of traced values
    to Python values (a new non-strict one if None)."""
    trace = Trace(param_ids, reserved)
    watch = ConversionWatch() if watch is None else watch
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
        with observe(trace), enable_grad(), watch_conversions(watch, trace):
            out = model(*tensors)
    except RuntimeError as exc:
        if "requires grad" not in str(exc):
            raise
        # the trace runs with gradients on (so in-place ops are recorded): a forward that
        # leaves the graph through .numpy() fails here (on a value computed from the input,
        # the watch refuses first and names the line), and could not be traced anyway
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

