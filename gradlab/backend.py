"""The array backend: dtypes, default dtype, random-number streams, BLAS threads and the
allocator.

Everything that touches NumPy's type system or its random generators lives here. The ops call
NumPy directly (``import numpy as np``); there is no array-module seam yet, so running on
another array library (CuPy) would need one, added where the ops import NumPy.
"""

from __future__ import annotations

import contextlib
import os

import numpy as np

from . import _device


class dtype:
    """A tensor element type, printed like PyTorch's (``gradlab.float32``).

    Wraps a NumPy dtype; ``gradlab.float32.np`` is the NumPy dtype it stands for.
    """

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize")

    def __init__(self, name: str, np_dtype) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"
        self.is_signed = self.np.kind in "fi"
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return f"gradlab.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))


float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
float16 = dtype("float16", np.float16)
int64 = dtype("int64", np.int64)
int32 = dtype("int32", np.int32)
int16 = dtype("int16", np.int16)
int8 = dtype("int8", np.int8)
uint8 = dtype("uint8", np.uint8)
bool_ = dtype("bool", np.bool_)

_ALL = (float32, float64, float16, int64, int32, int16, int8, uint8, bool_)
_FROM_NP = {d.np: d for d in _ALL}


def _by_name(name: str) -> dtype:
    return {d.name: d for d in _ALL}[name]


_default_dtype = float32


def get_default_dtype() -> dtype:
    """The dtype of tensors made from Python floats (``float32`` unless changed)."""
    return _default_dtype


def set_default_dtype(d: dtype) -> None:
    """Set the dtype used for Python floats and for ``zeros``/``randn`` etc. without ``dtype=``."""
    global _default_dtype
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"set_default_dtype: only floating-point types are allowed, got {d}")
    _default_dtype = d


def to_dtype(d) -> dtype:
    """A gradlab dtype from a gradlab dtype, a NumPy dtype/type, a Python type or a name.

    The Python types map as torch maps them: ``float`` to float64 (whatever the default
    dtype), ``int`` to int64, ``bool`` to bool."""
    if isinstance(d, dtype):
        return d
    if d is float:
        return float64
    if d is int:
        return int64
    if d is bool:
        return bool_
    try:
        nd = np.dtype(d)
    except TypeError:
        raise TypeError(f"unknown dtype {d!r}") from None
    try:
        return _FROM_NP[nd]
    except KeyError:
        raise TypeError(f"dtype {nd} is not supported by gradlab "
                        f"(supported: {', '.join(x.name for x in _ALL)})") from None


def from_numpy_dtype(nd) -> dtype:
    """The gradlab dtype of a NumPy dtype (raises TypeError for unsupported ones)."""
    r = _FROM_NP.get(nd)
    return r if r is not None else to_dtype(nd)


_TO_FORMS = ("to(device=None, dtype=None, non_blocking=False, copy=False), to(dtype, "
             "non_blocking=False, copy=False) or to(tensor, non_blocking=False, copy=False)")


def _is_dtype_like(a) -> bool:
    return (isinstance(a, (dtype, np.dtype)) or any(a is t for t in (float, int, bool))
            or (isinstance(a, type) and issubclass(a, np.generic)))


def to_args(args: tuple, kwargs: dict, where: str) -> tuple[dtype | None, bool]:
    """``(dtype, copy)`` asked for by ``.to(...)`` arguments, in torch's three forms:
    ``to(device=None, dtype=None, non_blocking=False, copy=False)``,
    ``to(dtype, non_blocking=False, copy=False)`` and ``to(tensor, non_blocking=False,
    copy=False)`` (the tensor's dtype). ``dtype`` is None where none was asked for.

    The device, if any, goes through :func:`check_device` (only the CPU passes);
    ``non_blocking`` is accepted and changes nothing. Arguments that fit no form raise
    TypeError naming ``where`` and the forms.
    """
    unknown = sorted(set(kwargs) - {"device", "dtype", "non_blocking", "copy"})
    if unknown:
        raise TypeError(f"{where}() got an unexpected keyword argument {unknown[0]!r}; "
                        f"expected {_TO_FORMS}")
    first = args[0] if args else None
    if isinstance(first, (bool, float, np.bool_, np.floating)):
        # torch reads a Python float or bool in the first place as its type: to(3.5) is
        # to(float), that is float64; to(True) is to(bool) (an int stays a device index)
        first = bool if isinstance(first, bool) else float  # np.True_ too reads as float
        args = (first,) + tuple(args[1:])
    tensor = args and not isinstance(first, type) and isinstance(getattr(first, "array", None),
                                                                 np.ndarray)
    if tensor or (args and _is_dtype_like(first)):
        names = ("non_blocking", "copy")  # to(dtype, ...) or to(tensor, ...)
        dt = first.array.dtype if tensor else first
        rest = args[1:]
        if "device" in kwargs or "dtype" in kwargs:
            raise TypeError(f"{where}(): after a {'tensor' if tensor else 'dtype'} argument, "
                            f"device= and dtype= are not accepted; expected {_TO_FORMS}")
    else:
        names, dt, rest = ("device", "dtype", "non_blocking", "copy"), None, args
    if len(rest) > len(names):
        raise TypeError(f"{where}() takes at most {len(names) + len(args) - len(rest)} "
                        f"positional arguments ({len(args)} given); expected {_TO_FORMS}")
    given = dict(zip(names, rest))
    for k, v in kwargs.items():
        if k in given:
            raise TypeError(f"{where}() got multiple values for argument {k!r}")
        given[k] = v
    for flag in ("non_blocking", "copy"):
        if not isinstance(given.get(flag, False), (bool, np.bool_)):
            raise TypeError(f"{where}(): argument {flag!r} must be bool, not "
                            f"{type(given[flag]).__name__}; expected {_TO_FORMS}")
    _device.check_device(given.get("device"), where)
    if given.get("dtype") is not None:
        if not _is_dtype_like(given["dtype"]):
            raise TypeError(f"{where}(): argument 'dtype' must be a dtype, not "
                            f"{type(given['dtype']).__name__}; expected {_TO_FORMS}")
        dt = given["dtype"]
    return (None if dt is None else to_dtype(dt)), bool(given.get("copy", False))


