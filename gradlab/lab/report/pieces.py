"""What report.html and report.md share: figure file names, anchors, run times, the
criteria's texts, the footer and the stability text."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from ..experiment import Criterion, Result
from .numbers import format_value

# ---------------------------------------------------------------------------- shared pieces


def _figure_files(results: Sequence[Result]) -> list[list[str]]:
    """A unique PNG file name for each figure of each result."""
    used: set[str] = set()
    names = []
    for r in results:
        row = []
        for f in r.figures:
            stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{r.id}-{f.name}").strip("-.") or "figure"
            name, i = f"{stem}.png", 2
            while name in used:
                name, i = f"{stem}-{i}.png", i + 1
            used.add(name)
            row.append(name)
        names.append(row)
    return names


def _anchor(r: Result) -> str:
    return "exp-" + re.sub(r"[^A-Za-z0-9_-]+", "-", r.id)


def _run_time(r: Result) -> str:
    cpu = getattr(r, "cpu_seconds", None)
    text = f"{r.seconds:.2f} s"
    return text + (f" (CPU {cpu:.2f} s)" if cpu else "")


def _margin_text(c: Criterion) -> str:
    """The criterion's margin: a share of the threshold in percent (an absolute distance when
    the threshold is 0); positive when the criterion passed."""
    m = c.margin
    if math.isnan(m):
        return "n/a"
    if c.threshold == 0:
        return f"{m:+.3g} (absolute)"
    pct = 100.0 * m
    return f"{pct:+,.0f}%" if abs(pct) >= 1000 else f"{pct:+.3g}%"


def _threshold_text(c: Criterion) -> str:
    return format_value(c.threshold)


def _blas_text(meta: dict[str, Any]) -> str:
    blas = meta.get("blas") or {}
    parts = [f"{blas.get('name') or 'BLAS'} {blas.get('version') or ''}".strip()]
    if blas.get("core"):
        parts.append(f"kernel {blas['core']}")
    if blas.get("threading_layer"):
        parts.append(f"{blas['threading_layer']} threading")
    if blas.get("library"):
        parts.append(str(blas["library"]))
    return ", ".join(parts)


def _footer_lines(meta: dict[str, Any]) -> list[str]:
    """The footer: the run, the machine and its BLAS kernel, what that kernel means, the
    updates, the date."""
    took = meta.get("total_seconds")
    took_text = (f" · {took:.1f} s (CPU {meta.get('total_cpu_seconds', 0.0):.1f} s)"
                 if took else "")
    threads = meta.get("threads")
    threads_text = ("BLAS threads as set" if threads is None else
                    f"{threads} BLAS thread{'s' if threads != 1 else ''}")
    jitter = meta.get("jitter") or 0.0
    jitter_text = f" · starting points jittered by {jitter:g}" if jitter else ""
    blas = meta.get("blas") or {}
    core = blas.get("core")
    lines = [
        f"gradlab {meta['gradlab_version']} · seed {meta['seed']} · {meta['mode']} mode · "
        f"{threads_text}{jitter_text}{took_text}",
        f"Machine: {meta.get('cpu', 'unknown CPU')} ({meta.get('machine', '?')}) · BLAS: "
        f"{_blas_text(meta)} · Python {meta['python']}, NumPy {meta['numpy']}",
        "Floating-point sums depend on the BLAS kernel OpenBLAS picks for the CPU"
        + (f" ({core} here)" if core else "")
        + ": another CPU can give numbers that differ in the last digits, and long training "
        "runs can amplify such differences. The criteria tables give each verdict's margin.",
    ]
    for u in meta.get("updates") or []:
        lines.append(f"Updated {u.get('date', '?')}: {', '.join(u.get('ids', []))} rerun "
                     "(gradlab lab run), the other experiments kept from the earlier run.")
    lines.append(f"Written {meta['date']}.")
    return lines


def _stable_json_text(c: dict | None) -> str:
    if c is None:
        return ""
    seeds = ", ".join(str(s) for s in c["seeds"])
    if c["agree"]:
        return f"same verdict for seeds {seeds}"
    return "verdicts differ: " + "; ".join(f"seed {s}: {v}" for s, v in
                                           zip(c["seeds"], c["verdicts"]))
