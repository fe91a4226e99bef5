"""torch.multiprocessing's names: Python's :mod:`multiprocessing`, with tensors that cross
process boundaries.

Everything of :mod:`multiprocessing` is here (``Process``, ``Queue``, ``Pipe``, ``Pool``,
``get_context``, ``set_start_method``, ...), as torch re-exports it, and importing this module
(``import gradlab`` does) teaches multiprocessing's pickler to send tensors: one in shared memory
(``Tensor.share_memory_()``, ``Module.share_memory()``) travels as its memory's file descriptor,
so the receiving process reads and writes the same memory; any other tensor travels by value.
A process started with ``fork`` inherits shared tensors without pickling. Hogwild training, as
torch's mnist_hogwild example::

    import gradlab.multiprocessing as mp

    model.share_memory()
    ctx = mp.get_context("fork")
    workers = [ctx.Process(target=train, args=(rank, model)) for rank in range(2)]
    for p in workers:
        p.start()
    for p in workers:
        p.join()          # model now holds the parameters both processes trained

Where gradlab differs from torch.multiprocessing: a tensor that is not in shared memory is
copied when sent (torch moves it to shared memory first); ``spawn`` and ``start_processes`` (a
``fn(rank, *args)`` launcher for distributed training, which gradlab does not have) are not
provided; the one sharing strategy is ``'file_descriptor'`` (a memfd per tensor, Linux).
"""

from __future__ import annotations

import functools
from multiprocessing import (
    Array,
    AuthenticationError,
    Barrier,
    BoundedSemaphore,
    BufferTooShort,
    Condition,
    Event,
    JoinableQueue,
    Lock,
    Manager,
    Pipe,
    Pool,
    Process,
    ProcessError,
    Queue,
    RawArray,
    RawValue,
    RLock,
    Semaphore,
    SimpleQueue,
    TimeoutError,
    Value,
    active_children,
    allow_connection_pickling,
    cpu_count,
    current_process,
    freeze_support,
    get_all_start_methods,
    get_context,
    get_logger,
    get_start_method,
    log_to_stderr,
    parent_process,
    reducer,
    set_executable,
    set_forkserver_preload,
    set_start_method,
)
from multiprocessing.reduction import ForkingPickler

from . import _shared_memory
from .nn.parameter import Parameter, UninitializedParameter
from .tensor import Tensor

__all__ = [
    "Array", "AuthenticationError", "Barrier", "BoundedSemaphore", "BufferTooShort",
    "Condition", "Event", "JoinableQueue", "Lock", "Manager", "Pipe", "Pool", "Process",
    "ProcessError", "Queue", "RLock", "RawArray", "RawValue", "Semaphore", "SimpleQueue",
    "TimeoutError", "Value", "active_children", "allow_connection_pickling", "cpu_count",
    "current_process", "freeze_support", "get_all_start_methods", "get_context", "get_logger",
    "get_start_method", "log_to_stderr", "parent_process", "reducer", "set_executable",
    "set_forkserver_preload", "set_start_method",
    "get_all_sharing_strategies", "get_sharing_strategy", "set_sharing_strategy",
]

_ALL_SHARING_STRATEGIES = frozenset({"file_descriptor"})
_sharing_strategy = "file_descriptor"


def get_all_sharing_strategies() -> set[str]:
    """The sharing strategies gradlab has: ``{'file_descriptor'}`` (torch also has
    ``'file_system'``, named files in /dev/shm)."""
    return set(_ALL_SHARING_STRATEGIES)


def get_sharing_strategy() -> str:
    """The current strategy for sharing CPU tensors: ``'file_descriptor'``."""
    return _sharing_strategy


def set_sharing_strategy(new_strategy: str) -> None:
    """Set the strategy for sharing CPU tensors: one of :func:`get_all_sharing_strategies`
    (anything else raises AssertionError, as torch)."""
    global _sharing_strategy
    if new_strategy not in _ALL_SHARING_STRATEGIES:
        raise AssertionError(
            f"set_sharing_strategy: invalid sharing strategy {new_strategy!r}, expected one of "
            f"{set(_ALL_SHARING_STRATEGIES)} (gradlab shares memory through memfd file "
            "descriptors only)")
    _sharing_strategy = new_strategy


def init_reductions() -> None:
    """Register the tensor classes with multiprocessing's pickler (done on import): shared
    tensors travel as file descriptors, see :mod:`gradlab._shared_memory`."""
    for cls in (Tensor, Parameter, UninitializedParameter):
        ForkingPickler.register(cls, functools.partial(_shared_memory.reduce_for_process, Tensor))


init_reductions()
