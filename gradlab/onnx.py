"""``gradlab.onnx.export``: write a model as ONNX (the code lives in :mod:`gradlab.io.onnx`)."""

from .io.onnx import ExportError, export

__all__ = ["export", "ExportError"]