# --------------------------------------------------------------------------- randomness


class Generator:
    """An explicit random stream, like ``torch.Generator``.

    Pass it as ``generator=`` to any random function; without one, the global stream set by
    :func:`manual_seed` is used. Backed by NumPy's PCG64.
    """

    def __init__(self, device="cpu") -> None:
        _device.check_device(device, "Generator")
        self.device = _device.CPU
        self._seed = int(np.random.SeedSequence().entropy % (2**63))
        self.rng = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed: int) -> Generator:
        """Reset the stream to a fixed state; returns self."""
        self._seed = int(seed)
        self.rng = np.random.Generator(np.random.PCG64(self._seed % (2**128)))
        return self

    def seed(self) -> int:
        """Reseed from the operating system's entropy; returns the new seed."""
        self.manual_seed(int(np.random.SeedSequence().entropy % (2**63)))
        return self._seed

    def initial_seed(self) -> int:
        """The seed the stream was last started from."""
        return self._seed

    def get_state(self) -> dict:
        """A snapshot of the stream (a dict) that :meth:`set_state` restores."""
        return {"seed": self._seed, "bit_generator": self.rng.bit_generator.state}

    def set_state(self, state: dict) -> None:
        self._seed = state["seed"]
        self.rng.bit_generator.state = state["bit_generator"]


default_generator = Generator().manual_seed(0)


def manual_seed(seed: int) -> Generator:
    """Seed the global random stream; every later random call without ``generator=`` repeats."""
    return default_generator.manual_seed(seed)


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> dict:
    return default_generator.get_state()


def set_rng_state(state: dict) -> None:
    default_generator.set_state(state)


def rng(generator: Generator | None = None, caller: str | None = None) -> np.random.Generator:
    """The NumPy generator behind ``generator`` (or the global one).

    Only a :class:`Generator` (or None) is accepted, as torch accepts only a
    ``torch.Generator``: a ``numpy.random.Generator`` or an int seed raises a TypeError that
    names ``caller`` (the public function that was called) and says how to make one.
    """
    if generator is None:
        return default_generator.rng
    if not isinstance(generator, Generator):
        where = f"{caller}: " if caller else ""
        got = ("numpy.random.Generator" if isinstance(generator, np.random.Generator)
               else type(generator).__name__)
        raise TypeError(f"{where}generator must be a gradlab.Generator (or None), got {got}; "
                        f"make one with gradlab.Generator().manual_seed(seed)")
    return generator.rng


# --------------------------------------------------------------------------- BLAS


