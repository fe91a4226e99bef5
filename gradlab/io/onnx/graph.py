"""Graph building: the ONNX nodes, initializers and value names, and the model's inputs and
outputs.

:class:`Graph` collects nodes and initializers and hands out fresh names (with the spellings
that depend on the opset). :class:`Op` is what an op's exporter sees of one traced op in both
runs: its arguments as graph values or checked constants, its shapes, and :meth:`Op.emit` to
write the nodes that produce its outputs. The functions below name the graph's inputs and
outputs, describe their (possibly symbolic) shapes, check that every node input is produced,
and turn the graph into the checked ``ModelProto``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .common import ExportError, onnx_type, opname
from .trace import Record, Trace


class Graph:
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


def _same_py(a, b) -> bool:
    """Whether two Python arguments of an op (numbers, tuples, slices, arrays, ...) are equal."""
    if isinstance(a, (tuple, list)) or isinstance(b, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same_py, a, b))
    if isinstance(a, slice) or isinstance(b, slice):
        return isinstance(a, slice) and isinstance(b, slice) and all(
            map(_same_py, (a.start, a.stop, a.step), (b.start, b.stop, b.step)))
    if hasattr(a, "__array__") or hasattr(b, "__array__"):  # arrays, Tensors, NumPy scalars
        if not (hasattr(a, "__array__") and hasattr(b, "__array__")):
            return False
        x, y = np.asarray(a), np.asarray(b)
        return x.shape == y.shape and x.dtype == y.dtype and \
            np.array_equal(x, y, equal_nan=x.dtype.kind in "fc")
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True  # nan
    return type(a) is type(b) and a == b


def _short(v) -> str:
    r = repr(v)
    return r if len(r) <= 60 else r[:57] + "..."


class Op:
    """What an op mapping sees of one traced op (both runs) and how it emits nodes."""

    def __init__(self, g: Graph, r1: Record, r2: Record, t1: Trace, t2: Trace,
                 const_names: dict) -> None:
        self.g, self.r1, self.r2, self.t1, self.t2 = g, r1, r2, t1, t2
        self.const_names = const_names
        self.name = opname(r1.cls)
        self.outs = r1.outs

    def fail(self, why: str) -> ExportError:
        return ExportError(f"cannot export {self.name}: {why}")

    def kind(self, k: int) -> str:
        return self.r1.args[k][0]

    def is_value(self, k: int) -> bool:
        return self.r1.args[k][0] == "value"

    def py(self, k: int):
        """Argument k, a Python value, checked equal in both runs (use :meth:`py_pair` where
        a value may follow a dynamic axis)."""
        kind, v = self.r1.args[k]
        if kind != "py":
            raise self.fail(f"argument {k} is a tensor where a Python value was expected")
        kind2, v2 = self.r2.args[k]
        if kind2 != "py" or not _same_py(v, v2):
            raise self.fail(
                f"argument {k} ({_short(v)}) is a Python value that changes with the model's "
                f"input ({_short(v2)} in the second run): it was computed from the input "
                "outside gradlab's traced ops (for example through .item(), float(), len(), "
                "x.shape, or Python control flow), so it cannot be frozen into the file")
        return v

    def py_pair(self, k: int) -> tuple:
        return self.r1.args[k][1], self.r2.args[k][1]

    def const_array(self, k: int) -> np.ndarray | None:
        """Argument k as a constant array, checked equal in both runs (None for None)."""
        kind, v = self.r1.args[k]
        kind2, v2 = self.r2.args[k]
        if kind == "py":
            v = self.py(k)
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
                return self.g.one("Cast", [v], to=onnx_type(dtype))
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


def io_names(given, n: int, default: str, what: str) -> list:
    if given is None:
        return [default] if n == 1 else [f"{default}_{k}" for k in range(n)]
    given = list(given)
    if len(given) != n:
        raise ValueError(f"export: {len(given)} {what} for {n} model {what.split('_')[0]}s")
    return given


def axes_for(dynamic_axes, name: str, ndim: int) -> dict:
    if not dynamic_axes or name not in dynamic_axes:
        return {}
    spec = dynamic_axes[name]
    if isinstance(spec, dict):
        axes = {int(k) % ndim: str(v) for k, v in spec.items()}
    else:
        axes = {int(k) % ndim: f"{name}_dynamic_axes_{int(k) % ndim + 1}" for k in spec}
    return axes


def value_info(onnx, name: str, dtype, s1: tuple, s2: tuple, dyn: dict):
    dims = []
    for j, (a, b) in enumerate(zip(s1, s2)):
        if j in dyn:
            dims.append(dyn[j])
        elif a != b:
            dims.append(f"{name}_dim_{j}")
        else:
            dims.append(int(a))
    return onnx.helper.make_tensor_value_info(name, onnx_type(dtype), dims)


def check_produced(graph: Graph, inputs: list, trace: Trace) -> None:
    """Every node input must be a graph input, an initializer or another node's output."""
    have = set(inputs) | set(graph.inits) | {""}
    producer = {name: r.cls for r in trace.records for name in r.outs}
    for node in graph.nodes:
        for i in node.input:
            if i not in have:
                cls = producer.get(i)
                what = f"output of {opname(cls)}" if cls else f"value {i}"
                raise ExportError(f"cannot export: the {what} is used but has no ONNX "
                                  "equivalent (e.g. max pooling's indices)")
        have.update(node.output)


def model_proto(g: Graph, name: str, inputs: list, outputs: list, opset_version):
    """The checked ``onnx.ModelProto`` of graph ``g`` with the given input and output value
    infos, at the oldest IR version that knows the opset."""
    onnx = g.onnx
    graph = onnx.helper.make_graph(g.nodes, name, inputs, outputs, list(g.inits.values()))
    proto = onnx.helper.make_model(
        graph, producer_name="gradlab",
        opset_imports=[onnx.helper.make_opsetid("", int(opset_version))])
    # the oldest IR version that knows the opset: older runtimes can load the file too
    proto.ir_version = min(proto.ir_version, {17: 8, 18: 8, 19: 9, 20: 9}.get(opset_version, 10))
    onnx.checker.check_model(proto)
    return proto
