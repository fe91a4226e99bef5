"""A small harness that times gradlab against PyTorch on identical float32 work.

Both libraries run in ONE process, interleaved (gradlab, torch, gradlab, torch, ...) after a
warm-up, so that slow phases of a noisy machine hit both alike. For every case it prints

* the median time of one step of each library (ms),
* the ratio gradlab / torch: the median of the per-pair ratios (robust to noise), with the
  25th-75th percentile of those ratios as a noise indicator,
* the peak memory of one step of each library, above what was allocated before the step:
  gradlab through ``tracemalloc`` (NumPy reports its array buffers to it; Python objects are
  counted too), torch through ``torch.profiler`` with ``profile_memory=True`` (the CPU
  allocator's allocation and free events, summed in time order).

Thread counts are made equal: torch gets ``torch.set_num_threads(n)`` with ``n`` the thread
count of the BLAS library NumPy loaded (found through ctypes; ``os.cpu_count()`` when no
OpenBLAS is found). NumPy's elementwise ufuncs and reductions are single-threaded whatever
``n`` is; torch's use ``n`` OpenMP threads. That difference is part of what is measured.

These one-process ratios are NOT fair gradlab/torch ratios: the two libraries' thread pools
(OpenBLAS's and torch's OpenMP workers) share the cores and disturb each other, and torch ran
1.5-2x slower here than alone. Use them to compare outputs, memory and page faults, and to see
which ops move; for the ratio of training steps run ``python -m benchmarks.fair`` (each
library in its own process). The output and the JSON say so (``SAME_PROCESS_WARNING``).

A case is two zero-argument callables doing one full step each (forward, backward, clearing
grads) and returning what should agree between the libraries; the first outputs are compared
before any timing, so a benchmark cannot silently time different work.

Usage from a benchmark script::

    from harness import Case, main
    main(lambda: [Case("name", gradlab_step, torch_step)], "title")
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import math
import os
import platform
import re
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

# ----------------------------------------------------------------------------- threads


def _blas_libraries() -> list[str]:
    """Paths of the OpenBLAS shared libraries mapped into this process (NumPy's BLAS)."""
    paths: list[str] = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 6 and "openblas" in os.path.basename(parts[-1]).lower():
                    if parts[-1] not in paths:
                        paths.append(parts[-1])
    except OSError:
        pass
    return paths


def _symbols_containing(blob: bytes, needle: bytes) -> set[bytes]:
    """Identifier-like names around each occurrence of ``needle`` in a binary (the dynamic
    symbol table stores them as NUL-terminated strings). A literal search: fast on 30 MB."""
    ident = re.compile(rb"[A-Za-z0-9_]")
    names = set()
    i = blob.find(needle)
    while i >= 0:
        lo, hi = i, i + len(needle)
        while lo > 0 and ident.match(blob, lo - 1):
            lo -= 1
        while hi < len(blob) and ident.match(blob, hi):
            hi += 1
        names.add(blob[lo:hi])
        i = blob.find(needle, hi)
    return names


def blas_threads() -> tuple[int, str]:
    """NumPy's BLAS thread count and where it came from.

    Reads ``*openblas_get_num_threads*`` of the OpenBLAS library found in /proc/self/maps
    (symbol names differ between builds, e.g. ``scipy_openblas_get_num_threads64_``, so they
    are read from the library file); falls back to ``os.cpu_count()``.
    """
    np.ones(1)  # NumPy, and with it its BLAS, is loaded
    for path in _blas_libraries():
        try:
            with open(path, "rb") as f:
                names = sorted(_symbols_containing(f.read(), b"openblas_get_num_threads"),
                               key=len)
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in names:
            fn = getattr(lib, name.decode(), None)
            if fn is None:
                continue
            fn.restype, fn.argtypes = ctypes.c_int, []
            n = int(fn())
            if n > 0:
                return n, f"{name.decode()}() in {os.path.basename(path)}"
    return os.cpu_count() or 1, "os.cpu_count() (no OpenBLAS symbol found)"


# ----------------------------------------------------------------------------- memory


def gradlab_peak_bytes(fn: Callable[[], Any]) -> int:
    """Peak bytes allocated during one call of ``fn`` above the level before it (tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        out = fn()
        peak = tracemalloc.get_traced_memory()[1] - base
        del out
    finally:
        tracemalloc.stop()
    return peak


def torch_peak_bytes(fn: Callable[[], Any]) -> tuple[int | None, str]:
    """Peak bytes the torch CPU allocator held during one call of ``fn`` above the level
    before it: the profiler's memory events (+nbytes allocations, -nbytes frees) in time
    order, cumulated, maximum taken. Returns (None, reason) when the profiler cannot tell."""
    try:
        from torch.profiler import ProfilerActivity, profile

        gc.collect()
        with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
            out = fn()
            del out
        events = prof.profiler.kineto_results.events()
        mem = sorted((e.start_ns(), e.nbytes()) for e in events
                     if e.name() == "[memory]" and str(e.device_type()).endswith("CPU"))
    except Exception as exc:  # a private profiler API changed: say so, do not guess
        return None, f"not measured: torch.profiler memory events unavailable ({exc!r})"
    cur = peak = 0
    for _, n in mem:
        cur += n
        peak = max(peak, cur)
    return peak, "torch.profiler profile_memory (CPU allocator events)"


# ----------------------------------------------------------------------------- comparison


def to_numpy(x: Any) -> Any:
    """gradlab/torch tensors (or nested tuples/lists of them) as NumPy arrays."""
    if isinstance(x, (tuple, list)):
        return [to_numpy(v) for v in x]
    if x is None:
        return None
    if hasattr(x, "detach"):  # torch.Tensor
        return x.detach().cpu().numpy()
    if isinstance(getattr(x, "array", None), np.ndarray):  # gradlab.Tensor
        return x.array
    return np.asarray(x)


def assert_same(g: Any, t: Any, rtol: float, atol: float, what: str) -> None:
    """Raise AssertionError unless gradlab's and torch's outputs agree (shapes and values)."""
    g, t = to_numpy(g), to_numpy(t)
    if isinstance(g, list):
        assert isinstance(t, list) and len(g) == len(t), f"{what}: output structure differs"
        for i, (a, b) in enumerate(zip(g, t)):
            assert_same(a, b, rtol, atol, f"{what}[{i}]")
        return
    if g is None or t is None:
        assert g is None and t is None, f"{what}: one library returned None"
        return
    assert g.shape == t.shape, f"{what}: shapes {g.shape} vs {t.shape}"
    assert g.dtype == t.dtype, f"{what}: dtypes {g.dtype} vs {t.dtype}"
    if not np.allclose(g, t, rtol=rtol, atol=atol, equal_nan=True):
        err = float(np.max(np.abs(g.astype(np.float64) - t.astype(np.float64))))
        raise AssertionError(f"{what}: gradlab and torch differ (max abs diff {err:.3g}, "
                             f"rtol={rtol}, atol={atol})")


# ----------------------------------------------------------------------------- cases


@dataclass
class Case:
    """One benchmark: a gradlab step and a torch step doing the same float32 work."""

    name: str
    gradlab: Callable[[], Any]
    torch: Callable[[], Any]
    rtol: float = 1e-4  # for the output check before timing
    atol: float = 1e-5
    check: bool = True


@dataclass
class Result:
    name: str
    samples: int  # timed samples per library
    inner: int  # steps per timed sample (see run_case)
    gradlab_ms: float
    torch_ms: float
    ratio: float  # median of per-pair ratios gradlab/torch
    ratio_p25: float
    ratio_p75: float
    best_ratio: float  # fastest gradlab sample / fastest torch sample
    gradlab_peak_bytes: int | None
    torch_peak_bytes: int | None
    gradlab_faults: float  # median minor page faults per step
    torch_faults: float
    extra: dict = field(default_factory=dict)


SAME_PROCESS_WARNING = (
    "WARNING: gradlab and torch run interleaved in ONE process, where their thread pools "
    "contend (torch measured 1.5-2x slower than alone): these ratios are NOT fair "
    "gradlab/torch ratios. For fair training-step ratios run `python -m benchmarks.fair` "
    "(each library in its own process).")

NOISY = 1.25  # ratio spread p75/p25 above which a case is re-measured and flagged
SLOW = 1.5  # median / fastest sample of one library above which the same happens


def _time(fn: Callable[[], Any], inner: int) -> float:
    t0 = time.perf_counter()
    for _ in range(inner):
        fn()
    return (time.perf_counter() - t0) / inner


def _quantile(xs: list[float], q: float) -> float:
    s = sorted(xs)
    k = (len(s) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def _minor_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def _sample(fn: Callable[[], Any], inner: int, settle_s: float) -> tuple[float, float]:
    """Run ``fn`` untimed for ``settle_s`` seconds, then time ``inner`` calls.

    Returns (seconds per call, minor page faults per call). Fresh memory costs page faults
    (DESIGN "Speed"), and on these VMs a first touch can cost ~4 us a page."""
    end = time.perf_counter() + settle_s
    while time.perf_counter() < end:
        fn()
    f0 = _minor_faults()
    t = _time(fn, inner)
    return t, (_minor_faults() - f0) / inner


def run_case(case: Case, samples: int, warmup: int, min_sample_s: float,
             settle_s: float = 0.15, memory: bool = True, check: bool = True) -> Result:
    """Check outputs agree, warm up, time ``samples`` interleaved pairs, measure peak memory.

    Two thread pools share the cores: OpenBLAS's workers (NumPy) spin-wait for about
    2**28 cycles (~0.1 s) after each BLAS call before they sleep, and torch's OpenMP workers
    spin briefly too. Timing torch right after gradlab (or the reverse) therefore measures
    the other library's spinning threads as well: strict g, t, g, t alternation slowed torch's
    MLP step by up to 2x here. So each library first runs untimed for ``settle_s`` (the other
    pool goes quiet, caches warm up with its own data), then ``inner`` steps are timed as one
    sample, ``inner`` chosen so that a sample lasts >= ``min_sample_s``. Samples alternate
    g, t, g, t, ..., so slow phases of a noisy machine still hit both libraries alike.
    """
    if check and case.check:  # once per case: a training step's state drifts with every step
        assert_same(case.gradlab(), case.torch(), case.rtol, case.atol, case.name)
    wg, wt = [], []
    for _ in range(max(warmup, 1)):
        wg.append(_time(case.gradlab, 1))
        wt.append(_time(case.torch, 1))
    est = min(wg + wt)  # the fastest step: the least disturbed by the other thread pool
    inner = max(1, math.ceil(min_sample_s / max(est, 1e-9)))
    gc.collect()
    tg, tt, fg, ft = [], [], [], []
    for _ in range(samples):
        t, f = _sample(case.gradlab, inner, settle_s)
        tg.append(t)
        fg.append(f)
        t, f = _sample(case.torch, inner, settle_s)
        tt.append(t)
        ft.append(f)
    ratios = [a / b for a, b in zip(tg, tt)]
    gpeak = tpeak = None
    if memory:
        gpeak = gradlab_peak_bytes(case.gradlab)
        tpeak, _ = torch_peak_bytes(case.torch)
    return Result(case.name, samples, inner, statistics.median(tg) * 1e3,
                  statistics.median(tt) * 1e3, statistics.median(ratios),
                  _quantile(ratios, 0.25), _quantile(ratios, 0.75), min(tg) / min(tt),
                  gpeak, tpeak,
                  statistics.median(fg), statistics.median(ft),
                  extra={"gradlab_samples_ms": [round(v * 1e3, 5) for v in tg],
                         "torch_samples_ms": [round(v * 1e3, 5) for v in tt]})


def spread(r: Result) -> float:
    """p75 / p25 of the per-pair ratios: 1 on a quiet machine."""
    return r.ratio_p75 / r.ratio_p25 if r.ratio_p25 > 0 else math.inf


def instability(r: Result) -> float:
    """How far a run is from steady: the larger of the ratio spread (relative to NOISY) and
    median / fastest sample of either library (relative to SLOW). Above 1: noisy.

    The second catches phases where a library is slow in every sample (2-thread BLAS or
    OpenMP pools stall when another process takes a core: 10-100x slower steps)."""
    worst = 1.0
    for key in ("gradlab_samples_ms", "torch_samples_ms"):
        xs = r.extra.get(key)
        if xs and min(xs) > 0:
            worst = max(worst, statistics.median(xs) / min(xs))
    return max(spread(r) / NOISY, worst / SLOW)


# ----------------------------------------------------------------------------- output


def _mib(b: int | None) -> str:
    return "n/a" if b is None else f"{b / 2**20:.2f}"


def format_table(results: list[Result]) -> str:
    w = max([len(r.name) for r in results] + [4])
    head = (f"{'case':<{w}}  {'gradlab ms':>10}  {'torch ms':>9}  {'ratio':>6}  "
            f"{'ratio p25-p75':>13}  {'best':>5}  {'gl peak MiB':>11}  {'torch peak MiB':>14}  "
            f"{'gl flt':>6}  {'t flt':>6}  "
            f"{'samples x steps':>15}")
    lines = [head, "-" * len(head)]
    for r in results:
        steps = f"{r.samples}x{r.inner}"
        lines.append(f"{r.name:<{w}}  {r.gradlab_ms:>10.3f}  {r.torch_ms:>9.3f}  "
                     f"{r.ratio:>6.2f}  {r.ratio_p25:>6.2f}-{r.ratio_p75:<6.2f}  "
                     f"{r.best_ratio:>5.2f}  "
                     f"{_mib(r.gradlab_peak_bytes):>11}  {_mib(r.torch_peak_bytes):>14}  "
                     f"{r.gradlab_faults:>6.0f}  {r.torch_faults:>6.0f}  {steps:>15}"
                     + ("  noisy" if instability(r) > 1 else ""))
    return "\n".join(lines)


def _steal_seconds() -> float | None:
    """Total CPU steal time of the machine so far (/proc/stat), or None where unavailable."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def environment(threads: int, source: str) -> dict:
    import torch

    import gradlab

    return {"python": platform.python_version(), "numpy": np.__version__,
            "torch": torch.__version__, "gradlab": getattr(gradlab, "__version__", "?"),
            "threads": threads, "threads_source": source,
            "torch_threads": torch.get_num_threads(), "cpu_count": os.cpu_count(),
            "machine": platform.machine()}


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true",
                   help="fewer samples (30 timed, 3 warm-up steps) for a fast look")
    p.add_argument("--steps", type=int, default=None,
                   help="timed samples per library (default 60; --quick 30; at least 30)")
    p.add_argument("--warmup", type=int, default=None, help="warm-up steps per library")
    p.add_argument("--json", metavar="PATH", default=None, help="also write results as JSON")
    p.add_argument("--filter", default=None, help="only cases whose name contains this")
    p.add_argument("--threads", type=int, default=None,
                   help="override the thread count given to torch (default: NumPy's BLAS)")
    p.add_argument("--retries", type=int, default=2,
                   help=f"re-measure a noisy case (ratio spread p75/p25 > {NOISY}, or a "
                        f"median > {SLOW}x the fastest sample) up to this many times, keeping "
                        "the steadiest run (default 2)")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory steps")
    p.add_argument("--min-sample-ms", type=float, default=20.0,
                   help="repeat a step inside one timed sample until the sample lasts about "
                        "this long (default 20; 0: one step per sample)")
    p.add_argument("--settle-ms", type=float, default=150.0,
                   help="untimed run of a library before each of its samples, so that the "
                        "other library's spinning threads go quiet (default 150; 0: strict "
                        "g, t, g, t alternation)")
    return p


