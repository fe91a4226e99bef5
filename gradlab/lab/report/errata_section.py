"""Errors in the sources: the registry's entries (:mod:`gradlab.lab.errata`) for the report,
and their anchors."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ..experiment import Result

# --------------------------------------------------------------------------- errors in the sources

#: what an entry of the registry of errors in the sources holds
ERRATUM_KEYS = ("id", "source_ref", "sentence", "correction", "source", "experiment", "evidence",
                "shown")


def errata_entries(results: Sequence[Result]) -> list[dict[str, Any]]:
    """The registry's errors in the sources (:func:`gradlab.lab.errata.evidence_for`), each with
    its evidence from this run's results where an experiment measures it. An empty list where
    the registry module is not installed.

    When the registry cannot read this run's numbers (an experiment renamed a key it reads),
    the report is still written: the entries come without this run's numbers, and those of
    the experiments in ``results`` say why in their evidence (``shown`` False)."""
    try:
        from ..errata import evidence_for
    except ModuleNotFoundError as exc:
        if exc.name != f"{__package__.rpartition('.')[0]}.errata":
            raise
        return []
    try:
        return [dict(e) for e in evidence_for(results)]
    except Exception as exc:  # the report of minutes of runs must still be written
        problem = f"{type(exc).__name__}: {exc}"
        ran = {r.id for r in results}
        entries = [dict(e) for e in evidence_for([])]
        for e in entries:
            if e.get("experiment") in ran:
                e["evidence"] = (f"The registry could not read this run's numbers "
                                 f"({problem}).")
                e["shown"] = False
        return entries


def _errata_by_experiment(errata: Sequence[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for e in errata:
        if e.get("experiment"):
            out.setdefault(e["experiment"], []).append(e)
    return out


def _code_spans(escaped: str) -> str:
    """Escaped text with its `backquoted` spans as <code> (the registry writes commands so)."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)


def _erratum_anchor(e: dict[str, Any]) -> str:
    return "err-" + re.sub(r"[^A-Za-z0-9_-]+", "-", str(e.get("id", "")))
