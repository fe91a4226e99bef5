"""``gradlab.onnx.export``: write a model as ONNX (the code lives in :mod:`gradlab.io.onnx`).

While ``export`` traces ``forward``, a tensor computed from the input that the forward turns
into a Python value (``.item()``, ``bool()`` as in ``if x.mean() > 0:``, ``int()``,
``float()``, ``.tolist()``, ``.numpy()``) warns :class:`TracerWarning` (torch's
``torch.jit.TracerWarning``), whose file and line are those of the converting code: the file
holds the value the example input gave, and any branch taken on it, as a constant.
``export(..., strict=True)`` raises :class:`ExportError` there instead.
"""

from .io.onnx import ExportError, TracerWarning, export

__all__ = ["export", "ExportError", "TracerWarning"]
