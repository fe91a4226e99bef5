"""Running the lab's experiments: by id, over one seed or several, with a progress bar.

An experiment that raises does not stop the run: it becomes an error row (verdict
``"error"``, the exception in ``error``) that the report and the exit status show.

    from gradlab.lab import run_experiments, write_report
    results = run_experiments(["sigmoid-depth"], seed=0, quick=True)
    write_report(results, "lab-report", seed=0, quick=True)
"""

from __future__ import annotations

import importlib
import json
import math
import numbers
import pkgutil
import time
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .experiment import Experiment, Result
from .experiments import all_experiments

#: the verdict of an experiment that raised (not one of ``VERDICTS``: no claim was judged)
ERROR = "error"


class UnknownExperimentError(LookupError):
    """An experiment id that no module of ``gradlab.lab.experiments`` defines."""


@dataclass
class LabResult(Result):
    """A :class:`Result` with what the report needs besides: the experiment's original claim,
    protocol, thresholds and revisions, the CPU seconds of the run, and, for an experiment that
    raised, the exception (``verdict == "error"``). The errors in the sources come from the
    registry :mod:`gradlab.lab.errata`, not from the results."""

    claim_zh: str = ""
    protocol: str = ""
    thresholds: dict[str, Any] = field(default_factory=dict)
    revisions: list[dict[str, Any]] = field(default_factory=list)
    cpu_seconds: float = 0.0
    error: str | None = None
    traceback: str | None = None

    @property
    def errored(self) -> bool:
        """True when the experiment raised instead of giving a verdict."""
        return self.verdict == ERROR


@dataclass
class SeedCheck:
    """One experiment run over several seeds: its results in seed order and whether the
    verdicts agree (an error never agrees)."""

    id: str
    seeds: list[int]
    results: list[LabResult]

    @property
    def verdicts(self) -> list[str]:
        """The verdict of each seed, in seed order."""
        return [r.verdict for r in self.results]

    @property
    def agree(self) -> bool:
        """True when every seed gave the same verdict (and none raised)."""
        return len(set(self.verdicts)) == 1 and not self.results[0].errored

    def to_json(self) -> dict[str, Any]:
        """Seeds, verdicts, key numbers, the criteria (value, threshold, margin) and failed
        checks of each seed, and the agreement, without the full results."""
        return {"seeds": list(self.seeds), "verdicts": self.verdicts,
                "keys": [r.key for r in self.results], "agree": self.agree,
                "criteria": [[c.to_json() for c in r.criteria] for r in self.results],
                "failed_checks": [[c.name for c in r.failed_checks] for r in self.results]}


class _Unimportable(Experiment):
    """Stands in for an experiment module that fails to import: running it raises the import
    error, so the run shows an error row instead of stopping."""

    def __init__(self, module: str, exc: BaseException) -> None:
        self.id = module
        self.title = f"module gradlab.lab.experiments.{module} does not import"
        self.source_ref = "?"
        self.claim = "?"
        self.exc = exc

    def measure(self, seed: int, quick: bool):
        raise self.exc


def discover() -> list[Experiment]:
    """Like ``all_experiments()``, but a module that fails to import (or lacks
    ``EXPERIMENT``) becomes an experiment that raises that error when run."""
    from . import experiments as package

    found: list[Experiment] = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("e") and info.name[1:3].isdigit():
            try:
                found.append(importlib.import_module(f"{package.__name__}.{info.name}")
                             .EXPERIMENT)
            except Exception as exc:
                found.append(_Unimportable(info.name, exc))
    return found


def _registry(experiments: Iterable[Experiment] | None) -> list[Experiment]:
    if experiments is not None:
        return list(experiments)
    try:
        return list(all_experiments())
    except Exception:  # one broken module must not hide the others
        return discover()


def get_experiment(id: str, experiments: Iterable[Experiment] | None = None) -> Experiment:
    """The experiment with this id (from ``all_experiments()``, or from ``experiments``).

    Raises :class:`UnknownExperimentError` naming the known ids when there is none."""
    pool = _registry(experiments)
    for exp in pool:
        if exp.id == id:
            return exp
    known = ", ".join(e.id for e in pool) or "none"
    raise UnknownExperimentError(f"get_experiment: no experiment with id {id!r}; known ids: "
                                 f"{known}")


def select(ids: Sequence[str] | None = None,
           experiments: Iterable[Experiment] | None = None) -> list[Experiment]:
    """The experiments named by ``ids`` in the order given (repeats dropped), or all of them
    in registry order when ``ids`` is None. Unknown ids raise :class:`UnknownExperimentError`
    naming all of them and the known ids."""
    pool = _registry(experiments)
    if ids is None:
        return pool
    if isinstance(ids, str):
        ids = [ids]
    by_id = {e.id: e for e in pool}
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        names = ", ".join(repr(i) for i in unknown)
        known = ", ".join(by_id) or "none"
        plural = "s" if len(unknown) > 1 else ""
        raise UnknownExperimentError(f"unknown experiment id{plural} {names}; known ids: "
                                     f"{known}")
    return [by_id[i] for i in dict.fromkeys(ids)]


