"""The lab's report: one folder with ``report.html`` (self-contained: figures as base64 PNG
data URIs, inline CSS, no scripts to load), ``report.md`` (figures as PNG files in
``figures/``) and ``results.json`` (every number of every experiment, and the run's metadata:
seed, mode, jitter, BLAS library and kernel, CPU, failed checks).

Both documents open with one screen of summary (per experiment: the claim in plain words, the
verdict, the key number; the counts; any failed check). Each experiment then gets a section:
the claim in English with the source's Chinese sentence, the protocol, the figures, the verdict
with its explanation, and "What decided the verdict": the criteria (measured value, comparison,
threshold, margin), the checks, the machine notes, the revisions made after results were seen
and the errors in the sources this experiment shows; the full numbers, grouped, sit in a
collapsed block. Then come "Errors in the sources" (from the registry
:mod:`gradlab.lab.errata`) and a footer naming the machine and BLAS kernel that produced the
numbers. Beside them, ``questions.html`` and ``questions.md`` render the answer index
(:mod:`gradlab.lab.questions`: every question of the sources with its answer and pointers,
linking to the experiments of report.html). The HTML page keeps a table of contents in
reach: a sidebar on wide screens, a menu in a bar that stays at the top on narrow ones.

:func:`load_report` reads a report folder back into results; :func:`update_report` replaces
some experiments of an existing report and keeps the others (what ``gradlab lab run ID``
does). Every file is written atomically.
"""

from __future__ import annotations

import base64
import html
import json
import math
import os
import platform
import re
from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import datetime, timezone
from typing import Any

import numpy as np

import gradlab

from ..io.checkpoint import atomic_write
from .experiment import CAVEATS, FAILS, HOLDS, Check, Criterion, Figure, Result
from .runner import ERROR, LabResult, SeedCheck, dumps

_CLASS = {HOLDS: "holds", CAVEATS: "caveats", FAILS: "fails", ERROR: "error"}
_OP_TEXT = {"<=": "≤", "<": "<", ">=": "≥", ">": ">"}

#: fonts that have Chinese glyphs, tried in order (Linux, macOS, Windows), for lang="zh" text
CJK_FONTS = ('"Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "PingFang SC", '
             '"Hiragino Sans GB", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif')

