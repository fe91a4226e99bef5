"""Which op is written how: the table of ONNX exporters, one per ``ArrayFunction`` class (the
ops a trace records; a user's ``autograd.Function`` is traced through), and the table of the
ops that have none, each with the reason.

The exporters register themselves with :func:`maps` when their modules (``ops_math``,
``ops_layers``, ``ops_shape``) are imported. :func:`exporter_for` looks an op up and refuses one
without an exporter with an error that names it, with the reason from :data:`NOT_EXPORTABLE`
when it has one there.
"""

from __future__ import annotations

from collections.abc import Callable

from .common import ExportError, opname

#: Function class -> the function that writes its ONNX nodes (it receives a ``graph.Op``).
EXPORTERS: dict[type, Callable] = {}

_LOSS = "a loss: export the model, not the loss"
_WEIGHTS = ("applied to a parameter it is folded into an initializer; on a value computed from "
            "the input it has no mapping")

#: Every gradlab ArrayFunction without an exporter (by qualified name, so that the lab's and
#: compress's Functions need not be imported here) -> why, as the export error says it.
NOT_EXPORTABLE: dict[str, str] = {
    "gradlab.ops.shape.IndexPut": "indexed assignment x[idx] = v, or zero_/fill_/copy_ on a "
                                  "value computed from the input; build the tensor with "
                                  "cat/where instead",
    "gradlab.ops.shape.ScatterAdd": "scatter_add has no mapping written (ONNX's "
                                    "ScatterElements with reduction='add' would express it)",
    "gradlab.ops.pool.StochasticPool2d": "stochastic pooling samples window positions at "
                                         "random in training; its eval form "
                                         "sum(a^2) / sum(a) has no mapping written",
    "gradlab.ops.activation.RBF": "the Gaussian RBF layer has no mapping written",
    "gradlab.ops.elementwise._RoundedDiv": "the shared base of DivFloor and DivTrunc (their "
                                           "zero backward), never recorded itself",
    "gradlab.ops.elementwise.DivFloor": "div(rounding_mode='floor') has no mapping written "
                                        "(ONNX's Div then Floor would express it for floats)",
    "gradlab.ops.elementwise.DivTrunc": "div(rounding_mode='trunc') has no mapping written "
                                        "(ONNX's Div on integers truncates; floats need a "
                                        "sign-aware Floor/Ceil)",
    "gradlab.ops.elementwise.FloorDivide": "floor_divide (//) has no mapping written (ONNX's "
                                           "Div then Floor would express it for floats)",
    "gradlab.ops.loss.CrossEntropy": _LOSS,
    "gradlab.ops.loss.NLLLoss": _LOSS,
    "gradlab.ops.loss.BinaryCrossEntropy": _LOSS,
    "gradlab.ops.loss.BCEWithLogits": _LOSS,
    "gradlab.nn.utils.rnn._PackPadded": "pack_padded_sequence: export the padded batch "
                                        "without lengths",
    "gradlab.nn.utils.rnn._PadPacked": "pad_packed_sequence reads packed data, which "
                                       "pack_padded_sequence makes and which cannot be "
                                       "exported: export the padded batch without lengths",
    "gradlab.nn.utils.rnn._PadSequence": "pad_sequence has no mapping written: give the model "
                                         "the padded batch",
    "gradlab.compress.qat.FakeQuantize": "quantization-aware training's fake quantization "
                                              "has no mapping written (ONNX's QuantizeLinear "
                                              "and DequantizeLinear would express it)",
    "gradlab.compress.lowbit.Binarize": "binarizes weights: " + _WEIGHTS,
    "gradlab.compress.lowbit.Ternarize": "ternarizes weights: " + _WEIGHTS,
    "gradlab.nn.syncbatchnorm._SyncNormalize": "SyncBatchNorm in training takes its "
                                               "statistics over MPI ranks; export in eval "
                                               "mode (model.eval()), where it is BatchNorm",
    "gradlab.lab.experiments.e28_recurrent_dropout.StackedLSTM": "the lab's fused training "
                                                                 "kernel of K LSTMs, not a "
                                                                 "model layer",
    "gradlab.lab.experiments.e29_rnn_tanh_relu.StackedRNN": "the lab's fused training kernel "
                                                            "of K RNNs, not a model layer",
}


def maps(*classes):
    """Decorator: register the decorated function as the exporter of ``classes``."""
    def deco(fn):
        for c in classes:
            EXPORTERS[c] = fn
        return fn

    return deco


def exporter_for(cls) -> Callable:
    """The exporter of Function ``cls``; an :class:`ExportError` naming the op if it has none."""
    fn = EXPORTERS.get(cls)
    if fn is None:
        reason = NOT_EXPORTABLE.get(opname(cls))
        why = f" ({reason})" if reason else ""
        raise ExportError(f"cannot export {opname(cls)}: no ONNX mapping for this op"
                          f"{why} (supported: "
                          f"{', '.join(sorted({c.__name__ for c in EXPORTERS}))})")
    return fn
