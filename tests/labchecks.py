"""Checks every lab experiment's tests share: a quick run's result, the metadata, the
reachability of every verdict from the criteria, and the checks."""

import contextlib
import fcntl
import functools
import hashlib
import importlib
import json
import math
import os
import pickle
import tempfile

from gradlab.lab import Experiment
from gradlab.lab.experiment import VERDICTS, Revision

#: the relative perturbation of the starting point that must not change a verdict
JITTER = 1e-6


def experiment(module: str):
    """The EXPERIMENT of gradlab/lab/experiments/<module>.py."""
    return importlib.import_module(f"gradlab.lab.experiments.{module}").EXPERIMENT


def _shared_dir() -> str | None:
    """A folder the pytest-xdist workers of one test run share (None without xdist)."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if not run:
        return None
    path = os.path.join(tempfile.gettempdir(), f"gradlab-lab-tests-{run}")
    os.makedirs(path, exist_ok=True)
    return path


@contextlib.contextmanager
def _locked(path: str):
    with open(path + ".lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


@functools.cache
def quick_result(module: str, seed: int, jitter: float = 0.0):
    """One quick run per (experiment, seed, jitter), shared by the tests of a session: under
    pytest-xdist the first worker to need it runs it and the others read its pickle."""
    shared = _shared_dir()
    if shared is None:
        return experiment(module).run(seed, quick=True, jitter=jitter)
    key = hashlib.sha1(f"{module}|{seed}|{jitter!r}".encode()).hexdigest()[:16]
    path = os.path.join(shared, f"{module}-{key}.pickle")
    with _locked(path):
        if os.path.exists(path):
            with open(path, "rb") as f:
                return pickle.load(f)
        r = experiment(module).run(seed, quick=True, jitter=jitter)
        with open(path + ".tmp", "wb") as f:
            pickle.dump(r, f)
        os.replace(path + ".tmp", path)
        return r


def _leaves(x):
    if isinstance(x, dict):
        for v in x.values():
            yield from _leaves(v)
    elif isinstance(x, list):
        for v in x:
            yield from _leaves(v)
    else:
        yield x


def check_result(r, verdict: str, seed: int, cited: list) -> None:
    """The verdict is ``verdict``; the numbers are plain finite JSON; each (name, format) in
    ``cited`` appears, so formatted, in the explanation of 2-6 sentences; the figures are
    complete PNGs with a name and a caption."""
    assert r.verdict == verdict, r.explanation
    assert r.seed == seed and r.quick
    json.dumps(r.numbers, allow_nan=False)
    for v in _leaves(r.numbers):
        assert v is None or isinstance(v, (bool, int, float, str)), type(v)
        if isinstance(v, float):
            assert math.isfinite(v)
    for name, fmt in cited:
        assert format(r.numbers[name], fmt) in r.explanation, (name, r.explanation)
    assert 2 <= r.explanation.count(". ") + 1 <= 6, r.explanation
    assert r.key
    assert r.figures
    for f in r.figures:
        assert f.png[:8] == b"\x89PNG\r\n\x1a\n" and f.png[-8:-4] == b"IEND"
        assert 5000 < len(f.png) < 1_000_000
        assert f.name and f.caption
    # the verdict is decided on named criteria; the identities all hold
    assert r.criteria, "judge must list the criteria it decided on"
    for c in r.criteria:
        assert c.name and c.op and c.threshold_name in e_thresholds(r)
    assert not r.failed_checks, [c.detail for c in r.failed_checks]


def e_thresholds(r) -> dict:
    """The registered thresholds of the experiment that gave result ``r``."""
    from gradlab.lab.runner import get_experiment

    return get_experiment(r.id).thresholds


def check_reachable(e, cases) -> None:
    """``cases`` is a list of (numbers, verdict) pairs for ``e.judge``: every verdict of
    VERDICTS appears among them and each is what judge returns. The verdict comes from the
    criteria, so each result must list some."""
    seen = set()
    for numbers, verdict in cases:
        v = e.judge(numbers)
        assert v.verdict == verdict, (verdict, v.verdict, v.explanation)
        assert v.criteria, "judge must list the criteria it decided on"
        seen.add(v.verdict)
    assert seen == set(VERDICTS), f"verdicts never reached: {set(VERDICTS) - seen}"


def check_metadata(e) -> None:
    """Every attribute the report shows is filled, both methods are written, and the
    revisions are complete."""
    assert e.id and e.title and e.source_ref.startswith("source 00")
    assert e.claim and e.claim_zh and e.protocol
    assert e.thresholds and all(isinstance(v, float) for v in e.thresholds.values())
    assert type(e).measure is not Experiment.measure
    assert type(e).judge is not Experiment.judge
    for rev in e.revisions:
        assert isinstance(rev, Revision)
        assert len(rev.date) == 10 and rev.date[4] == "-" and rev.what and rev.why


def with_changes(base: dict, changes: dict) -> dict:
    """A deep copy of synthetic numbers ``base`` with ``changes`` applied (for judge tests)."""
    n = json.loads(json.dumps(base))
    n.update(changes)
    return n


def standard_tests(modules: dict, measured: dict, cited: dict):
    """The two tests every experiment file has, for the experiments ``modules`` (key ->
    module file name): ``test_quick_run`` (seeds 0-2 give the ``measured`` verdict, with the
    numbers ``cited`` in the explanation; see :func:`check_result`) and ``test_metadata``
    (:func:`check_metadata`, every revision with its effect). A ``measured`` value is one
    verdict, or a dict seed -> verdict for an experiment whose verdict differs between seeds
    (reported, never smoothed over). Use as
    ``test_quick_run, test_metadata = labchecks.standard_tests(MODULES, MEASURED, CITED)``."""
    import pytest

    keys = sorted(modules)

    @pytest.mark.parametrize("seed", [0, 1, 2])
    @pytest.mark.parametrize("key", keys)
    def test_quick_run(key, seed):
        verdict = measured[key][seed] if isinstance(measured[key], dict) else measured[key]
        check_result(quick_result(modules[key], seed), verdict, seed, cited[key])

    @pytest.mark.parametrize("key", keys)
    def test_metadata(key):
        e = experiment(modules[key])
        check_metadata(e)
        for rev in e.revisions:
            assert rev.effect, f"{e.id}: revision of {rev.date} says nothing of its effect"

    return test_quick_run, test_metadata
