"""The lab's report: one folder with ``report.html`` (self-contained: figures as base64 PNG
data URIs, inline CSS), ``report.md`` (figures as PNG files in ``figures/``) and
``results.json`` (every number of every experiment, and the run's metadata).

Both documents open with a table (claim, seed reference, verdict, key number), then give each
experiment its section (claim in English and the seed's Chinese original, protocol,
thresholds, figures, verdict and explanation, the scalar numbers, run time), then the section
"Errors in the seeds", then a footer (gradlab version, seed, quick or full, date). Every file
is written atomically.
"""

from __future__ import annotations

import base64
import html
import os
import platform
import re
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

import numpy as np

import gradlab

from ..io.checkpoint import atomic_write
from .experiment import CAVEATS, FAILS, HOLDS, Result
from .runner import ERROR, SeedCheck, dumps

_CLASS = {HOLDS: "holds", CAVEATS: "caveats", FAILS: "fails", ERROR: "error"}

_CSS = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d1d1f;
       max-width: 980px; margin: 2em auto; padding: 0 1em; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 2.2em; border-bottom: 1px solid #ddd; }
h3 { margin: 1.2em 0 0.3em; font-size: 1em; }
table { border-collapse: collapse; margin: 0.6em 0; }
th, td { border: 1px solid #d0d0d0; padding: 0.25em 0.6em; text-align: left;
         vertical-align: top; }
