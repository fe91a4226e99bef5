"""The answer index (gradlab.lab.questions): every entry quotes its seed verbatim, answers in
3-8 sentences, and points only at what exists (code that imports, experiments the lab has,
commands gradlab's own parser accepts, tests that are defined, errata in the registry);
search in Chinese and English; ``gradlab ask``; ``gradlab lab --question``; questions.html
and questions.md beside the report.

The sources are read from ``../shared/seeds`` next to the repository: without them the tests
that need them FAIL, naming the folder (they are the source the entries quote)."""

from __future__ import annotations

import importlib
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from gradlab.cli import build_parser, main
from gradlab.lab import questions as qmod
from gradlab.lab.questions import (
    QUESTIONS,
    TOPICS,
    Question,
    get_question,
    search,
    unresolved,
)
from gradlab.lab.report import (
    CJK_FONTS,
    render_questions_html,
    render_questions_markdown,
)

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
IDS = [q.id for q in QUESTIONS]
PARSER = build_parser()


def _seed_text(seed: str) -> str:
    if not SEEDS.is_dir():
        pytest.fail(f"the seed files are missing: expected the folder {SEEDS} (../shared/seeds "
                    "beside the repository) holding 000_*.txt ... 004_*.txt")
    files = sorted(SEEDS.glob(f"{seed}_*.txt"))
    if not files:
        pytest.fail(f"no seed file {seed}_*.txt in {SEEDS}")
    return files[0].read_text(encoding="utf-8")


def _sentences(text: str) -> int:
    """Sentences of an answer: a full stop, ? or ! followed by a space or the end ("et al."
    and "eq." are not ends)."""
    return len(re.findall(r"(?<!\bal)(?<!\beq)[.!?](?=\s|$)", text))


# ------------------------------------------------------------------------------ the data

def test_ids_are_unique_and_fields_well_formed():
    assert len(IDS) == len(set(IDS)), [i for i in IDS if IDS.count(i) > 1]
    for q in QUESTIONS:
        assert q.source in ("000", "002", "003", "004"), q.id
        assert q.id.startswith(q.source + "-") and re.fullmatch(r"[0-9a-z.-]+", q.id), q.id
        assert q.ref.startswith(f"source {q.source} "), q.id
        assert q.topic in TOPICS, q.id
        assert q.question_en.strip() and q.answer.strip(), q.id
        assert set(q.also_in) <= {"001"} and (not q.also_in or q.source == "000"), q.id
    assert len(TOPICS) == len(set(TOPICS))


def test_the_package_docstring_says_which_file_holds_which_ids():
    """The table in gradlab.lab.questions' docstring: each data file with its count and its
    first and last ids, in the index's order, and every entry in one of them."""
    rows: dict[str, list[str]] = {}
    current = None
    for line in qmod.__doc__.splitlines():
        row = re.match(r"(source_\w+\.py)\s+(\d+)\s+(.*)", line)
        if row:
            current = row.group(1)
            rows[current] = [row.group(2), row.group(3)]
        elif current and line.startswith(" " * 30) and line.strip():
            rows[current][1] += " " + line.strip()
        else:
            current = None
    held = []
    for name, (count, ids) in rows.items():
        module = importlib.import_module(f"gradlab.lab.questions.{name[:-3]}")
        data = [v for v in vars(module).values() if isinstance(v, tuple) and v
                and all(isinstance(q, Question) for q in v)]
        assert len(data) == 1, (name, "holds one tuple of entries")
        entries = data[0]
        assert int(count) == len(entries), (name, count, len(entries))
        named = set(re.findall(r"\d{3}-[0-9a-z.-]*[0-9a-z]", ids))
        assert {entries[0].id, entries[-1].id} <= named, (name, ids)
        held += [q.id for q in entries]
    assert held == IDS


def test_every_question_of_seeds_000_002_004_has_an_entry():
    refs = [q.ref for q in QUESTIONS]
    for n in range(61, 66):
        assert any(f"source 000 Q{n} " in r for r in refs), f"000 Q{n}"
    for n in range(1, 9):
        assert any(f"source 002 Q{n} " in r for r in refs), f"002 Q{n}"
    sections = [f"§1.{i}" for i in range(1, 9)] + [f"§2.{i}" for i in range(1, 9)] + [
        "§3 "] + [f"§3.{i}" for i in range(1, 7)]
    for s in sections:
        assert any(f"source 004 {s}" in r + " " for r in refs), f"004 {s}"
    assert all(q.also_in == ("001",) for q in QUESTIONS if q.source == "000")
    assert len(QUESTIONS) >= 126  # review C.4 counts 126 questions and headings


