"""A report folder read back: :func:`load_report`, :func:`check_compatible` and
:class:`ReportError`."""

from __future__ import annotations

import json
import os
from dataclasses import fields
from typing import Any

from ..experiment import Check, Criterion, Figure
from ..runner import LabResult
from .metadata import blas_meta


class ReportError(ValueError):
    """A report folder that cannot be read back or updated (unreadable ``results.json``, a
    missing figure, or a report of another seed, mode, jitter, thread count or BLAS kernel)."""


_NON_FINITE = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


def json_restore(value: Any) -> Any:
    """The inverse of :func:`gradlab.lab.runner.json_safe`: the strings "NaN", "Infinity" and
    "-Infinity" back to floats (so a report read back renders as it was written)."""
    if isinstance(value, str):
        return _NON_FINITE.get(value, value)
    if isinstance(value, dict):
        return {k: json_restore(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_restore(v) for v in value]
    return value


_REQUIRED = ("id", "title", "source_ref", "claim", "seed", "quick", "numbers", "figures",
             "verdict", "explanation", "key", "seconds")


def _result_from_json(d: dict[str, Any], out: str) -> LabResult:
    if "seed_ref" in d and "source_ref" not in d:   # a report written before the rename
        d = {**d, "source_ref": d["seed_ref"]}
    missing = [k for k in _REQUIRED if k not in d]
    if missing:
        raise ReportError(f"an experiment in {out}/results.json lacks {', '.join(missing)}")
    known = {f.name for f in fields(LabResult)}
    kw = {k: v for k, v in d.items() if k in known}
    kw["numbers"] = json_restore(d["numbers"])
    kw["thresholds"] = json_restore(d.get("thresholds") or {})
    figures = []
    for f in d["figures"]:
        path = os.path.join(out, f.get("file", ""))
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise ReportError(f"{d['id']}'s figure {f.get('file')!r} cannot be read: "
                              f"{exc.strerror or exc}") from None
        figures.append(Figure(name=f["name"], caption=f["caption"], png=data))
    kw["figures"] = figures
    kw["criteria"] = [Criterion(name=c["name"], value=json_restore(c["value"]), op=c["op"],
                                threshold=json_restore(c["threshold"]),
                                threshold_name=c.get("threshold_name", ""))
                      for c in d.get("criteria", [])]
    kw["checks"] = [Check(name=c["name"], passed=bool(c["passed"]), detail=c["detail"])
                    for c in d.get("checks", [])]
    for k in ("seconds", "cpu_seconds", "jitter"):
        if k in kw:
            kw[k] = float(json_restore(kw[k]))
    return LabResult(**kw)


def load_report(out: str | os.PathLike) -> tuple[list[LabResult], dict[str, Any]]:
    """Read a report folder written by :func:`write_report` back: its results (figures from
    ``figures/``) and its metadata. Raises :class:`ReportError` naming the problem when
    ``results.json`` or a figure cannot be read."""
    out = os.fspath(out)
    path = os.path.join(out, "results.json")
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except OSError as exc:
        raise ReportError(f"{path} cannot be read: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ReportError(f"{path} is not JSON: {exc}") from None
    if not (isinstance(doc, dict) and isinstance(doc.get("meta"), dict)
            and isinstance(doc.get("experiments"), list)):
        raise ReportError(f"{path} is not a gradlab lab report (no meta and experiments)")
    try:
        results = [_result_from_json(d, out) for d in doc["experiments"]]
    except ReportError:
        raise
    except (TypeError, KeyError, ValueError, AttributeError) as exc:
        raise ReportError(f"{path} cannot be read as a gradlab lab report: "
                          f"{type(exc).__name__}: {exc}") from None
    return results, json_restore(doc["meta"])


def check_compatible(meta: dict[str, Any], *, seed: int, quick: bool, jitter: float,
                     threads: int | None, where: str = "the report") -> None:
    """Raise :class:`ReportError` when the existing report's ``meta`` was made with another
    seed, mode, jitter, BLAS thread count or BLAS kernel than a run with these settings on this
    machine: its experiments and the new ones would not belong in one report."""
    mine = {"seed": int(seed), "mode": "quick" if quick else "full",
            "jitter": float(jitter), "threads": threads, "BLAS kernel": blas_meta().get("core")}
    theirs = {"seed": meta.get("seed"), "mode": meta.get("mode"),
              "jitter": float(meta.get("jitter") or 0.0), "threads": meta.get("threads"),
              "BLAS kernel": (meta.get("blas") or {}).get("core")}
    differ = [k for k in mine if mine[k] != theirs[k]]
    if differ:
        def said(d: dict[str, Any]) -> str:
            return ", ".join(f"{k} {d[k]}" for k in differ)
        raise ReportError(f"{where} was made with {said(theirs)}; this run has {said(mine)}")
