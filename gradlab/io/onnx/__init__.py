"""ONNX export: trace one forward pass op by op and write it as an ONNX graph.

:func:`export` runs the model (in eval mode) on the example input with an observer on every
``Function.apply`` (``with gradlab.autograd.observe(...)``), so everything the forward does
through gradlab's ops is seen: layers, residual adds, views, the user's own tensor code. Each
op that touches a value computed from the input becomes one or a few ONNX nodes; ops on
parameters and constants alone (a Linear's ``weight.t()``, BatchNorm's
``weight / sqrt(running_var + eps)``) are folded: their results become initializers.
Parameters and buffers keep their ``state_dict`` names.

The forward is traced twice, the second time on other values (and, along the ``dynamic_axes``,
another size). A constant (or a Python argument of an op, the ``s`` of ``x * s``) that differs
between the two runs was computed from the input outside gradlab's ops (``.numpy()``,
``.detach()``, ``.item()``, ``len()``, comparisons, ``argmax``, Python control flow on values)
and would be frozen into the file: export refuses it with a clear error instead, as it refuses
ops with no ONNX mapping. Shapes that differ between the runs are the dynamic
ones: reshapes then copy (``0``) or infer (``-1``) those dims.

A tensor computed from the input that the forward turns into a Python value (``.item()``,
``bool()``, ``float()``, ``.tolist()``, ...) warns :class:`TracerWarning` naming the line
(``strict=True``: :class:`ExportError`): a Python value, and a branch taken on it, is frozen
into the file without the trace seeing it, and the second run need not take another branch.

Recurrent layers map to ONNX's LSTM/GRU/RNN ops. Their gate blocks are reordered: PyTorch's
(i, f, g, o) is ONNX's (i, o, f, c) for the LSTM, (r, z, n) is (z, r, h) for the GRU, whose
PyTorch form (reset gate applied after the hidden matmul) is ``linear_before_reset=1``.

The code, by concern: ``trace`` (recording the ops while the model runs), ``graph`` (nodes,
initializers, names, the ModelProto), ``registry`` (which op is written how, and the ops that
cannot be), ``ops_math``/``ops_layers``/``ops_shape`` (the per-op exporters), ``exporter``
(:func:`export` itself), ``common`` (the error type and the onnx import).

Needs the ``onnx`` package (``pip install gradlab[onnx]``); onnxruntime is not needed to
export, only to run the file.
"""

from .common import ExportError
from .exporter import export
from .registry import EXPORTERS, NOT_EXPORTABLE
from .trace import TracerWarning

__all__ = ["export", "ExportError", "TracerWarning", "EXPORTERS", "NOT_EXPORTABLE"]
