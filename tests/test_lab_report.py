"""The lab's report folder: a self-contained HTML page that parses and holds every figure and
verdict, a Markdown twin whose figures exist, and a JSON file with every number."""

from __future__ import annotations

import base64
import json
import os
import re
from html.parser import HTMLParser

import pytest

import gradlab
from gradlab.lab import (
    CAVEATS,
    ERROR,
    FAILS,
    HOLDS,
    Experiment,
    Measurement,
    Verdict,
    check_seeds,
    new_figure,
    png,
    run_experiments,
    write_report,
)
from gradlab.lab.report import scalar_numbers


def _plot(name, caption, ys):
    fig, ax = new_figure(width=2.0, height=1.5)
    ax.semilogy(range(len(ys)), ys, label=name)
    ax.set_xlabel("layer")
    ax.set_ylabel("norm")
    ax.legend()
    return png(fig, name, caption)


class Fake(Experiment):
    """A measurement with every kind of number, two figures and a verdict set by the class."""

    id = "fake-holds"
    title = "Gradients <shrink> & vanish"
    seed_ref = "seed 000 Q64"
    claim = "each layer multiplies the gradient by at most 0.25 <b>bold?</b>"
    claim_zh = "第一层的梯度小于0.25的n次方"
    protocol = "line one of the protocol\nline two | with a pipe"
    thresholds = {"ratio_max": 1.0, "r2_min": 0.9}
    seed_error = None
    verdict = HOLDS

    def measure(self, seed, quick):
        numbers = {"ratio": 0.139, "r2": 0.9991, "depth": 20, "name": "sigmoid", "ok": True,
                   "curve": [1.0, 0.1, 0.01, 0.001, 1e-4], "pair": [0.5, 2.0],
                   "diverged_loss": float("inf"), "missing": float("nan"),
                   "by_init": {"he": 1.05, "xavier": 0.7}, "seed": seed}
        figs = [_plot("norms", f"Gradient norm per layer ({self.id})", [1, 0.1, 0.01]),
                _plot("norms", "Same stem, second figure", [1, 2, 4])]
        return Measurement(numbers, figs)

    def judge(self, numbers):
        return Verdict(self.verdict, f"The ratio is {numbers['ratio']:.3f} per layer.",
                       f"ratio {numbers['ratio']:.3f}")


class FakeCaveats(Fake):
    id = "fake-caveats"
    title = "Xavier ranges"
    verdict = CAVEATS
    seed_error = "The seed swaps the Xavier ranges of sigmoid and tanh; the 4x belongs to sigmoid."


class FakeFails(Fake):
    id = "fake-fails"
    title = "Dropout gap"
    verdict = FAILS

    def measure(self, seed, quick):
        m = super().measure(seed, quick)
        return Measurement(m.numbers, m.figures[:1])


class FakeBroken(Fake):
    id = "fake-broken"
    title = "Broken protocol"
    seed_error = "The seed claims something this run could not test."

    def measure(self, seed, quick):
        raise ValueError("shapes (3, 4) and (5, 6) do not match")


FAKES = [Fake(), FakeCaveats(), FakeFails(), FakeBroken()]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("lab") / "report"
    results = run_experiments(seed=7, progress=False, experiments=FAKES)
    paths = write_report(results, out, seed=7, quick=True, total_seconds=1.5)
    return results, paths, out


