"""The lab's report folder: a self-contained HTML page that parses and holds every figure and
verdict with what decided it (criteria, checks, machine notes, revisions, errors in the sources),
a Markdown twin whose figures exist, a JSON file with every number and the machine, a report
that reads back as written, and updates that keep the experiments they do not rerun."""

from __future__ import annotations

import base64
import json
import os
import re
import sys
import types
from html.parser import HTMLParser

import pytest

import gradlab
import gradlab.lab.report as report_mod
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
from gradlab.lab.experiment import Check, Criterion, Revision
from gradlab.lab.report import (
    ReportError,
    check_compatible,
    errata_entries,
    load_report,
    number_groups,
    scalar_numbers,
    update_report,
)


def _plot(name, caption, ys):
    fig, ax = new_figure(width=2.0, height=1.5)
    ax.semilogy(range(len(ys)), ys, label=name)
    ax.set_xlabel("layer")
    ax.set_ylabel("norm")
    ax.legend()
    return png(fig, name, caption)


class Fake(Experiment):
    """A measurement with every kind of number, two figures, criteria, a check, a machine note,
    two revisions and a verdict set by the class."""

    id = "fake-holds"
    title = "Gradients <shrink> & vanish"
    source_ref = "source 000 Q64"
    claim = "each layer multiplies the gradient by at most 0.25 <b>bold?</b>"
    claim_zh = "第一层的梯度小于0.25的n次方"
    protocol = "line one of the protocol\nline two | with a pipe"
    thresholds = {"ratio_max": 1.0, "r2_min": 0.9}
    revisions = (Revision("2026-11-02", "ratio threshold 0.5 -> 1.0", "the seed says 'below 1'",
                          "toward holds", "seeds 0-2: caveats -> holds"),
                 Revision("2026-12-06", "median over 3 repeats", "a 1e-7 change moved it",
                          "none"))
    verdict = HOLDS
    check_ok = True

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
                       f"ratio {numbers['ratio']:.3f}",
                       criteria=[Criterion("gradient ratio per layer", numbers["ratio"], "<=",
                                           1.0, "ratio_max"),
                                 Criterion("line fit R^2", numbers["r2"], ">=", 0.9, "r2_min")],
                       notes=["float32 drift 2.6e-7 on this BLAS kernel"])

    def checks(self, numbers):
        return [Check("sigmoid'(0) = 0.25", True, "0.25 exactly"),
                Check("SGD+L2 = weight decay", self.check_ok,
                      "largest difference 0" if self.check_ok else "largest difference 3e-2")]


class FakeCaveats(Fake):
    id = "fake-caveats"
    title = "Xavier ranges"
    verdict = CAVEATS
    revisions = ()
    check_ok = False


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

    def measure(self, seed, quick):
        raise ValueError("shapes (3, 4) and (5, 6) do not match")


FAKES = [Fake(), FakeCaveats(), FakeFails(), FakeBroken()]

#: entries as the registry's evidence_for gives them
ERRATA = [
    {"id": "xavier-swap", "source_ref": "source 004 §3.2",
     "sentence": "sigmoid 的 r 是 tanh 的 4 倍",
     "correction": "The 4x belongs to <sigmoid>'s range.", "source": "Glorot & Bengio 2010",
     "experiment": "fake-caveats", "evidence": "sigmoid keeps 0.47 of the variance, tanh 0.04",
     "shown": True},
    {"id": "seven-two-six", "source_ref": "source 001 L88", "sentence": "7×2⁶ = 228",
     "correction": "7×2⁶ = 448.", "source": "arithmetic", "experiment": None,
     "evidence": "7 * 2**6 == 448", "shown": True},
]


@pytest.fixture
def fake_errata(monkeypatch):
    """A registry module gradlab.lab.errata whose evidence_for returns ``ERRATA`` (and records
    the results it was given)."""
    module = types.ModuleType("gradlab.lab.errata")
    module.calls = []

    def evidence_for(results):
        module.calls.append([r.id for r in results])
        return [dict(e) for e in ERRATA]

    module.evidence_for = evidence_for
    monkeypatch.setitem(sys.modules, "gradlab.lab.errata", module)
    monkeypatch.setattr(gradlab.lab, "errata", module, raising=False)
    return module


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("lab") / "report"
    results = run_experiments(seed=7, progress=False, experiments=FAKES)
    mp = pytest.MonkeyPatch()
    mp.setattr(report_mod, "errata_entries", lambda results: [dict(e) for e in ERRATA])
    try:
        paths = write_report(results, out, seed=7, quick=True, total_seconds=1.5)
    finally:
        mp.undo()
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


