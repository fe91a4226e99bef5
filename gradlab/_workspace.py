"""Scratch workspaces: named buffers that hot paths reuse across calls instead of allocating.

A fresh 10-20 MiB NumPy array costs page faults every time it is first written, on every
training step (DESIGN.md "Speed"). So the convolution's column matrices, the recurrent layers'
per-step temporaries and the optimizers' update temporaries come from a :class:`Workspace`:
``ws.get(name, shape, dtype)`` returns an uninitialised array backed by a buffer kept under
``(name, dtype)`` and grown to the largest size asked for.

Ownership rule: a workspace belongs to one owner (``ops.conv`` has one, ``ops.rnn`` has one,
each optimizer has its own), and only that owner calls ``get`` on it. An array from ``get`` is
valid until the owner's next ``get`` of the same name: use it inside the call that asked for
it, and never return it, keep it in a Function's context, or hand it to another module. No
module reads another's workspace; a module that needs another's computation calls a function
that returns an array it owns (``ops.conv.columns``, for instance).

Arrays over ``limit_bytes`` (64 MiB unless the owner says otherwise) are allocated per call and
not kept, so a workspace holds at most one buffer of that size per name. ``clear()`` frees every
workspace's buffers (for instance after a large model, to give the memory back); they are
allocated again on the next call that needs them.
"""

from __future__ import annotations

import weakref

import numpy as np

#: buffers over this many bytes are allocated per call instead of kept
DEFAULT_LIMIT_BYTES = 64 << 20

_every_workspace: weakref.WeakSet = weakref.WeakSet()


class Workspace:
    """Named scratch buffers owned by one module or object.

    Args:
        owner: who owns it, for messages and ``repr`` (``"ops.conv"``, ``"optim.Adam"``).
        limit_bytes: arrays larger than this are allocated per call, not kept.
    """

    def __init__(self, owner: str, limit_bytes: int = DEFAULT_LIMIT_BYTES) -> None:
        if limit_bytes < 0:
            raise ValueError(f"Workspace({owner!r}): limit_bytes must be >= 0, got {limit_bytes}")
        self.owner = owner
        self.limit_bytes = int(limit_bytes)
        self._buffers: dict[tuple[str, np.dtype], np.ndarray] = {}
        _every_workspace.add(self)

    def get(self, name: str, shape: tuple, dtype) -> np.ndarray:
        """An uninitialised C-contiguous array of ``shape`` and ``dtype``, backed by the buffer
        kept under ``name`` (valid until the next ``get(name, ...)``; see the module docstring)."""
        dtype = np.dtype(dtype)
        size = 1
        for d in shape:
            size *= int(d)
        if size * dtype.itemsize > self.limit_bytes:
            return np.empty(shape, dtype)
        buf = self._buffers.get((name, dtype))
        if buf is None or buf.size < size:
            buf = self._buffers[(name, dtype)] = np.empty(size, dtype)
        return buf[:size].reshape(shape)

    @property
    def nbytes(self) -> int:
        """Bytes held by the kept buffers."""
        return sum(b.nbytes for b in self._buffers.values())

    def clear(self) -> None:
        """Drop every kept buffer."""
        self._buffers.clear()

    def __repr__(self) -> str:
        return (f"Workspace({self.owner!r}, {len(self._buffers)} buffers, "
                f"{self.nbytes / 2**20:.1f} MiB, limit {self.limit_bytes / 2**20:.0f} MiB)")

    # Copies and pickles (an optimizer inside a deep-copied or saved object) start empty:
    # buffers are scratch, never state.
    def __getstate__(self) -> dict:
        return {"owner": self.owner, "limit_bytes": self.limit_bytes}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["owner"], state["limit_bytes"])


def clear() -> None:
    """Free the buffers of every workspace in the process."""
    for ws in list(_every_workspace):
        ws.clear()


def nbytes() -> int:
    """Bytes held by every workspace in the process."""
    return sum(ws.nbytes for ws in list(_every_workspace))