th { background: #f3f3f3; }
td.num { font-variant-numeric: tabular-nums; }
.verdict { display: inline-block; padding: 0.05em 0.55em; border-radius: 0.8em;
           font-weight: 600; white-space: nowrap; }
.holds { background: #d5f2d9; color: #125b1f; }
.caveats { background: #fcecc4; color: #6d4a00; }
.fails { background: #f9d3d0; color: #8c1c13; }
.error { background: #444; color: #fff; }
.lines { white-space: pre-line; }
blockquote { margin: 0.4em 0; padding: 0.2em 0.9em; border-left: 4px solid #ccc;
             color: #333; }
figure { margin: 0.8em 0; } figure img { max-width: 100%; }
figcaption { font-size: 0.9em; color: #555; }
pre { background: #f6f6f6; padding: 0.6em; overflow-x: auto; font-size: 0.85em; }
.small { font-size: 0.9em; color: #555; }
footer { margin-top: 3em; border-top: 1px solid #ddd; padding-top: 0.6em; font-size: 0.9em;
         color: #555; }
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def format_value(value: Any) -> str:
    """A scalar as short text: floats to 4 significant digits, booleans as yes/no."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


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
            if len(value) <= 4 and all(v is None or isinstance(v, (bool, int, float, str))
                                       for v in value):
                rows.append((prefix, "[" + ", ".join(format_value(v) for v in value) + "]"))
            else:
                series += 1
        else:
            rows.append((prefix, format_value(value)))

    visit("", numbers)
    return rows, series


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


def run_metadata(results: Sequence[Result], seed: int | None = None, quick: bool | None = None,
                 threads: int | None = 1, total_seconds: float | None = None,
                 stability: Sequence[SeedCheck] | None = None) -> dict[str, Any]:
    """What the footer and ``results.json`` say about the run (seed and mode default to the
    results' own)."""
    if seed is None:
        seed = results[0].seed if results else 0
    if quick is None:
        quick = results[0].quick if results else True
    meta: dict[str, Any] = {
        "gradlab_version": gradlab.__version__, "seed": int(seed), "quick": bool(quick),
        "mode": "quick" if quick else "full", "threads": threads,
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "python": platform.python_version(), "numpy": np.__version__,
        "total_seconds": total_seconds,
        "total_cpu_seconds": sum(getattr(r, "cpu_seconds", 0.0) for r in results),
        "counts": _counts(results), "summary": summary_line(results),
    }
    if stability:
        meta["stability"] = {c.id: c.to_json() for c in stability}
    return meta


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


# ------------------------------------------------------------------------------------ HTML


def _verdict_html(verdict: str) -> str:
    return f'<span class="verdict {_CLASS.get(verdict, "error")}">{_e(verdict)}</span>'


def render_html(results: Sequence[Result], meta: dict[str, Any]) -> str:
    """The self-contained HTML report (every text escaped, figures as data URIs)."""
    checks = meta.get("stability") or {}
    out = ['<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           '<title>gradlab lab report</title>', f'<style>{_CSS}</style>', '</head>', '<body>',
           '<h1>gradlab lab: the claims of the seeds, measured</h1>',
           f'<p class="small">{_e(meta["summary"])}; seed {meta["seed"]}, {meta["mode"]} mode'
           '</p>']
    # the opening table
    head = ["#", "Claim", "Seed reference", "Verdict", "Key number"]
    if checks:
        head.append("Over seeds")
    out.append('<table class="summary">')
    out.append("<tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>")
    for i, r in enumerate(results, 1):
        cells = [f'<td class="num">{i}</td>',
                 f'<td><a href="#{_anchor(r)}"><strong>{_e(r.title)}</strong></a><br>'
                 f'{_e(r.claim)}</td>',
                 f"<td>{_e(r.seed_ref)}</td>", f"<td>{_verdict_html(r.verdict)}</td>",
                 f"<td>{_e(r.key)}</td>"]
        if checks:
            c = checks.get(r.id)
            cells.append(f"<td>{_e(_stable_json_text(c))}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    # one section per experiment
    for i, r in enumerate(results, 1):
        out.append(f'<section id="{_anchor(r)}">')
        out.append(f"<h2>{i}. {_e(r.title)}</h2>")
        out.append(f'<p class="small">{_e(r.seed_ref)} · id <code>{_e(r.id)}</code></p>')
        out.append(f"<h3>Claim</h3><p>{_e(r.claim)}</p>")
        zh = getattr(r, "claim_zh", "")
        if zh:
            out.append(f'<blockquote lang="zh">{_e(zh)}</blockquote>')
        protocol = getattr(r, "protocol", "")
        if protocol:
            out.append(f'<h3>Protocol</h3><p class="lines">{_e(protocol.strip())}</p>')
        thresholds = getattr(r, "thresholds", {})
        if thresholds:
            out.append("<h3>Thresholds</h3><table>")
            out.extend(f'<tr><td>{_e(k)}</td><td class="num">{_e(format_value(v))}</td></tr>'
                       for k, v in thresholds.items())
            out.append("</table>")
        if r.figures:
            out.append("<h3>Figures</h3>")
        for f in r.figures:
            data = base64.b64encode(f.png).decode("ascii")
            out.append(f'<figure><img src="data:image/png;base64,{data}" alt="{_e(f.caption)}">'
                       f"<figcaption>{_e(f.caption)}</figcaption></figure>")
        out.append(f"<h3>Verdict</h3><p>{_verdict_html(r.verdict)} {_e(r.key)}</p>")
        out.append(f"<p>{_e(r.explanation)}</p>")
        tb = getattr(r, "traceback", None)
        if tb:
            out.append(f"<pre>{_e(tb)}</pre>")
        rows, series = scalar_numbers(r.numbers)
        if rows:
            out.append('<h3>Numbers</h3><table class="numbers">')
            out.extend(f'<tr><td>{_e(k)}</td><td class="num">{_e(v)}</td></tr>'
                       for k, v in rows)
            out.append("</table>")
        if series:
            out.append(f'<p class="small">{series} longer series: see results.json.</p>')
        if r.id in checks:
            out.append(f'<p class="small">Stability: {_e(_stable_json_text(checks[r.id]))}.'
                       "</p>")
        out.append(f'<p class="small">Run time {_e(_run_time(r))}.</p>')
        out.append("</section>")
    # errors in the seeds
    out.append('<section id="errors-in-the-seeds">')
    out.append("<h2>Errors in the seeds</h2>")
    errs = [r for r in results if getattr(r, "seed_error", None)]
    if not errs:
        out.append("<p>No experiment of this run shows an error in the seeds.</p>")
    for r in errs:
        out.append(f'<h3><a href="#{_anchor(r)}">{_e(r.title)}</a> · {_e(r.seed_ref)}</h3>')
        out.append(f"<p>{_e(r.seed_error)}</p>")
        out.append(f"<p>Evidence: {_verdict_html(r.verdict)} {_e(r.key)}. "
                   f"{_e(r.explanation)}</p>")
    out.append("</section>")
    out.append(f"<footer>{_e(_footer(meta))}</footer>")
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


def _footer(meta: dict[str, Any]) -> str:
    took = meta.get("total_seconds")
    took_text = f" · {took:.1f} s (CPU {meta['total_cpu_seconds']:.1f} s)" if took else ""
    threads = meta["threads"]
    threads_text = ("BLAS threads as set" if threads is None else
                    f"{threads} BLAS thread{'s' if threads != 1 else ''}")
    return (f"gradlab {meta['gradlab_version']} · seed {meta['seed']} · {meta['mode']} mode · "
            f"{threads_text}{took_text} · Python {meta['python']}, NumPy {meta['numpy']} · "
            f"{meta['date']}")


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


def render_markdown(results: Sequence[Result], meta: dict[str, Any],
                    figure_files: Sequence[Sequence[str]], figures_dir: str = "figures") -> str:
    """The Markdown report; ``figure_files[i][j]`` is the PNG of figure j of result i, in
    ``figures_dir`` relative to the report."""
    checks = meta.get("stability") or {}
    out = ["# gradlab lab: the claims of the seeds, measured", "",
           f"{_m(meta['summary'])}; seed {meta['seed']}, {meta['mode']} mode.", ""]
    head = ["#", "Claim", "Seed reference", "Verdict", "Key number"]
    if checks:
        head.append("Over seeds")
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "|".join("---" for _ in head) + "|")
    for i, r in enumerate(results, 1):
        cells = [str(i), f"[{_m(r.title)}](#{_md_slug(i, r)}): {_m(r.claim)}", _m(r.seed_ref),
                 _md_verdict(r.verdict), _m(r.key)]
        if checks:
            cells.append(_m(_stable_json_text(checks.get(r.id))))
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    for i, r in enumerate(results, 1):
        out += [f"## {i}. {_m(r.title)}", "", f"{_m(r.seed_ref)} · id `{r.id}`", "",
                "**Claim.** " + _m(r.claim), ""]
        zh = getattr(r, "claim_zh", "")
        if zh:
            out += ["> " + _m(zh), ""]
        protocol = getattr(r, "protocol", "")
        if protocol:
            out += ["**Protocol.**\\", _md_lines(protocol), ""]
        thresholds = getattr(r, "thresholds", {})
        if thresholds:
            out += ["| Threshold | Value |", "|---|---|"]
            out += [f"| {_m(k)} | {_m(format_value(v))} |" for k, v in thresholds.items()]
            out.append("")
        for f, name in zip(r.figures, figure_files[i - 1]):
            out += [f"![{_m(f.caption)}]({figures_dir}/{name})", "", f"*{_m(f.caption)}*", ""]
        out += [f"**Verdict: {r.verdict}** ({_m(r.key)}). {_m(r.explanation)}", ""]
        tb = getattr(r, "traceback", None)
        if tb:
            out += ["```", tb.rstrip().replace("```", "'''"), "```", ""]
        rows, series = scalar_numbers(r.numbers)
        if rows:
            out += ["| Number | Value |", "|---|---|"]
            out += [f"| {_m(k)} | {_m(v)} |" for k, v in rows]
            out.append("")
        if series:
            out += [f"{series} longer series: see results.json.", ""]
        if r.id in checks:
            out += [f"Stability: {_m(_stable_json_text(checks[r.id]))}.", ""]
        out += [f"Run time {_run_time(r)}.", ""]
    out += ["## Errors in the seeds", ""]
    errs = [r for r in results if getattr(r, "seed_error", None)]
    if not errs:
        out += ["No experiment of this run shows an error in the seeds.", ""]
    for r in errs:
        out += [f"### {_m(r.title)} · {_m(r.seed_ref)}", "", _m(r.seed_error), "",
                f"Evidence: **{r.verdict}** ({_m(r.key)}). {_m(r.explanation)}", ""]
    out += ["---", "", _m(_footer(meta)), ""]
    return "\n".join(out)


def _md_slug(i: int, r: Result) -> str:
    """The anchor GitHub gives the heading ``## {i}. {title}``."""
    text = f"{i}. {r.title}".lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


# ------------------------------------------------------------------------------ the folder


def write_report(results: Sequence[Result], out: str | os.PathLike, *,
                 seed: int | None = None, quick: bool | None = None, threads: int | None = 1,
                 total_seconds: float | None = None,
                 stability: Sequence[SeedCheck] | None = None) -> dict[str, str]:
    """Write ``report.html``, ``report.md``, ``figures/*.png`` and ``results.json`` into the
    folder ``out`` (created if missing); returns their paths by kind (``html``, ``markdown``,
    ``json``, ``figures``: the folder).

    ``results`` come from :func:`gradlab.lab.run_experiments` (a plain :class:`Result` works
    too; the report then lacks the Chinese claim, protocol, thresholds and seed errors);
    ``stability`` from :func:`gradlab.lab.check_seeds` adds whether each verdict held over
    the seeds."""
    out = os.fspath(out)
    if os.path.exists(out) and not os.path.isdir(out):
        raise NotADirectoryError(f"write_report: {out} exists and is not a folder")
    fig_dir = os.path.join(out, "figures")
    os.makedirs(fig_dir, exist_ok=True)
    meta = run_metadata(results, seed, quick, threads, total_seconds, stability)
    files = _figure_files(results)
    for r, names in zip(results, files):
        for f, name in zip(r.figures, names):
            atomic_write(os.path.join(fig_dir, name), f.png)
    paths = {"html": os.path.join(out, "report.html"),
             "markdown": os.path.join(out, "report.md"),
             "json": os.path.join(out, "results.json"), "figures": fig_dir}
    atomic_write(paths["html"], render_html(results, meta).encode("utf-8"))
    atomic_write(paths["markdown"], render_markdown(results, meta, files).encode("utf-8"))
    doc = {"meta": meta, "experiments": []}
    for r, names in zip(results, files):
        d = r.to_json()
        for fig, name in zip(d["figures"], names):
            fig["file"] = f"figures/{name}"
        doc["experiments"].append(d)
    atomic_write(paths["json"], (dumps(doc) + "\n").encode("utf-8"))
    return paths
