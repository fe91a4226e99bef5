"""The answer index beside the report: ``questions.html`` and ``questions.md``."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from typing import Any

from ...io.checkpoint import atomic_write
from .errata_section import _erratum_anchor
from .markdown_page import _m
from .style import _CSS, _e

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
    from ..questions import TOPICS

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
    from ..questions import QUESTIONS

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
    from ..questions import QUESTIONS

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