def main(make_cases: Callable[[], list[Case]], description: str,
         argv: list[str] | None = None,
         after: Callable[[list[Result], argparse.Namespace], None] | None = None,
         ) -> list[Result]:
    """Parse the command line, set threads, run every case and print (and save) the table."""
    import torch

    from gradlab import backend

    backend.use_tuned_allocator()   # as gradlab's command line and Trainer.fit do

    args = parser(description).parse_args(argv)
    steps = args.steps or (30 if args.quick else 60)
    if steps < 30:
        print(f"note: --steps {steps} raised to 30 (the minimum for a stable median)")
        steps = 30
    warmup = args.warmup if args.warmup is not None else (3 if args.quick else 10)
    n, source = blas_threads()
    if args.threads is not None:
        n, source = args.threads, "--threads"
    torch.set_num_threads(n)
    env = environment(n, source)
    print(f"{description}")
    print(SAME_PROCESS_WARNING)
    print(f"threads: {n} (NumPy BLAS via {source}); torch.set_num_threads({n}) -> "
          f"torch.get_num_threads() = {env['torch_threads']}; cpu_count = {env['cpu_count']}")
    print(f"python {env['python']}, numpy {env['numpy']}, torch {env['torch']}, "
          f"gradlab {env['gradlab']}")
    print(f"{steps} timed samples per library after {warmup} warm-up steps, interleaved "
          f"g, t, g, t; a sample: >= {args.min_sample_ms:g} ms of steps, timed after "
          f"{args.settle_ms:g} ms of untimed steps")
    steal0 = _steal_seconds()
    _, tsrc = torch_peak_bytes(lambda: None) if not args.no_memory else (None, "skipped")
    print(f"peak memory of one step: gradlab via tracemalloc; torch via {tsrc}")
    print()
    cases = make_cases()
    if args.filter:
        cases = [c for c in cases if args.filter in c.name]
    results = []
    for case in cases:
        r = None
        for attempt in range(1 + max(args.retries, 0)):
            new = run_case(case, steps, warmup, min_sample_s=args.min_sample_ms / 1e3,
                           settle_s=args.settle_ms / 1e3, memory=not args.no_memory,
                           check=attempt == 0)
            new.extra["attempt"] = attempt + 1
            r = new if r is None or instability(new) < instability(r) else r
            if instability(r) <= 1:
                break
        results.append(r)
        print(f"  done: {case.name}", file=sys.stderr, flush=True)
    print(format_table(results))
    print()
    print("ms = median time of one step; ratio = median over interleaved sample pairs of "
          "gradlab time / torch time (> 1: gradlab slower), p25-p75 its spread; best = "
          "fastest gradlab sample / fastest torch sample; peak memory of one step above the "
          "level before it; flt = median minor page faults per step; "
          f"noisy = spread p75/p25 > {NOISY} or a library's median > {SLOW}x "
          "its fastest sample, even after --retries.")
    steal = _steal_seconds()
    if steal is not None and steal0 is not None:
        env["cpu_steal_s"] = round(steal - steal0, 3)
        print(f"CPU time stolen by the hypervisor during the run: {steal - steal0:.2f} s "
              "(large values mean a noisy machine)")
    print(SAME_PROCESS_WARNING)
    if after is not None:
        after(results, args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"fair_ratio": False, "warning": SAME_PROCESS_WARNING,
                       "environment": env, "samples": steps, "warmup": warmup,
                       "min_sample_ms": args.min_sample_ms, "settle_ms": args.settle_ms,
                       "results": [asdict(r) for r in results]}, f, indent=2)
        print(f"wrote {args.json}")
    return results