def test_questions_are_in_seed_order_and_cover_every_seed():
    seeds = [q.source for q in QUESTIONS]
    assert seeds == sorted(seeds)
    assert set(seeds) == {"000", "002", "003", "004"}


@pytest.mark.parametrize("qid", IDS)
def test_the_question_occurs_verbatim_in_its_seed(qid):
    q = get_question(qid)
    text = _seed_text(q.source)
    assert q.question_zh in text, f"{qid}: {q.question_zh!r} is not in seed {q.source}"
    spans = [(int(a), int(b or a)) for a, b in re.findall(r"L(\d+)(?:-(\d+))?", q.ref)]
    if spans:  # the question starts on a line inside one of the cited ranges
        starts = [text[:m.start()].count("\n") + 1
                  for m in re.finditer(re.escape(q.question_zh), text)]
        assert any(a <= h <= b for a, b in spans for h in starts), (qid, q.ref, starts)


@pytest.mark.parametrize("qid", IDS)
def test_every_pointer_resolves(qid):
    problems = unresolved(get_question(qid), parser=PARSER)
    assert not problems, f"{qid}: " + "; ".join(problems)


@pytest.mark.parametrize("qid", IDS)
def test_the_answer_has_3_to_8_sentences(qid):
    q = get_question(qid)
    n = _sentences(q.answer)
    assert 3 <= n <= 8, f"{qid}: {n} sentences"


def test_unresolved_names_each_broken_pointer_and_why():
    bad = Question(id="000-bad", source="000", ref="source 000 L1", topic="nonsense",
                   question_zh="x", question_en="x", answer="x",
                   experiments=("whitening", "no-such-experiment"),
                   code=("gradlab.nn.Linear", "gradlab.nn.NoSuchLayer", "nosuchpackage.x"),
                   commands=("gradlab summary lenet5 --input 1 28 28", "gradlab summary",
                             "python -m gradlab info", "gradlab --bogus"),
                   tests=("tests/test_engine.py::test_diamond_graph_matches_torch",
                          "tests/test_engine.py::test_nothing_like_this",
                          "tests/test_missing_file.py::test_x", "tests/test_engine.py"),
                   errata=("l2-sparsifies", "no-such-erratum"))
    problems = unresolved(bad, parser=PARSER)
    want = ["topic 'nonsense'", "experiment 'no-such-experiment'",
            "code 'gradlab.nn.NoSuchLayer': gradlab.nn has no attribute 'NoSuchLayer'",
            "code 'nosuchpackage.x': no module", "command 'gradlab summary': ",
            "command 'python -m gradlab info': ", "command 'gradlab --bogus'",
            "test 'tests/test_engine.py::test_nothing_like_this': tests/test_engine.py "
            "defines no test", "test 'tests/test_missing_file.py::test_x': "
            "tests/test_missing_file.py does not exist", "test 'tests/test_engine.py': ",
            "erratum 'no-such-erratum'"]
    assert len(problems) == len(want), problems
    for w, p in zip(want, problems):
        assert p.startswith(w), (w, p)


def test_get_question_names_an_unknown_id():
    assert get_question(IDS[0]) is QUESTIONS[0]
    with pytest.raises(KeyError, match="no question 'nope'"):
        get_question("nope")


# ----------------------------------------------------------------------------- searching

def test_search_finds_chinese_words():
    hits = search("梯度爆炸")
    assert hits[0].id == "000-q64-exploding"
    assert all("梯度爆炸" in (q.question_zh + q.answer) for q in hits[:2])
    assert [q.id for q in search("长短时记忆")][0] == "004-s2-7-cell-vs-hidden"


