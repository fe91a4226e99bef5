"""Anomaly mode (``torch.autograd.detect_anomaly``, ``set_detect_anomaly``): while it is on,
every graph node remembers the call stack that created it, and the engine checks each
``backward`` for NaN/Inf gradients (:func:`_check_anomaly`), naming the op and the user code
that created it."""

from __future__ import annotations

import linecache
import os
import sys

import numpy as np

from .array_function import Context
from .observers import observe


class _AnomalyMode:
    enabled = False
    check_nan = True
    scope = None  # observe(_record_creation_site), entered while the mode is on


_anomaly = _AnomalyMode()
# gradlab/ (this file is gradlab/autograd/anomaly_mode.py): frames under it are gradlab's own
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def is_anomaly_enabled() -> bool:
    """Whether anomaly mode (:class:`detect_anomaly`) is on."""
    return _anomaly.enabled


def is_anomaly_check_nan_enabled() -> bool:
    """Whether anomaly mode is on and checks backward gradients for NaN/Inf."""
    return _anomaly.enabled and _anomaly.check_nan


def _record_creation_site(cls, args, kwargs, results) -> None:
    """Apply observer of anomaly mode: keep the call stack that created each graph node."""
    for t in results:
        ctx = t._ctx
        if ctx is not None:
            break
    else:
        return  # no graph recorded (no_grad, or no input requires grad)
    if "_anomaly_stack" in ctx.__dict__:
        return
    stack = []
    f = sys._getframe(3)  # skip this observer, notify_observers and Function.apply
    while f is not None:
        stack.append((f.f_code.co_filename, f.f_lineno, f.f_code.co_name))
        f = f.f_back
    ctx.__dict__["_anomaly_stack"] = stack


def _set_anomaly(enabled: bool, check_nan: bool) -> None:
    _anomaly.enabled = enabled
    _anomaly.check_nan = check_nan
    # the creation-site observer is scoped to the time the mode is on
    if enabled and _anomaly.scope is None:
        _anomaly.scope = observe(_record_creation_site)
        _anomaly.scope.__enter__()
    elif not enabled and _anomaly.scope is not None:
        _anomaly.scope.__exit__(None, None, None)
        _anomaly.scope = None


class detect_anomaly:
    """Context manager that turns anomaly mode on for its block (``torch.autograd.detect_anomaly``).

    While it is on, every graph node remembers the call stack that created it, and each
    ``backward`` of a node is checked (with ``check_nan=True``): if it returns a gradient with a
    NaN or an infinity, a ``RuntimeError`` names the op (``Function 'LogBackward' returned nan
    values in its 0th output``), the ``file:line`` and source text of the user code that created
    the node (the innermost frame outside the gradlab package), and the forward traceback.

    As in PyTorch, forward outputs are not checked (a NaN loss is visible already; the question
    anomaly mode answers is which op's backward made it); unlike PyTorch, infinities count as
    well as NaNs, since an infinite gradient turns into NaN one op later. Nodes created before
    the mode was switched on carry no creation site. The mode costs a stack walk per op and a
    finiteness test per gradient: use it for debugging only. Off, the engine pays one flag test
    per backward call. Source 000 Q64 (gradient checking, babysitting the learning process).
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = bool(check_nan)

    def __enter__(self) -> None:
        self._prev = (_anomaly.enabled, _anomaly.check_nan)
        _set_anomaly(True, self.check_nan)

    def __exit__(self, *exc) -> None:
        _set_anomaly(*self._prev)


class set_detect_anomaly:
    """Turn anomaly mode on or off (``mode``): immediately when called, and restored at the end
    of a ``with`` block (``torch.autograd.set_detect_anomaly``); see :class:`detect_anomaly`."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self._prev = (_anomaly.enabled, _anomaly.check_nan)
        _set_anomaly(bool(mode), bool(check_nan))

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        _set_anomaly(*self._prev)


def _user_frame(stack: list) -> tuple:
    """The innermost frame outside the gradlab package (else the op's caller)."""
    for frame in stack:
        if not frame[0].startswith(_PACKAGE_DIR):
            return frame
    return stack[0]


def _anomaly_error(node: Context, index: int, g: np.ndarray) -> RuntimeError:
    what = "nan" if np.isnan(g).any() else "inf"
    op = node.fn.__name__
    msg = f"Function '{node.name()}' returned {what} values in its {index}th output."
    stack = node.__dict__.get("_anomaly_stack")
    if stack is None:
        return RuntimeError(msg + f" The {op} op was created before anomaly mode was switched "
                            "on, so its creation site is unknown.")
    filename, lineno, func = _user_frame(stack)
    source = linecache.getline(filename, lineno).strip()
    lines = [msg, f"The {op} op was created at {filename}:{lineno} in {func}:", f"    {source}",
             "Traceback of the forward call that created it (most recent call last):"]
    for fn, ln, name in reversed(stack):
        lines.append(f'  File "{fn}", line {ln}, in {name}')
        text = linecache.getline(fn, ln).strip()
        if text:
            lines.append(f"    {text}")
    return RuntimeError("\n".join(lines))


def _check_anomaly(node: Context, in_grads: tuple) -> None:
    """Raise if a gradient that ``node.backward`` returned holds a NaN or an infinity."""
    for i, g in enumerate(in_grads):
        if g is None:
            continue
        a = np.asarray(g)
        if a.dtype.kind in "fc" and not np.isfinite(a).all():
            raise _anomaly_error(node, i, a)