class _Balanced(HTMLParser):
    VOID = {"meta", "img", "br", "hr", "link", "input", "col", "area", "base", "source", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.problems, self.imgs, self.text = [], [], [], []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.imgs.append(dict(attrs))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def _parse(text):
    p = _Balanced()
    p.feed(text)
    p.close()
    return p


def test_folder_holds_the_three_files_and_the_figures(report):
    results, paths, out = report
    assert sorted(os.listdir(out)) == ["figures", "report.html", "report.md", "results.json"]
    assert paths == {"html": str(out / "report.html"), "markdown": str(out / "report.md"),
                     "json": str(out / "results.json"), "figures": str(out / "figures")}
    n_figs = sum(len(r.figures) for r in results)
    assert n_figs == 5
    pngs = sorted(os.listdir(out / "figures"))
    assert len(pngs) == n_figs and all(p.endswith(".png") for p in pngs)  # names made unique
    assert not [f for f in os.listdir(out) if f.endswith(".tmp")]


def test_html_parses_balanced_and_is_self_contained(report):
    results, paths, _ = report
    text = open(paths["html"], encoding="utf-8").read()
    assert text.startswith("<!DOCTYPE html>")
    p = _parse(text)
    assert p.problems == [] and p.stack == []
    # every figure is embedded as a data URI, byte for byte
    srcs = [img["src"] for img in p.imgs]
    want = ["data:image/png;base64," + base64.b64encode(f.png).decode()
            for r in results for f in r.figures]
    assert srcs == want
    assert all(base64.b64decode(s.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n" for s in srcs)
    # no external assets
    assert not re.search(r"<(script|link)\b", text)
    assert not re.search(r"""(src|href)=["'](https?:|//)""", text)


def test_html_opens_with_the_summary_table_and_escapes_text(report):
    results, paths, _ = report
    text = open(paths["html"], encoding="utf-8").read()
    table = text[text.index('<table class="summary">'):text.index("</table>")]
    assert text.index('<table class="summary">') < text.index("<section")
    for r in results:
        assert '<span class="verdict' in table and f">{r.verdict}</span>" in table
        assert r.seed_ref in table
    assert '<span class="verdict holds">holds</span>' in table
    assert '<span class="verdict caveats">holds with caveats</span>' in table
    assert '<span class="verdict fails">does not hold</span>' in table
    assert '<span class="verdict error">error</span>' in table
    assert "ratio 0.139" in table
    # user text is escaped, never markup
    assert "<b>bold?</b>" not in text and "&lt;b&gt;bold?&lt;/b&gt;" in text
    assert "Gradients &lt;shrink&gt; &amp; vanish" in text
    words = "".join(_parse(text).text)
    assert "Gradients <shrink> & vanish" in words


def test_html_sections_hold_claim_protocol_thresholds_numbers_and_footer(report):
    results, paths, _ = report
    text = open(paths["html"], encoding="utf-8").read()
    words = "".join(_parse(text).text)
    section = text[text.index('<section id="exp-fake-holds">'):]
    section = section[:section.index("</section>")]
    for piece in ("第一层的梯度小于0.25的n次方", "line two | with a pipe", "ratio_max", "r2_min",
                  "Gradient norm per layer (fake-holds)", "The ratio is 0.139 per layer.",
                  ">0.139<", ">0.9991<", ">20<", ">sigmoid<", ">yes<", ">[0.5, 2]<",
                  ">inf<", ">nan<", "by_init.he", "1 longer series: see results.json",
                  "Run time"):
        assert piece in section, piece
    broken = text[text.index('<section id="exp-fake-broken">'):]
    assert "ValueError: shapes (3, 4) and (5, 6) do not match" in broken
    assert "<pre>Traceback" in broken
    footer = text[text.index("<footer>"):]
    assert f"gradlab {gradlab.__version__}" in footer
    assert "seed 7" in footer and "quick mode" in footer and "UTC" in footer
    assert "4 experiments: 1 hold, 1 hold with caveats, 1 do not hold, 1 error" in words


def test_errors_in_the_seeds_section(report):
    _, paths, _ = report
    text = open(paths["html"], encoding="utf-8").read()
    sec = text[text.index('<section id="errors-in-the-seeds">'):]
    sec = sec[:sec.index("</section>")]
    assert "<h2>Errors in the seeds</h2>" in sec
    assert "The seed swaps the Xavier ranges of sigmoid and tanh" in sec
    assert '<span class="verdict caveats">holds with caveats</span>' in sec
    assert "The ratio is 0.139 per layer." in sec  # the evidence
    assert "The seed claims something this run could not test." in sec
    assert '<span class="verdict error">error</span>' in sec
    assert "Gradients &lt;shrink&gt;" not in sec  # no seed_error, not listed
    md = open(paths["markdown"], encoding="utf-8").read()
    md_sec = md[md.index("## Errors in the seeds"):]
    assert "The seed swaps the Xavier ranges of sigmoid and tanh" in md_sec
    assert "Evidence: **holds with caveats**" in md_sec


def test_no_seed_errors_says_so(tmp_path):
    results = run_experiments(progress=False, experiments=[FakeFails()])
    paths = write_report(results, tmp_path)
    assert "No experiment of this run shows an error in the seeds." in open(paths["html"]).read()


def test_markdown_references_existing_pngs_and_mirrors_the_table(report):
    results, paths, out = report
    md = open(paths["markdown"], encoding="utf-8").read()
    refs = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert len(refs) == 5 and all(ref.startswith("figures/") for ref in refs)
    want = [f.png for r in results for f in r.figures]
    assert [(out / ref).read_bytes() for ref in refs] == want
    lines = md.splitlines()
    head = lines.index("| # | Claim | Seed reference | Verdict | Key number |")
    rows = lines[head + 2:head + 2 + len(results)]
    assert [row.split(" | ")[3] for row in rows] == [f"**{r.verdict}**" for r in results]
    assert all(row.count(" | ") == 4 for row in rows)  # pipes in text are escaped
    assert "line two \\| with a pipe" in md and "第一层的梯度小于0.25的n次方" in md
    assert "Gradients \\<shrink\\> & vanish" in md
    assert f"gradlab {gradlab.__version__}" in lines[-1] and "seed 7" in lines[-1]


def _no_constants(name):
    raise AssertionError(f"non-standard JSON constant {name}")


def test_json_has_every_number_and_the_run_metadata(report):
    results, paths, _ = report
    doc = json.loads(open(paths["json"], encoding="utf-8").read(), parse_constant=_no_constants)
    meta = doc["meta"]
    assert meta["gradlab_version"] == gradlab.__version__ and meta["seed"] == 7
    assert meta["quick"] is True and meta["mode"] == "quick" and meta["total_seconds"] == 1.5
    assert meta["counts"] == {HOLDS: 1, CAVEATS: 1, FAILS: 1, ERROR: 1}
    assert [e["id"] for e in doc["experiments"]] == [r.id for r in results]
    first = doc["experiments"][0]
    n = results[0].numbers
    assert first["numbers"] == {**n, "diverged_loss": "Infinity", "missing": "NaN"}
    assert first["verdict"] == HOLDS and first["claim_zh"] == Fake.claim_zh
    assert first["thresholds"] == Fake.thresholds and first["seed"] == 7
    assert first["figures"][0] == {"name": "norms", "caption": "Gradient norm per layer "
                                   "(fake-holds)", "file": first["figures"][0]["file"]}
    assert first["figures"][0]["file"] != first["figures"][1]["file"]
    broken = doc["experiments"][3]
    assert broken["verdict"] == ERROR and broken["error"].startswith("ValueError: shapes")


def test_stability_column_from_check_seeds(tmp_path):
    class Flip(Fake):
        id = "flip"

        def judge(self, numbers):
            return Verdict(HOLDS if numbers["seed"] == 0 else FAILS, "x", "k")

    checks = check_seeds(seeds=(0, 1), progress=False, experiments=[Fake(), Flip()])
    paths = write_report([c.results[0] for c in checks], tmp_path, stability=checks)
    text = open(paths["html"], encoding="utf-8").read()
    assert "<th>Over seeds</th>" in text
    assert "same verdict for seeds 0, 1" in text
    assert "verdicts differ: seed 0: holds; seed 1: does not hold" in text
    doc = json.load(open(paths["json"]))
    assert doc["meta"]["stability"]["flip"]["agree"] is False
    assert doc["meta"]["stability"]["fake-holds"]["verdicts"] == [HOLDS, HOLDS]


def test_scalar_numbers_flattens_and_counts_series():
    rows, series = scalar_numbers({"a": 1.23456789, "b": {"c": 2, "d": [1, 2, 3, 4, 5]},
                                   "e": [True, None], "f": "text", "g": [[1], [2]]})
    assert rows == [("a", "1.235"), ("b.c", "2"), ("e", "[yes, None]"), ("f", "text")]
    assert series == 2


def test_out_must_be_a_folder(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("x")
    with pytest.raises(NotADirectoryError, match=r"write_report: .*file.txt exists and is not "
                                                 r"a folder"):
        write_report([], target)


def test_plain_results_from_experiment_run_are_reported(tmp_path):
    r = FakeFails().run(seed=1)  # a Result, not the runner's LabResult
    paths = write_report([r], tmp_path)
    text = open(paths["html"], encoding="utf-8").read()
    p = _parse(text)
    assert p.problems == [] and p.stack == [] and len(p.imgs) == 1
    assert '<span class="verdict fails">does not hold</span>' in text
    doc = json.load(open(paths["json"]))
    assert doc["meta"]["seed"] == 1 and doc["experiments"][0]["numbers"]["depth"] == 20