def _section(text, anchor):
    sec = text[text.index(f'<section id="{anchor}">'):]
    return sec[:sec.index("</section>")]


def _html(paths):
    return open(paths["html"], encoding="utf-8").read()


def test_folder_holds_the_three_files_and_the_figures(report):
    results, paths, out = report
    assert sorted(os.listdir(out)) == ["figures", "questions.html", "questions.md",
                                       "report.html", "report.md", "results.json"]
    assert paths == {"html": str(out / "report.html"), "markdown": str(out / "report.md"),
                     "json": str(out / "results.json"), "figures": str(out / "figures"),
                     "questions_html": str(out / "questions.html"),
                     "questions_markdown": str(out / "questions.md")}
    n_figs = sum(len(r.figures) for r in results)
    assert n_figs == 5
    pngs = sorted(os.listdir(out / "figures"))
    assert len(pngs) == n_figs and all(p.endswith(".png") for p in pngs)  # names made unique
    assert not [f for f in os.listdir(out) if f.endswith(".tmp")]


def test_html_parses_balanced_and_is_self_contained(report):
    results, paths, _ = report
    text = _html(paths)
    assert text.startswith("<!DOCTYPE html>")
    p = _parse(text)
    assert p.problems == [] and p.stack == []
    # every figure is embedded as a data URI, byte for byte
    srcs = [img["src"] for img in p.imgs]
    want = ["data:image/png;base64," + base64.b64encode(f.png).decode()
            for r in results for f in r.figures]
    assert srcs == want
    assert all(base64.b64decode(s.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n" for s in srcs)
    # no external assets, no script to load
    assert not re.search(r"<(script|link)\b", text)
    assert not re.search(r"""(src|href)=["'](https?:|//)""", text)


def test_html_opens_with_one_screen_of_summary(report):
    results, paths, _ = report
    text = _html(paths)
    summary = _section(text, "summary")
    assert text.index('<section id="summary">') < text.index('<section id="exp-')
    table = summary[summary.index('<table class="summary">'):summary.index("</table>")]
    for r in results:
        assert f'<a href="#exp-{r.id}">{r.title.replace("<", "&lt;").replace(">", "&gt;")}' \
               .replace("& ", "&amp; ") in table
    assert '<span class="verdict holds">holds</span>' in table
    assert '<span class="verdict caveats">holds with caveats</span>' in table
    assert '<span class="verdict fails">does not hold</span>' in table
    assert '<span class="verdict error">error</span>' in table
    assert "ratio 0.139" in table
    assert table.count("<tr>") == len(results) + 1
    # the counts, and the failed checks of the run (the caveats fake's, seed 7)
    assert "4 experiments: 1 hold, 1 hold with caveats, 1 do not hold, 1 error" in summary
    alert = summary[summary.index('<div class="alert"'):]
    assert "Failed checks" in alert and "SGD+L2 = weight decay" in alert
    assert "(seed 7)" in alert and "largest difference 3e-2" in alert
    assert '<a href="#exp-fake-caveats">' in alert
    assert "2 errors in the sources" in summary
    # user text is escaped, never markup
    assert "<b>bold?</b>" not in text and "&lt;b&gt;bold?&lt;/b&gt;" in text
    assert "Gradients &lt;shrink&gt; &amp; vanish" in text
    assert "Gradients <shrink> & vanish" in "".join(_parse(text).text)


def test_the_table_of_contents_links_every_section(report):
    results, paths, _ = report
    text = _html(paths)
    side = text[text.index('<nav class="side"'):text.index("</nav>")]
    menu = text[text.index('<details class="toc-menu">'):]
    menu = menu[:menu.index("</details>")]
    for r in results:
        assert f'href="#exp-{r.id}"' in side and f'href="#exp-{r.id}"' in menu
        assert f'id="exp-{r.id}"' in text
    for nav in (side, menu):
        assert 'href="#errors-in-the-sources"' in nav and 'href="#machine"' in nav
    assert '<header class="bar">' in text and "position: sticky" in report_mod._CSS
    assert "position: fixed" in report_mod._CSS  # the sidebar on wide screens


def test_css_has_a_cjk_font_stack_and_tables_that_scroll(report):
    _, paths, _ = report
    text = _html(paths)
    css = text[text.index("<style>"):text.index("</style>")]
    zh = re.search(r":lang\(zh\) \{ font-family: ([^;]+);", css).group(1)
    for font in ('"Noto Sans CJK SC"', '"Source Han Sans SC"', '"PingFang SC"',
                 '"Microsoft YaHei"'):
        assert font in zh
    assert zh.endswith("sans-serif")
    assert ".scroll { overflow-x: auto;" in css
    body = text[text.index("<body>"):]
    # every table of numbers sits in its own scrolling box
    assert body.count('<div class="scroll"><table') == body.count("<table") - 1  # not summary


def test_section_has_claim_protocol_figures_verdict_and_what_decided_it(report):
    _, paths, _ = report
    text = _html(paths)
    sec = _section(text, "exp-fake-holds")
    order = ["<h3>Claim</h3>", '<blockquote lang="zh">第一层的梯度小于0.25的n次方</blockquote>',
             "<h3>Protocol</h3>", "line two | with a pipe", "<figure>", "<h3>Verdict</h3>",
             "The ratio is 0.139 per layer.", "<h3>What decided the verdict</h3>",
             '<table class="criteria">', '<ul class="checks">', "<h4>Machine notes</h4>",
             "<h4>Revisions after results were seen</h4>", '<details class="numbers">',
             "Run time"]
    at = [sec.index(piece) for piece in order]
    assert at == sorted(at), order
    crit = sec[sec.index('<table class="criteria">'):]
    crit = crit[:crit.index("</table>")]
    for piece in ("gradient ratio per layer", ">0.139<", ">≤<", ">1 <", "(ratio_max)", ">yes<",
                  ">+86.1%<", "line fit R^2", ">≥<", "(r2_min)", ">+11%<"):
        assert piece in crit, piece
    assert "float32 drift 2.6e-7 on this BLAS kernel" in sec
    # both revisions, each with date, what, why and which way it moved the verdict
    for piece in ("2026-11-02", "ratio threshold 0.5 -&gt; 1.0", "the seed says &#x27;below 1",
                  "toward holds", "seeds 0-2: caveats -&gt; holds", "2026-12-06",
                  "median over 3 repeats", "a 1e-7 change moved it", "none"):
        assert piece in sec, piece
    assert "None: protocol and thresholds as first registered." in _section(
        text, "exp-fake-caveats")


def test_checks_are_listed_and_a_failed_one_stands_out(report):
    _, paths, _ = report
    text = _html(paths)
    ok = _section(text, "exp-fake-holds")
    assert ok.count('<li class="passed">') == 2 and '<li class="failed">' not in ok
    bad = _section(text, "exp-fake-caveats")
    failed = re.findall(r'<li class="failed">(.*?)</li>', bad)
    assert failed == ['<strong class="no">FAILED</strong> SGD+L2 = weight decay: largest '
                      "difference 3e-2"]
    assert "li.failed" in report_mod._CSS


def test_the_full_numbers_are_grouped_and_collapsed(report):
    _, paths, _ = report
    text = _html(paths)
    sec = _section(text, "exp-fake-holds")
    block = sec[sec.index('<details class="numbers">'):sec.index("</details>")]
    assert '<details class="numbers" open' not in sec
    assert "<summary>All numbers (12 in 2 groups) and registered thresholds</summary>" in block
    assert "<h4>main</h4>" in block and "<h4>by_init</h4>" in block
    assert "<h4>Registered thresholds</h4>" in block and "ratio_max" in block
    for piece in (">0.139<", ">0.9991<", ">20<", ">sigmoid<", ">yes<", ">[0.5, 2]<", ">inf<",
                  ">nan<", ">he<", ">1.05<", "5 values, from 0.0001 to 1 (all in results.json)"):
        assert piece in block, piece
    # the raw numbers stay inside the collapsed block
    outside = sec.replace(block, "")
    assert ">he<" not in outside and "5 values" not in outside and ">sigmoid<" not in outside


def test_an_error_row_shows_the_exception_and_its_traceback_collapsed(report):
    _, paths, _ = report
    sec = _section(_html(paths), "exp-fake-broken")
    assert "ValueError: shapes (3, 4) and (5, 6) do not match" in sec
    assert "<details><summary>Traceback</summary><pre>Traceback" in sec
    assert "What decided the verdict" not in sec


def test_errors_in_the_seeds_come_from_the_registry(report):
    _, paths, _ = report
    text = _html(paths)
    sec = _section(text, "errors-in-the-sources")
    assert "<h2>Errors in the sources</h2>" in sec
    first = sec[sec.index('id="err-xavier-swap"'):sec.index('id="err-seven-two-six"')]
    assert '<blockquote lang="zh">sigmoid 的 r 是 tanh 的 4 倍</blockquote>' in first
    assert "<strong>Correction.</strong> The 4x belongs to &lt;sigmoid&gt;&#x27;s range." in first
    assert "<strong>Evidence.</strong> sigmoid keeps 0.47 of the variance, tanh 0.04" in first
    assert "Source: Glorot &amp; Bengio 2010" in first
    assert '<a href="#exp-fake-caveats">Xavier ranges</a>' in first
    second = sec[sec.index('id="err-seven-two-six"'):]
    assert "7×2⁶ = 448." in second and "7 * 2**6 == 448" in second
    # the evidence is the error's, never an experiment's verdict
    assert "verdict" not in sec and "Evidence: " not in text
    # the experiment lists the errors it shows, linked
    caveats = _section(text, "exp-fake-caveats")
    assert "<h4>Errors in the sources shown here</h4>" in caveats
    assert '<a href="#err-xavier-swap">source 004 §3.2</a>' in caveats
    assert "Errors in the sources shown here" not in _section(text, "exp-fake-holds")


def test_errata_entries_asks_the_registry_with_the_results(fake_errata, tmp_path):
    results = run_experiments(progress=False, experiments=[FakeFails(), FakeCaveats()])
    assert errata_entries(results) == ERRATA
    assert fake_errata.calls == [["fake-fails", "fake-caveats"]]
    text = _html(write_report(results, tmp_path))
    assert 'id="err-xavier-swap"' in text and 'id="err-seven-two-six"' in text


def test_a_registry_that_cannot_read_the_numbers_does_not_stop_the_report(fake_errata,
                                                                          tmp_path):
    def evidence_for(results):
        if list(results):
            raise KeyError("xavier-swap reads numbers['swap'], which fake-caveats lacks")
        return [{**e, "evidence": "Not measured in this run.", "shown": False}
                if e["experiment"] else dict(e) for e in ERRATA]

    fake_errata.evidence_for = evidence_for
    results = run_experiments(progress=False, experiments=[FakeCaveats()])
    entries = errata_entries(results)
    assert entries[0]["shown"] is False and entries[0]["evidence"].startswith(
        "The registry could not read this run's numbers (KeyError: ")
    assert entries[1] == ERRATA[1]
    text = _html(write_report(results, tmp_path))
    assert "which fake-caveats lacks" in _section(text, "errors-in-the-sources")


def test_the_registry_module_itself_when_it_exists(tmp_path):
    try:
        import gradlab.lab.errata as errata
    except ModuleNotFoundError:
        pytest.skip("gradlab.lab.errata is not in this tree yet")
    results = run_experiments(progress=False, experiments=[FakeFails()])
    entries = errata_entries(results)
    assert entries, "the registry lists the known errors"
    for e in entries:
        assert set(report_mod.ERRATUM_KEYS) <= set(e), e
        assert e["sentence"] and e["correction"] and e["evidence"]
    text = _html(write_report(results, tmp_path))
    sec = _section(text, "errors-in-the-sources")
    assert sec.count('class="erratum"') == len(entries)
    assert all(f'id="{report_mod._erratum_anchor(e)}"' in sec for e in entries)
    # an entry tied to an experiment this report lacks says so, and no verdict is evidence
    tied = [e for e in entries if e["experiment"]]
    assert tied and all(not e["shown"] for e in tied)
    assert "(not in this report)" in sec and 'class="verdict' not in sec
    assert errata.evidence_for(results) == entries


def test_no_registry_says_so_and_seed_error_is_not_needed(tmp_path, monkeypatch):
    monkeypatch.setattr(report_mod, "errata_entries", lambda results: [])
    monkeypatch.delattr(Experiment, "seed_error", raising=False)
    results = run_experiments(progress=False, experiments=[FakeFails()])
    assert results[0].verdict == FAILS
    text = _html(write_report(results, tmp_path))
    assert "No errors in the sources are registered." in text


def test_markdown_references_existing_pngs_and_mirrors_the_report(report):
    results, paths, out = report
    md = open(paths["markdown"], encoding="utf-8").read()
    refs = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert len(refs) == 5 and all(ref.startswith("figures/") for ref in refs)
    want = [f.png for r in results for f in r.figures]
    assert [(out / ref).read_bytes() for ref in refs] == want
    lines = md.splitlines()
    head = lines.index("| # | Claim | Verdict | Key number |")
    rows = lines[head + 2:head + 2 + len(results)]
    assert [row.split(" | ")[2] for row in rows] == [f"**{r.verdict}**" for r in results]
    assert all(row.count(" | ") == 3 for row in rows)  # pipes in text are escaped
    assert "line two \\| with a pipe" in md and "第一层的梯度小于0.25的n次方" in md
    assert "Gradients \\<shrink\\> & vanish" in md
    assert "| gradient ratio per layer | 0.139 | ≤ | 1 (ratio\\_max) | yes | +86.1% |" in md
    assert "- **FAILED**: SGD+L2 = weight decay: largest difference 3e-2" in md
    assert "- **2026-11-02**: ratio threshold 0.5 -\\> 1.0" in md
    assert md.count("<details><summary>All numbers (12 in 2 groups)") == 3
    errs = md[md.index("## Errors in the sources"):]
    assert "> sigmoid 的 r 是 tanh 的 4 倍" in errs
    assert "**Evidence.** 7 \\* 2\\*\\*6 == 448" in errs
    assert "Experiment: [Xavier ranges](#2-xavier-ranges)" in errs
    assert "[source 004 §3.2](#source-004-32-xavier-swap)" in md
    assert f"gradlab {gradlab.__version__}" in md[md.rindex("---"):]


def _no_constants(name):
    raise AssertionError(f"non-standard JSON constant {name}")


def test_json_has_every_number_the_machine_and_the_failed_checks(report):
    results, paths, _ = report
    doc = json.loads(open(paths["json"], encoding="utf-8").read(), parse_constant=_no_constants)
    meta = doc["meta"]
    assert meta["gradlab_version"] == gradlab.__version__ and meta["seed"] == 7
    assert meta["quick"] is True and meta["mode"] == "quick" and meta["total_seconds"] == 1.5
    assert meta["jitter"] == 0.0 and meta["threads"] == 1
    assert meta["counts"] == {HOLDS: 1, CAVEATS: 1, FAILS: 1, ERROR: 1}
    assert set(meta["blas"]) == {"name", "version", "core", "library", "threading_layer"}
    assert meta["blas"] == report_mod.blas_meta()
    assert meta["cpu"] == report_mod.cpu_model() and meta["cpu"] and meta["machine"]
    assert meta["failed_checks"] == {"fake-caveats": [
        {"seed": 7, "name": "SGD+L2 = weight decay", "detail": "largest difference 3e-2"}]}
    assert [e["id"] for e in doc["experiments"]] == [r.id for r in results]
    first = doc["experiments"][0]
    n = results[0].numbers
    assert first["numbers"] == {**n, "diverged_loss": "Infinity", "missing": "NaN"}
    assert first["verdict"] == HOLDS and first["claim_zh"] == Fake.claim_zh
    assert first["thresholds"] == Fake.thresholds and first["seed"] == 7
    assert first["criteria"][0] == {"name": "gradient ratio per layer", "value": 0.139,
                                    "op": "<=", "threshold": 1.0, "threshold_name": "ratio_max",
                                    "passed": True, "margin": pytest.approx(0.861)}
    assert [r["date"] for r in first["revisions"]] == ["2026-11-02", "2026-12-06"]
    assert first["figures"][0] == {"name": "norms", "caption": "Gradient norm per layer "
                                   "(fake-holds)", "file": first["figures"][0]["file"]}
    assert first["figures"][0]["file"] != first["figures"][1]["file"]
    assert "seed_error" not in first
    broken = doc["experiments"][3]
    assert broken["verdict"] == ERROR and broken["error"].startswith("ValueError: shapes")


def test_footer_names_the_machine_and_the_blas_kernel(report):
    _, paths, _ = report
    text = _html(paths)
    footer = text[text.index('<footer id="machine">'):]
    blas = report_mod.blas_meta()
    assert f"gradlab {gradlab.__version__}" in footer
    assert "seed 7" in footer and "quick mode" in footer and "1 BLAS thread" in footer
    assert report_mod.cpu_model() in footer and "UTC" in footer
    assert str(blas["name"]) in footer and str(blas["version"]) in footer
    if blas["core"]:
        assert f"kernel {blas['core']}" in footer
    assert "another CPU can give numbers that differ" in footer


def test_no_claim_that_one_thread_gives_the_same_sums_everywhere(report):
    _, paths, _ = report
    for path in (paths["html"], paths["markdown"]):
        text = open(path, encoding="utf-8").read().lower()
        assert "same sums" not in text and "same on every machine" not in text


def test_blas_info_reads_the_kernel_through_threadpoolctl():
    pytest.importorskip("threadpoolctl")
    info = gradlab.backend.blas_info()
    assert {"name", "version", "threads", "core", "library", "filepath",
            "threading_layer"} <= set(info)
    if info["filepath"]:  # an OpenBLAS threadpoolctl found: it names its kernel
        assert info["library"] == os.path.basename(info["filepath"])
        assert isinstance(info["core"], str) and info["core"]


def test_blas_info_names_numpys_blas_when_scipy_brings_another():
    import subprocess
    import sys

    # scikit-learn loads SciPy, whose wheels carry an OpenBLAS of their own; the report must
    # name the one NumPy computes with
    code = ("import numpy, os, gradlab.backend as b; from gradlab.datasets import Digits; "
            "Digits(); i = b.blas_info(); "
            "print(os.path.dirname(os.path.abspath(numpy.__file__)), i['filepath'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    numpy_dir, path = out[0], out[1]
    assert path == "None" or os.path.basename(os.path.dirname(path)) in (
        "numpy.libs", ".dylibs") or path.startswith(numpy_dir), path


def test_stability_column_from_check_seeds(tmp_path):
    class Flip(Fake):
        id = "flip"

        def judge(self, numbers):
            return Verdict(HOLDS if numbers["seed"] == 0 else FAILS, "x", "k")

    class LaterCheck(Fake):
        id = "later-check"

        def checks(self, numbers):
            return [Check("only seed 1 breaks it", numbers["seed"] != 1, "broken on seed 1")]

    checks = check_seeds(seeds=(0, 1), progress=False,
                         experiments=[Fake(), Flip(), LaterCheck()])
    paths = write_report([c.results[0] for c in checks], tmp_path, stability=checks)
    text = _html(paths)
    assert "<th>Over seeds</th>" in text
    assert "same verdict for seeds 0, 1" in text
    assert "verdicts differ: seed 0: holds; seed 1: does not hold" in text
    doc = json.load(open(paths["json"]))
    assert doc["meta"]["stability"]["flip"]["agree"] is False
    assert doc["meta"]["stability"]["fake-holds"]["verdicts"] == [HOLDS, HOLDS]
    # a check that failed on a later seed is in the metadata and the summary
    assert doc["meta"]["failed_checks"] == {"later-check": [
        {"seed": 1, "name": "only seed 1 breaks it", "detail": "broken on seed 1"}]}
    assert "only seed 1 breaks it" in _section(text, "summary")


def test_scalar_numbers_flattens_and_counts_series():
    rows, series = scalar_numbers({"a": 1.23456789, "b": {"c": 2, "d": [1, 2, 3, 4, 5]},
                                   "e": [True, None], "f": "text", "g": [[1], [2]]})
    assert rows == [("a", "1.235"), ("b.c", "2"), ("e", "[yes, None]"), ("f", "text")]
    assert series == 2


def test_number_groups_put_scalars_first_and_summarize_series():
    groups = number_groups({"a": 1.5, "curve": [3.0, 1.0, 2.0, 0.5, float("nan")],
                            "b": {"c": 2, "d": {"e": [1, 2]}}, "rows": [[1], [2], [3], [4],
                                                                         [5]]})
    assert groups == [
        ("main", [("a", "1.5"), ("curve", "5 values, from 0.5 to 3 (all in results.json)"),
                  ("rows", "5 items (in results.json)")]),
        ("b", [("c", "2"), ("d.e", "[1, 2]")])]
    assert number_groups({}) == []


def test_out_must_be_a_folder(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("x")
    with pytest.raises(NotADirectoryError, match=r"write_report: .*file.txt exists and is not "
                                                 r"a folder"):
        write_report([], target)


def test_plain_results_from_experiment_run_are_reported(tmp_path):
    r = FakeFails().run(seed=1)  # a Result, not the runner's LabResult
    paths = write_report([r], tmp_path)
    text = _html(paths)
    p = _parse(text)
    assert p.problems == [] and p.stack == [] and len(p.imgs) == 1
    assert '<span class="verdict fails">does not hold</span>' in text
    doc = json.load(open(paths["json"]))
    assert doc["meta"]["seed"] == 1 and doc["experiments"][0]["numbers"]["depth"] == 20


# ------------------------------------------------------------------ reading back, updating

_DATE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")


def test_a_report_reads_back_as_written(report, tmp_path, monkeypatch):
    results, paths, out = report
    monkeypatch.setattr(report_mod, "errata_entries", lambda results: [dict(e) for e in ERRATA])
    loaded, meta = load_report(out)
    assert [r.id for r in loaded] == [r.id for r in results]
    for a, b in zip(results, loaded):
        assert [f.png for f in a.figures] == [f.png for f in b.figures]
        assert [c.to_json() for c in a.criteria] == [c.to_json() for c in b.criteria]
        assert [c.to_json() for c in a.checks] == [c.to_json() for c in b.checks]
        assert a.revisions == b.revisions and a.notes == b.notes
    assert loaded[0].numbers["diverged_loss"] == float("inf")  # not the string "Infinity"
    again = write_report(loaded, tmp_path / "again", seed=meta["seed"], quick=meta["quick"],
                         threads=meta["threads"], total_seconds=meta["total_seconds"])
    for kind in ("html", "markdown", "json"):
        first = open(paths[kind], encoding="utf-8").read()
        second = open(again[kind], encoding="utf-8").read()
        assert _DATE.sub("DATE", first) == _DATE.sub("DATE", second), kind


@pytest.fixture
def small_report(tmp_path, monkeypatch):
    """A report of Fake, FakeCaveats and FakeFails (seed 0, quick) in tmp_path/rep."""
    monkeypatch.setattr(report_mod, "errata_entries", lambda results: [dict(e) for e in ERRATA])
    out = tmp_path / "rep"
    results = run_experiments(progress=False, experiments=[Fake(), FakeCaveats(), FakeFails()])
    write_report(results, out, total_seconds=3.0)
    return out


def test_update_replaces_the_named_experiments_and_keeps_the_others(small_report):
    out = small_report
    before = json.load(open(out / "results.json"))
    kept_files = {f["file"]: (out / f["file"]).read_bytes()
                  for e in before["experiments"] if e["id"] != "fake-caveats"
                  for f in e["figures"]}
    old_caveats = [f["file"] for e in before["experiments"] if e["id"] == "fake-caveats"
                   for f in e["figures"]]
    (out / "figures" / "mine.png").write_bytes(b"a user's own file")

    class NewCaveats(FakeCaveats):
        def measure(self, seed, quick):
            m = super().measure(seed, quick)
            m.numbers["ratio"] = 0.5
            fig = _plot("other", "A new figure", [1, 3, 9])
            return Measurement(m.numbers, [fig])

    new = run_experiments(progress=False, experiments=[NewCaveats()])
    paths = update_report(new, out, order=["fake-holds", "fake-caveats", "fake-fails"])
    doc = json.load(open(paths["json"]))
    assert [e["id"] for e in doc["experiments"]] == ["fake-holds", "fake-caveats", "fake-fails"]
    by_id = {e["id"]: e for e in doc["experiments"]}
    assert by_id["fake-caveats"]["numbers"]["ratio"] == 0.5
    old = {e["id"]: e for e in before["experiments"]}
    for i in ("fake-holds", "fake-fails"):  # kept with all they had
        assert by_id[i] == old[i]
    # the kept figures are untouched, the replaced experiment's stale files gone, others kept
    assert {f: (out / f).read_bytes() for f in kept_files} == kept_files
    assert [f["file"] for f in by_id["fake-caveats"]["figures"]] == [
        "figures/fake-caveats-other.png"]
    assert all(not (out / f).exists() for f in old_caveats)
    assert (out / "figures" / "mine.png").read_bytes() == b"a user's own file"
    meta = doc["meta"]
    assert meta["counts"] == {HOLDS: 1, CAVEATS: 1, FAILS: 1, ERROR: 0}
    assert meta["updates"][0]["ids"] == ["fake-caveats"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "fake-caveats rerun (gradlab lab run), the other experiments kept" in html
    assert html.count('<section id="exp-') == 3 and "A new figure" in html
    assert "Gradient norm per layer (fake-holds)" in html


def test_update_adds_a_new_experiment_in_registry_order(small_report):
    class Middle(Fake):
        id = "middle"
        title = "In the middle"

    new = run_experiments(progress=False, experiments=[Middle()])
    update_report(new, small_report, order=["fake-holds", "middle", "fake-caveats",
                                            "fake-fails"])
    doc = json.load(open(small_report / "results.json"))
    assert [e["id"] for e in doc["experiments"]] == ["fake-holds", "middle", "fake-caveats",
                                                     "fake-fails"]


@pytest.mark.parametrize("kw, message", [
    ({"seed": 1}, r"was made with seed 0; this run has seed 1"),
    ({"quick": False}, r"was made with mode quick; this run has mode full"),
    ({"jitter": 1e-6}, r"was made with jitter 0.0; this run has jitter 1e-06"),
    ({"threads": 2}, r"was made with threads 1; this run has threads 2"),
])
def test_update_refuses_a_report_of_other_settings(small_report, kw, message):
    before = {p: p.read_bytes() for p in small_report.rglob("*") if p.is_file()}
    settings = {"seed": 0, "quick": True, "jitter": 0.0, "threads": 1, **kw}
    new = run_experiments(progress=False, experiments=[Fake()], seed=settings["seed"],
                          quick=settings["quick"], jitter=settings["jitter"])
    with pytest.raises(ReportError, match=message):
        update_report(new, small_report, seed=settings["seed"], quick=settings["quick"],
                      threads=settings["threads"], jitter=settings["jitter"])
    assert {p: p.read_bytes() for p in small_report.rglob("*") if p.is_file()} == before


def test_check_compatible_compares_the_blas_kernel(small_report):
    _, meta = load_report(small_report)
    check_compatible(meta, seed=0, quick=True, jitter=0.0, threads=1)
    meta["blas"]["core"] = "SomeOtherKernel"
    with pytest.raises(ReportError, match="BLAS kernel SomeOtherKernel; this run has BLAS "
                                          "kernel"):
        check_compatible(meta, seed=0, quick=True, jitter=0.0, threads=1)


def test_an_unreadable_report_is_an_error_naming_the_problem(small_report):
    doc = json.load(open(small_report / "results.json"))
    os.unlink(small_report / doc["experiments"][0]["figures"][0]["file"])
    with pytest.raises(ReportError, match=r"fake-holds's figure 'figures/fake-holds-norms.png' "
                                          r"cannot be read"):
        load_report(small_report)
    (small_report / "results.json").write_text("{not json")
    with pytest.raises(ReportError, match="results.json is not JSON"):
        load_report(small_report)
    (small_report / "results.json").write_text('{"experiments": 3}')
    with pytest.raises(ReportError, match="is not a gradlab lab report"):
        load_report(small_report)
    (small_report / "results.json").write_text('{"meta": {}, "experiments": [{"id": "x"}]}')
    with pytest.raises(ReportError, match="lacks title, source_ref"):
        load_report(small_report)
    with pytest.raises(ReportError, match="cannot be read"):
        load_report(small_report / "nowhere")


def test_a_report_written_before_the_source_rename_still_loads(small_report):
    """Reports name the documents' reference ``source_ref``; one written when it was called
    ``seed_ref`` loads the same."""
    path = small_report / "results.json"
    doc = json.load(open(path))
    want = [e["source_ref"] for e in doc["experiments"]]
    for e in doc["experiments"]:
        e["seed_ref"] = e.pop("source_ref")
    path.write_text(json.dumps(doc))
    results, _ = load_report(small_report)
    assert [r.source_ref for r in results] == want


def test_update_without_a_report_writes_one(tmp_path):
    results = run_experiments(progress=False, experiments=[FakeFails()])
    paths = update_report(results, tmp_path / "new")
    doc = json.load(open(paths["json"]))
    assert [e["id"] for e in doc["experiments"]] == ["fake-fails"] and "updates" not in doc["meta"]


def test_a_full_write_removes_the_figures_of_the_report_it_replaces(small_report):
    old = {f["file"] for e in json.load(open(small_report / "results.json"))["experiments"]
           for f in e["figures"]}
    results = run_experiments(progress=False, experiments=[FakeBroken()])
    write_report(results, small_report)
    assert all(not (small_report / f).exists() for f in old)
    assert os.listdir(small_report / "figures") == []


def test_update_keeps_the_stability_of_kept_experiments_and_adds_the_new(tmp_path):
    out = tmp_path / "rep"
    checks = check_seeds(seeds=(0, 1), progress=False, experiments=[Fake(), FakeFails()])
    write_report([c.results[0] for c in checks], out, stability=checks)
    again = check_seeds(seeds=(0, 2), progress=False, experiments=[FakeFails()])
    update_report([c.results[0] for c in again], out, stability=again)
    stab = json.load(open(out / "results.json"))["meta"]["stability"]
    assert stab["fake-holds"]["seeds"] == [0, 1] and stab["fake-fails"]["seeds"] == [0, 2]
    # a rerun without --seeds drops the stability it no longer matches
    update_report(run_experiments(progress=False, experiments=[Fake()]), out)
    stab = json.load(open(out / "results.json"))["meta"]["stability"]
    assert list(stab) == ["fake-fails"]
