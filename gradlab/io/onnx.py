"""ONNX export: trace one forward pass op by op and write it as an ONNX graph.

:func:`export` runs the model (in eval mode) on the example input with an observer on every
``Function.apply`` (``with gradlab.autograd.observe(...)``), so everything the forward does
through gradlab's ops is seen: layers, residual adds, views, the user's own tensor code. Each
op that touches a value computed from the input becomes one or a few ONNX nodes; ops on
parameters and constants alone (a Linear's ``weight.t()``, BatchNorm's
``weight / sqrt(running_var + eps)``) are folded: their results become initializers.
Parameters and buffers keep their ``state_dict`` names.

The forward is traced twice, the second time on other values (and, along the ``dynamic_axes``,
another size). A constant that differs between the two runs was computed from the input
outside gradlab's ops (``.numpy()``, ``.detach()``, comparisons, ``argmax``, Python control
flow on values) and would be frozen into the file: export refuses it with a clear error instead,
as it refuses ops with no ONNX mapping. Shapes that differ between the runs are the dynamic
ones: reshapes then copy (``0``) or infer (``-1``) those dims.

Recurrent layers map to ONNX's LSTM/GRU/RNN ops. Their gate blocks are reordered: PyTorch's
(i, f, g, o) is ONNX's (i, o, f, c) for the LSTM, (r, z, n) is (z, r, h) for the GRU, whose
PyTorch form (reset gate applied after the hidden matmul) is ``linear_before_reset=1``.

Needs the ``onnx`` package (``pip install gradlab[onnx]``); onnxruntime is not needed to
export, only to run the file.
"""

from __future__ import annotations

import io as _io
import math
import os
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np

from ..autograd import enable_grad, observe
from ..nn.module import _HookInputs, _HookOutputs
from ..ops import activation as A
from ..ops import conv as C
from ..ops import elementwise as E
from ..ops import embedding as EM
from ..ops import linalg as L
from ..ops import norm as N
from ..ops import pool as P
from ..ops import reduce as R
from ..ops import rnn as RN
from ..ops import shape as S
from ..tensor import Tensor

_INT64_MAX = np.iinfo(np.int64).max


class ExportError(RuntimeError):
    """The model cannot be written as ONNX (an op without a mapping, a value computed outside
    gradlab's ops, an unsupported argument)."""


def _onnx():
    try:
        import onnx
    except ImportError:  # pragma: no cover - the test environment has it
        raise ImportError("gradlab.onnx.export needs the onnx package: pip install "
                          "'gradlab[onnx]' (or pip install onnx)") from None
    return onnx


# ----------------------------------------------------------------------------- tracing


class _Record:
    """One traced op: its Function class, arguments and outputs."""

    __slots__ = ("cls", "args", "kwargs", "outs", "shapes", "dtypes")

    def __init__(self, cls, args, kwargs, outs, shapes, dtypes) -> None:
        self.cls, self.args, self.kwargs = cls, args, kwargs
        self.outs, self.shapes, self.dtypes = outs, shapes, dtypes


class _Trace:
    """Observer of ``Function.apply``: records the ops that read a traced value."""

    def __init__(self, param_ids: dict, reserved: set) -> None:
        self.reserved = reserved  # the user's input and output names
        self.values: dict[int, tuple[str, np.ndarray]] = {}  # id(array) -> (name, array)
        self.shapes: dict[str, tuple] = {}
        self.dtypes: dict[str, np.dtype] = {}
        self.records: list[_Record] = []
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
            obj = obj.data
        return isinstance(obj, np.ndarray) and self.lookup(obj) is not None

    def hint(self, arr) -> str | None:
        if id(arr) in self.param_ids:
            return self.param_ids[id(arr)]
        h = self.hints.get(id(arr))
        return h[0] if h is not None and h[1] is arr else None

    def __call__(self, cls, args, kwargs, results) -> None:
        rec = []
        traced = False
        root = None
        for a in args:
            arr = a.data if isinstance(a, Tensor) else a
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
                    raise ExportError(f"cannot export {_opname(cls)}: it takes a value computed "
                                      "from the input inside a Python container (e.g. an index "
                                      "tensor); only constant indices are supported")
                rec.append(("py", a))
        if not traced:
            # a constant: folded, its result is read as a constant where it is used (and named
            # after the parameter it comes from, e.g. "fc.weight/Permute")
            if root is not None:
                for r in results:
                    self.hints[id(r.data)] = (f"{root}/{cls.__name__}", r.data)
            return
        outs = []
        for r in results:
            self.count += 1
            name = f"{cls.__name__.lower()}_{self.count}"
            while name in self.reserved:
                name += "_"
            self.add_value(name, r.data)
            outs.append(name)
        self.records.append(_Record(cls, rec, dict(kwargs), outs,
                                    [r.data.shape for r in results],
                                    [r.data.dtype for r in results]))


def _checksum(arr: np.ndarray) -> int:
    return zlib.crc32(np.ascontiguousarray(arr).view(np.uint8).reshape(-1)) if arr.size else 0


def _opname(cls) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


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


