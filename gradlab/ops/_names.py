"""torch's names for the nodes gradlab's primitives leave in the graph (``y.grad_fn``).

A tutorial prints ``y.grad_fn`` and ``y.grad_fn.next_functions`` and expects torch's names
(``<AddBackward0 object at 0x...>``, ``MmBackward0``, ``AccumulateGrad``). Each gradlab
``ArrayFunction`` has its own node class (autograd/array_function.py); this table names the
primitives' ones once, at import: a row is ``Function: name`` or ``Function: (name, shown)``, where
``shown`` are the input positions torch lists in ``next_functions`` (torch lists tensor inputs
only, gradlab's node has an edge per argument). A primitive missing from the table is called
``<Name>Backward0``.

Where torch's name depends on how the op was called (``x.t()`` and ``x.transpose(0, 1)`` are
one ``Permute`` in gradlab, ``TBackward0`` and ``TransposeBackward0`` in torch; ``x.sum()`` is
``SumBackward0``, ``x.sum(1)`` ``SumBackward1``), the caller renames the node it just made
with ``rename(out, "TBackward0")``, using the :data:`VARIANTS` below.

Names read from torch 2.13 (CPU); where gradlab's graph is shaped differently, the node keeps
the name torch gives the same output, and the difference is in the next_functions:

- ``F.cross_entropy`` is one fused node, named ``NllLossBackward0`` as torch's top node; torch
  has a ``LogSoftmaxBackward0`` between it and the logits.
- ``F.linear`` is one node (``ops.linalg.Linear``) listing ``(b, x, w)`` as torch's
  ``AddmmBackward0(b, x, TBackward0(w))`` lists ``(b, x, TBackward0(w))``, and ``(x, w)``
  without bias (torch's ``MmBackward0``); for an input that is not 2-D it carries the name of
  torch's top node (``ViewBackward0``, and without bias ``SqueezeBackward4`` for 1-D,
  ``UnsafeViewBackward0`` for more dims), whose reshapes gradlab has no node for.
- batched ``matmul`` is one ``BmmBackward0``; torch's is ``UnsafeViewBackward0(BmmBackward0)``.
- the recurrent layers are one node per layer and direction (``LSTMLayerBackward0``...).
"""

from __future__ import annotations

from ..autograd.array_function import ArrayFunction, node_type, rename_node, set_node_name
from . import activation as A
from . import conv as C
from . import elementwise as E
from . import embedding as M
from . import linalg as L
from . import loss as S_
from . import norm as N
from . import pool as P
from . import reduce as R
from . import rnn as RNN
from . import shape as S

FIRST = (0,)

#: Function -> torch's node name, or (name, the input positions next_functions lists)
NAMES: dict = {
    E.Add: "AddBackward0", E.Sub: "SubBackward0", E.Mul: "MulBackward0",
    E.Div: "DivBackward0", E.DivFloor: "DivBackward2", E.DivTrunc: "DivBackward2",
    E.Pow: ("PowBackward0", FIRST), E.Maximum: "MaximumBackward0",
    E.Minimum: "MinimumBackward0", E.Where: ("WhereBackward0", (1, 2)),
    E.Neg: "NegBackward0", E.Abs: "AbsBackward0", E.Exp: "ExpBackward0",
    E.Log: "LogBackward0", E.Log1p: "Log1PBackward0", E.Sqrt: "SqrtBackward0",
    E.Rsqrt: "RsqrtBackward0", E.Sin: "SinBackward0", E.Cos: "CosBackward0",
    E.Clamp: ("ClampBackward1", FIRST), E.Cast: ("ToCopyBackward0", FIRST),
    E.Clone: "CloneBackward0",
    A.Sigmoid: "SigmoidBackward0", A.Tanh: "TanhBackward0", A.ReLU: "ReluBackward0",
    A.Softmax: ("SoftmaxBackward0", FIRST), A.LogSoftmax: ("LogSoftmaxBackward0", FIRST),
    A.LeakyReLU: ("LeakyReluBackward0", FIRST), A.PReLU: "PreluKernelBackward0",
    A.ELU: ("EluBackward0", FIRST), A.Hardsigmoid: "HardsigmoidBackward0",
    A.Hardswish: "HardswishBackward0", A.Softplus: ("SoftplusBackward0", FIRST),
    A.GELU: ("GeluBackward0", FIRST),
    C.Conv2d: ("ConvolutionBackward0", (0, 1, 2)),
    C.ConvTranspose2d: ("ConvolutionBackward0", (0, 1, 2)),
    M.Embedding: ("EmbeddingBackward0", FIRST),
    L.Matmul: "MmBackward0", L.Linear: ("AddmmBackward0", (2, 0, 1)),
    S_.CrossEntropy: ("NllLossBackward0", FIRST), S_.NLLLoss: ("NllLossBackward0", FIRST),
    S_.BinaryCrossEntropy: ("BinaryCrossEntropyBackward0", (0, 1)),
    S_.BCEWithLogits: ("BinaryCrossEntropyWithLogitsBackward0", (0, 1)),
    N.Normalize: ("NativeBatchNormBackward0", (0, 1, 2)),
    P.MaxPool2d: ("MaxPool2DWithIndicesBackward0", FIRST),
    P.AvgPool2d: ("AvgPool2DBackward0", FIRST),
    P.AdaptiveAvgPool2d: ("AdaptiveAvgPool2DBackward0", FIRST),
    P.AdaptiveMaxPool2d: ("AdaptiveMaxPool2DBackward0", FIRST),
    R.Sum: ("SumBackward0", FIRST), R.Mean: ("MeanBackward0", FIRST),
    R.Var: ("VarBackward0", FIRST), R.Std: ("StdBackward0", FIRST),
    R.MaxMin: ("MaxBackward1", FIRST), R.MaxMinDim: ("MaxBackward0", FIRST),
    R.LogSumExp: ("LogsumexpBackward0", FIRST), R.Prod: ("ProdBackward0", FIRST),
    R.Cumsum: ("CumsumBackward0", FIRST),
    S.Reshape: ("ViewBackward0", FIRST), S.View: ("ViewBackward0", FIRST),
    S.Permute: ("PermuteBackward0", FIRST), S.Expand: ("ExpandBackward0", FIRST),
    S.Contiguous: "CloneBackward0", S.Index: ("IndexBackward0", FIRST),
    S.IndexPut: ("IndexPutBackward0", (0, 2)), S.Gather: ("GatherBackward0", FIRST),
    S.ScatterAdd: ("ScatterAddBackward0", (0, 3)),
    S.IndexSelect: ("IndexSelectBackward0", FIRST), S.Cat: "CatBackward0",
    S.Stack: "StackBackward0", S.Pad: ("ConstantPadNdBackward0", FIRST),
}