_CSS = """
* { box-sizing: border-box; }
html { scroll-padding-top: 3.6em; -webkit-text-size-adjust: 100%; }
body { margin: 0; color: #1d1d1f; background: #fff;
       font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", CJKFONTS; }
:lang(zh) { font-family: CJKFONTS; }
main, footer { max-width: 60rem; margin: 0 auto; padding: 0 1rem; }
p, li, figcaption, blockquote { overflow-wrap: anywhere; }
td, th { overflow-wrap: break-word; }
h1 { font-size: 1.6em; line-height: 1.25; margin: 0.8em 0 0.3em; }
h2 { margin: 2.2em 0 0.2em; padding-bottom: 0.15em; border-bottom: 2px solid #ddd;
     font-size: 1.35em; line-height: 1.3; }
h3 { margin: 1.3em 0 0.3em; font-size: 1.05em; }
h4 { margin: 0.9em 0 0.2em; font-size: 0.95em; }
a { color: #0b57b0; }
.lead { font-size: 1.05em; color: #333; }
.small, .ref { font-size: 0.9em; color: #555; }
.ref { margin-top: 0; }
.scroll { overflow-x: auto; max-width: 100%; margin: 0.5em 0; }
table { border-collapse: collapse; }
th, td { border: 1px solid #d0d0d0; padding: 0.3em 0.6em; text-align: left;
         vertical-align: top; }
th { background: #f3f3f3; font-weight: 600; }
td.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
table.criteria td:first-child { min-width: 11em; }
table.criteria, table.numbers { font-size: 0.93em; }
td.name { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
          font-size: 0.88em; }
.verdict { display: inline-block; padding: 0.05em 0.6em; border-radius: 0.8em;
           font-weight: 600; font-size: 0.9em; white-space: nowrap; vertical-align: 0.1em; }
.holds { background: #d5f2d9; color: #125b1f; }
.caveats { background: #fcecc4; color: #6d4a00; }
.fails { background: #f9d3d0; color: #8c1c13; }
.error { background: #444; color: #fff; }
.yes { color: #125b1f; font-weight: 600; } .no { color: #a1150b; font-weight: 600; }
blockquote { margin: 0.4em 0; padding: 0.3em 0.9em; border-left: 4px solid #c8c8c8;
             background: #fafafa; color: #333; }
.protocol { font-size: 0.95em; color: #333; white-space: pre-line; }
figure { margin: 0.8em 0; }
/* 150-dpi figures drawn at 0.72 of their pixels: 9-pt text is 13.5 px on the screen */
figure img { width: calc(var(--w, 900) * 0.72px); max-width: 100%; height: auto;
             display: block; }
.fig { overflow-x: auto; }
figcaption { font-size: 0.9em; color: #555; }
pre { background: #f6f6f6; padding: 0.6em; overflow-x: auto; font-size: 0.85em; }
ul.checks { list-style: none; padding-left: 0; }
ul.checks li { padding: 0.25em 0.5em; margin: 0.2em 0; border-left: 4px solid #7cc48a; }
ul.checks li.failed { border-left-color: #c0392b; background: #fde8e6; }
.alert { border: 2px solid #c0392b; background: #fde8e6; padding: 0.4em 0.9em; margin: 0.8em 0;
         border-radius: 0.3em; }
.alert ul { margin: 0.2em 0; padding-left: 1.2em; }
.decided { border-left: 3px solid #e3e3e3; padding-left: 0.9em; }
ol.revisions, ul.notes, ul.errata-links { padding-left: 1.2em; }
ol.revisions li { margin-bottom: 0.5em; }
details { margin: 0.7em 0; border: 1px solid #ddd; border-radius: 0.3em; padding: 0.2em 0.7em; }
details > summary { cursor: pointer; font-weight: 600; padding: 0.3em 0; }
details[open] > summary { border-bottom: 1px solid #eee; margin-bottom: 0.3em; }
table.summary { width: 100%; }
table.summary td:first-child { width: 2em; color: #666; }
.erratum { border-top: 1px solid #eee; padding-top: 0.3em; }
footer { margin-top: 3em; border-top: 1px solid #ddd; padding-top: 0.6em; padding-bottom: 2em;
         font-size: 0.9em; color: #444; }
footer p { margin: 0.3em 0; }
/* the bar at the top: always in reach, with the table of contents as a menu */
header.bar { position: sticky; top: 0; z-index: 10; background: #fff;
             border-bottom: 1px solid #ddd; }
header.bar .inner { max-width: 60rem; margin: 0 auto; padding: 0.4em 1rem; display: flex;
                    gap: 1.1em; align-items: baseline; }
header.bar .inner > * { white-space: nowrap; flex-shrink: 0; }
header.bar .brand { font-weight: 700; color: #1d1d1f; text-decoration: none; }
details.toc-menu { border: none; margin: 0; padding: 0; }
details.toc-menu > summary { padding: 0; font-weight: 600; color: #0b57b0; }
details.toc-menu[open] > summary { border: none; margin: 0; }
details.toc-menu > ol { position: absolute; left: 0; right: 0; top: 100%; margin: 0;
                        max-height: 70vh; overflow-y: auto; background: #fff;
                        border-bottom: 1px solid #ccc; box-shadow: 0 6px 12px rgba(0,0,0,.15);
                        padding: 0.4em 1rem 0.6em 2.6em; }
nav ol li { margin: 0.25em 0; }
.dot { display: inline-block; width: 0.7em; height: 0.7em; border-radius: 50%;
       margin-right: 0.35em; vertical-align: 0.05em; }
.dot.holds { background: #2e9e44; } .dot.caveats { background: #e0a800; }
.dot.fails { background: #c0392b; } .dot.error { background: #444; }
nav.side { display: none; }
@media (min-width: 1180px) {
  header.bar { display: none; }
  html { scroll-padding-top: 0.5em; }
  nav.side { display: block; position: fixed; top: 0; left: 0; bottom: 0; width: 17rem;
             overflow-y: auto; padding: 1em 1em 2em; border-right: 1px solid #ddd;
             background: #fafafa; font-size: 0.9em; }
  nav.side ol { padding-left: 1.6em; margin: 0.3em 0; }
  nav.side > a { display: block; margin: 0.3em 0; font-weight: 600; }
  main, footer { margin-left: 19rem; }
}
@media (max-width: 40rem) {
  table.summary thead { display: none; }
  table.summary tr { display: grid; grid-template-columns: 2em 1fr; }
  table.summary td { border: none; padding: 0.1em 0.3em; }
  table.summary td:first-child { grid-row: span 3; }
  table.summary td:nth-child(n+3) { grid-column: 2; }
  table.summary tr { border-bottom: 1px solid #ddd; padding: 0.3em 0; }
  h2 { font-size: 1.2em; }
  /* a figure of several panels keeps its text legible: it scrolls sideways in its box */
  figure img { max-width: none; width: max(100%, calc(var(--w, 0) * 0.55px)); }
  table.criteria thead { display: none; }
  table.criteria, table.criteria tbody, table.criteria tr { display: block; }
  table.criteria tr { border: 1px solid #d0d0d0; margin: 0 0 0.5em; padding: 0.3em 0.6em; }
  table.criteria td { display: inline-block; border: none; padding: 0.05em 0.9em 0.05em 0; }
  table.criteria td:first-child { display: block; min-width: 0; font-weight: 600; }
  table.criteria td[data-label]::before { content: attr(data-label) " "; color: #666;
                                          font-weight: normal; }
}
""".replace("CJKFONTS", CJK_FONTS)


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def format_value(value: Any) -> str:
    """A scalar as short text: floats to 4 significant digits, booleans as yes/no."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _is_scalar(v: Any) -> bool:
    return v is None or isinstance(v, (bool, int, float, str))


def _short_list(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and len(value) <= 4 and all(map(_is_scalar, value))


def scalar_numbers(numbers: dict[str, Any]) -> tuple[list[tuple[str, str]], int]:
    """The numbers a compact table shows: scalars (nested dicts as ``outer.inner``) and short
    lists of scalars (at most 4 items), as (name, text); and how many longer series were left
    to ``results.json``."""
    rows: list[tuple[str, str]] = []
    series = 0

    def visit(prefix: str, value: Any) -> None:
        nonlocal series
        if isinstance(value, dict):
            for k, v in value.items():
                visit(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(value, (list, tuple)):
            if _short_list(value):
                rows.append((prefix, "[" + ", ".join(format_value(v) for v in value) + "]"))
            else:
                series += 1
        else:
            rows.append((prefix, format_value(value)))

    visit("", numbers)
    return rows, series


def _series_text(value: Sequence[Any]) -> str:
    """A long list as one line: its length, and its range when it is a list of numbers."""
    flat = [v for v in value if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if flat and len(flat) == len(value):
        finite = [float(v) for v in flat if math.isfinite(v)]
        if finite:
            return (f"{len(value)} values, from {format_value(float(min(finite)))} to "
                    f"{format_value(float(max(finite)))} (all in results.json)")
    return f"{len(value)} items (in results.json)"


def number_groups(numbers: dict[str, Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Every number of a measurement for the report's collapsed block, grouped: first the
    top-level scalars and short lists (group ``"main"``), then one group per top-level dict
    (its content flattened as ``inner.key``). A longer list is one row saying how many values
    it holds and their range (the values themselves are in ``results.json``)."""
    main: list[tuple[str, str]] = []
    groups: list[tuple[str, list[tuple[str, str]]]] = []

    def rows_of(prefix: str, value: Any, into: list[tuple[str, str]]) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                rows_of(f"{prefix}.{k}" if prefix else str(k), v, into)
        elif isinstance(value, (list, tuple)):
            if _short_list(value):
                into.append((prefix, "[" + ", ".join(format_value(v) for v in value) + "]"))
            else:
                into.append((prefix, _series_text(value)))
        else:
            into.append((prefix, format_value(value)))

    for k, v in numbers.items():
        if isinstance(v, dict) and v:
            rows: list[tuple[str, str]] = []
            rows_of("", v, rows)
            groups.append((str(k), rows))
        else:
            rows_of(str(k), v, main)
    return ([("main", main)] if main else []) + groups


def _counts(results: Sequence[Result]) -> dict[str, int]:
    counts = {HOLDS: 0, CAVEATS: 0, FAILS: 0, ERROR: 0}
    for r in results:
        counts[r.verdict] = counts.get(r.verdict, 0) + 1
    return counts


def summary_line(results: Sequence[Result]) -> str:
    """``"16 experiments: 10 hold, 4 hold with caveats, 2 do not hold, 0 errors"``."""
    c = _counts(results)
    n = len(results)
    return (f"{n} experiment{'s' if n != 1 else ''}: {c[HOLDS]} hold, {c[CAVEATS]} hold with "
            f"caveats, {c[FAILS]} do not hold, {c[ERROR]} error{'s' if c[ERROR] != 1 else ''}")


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


# --------------------------------------------------------------------------- errors in the sources

#: what an entry of the registry of errors in the sources holds
ERRATUM_KEYS = ("id", "source_ref", "sentence", "correction", "source", "experiment", "evidence",
                "shown")


def errata_entries(results: Sequence[Result]) -> list[dict[str, Any]]:
    """The registry's errors in the sources (:func:`gradlab.lab.errata.evidence_for`), each with
    its evidence from this run's results where an experiment measures it. An empty list where
    the registry module is not installed.

    When the registry cannot read this run's numbers (an experiment renamed a key it reads),
    the report is still written: the entries come without this run's numbers, and those of
    the experiments in ``results`` say why in their evidence (``shown`` False)."""
    try:
        from .errata import evidence_for
    except ModuleNotFoundError as exc:
        if exc.name != f"{__package__}.errata":
            raise
        return []
    try:
        return [dict(e) for e in evidence_for(results)]
    except Exception as exc:  # the report of minutes of runs must still be written
        problem = f"{type(exc).__name__}: {exc}"
        ran = {r.id for r in results}
        entries = [dict(e) for e in evidence_for([])]
        for e in entries:
            if e.get("experiment") in ran:
                e["evidence"] = (f"The registry could not read this run's numbers "
                                 f"({problem}).")
                e["shown"] = False
        return entries


