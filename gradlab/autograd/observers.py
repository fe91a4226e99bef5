"""Apply observers: code that watches every ``Function.apply``, only inside a ``with`` block.

``with observe(fn):`` calls ``fn(cls, args, kwargs, results)`` after every ``Function.apply``
run inside the block (args: what apply got, Tensors and constants; results: the output
Tensors, a tuple), and removes ``fn`` when the block ends, even on an error, so no observer
(and nothing it holds, a model for instance) can be left behind. Anomaly mode, graph tracing
(ONNX export), the receptive-field tool and the training monitor use it.

There is no way to add an observer without a scope: an object whose observation spans several
calls (anomaly mode switched on by ``set_detect_anomaly(True)``, the monitor during a forward)
keeps its ``observe`` object and enters and leaves it at the two ends of that span.
"""

from __future__ import annotations

from collections.abc import Callable

# The observers now active, innermost last. Empty in normal use, so an op pays one list test.
_apply_observers: list = []


class observe:
    """Context manager: call ``fn(cls, args, kwargs, results)`` after every ``Function.apply``
    inside the ``with`` block; ``fn`` is removed when the block ends (also on an error)."""

    def __init__(self, fn: Callable) -> None:
        self.fn = fn

    def __enter__(self) -> observe:
        _apply_observers.append(self.fn)
        return self

    def __exit__(self, *exc) -> None:
        if self.fn in _apply_observers:
            _apply_observers.remove(self.fn)


def notify_observers(cls, args: tuple, kwargs: dict, results: tuple) -> None:
    """Called by ``Function.apply`` (only while some observer is active) with its call."""
    for fn in tuple(_apply_observers):
        fn(cls, args, kwargs, results)
