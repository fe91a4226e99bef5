"""Op translation for arithmetic: elementwise ops, casts, matmul, the activations and the
reductions. Each function writes the ONNX nodes of one traced op (see ``graph.Op``); most are
one node, a few (Softplus, GELU, var/std) spell torch's formula out in several."""

from __future__ import annotations

import math

import numpy as np

from ...ops import activation as A
from ...ops import elementwise as E
from ...ops import linalg as L
from ...ops import reduce as R
from ...ops import shape as S
from .common import onnx_type
from .graph import Op
from .registry import EXPORTERS, maps


def _unary(onnx_op: str, **attrs):
    def fn(op: Op) -> None:
        op.emit(onnx_op, [op.inp(0)], **attrs)

    return fn


for _cls, _name in ((A.Sigmoid, "Sigmoid"), (A.Tanh, "Tanh"), (A.ReLU, "Relu"),
                    (E.Neg, "Neg"), (E.Abs, "Abs"), (E.Exp, "Exp"), (E.Log, "Log"),
                    (E.Sqrt, "Sqrt"), (E.Sin, "Sin"), (E.Cos, "Cos"), (E.Clone, "Identity"),
                    (S.Contiguous, "Identity")):
    EXPORTERS[_cls] = _unary(_name)


def _elementwise(onnx_op: str):
    def fn(op: Op) -> None:
        dt = op.out_dtype()
        op.emit(onnx_op, [op.inp(0, dt), op.inp(1, dt)])

    return fn


for _cls, _name in ((E.Add, "Add"), (E.Sub, "Sub"), (E.Mul, "Mul"), (E.Div, "Div"),
                    (E.Pow, "Pow"), (E.Maximum, "Max"), (E.Minimum, "Min")):
    EXPORTERS[_cls] = _elementwise(_name)


@maps(E.Rsqrt)
def _rsqrt(op: Op) -> None:
    op.emit("Reciprocal", [op.g.one("Sqrt", [op.inp(0)])])


@maps(E.Log1p)
def _log1p(op: Op) -> None:
    one = op.g.const(np.asarray(1, dtype=op.out_dtype()), "one")
    op.emit("Log", [op.g.one("Add", [op.inp(0), one])])


@maps(E.Where)
def _where(op: Op) -> None:
    dt = op.out_dtype()
    op.emit("Where", [op.inp(0, np.bool_), op.inp(1, dt), op.inp(2, dt)])


@maps(E.Clamp)
def _clamp(op: Op) -> None:
    dt = op.out_dtype()
    x = op.inp(0, dt)
    for k, onnx_op in ((1, "Max"), (2, "Min")):
        if op.kind(k) == "py" and op.py(k) is None:
            continue
        x = op.g.one(onnx_op, [x, op.inp(k, dt)])
    op.emit("Identity", [x])


@maps(E.Cast)
def _cast(op: Op) -> None:
    op.emit("Cast", [op.inp(0)], to=onnx_type(op.py(1)))


@maps(L.Matmul)
def _matmul(op: Op) -> None:
    op.emit("MatMul", [op.inp(0), op.inp(1)])


@maps(L.Linear)
def _linear(op: Op) -> None:
    # x W^T + b: W^T folded into an initializer when W is a parameter, else a Transpose
    if op.is_value(1):
        wt = op.g.one("Transpose", [op.inp(1)], perm=[1, 0])
    else:
        w = op.const_array(1)
        key = ("T", id(op.r1.args[1][1]))
        wt = op.g.const_ids.get(key)
        if wt is None:
            pname = op.const_names.get(id(op.r1.args[1][1])) or op.t1.hint(op.r1.args[1][1])
            # named after the parameter, as other folded constants ("fc.weight/Transpose")
            name = f"{pname}/Transpose" if pname else None
            if name in op.g.used_names:
                name = None
            wt = op.g.const_ids[key] = op.g.const(w.T, "weight_t", name)
    if op.kind(2) == "py" and op.py(2) is None:
        op.emit("MatMul", [op.inp(0), wt])
    else:
        op.emit("Add", [op.g.one("MatMul", [op.inp(0), wt]), op.inp(2)])


# ---- activations


@maps(A.Softmax, A.LogSoftmax)
def _softmax(op: Op) -> None:
    op.emit("Softmax" if op.r1.cls is A.Softmax else "LogSoftmax", [op.inp(0)],
            axis=int(op.py(1)))