def _run_trace(model, inputs: list, param_ids: dict, names: list, reserved: set) -> tuple:
    trace = _Trace(param_ids, reserved)
    tensors = []
    for name, a in zip(names, inputs):
        t = Tensor._wrap(np.array(a, copy=True))
        if a.dtype.kind == "f":
            # a non-leaf that requires grad: in-place ops on it and on everything computed
            # from it then go through Function.apply (as out-of-place ops), so they are traced
            t.requires_grad = True
            with enable_grad():
                t = E.Clone.apply(t)
        trace.add_value(name, t.data)
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
    trace.check_unchanged({n: f"the output of {_opname(r.cls)}" for r in trace.records
                           for n in r.outs})
    return trace, _flatten(out)


def _second_input(a: np.ndarray, axes: list, rng: np.random.Generator) -> np.ndarray:
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


# ----------------------------------------------------------------------------- graph building


class _Graph:
    """Nodes, initializers and fresh names for the ONNX graph being built."""

    def __init__(self, onnx, opset: int) -> None:
        self.onnx = onnx
        self.helper = onnx.helper
        self.opset = opset
        self.nodes: list = []
        self.inits: dict[str, Any] = {}
        self.const_ids: dict[int, str] = {}
        self.used_names: set = set()
        self.n = 0

    def fresh(self, hint: str) -> str:
        self.n += 1
        name = f"{hint}_{self.n}"
        while name in self.used_names:
            self.n += 1
            name = f"{hint}_{self.n}"
        self.used_names.add(name)
        return name

    def node(self, op: str, inputs: list, outputs: list | None = None, **attrs) -> list:
        outputs = outputs or [self.fresh(op.lower())]
        self.nodes.append(self.helper.make_node(op, inputs, outputs, **attrs))
        return outputs

    def one(self, op: str, inputs: list, **attrs) -> str:
        return self.node(op, inputs, **attrs)[0]

    def const(self, arr, hint: str = "const", name: str | None = None) -> str:
        arr = np.asarray(arr)
        if name is None:
            name = self.fresh(hint)
        self.used_names.add(name)
        self.inits[name] = self.onnx.numpy_helper.from_array(np.ascontiguousarray(arr), name)
        return name

    def ints(self, values, hint: str = "ints") -> str:
        return self.const(np.asarray(values, dtype=np.int64), hint)

    # opset-dependent spellings
    def reduce(self, op: str, x: str, axes, keepdims: bool, out: str | None = None) -> str:
        attrs = {"keepdims": int(keepdims)}
        inputs = [x]
        if axes is not None:
            axes = [int(a) for a in axes]
            if op == "ReduceSum" or self.opset >= 18:
                inputs.append(self.ints(axes, "axes"))
            else:
                attrs["axes"] = axes
        return self.node(op, inputs, [out] if out else None, **attrs)[0]

    def squeeze(self, x: str, axes, out: str | None = None) -> str:
        return self.node("Squeeze", [x, self.ints(list(axes), "axes")],
                         [out] if out else None)[0]

    def unsqueeze(self, x: str, axes, out: str | None = None) -> str:
        return self.node("Unsqueeze", [x, self.ints(list(axes), "axes")],
                         [out] if out else None)[0]


class _Op:
    """What an op mapping sees of one traced op (both runs) and how it emits nodes."""

    def __init__(self, g: _Graph, r1: _Record, r2: _Record, t1: _Trace, t2: _Trace,
                 const_names: dict) -> None:
        self.g, self.r1, self.r2, self.t1, self.t2 = g, r1, r2, t1, t2
        self.const_names = const_names
        self.name = _opname(r1.cls)
        self.outs = r1.outs

    def fail(self, why: str) -> ExportError:
        return ExportError(f"cannot export {self.name}: {why}")

    def kind(self, k: int) -> str:
        return self.r1.args[k][0]

    def is_value(self, k: int) -> bool:
        return self.r1.args[k][0] == "value"

    def py(self, k: int):
        kind, v = self.r1.args[k]
        if kind != "py":
            raise self.fail(f"argument {k} is a tensor where a Python value was expected")
        return v

    def py_pair(self, k: int) -> tuple:
        return self.r1.args[k][1], self.r2.args[k][1]

    def const_array(self, k: int) -> np.ndarray | None:
        """Argument k as a constant array, checked equal in both runs (None for None)."""
        kind, v = self.r1.args[k]
        kind2, v2 = self.r2.args[k]
        if kind == "py":
            return None if v is None else np.asarray(v)
        if kind == "value" or kind2 == "value":
            raise self.fail(f"argument {k} must be a constant (a parameter), got a value "
                            "computed from the input")
        if v is not v2 and (v.shape != v2.shape or v.dtype != v2.dtype
                            or not np.array_equal(v, v2, equal_nan=v.dtype.kind == "f")):
            raise self.fail(
                f"argument {k} (shape {list(v.shape)}) is a constant that changes with the "
                "model's input: it was computed from the input outside gradlab's traced ops "
                "(for example through .numpy(), .detach(), .item(), a comparison, argmax, "
                "x.shape, or Python control flow), so it cannot be frozen into the file")
        return v

    def inp(self, k: int, dtype=None, hint: str | None = None) -> str:
        """Argument k as a graph value: a traced value's name, or a new initializer."""
        kind, v = self.r1.args[k]
        if kind == "value":
            if dtype is not None and self.t1.dtypes[v] != np.dtype(dtype):
                return self.g.one("Cast", [v], to=_onnx_type(dtype))
            return v
        arr = self.const_array(k)
        if arr is None:
            raise self.fail(f"argument {k} is None")
        if dtype is not None and arr.dtype != np.dtype(dtype):
            arr = arr.astype(dtype)
            return self.g.const(arr, hint or "const")
        if kind == "const":
            key = id(v)
            name = self.g.const_ids.get(key)
            if name is None:
                pname = self.const_names.get(key) or self.t1.hint(v)
                name = self.g.const(arr, pname or hint or "const",
                                    name=pname if pname and pname not in self.g.used_names
                                    else None)
                self.g.const_ids[key] = name
            return name
        return self.g.const(arr, hint or "const")

    def in_shapes(self, k: int) -> tuple:
        kind, v = self.r1.args[k]
        if kind == "value":
            return self.t1.shapes[v], self.t2.shapes[self.r2.args[k][1]]
        arr = self.const_array(k)
        return arr.shape, arr.shape

    def out_shapes(self, k: int = 0) -> tuple:
        return self.r1.shapes[k], self.r2.shapes[k]

    def out_dtype(self, k: int = 0) -> np.dtype:
        return self.r1.dtypes[k]

    def static_in_shape(self, k: int, what: str, dims=None) -> tuple:
        s1, s2 = self.in_shapes(k)
        dims = range(len(s1)) if dims is None else dims
        if any(s1[d] != s2[d] for d in dims):
            raise self.fail(f"{what} must not change with the dynamic axes (got {list(s1)} and "
                            f"{list(s2)})")
        return s1

    def emit(self, op: str, inputs: list, k: int = 0, **attrs) -> str:
        return self.g.node(op, inputs, [self.outs[k]], **attrs)[0]


