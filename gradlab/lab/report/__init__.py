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

# The package in files: style.py (the CSS, HTML escaping), numbers.py (numbers as text, the
# summary line), metadata.py (the run's metadata: machine, BLAS, counts), errata_section.py (the
# registry's errors in the sources), pieces.py (what the two documents share), html_page.py
# (report.html), markdown_page.py (report.md), reading.py (a report folder read back),
# questions_page.py (questions.html, questions.md). The folder is written here, by
# write_report and update_report: _write_folder looks errata_entries up in this module.

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Sequence
from typing import Any

import gradlab

from ...io.checkpoint import atomic_write
from ..experiment import Result
from ..runner import LabResult, SeedCheck, dumps
from .errata_section import (
    ERRATUM_KEYS,
    _code_spans,
    _errata_by_experiment,
    _erratum_anchor,
    errata_entries,
)
from .html_page import (
    _criteria_html,
    _decided_html,
    _dot,
    _errata_html,
    _nav_html,
    _numbers_html,
    _png_width,
    _revision_html,
    _section_html,
    _summary_html,
    _verdict_html,
    render_html,
)
from .markdown_page import (
    _MD_SPECIAL,
    _m,
    _md_decided,
    _md_erratum_slug,
    _md_lines,
    _md_numbers,
    _md_slug,
    _md_verdict,
    render_markdown,
)
from .metadata import blas_meta, cpu_model, failed_checks, run_metadata
from .numbers import (
    _OP_TEXT,
    _counts,
    _is_scalar,
    _series_text,
    _short_list,
    format_value,
    number_groups,
    scalar_numbers,
    summary_line,
)
from .pieces import (
    _anchor,
    _blas_text,
    _figure_files,
    _footer_lines,
    _margin_text,
    _run_time,
    _stable_json_text,
    _threshold_text,
)
from .questions_page import (
    _QCSS,
    _QSCRIPT,
    _grouped,
    _q_anchor,
    _question_html,
    _source_heading,
    render_questions_html,
    render_questions_markdown,
    write_questions,
    write_questions_html,
)
from .reading import (
    _NON_FINITE,
    _REQUIRED,
    ReportError,
    _result_from_json,
    check_compatible,
    json_restore,
    load_report,
)
from .style import _CLASS, _CSS, CJK_FONTS, _e

# ------------------------------------------------------------------------------ the folder


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
