"""The registry as rows for the report: :func:`evidence_for`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .entries import ERRATA


def _experiment_result(results: Iterable[Any], experiment: str) -> Any | None:
    """The first result of ``experiment`` that did not raise, or None."""
    for r in results:
        if getattr(r, "id", None) != experiment:
            continue
        if getattr(r, "errored", False) or getattr(r, "verdict", None) == "error":
            continue
        if not getattr(r, "numbers", None):
            continue
        return r
    return None


def evidence_for(results: Iterable[Any] | None) -> list[dict[str, Any]]:
    """For the report: each erratum as a dict with ``id``, ``source_ref``, ``sentence``,
    ``correction``, ``source``, ``experiment``, ``evidence`` and ``shown``.

    An entry tied to an experiment computes its evidence from that experiment's ``numbers``
    in ``results`` (objects with ``.id``, ``.numbers`` and ``.verdict``; with several seeds,
    the first result that did not raise); when the experiment raised or is not in ``results``,
    ``shown`` is False and the evidence says which experiment to run. Entries without an
    experiment compute their evidence here with gradlab's tools (``shown`` True). A result
    whose numbers lack a key the evidence reads raises KeyError naming the erratum and key."""
    results = list(results or ())
    rows = []
    for e in ERRATA:
        shown = True
        if e.experiment is None:
            text = e.evidence(None)
        else:
            r = _experiment_result(results, e.experiment)
            if r is None:
                shown = False
                text = (f"Not measured in this run: run `gradlab lab run {e.experiment}` for "
                        f"the numbers.")
            else:
                text = e.evidence(r.numbers)
                seed = getattr(r, "seed", None)
                if isinstance(seed, int):
                    mode = {True: "quick", False: "full"}.get(getattr(r, "quick", None))
                    text = f"Seed {seed}{f', {mode} run' if mode else ''}: {text}"
        rows.append({"id": e.id, "source_ref": e.source_ref, "sentence": e.sentence,
                     "correction": e.correction, "source": e.source,
                     "experiment": e.experiment, "evidence": text, "shown": shown})
    return rows
