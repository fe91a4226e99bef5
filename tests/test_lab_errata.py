"""gradlab.lab.errata: the registry of errors in the sources. Every sentence is the source's own
text at the lines its reference gives; every evidence cites the number that shows the error
(computed here with gradlab's tools, or read from a real quick run of the experiment), and
never an experiment's verdict.

The sources are read from ``../shared/seeds`` beside the clone (CI keeps a copy there); without
them the tests that need them fail, naming the folder."""

from __future__ import annotations

import functools
import re
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from labchecks import quick_result

import gradlab
from gradlab.lab import errata
from gradlab.lab.errata import ERRATA, Erratum, evidence_for
from gradlab.lab.runner import get_experiment

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"

FIELDS = ("id", "source_ref", "sentence", "correction", "source", "experiment", "evidence",
          "shown")

BY_ID = {e.id: e for e in ERRATA}
FED = [e for e in ERRATA if e.experiment is not None]
LOCAL = [e for e in ERRATA if e.experiment is None]

#: for each experiment-fed entry, numbers (key path, format) its evidence must cite
CITED = {
    "sigmoid-weights-100-explode": [(("seed_chain_mean_slope",), ".3f"),
                                    (("seed_arithmetic_log10_grad",), ".1f"),
                                    (("growth_per_layer",), ".2f"),
                                    (("he_growth_per_layer",), ".2f")],
    "xavier-ranges-swapped": [(("sigmoid/xavier grad_ratio",), ".2f"),
                              (("sigmoid/xavier x4 grad_ratio",), ".2f"),
                              (("tanh/xavier grad_ratio",), ".2f"),
                              (("tanh/xavier x4 grad_ratio",), ".2f"),
                              (("seed_assignment_log_dev", "sigmoid"), ".2f"),
                              (("glorot_assignment_log_dev", "tanh"), ".2f")],
    "bn-gaussian": [(("after_bn_mass_at_min",), ".1%"), (("after_bn_abs_skew",), ".2f")],
    "dropout-test-scale": [(("classic_ratio_p0.2",), ".3f"), (("seed_rule_ratio_p0.2",), ".2f")],
    "bn-keeps-gradient-stable": [(("grad_ratio_plain",), ".1f"),
                                 (("grad_ratio_residual",), ".1f")],
    "relu-derivative-identity": [(("irnn_active_fraction",), ".1%")],
    "iid-weights-cancel": [(("growth_per_layer",), ".2f"), (("he_growth_per_layer",), ".2f")],
    "l2-sparsifies": [(("l2_matched_zero",), ".0%"), (("l1_matched_zero",), ".0%"),
                      (("none_zero",), ".0%")],
}

#: for each entry computed here, the numbers and outputs its evidence must show
EXPECTED = {
    "input-7x2-6": ["7 × 2^6 = 448", "448 to 7 x 7", "228 to 3 x 3", "224 to 7 x 7"],
    "pooling-rounding": ["pool1 27, pool2 13, pool5 6", "pool1 26, pool2 12, pool5 5"],
    "receptive-field-exponential": ["3, 5, 9, 17, 33 at stride 1",
                                    "3, 7, 31, 511, 131071 at stride 2"],
    "iou-snippet-does-not-run": ["SyntaxError at line 929", "invalid character",
                                 "NameError: name 'cy2' is not defined"],
    "iou-snippet-y-extent": ["gives 0.600 for [0, 0, 2, 2] and [1, 1, 3, 3]",
                             "box_iou 0.1429 = 1/7", "it gives -3.0 (below 0), box_iou 0.0"],
    "clipping-keeps-direction": ["norm 1.000", "cosine with the original 1.000000"],
    "gap-dimension": ["shape (2, 16)", "(Network in Network), (2, 10)"],
    "slope-is-not-learning-rate": ["is 0.1050", "0.1 moves it by 0.01050", "1 by 0.1050"],
    "standardize-is-not-normal": ["means 0.000, variances 1.000"],
    "normalization-same-distribution": ["training mean 0.00, sd 1.00"],
    "convex-gd-global": ["2/L = 0.5"],
    "adaptive-methods-not-decay": ["RMSprop's falls to", "AdaDelta's falls to",
                                   "AdaGrad's only falls"],
    "cross-entropy-not-distance": ["H(p, p) = 0.693 (ln 2", "H(p, q) = 1.204 and H(q, p) = 0.693",
                                   "is 0.000 at q = p",
                                   "KL(p || q) = 0.511 and KL(q || p) = 0.368"],
    "conv-equivariant-not-invariant": ["max |difference| 0.0e+00 away from the border"],
    "l1-laplace-prior": ["is 1.386 = log(2b)", "is 1.324 = log(sigma sqrt(2 pi))"],
}


# ------------------------------------------------------------------------------- helpers

