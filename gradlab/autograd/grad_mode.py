"""Grad mode: whether ops on tensors that require grad record a graph (``no_grad``,
``enable_grad``, ``set_grad_enabled``, ``is_grad_enabled``), as ``torch.autograd.grad_mode``."""

from __future__ import annotations

import functools
from collections.abc import Callable


class _GradMode:
    enabled = True


_mode = _GradMode()


def is_grad_enabled() -> bool:
    """Whether ops on tensors that require grad currently record a graph."""
    return _mode.enabled


class _ModeSwitch:
    """Base of ``no_grad``/``enable_grad``: usable as a context manager and as a decorator."""

    _target: bool = True

    def __enter__(self) -> None:
        self._prev = _mode.enabled
        _mode.enabled = self._target

    def __exit__(self, *exc) -> None:
        _mode.enabled = self._prev

    def __call__(self, func: Callable) -> Callable:
        cls = type(self)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with cls():
                return func(*args, **kwargs)

        return wrapper


class no_grad(_ModeSwitch):
    """Context manager / decorator: ops inside record no graph (``w -= lr * w.grad`` goes here)."""

    _target = False


class enable_grad(_ModeSwitch):
    """Context manager / decorator: turn graph recording back on inside a ``no_grad`` block."""

    _target = True


class set_grad_enabled(_ModeSwitch):
    """Set grad mode to ``mode``: immediately when called, restored at the end of a ``with``."""

    def __init__(self, mode: bool) -> None:
        self._prev = _mode.enabled
        self._target = bool(mode)
        _mode.enabled = self._target

    def __enter__(self) -> None:
        pass

    def __call__(self, func: Callable) -> Callable:
        _mode.enabled = self._prev  # as a decorator, the call above must not leak
        target = self._target

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(target):
                return func(*args, **kwargs)

        return wrapper