def test_search_finds_english_words_case_insensitively_and_ranks_the_question_first():
    assert [q.id for q in search("GRU")] == [q.id for q in search("gru")]
    hits = search("Layer Normalization")
    # entries whose question holds both words rank before those that hold them elsewhere
    in_question = [all(w in (q.question_en + q.question_zh).lower()
                       for w in ("layer", "normalization")) for q in hits]
    assert in_question == sorted(in_question, reverse=True) and in_question[0]
    assert "004-s3-4-bn-ln" in [q.id for q, yes in zip(hits, in_question) if yes]
    hits = search(["residual", "degradation"])
    assert hits[0].id == "004-s1-8-depth-resnet"
    # a pointer matches too: the experiment id
    assert any(q.id == "000-q64-workflow" for q in search("ensembles-bagging"))


def test_search_puts_entries_matching_every_word_first_and_an_exact_id_on_top():
    hits = search("dropout recurrent")
    both = [q for q in hits if all(w in " ".join([q.question_en, q.answer, *q.experiments,
                                                  *q.code]).lower()
                                   for w in ("dropout", "recurrent"))]
    assert hits[:len(both)] == both
    assert search("004-s2-3-bptt")[0].id == "004-s2-3-bptt"
    assert search("") == [] and search([]) == []
    assert search("the") != []  # only stop words: they still match literally
    assert search("zzzqqq") == []


# ------------------------------------------------------------------------------ gradlab ask

def test_ask_prints_each_match_with_its_pointers(capsys):
    rc = main(["ask", "梯度爆炸", "--limit", "1"])
    out = capsys.readouterr().out
    q = get_question("000-q64-exploding")
    assert rc == 0
    assert out.startswith(f"{q.id}  [gradients]  {q.ref}; also source 001\n")
    assert q.question_zh in out and q.question_en in out
    body = [line for line in out.splitlines() if line.startswith("  ") and ":" not in line[:15]]
    assert max(len(line) for line in body) <= 90  # the answer is wrapped
    assert " ".join(" ".join(body).split()).count(" ".join(q.answer.split()[:12])) == 1
    for item in q.experiments + q.code + q.tests + q.errata:
        assert item in out
    assert f"gradlab lab --question {q.id}" in out
    assert "showing the best 1 (--limit" in out.splitlines()[-1]


def test_ask_exit_status_1_when_nothing_matches(capsys):
    rc = main(["ask", "zzzqqq", "xyzzy"])
    cap = capsys.readouterr()
    assert rc == 1 and cap.out == ""
    assert "no question matches 'zzzqqq xyzzy'" in cap.err and "activations" in cap.err


@pytest.mark.parametrize("argv, message", [
    (["ask"], "give words to search for"),
    (["ask", "dropout", "--limit", "0"], "--limit must be >= 1"),
])
def test_ask_argument_errors(capsys, argv, message):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_ask_html_writes_the_whole_index(tmp_path, capsys):
    path = tmp_path / "q.html"
    assert main(["ask", "--html", str(path)]) == 0
    page = path.read_text(encoding="utf-8")
    assert page.count('<article class="q"') == len(QUESTIONS)
    assert f"wrote {path} ({len(QUESTIONS)} questions)" in capsys.readouterr().out


# ---------------------------------------------------------------- gradlab lab --question

def test_lab_question_without_experiments_lists_what_shows_it(tmp_path, capsys):
    q = next(q for q in QUESTIONS if not q.experiments and q.commands)
    rc = main(["lab", "--question", q.id, "--out", str(tmp_path / "r")])
    cap = capsys.readouterr()
    assert rc == 2
    assert f"question {q.id} has no lab experiment" in cap.err
    for item in q.commands + q.code + q.tests:
        assert item in cap.out
    assert not (tmp_path / "r").exists()  # nothing ran, nothing written


