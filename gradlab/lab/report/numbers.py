"""Numbers as text: a value, the compact and the grouped tables of a measurement's numbers,
the verdict counts and the summary line."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ..experiment import CAVEATS, FAILS, HOLDS, Result
from ..runner import ERROR

_OP_TEXT = {"<=": "≤", "<": "<", ">=": "≥", ">": ">"}


def format_value(value: Any) -> str:
    """A scalar as short text: floats to 4 significant digits, booleans as yes/no."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _is_scalar(v: Any) -> bool:
    return v is None or isinstance(v, (bool, int, float, str))


def _short_list(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and len(value) <= 4 and all(map(_is_scalar, value))


def scalar_numbers(numbers: dict[str, Any]) -> tuple[list[tuple[str, str]], int]:
    """The numbers a compact table shows: scalars (nested dicts as ``outer.inner``) and short
    lists of scalars (at most 4 items), as (name, text); and how many longer series were left
    to ``results.json``."""
    rows: list[tuple[str, str]] = []
    series = 0

    def visit(prefix: str, value: Any) -> None:
        nonlocal series
        if isinstance(value, dict):
            for k, v in value.items():
                visit(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(value, (list, tuple)):
            if _short_list(value):
                rows.append((prefix, "[" + ", ".join(format_value(v) for v in value) + "]"))
            else:
                series += 1
        else:
            rows.append((prefix, format_value(value)))

    visit("", numbers)
    return rows, series


def _series_text(value: Sequence[Any]) -> str:
    """A long list as one line: its length, and its range when it is a list of numbers."""
    flat = [v for v in value if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if flat and len(flat) == len(value):
        finite = [float(v) for v in flat if math.isfinite(v)]
        if finite:
            return (f"{len(value)} values, from {format_value(float(min(finite)))} to "
                    f"{format_value(float(max(finite)))} (all in results.json)")
    return f"{len(value)} items (in results.json)"


def number_groups(numbers: dict[str, Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Every number of a measurement for the report's collapsed block, grouped: first the
    top-level scalars and short lists (group ``"main"``), then one group per top-level dict
    (its content flattened as ``inner.key``). A longer list is one row saying how many values
    it holds and their range (the values themselves are in ``results.json``)."""
    main: list[tuple[str, str]] = []
    groups: list[tuple[str, list[tuple[str, str]]]] = []

    def rows_of(prefix: str, value: Any, into: list[tuple[str, str]]) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                rows_of(f"{prefix}.{k}" if prefix else str(k), v, into)
        elif isinstance(value, (list, tuple)):
            if _short_list(value):
                into.append((prefix, "[" + ", ".join(format_value(v) for v in value) + "]"))
            else:
                into.append((prefix, _series_text(value)))
        else:
            into.append((prefix, format_value(value)))

    for k, v in numbers.items():
        if isinstance(v, dict) and v:
            rows: list[tuple[str, str]] = []
            rows_of("", v, rows)
            groups.append((str(k), rows))
        else:
            rows_of(str(k), v, main)
    return ([("main", main)] if main else []) + groups


def _counts(results: Sequence[Result]) -> dict[str, int]:
    counts = {HOLDS: 0, CAVEATS: 0, FAILS: 0, ERROR: 0}
    for r in results:
        counts[r.verdict] = counts.get(r.verdict, 0) + 1
    return counts


def summary_line(results: Sequence[Result]) -> str:
    """``"16 experiments: 10 hold, 4 hold with caveats, 2 do not hold, 0 errors"``."""
    c = _counts(results)
    n = len(results)
    return (f"{n} experiment{'s' if n != 1 else ''}: {c[HOLDS]} hold, {c[CAVEATS]} hold with "
            f"caveats, {c[FAILS]} do not hold, {c[ERROR]} error{'s' if c[ERROR] != 1 else ''}")
