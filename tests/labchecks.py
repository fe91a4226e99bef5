"""Checks every lab experiment's tests share: a quick run's result and the metadata."""

import functools
import importlib
import json
import math

from gradlab.lab import Experiment


def experiment(module: str):
    """The EXPERIMENT of gradlab/lab/experiments/<module>.py."""
    return importlib.import_module(f"gradlab.lab.experiments.{module}").EXPERIMENT


@functools.cache
def quick_result(module: str, seed: int):
    """One quick run per (experiment, seed), shared by the tests of a session."""
    return experiment(module).run(seed, quick=True)


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
        assert 5000 < len(f.png) < 400_000
        assert f.name and f.caption


def check_metadata(e) -> None:
    """Every attribute the report shows is filled, and both methods are written."""
    assert e.id and e.title and e.seed_ref.startswith("seed 00")
    assert e.claim and e.claim_zh and e.protocol
    assert e.thresholds and all(isinstance(v, float) for v in e.thresholds.values())
    assert type(e).measure is not Experiment.measure
    assert type(e).judge is not Experiment.judge
