"""Op translation for the layers: convolution, pooling, normalization, embedding and the
recurrent layers (LSTM/GRU/RNN, with their gate blocks reordered from PyTorch's order to
ONNX's)."""

from __future__ import annotations

import numpy as np

from ...ops import conv as C
from ...ops import embedding as EM
from ...ops import norm as N
from ...ops import pool as P
from ...ops import rnn as RN
from .graph import Op
from .registry import maps

# ---- convolution and pooling


@maps(C.Conv2d)
def _conv2d(op: Op) -> None:
    stride, pad, dilation, groups = (op.py(k) for k in (3, 4, 5, 6))
    inputs = [op.inp(0), op.inp(1)]
    if not (op.kind(2) == "py" and op.py(2) is None):
        inputs.append(op.inp(2))
    kh, kw = op.in_shapes(1)[0][2:]
    op.emit("Conv", inputs, kernel_shape=[kh, kw], strides=list(stride),
            pads=[pad[0], pad[2], pad[1], pad[3]], dilations=list(dilation), group=int(groups))


@maps(C.ConvTranspose2d)
def _conv_transpose2d(op: Op) -> None:
    stride, padding, output_padding, dilation, groups = (op.py(k) for k in range(3, 8))
    inputs = [op.inp(0), op.inp(1)]
    if not (op.kind(2) == "py" and op.py(2) is None):
        inputs.append(op.inp(2))
    kh, kw = op.in_shapes(1)[0][2:]
    op.emit("ConvTranspose", inputs, kernel_shape=[kh, kw], strides=list(stride),
            pads=[padding[0], padding[1], padding[0], padding[1]],
            output_padding=list(output_padding), dilations=list(dilation), group=int(groups))


@maps(P.MaxPool2d)
def _max_pool2d(op: Op) -> None:
    k, s, p, d, ceil_mode = (op.py(i) for i in range(1, 6))
    # the second output (torch's per-plane indices) has no ONNX equivalent: left unproduced,
    # so a model that reads it fails with a clear error (see graph.check_produced)
    op.emit("MaxPool", [op.inp(0)], kernel_shape=list(k), strides=list(s),
            pads=[p[0], p[1], p[0], p[1]], dilations=list(d), ceil_mode=int(ceil_mode))


@maps(P.AvgPool2d)
def _avg_pool2d(op: Op) -> None:
    k, s, p, ceil_mode, count_include_pad, divisor = (op.py(i) for i in range(1, 7))
    if divisor:
        raise op.fail(f"divisor_override={divisor} has no ONNX equivalent")
    op.emit("AveragePool", [op.inp(0)], kernel_shape=list(k), strides=list(s),
            pads=[p[0], p[1], p[0], p[1]], ceil_mode=int(ceil_mode),
            count_include_pad=int(count_include_pad))


def _adaptive(op: Op, global_op: str, pool_op: str) -> None:
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


@maps(P.AdaptiveAvgPool2d)
def _adaptive_avg(op: Op) -> None:
    _adaptive(op, "GlobalAveragePool", "AveragePool")


@maps(P.AdaptiveMaxPool2d)
def _adaptive_max(op: Op) -> None:
    _adaptive(op, "GlobalMaxPool", "MaxPool")


# ---- normalization and embedding


@maps(N.Normalize)
def _normalize(op: Op) -> None:
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


@maps(EM.Embedding)
def _embedding(op: Op) -> None:
    op.emit("Gather", [op.inp(0), op.inp(1, np.int64)], axis=0)


# ---- recurrent layers

# Function -> (ONNX op, gate blocks, states, attributes). torch's GRU applies the reset gate
# after the hidden matmul (ONNX linear_before_reset=1), Cho's form before it (0).
_RNN_LAYERS = {RN.LSTMLayer: ("LSTM", 4, 2, {}),
               RN.GRULayer: ("GRU", 3, 1, {"linear_before_reset": 1}),
               RN.GRUChoLayer: ("GRU", 3, 1, {"linear_before_reset": 0}),
               RN.RNNLayer: ("RNN", 1, 1, {})}


def _gate_perm(kind: str, h: int) -> np.ndarray:
    if kind == "LSTM":  # torch (i, f, g, o) -> ONNX (i, o, f, c)
        return np.r_[0:h, 3 * h:4 * h, h:2 * h, 2 * h:3 * h]
    if kind == "GRU":  # torch (r, z, n) -> ONNX (z, r, h)
        return np.r_[h:2 * h, 0:h, 2 * h:3 * h]
    return np.arange(h)


@maps(RN.LSTMLayer, RN.GRULayer, RN.GRUChoLayer, RN.RNNLayer)
def _rnn_layer(op: Op) -> None:
    kind, gates, n_states, layer_attrs = _RNN_LAYERS[op.r1.cls]
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
    attrs = {"hidden_size": int(h), "direction": "reverse" if kw.get("reverse") else "forward",
             **layer_attrs}
    if kind == "RNN":
        attrs["activations"] = ["Relu" if kw.get("nonlinearity") == "relu" else "Tanh"]
    outs = g.node(kind, inputs, [g.fresh(f"{kind.lower()}_y") for _ in range(1 + n_states)],
                  **attrs)
    g.squeeze(outs[0], [1], out=op.outs[0])
    for k in range(n_states):
        g.squeeze(outs[1 + k], [0], out=op.outs[1 + k])

