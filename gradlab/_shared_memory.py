"""Arrays in memory that processes share, and how tensors cross process boundaries.

``Tensor.share_memory_()`` moves a tensor's array here: a memfd (an anonymous file, Linux) mapped
``MAP_SHARED``. A process started by ``fork`` afterwards maps the same pages, so a write by one
process is seen by all: torch.multiprocessing's Hogwild training (``model.share_memory()``, then
processes that each run SGD on the one set of parameters) works as in torch. Where
``os.memfd_create`` is missing the memory is an anonymous ``MAP_SHARED`` mapping, which only
``fork`` hands on.

Pickling: ``pickle.dumps(t)`` stores the values, dtype, shape, ``requires_grad`` and the tensor's
Python attributes, not ``.grad`` nor hooks, as torch's pickling (a non-leaf comes back a leaf).
Between processes (``multiprocessing``'s ``ForkingPickler``: queues, pipes, the arguments of a
``spawn`` or ``forkserver`` process), once :mod:`gradlab.multiprocessing` registered
:func:`reduce_for_process`, a tensor in shared memory travels as its memfd (the receiver maps the
same memory, as torch's ``file_descriptor`` strategy); other tensors travel by value.

This module sits on floor 0 (NumPy and the standard library): ``tensor.py`` calls it and passes
the ``Tensor`` class where one is built.
"""

from __future__ import annotations

import mmap
import os
import weakref
from multiprocessing import reduction

import numpy as np


class SharedBuffer(mmap.mmap):
    """A ``MAP_SHARED`` mapping of ``length`` bytes; ``fd`` is its memfd (None for an anonymous
    mapping), closed when the buffer is collected. Arrays over it are shared memory."""

    fd: int | None


def _attach(fd: int | None, length: int) -> SharedBuffer:
    buf = SharedBuffer(-1 if fd is None else fd, length)
    buf.fd = fd
    if fd is not None:
        weakref.finalize(buf, os.close, fd)
    return buf


def new_buffer(nbytes: int) -> SharedBuffer:
    """A zero-filled shared buffer of ``nbytes`` bytes (at least one: mmap refuses zero)."""
    length = max(int(nbytes), 1)
    if not hasattr(os, "memfd_create"):
        return _attach(None, length)
    fd = os.memfd_create("gradlab-shared-tensor", os.MFD_CLOEXEC)
    try:
        os.ftruncate(fd, length)
        return _attach(fd, length)
    except BaseException:
        os.close(fd)
        raise


def buffer_of(arr: np.ndarray) -> SharedBuffer | None:
    """The shared buffer under ``arr`` (following its chain of views), or None."""
    base = arr
    while isinstance(base, np.ndarray):
        base = base.base
    return base if isinstance(base, SharedBuffer) else None


def is_shared(arr: np.ndarray) -> bool:
    """Whether ``arr`` lies in shared memory (made by :func:`share`, or a view of such)."""
    return buffer_of(arr) is not None


def share(arr: np.ndarray) -> np.ndarray:
    """``arr`` itself if it is shared already, else a copy of it (same shape, dtype and values;
    Fortran order kept, anything else C-contiguous) in a new shared buffer."""
    if is_shared(arr):
        return arr
    order = "F" if arr.flags.f_contiguous and not arr.flags.c_contiguous else "C"
    out = np.ndarray(arr.shape, arr.dtype, buffer=new_buffer(arr.nbytes), order=order)
    out[...] = arr
    return out


def share_tensor_(t):
    """``Tensor.share_memory_``: ``t.array`` becomes a shared copy (a no-op when shared
    already); the tensor object stays, so modules and optimizers holding it see the change.
    ``t.grad`` is left where it is (``Module.share_memory`` shares gradients too). Returns t."""
    t.array = share(t.array)
    return t


# ------------------------------------------------------------------ pickling


def rebuild_tensor(base: type, cls: type, arr: np.ndarray, requires_grad: bool, state):
    """A leaf of class ``cls`` (``base`` is ``Tensor``, whose constructor sets the slots) over
    ``arr`` without a copy, with ``requires_grad`` and the Python attributes ``state``."""
    t = object.__new__(cls)
    base.__init__(t, np.empty(0, arr.dtype))
    t.array = arr if arr.flags.writeable else arr.copy()
    if requires_grad:
        t.requires_grad_(True)
    if state:
        t.__dict__.update(state)
    return t


def reduce_tensor(base: type, t):
    """``Tensor.__reduce_ex__``: the values (NumPy pickles the array), the class, requires_grad
    and the Python attributes; no ``.grad``, no hooks, no graph (torch's choices)."""
    return rebuild_tensor, (base, type(t), t.array, bool(t.requires_grad), dict(t.__dict__) or None)


def _rebuild_shared(base: type, cls: type, fd, length: int, offset: int, shape, strides, dtype,
                    requires_grad: bool, state):
    buf = _attach(fd.detach(), length)
    arr = np.ndarray(shape, np.dtype(dtype), buffer=buf, offset=offset, strides=strides)
    return rebuild_tensor(base, cls, arr, requires_grad, state)


def reduce_for_process(base: type, t):
    """The reduction ``ForkingPickler`` uses for tensors sent to another process: a tensor in a
    memfd travels as the descriptor (the receiver maps the same memory), any other by value.
    A non-leaf that requires grad is refused, as torch: autograd does not cross processes."""
    if t.requires_grad and t.grad_fn is not None:
        raise RuntimeError(
            "Cowardly refusing to serialize non-leaf tensor which requires_grad, since autograd "
            "does not support crossing process boundaries.  If you just want to transfer the "
            "data, call detach() on the tensor before serializing (e.g., putting it on the "
            "queue).")
    arr = t.array
    buf = buffer_of(arr)
    if buf is None or buf.fd is None:
        return reduce_tensor(base, t)
    start = np.frombuffer(buf, np.uint8).__array_interface__["data"][0]
    offset = arr.__array_interface__["data"][0] - start
    return _rebuild_shared, (base, type(t), reduction.DupFd(buf.fd), len(buf), offset,
                             arr.shape, arr.strides, arr.dtype.str, bool(t.requires_grad),
                             dict(t.__dict__) or None)
