"""What every part of the ONNX exporter shares: the error it raises, the import of the onnx
package (done on first use, so ``import gradlab`` does not load onnx), ONNX dtype codes and the
qualified name by which an op is named in error messages."""

from __future__ import annotations

import numpy as np


class ExportError(RuntimeError):
    """The model cannot be written as ONNX (an op without a mapping, a value computed outside
    gradlab's ops, an unsupported argument)."""


def load_onnx():
    """The onnx module, imported on the first export (it is an optional dependency)."""
    try:
        import onnx
    except ImportError:  # pragma: no cover - the test environment has it
        raise ImportError("gradlab.onnx.export needs the onnx package: pip install "
                          "'gradlab[onnx]' (or pip install onnx)") from None
    return onnx


def opname(cls) -> str:
    """An op's Function class as errors name it, e.g. ``gradlab.ops.shape.IndexPut``."""
    return f"{cls.__module__}.{cls.__qualname__}"


def onnx_type(dtype) -> int:
    """The ONNX TensorProto element type of a NumPy dtype."""
    return load_onnx().helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