def blas_info() -> dict:
    """The BLAS library NumPy uses, the kernel it picked for this CPU and its threads.

    Returns a dict with:

    * ``name`` and ``version``: the library (``scipy-openblas``, ``0.3.31.188.0``), the version
      of the loaded library where threadpoolctl reads it, else the one NumPy was built with;
    * ``core``: the kernel family OpenBLAS picked for this CPU (threadpoolctl's
      ``architecture``: ``SkylakeX``, ``Haswell``, ``Zen``...). A DYNAMIC_ARCH OpenBLAS picks
      one per CPU (``OPENBLAS_CORETYPE`` overrides it), and kernels sum in different orders: the
      same program gives results that differ in the last bits from one core to another;
    * ``library`` (file name), ``filepath`` and ``threading_layer`` (``pthreads``, ``openmp``)
      of the loaded library, from threadpoolctl;
    * ``threads``: read from the loaded OpenBLAS (``openblas_get_num_threads``), else from
      threadpoolctl.

    A value that cannot be read is None (``name`` and ``version``: ``"unknown"``).
    """
    info = {"name": "unknown", "version": "unknown", "threads": None, "core": None,
            "library": None, "filepath": None, "threading_layer": None}
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        info["name"] = blas.get("name", "unknown")
        info["version"] = blas.get("version", "unknown")
    except (TypeError, AttributeError):  # NumPy < 1.26 has no mode="dicts"
        pass
    loaded = _threadpool_blas()
    if loaded is not None:
        info["core"] = loaded.get("architecture")
        info["filepath"] = loaded.get("filepath")
        info["library"] = os.path.basename(loaded["filepath"]) if loaded.get("filepath") else None
        info["threading_layer"] = loaded.get("threading_layer")
        if loaded.get("version"):
            info["version"] = loaded["version"]
        if info["name"] == "unknown" and loaded.get("internal_api"):
            info["name"] = loaded["internal_api"]
    info["threads"] = _openblas_threads()
    if info["threads"] is None and loaded is not None:
        info["threads"] = loaded.get("num_threads")
    return info


def _threadpool_blas() -> dict | None:
    """threadpoolctl's record of the BLAS NumPy loaded (the library in NumPy's folders, else an
    OpenBLAS, else the first), or None where threadpoolctl is missing or finds none."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    try:
        pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
    except Exception:  # threadpoolctl inspects native libraries; never fail on its account
        return None
    if not pools:
        return None
    # SciPy (loaded by scikit-learn, say) brings a BLAS of its own: NumPy's is the one in
    # NumPy's own folders (numpy.libs/ on Linux wheels, numpy/.dylibs on macOS)
    site = os.path.dirname(os.path.dirname(os.path.abspath(np.__file__)))

    def numpys(p: dict) -> bool:
        path = p.get("filepath") or ""
        if not path:
            return False
        try:
            first = os.path.relpath(path, site).split(os.sep)[0]
        except ValueError:  # another drive (Windows)
            return False
        return first in ("numpy", "numpy.libs")

    return next((p for p in pools if numpys(p)),
                next((p for p in pools if p.get("internal_api") == "openblas"), pools[0]))


def _openblas_fn(kind: str):
    """The loaded OpenBLAS's ``openblas_{kind}_num_threads`` function, or None."""
    found = _openblas_symbol(f"openblas_{kind}_num_threads")
    return None if found is None else found[0]


def _openblas_symbol(name: str):
    """``(function, ilp64)`` for the C function ``name`` (``"cblas_saxpy"``, say) of the
    OpenBLAS NumPy loaded, under the names its builds give it (``scipy_`` prefix, ``64_``
    suffix for 64-bit integer arguments), or None where it cannot be reached. Looked up once:
    reading the process's maps and loading the library took 1.5 ms a call."""
    if name not in _OPENBLAS_SYMBOLS:
        _OPENBLAS_SYMBOLS[name] = _find_openblas_symbol(name)
    return _OPENBLAS_SYMBOLS[name]


_OPENBLAS_SYMBOLS: dict = {}


def _find_openblas_symbol(name: str):
    import ctypes

    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "openblas" in line.lower()
                    and line.split()[-1].startswith("/")}
    except OSError:
        return None
    for path in sorted(libs):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("scipy_", ""):
            for suffix in ("64_", ""):
                fn = getattr(lib, f"{prefix}{name}{suffix}", None)
                if fn is not None:
                    return fn, suffix == "64_"
    return None


def _openblas_threads() -> int | None:
    import ctypes

    fn = _openblas_fn("get")
    if fn is None:
        return None
    fn.restype = ctypes.c_int
    return int(fn())


# --------------------------------------------------------------------------- axpy

_AXPY = {np.dtype(np.float32): "cblas_saxpy", np.dtype(np.float64): "cblas_daxpy"}


def _axpy_fn(dt: np.dtype):
    """The loaded OpenBLAS's ``cblas_?axpy`` for ``dt`` with its argument types set, or None."""
    name = _AXPY.get(dt)
    found = None if name is None else _openblas_symbol(name)
    if found is None:
        return None
    import ctypes

    fn, ilp64 = found
    if fn.argtypes is None:
        i, real = (ctypes.c_int64 if ilp64 else ctypes.c_int), (
            ctypes.c_float if dt == np.float32 else ctypes.c_double)
        fn.argtypes = (i, real, ctypes.c_void_p, i, ctypes.c_void_p, i)
        fn.restype = None
        fn.ilp64 = ilp64
    return fn


