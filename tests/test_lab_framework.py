"""The lab's runner and registry: experiments found by module, looked up by id, run with their
seed and BLAS threads, errors kept as error rows, verdicts compared over seeds."""

from __future__ import annotations

import importlib
import io
import pkgutil
import re

import numpy as np
import pytest

import gradlab
import gradlab.lab.experiments as experiments_pkg
from gradlab import backend
from gradlab.lab import (
    CAVEATS,
    ERROR,
    FAILS,
    HOLDS,
    Experiment,
    LabResult,
    Measurement,
    UnknownExperimentError,
    Verdict,
    all_experiments,
    check_seeds,
    get_experiment,
    run_experiments,
)
from gradlab.lab.runner import json_safe, select


class Draw(Experiment):
    """Draws from gradlab's and NumPy's streams; 'holds' when the mean is below a threshold."""

    id = "draw"
    title = "Random draws"
    source_ref = "source 000 Q1"
    claim = "draws are seeded"
    claim_zh = "随机"
    protocol = "draw 4 numbers"
    thresholds = {"mean_max": 10.0}

    def __init__(self):
        self.seen_threads = []

    def measure(self, seed, quick):
        self.seen_threads.append(backend.get_num_threads())
        g = gradlab.randn(4).numpy().astype(float).tolist()
        n = np.random.rand(2).tolist()
        return Measurement({"gradlab": g, "numpy": n, "quick": quick, "mean": float(np.mean(n))})

    def judge(self, numbers):
        ok = numbers["mean"] < self.thresholds["mean_max"]
        return Verdict(HOLDS if ok else FAILS, f"mean {numbers['mean']:.3f}", "m")


class Flaky(Draw):
    """Its verdict follows the source's parity: the kind of experiment check_seeds must catch."""

    id = "flaky"

    def measure(self, seed, quick):
        return Measurement({"seed": seed})

    def judge(self, numbers):
        return Verdict(HOLDS if numbers["seed"] % 2 == 0 else CAVEATS, "parity", "p")


class Boom(Draw):
    id = "boom"

    def measure(self, seed, quick):
        raise RuntimeError("the protocol broke at step 3")


class BadNumbers(Draw):
    id = "bad-numbers"

    def measure(self, seed, quick):
        return Measurement({"ok": 1.0, "curve": [1.0, np.float32(2.0)]})

    def judge(self, numbers):
        return Verdict(HOLDS, "x", "x")


def test_registry_experiments_are_complete_and_unique():
    exps = all_experiments()
    assert len(exps) >= 16  # issue 7's first sixteen claims
    ids = [e.id for e in exps]
    assert len(set(ids)) == len(ids), ids
    for e in exps:
        assert isinstance(e, Experiment)
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", e.id), e.id
        for attr in ("title", "source_ref", "claim", "claim_zh", "protocol"):
            value = getattr(e, attr)
            assert isinstance(value, str) and value.strip(), (e.id, attr)
        assert e.source_ref.startswith("source "), (e.id, e.source_ref)
        assert re.search(r"[\u4e00-\u9fff]", e.claim_zh), (e.id, "claim_zh is not Chinese")
        assert isinstance(e.thresholds, dict) and e.thresholds, e.id
        assert all(isinstance(k, str) and isinstance(v, (int, float)) and not
                   isinstance(v, bool) for k, v in e.thresholds.items()), e.id
        # errors in the sources live in one place, the registry gradlab.lab.errata
        assert not hasattr(e, "seed_error"), (e.id, "seed_error: put it in gradlab.lab.errata")
        assert type(e).measure is not Experiment.measure, e.id
        assert type(e).judge is not Experiment.judge, e.id


def test_registry_module_names_have_unique_numbers():
    names = [m.name for m in pkgutil.iter_modules(experiments_pkg.__path__)]
    exp_modules = [n for n in names if n.startswith("e") and n[1:3].isdigit()]
    assert exp_modules, names
    for n in exp_modules:
        assert re.fullmatch(r"e\d\d_[a-z0-9_]+", n), n
        module = importlib.import_module(f"gradlab.lab.experiments.{n}")
        assert isinstance(module.EXPERIMENT, Experiment), n
    numbers = [n[1:3] for n in exp_modules]
    assert len(set(numbers)) == len(numbers), sorted(exp_modules)
    # the registry keeps module order: the report's order
    assert [e.id for e in all_experiments()] == [
        importlib.import_module(f"gradlab.lab.experiments.{n}").EXPERIMENT.id
        for n in sorted(exp_modules)]


def test_get_experiment_and_unknown_ids():
    pool = [Draw(), Flaky()]
    assert get_experiment("flaky", pool) is pool[1]
    with pytest.raises(UnknownExperimentError,
                       match=r"get_experiment: no experiment with id 'nope'; "
                             r"known ids: draw, flaky"):
        get_experiment("nope", pool)
    with pytest.raises(UnknownExperimentError,
                       match=r"unknown experiment ids 'x', 'y'; known ids: draw, flaky"):
        select(["draw", "x", "y"], pool)
    assert [e.id for e in select(["flaky", "draw", "flaky"], pool)] == ["flaky", "draw"]
    assert [e.id for e in select(None, pool)] == ["draw", "flaky"]
    real = all_experiments()[0]
    assert get_experiment(real.id) is real