@pytest.mark.parametrize("argv, message", [
    (["lab", "--question", "no-such-question"], "--question: no question 'no-such-question'"),
    (["lab", "--question", "000-q64-exploding", "run", "whitening"],
     "give --question QID or run ID ..., not both"),
    (["lab", "--question", "000-q64-exploding", "list"], "does not go with list"),
])
def test_lab_question_argument_errors(capsys, argv, message):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_lab_question_runs_its_experiments_and_the_report_links_them(tmp_path, capsys,
                                                                     monkeypatch):
    # a question pointing at one fast experiment (whitening, about a second): a real run
    q = Question(id="000-test-whitening", source="000", ref="source 000 Q64 L116",
                 topic="data", question_zh="为什么输入数据需要归一化", question_en="Why normalize?",
                 answer="One. Two. Three.", experiments=("whitening",))
    monkeypatch.setitem(qmod._BY_ID, q.id, q)
    out = tmp_path / "report"
    rc = main(["lab", "--question", q.id, "--out", str(out)])
    text = capsys.readouterr().out
    assert rc == 0, text
    assert text.startswith(f"question {q.id} (source 000 Q64 L116): Why normalize?\n")
    assert "gradlab lab: 1 experiment, seed 0" in text
    page = (out / "questions.html").read_text(encoding="utf-8")
    assert 'href="report.html#exp-whitening"' in page  # whitening is in this report
    assert "Experiment: <code>sigmoid-depth</code>" in page  # not run here: named, not linked
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "[questions.md](questions.md)" in md
    qmd = (out / "questions.md").read_text(encoding="utf-8")
    assert "`sigmoid-depth` (not in this report)" in qmd and "`whitening`" in qmd


# --------------------------------------------------------------------- questions.html / .md

class _Tags(HTMLParser):
    VOID = {"meta", "input", "br", "img", "link", "hr"}

    def __init__(self):
        super().__init__()
        self.stack, self.ok, self.ids = [], True, []

    def handle_starttag(self, tag, attrs):
        self.ids += [v for k, v in attrs if k == "id"]
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.ok = False


def test_questions_html_has_every_entry_grouped_and_balanced():
    page = render_questions_html()
    p = _Tags()
    p.feed(page)
    assert p.ok and not p.stack
    assert len(p.ids) == len(set(p.ids))
    for q in QUESTIONS:
        assert f'id="q-{q.id}"' in page
    seeds = sorted({q.source for q in QUESTIONS})
    assert [m for m in re.findall(r'<section class="q-group" id="source-(\d+)"', page)] == seeds
    assert "Source 000 (also source 001)" in page
    # within a seed, topics in TOPICS order, each once
    for seed in seeds:
        part = page[page.index(f'id="source-{seed}"'):]
        part = part[:part.index("</section>")]
        topics = re.findall(r"<h3>([a-z]+)</h3>", part)
        assert topics == sorted(set(topics), key=TOPICS.index)
    assert CJK_FONTS in page and 'name="viewport"' in page and 'lang="zh"' in page


def test_questions_html_escapes_text_and_has_its_search_script():
    q = Question(id="000-x", source="000", ref="source 000 <L1>", topic="general",
                 question_zh="<b>问</b> & 答", question_en='"quoted" <script>alert(1)</script>',
                 answer="A < b & c > d. Two. Three.", code=("gradlab.nn.Linear",),
                 errata=("l2-sparsifies",), experiments=("whitening",))
    page = render_questions_html([q], experiments=["whitening"])
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;问&lt;/b&gt; &amp; 答" in page and "A &lt; b &amp; c &gt; d." in page
    assert 'href="report.html#exp-whitening"' in page
    assert 'href="report.html#err-l2-sparsifies"' in page
    assert page.count("<script>") == 1
    script = page[page.index("<script>"):page.index("</script>")]
    assert "getElementById('q-search')" in script and "addEventListener('input'" in script
    assert 'id="q-search" type="search"' in page
    # without a report: experiments are named with the command that runs them
    alone = render_questions_html([q])
    assert "report.html#" not in alone and "gradlab lab run whitening" in alone


def test_questions_markdown_is_compact_and_complete():
    md = render_questions_markdown()
    assert md.startswith("# The questions of the sources, answered")
    for q in QUESTIONS:
        assert f"id `{q.id}`" in md
    assert "## Source 000 (also source 001)" in md and "### recurrent" in md
    assert "Shown by: experiments `gated-rnn-adding`" in md


def test_unresolved_needs_the_parser_for_command_pointers():
    """The library does not import the command line: checking a command pointer takes the
    parser as an argument, and leaving it out is an error, not a silent pass."""
    with_cmd = next(q for q in QUESTIONS if q.commands)
    with pytest.raises(TypeError, match="pass parser=gradlab.cli.build_parser()"):
        unresolved(with_cmd)
    without = next(q for q in QUESTIONS if not q.commands)
    assert unresolved(without) == []