def _onnx_type(dtype) -> int:
    from onnx import helper

    return helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


# ----------------------------------------------------------------------------- op mappings

_MAPPINGS: dict[type, Callable[[_Op], None]] = {}


def _maps(*classes):
    def deco(fn):
        for c in classes:
            _MAPPINGS[c] = fn
        return fn

    return deco


def _unary(onnx_op: str, **attrs):
    def fn(op: _Op) -> None:
        op.emit(onnx_op, [op.inp(0)], **attrs)

    return fn


for _cls, _name in ((A.Sigmoid, "Sigmoid"), (A.Tanh, "Tanh"), (A.ReLU, "Relu"),
                    (E.Neg, "Neg"), (E.Abs, "Abs"), (E.Exp, "Exp"), (E.Log, "Log"),
                    (E.Sqrt, "Sqrt"), (E.Sin, "Sin"), (E.Cos, "Cos"), (E.Clone, "Identity"),
                    (S.Contiguous, "Identity")):
    _MAPPINGS[_cls] = _unary(_name)


def _elementwise(onnx_op: str):
    def fn(op: _Op) -> None:
        dt = op.out_dtype()
        op.emit(onnx_op, [op.inp(0, dt), op.inp(1, dt)])

    return fn


for _cls, _name in ((E.Add, "Add"), (E.Sub, "Sub"), (E.Mul, "Mul"), (E.Div, "Div"),
                    (E.Pow, "Pow"), (E.Maximum, "Max"), (E.Minimum, "Min")):
    _MAPPINGS[_cls] = _elementwise(_name)


@_maps(E.Rsqrt)
def _rsqrt(op: _Op) -> None:
    op.emit("Reciprocal", [op.g.one("Sqrt", [op.inp(0)])])


@_maps(E.Log1p)
def _log1p(op: _Op) -> None:
    one = op.g.const(np.asarray(1, dtype=op.out_dtype()), "one")
    op.emit("Log", [op.g.one("Add", [op.inp(0), one])])


@_maps(E.Where)
def _where(op: _Op) -> None:
    dt = op.out_dtype()
    op.emit("Where", [op.inp(0, np.bool_), op.inp(1, dt), op.inp(2, dt)])


@_maps(E.Clamp)
def _clamp(op: _Op) -> None:
    dt = op.out_dtype()
    x = op.inp(0, dt)
    for k, onnx_op in ((1, "Max"), (2, "Min")):
        if op.kind(k) == "py" and op.py(k) is None:
            continue
        x = op.g.one(onnx_op, [x, op.inp(k, dt)])
    op.emit("Identity", [x])


@_maps(E.Cast)
def _cast(op: _Op) -> None:
    op.emit("Cast", [op.inp(0)], to=_onnx_type(op.py(1)))


@_maps(L.Matmul)
def _matmul(op: _Op) -> None:
    op.emit("MatMul", [op.inp(0), op.inp(1)])


# ---- activations


@_maps(A.Softmax, A.LogSoftmax)
def _softmax(op: _Op) -> None:
    op.emit("Softmax" if op.r1.cls is A.Softmax else "LogSoftmax", [op.inp(0)],
            axis=int(op.py(1)))


@_maps(A.LeakyReLU)
def _leaky_relu(op: _Op) -> None:
    op.emit("LeakyRelu", [op.inp(0)], alpha=float(op.py(1)))


@_maps(A.ELU)
def _elu(op: _Op) -> None:
    op.emit("Elu", [op.inp(0)], alpha=float(op.py(1)))


@_maps(A.PReLU)
def _prelu(op: _Op) -> None:
    op.emit("PRelu", [op.inp(0), op.inp(1, op.out_dtype(), "prelu_slope")])