#: torch's other names for the same Function: name -> (Function, shown)
_VARIANT_ROWS: dict = {
    "TBackward0": (S.Permute, FIRST), "TransposeBackward0": (S.Permute, FIRST),
    "UnsqueezeBackward0": (S.Reshape, FIRST), "SqueezeBackward0": (S.Reshape, FIRST),
    "SqueezeBackward1": (S.Reshape, FIRST), "SelectBackward0": (S.Index, FIRST),
    "SliceBackward0": (S.Index, FIRST),
    "SumBackward1": (R.Sum, FIRST), "MeanBackward1": (R.Mean, FIRST),
    "ProdBackward1": (R.Prod, FIRST), "MinBackward1": (R.MaxMin, FIRST),
    "AmaxBackward0": (R.MaxMin, FIRST), "AminBackward0": (R.MaxMin, FIRST),
    "MinBackward0": (R.MaxMinDim, FIRST),
    "PowBackward1": (E.Pow, None), "PowBackward2": (E.Pow, (1,)),
    "RsubBackward1": (E.Sub, (1,)),
    "MvBackward0": (L.Matmul, None), "DotBackward0": (L.Matmul, None),
    "BmmBackward0": (L.Matmul, None),
    "NativeLayerNormBackward0": (N.Normalize, (0, 1, 2)),
}

#: name -> the node class, for :func:`rename`
VARIANTS: dict = {name: node_type(fn, name, shown) for name, (fn, shown) in
                  _VARIANT_ROWS.items()}


#: ``F.linear``'s node classes other than ``AddmmBackward0`` (2-D input with bias), keyed by
#: (the input's dims: 1, 2, or 3 for more; with bias); see the notes above
_BIAS, _NO_BIAS = (2, 0, 1), (0, 1)
LINEAR_NODES: dict = {
    (2, False): node_type(L.Linear, "MmBackward0", _NO_BIAS),
    (1, True): node_type(L.Linear, "ViewBackward0", _BIAS),
    (3, True): node_type(L.Linear, "ViewBackward0", _BIAS),
    (1, False): node_type(L.Linear, "SqueezeBackward4", _NO_BIAS),
    (3, False): node_type(L.Linear, "UnsafeViewBackward0", _NO_BIAS),
}


def rename_linear(t, ndim: int, bias: bool):
    """Give the node of ``F.linear``'s output ``t`` (input of ``ndim`` dims, with or without
    bias) torch's name for it; 2-D with bias keeps ``AddmmBackward0``. Returns ``t``."""
    if ndim == 2 and bias:
        return t
    return rename_node(t, LINEAR_NODES[(min(ndim, 3), bool(bias))])


def rename(t, name: str):
    """Give the node that just made ``t`` torch's ``name`` for this way of calling the op (a
    key of :data:`VARIANTS`); returns ``t``."""
    return rename_node(t, VARIANTS[name])


def _name_all() -> None:
    """Name the nodes of every primitive: the table's name, else ``<Name>Backward0``."""
    for module in (A, C, E, M, L, S_, N, P, R, RNN, S):
        for obj in vars(module).values():
            if (isinstance(obj, type) and issubclass(obj, ArrayFunction)
                    and obj.__module__ == module.__name__):
                row = NAMES.get(obj, f"{obj.__name__}Backward0")
                name, shown = (row, None) if isinstance(row, str) else row
                set_node_name(obj, name, shown)


_name_all()