#: below this many elements the call costs more than it saves: reaching BLAS through ctypes
#: took 5-9 us a call, the two NumPy passes 3 us on 1,000 and 6 us on 10,000 elements and
#: 31 us against 24 us on 100,000 (one thread)
AXPY_MIN_SIZE = 1 << 15


def axpy_(y: np.ndarray, alpha: float, x: np.ndarray) -> bool:
    """``y += alpha * x`` in one pass over memory, with BLAS's ``?axpy`` (one rounding per
    element: ``y + alpha x`` fused, as PyTorch's ``y.add_(x, alpha=alpha)``), where that
    applies: at least ``AXPY_MIN_SIZE`` elements, both C-contiguous float32 or float64
    arrays of one dtype and size, not sharing memory, ``y`` writeable, and NumPy's OpenBLAS
    reachable. Returns whether it did; the caller then does its own NumPy update (two passes:
    ``alpha x`` into scratch, then add).

    The plain SGD step is this update per parameter; done as two NumPy passes it took 0.8 ms
    of an 11.5 ms MLP training step (one thread, cProfile)."""
    dt = y.dtype
    if (y.size < AXPY_MIN_SIZE or x.dtype != dt or x.size != y.size or not y.flags.c_contiguous
            or not x.flags.c_contiguous or not y.flags.writeable
            or np.may_share_memory(x, y)):
        return False
    fn = _axpy_fn(dt)
    if fn is None or (not fn.ilp64 and y.size >= 2 ** 31):
        return False
    fn(y.size, alpha, x.ctypes.data, 1, y.ctypes.data, 1)
    return True


# --------------------------------------------------------------------------- threads

def get_num_threads() -> int:
    """Threads gradlab's GEMMs use: NumPy's OpenBLAS's (1 where it cannot be read; NumPy's
    other calls run on one thread). Like ``torch.get_num_threads``."""
    return _openblas_threads() or 1


def set_num_threads(n: int) -> None:
    """Use ``n`` BLAS threads (NumPy's OpenBLAS, where its symbols can be reached). Like
    ``torch.set_num_threads``.

    Measured on the 2-core development machines: two threads ran conv-sized GEMMs 1.6-1.9x
    faster than one on an idle machine, but 2-8x slower while another process kept a core
    busy (a thread waits at a barrier for a partner that is not scheduled)."""
    import ctypes

    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"set_num_threads: expected a positive integer, got {n!r}")
    fn = _openblas_fn("set")
    if fn is not None:
        fn.argtypes = (ctypes.c_int,)
        fn(n)


@contextlib.contextmanager
def num_threads(n: int):
    """``with gradlab.backend.num_threads(1): ...``: ``set_num_threads(n)`` for the block,
    the previous count restored afterwards (even on an error)."""
    before = get_num_threads()
    set_num_threads(n)
    try:
        yield
    finally:
        set_num_threads(before)


# --------------------------------------------------------------------------- allocator

#: glibc mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def tune_allocator(mmap_threshold: int = 32 << 20, trim_threshold: int = 1 << 30) -> bool:
    """Let the C allocator keep freed array memory for reuse (glibc's ``mallopt``).

    By default glibc serves each large array (>= 128 KiB at first) with a fresh ``mmap`` and
    returns it to the kernel on free, so every training step touches its temporaries' pages
    anew: ~19,000 page faults and 60-70 ms of system time per ResNet-20 step on the 2-core
    development machines (DESIGN.md "Speed"). Raising the mmap threshold (to 32 MiB, glibc's
    maximum) and the trim threshold makes later steps reuse the heap: ~2 faults per step.
    The cost: the process keeps up to ``trim_threshold`` of freed memory instead of returning
    it, as a caching allocator does. ``import gradlab`` does not call it (importing a library
    changes nothing process-wide); the ``gradlab`` command line, ``Trainer.fit`` and the
    benchmarks call :func:`use_tuned_allocator`, and a training loop of your own can call it
    first. Returns False where the C library has no ``mallopt`` (not glibc); the process is
    then unchanged.
    """
    import ctypes

    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    ok = mallopt(_M_MMAP_THRESHOLD, int(mmap_threshold)) == 1
    return mallopt(_M_TRIM_THRESHOLD, int(trim_threshold)) == 1 and ok


_allocator_tuned: bool | None = None


def use_tuned_allocator() -> bool:
    """:func:`tune_allocator` once per process, unless the environment variable
    ``GRADLAB_TUNE_MALLOC=0`` is set (then the allocator is left alone and this returns False).
    Called by the ``gradlab`` command line, ``Trainer.fit`` and the benchmarks; returns whether
    the allocator is tuned."""
    global _allocator_tuned
    if _allocator_tuned is None:
        import os

        off = os.environ.get("GRADLAB_TUNE_MALLOC", "1") == "0"
        _allocator_tuned = False if off else tune_allocator()
    return _allocator_tuned