def test_run_seeds_both_streams_and_sets_threads():
    exp = Draw()
    before = backend.get_num_threads()
    a, = run_experiments(seed=3, progress=False, threads=1, experiments=[exp])
    b, = run_experiments(seed=3, progress=False, threads=1, experiments=[exp])
    c, = run_experiments(seed=4, progress=False, threads=1, experiments=[exp])
    assert a.numbers == b.numbers and a.numbers != c.numbers
    assert isinstance(a, LabResult) and a.verdict == HOLDS and a.seed == 3 and a.quick
    assert a.claim_zh == "随机" and a.thresholds == {"mean_max": 10.0} and a.protocol
    assert a.cpu_seconds >= 0 and a.seconds >= 0 and a.error is None and not a.errored
    assert exp.seen_threads == [1, 1, 1]
    assert backend.get_num_threads() == before
    full, = run_experiments(quick=False, progress=False, experiments=[exp])
    assert full.numbers["quick"] is False and full.quick is False


def test_an_experiment_that_raises_is_an_error_row_and_the_rest_run():
    results = run_experiments(progress=False, experiments=[Boom(), Draw()])
    boom, draw = results
    assert boom.verdict == ERROR and boom.errored
    assert boom.error == "RuntimeError: the protocol broke at step 3"
    assert "the protocol broke at step 3" in boom.explanation
    assert "Traceback" in boom.traceback and "measure" in boom.traceback
    assert boom.numbers == {} and boom.figures == [] and boom.title == "Random draws"
    assert draw.verdict == HOLDS


def test_numbers_json_cannot_store_are_an_error_naming_the_field():
    r, = run_experiments(progress=False, experiments=[BadNumbers()])
    assert r.verdict == ERROR
    assert r.error == ("TypeError: BadNumbers.measure: numbers['curve'][1] is a numpy.float32 "
                       "(convert NumPy values with float()/int()/.tolist())")


def test_check_seeds_reports_agreement():
    checks = check_seeds(seeds=(0, 1, 2), progress=False, experiments=[Draw(), Flaky(), Boom()])
    draw, flaky, boom = checks
    assert draw.agree and draw.verdicts == [HOLDS] * 3 and draw.seeds == [0, 1, 2]
    assert [r.seed for r in draw.results] == [0, 1, 2]
    assert not flaky.agree and flaky.verdicts == [HOLDS, CAVEATS, HOLDS]
    assert not boom.agree and boom.verdicts == [ERROR] * 3  # an error never agrees
    assert flaky.to_json() == {"seeds": [0, 1, 2], "verdicts": [HOLDS, CAVEATS, HOLDS],
                               "keys": ["p", "p", "p"], "agree": False,
                               "criteria": [[], [], []], "failed_checks": [[], [], []]}


@pytest.mark.parametrize("seeds, message", [
    ((), "check_seeds: seeds is empty"),
    ((0, 1, 0), r"check_seeds: seeds repeat: \[0, 1, 0\]"),
    ((0, -1), "check_seeds: a seed is an integer >= 0, got -1"),
    ((0, 1.5), "check_seeds: a seed is an integer >= 0, got 1.5"),
])
def test_check_seeds_rejects_bad_seeds(seeds, message):
    with pytest.raises(ValueError, match=message):
        check_seeds(seeds=seeds, progress=False, experiments=[Draw()])


def test_run_experiments_rejects_a_negative_seed():
    with pytest.raises(ValueError, match="run_experiments: a seed is an integer >= 0, got -2"):
        run_experiments(seed=-2, progress=False, experiments=[Draw()])


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_names_the_running_experiment(monkeypatch):
    term = _Terminal()
    monkeypatch.setattr("sys.stderr", term)
    run_experiments(progress=True, experiments=[Draw(), Flaky()])
    assert "draw" in term.getvalue() and "flaky" in term.getvalue()
    quiet = _Terminal()
    monkeypatch.setattr("sys.stderr", quiet)
    run_experiments(progress=False, experiments=[Draw()])
    assert quiet.getvalue() == ""


def test_json_safe_keeps_non_finite_numbers_as_strings():
    assert json_safe({"a": [1.0, float("nan")], "b": {"c": float("-inf")}, "d": float("inf"),
                      "e": "x", "f": 2}) == {
        "a": [1.0, "NaN"], "b": {"c": "-Infinity"}, "d": "Infinity", "e": "x", "f": 2}


def test_a_module_that_does_not_import_is_an_error_row(tmp_path, monkeypatch):
    (tmp_path / "e99_broken.py").write_text(
        'raise ImportError("e99 needs a module that is not installed")\n')
    monkeypatch.setattr(experiments_pkg, "__path__", [*experiments_pkg.__path__, str(tmp_path)])
    with pytest.raises(ImportError):
        all_experiments()
    real = [e.id for e in select(None) if e.id != "e99_broken"]
    assert real and select(None)[-1].id == "e99_broken"
    r, = run_experiments(["e99_broken"], progress=False)
    assert r.verdict == ERROR
    assert r.error == "ImportError: e99 needs a module that is not installed"
    assert r.title == "module gradlab.lab.experiments.e99_broken does not import"


def test_lab_results_carry_revisions_and_jitter_and_need_no_seed_error(monkeypatch):
    from gradlab.lab.experiment import Revision

    class Revised(Draw):
        id = "revised"
        revisions = (Revision("2026-12-06", "mean_max 5 -> 10", "the seed says 10", "none"),)

    monkeypatch.delattr(Experiment, "seed_error", raising=False)
    r, = run_experiments(progress=False, experiments=[Revised()], jitter=1e-6)
    assert r.verdict == HOLDS and r.jitter == 1e-6
    assert r.revisions == [{"date": "2026-12-06", "what": "mean_max 5 -> 10",
                            "why": "the seed says 10", "moved": "none", "effect": ""}]
    assert not hasattr(r, "seed_error")