def _json_problem(value: Any, where: str) -> str | None:
    """Where ``value`` holds something JSON cannot store (None when all is plain JSON)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return None
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            problem = _json_problem(v, f"{where}[{i}]")
            if problem:
                return problem
        return None
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                return f"{where} has a key {k!r} of type {type(k).__name__} (expected str)"
            problem = _json_problem(v, f"{where}[{k!r}]")
            if problem:
                return problem
        return None
    return (f"{where} is a {type(value).__module__}.{type(value).__name__} (convert NumPy "
            f"values with float()/int()/.tolist())")


def run_one(exp: Experiment, seed: int = 0, quick: bool = True, threads: int | None = 1,
            jitter: float = 0.0) -> LabResult:
    """Run one experiment; an exception (or numbers JSON cannot store) gives an error row."""
    cpu = time.process_time()
    wall = time.perf_counter()
    base = dict(id=exp.id, title=exp.title, source_ref=exp.source_ref, claim=exp.claim,
                claim_zh=exp.claim_zh, protocol=exp.protocol, thresholds=dict(exp.thresholds),
                seed=seed, quick=quick,
                revisions=[r.to_json() for r in getattr(exp, "revisions", ())], jitter=jitter)
    try:
        r = exp.run(seed=seed, quick=quick, threads=threads, jitter=jitter)
        problem = _json_problem(r.numbers, "numbers")
        if problem:
            raise TypeError(f"{type(exp).__name__}.measure: {problem}")
    except Exception as exc:  # one broken experiment must not stop the lab
        message = f"{type(exc).__name__}: {exc}"
        return LabResult(**base, numbers={}, figures=[], verdict=ERROR,
                         explanation=f"The experiment raised {message}", key="error",
                         seconds=time.perf_counter() - wall,
                         cpu_seconds=time.process_time() - cpu, error=message,
                         traceback=traceback.format_exc())
    return LabResult(**base, numbers=r.numbers, figures=r.figures, verdict=r.verdict,
                     explanation=r.explanation, key=r.key, seconds=r.seconds,
                     criteria=r.criteria, checks=r.checks, notes=r.notes,
                     cpu_seconds=time.process_time() - cpu)


def _bar(total: int, progress: bool):
    from tqdm.auto import tqdm

    # disable=None: a bar on a terminal only; pipes and logs get the caller's lines
    return tqdm(total=total, disable=None if progress else True, leave=False, unit="exp",
                dynamic_ncols=True)


def run_experiments(ids: Sequence[str] | None = None, seed: int = 0, quick: bool = True,
                    progress: bool = True, threads: int | None = 1,
                    experiments: Iterable[Experiment] | None = None,
                    jitter: float = 0.0) -> list[LabResult]:
    """Run the experiments named by ``ids`` (all when None) with one seed, in order.

    ``quick`` picks the short protocol (seconds each); ``threads`` is the BLAS thread count
    for each run (None: leave it as is). A tqdm bar names the running experiment when
    ``progress`` is set and stderr is a terminal. ``experiments`` replaces the registry
    (``all_experiments()``) as the pool the ids are looked up in; ``jitter`` perturbs each
    run's starting point (see :func:`gradlab.lab.experiment.perturb`). An experiment that
    raises gives a :class:`LabResult` with ``verdict == "error"``."""
    _check_seed(seed, "run_experiments")
    chosen = select(ids, experiments)
    results = []
    with _bar(len(chosen), progress) as bar:
        for exp in chosen:
            bar.set_description_str(exp.id)
            results.append(run_one(exp, seed, quick, threads, jitter))
            bar.update(1)
    return results


def check_seeds(ids: Sequence[str] | None = None, seeds: Sequence[int] = (0, 1, 2),
                quick: bool = True, progress: bool = True, threads: int | None = 1,
                experiments: Iterable[Experiment] | None = None,
                jitter: float = 0.0) -> list[SeedCheck]:
    """Run each experiment over several seeds and say whether its verdicts agree.

    The lab asks for the same verdict over seeds 0, 1 and 2: a verdict that flips with the
    seed comes from noise, not from the claim. Returns one :class:`SeedCheck` per experiment
    (``.agree``, ``.verdicts``, ``.results`` in seed order)."""
    for s in seeds:
        _check_seed(s, "check_seeds")
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("check_seeds: seeds is empty; give at least one seed, e.g. (0, 1, 2)")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"check_seeds: seeds repeat: {seeds}")
    chosen = select(ids, experiments)
    checks = []
    with _bar(len(chosen) * len(seeds), progress) as bar:
        for exp in chosen:
            results = []
            for s in seeds:
                bar.set_description_str(f"{exp.id} seed {s}")
                results.append(run_one(exp, s, quick, threads, jitter))
                bar.update(1)
            checks.append(SeedCheck(id=exp.id, seeds=seeds, results=results))
    return checks


def _check_seed(seed: Any, where: str) -> None:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"{where}: a seed is an integer >= 0, got {seed!r}")


def json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities as the strings "NaN", "Infinity", "-Infinity" (strict
    JSON has no such numbers; a measurement such as a diverged loss still needs them)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def dumps(value: Any) -> str:
    """Strict JSON (see :func:`json_safe`), indented."""
    return json.dumps(json_safe(value), indent=1, ensure_ascii=False, allow_nan=False)
