"""Grad mode: whether ops on tensors that require grad record a graph (``no_grad``,
``enable_grad``, ``set_grad_enabled``, ``is_grad_enabled``, ``inference_mode``,
``is_inference_mode_enabled``), as ``torch.autograd.grad_mode``."""

from __future__ import annotations

import functools
from collections.abc import Callable


class _GradMode:
    enabled = True
    inference = False


_mode = _GradMode()


def is_grad_enabled() -> bool:
    """Whether ops on tensors that require grad currently record a graph."""
    return _mode.enabled


def is_inference_mode_enabled() -> bool:
    """Whether an ``inference_mode()`` block (or decorated function) is running."""
    return _mode.inference


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


class inference_mode(_ModeSwitch):
    """Context manager / decorator: torch's ``inference_mode(mode=True)``. Inside, grad mode is
    off (as in ``no_grad``) and :func:`is_inference_mode_enabled` is True; ``mode=False``
    turns grad mode on and inference mode off (as torch's nested ``inference_mode(False)``).
    Usable bare as ``@inference_mode`` too.

    The difference from torch: gradlab has no inference tensors. Tensors made inside are
    ordinary tensors that do not require grad (what ``no_grad`` makes), so torch's refusals
    of using them later (saving one for backward, an in-place change outside the mode) do not
    happen here, and nothing is faster than under ``no_grad``.
    """

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return super().__new__(cls)
        if callable(mode):  # @inference_mode without parentheses
            return cls()(mode)
        raise TypeError(f"inference_mode(): argument 'mode' must be a bool or a function, got "
                        f"{type(mode).__name__}")

    def __init__(self, mode: bool = True) -> None:
        self.mode = mode

    def __enter__(self) -> None:
        self._prev = (_mode.enabled, _mode.inference)
        _mode.enabled, _mode.inference = not self.mode, self.mode

    def __exit__(self, *exc) -> None:
        _mode.enabled, _mode.inference = self._prev

    def __call__(self, func: Callable) -> Callable:
        mode = self.mode

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return func(*args, **kwargs)

        return wrapper