@maps(A.LeakyReLU)
def _leaky_relu(op: Op) -> None:
    op.emit("LeakyRelu", [op.inp(0)], alpha=float(op.py(1)))


@maps(A.ELU)
def _elu(op: Op) -> None:
    op.emit("Elu", [op.inp(0)], alpha=float(op.py(1)))


@maps(A.PReLU)
def _prelu(op: Op) -> None:
    op.emit("PRelu", [op.inp(0), op.inp(1, op.out_dtype(), "prelu_slope")])


@maps(A.Softplus)
def _softplus(op: Op) -> None:
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


@maps(A.Hardsigmoid)
def _hardsigmoid(op: Op) -> None:
    op.emit("HardSigmoid", [op.inp(0)], alpha=1.0 / 6.0, beta=0.5)


@maps(A.Hardswish)
def _hardswish(op: Op) -> None:
    op.emit("HardSwish", [op.inp(0)])


@maps(A.GELU)
def _gelu(op: Op) -> None:
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


def _dims(dims, ndim: int):
    return None if dims is None else [d % ndim for d in dims]


@maps(R.Sum, R.Mean, R.LogSumExp)
def _sum_mean(op: Op) -> None:
    onnx_op = {R.Sum: "ReduceSum", R.Mean: "ReduceMean",
               R.LogSumExp: "ReduceLogSumExp"}[op.r1.cls]
    ndim = len(op.in_shapes(0)[0])
    op.g.reduce(onnx_op, op.inp(0), _dims(op.py(1), ndim), bool(op.py(2)), out=op.outs[0])


@maps(R.Var, R.Std)
def _var_std(op: Op) -> None:
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


@maps(R.MaxMin)
def _maxmin(op: Op) -> None:
    ndim = len(op.in_shapes(0)[0])
    op.g.reduce("ReduceMax" if op.py(3) else "ReduceMin", op.inp(0), _dims(op.py(1), ndim),
                bool(op.py(2)), out=op.outs[0])


@maps(R.MaxMinDim)
def _maxmin_dim(op: Op) -> None:
    if len(op.in_shapes(0)[0]) == 0:
        raise op.fail("max/min along a dim of a 0-d tensor")
    dim, keepdim, is_max = op.py(1), bool(op.py(2)), op.py(3)
    x = op.inp(0)
    op.g.reduce("ReduceMax" if is_max else "ReduceMin", x, [dim], keepdim, out=op.outs[0])
    op.g.node("ArgMax" if is_max else "ArgMin", [x], [op.outs[1]], axis=int(dim),
              keepdims=int(keepdim))


@maps(R.Prod)
def _prod(op: Op) -> None:
    dim = op.py(1)
    op.g.reduce("ReduceProd", op.inp(0), None if dim is None else [dim], bool(op.py(2)),
                out=op.outs[0])


@maps(R.Cumsum)
def _cumsum(op: Op) -> None:
    op.emit("CumSum", [op.inp(0), op.g.ints(int(op.py(1)), "axis")])




@maps(L.VectorNorm)
def _vector_norm(op: Op) -> None:
    p, keepdim, dtype = op.py(1), bool(op.py(3)), op.py(4)
    g, x = op.g, op.inp(0)
    if dtype is not None:
        x = g.one("Cast", [x], to=onnx_type(dtype))
    dt = op.out_dtype()
    dims = op.py(2)
    dims = None if dims is None else list(dims)
    out = op.outs[0]
    if p == 2 or p == 1:
        g.reduce("ReduceL2" if p == 2 else "ReduceL1", x, dims, keepdim, out=out)
    elif math.isinf(p):
        g.reduce("ReduceMax" if p > 0 else "ReduceMin", g.one("Abs", [x]), dims, keepdim,
                 out=out)
    elif p == 0:  # the number of non-zeros
        nz = g.one("Not", [g.one("Equal", [x, g.const(np.asarray(0, dt), "zero")])])
        g.reduce("ReduceSum", g.one("Cast", [nz], to=onnx_type(dt)), dims, keepdim, out=out)
    else:  # (sum |x|^p)^(1/p)
        powed = g.one("Pow", [g.one("Abs", [x]), g.const(np.asarray(p, dt), "p")])
        total = g.reduce("ReduceSum", powed, dims, keepdim)
        op.emit("Pow", [total, g.const(np.asarray(1.0 / p, dt), "inv_p")])