def _errata_by_experiment(errata: Sequence[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for e in errata:
        if e.get("experiment"):
            out.setdefault(e["experiment"], []).append(e)
    return out


def _code_spans(escaped: str) -> str:
    """Escaped text with its `backquoted` spans as <code> (the registry writes commands so)."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)


def _erratum_anchor(e: dict[str, Any]) -> str:
    return "err-" + re.sub(r"[^A-Za-z0-9_-]+", "-", str(e.get("id", "")))


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


# ------------------------------------------------------------------------------------ HTML


def _png_width(data: bytes) -> int | None:
    """The pixel width of a PNG (from its IHDR chunk), or None for other bytes."""
    if len(data) >= 24 and data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        return int.from_bytes(data[16:20], "big")
    return None


def _verdict_html(verdict: str) -> str:
    return f'<span class="verdict {_CLASS.get(verdict, "error")}">{_e(verdict)}</span>'


def _dot(verdict: str) -> str:
    return (f'<span class="dot {_CLASS.get(verdict, "error")}" title="{_e(verdict)}">'
            "</span>")


def _nav_html(results: Sequence[Result], errata: Sequence[dict[str, Any]]) -> list[str]:
    """The sidebar (wide screens) and the bar with the contents menu (narrow screens)."""
    items = [f'<li><a href="#{_anchor(r)}">{_dot(r.verdict)}{_e(r.title)}</a></li>'
             for r in results]
    n_err = len(errata)
    side = ['<nav class="side" aria-label="Contents">',
            '<a href="#summary">Summary</a>', "<ol>", *items, "</ol>",
            f'<a href="#errors-in-the-sources">Errors in the sources ({n_err})</a>',
            '<a href="#machine">Machine and BLAS</a>', "</nav>"]
    # a tap on a link closes the menu (no other script in the page)
    bar = ['<header class="bar"><div class="inner">',
           '<a class="brand" href="#summary">Summary</a>',
           '<nav aria-label="Contents menu"><details class="toc-menu"><summary>Contents</summary>',
           '<ol onclick="if (event.target.closest(\'a\')) '
           'this.parentNode.removeAttribute(\'open\')">', *items,
           '<li><a href="#errors-in-the-sources">Errors in the sources</a></li>',
           '<li><a href="#machine">Machine and BLAS</a></li>', "</ol></details></nav>",
           '<a href="#errors-in-the-sources">Errors in the sources</a>',
           "</div></header>"]
    return side + bar


def _summary_html(results: Sequence[Result], meta: dict[str, Any],
                  errata: Sequence[dict[str, Any]]) -> list[str]:
    checks = meta.get("stability") or {}
    out = ['<section id="summary">', "<h1>gradlab lab: the claims of the sources, measured</h1>",
           '<p class="lead">Each experiment tests one claim of the course notes (the sources) by '
           "a measurement and gives a verdict by thresholds registered before the results were "
           "seen.</p>",
           f'<p class="small">{_e(meta["summary"])}; seed {meta["seed"]}, {meta["mode"]} mode'
           f'{"" if not meta.get("jitter") else ", jitter " + format(meta["jitter"], "g")}. '
           'Machine and BLAS kernel: <a href="#machine">at the end</a>.</p>']
    failed = meta.get("failed_checks") or {}
    if failed:
        out.append('<div class="alert" role="alert"><strong>Failed checks</strong> (an identity '
                   "the protocol relies on did not hold; the run exits with status 1):<ul>")
        by_id = {r.id: r for r in results}
        for exp_id, items in failed.items():
            r = by_id.get(exp_id)
            link = (f'<a href="#{_anchor(r)}">{_e(r.title)}</a>' if r is not None
                    else _e(exp_id))
            for c in items:
                out.append(f"<li>{link} (seed {_e(c['seed'])}): {_e(c['name'])}: "
                           f"{_e(c['detail'])}</li>")
        out.append("</ul></div>")
    head = ["#", "Claim", "Verdict", "Key number"] + (["Over seeds"] if checks else [])
    out.append('<table class="summary">')
    out.append("<thead><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>")
    for i, r in enumerate(results, 1):
        cells = [f'<td class="num">{i}</td>',
                 f'<td><a href="#{_anchor(r)}">{_e(r.title)}</a></td>',
                 f"<td>{_verdict_html(r.verdict)}</td>", f"<td>{_e(r.key)}</td>"]
        if checks:
            cells.append(f"<td>{_e(_stable_json_text(checks.get(r.id)))}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    if errata:
        out.append(f'<p>{len(errata)} error{"s" if len(errata) != 1 else ""} in the sources '
                   'are listed with their evidence in <a href="#errors-in-the-sources">Errors in '
                   "the sources</a>.</p>")
    out.append("</section>")
    return out


def _criteria_html(r: Result) -> list[str]:
    crit = list(getattr(r, "criteria", []))
    if not crit:
        return ["<p>No criteria were recorded for this verdict.</p>"]
    out = ['<div class="scroll"><table class="criteria">',
           "<thead><tr><th>Criterion</th><th>Measured</th><th>Test</th><th>Threshold</th>"
           "<th>Passed</th><th>Margin</th></tr></thead><tbody>"]
    for c in crit:
        name = (f' <span class="small">({_e(c.threshold_name)})</span>' if c.threshold_name
                else "")
        ok = c.passed
        out.append(f"<tr><td>{_e(c.name)}</td>"
                   f'<td class="num" data-label="measured">{_e(format_value(c.value))}</td>'
                   f'<td class="num" data-label="test">{_e(_OP_TEXT.get(c.op, c.op))}</td>'
                   f'<td class="num" data-label="threshold">{_e(_threshold_text(c))}{name}</td>'
                   f'<td class="{"yes" if ok else "no"}" data-label="passed">'
                   f'{"yes" if ok else "no"}</td>'
                   f'<td class="num" data-label="margin">{_e(_margin_text(c))}</td></tr>')
    out.append("</tbody></table></div>")
    out.append('<p class="small">Margin: the distance to the threshold as a share of it, '
               "positive on the passing side.</p>")
    return out


def _revision_html(rev: dict[str, Any]) -> str:
    effect = f" {_e(rev['effect'])}" if rev.get("effect") else ""
    return (f"<li><strong>{_e(rev.get('date', '?'))}</strong>: {_e(rev.get('what', ''))}"
            f"<br><em>Why:</em> {_e(rev.get('why', ''))}<br><em>Verdict moved:</em> "
            f"{_e(rev.get('moved', 'not known'))}.{effect}</li>")


def _decided_html(r: Result, errata: Sequence[dict[str, Any]]) -> list[str]:
    """"What decided the verdict": criteria, checks, machine notes, revisions, seed errors."""
    out = ['<div class="decided">', "<h3>What decided the verdict</h3>"]
    out += _criteria_html(r)
    checks = list(getattr(r, "checks", []))
    if checks:
        out.append("<h4>Checks</h4><p class=\"small\">Identities and arithmetic the protocol "
                   "relies on; they never decide the verdict, and a failed one fails the run."
                   "</p><ul class=\"checks\">")
        for c in checks:
            if c.passed:
                out.append(f'<li class="passed"><span class="yes">passed</span> '
                           f"{_e(c.name)}: {_e(c.detail)}</li>")
            else:
                out.append(f'<li class="failed"><strong class="no">FAILED</strong> '
                           f"{_e(c.name)}: {_e(c.detail)}</li>")
        out.append("</ul>")
    notes = list(getattr(r, "notes", []))
    if notes:
        out.append("<h4>Machine notes</h4><p class=\"small\">About this machine's arithmetic; "
                   "they do not decide the verdict.</p><ul class=\"notes\">")
        out += [f"<li>{_e(n)}</li>" for n in notes]
        out.append("</ul>")
    revisions = list(getattr(r, "revisions", []))
    out.append("<h4>Revisions after results were seen</h4>")
    if revisions:
        out.append('<ol class="revisions">')
        out += [_revision_html(rev) for rev in revisions]
        out.append("</ol>")
    else:
        out.append("<p>None: protocol and thresholds as first registered.</p>")
    if errata:
        out.append("<h4>Errors in the sources shown here</h4><ul class=\"errata-links\">")
        out += [f'<li><a href="#{_erratum_anchor(e)}">{_e(e.get("source_ref", ""))}</a>: '
                f"{_e(e.get('correction', ''))}</li>" for e in errata]
        out.append("</ul>")
    out.append("</div>")
    return out


def _numbers_html(r: Result, stability: dict[str, Any]) -> list[str]:
    groups = number_groups(r.numbers)
    thresholds = getattr(r, "thresholds", {}) or {}
    n = sum(len(rows) for _, rows in groups)
    if not groups and not thresholds:
        return []
    what = (f"All numbers ({n} in {len(groups)} group{'s' if len(groups) != 1 else ''}) and "
            "registered thresholds" if groups else "Registered thresholds")
    out = [f'<details class="numbers"><summary>{what}</summary>']
    if thresholds:
        out.append('<h4>Registered thresholds</h4><div class="scroll"><table>')
        out += [f'<tr><td class="name">{_e(k)}</td><td class="num">{_e(format_value(v))}</td>'
                "</tr>" for k, v in thresholds.items()]
        out.append("</table></div>")
    for name, rows in groups:
        out.append(f"<h4>{_e(name)}</h4>")
        out.append('<div class="scroll"><table class="numbers">')
        out += [f'<tr><td class="name">{_e(k)}</td><td class="num">{_e(v)}</td></tr>'
                for k, v in rows]
        out.append("</table></div>")
    out.append("</details>")
    return out


def _section_html(i: int, r: Result, errata: Sequence[dict[str, Any]],
                  stability: dict[str, Any]) -> list[str]:
    out = [f'<section id="{_anchor(r)}">',
           f"<h2>{i}. {_e(r.title)} {_verdict_html(r.verdict)}</h2>",
           f'<p class="ref">{_e(r.source_ref)} · id <code>{_e(r.id)}</code></p>',
           f"<h3>Claim</h3><p>{_e(r.claim)}</p>"]
    zh = getattr(r, "claim_zh", "")
    if zh:
        out.append(f'<blockquote lang="zh">{_e(zh)}</blockquote>')
    protocol = getattr(r, "protocol", "")
    if protocol:
        out.append(f'<h3>Protocol</h3><p class="protocol">{_e(protocol.strip())}</p>')
    for f in r.figures:
        data = base64.b64encode(f.png).decode("ascii")
        width = _png_width(f.png)
        size = f' style="--w: {width}"' if width else ""
        out.append(f'<figure><div class="fig"><img src="data:image/png;base64,{data}" '
                   f'alt="{_e(f.caption)}"{size}></div>'
                   f"<figcaption>{_e(f.caption)}</figcaption></figure>")
    out.append(f"<h3>Verdict</h3><p>{_verdict_html(r.verdict)} {_e(r.key)}</p>")
    out.append(f"<p>{_e(r.explanation)}</p>")
    tb = getattr(r, "traceback", None)
    if tb:
        out.append(f"<details><summary>Traceback</summary><pre>{_e(tb)}</pre></details>")
    if r.verdict != ERROR:
        out += _decided_html(r, errata)
    if r.id in stability:
        out.append(f"<p>Over seeds: {_e(_stable_json_text(stability[r.id]))}.</p>")
    out += _numbers_html(r, stability)
    out.append(f'<p class="small">Run time {_e(_run_time(r))}.</p>')
    out.append("</section>")
    return out


def _errata_html(results: Sequence[Result], errata: Sequence[dict[str, Any]]) -> list[str]:
    by_id = {r.id: r for r in results}
    out = ['<section id="errors-in-the-sources">', "<h2>Errors in the sources</h2>"]
    if not errata:
        out.append("<p>No errors in the sources are registered.</p>")
    else:
        out.append(f"<p>{len(errata)} statement{'s' if len(errata) != 1 else ''} of the sources "
                   "that a measurement, a tool or a test of gradlab shows to be wrong: the "
                   "source's sentence, the correction, and what shows it.</p>")
    for e in errata:
        out.append(f'<div class="erratum" id="{_erratum_anchor(e)}">')
        out.append(f"<h3>{_e(e.get('source_ref', ''))}</h3>")
        if e.get("sentence"):
            out.append(f'<blockquote lang="zh">{_e(e["sentence"])}</blockquote>')
        out.append(f"<p><strong>Correction.</strong> "
                   f"{_code_spans(_e(e.get('correction', '')))}</p>")
        if e.get("evidence"):
            out.append(f"<p><strong>Evidence.</strong> {_code_spans(_e(e['evidence']))}</p>")
        where = []
        exp = e.get("experiment")
        if e.get("source") and e["source"] != f"experiment {exp}":
            where.append(f"Source: {_e(e['source'])}")
        if exp:
            r = by_id.get(exp)
            where.append(f'Experiment: <a href="#{_anchor(r)}">{_e(r.title)}</a>' if r is not
                         None else f"Experiment: <code>{_e(exp)}</code> (not in this report)")
        if where:
            out.append(f'<p class="small">{" · ".join(where)}</p>')
        out.append("</div>")
    out.append("</section>")
    return out


def render_html(results: Sequence[Result], meta: dict[str, Any],
                errata: Sequence[dict[str, Any]] = ()) -> str:
    """The self-contained HTML report (every text escaped, figures as data URIs);
    ``errata`` are the registry's entries (see :func:`errata_entries`)."""
    stability = meta.get("stability") or {}
    by_exp = _errata_by_experiment(errata)
    out = ['<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           '<title>gradlab lab report</title>', f'<style>{_CSS}</style>', '</head>', '<body>']
    out += _nav_html(results, errata)
    out.append("<main>")
    out += _summary_html(results, meta, errata)
    for i, r in enumerate(results, 1):
        out += _section_html(i, r, by_exp.get(r.id, []), stability)
    out += _errata_html(results, errata)
    out.append("</main>")
    out.append('<footer id="machine">')
    out += [f"<p>{_e(line)}</p>" for line in _footer_lines(meta)]
    out.append("</footer>")
    out.append("</body>")
    out.append("</html>")
    return "\n".join(out) + "\n"


def _stable_json_text(c: dict | None) -> str:
    if c is None:
        return ""
    seeds = ", ".join(str(s) for s in c["seeds"])
    if c["agree"]:
        return f"same verdict for seeds {seeds}"
    return "verdicts differ: " + "; ".join(f"seed {s}: {v}" for s, v in
                                           zip(c["seeds"], c["verdicts"]))


# -------------------------------------------------------------------------------- Markdown

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def _m(text: Any) -> str:
    """Markdown-escaped text on one line (for table cells and inline text)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _md_lines(text: str) -> str:
    """Escaped text keeping its line breaks (CommonMark hard breaks)."""
    lines = [_m(ln) for ln in text.strip().splitlines() if ln.strip()]
    return "\\\n".join(lines)


def _md_verdict(verdict: str) -> str:
    return f"**{verdict}**"


def _md_decided(r: Result, errata: Sequence[dict[str, Any]]) -> list[str]:
    out = ["### What decided the verdict", ""]
    crit = list(getattr(r, "criteria", []))
    if crit:
        out += ["| Criterion | Measured | Test | Threshold | Passed | Margin |",
                "|---|---|---|---|---|---|"]
        for c in crit:
            name = f" ({_m(c.threshold_name)})" if c.threshold_name else ""
            out.append(f"| {_m(c.name)} | {_m(format_value(c.value))} | "
                       f"{_m(_OP_TEXT.get(c.op, c.op))} | {_m(_threshold_text(c))}{name} | "
                       f"{'yes' if c.passed else '**no**'} | {_m(_margin_text(c))} |")
        out += ["", "Margin: the distance to the threshold as a share of it, positive on the "
                "passing side.", ""]
    else:
        out += ["No criteria were recorded for this verdict.", ""]
    checks = list(getattr(r, "checks", []))
    if checks:
        out += ["Checks (identities the protocol relies on; they never decide the verdict):",
                ""]
        out += [f"- {'passed' if c.passed else '**FAILED**'}: {_m(c.name)}: {_m(c.detail)}"
                for c in checks]
        out.append("")
    notes = list(getattr(r, "notes", []))
    if notes:
        out += ["Machine notes (they do not decide the verdict):", ""]
        out += [f"- {_m(n)}" for n in notes]
        out.append("")
    revisions = list(getattr(r, "revisions", []))
    out += ["Revisions after results were seen:", ""]
    if revisions:
        for rev in revisions:
            effect = f" {_m(rev['effect'])}" if rev.get("effect") else ""
            out.append(f"- **{_m(rev.get('date', '?'))}**: {_m(rev.get('what', ''))} *Why:* "
                       f"{_m(rev.get('why', ''))} *Verdict moved:* "
                       f"{_m(rev.get('moved', 'not known'))}.{effect}")
    else:
        out.append("- None: protocol and thresholds as first registered.")
    out.append("")
    if errata:
        out += ["Errors in the sources shown here:", ""]
        out += [f"- [{_m(e.get('source_ref', ''))}](#{_md_erratum_slug(e)}): "
                f"{_m(e.get('correction', ''))}" for e in errata]
        out.append("")
    return out


def _md_numbers(r: Result) -> list[str]:
    groups = number_groups(r.numbers)
    thresholds = getattr(r, "thresholds", {}) or {}
    if not groups and not thresholds:
        return []
    n = sum(len(rows) for _, rows in groups)
    what = (f"All numbers ({n} in {len(groups)} group{'s' if len(groups) != 1 else ''}) and "
            "registered thresholds" if groups else "Registered thresholds")
    out = [f"<details><summary>{what}</summary>", ""]
    if thresholds:
        out += ["| Threshold | Value |", "|---|---|"]
        out += [f"| {_m(k)} | {_m(format_value(v))} |" for k, v in thresholds.items()]
        out.append("")
    for name, rows in groups:
        out += [f"**{_m(name)}**", "", "| Number | Value |", "|---|---|"]
        out += [f"| {_m(k)} | {_m(v)} |" for k, v in rows]
        out.append("")
    out += ["</details>", ""]
    return out


def render_markdown(results: Sequence[Result], meta: dict[str, Any],
                    figure_files: Sequence[Sequence[str]], figures_dir: str = "figures",
                    errata: Sequence[dict[str, Any]] = ()) -> str:
    """The Markdown report; ``figure_files[i][j]`` is the PNG of figure j of result i, in
    ``figures_dir`` relative to the report; ``errata`` as for :func:`render_html`."""
    checks = meta.get("stability") or {}
    by_exp = _errata_by_experiment(errata)
    out = ["# gradlab lab: the claims of the sources, measured", "",
           "Each experiment tests one claim of the course notes (the sources) by a measurement and "
           "gives a verdict by thresholds registered before the results were seen.", "",
           f"{_m(meta['summary'])}; seed {meta['seed']}, {meta['mode']} mode.", ""]
    failed = meta.get("failed_checks") or {}
    if failed:
        out += ["**Failed checks** (the run exits with status 1):", ""]
        out += [f"- {_m(i)} (seed {c['seed']}): {_m(c['name'])}: {_m(c['detail'])}"
                for i, items in failed.items() for c in items]
        out.append("")
    head = ["#", "Claim", "Verdict", "Key number"]
    if checks:
        head.append("Over seeds")
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "|".join("---" for _ in head) + "|")
    for i, r in enumerate(results, 1):
        cells = [str(i), f"[{_m(r.title)}](#{_md_slug(i, r)})", _md_verdict(r.verdict),
                 _m(r.key)]
        if checks:
            cells.append(_m(_stable_json_text(checks.get(r.id))))
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    if errata:
        out += [f"{len(errata)} error{'s' if len(errata) != 1 else ''} in the sources: see "
                "[Errors in the sources](#errors-in-the-sources).", ""]
    out += ["Every question of the sources, answered, with what in gradlab shows it: "
            "[questions.md](questions.md) (searchable: questions.html).", ""]
    for i, r in enumerate(results, 1):
        out += [f"## {i}. {_m(r.title)}", "", f"{_m(r.source_ref)} · id `{r.id}`", "",
                "**Claim.** " + _m(r.claim), ""]
        zh = getattr(r, "claim_zh", "")
        if zh:
            out += ["> " + _m(zh), ""]
        protocol = getattr(r, "protocol", "")
        if protocol:
            out += ["**Protocol.**\\", _md_lines(protocol), ""]
        for f, name in zip(r.figures, figure_files[i - 1]):
            out += [f"![{_m(f.caption)}]({figures_dir}/{name})", "", f"*{_m(f.caption)}*", ""]
        out += [f"**Verdict: {r.verdict}** ({_m(r.key)}). {_m(r.explanation)}", ""]
        tb = getattr(r, "traceback", None)
        if tb:
            out += ["```", tb.rstrip().replace("```", "'''"), "```", ""]
        if r.verdict != ERROR:
            out += _md_decided(r, by_exp.get(r.id, []))
        if r.id in checks:
            out += [f"Over seeds: {_m(_stable_json_text(checks[r.id]))}.", ""]
        out += _md_numbers(r)
        out += [f"Run time {_run_time(r)}.", ""]
    out += ["## Errors in the sources", ""]
    if not errata:
        out += ["No errors in the sources are registered.", ""]
    by_id = {r.id: (i, r) for i, r in enumerate(results, 1)}
    for e in errata:
        out += [f"### {_m(e.get('source_ref', ''))} ({_m(e.get('id', ''))})", ""]
        if e.get("sentence"):
            out += ["> " + _m(e["sentence"]), ""]
        out += [f"**Correction.** {_m(e.get('correction', ''))}", ""]
        if e.get("evidence"):
            out += [f"**Evidence.** {_m(e['evidence'])}", ""]
        where = []
        exp = e.get("experiment")
        if e.get("source") and e["source"] != f"experiment {exp}":
            where.append(f"Source: {_m(e['source'])}")
        if exp:
            hit = by_id.get(exp)
            where.append(f"Experiment: [{_m(hit[1].title)}](#{_md_slug(*hit)})" if hit else
                         f"Experiment: `{exp}` (not in this report)")
        if where:
            out += [" · ".join(where), ""]
    out += ["---", ""]
    for line in _footer_lines(meta):
        out += [_m(line), ""]
    return "\n".join(out)


def _md_slug(i: int, r: Result) -> str:
    """The anchor GitHub gives the heading ``## {i}. {title}``."""
    text = f"{i}. {r.title}".lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _md_erratum_slug(e: dict[str, Any]) -> str:
    """The anchor GitHub gives the heading ``### {source_ref} ({id})``."""
    text = f"{e.get('source_ref', '')} ({e.get('id', '')})".lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


# ------------------------------------------------------------------------------ the folder


class ReportError(ValueError):
    """A report folder that cannot be read back or updated (unreadable ``results.json``, a
    missing figure, or a report of another seed, mode, jitter, thread count or BLAS kernel)."""


def _figure_files_in(doc: dict[str, Any]) -> dict[str, list[str]]:
    """The figure files each experiment of a results document names (id -> paths relative to
    the report folder)."""
    out: dict[str, list[str]] = {}
    for e in doc.get("experiments", []):
        out.setdefault(e.get("id"), []).extend(
            f["file"] for f in e.get("figures", []) if isinstance(f, dict) and f.get("file"))
    return out


def _write_folder(results: Sequence[Result], out: str, meta: dict[str, Any],
                  stale: Iterable[str] = ()) -> dict[str, str]:
    """Write the figures, the two documents and results.json; then delete the ``stale``
    figure files (relative paths) that no result names any more."""
    fig_dir = os.path.join(out, "figures")
    os.makedirs(fig_dir, exist_ok=True)
    files = _figure_files(results)
    for r, names in zip(results, files):
        for f, name in zip(r.figures, names):
            atomic_write(os.path.join(fig_dir, name), f.png)
    errata = errata_entries(results)
    paths = {"html": os.path.join(out, "report.html"),
             "markdown": os.path.join(out, "report.md"),
             "json": os.path.join(out, "results.json"), "figures": fig_dir}
    atomic_write(paths["html"], render_html(results, meta, errata).encode("utf-8"))
    atomic_write(paths["markdown"],
                 render_markdown(results, meta, files, errata=errata).encode("utf-8"))
    doc: dict[str, Any] = {"meta": meta, "experiments": []}
    for r, names in zip(results, files):
        d = r.to_json()
        for fig, name in zip(d["figures"], names):
            fig["file"] = f"figures/{name}"
        doc["experiments"].append(d)
    atomic_write(paths["json"], (dumps(doc) + "\n").encode("utf-8"))
    paths.update(write_questions(out, [r.id for r in results]))
    kept = {f"figures/{n}" for names in files for n in names}
    for rel in stale:
        if rel in kept or not re.fullmatch(r"figures/[A-Za-z0-9_.-]+\.png", rel):
            continue
        try:
            os.unlink(os.path.join(out, rel))
        except FileNotFoundError:
            pass
    return paths


def _old_doc(out: str) -> dict[str, Any] | None:
    """The results.json already in ``out`` when it can be read, else None."""
    try:
        with open(os.path.join(out, "results.json"), encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def write_report(results: Sequence[Result], out: str | os.PathLike, *,
                 seed: int | None = None, quick: bool | None = None, threads: int | None = 1,
                 total_seconds: float | None = None,
                 stability: Sequence[SeedCheck] | None = None,
                 jitter: float | None = None) -> dict[str, str]:
    """Write ``report.html``, ``report.md``, ``figures/*.png`` and ``results.json`` into the
    folder ``out`` (created if missing), replacing any report there; returns their paths by
    kind (``html``, ``markdown``, ``json``, ``figures``: the folder). Figure files the replaced
    report's results.json named and this one does not are deleted.

    ``results`` come from :func:`gradlab.lab.run_experiments` (a plain :class:`Result` works
    too; the report then lacks the Chinese claim, protocol, thresholds and revisions);
    ``stability`` from :func:`gradlab.lab.check_seeds` adds whether each verdict held over
    the sources. To replace some experiments of an existing report and keep the others, use
    :func:`update_report`."""
    out = os.fspath(out)
    if os.path.exists(out) and not os.path.isdir(out):
        raise NotADirectoryError(f"write_report: {out} exists and is not a folder")
    os.makedirs(out, exist_ok=True)
    meta = run_metadata(results, seed, quick, threads, total_seconds, stability, jitter)
    old = _old_doc(out)
    stale = [f for fs in _figure_files_in(old).values() for f in fs] if old else []
    return _write_folder(results, out, meta, stale)


_NON_FINITE = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


def json_restore(value: Any) -> Any:
    """The inverse of :func:`gradlab.lab.runner.json_safe`: the strings "NaN", "Infinity" and
    "-Infinity" back to floats (so a report read back renders as it was written)."""
    if isinstance(value, str):
        return _NON_FINITE.get(value, value)
    if isinstance(value, dict):
        return {k: json_restore(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_restore(v) for v in value]
    return value


_REQUIRED = ("id", "title", "source_ref", "claim", "seed", "quick", "numbers", "figures",
             "verdict", "explanation", "key", "seconds")


def _result_from_json(d: dict[str, Any], out: str) -> LabResult:
    if "seed_ref" in d and "source_ref" not in d:   # a report written before the rename
        d = {**d, "source_ref": d["seed_ref"]}
    missing = [k for k in _REQUIRED if k not in d]
    if missing:
        raise ReportError(f"an experiment in {out}/results.json lacks {', '.join(missing)}")
    known = {f.name for f in fields(LabResult)}
    kw = {k: v for k, v in d.items() if k in known}
    kw["numbers"] = json_restore(d["numbers"])
    kw["thresholds"] = json_restore(d.get("thresholds") or {})
    figures = []
    for f in d["figures"]:
        path = os.path.join(out, f.get("file", ""))
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise ReportError(f"{d['id']}'s figure {f.get('file')!r} cannot be read: "
                              f"{exc.strerror or exc}") from None
        figures.append(Figure(name=f["name"], caption=f["caption"], png=data))
    kw["figures"] = figures
    kw["criteria"] = [Criterion(name=c["name"], value=json_restore(c["value"]), op=c["op"],
                                threshold=json_restore(c["threshold"]),
                                threshold_name=c.get("threshold_name", ""))
                      for c in d.get("criteria", [])]
    kw["checks"] = [Check(name=c["name"], passed=bool(c["passed"]), detail=c["detail"])
                    for c in d.get("checks", [])]
    for k in ("seconds", "cpu_seconds", "jitter"):
        if k in kw:
            kw[k] = float(json_restore(kw[k]))
    return LabResult(**kw)


def load_report(out: str | os.PathLike) -> tuple[list[LabResult], dict[str, Any]]:
    """Read a report folder written by :func:`write_report` back: its results (figures from
    ``figures/``) and its metadata. Raises :class:`ReportError` naming the problem when
    ``results.json`` or a figure cannot be read."""
    out = os.fspath(out)
    path = os.path.join(out, "results.json")
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except OSError as exc:
        raise ReportError(f"{path} cannot be read: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ReportError(f"{path} is not JSON: {exc}") from None
    if not (isinstance(doc, dict) and isinstance(doc.get("meta"), dict)
            and isinstance(doc.get("experiments"), list)):
        raise ReportError(f"{path} is not a gradlab lab report (no meta and experiments)")
    try:
        results = [_result_from_json(d, out) for d in doc["experiments"]]
    except ReportError:
        raise
    except (TypeError, KeyError, ValueError, AttributeError) as exc:
        raise ReportError(f"{path} cannot be read as a gradlab lab report: "
                          f"{type(exc).__name__}: {exc}") from None
    return results, json_restore(doc["meta"])


def check_compatible(meta: dict[str, Any], *, seed: int, quick: bool, jitter: float,
                     threads: int | None, where: str = "the report") -> None:
    """Raise :class:`ReportError` when the existing report's ``meta`` was made with another
    seed, mode, jitter, BLAS thread count or BLAS kernel than a run with these settings on this
    machine: its experiments and the new ones would not belong in one report."""
    mine = {"seed": int(seed), "mode": "quick" if quick else "full",
            "jitter": float(jitter), "threads": threads, "BLAS kernel": blas_meta().get("core")}
    theirs = {"seed": meta.get("seed"), "mode": meta.get("mode"),
              "jitter": float(meta.get("jitter") or 0.0), "threads": meta.get("threads"),
              "BLAS kernel": (meta.get("blas") or {}).get("core")}
    differ = [k for k in mine if mine[k] != theirs[k]]
    if differ:
        def said(d: dict[str, Any]) -> str:
            return ", ".join(f"{k} {d[k]}" for k in differ)
        raise ReportError(f"{where} was made with {said(theirs)}; this run has {said(mine)}")


def update_report(results: Sequence[LabResult], out: str | os.PathLike, *,
                  seed: int | None = None, quick: bool | None = None, threads: int | None = 1,
                  total_seconds: float | None = None,
                  stability: Sequence[SeedCheck] | None = None, jitter: float | None = None,
                  order: Sequence[str] | None = None) -> dict[str, str]:
    """Replace the experiments of ``results`` inside the report in ``out`` and keep the others
    (their numbers, criteria, checks, figures and stability); write it as
    :func:`write_report` does and return the paths. Without a report in ``out`` this is
    :func:`write_report`.

    The kept and new experiments are put in ``order`` (ids, e.g. the registry's; ids not in it
    go last). Figure files of the replaced experiments that the new results do not name are
    deleted; no other file is. Raises :class:`ReportError` when the existing report cannot be
    read or was made with another seed, mode, jitter, thread count or BLAS kernel (see
    :func:`check_compatible`); nothing is written then."""
    out = os.fspath(out)
    if os.path.exists(out) and not os.path.isdir(out):
        raise NotADirectoryError(f"update_report: {out} exists and is not a folder")
    if not os.path.exists(os.path.join(out, "results.json")):
        return write_report(results, out, seed=seed, quick=quick, threads=threads,
                            total_seconds=total_seconds, stability=stability, jitter=jitter)
    old, old_meta = load_report(out)
    mine = run_metadata(results, seed, quick, threads, total_seconds, stability, jitter)
    check_compatible(old_meta, seed=mine["seed"], quick=mine["quick"], jitter=mine["jitter"],
                     threads=threads, where=f"the report in {out}")
    new_ids = {r.id for r in results}
    merged: list[Result] = [r for r in old if r.id not in new_ids]
    merged += list(results)
    if order is not None:
        rank = {i: n for n, i in enumerate(order)}
        merged.sort(key=lambda r: rank.get(r.id, len(rank)))
    kept_ids = {r.id for r in merged} - new_ids
    meta = run_metadata(merged, mine["seed"], mine["quick"], threads, None, None,
                        mine["jitter"])
    meta["total_seconds"] = sum(r.seconds for r in merged)
    stab = {k: v for k, v in (old_meta.get("stability") or {}).items() if k in kept_ids}
    stab.update({c.id: c.to_json() for c in stability or []})
    if stab:
        meta["stability"] = stab
    old_failed = {k: v for k, v in (old_meta.get("failed_checks") or {}).items()
                  if k in kept_ids}
    meta["failed_checks"] = {**old_failed, **mine["failed_checks"]}
    meta["updates"] = list(old_meta.get("updates") or []) + [
        {"date": mine["date"], "ids": [r.id for r in results],
         "gradlab_version": gradlab.__version__}]
    with open(os.path.join(out, "results.json"), encoding="utf-8") as f:
        old_files = _figure_files_in(json.load(f))
    stale = [p for i in new_ids for p in old_files.get(i, [])]
    return _write_folder(merged, out, meta, stale)


# --------------------------------------------------------------------- the answer index

_QCSS = """
.search { position: sticky; top: 0; z-index: 10; background: #fff; padding: 0.5em 0;
          border-bottom: 1px solid #ddd; }
.search input { width: 100%; font: inherit; padding: 0.4em 0.6em; border: 1px solid #999;
                border-radius: 0.3em; }
.search p { margin: 0.3em 0 0; }
article.q { border-top: 1px solid #e3e3e3; padding: 0.4em 0 0.6em; }
article.q h4 { font-size: 1.05em; margin: 0.3em 0 0.1em; }
article.q .en { margin: 0 0 0.3em; font-weight: 600; }
ul.pointers { padding-left: 1.2em; font-size: 0.92em; }
ul.pointers code { overflow-wrap: anywhere; }
.topic { color: #555; }
[hidden] { display: none !important; }
"""

# filters the entries as the reader types: every word must occur in an entry's text
_QSCRIPT = """
(function () {
  var box = document.getElementById('q-search');
  var count = document.getElementById('q-count');
  var entries = Array.prototype.slice.call(document.querySelectorAll('article.q'));
  var groups = Array.prototype.slice.call(document.querySelectorAll('.q-group'));
  var texts = entries.map(function (e) { return e.textContent.toLowerCase(); });
  function filter() {
    var words = box.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var shown = 0;
    entries.forEach(function (e, i) {
      var hit = words.every(function (w) { return texts[i].indexOf(w) >= 0; });
      e.hidden = !hit;
      if (hit) { shown += 1; }
    });
    groups.forEach(function (g) {
      g.hidden = !g.querySelector('article.q:not([hidden])');
    });
    count.textContent = shown + ' of ' + entries.length + ' questions';
  }
  box.addEventListener('input', filter);
  filter();
})();
"""


def _q_anchor(qid: str) -> str:
    return "q-" + re.sub(r"[^A-Za-z0-9_-]+", "-", qid)


def _source_heading(seed: str, questions: Sequence[Any]) -> str:
    also = sorted({s for q in questions if q.source == seed for s in q.also_in})
    return f"Source {seed}" + (f" (also source {', '.join(also)})" if also else "")


def _grouped(questions: Sequence[Any]) -> list[tuple[str, list[tuple[str, list[Any]]]]]:
    """The questions by seed (in seed order) and, within a seed, by topic (in TOPICS order)."""
    from .questions import TOPICS

    rank = {t: i for i, t in enumerate(TOPICS)}
    out = []
    for seed in sorted({q.source for q in questions}):
        mine = [q for q in questions if q.source == seed]
        topics = sorted({q.topic for q in mine}, key=lambda t: (rank.get(t, len(rank)), t))
        out.append((seed, [(t, [q for q in mine if q.topic == t]) for t in topics]))
    return out


def _question_html(q: Any, linked: set[str], report: str) -> list[str]:
    out = [f'<article class="q" id="{_q_anchor(q.id)}">',
           f'<h4 lang="zh">{_e(q.question_zh)}</h4>', f'<p class="en">{_e(q.question_en)}</p>',
           f'<p class="ref">{_e(q.ref)}'
           + (f" (also source {_e(', '.join(q.also_in))})" if q.also_in else "")
           + f' · <span class="topic">{_e(q.topic)}</span> · id <code>{_e(q.id)}</code></p>',
           f"<p>{_e(q.answer)}</p>"]
    items = []
    for x in q.experiments:
        if x in linked:
            items.append(f'Experiment: <a href="{_e(report)}#exp-'
                         f'{_e(re.sub(r"[^A-Za-z0-9_-]+", "-", x))}">{_e(x)}</a>')
        else:
            items.append(f"Experiment: <code>{_e(x)}</code> (run: <code>gradlab lab run "
                         f"{_e(x)}</code>)")
    items += [f"Code: <code>{_e(c)}</code>" for c in q.code]
    items += [f"Command: <code>{_e(c)}</code>" for c in q.commands]
    items += [f"Test: <code>{_e(t)}</code>" for t in q.tests]
    items += [f'Erratum: <a href="{_e(report)}#{_erratum_anchor({"id": x})}">{_e(x)}</a>'
              if linked else f"Erratum: <code>{_e(x)}</code>" for x in q.errata]
    if q.experiments:
        items.append(f"Run its experiments: <code>gradlab lab --question {_e(q.id)}</code>")
    if items:
        out += ['<ul class="pointers">', *[f"<li>{i}</li>" for i in items], "</ul>"]
    out.append("</article>")
    return out


def render_questions_html(questions: Sequence[Any] | None = None,
                          experiments: Iterable[str] = (), report: str = "report.html") -> str:
    """The answer index as one self-contained page (``questions.html``): the entries grouped
    by seed and topic, every text escaped, a search box that hides the entries not matching
    every typed word (an inline script; works from file:// without a server). ``experiments``
    are the ids present in ``report`` (a page beside it), which the entries link to, with the
    errata; without them experiments are named with the command that runs them."""
    from .questions import QUESTIONS

    qs = list(QUESTIONS if questions is None else questions)
    linked = set(experiments)
    groups = _grouped(qs)
    out = ['<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           '<title>gradlab: the questions of the sources, answered</title>',
           f'<style>{_CSS}{_QCSS}</style>', '</head>', '<body>', '<main>',
           '<h1>The questions of the sources, answered</h1>',
           f'<p class="lead">{len(qs)} questions and headings of the sources (Chinese interview '
           "notes on deep learning), each in the source's words and in English, with a short "
           "answer written for gradlab (correcting the seed where it is wrong) and what in "
           "gradlab shows it: lab experiments"
           + (f' (<a href="{_e(report)}">the lab report</a>)' if linked else "")
           + ", code, commands and tests. In a terminal: <code>gradlab ask WORDS</code>.</p>",
           '<div class="search"><label for="q-search" class="small">Search (Chinese or '
           'English words; every word must match)</label>',
           '<input id="q-search" type="search" autocomplete="off" '
           'placeholder="e.g. batchnorm 学习率">',
           f'<p class="small" id="q-count" aria-live="polite">{len(qs)} questions</p></div>',
           '<nav aria-label="Seeds"><p>'
           + " · ".join(f'<a href="#source-{_e(s)}">{_e(_source_heading(s, qs))}</a>'
                        for s, _ in groups) + "</p></nav>"]
    for seed, topics in groups:
        out.append(f'<section class="q-group" id="source-{_e(seed)}">')
        out.append(f"<h2>{_e(_source_heading(seed, qs))}</h2>")
        for topic, items in topics:
            out.append('<div class="q-group">')
            out.append(f"<h3>{_e(topic)}</h3>")
            for q in items:
                out += _question_html(q, linked, report)
            out.append("</div>")
        out.append("</section>")
    out += ["</main>", f"<script>{_QSCRIPT}</script>", "</body>", "</html>"]
    return "\n".join(out) + "\n"


def render_questions_markdown(questions: Sequence[Any] | None = None,
                              experiments: Iterable[str] = ()) -> str:
    """The answer index in Markdown (``questions.md`` beside ``report.md``), compact: per
    entry the question in Chinese and English, the answer and the pointers, grouped by source
    and topic."""
    from .questions import QUESTIONS

    qs = list(QUESTIONS if questions is None else questions)
    present = set(experiments)
    out = ["# The questions of the sources, answered", "",
           f"{len(qs)} questions and headings of the sources with a short answer and what in "
           "gradlab shows it. The same index, searchable, is questions.html; in a terminal: "
           "`gradlab ask WORDS`. Experiments: see [report.md](report.md).", ""]
    for seed, topics in _grouped(qs):
        out += [f"## {_m(_source_heading(seed, qs))}", ""]
        for topic, items in topics:
            out += [f"### {_m(topic)}", ""]
            for q in items:
                out += [f"**{_m(q.question_zh)}** {_m(q.question_en)} "
                        f"({_m(q.ref)}; id `{q.id}`)", "", _m(q.answer), ""]
                ptr = []
                if q.experiments:
                    ptr.append("experiments " + ", ".join(
                        f"`{x}`" + ("" if x in present or not present else " (not in this "
                                    "report)") for x in q.experiments))
                ptr += [f"{kind} " + ", ".join(f"`{x}`" for x in items_)
                        for kind, items_ in (("code", q.code), ("commands", q.commands),
                                             ("tests", q.tests), ("errata", q.errata))
                        if items_]
                if ptr:
                    out += ["Shown by: " + "; ".join(ptr) + ".", ""]
    return "\n".join(out)


def write_questions(out: str | os.PathLike, experiments: Iterable[str] = ()) -> dict[str, str]:
    """Write ``questions.html`` and ``questions.md`` into the folder ``out`` (beside the
    report, whose ``experiments`` ids they link to); returns their paths."""
    out = os.fspath(out)
    ids = list(experiments)
    paths = {"questions_html": os.path.join(out, "questions.html"),
             "questions_markdown": os.path.join(out, "questions.md")}
    atomic_write(paths["questions_html"], render_questions_html(None, ids).encode("utf-8"))
    atomic_write(paths["questions_markdown"],
                 render_questions_markdown(None, ids).encode("utf-8"))
    return paths


def write_questions_html(path: str | os.PathLike) -> str:
    """Write the whole answer index as one HTML page at ``path`` (no report beside it: the
    experiments are named with the command that runs them); returns the path."""
    path = os.fspath(path)
    atomic_write(path, render_questions_html().encode("utf-8"))
    return path
