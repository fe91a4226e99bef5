"""Gradient checking (``torch.autograd.gradcheck``): analytical Jacobians from the engine against
central finite differences, in float64."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .array_function import _tensor
from .engine import _engine, _key
from .grad_mode import enable_grad, no_grad


class GradcheckError(RuntimeError):
    """Raised by :func:`gradcheck` when analytical and numerical gradients disagree."""


def _as_tuple(x) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def gradcheck(fn: Callable, inputs, *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """Compare the gradients of ``fn`` with central finite differences, in float64.

    For every input ``x_j`` that requires grad and every output ``y_i`` the full Jacobian is
    computed twice: numerically, ``(f(x + eps e_k) - f(x - eps e_k)) / (2 eps)`` for each
    element ``k``, and analytically, one backward pass per output element. They must agree
    within ``atol + rtol * |numerical|``. On a mismatch the report names the output, the input
    and the element (source 003 "Gradient checking", source 000 Q64).

    Returns True, or raises :class:`GradcheckError` (False with ``raise_exception=False``).
    """
    Tensor = _tensor.cls
    inputs = _as_tuple(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError("gradcheck: no input requires grad; call requires_grad_() on the "
                         "inputs to check")
    for i in diff:
        if inputs[i].array.dtype != np.float64:
            raise ValueError(f"gradcheck: input {i} is {inputs[i].dtype}; finite differences "
                             "need float64 inputs (use .double())")
        if not inputs[i].array.flags.c_contiguous:
            inputs[i].array = np.ascontiguousarray(inputs[i].array)

    def evaluate():
        with no_grad():
            return [o.array.copy() for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor)]

    with enable_grad():
        outs = [o for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor)]
    outs_diff = [(oi, o) for oi, o in enumerate(outs) if o.dtype.is_floating_point]

    for i in diff:
        x = inputs[i]
        flat = x.array.reshape(-1)
        numerical = [np.zeros((flat.size, o.array.size)) for _, o in outs_diff]
        for k in range(flat.size):
            orig = flat[k]
            flat[k] = orig + eps
            plus = evaluate()
            flat[k] = orig - eps
            minus = evaluate()
            flat[k] = orig
            for j, (oi, _) in enumerate(outs_diff):
                numerical[j][k] = ((plus[oi] - minus[oi]) / (2 * eps)).reshape(-1)
        for j, (oi, o) in enumerate(outs_diff):
            analytical = np.zeros((flat.size, o.array.size))
            if o.requires_grad:
                for m in range(o.array.size):
                    seed = np.zeros(o.array.size, dtype=o.array.dtype)
                    seed[m] = 1.0
                    cap = {_key(x): None}
                    _engine([(o, seed.reshape(o.array.shape))], True, capture=cap,
                            accumulate=False)
                    g = cap[_key(x)]
                    if g is not None:
                        analytical[:, m] = g.reshape(-1)
            bad = np.abs(analytical - numerical[j]) > atol + rtol * np.abs(numerical[j])
            if bad.any():
                k, m = np.argwhere(bad)[0]
                in_idx = tuple(int(v) for v in np.unravel_index(k, x.array.shape))
                out_idx = tuple(int(v) for v in np.unravel_index(m, o.array.shape))
                msg = (f"gradcheck: Jacobian mismatch for output {oi} with respect to input {i} "
                       f"(shape {tuple(x.shape)}): d out{list(out_idx)} / d in{list(in_idx)} "
                       f"numerical {numerical[j][k, m]:.8g} vs analytical "
                       f"{analytical[k, m]:.8g} ({int(bad.sum())} of {bad.size} entries differ; "
                       f"atol={atol}, rtol={rtol})")
                if raise_exception:
                    raise GradcheckError(msg)
                return False
    return True