@_maps(A.Softplus)
def _softplus(op: _Op) -> None:
    # log(1 + e^{beta x}) / beta, and x itself where beta x > threshold (torch's rule)
    dt = op.out_dtype()
    g, x = op.g, op.inp(0)
    beta, threshold = float(op.py(1)), float(op.py(2))
    z = x if beta == 1 else g.one("Mul", [x, g.const(np.asarray(beta, dt), "beta")])
    sp = g.one("Softplus", [z])
    if beta != 1:
        sp = g.one("Div", [sp, g.const(np.asarray(beta, dt), "beta")])
    big = g.one("Greater", [z, g.const(np.asarray(threshold, dt), "threshold")])
    op.emit("Where", [big, x, sp])


@_maps(A.GELU)
def _gelu(op: _Op) -> None:
    dt = op.out_dtype()
    g, x = op.g, op.inp(0)

    def c(v, hint):
        return g.const(np.asarray(v, dtype=dt), hint)

    if op.py(1) == "tanh":  # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        x3 = g.one("Mul", [g.one("Mul", [x, x]), x])
        inner = g.one("Add", [x, g.one("Mul", [x3, c(0.044715, "gelu_a")])])
        t = g.one("Tanh", [g.one("Mul", [inner, c(math.sqrt(2 / math.pi), "gelu_k")])])
    else:  # 0.5 x (1 + erf(x / sqrt 2))
        t = g.one("Erf", [g.one("Mul", [x, c(1 / math.sqrt(2), "inv_sqrt2")])])
    half_x = g.one("Mul", [x, c(0.5, "half")])
    op.emit("Mul", [half_x, g.one("Add", [t, c(1.0, "one")])])


# ---- convolution and pooling


@_maps(C.Conv2d)
def _conv2d(op: _Op) -> None:
    stride, pad, dilation, groups = (op.py(k) for k in (3, 4, 5, 6))
    inputs = [op.inp(0), op.inp(1)]
    if not (op.kind(2) == "py" and op.py(2) is None):
        inputs.append(op.inp(2))
    kh, kw = op.in_shapes(1)[0][2:]
    op.emit("Conv", inputs, kernel_shape=[kh, kw], strides=list(stride),
            pads=[pad[0], pad[2], pad[1], pad[3]], dilations=list(dilation), group=int(groups))


@_maps(C.ConvTranspose2d)
def _conv_transpose2d(op: _Op) -> None:
    stride, padding, output_padding, dilation, groups = (op.py(k) for k in range(3, 8))
    inputs = [op.inp(0), op.inp(1)]
    if not (op.kind(2) == "py" and op.py(2) is None):
        inputs.append(op.inp(2))
    kh, kw = op.in_shapes(1)[0][2:]
    op.emit("ConvTranspose", inputs, kernel_shape=[kh, kw], strides=list(stride),
            pads=[padding[0], padding[1], padding[0], padding[1]],
            output_padding=list(output_padding), dilations=list(dilation), group=int(groups))


@_maps(P.MaxPool2d)
def _max_pool2d(op: _Op) -> None:
    k, s, p, d, ceil_mode = (op.py(i) for i in range(1, 6))
    # the second output (torch's per-plane indices) has no ONNX equivalent: left unproduced,
    # so a model that reads it fails with a clear error (see _check_produced)
    op.emit("MaxPool", [op.inp(0)], kernel_shape=list(k), strides=list(s),
            pads=[p[0], p[1], p[0], p[1]], dilations=list(d), ceil_mode=int(ceil_mode))


@_maps(P.AvgPool2d)
def _avg_pool2d(op: _Op) -> None:
    k, s, p, ceil_mode, count_include_pad, divisor = (op.py(i) for i in range(1, 7))
    if divisor:
        raise op.fail(f"divisor_override={divisor} has no ONNX equivalent")
    op.emit("AveragePool", [op.inp(0)], kernel_shape=list(k), strides=list(s),
            pads=[p[0], p[1], p[0], p[1]], ceil_mode=int(ceil_mode),
            count_include_pad=int(count_include_pad))


