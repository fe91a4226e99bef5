"""The report's style: the verdicts' CSS classes, the fonts for Chinese text, the CSS the
pages share, and HTML escaping."""

from __future__ import annotations

import html
from typing import Any

from ..experiment import CAVEATS, FAILS, HOLDS
from ..runner import ERROR

_CLASS = {HOLDS: "holds", CAVEATS: "caveats", FAILS: "fails", ERROR: "error"}


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
