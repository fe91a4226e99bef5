"""``report.html``: the self-contained page."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from ..experiment import Result
from ..runner import ERROR
from .errata_section import _code_spans, _errata_by_experiment, _erratum_anchor
from .numbers import _OP_TEXT, format_value, number_groups
from .pieces import (
    _anchor,
    _footer_lines,
    _margin_text,
    _run_time,
    _stable_json_text,
    _threshold_text,
)
from .style import _CLASS, _CSS, _e

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