def _adaptive(op: _Op, global_op: str, pool_op: str) -> None:
    h, w = op.static_in_shape(0, "the spatial size of an adaptive pooling input",
                              (2, 3))[2:]
    oh, ow = op.py(1)
    if (oh, ow) == (1, 1):
        op.emit(global_op, [op.inp(0)])
    elif h % oh == 0 and w % ow == 0:
        op.emit(pool_op, [op.inp(0)], kernel_shape=[h // oh, w // ow],
                strides=[h // oh, w // ow])
    elif global_op == "GlobalAveragePool":
        # unequal (overlapping) windows: out = A_h x A_w^T with PyTorch's averaging matrices,
        # as gradlab computes it
        dt = op.out_dtype()
        ah = op.g.const(P.averaging_matrix(h, oh, dt), "adaptive_rows")
        awt = op.g.const(np.ascontiguousarray(P.averaging_matrix(w, ow, dt).T), "adaptive_cols")
        op.emit("MatMul", [op.g.one("MatMul", [ah, op.inp(0)]), awt])
    else:
        raise op.fail(f"output size {(oh, ow)} does not divide the input size {(h, w)}: its "
                      "windows have unequal sizes, which ONNX's max pooling cannot express")


@_maps(P.AdaptiveAvgPool2d)
def _adaptive_avg(op: _Op) -> None:
    _adaptive(op, "GlobalAveragePool", "AveragePool")


@_maps(P.AdaptiveMaxPool2d)
def _adaptive_max(op: _Op) -> None:
    _adaptive(op, "GlobalMaxPool", "MaxPool")


# ---- normalization, reductions


@_maps(N.Normalize)
def _normalize(op: _Op) -> None:
    # out = (x - mean) / sqrt(var + eps) * gamma + beta over ``axes`` (mean, var: keepdims)
    g, dt = op.g, op.out_dtype()
    x = op.inp(0)
    ndim = len(op.in_shapes(0)[0])
    axes = [a % ndim for a in op.py(3)]
    mean = g.reduce("ReduceMean", x, axes, True, out=op.outs[1])
    xc = g.one("Sub", [x, mean])
    var = g.reduce("ReduceMean", g.one("Mul", [xc, xc]), axes, True, out=op.outs[2])
    std = g.one("Sqrt", [g.one("Add", [var, g.const(np.asarray(op.py(4), dt), "eps")])])
    y = g.one("Div", [xc, std])
    for k, onnx_op in ((1, "Mul"), (2, "Add")):
        if not (op.kind(k) == "py" and op.py(k) is None):
            y = g.one(onnx_op, [y, op.inp(k, dt)])
    op.emit("Identity", [y])


def _dims(dims, ndim: int):
    return None if dims is None else [d % ndim for d in dims]


@_maps(R.Sum, R.Mean, R.LogSumExp)
def _sum_mean(op: _Op) -> None:
    onnx_op = {R.Sum: "ReduceSum", R.Mean: "ReduceMean",
               R.LogSumExp: "ReduceLogSumExp"}[op.r1.cls]
    ndim = len(op.in_shapes(0)[0])
    op.g.reduce(onnx_op, op.inp(0), _dims(op.py(1), ndim), bool(op.py(2)), out=op.outs[0])


@_maps(R.Var, R.Std)
def _var_std(op: _Op) -> None:
    g, dt = op.g, op.out_dtype()
    x = op.inp(0)
    shape = op.in_shapes(0)[0]
    dims = _dims(op.py(1), len(shape))
    op.static_in_shape(0, "the reduced dims of var/std", dims)
    n = int(np.prod([shape[d] for d in (dims if dims is not None else range(len(shape)))]))
    correction, keepdim = op.py(2), bool(op.py(3))
    xc = g.one("Sub", [x, g.reduce("ReduceMean", x, dims, True)])
    ss = g.reduce("ReduceSum", g.one("Mul", [xc, xc]), dims, keepdim)
    var = g.one("Div", [ss, g.const(np.asarray(max(n - correction, 0), dt), "dof")])
    if op.r1.cls is R.Std:
        var = g.one("Sqrt", [var])
    op.emit("Identity", [var])


@_maps(R.MaxMin)
def _maxmin(op: _Op) -> None:
    ndim = len(op.in_shapes(0)[0])
    op.g.reduce("ReduceMax" if op.py(3) else "ReduceMin", op.inp(0), _dims(op.py(1), ndim),
                bool(op.py(2)), out=op.outs[0])


@_maps(R.MaxMinDim)
def _maxmin_dim(op: _Op) -> None:
    if len(op.in_shapes(0)[0]) == 0:
        raise op.fail("max/min along a dim of a 0-d tensor")
    dim, keepdim, is_max = op.py(1), bool(op.py(2)), op.py(3)
    x = op.inp(0)
    op.g.reduce("ReduceMax" if is_max else "ReduceMin", x, [dim], keepdim, out=op.outs[0])
    op.g.node("ArgMax" if is_max else "ArgMin", [x], [op.outs[1]], axis=int(dim),
              keepdims=int(keepdim))


@_maps(R.Prod)
def _prod(op: _Op) -> None:
    dim = op.py(1)
    op.g.reduce("ReduceProd", op.inp(0), None if dim is None else [dim], bool(op.py(2)),
                out=op.outs[0])


@_maps(R.Cumsum)
def _cumsum(op: _Op) -> None:
    op.emit("CumSum", [op.inp(0), op.g.ints(int(op.py(1)), "axis")])


# ---- shapes


@_maps(S.Reshape, S.View)
def _reshape(op: _Op) -> None:
    t1, t2 = op.py_pair(1)
    in1, in2 = op.in_shapes(0)
    target = []
    for j, (a, b) in enumerate(zip(t1, t2)):
        if a == b:
            target.append(int(a))
        elif j < len(in1) and in1[j] == a and in2[j] == b:
            target.append(0)  # copied from the input's dim j (a dynamic axis kept in place)
        else:
            target.append(-1)
    if target.count(-1) > 1:
        raise op.fail(f"reshape from {list(in1)} to {list(t1)} mixes several dynamic "
                      "dims; export with fewer dynamic_axes")
    if 0 in t1:
        raise op.fail(f"reshape to an empty shape {list(t1)}")
    op.emit("Reshape", [op.inp(0), op.g.ints(target, "shape")])


@_maps(S.Permute)
def _permute(op: _Op) -> None:
    op.emit("Transpose", [op.inp(0)], perm=[int(d) for d in op.py(1)])


@_maps(S.Expand)
def _expand(op: _Op) -> None:
    t1, t2 = op.py_pair(1)
    in1, in2 = op.in_shapes(0)
    lead = len(t1) - len(in1)
    target = []
    for j, (a, b) in enumerate(zip(t1, t2)):
        i = j - lead
        if i >= 0 and in1[i] == a and in2[i] == b:
            target.append(1)  # keeps the input's size, whatever it is at run time
        elif a == b:
            target.append(int(a))
        else:
            raise op.fail(f"expand of {list(in1)} to a size {list(t1)} that changes with the "
                          "input")
    op.emit("Expand", [op.inp(0), op.g.ints(target, "shape")])


@_maps(S.Index)
def _index(op: _Op) -> None:
    idx = op.py(1)
    shape = op.in_shapes(0)[0]
    ndim = len(shape)
    n_real = sum(1 for i in idx if i is not None and i is not Ellipsis)
    full = []
    for i in idx:
        if i is Ellipsis:
            full += [slice(None)] * (ndim - n_real)
        else:
            full.append(i)
    full += [slice(None)] * (ndim - sum(1 for i in full if i is not None))
    starts, ends, axes, steps = [], [], [], []
    squeeze, unsqueeze, gathers = [], [], []
    d = 0  # input dim
    kept = 0  # dims of the final result so far (Nones and dims that are not squeezed)
    for i in full:
        if i is None:
            unsqueeze.append(kept)
            kept += 1
            continue
        if isinstance(i, slice):
            if i != slice(None):
                st = 1 if i.step is None else int(i.step)
                if st <= 0:
                    raise op.fail(f"slice step {st} (only positive steps)")
                starts.append(0 if i.start is None else int(i.start))
                ends.append(_INT64_MAX if i.stop is None else int(i.stop))
                axes.append(d)
                steps.append(st)
        elif isinstance(i, (int, np.integer)):
            i = int(i)
            starts.append(i)
            ends.append(_INT64_MAX if i == -1 else i + 1)
            axes.append(d)
            steps.append(1)
            squeeze.append(d)
            kept -= 1
        elif isinstance(i, np.ndarray) and i.dtype.kind in "iu" and i.ndim == 1:
            gathers.append((d, i))
        else:
            raise op.fail(f"indexing with {type(i).__name__} {getattr(i, 'dtype', '')} "
                          "(supported: ints, slices, None, ..., one 1-D integer array)")
        d += 1
        kept += 1
    if gathers and (len(gathers) > 1 or unsqueeze):
        raise op.fail("indexing with more than one index array, or with arrays and None")
    g, x = op.g, op.inp(0)
    if axes:
        x = g.one("Slice", [x, g.ints(starts, "starts"), g.ints(ends, "ends"),
                            g.ints(axes, "axes"), g.ints(steps, "steps")])
    for d_, arr in gathers:
        x = g.one("Gather", [x, g.ints(arr, "indices")], axis=d_)
    if squeeze:
        x = g.squeeze(x, squeeze)
    if unsqueeze:
        x = g.unsqueeze(x, unsqueeze)
    op.emit("Identity", [x])


@_maps(S.Cat)
def _cat(op: _Op) -> None:
    n = len(op.r1.args)
    op.emit("Concat", [op.inp(k) for k in range(n)], axis=int(op.r1.kwargs["dim"]))


@_maps(S.Stack)
def _stack(op: _Op) -> None:
    n = len(op.r1.args)
    dim = int(op.r1.kwargs["dim"])
    op.emit("Concat", [op.g.unsqueeze(op.inp(k), [dim]) for k in range(n)], axis=dim)


@_maps(S.Pad)
def _pad(op: _Op) -> None:
    pad, value = op.py(1), op.py(2)
    ndim = len(op.in_shapes(0)[0])
    begin, end = [0] * ndim, [0] * ndim
    for k in range(len(pad) // 2):
        d = ndim - 1 - k
        begin[d], end[d] = int(pad[2 * k]), int(pad[2 * k + 1])
    op.emit("Pad", [op.inp(0), op.g.ints(begin + end, "pads"),
                    op.g.const(np.asarray(value, dtype=op.out_dtype()), "pad_value")],
            mode="constant")


@_maps(S.IndexSelect)
def _index_select(op: _Op) -> None:
    idx = op.const_array(2)
    op.emit("Gather", [op.inp(0), op.g.ints(idx, "indices")], axis=int(op.py(1)))


@_maps(S.Gather)
def _gather(op: _Op) -> None:
    idx = op.const_array(2)
    op.emit("GatherElements", [op.inp(0), op.g.ints(idx, "indices")], axis=int(op.py(1)))


@_maps(EM.Embedding)
def _embedding(op: _Op) -> None:
    op.emit("Gather", [op.inp(0), op.inp(1, np.int64)], axis=0)


@_maps(_HookInputs, _HookOutputs)
def _hook_identity(op: _Op) -> None:
    # a module's backward hooks: the identity on the tensors after the hook state
    for k in range(len(op.outs)):
        op.emit("Identity", [op.inp(k + 1)], k)


# ---- recurrent layers

_RNN_LAYERS = {RN.LSTMLayer: ("LSTM", 4, 2), RN.GRULayer: ("GRU", 3, 1),
               RN.RNNLayer: ("RNN", 1, 1)}


def _gate_perm(kind: str, h: int) -> np.ndarray:
    if kind == "LSTM":  # torch (i, f, g, o) -> ONNX (i, o, f, c)
        return np.r_[0:h, 3 * h:4 * h, h:2 * h, 2 * h:3 * h]
    if kind == "GRU":  # torch (r, z, n) -> ONNX (z, r, h)
        return np.r_[h:2 * h, 0:h, 2 * h:3 * h]
    return np.arange(h)


@_maps(RN.LSTMLayer, RN.GRULayer, RN.RNNLayer)
def _rnn_layer(op: _Op) -> None:
    kind, gates, n_states = _RNN_LAYERS[op.r1.cls]
    kw = op.r1.kwargs
    if kw.get("batch_sizes") is not None:
        raise op.fail("packed sequences (PackedSequence input) cannot be exported; pass the "
                      "padded batch")
    g = op.g
    w_ih, w_hh = op.const_array(1 + n_states), op.const_array(2 + n_states)
    b_ih, b_hh = op.const_array(3 + n_states), op.const_array(4 + n_states)
    h = w_hh.shape[1]
    perm = _gate_perm(kind, h)
    dt = w_ih.dtype
    if b_ih is None:
        b_ih = b_hh = np.zeros(gates * h, dtype=dt)
    bias = np.concatenate([b_ih[perm], b_hh[perm]])[None]
    inputs = [op.inp(0), g.const(w_ih[perm][None], f"{kind.lower()}_W"),
              g.const(w_hh[perm][None], f"{kind.lower()}_R"),
              g.const(bias, f"{kind.lower()}_B"), ""]
    for k in range(1, 1 + n_states):
        if op.kind(k) == "const" and op.r2.args[k][0] == "const" and \
                not op.r1.args[k][1].any() and not op.r2.args[k][1].any():
            inputs.append("")  # a zero initial state is ONNX's default
        else:
            inputs.append(g.unsqueeze(op.inp(k), [0]))
    while inputs[-1] == "":
        inputs.pop()
    attrs = {"hidden_size": int(h), "direction": "reverse" if kw.get("reverse") else "forward"}
    if kind == "GRU":
        # torch's GRU applies the reset gate after the hidden matmul; Cho's form before it
        attrs["linear_before_reset"] = 0 if kw.get("cho") else 1
    if kind == "RNN":
        attrs["activations"] = ["Relu" if kw.get("nonlinearity") == "relu" else "Tanh"]
    outs = g.node(kind, inputs, [g.fresh(f"{kind.lower()}_y") for _ in range(1 + n_states)],
                  **attrs)
    g.squeeze(outs[0], [1], out=op.outs[0])
    for k in range(n_states):
        g.squeeze(outs[1 + k], [0], out=op.outs[1 + k])


# ----------------------------------------------------------------------------- export


# what the user wrote that led to an op without a mapping
_WHY_NOT = {
    "IndexPut": " (indexed assignment x[idx] = v, or zero_/fill_/copy_ on a value computed from "
                "the input; build the tensor with cat/where instead)",
    "_PackPadded": " (pack_padded_sequence: export the padded batch without lengths)",
    "CrossEntropy": " (a loss: export the model, not the loss)",
    "NLLLoss": " (a loss: export the model, not the loss)",
    "BinaryCrossEntropy": " (a loss: export the model, not the loss)",
    "BCEWithLogits": " (a loss: export the model, not the loss)",
}


def _names(given, n: int, default: str, what: str) -> list:
    if given is None:
        return [default] if n == 1 else [f"{default}_{k}" for k in range(n)]
    given = list(given)
    if len(given) != n:
        raise ValueError(f"export: {len(given)} {what} for {n} model {what.split('_')[0]}s")
    return given


def _dynamic(dynamic_axes, name: str, ndim: int) -> dict:
    if not dynamic_axes or name not in dynamic_axes:
        return {}
    spec = dynamic_axes[name]
    if isinstance(spec, dict):
        axes = {int(k) % ndim: str(v) for k, v in spec.items()}
    else:
        axes = {int(k) % ndim: f"{name}_dynamic_axes_{int(k) % ndim + 1}" for k in spec}
    return axes


def _value_info(onnx, name: str, dtype, s1: tuple, s2: tuple, dyn: dict):
    dims = []
    for j, (a, b) in enumerate(zip(s1, s2)):
        if j in dyn:
            dims.append(dyn[j])
        elif a != b:
            dims.append(f"{name}_dim_{j}")
        else:
            dims.append(int(a))
    return onnx.helper.make_tensor_value_info(name, _onnx_type(dtype), dims)


def _check_produced(graph: _Graph, inputs: list, trace: _Trace) -> None:
    """Every node input must be a graph input, an initializer or another node's output."""
    have = set(inputs) | set(graph.inits) | {""}
    producer = {name: r.cls for r in trace.records for name in r.outs}
    for node in graph.nodes:
        for i in node.input:
            if i not in have:
                cls = producer.get(i)
                what = f"output of {_opname(cls)}" if cls else f"value {i}"
                raise ExportError(f"cannot export: the {what} is used but has no ONNX "
                                  "equivalent (e.g. max pooling's indices)")
        have.update(node.output)


def export(model, args, f, input_names: list[str] | None = None,
           output_names: list[str] | None = None, dynamic_axes: dict | None = None,
           opset_version: int = 17):
    """Write ``model`` as an ONNX file that onnxruntime runs (torch.onnx.export's arguments).

    The model is traced in eval mode (its mode is restored after) on ``args``, a Tensor or a
    tuple of Tensors (the positional inputs of ``forward``). Parameters and buffers become
    initializers named as in ``state_dict``; ``dynamic_axes`` maps an input or output name to
    the axes that may change size (a list, or a dict ``{axis: "symbol"}``), e.g.
    ``{"input": {0: "batch"}, "output": {0: "batch"}}``. Supported: Linear, Conv1d/Conv2d,
    ConvTranspose2d, max/average/adaptive pooling, BatchNorm (eval), LayerNorm/GroupNorm, the
    activations, Flatten/view/reshape/indexing/cat, Dropout (eval, the identity), Embedding,
    LSTM/GRU/RNN and any tensor arithmetic in ``forward``. An op without an ONNX mapping
    raises :class:`ExportError` naming it.

    ``f``: a path or a binary file object. Returns the ``onnx.ModelProto`` (already checked
    with ``onnx.checker.check_model``).

    Shape: args as ``forward`` takes them; the file's inputs and outputs have the traced shapes,
    with the dynamic axes symbolic.
    """
    onnx = _onnx()
    if not 17 <= int(opset_version) <= 21:
        raise ValueError(f"export: opset_version must be between 17 and 21, got {opset_version}")
    if isinstance(args, Tensor):
        args = (args,)
    if not isinstance(args, (tuple, list)) or not args or \
            not all(isinstance(a, Tensor) for a in args):
        raise TypeError(f"export: args must be a Tensor or a non-empty tuple of Tensors, got "
                        f"{type(args).__name__}")
    arrays = [a.data.astype(np.int64) if a.data.dtype.kind in "iu" else a.data for a in args]
    in_names = _names(input_names, len(arrays), "input", "input_names")
    dyn_in = [_dynamic(dynamic_axes, n, a.ndim) for n, a in zip(in_names, arrays)]

    const_names: dict[int, str] = {}
    for name, p in list(model.named_parameters()) + list(model.named_buffers()):
        const_names.setdefault(id(p.data), name)
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        reserved = set(in_names) | set(output_names or ())
        t1, outs1 = _run_trace(model, arrays, const_names, in_names, reserved)
        rng = np.random.default_rng(0)
        second = [_second_input(a, sorted(d), rng) for a, d in zip(arrays, dyn_in)]
        t2, outs2 = _run_trace(model, second, const_names, in_names, reserved)
    finally:
        for m, training in modes:  # each module's own mode, as it was
            m.training = training

    if len(t1.records) != len(t2.records) or any(
            a.cls is not b.cls for a, b in zip(t1.records, t2.records)) or len(outs1) != \
            len(outs2):
        raise ExportError("cannot export: the forward ran different ops for another input "
                          "(Python control flow on tensor values); export a model whose ops do "
                          "not depend on the input's values")
    g = _Graph(onnx, int(opset_version))
    g.used_names.update(in_names)
    g.used_names.update(name for r in t1.records for name in r.outs)
    for r1, r2 in zip(t1.records, t2.records):
        fn = _MAPPINGS.get(r1.cls)
        if fn is None:
            why = _WHY_NOT.get(r1.cls.__name__, "")
            raise ExportError(f"cannot export {_opname(r1.cls)}: no ONNX mapping for this op"
                              f"{why} (supported: "
                              f"{', '.join(sorted({c.__name__ for c in _MAPPINGS}))})")
        fn(_Op(g, r1, r2, t1, t2, const_names))

    out_names = _names(output_names, len(outs1), "output", "output_names")
    outputs = []
    for k, (name, o1, o2) in enumerate(zip(out_names, outs1, outs2)):
        v = t1.lookup(o1.data)
        if v is None:
            raise ExportError(f"cannot export: model output {k} (shape {list(o1.shape)}) does "
                              "not depend on the input through gradlab's ops")
        g.node("Identity", [v], [name])
        outputs.append(_value_info(onnx, name, o1.data.dtype, o1.data.shape, o2.data.shape,
                                   _dynamic(dynamic_axes, name, o1.ndim)))
    inputs = [_value_info(onnx, n, a.dtype, a.shape, b.shape, d)
              for n, a, b, d in zip(in_names, arrays, second, dyn_in)]
    _check_produced(g, in_names, t1)
    graph = onnx.helper.make_graph(g.nodes, type(model).__name__, inputs, outputs,
                                   list(g.inits.values()))
    proto = onnx.helper.make_model(
        graph, producer_name="gradlab",
        opset_imports=[onnx.helper.make_opsetid("", int(opset_version))])
    # the oldest IR version that knows the opset: older runtimes can load the file too
    proto.ir_version = min(proto.ir_version, {17: 8, 18: 8, 19: 9, 20: 9}.get(opset_version, 10))
    onnx.checker.check_model(proto)
    if isinstance(f, (str, os.PathLike)):
        onnx.save_model(proto, os.fspath(f))
    elif isinstance(f, _io.IOBase) or hasattr(f, "write"):
        f.write(proto.SerializeToString())
    else:
        raise TypeError(f"export: f must be a path or a binary file object, got "
                        f"{type(f).__name__}")
    return proto


__all__ = ["export", "ExportError"]
