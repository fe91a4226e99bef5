"""The entry point: :func:`export`, torch.onnx.export's arguments. It checks the arguments,
traces the model twice (``trace``), has each traced op written by its exporter (``registry`` and
the ``ops_*`` modules) into one graph (``graph``) and writes the checked model to a path or a
binary file object."""

from __future__ import annotations

import io as _io
import os

import numpy as np

from ...tensor import Tensor
from . import ops_layers, ops_math, ops_shape  # noqa: F401  (they register their exporters)
from .common import ExportError, load_onnx
from .graph import Graph, Op, axes_for, check_produced, io_names, model_proto, value_info
from .registry import exporter_for
from .trace import ConversionWatch, run_trace, second_input


def export(model, args, f, input_names: list[str] | None = None,
           output_names: list[str] | None = None, dynamic_axes: dict | None = None,
           opset_version: int = 17, *, strict: bool = False):
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

    A Python value computed from the input while tracing (``.item()``, ``bool()`` (an ``if``
    on a tensor), ``int()``, ``float()``, ``operator.index``, ``.tolist()``, ``.numpy()``,
    ``numpy.asarray``) cannot be followed: the file holds what the example input gave, and
    any branch taken on it. Each such line warns :class:`TracerWarning` (filename and line are
    the converting code's); ``strict=True`` raises :class:`ExportError` instead (torch's exporter
    has no such option: it only warns). Conversions of parameters and buffers, and of what
    gradlab's ops compute from them alone, do not warn (they are the same for every input);
    nor do ``len()`` and iterating over a tensor (they read a shape, which the second run along
    the dynamic axes checks). Other tensors warn, tensors made in ``forward`` included, as in
    torch: the results of comparisons or ``argmax`` are computed outside the traced ops, and the
    trace cannot tell them from constants.

    ``f``: a path or a binary file object. Returns the ``onnx.ModelProto`` (already checked
    with ``onnx.checker.check_model``).

    Shape: args as ``forward`` takes them; the file's inputs and outputs have the traced shapes,
    with the dynamic axes symbolic.
    """
    onnx = load_onnx()
    if not 17 <= int(opset_version) <= 21:
        raise ValueError(f"export: opset_version must be between 17 and 21, got {opset_version}")
    if isinstance(args, Tensor):
        args = (args,)
    if not isinstance(args, (tuple, list)) or not args or \
            not all(isinstance(a, Tensor) for a in args):
        raise TypeError(f"export: args must be a Tensor or a non-empty tuple of Tensors, got "
                        f"{type(args).__name__}")
    arrays = [a.array.astype(np.int64) if a.array.dtype.kind in "iu" else a.array for a in args]
    in_names = io_names(input_names, len(arrays), "input", "input_names")
    dyn_in = [axes_for(dynamic_axes, n, a.ndim) for n, a in zip(in_names, arrays)]

    const_names: dict[int, str] = {}
    for name, p in list(model.named_parameters()) + list(model.named_buffers()):
        const_names.setdefault(id(p.array), name)
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        reserved = set(in_names) | set(output_names or ())
        watch = ConversionWatch(bool(strict))  # one warning per converting line, both runs
        t1, outs1 = run_trace(model, arrays, const_names, in_names, reserved, watch)
        rng = np.random.default_rng(0)
        second = [second_input(a, sorted(d), rng) for a, d in zip(arrays, dyn_in)]
        t2, outs2 = run_trace(model, second, const_names, in_names, reserved, watch)
    finally:
        for m, training in modes:  # each module's own mode, as it was
            m.training = training

    if len(t1.records) != len(t2.records) or any(
            a.cls is not b.cls for a, b in zip(t1.records, t2.records)) or len(outs1) != \
            len(outs2):
        raise ExportError("cannot export: the forward ran different ops for another input "
                          "(Python control flow on tensor values); export a model whose ops do "
                          "not depend on the input's values")
    g = Graph(onnx, int(opset_version))
    g.used_names.update(in_names)
    g.used_names.update(name for r in t1.records for name in r.outs)
    for r1, r2 in zip(t1.records, t2.records):
        exporter_for(r1.cls)(Op(g, r1, r2, t1, t2, const_names))

    out_names = io_names(output_names, len(outs1), "output", "output_names")
    outputs = []
    for k, (name, o1, o2) in enumerate(zip(out_names, outs1, outs2)):
        v = t1.lookup(o1.array)
        if v is None:
            raise ExportError(f"cannot export: model output {k} (shape {list(o1.shape)}) does "
                              "not depend on the input through gradlab's ops")
        g.node("Identity", [v], [name])
        outputs.append(value_info(onnx, name, o1.array.dtype, o1.array.shape, o2.array.shape,
                                   axes_for(dynamic_axes, name, o1.ndim)))
    inputs = [value_info(onnx, n, a.dtype, a.shape, b.shape, d)
              for n, a, b, d in zip(in_names, arrays, second, dyn_in)]
    check_produced(g, in_names, t1)
    proto = model_proto(g, type(model).__name__, inputs, outputs, opset_version)
    if isinstance(f, (str, os.PathLike)):
        onnx.save_model(proto, os.fspath(f))
    elif isinstance(f, _io.IOBase) or hasattr(f, "write"):
        f.write(proto.SerializeToString())
    else:
        raise TypeError(f"export: f must be a path or a binary file object, got "
                        f"{type(f).__name__}")
    return proto

