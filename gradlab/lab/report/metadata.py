"""The run's metadata, for the footer and ``results.json``: versions, the BLAS library and
kernel, the CPU, the counts and the failed checks."""

from __future__ import annotations

import platform
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

import numpy as np

import gradlab

from ..experiment import Result
from ..runner import SeedCheck
from .numbers import _counts, summary_line


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``'s "model name" on Linux; else what the platform
    module says; "unknown" when neither does)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() in ("model name", "Model") and value.strip():
                    return " ".join(value.split())
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def blas_meta() -> dict[str, Any]:
    """The BLAS part of the run's metadata: :func:`gradlab.backend.blas_info` without the
    library's path (it names the user's folders) and without the thread count at write time
    (the run's own count is the metadata's ``threads``)."""
    from gradlab import backend

    info = backend.blas_info()
    return {k: info.get(k) for k in ("name", "version", "core", "library", "threading_layer")}


def failed_checks(results: Iterable[Result]) -> dict[str, list[dict[str, Any]]]:
    """The failed checks of each experiment (id -> [{"seed", "name", "detail"}]); experiments
    whose checks all passed are left out."""
    out: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        for c in getattr(r, "checks", []):
            if not c.passed:
                out.setdefault(r.id, []).append({"seed": r.seed, "name": c.name,
                                                 "detail": c.detail})
    return out


def run_metadata(results: Sequence[Result], seed: int | None = None, quick: bool | None = None,
                 threads: int | None = 1, total_seconds: float | None = None,
                 stability: Sequence[SeedCheck] | None = None,
                 jitter: float | None = None) -> dict[str, Any]:
    """What the footer and ``results.json`` say about the run (seed, mode and jitter default to
    the results' own): versions, the BLAS library and the kernel it picked for this CPU, the
    CPU, the counts and the failed checks of every seed that ran."""
    if seed is None:
        seed = results[0].seed if results else 0
    if quick is None:
        quick = results[0].quick if results else True
    if jitter is None:
        jitter = getattr(results[0], "jitter", 0.0) if results else 0.0
    every = [r for c in stability for r in c.results] if stability else list(results)
    meta: dict[str, Any] = {
        "gradlab_version": gradlab.__version__, "seed": int(seed), "quick": bool(quick),
        "mode": "quick" if quick else "full", "threads": threads, "jitter": float(jitter),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "python": platform.python_version(), "numpy": np.__version__,
        "blas": blas_meta(), "cpu": cpu_model(), "machine": platform.machine() or "unknown",
        "total_seconds": total_seconds,
        "total_cpu_seconds": sum(getattr(r, "cpu_seconds", 0.0) for r in results),
        "counts": _counts(results), "summary": summary_line(results),
        "failed_checks": failed_checks(every),
    }
    if stability:
        meta["stability"] = {c.id: c.to_json() for c in stability}
    return meta
