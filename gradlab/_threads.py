"""Large copies and elementwise passes split over the BLAS threads.

NumPy runs one copy or one ufunc call on one thread, but releases the GIL while it loops: the
same call on two halves of an array, one half on a worker thread, uses two cores. The hot
copies of the convolution (window gathers, layout changes) and the passes of batch
normalization, pooling and ReLU go through :func:`split`, which cuts a loop over the leading
``n`` items into as many contiguous parts as gradlab has threads (``gradlab.get_num_threads``,
the BLAS thread count, so ``set_num_threads(1)`` makes everything single-threaded again).

Each part runs the same NumPy call on its own slice, and every output element is computed by
exactly the same operations as without the split: results are bit-identical to the one-thread
call (``tests/test_threads.py`` checks). Small arrays (under ``MIN_BYTES``) are not split: a
hand-off to a worker costs tens of microseconds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import backend

__all__ = ["split", "copyto", "add", "workers", "MIN_BYTES"]

#: arrays smaller than this run on the calling thread alone
MIN_BYTES = 1 << 18


class _Pool:
    """The worker threads, started on first use and grown when the thread count grows."""

    def __init__(self) -> None:
        self.executor: ThreadPoolExecutor | None = None
        self.size = 0
        self.lock = threading.Lock()

    def get(self, workers: int) -> ThreadPoolExecutor:
        with self.lock:
            if self.executor is None or self.size < workers:
                if self.executor is not None:
                    self.executor.shutdown(wait=True)
                self.executor = ThreadPoolExecutor(workers, thread_name_prefix="gradlab")
                self.size = workers
            return self.executor


_pool = _Pool()
_busy = threading.local()  # .on: this thread is a part of a split (no nested splits)


def workers() -> int:
    """How many parts a large loop is split into: gradlab's thread count."""
    return backend.get_num_threads()


def split(fn: Callable[[int, int], object], n: int, nbytes: int) -> None:
    """Call ``fn(lo, hi)`` on contiguous parts ``[lo, hi)`` that cover ``range(n)``, one part
    per thread, the first on the calling thread; return when all are done (an exception of
    any part is raised here). ``nbytes``: the data the loop touches, to decide whether
    splitting pays. ``fn`` must write disjoint outputs for disjoint parts."""
    k = min(workers(), n) if nbytes >= MIN_BYTES else 1
    if k <= 1 or getattr(_busy, "on", False):
        fn(0, n)
        return
    bounds = [n * i // k for i in range(k + 1)]
    pool = _pool.get(k - 1)
    futures = [pool.submit(_part, fn, bounds[i], bounds[i + 1]) for i in range(1, k)]
    try:
        _part(fn, 0, bounds[1])
    finally:
        for f in futures:
            f.result()


def _part(fn: Callable[[int, int], object], lo: int, hi: int) -> None:
    _busy.on = True
    try:
        fn(lo, hi)
    finally:
        _busy.on = False


def copyto(dst: np.ndarray, src: np.ndarray, axis: int = 0) -> None:
    """``np.copyto(dst, src)`` split along ``axis`` (``src`` has ``dst``'s shape, or
    broadcasts to it with a full ``axis``)."""
    n = dst.shape[axis]
    lead = (slice(None),) * axis
    full = src.ndim == dst.ndim and src.shape[axis] == n

    def part(lo: int, hi: int) -> None:
        s = lead + (slice(lo, hi),)
        np.copyto(dst[s], src[s] if full else src)

    split(part, n, dst.nbytes)


def add(a, b):
    """``a + b``, split over the threads when both are large arrays of one shape and dtype
    (else NumPy's ``a + b`` as it is)."""
    if (type(a) is np.ndarray and type(b) is np.ndarray and a.shape == b.shape
            and a.dtype == b.dtype and a.ndim and a.nbytes >= MIN_BYTES):
        out = np.empty(a.shape, a.dtype)
        split(lambda lo, hi: np.add(a[lo:hi], b[lo:hi], out=out[lo:hi]), a.shape[0], a.nbytes)
        return out
    return a + b