@functools.cache
def _seed_lines(number: str) -> list[str]:
    """The lines of seed file ``number`` (``"003"``), 1-based through a leading ''."""
    if not SEEDS.is_dir():
        pytest.fail(f"the sources are missing: expected them in {SEEDS} (the shared/ folder "
                    "beside the clone); the errata tests check every sentence against them")
    files = sorted(SEEDS.glob(f"{number}_*.txt"))
    if len(files) != 1:
        pytest.fail(f"expected one seed file {number}_*.txt in {SEEDS}, found "
                    f"{[f.name for f in files]}")
    return [""] + files[0].read_text(encoding="utf-8").split("\n")


def _ranges(source_ref: str) -> list[tuple[int, int]]:
    return [(int(a), int(b or a)) for a, b in re.findall(r"L(\d+)(?:-(\d+))?", source_ref)]


def _module(experiment_id: str) -> str:
    """The module file name (``e04_init_scale``) of a lab experiment."""
    return type(get_experiment(experiment_id)).__module__.rsplit(".", 1)[-1]


def _dig(numbers: dict, path: tuple):
    for k in path:
        numbers = numbers[k]
    return numbers


def _floats(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", text)]


# --------------------------------------------------------------------------------- tests

def test_registry_shape():
    assert len(ERRATA) >= 20
    ids = [e.id for e in ERRATA]
    assert len(ids) == len(set(ids)), "erratum ids must be unique"
    for e in ERRATA:
        assert isinstance(e, Erratum)
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", e.id), e.id
        assert re.match(r"source \d{3} \S.* L\d+", e.source_ref), e.source_ref
        assert e.sentence and e.correction and e.source and callable(e.evidence)
        assert re.search(r"[\u4e00-\u9fff]|\\theta|cx1", e.sentence), e.id  # the source's text
        assert 20 <= len(e.correction) <= 400, e.correction
        with pytest.raises(AttributeError):
            e.id = "x"  # frozen
    # the six errors the experiments carried, the three the tools found, and review C.3
    for needed in ("sigmoid-weights-100-explode", "xavier-ranges-swapped", "bn-gaussian",
                   "dropout-test-scale", "bn-keeps-gradient-stable", "relu-derivative-identity",
                   "irnn-init-w-not-u", "iou-snippet-does-not-run", "iou-snippet-y-extent",
                   "pooling-rounding", "input-7x2-6"):
        assert needed in BY_ID


def test_experiments_exist():
    for e in FED:
        assert get_experiment(e.experiment).id == e.experiment
        assert e.source == f"experiment {e.experiment}"


@pytest.mark.parametrize("e", ERRATA, ids=lambda e: e.id)
def test_sentence_is_verbatim_at_its_lines(e):
    number = re.match(r"source (\d{3})", e.source_ref).group(1)
    lines = _seed_lines(number)
    ranges = _ranges(e.source_ref)
    assert ranges, e.source_ref
    first = e.sentence.split("\n")[0]
    # the sentence starts on the first line of one of the cited ranges and ends within it
    assert any(first in lines[a] and e.sentence in "\n".join(lines[a:b + 1])
               for a, b in ranges), (f"{e.id}: the sentence is not at {e.source_ref} of "
                                     f"source {number}")


def test_quoted_seed_lines_are_verbatim():
    for name, (number, line, text) in errata._QUOTES.items():
        assert text in _seed_lines(number)[line], (name, number, line)
    lines = _seed_lines("003")
    start = errata._SEED_IOU_LINE
    snippet = errata._SEED_IOU.split("\n")
    assert lines[start:start + len(snippet)] == snippet
    assert lines[start + 1].strip() == errata._SEED_UNPACKING


@pytest.mark.parametrize("e", LOCAL, ids=lambda e: e.id)
def test_local_evidence(e):
    text = e.evidence(None)
    assert text.endswith(".") and "holds" not in text.lower()
    for piece in EXPECTED.get(e.id, []):
        assert piece in text, (e.id, piece, text)


def test_local_evidence_numbers():
    bn = BY_ID["bn-identity-needs-std"].evidence(None)
    exact, var, order = (float(x) for x in re.findall(
        r"max \|y - x\| = (\S+) with gamma = standard deviation and beta = mean; (\S+) with "
        r"gamma = variance; (\S+) with gamma = mean", bn)[0])
    assert exact < 1e-12 and var > 1.0 and order > 1.0
    conv = BY_ID["convex-gd-global"].evidence(None)
    small, large = (float(x) for x in re.findall(r"\|x\| = ([-+.\de]*\d)", conv))
    assert small < 1e-9 and large > 1e6
    shift = BY_ID["normalization-same-distribution"].evidence(None)
    mean, sd = (float(x) for x in re.search(r"test mean (\S+), sd (\S+):", shift).groups())
    assert mean > 0.9 and sd > 1.8
    std = BY_ID["standardize-is-not-normal"].evidence(None)
    mass = float(re.search(r"yet (\S+)% of the ReLU", std).group(1))
    skews = [float(x) for x in re.search(r"skewnesses stay (\S+) and (\S+) ", std).groups()]
    assert 45 < mass < 55 and min(skews) > 1.0
    clip = BY_ID["clipping-keeps-direction"].evidence(None)
    assert float(re.search(r"clip_grad_value_\(1\) gives cosine (\S+)\.$", clip).group(1)) < 0.99
    steps = BY_ID["adaptive-methods-not-decay"].evidence(None)
    for name in ("RMSprop", "AdaDelta"):
        low, end = (float(x) for x in re.search(
            rf"{name}'s falls to (\S+) at step \d+ and rises to (\S+) by", steps).groups())
        assert end > 2 * low, (name, steps)
    for name in ("eq14-missing-lr", "internal-covariance", "irnn-init-w-not-u"):
        text = BY_ID[name].evidence(None)
        assert re.search(r"source \d{3} L\d+: '", text), text


def test_seed_003_review_evidence_numbers():
    conv = BY_ID["conv-equivariant-not-invariant"].evidence(None)
    equi, change, pooled = (float(x) for x in re.search(
        r"max \|difference\| (\S+) away from the border, while the output itself changes by "
        r"up to (\S+) \(.*change by at most (\S+)\.$", conv).groups())
    assert equi < 1e-12 and change > 1.0 and pooled < change / 10
    prior = BY_ID["l1-laplace-prior"].evidence(None)
    spreads = [float(x) for x in re.findall(r"spread (\S+?)[,)]", prior)]
    grads = [float(x) for x in re.findall(r"at most (\S+?)[;)]", prior)]
    assert len(spreads) == 2 and len(grads) == 2
    assert max(spreads + grads) < 1e-12, prior
    ce = BY_ID["cross-entropy-not-distance"].evidence(None)
    hpq, hqp = (float(x) for x in re.search(r"H\(p, q\) = (\S+) and H\(q, p\) = (\S+)\.",
                                            ce).groups())
    kpq, kqp = (float(x) for x in re.search(r"KL\(p \|\| q\) = (\S+) and KL\(q \|\| p\) = "
                                            r"(\S+)\.$", ce).groups())
    assert hpq != hqp and kpq != kqp and min(kpq, kqp) > 0.1


def test_local_evidence_is_cheap_and_leaves_the_generator_alone():
    evidence_for([])  # imports
    gradlab.manual_seed(123)
    state = gradlab.get_rng_state()
    cpu = time.process_time()
    rows = evidence_for(None)
    took = time.process_time() - cpu
    assert took < 0.5, f"the locally computed evidence took {took:.2f} s CPU"
    assert gradlab.get_rng_state() == state
    assert [r["id"] for r in rows] == [e.id for e in ERRATA]


def test_absent_or_errored_experiment_is_not_shown():
    errored = [SimpleNamespace(id=e.experiment, numbers={}, verdict="error", errored=True)
               for e in FED]
    for results in ([], None, errored):
        rows = {r["id"]: r for r in evidence_for(results)}
        for e in ERRATA:
            row = rows[e.id]
            assert tuple(row) == FIELDS
            assert (row["sentence"], row["correction"], row["source"]) == (
                e.sentence, e.correction, e.source)
            if e.experiment is None:
                assert row["shown"] is True
            else:
                assert row["shown"] is False
                assert f"`gradlab lab run {e.experiment}`" in row["evidence"]


@pytest.mark.parametrize("e", FED, ids=lambda e: e.id)
def test_missing_key_names_the_erratum(e):
    with pytest.raises(KeyError, match=rf"erratum '{re.escape(e.id)}': the numbers of "
                       rf"experiment '{re.escape(e.experiment)}' have no key"):
        e.evidence({})
    with pytest.raises(ValueError, match=re.escape(f"gradlab lab run {e.experiment}")):
        e.evidence(None)


@pytest.mark.parametrize("e", FED, ids=lambda e: e.id)
def test_evidence_on_real_numbers(e):
    r = quick_result(_module(e.experiment), 0)
    assert r.id == e.experiment
    text = e.evidence(r.numbers)
    for path, fmt in CITED[e.id]:
        assert format(_dig(r.numbers, path), fmt) in text, (e.id, path, text)
    row = next(x for x in evidence_for([r]) if x["id"] == e.id)
    assert row["shown"] is True
    assert row["evidence"] == f"Seed 0, quick run: {text}"
    for word in ("holds", "caveat", "verdict", r.verdict):
        assert word not in row["evidence"].lower(), (word, row["evidence"])
    assert _floats(text), text


def test_no_verdict_words_anywhere():
    fake = [SimpleNamespace(id=e.experiment, numbers=quick_result(_module(e.experiment), 0)
                            .numbers, verdict="holds", seed=0, quick=True) for e in FED]
    for row in evidence_for(fake):
        assert row["shown"] is True
        for field in ("evidence", "correction"):
            text = row[field].lower()
            assert "holds" not in text and "caveat" not in text and "verdict" not in text, (
                row["id"], field)
