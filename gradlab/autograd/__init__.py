"""Reverse-mode automatic differentiation, laid out as ``torch.autograd``:

- grad_mode.py: ``no_grad``, ``enable_grad``, ``set_grad_enabled``, ``is_grad_enabled``,
  ``inference_mode``, ``is_inference_mode_enabled``;
- function.py: ``Function``, a user's op as torch's (forward/backward on Tensors), its ctx
  ``FunctionCtx``, ``once_differentiable``;
- array_function.py: ``ArrayFunction`` (forward/backward on NumPy arrays: the base of gradlab's
  own ops), the ``Context`` node a call of either leaves in the graph, ``AccumulateGrad``, the
  in-place version counter, and ``register_tensor_type`` (how the Tensor class of the floor
  above reaches autograd);
- engine.py: the backward pass (``backward``, ``grad``);
- anomaly_mode.py: ``detect_anomaly``, ``set_detect_anomaly``;
- gradcheck.py: ``gradcheck``, ``GradcheckError``;
- observers.py: ``with observe(fn):``, a scoped watch on every ``Function.apply`` (both kinds);
- functional.py: ``jacobian``, ``vjp``;
- graph.py: ``increment_version`` (how code outside autograd marks an in-place write).

Sources: 000 Q62-63 (forward/backward on a computation graph, the chain rule), 002 Q5.
"""

from . import functional, graph
from .anomaly_mode import (
    detect_anomaly,
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_detect_anomaly,
)
from .array_function import AccumulateGrad, ArrayFunction, Context, register_tensor_type
from .engine import backward, grad
from .function import Function
from .grad_mode import (
    _mode,
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .gradcheck import GradcheckError, gradcheck  # the function, as in torch, not the module
from .observers import observe

# _mode is not public: gradlab.tensor reads the grad-mode flag as ``autograd._mode.enabled`` on
# its hot paths (one attribute test, no call)

__all__ = [
    "AccumulateGrad", "ArrayFunction", "Context", "Function", "GradcheckError", "backward",
    "detect_anomaly", "enable_grad", "functional", "grad", "graph", "gradcheck",
    "is_anomaly_check_nan_enabled", "is_anomaly_enabled", "no_grad", "observe",
    "register_tensor_type", "set_detect_anomaly", "set_grad_enabled", "is_grad_enabled",
    "inference_mode", "is_inference_mode_enabled",
]
