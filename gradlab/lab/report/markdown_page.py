"""``report.md``: the Markdown twin of report.html (figures as files)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ..experiment import Result
from ..runner import ERROR
from .errata_section import _errata_by_experiment
from .numbers import _OP_TEXT, format_value, number_groups
from .pieces import _footer_lines, _margin_text, _run_time, _stable_json_text, _threshold_text

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
