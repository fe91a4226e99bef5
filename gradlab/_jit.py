"""Which kernels run: gradlab's NumPy kernels (the readable reference) or their numba twins.

Some hot loops have a second implementation compiled by numba (a JIT compiler for NumPy-style
Python, a dependency of gradlab) into one fused loop where the NumPy kernel makes many passes
or many small calls: the per-step gate arithmetic of the recurrent layers
(``gradlab/ops/_rnn_kernels.py``). The NumPy kernels stay the definition; the numba ones are
tested against them (``tests/test_jit_kernels.py``) and are used only for float32 arrays.

The numba kernels run when numba can be imported and the environment variable ``GRADLAB_JIT``
is not ``0`` (read once, at the first kernel call); ``GRADLAB_JIT=0`` selects the NumPy
kernels. :func:`use` switches for a block (tests). numba itself is imported on the first
kernel call, not with gradlab, and each kernel is compiled on its first call (then cached on
disk: ``NUMBA_CACHE_DIR``, else next to the source or in the user's cache folder), so a
program that never runs a recurrent layer imports no numba.

What that costs, measured on a 2-core machine: a process's first LSTM or GRU step took 1.9-2.3 s
with an empty numba cache (numba's import and set-up, then compiling the two kernels), 0.8-1.2 s
with a warm one, 0.03-0.06 s with ``GRADLAB_JIT=0``; numba and LLVM add about 130 MiB to the
process's resident memory. In return the training step of an LSTM (hidden 128, 50 steps, batch
32, one thread) took 17-19 ms instead of 23-25 ms.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os

__all__ = ["enabled", "use", "available"]


class _State:
    __slots__ = ("on",)

    def __init__(self) -> None:
        self.on: bool | None = None  # None: not decided yet


_state = _State()


def available() -> bool:
    """Whether numba can be imported."""
    return importlib.util.find_spec("numba") is not None


def enabled() -> bool:
    """Whether the numba kernels run: numba installed and ``GRADLAB_JIT`` not ``0``."""
    on = _state.on
    if on is None:
        on = _state.on = os.environ.get("GRADLAB_JIT", "1").strip() != "0" and available()
    return on


@contextlib.contextmanager
def use(flag: bool):
    """``with use(False):`` runs the NumPy kernels in the block (``True``: the numba ones,
    RuntimeError without numba); the previous choice comes back after it."""
    if flag and not available():
        raise RuntimeError("gradlab._jit.use(True): numba is not installed (pip install numba)")
    before = _state.on
    _state.on = bool(flag)
    try:
        yield
    finally:
        _state.on = before
