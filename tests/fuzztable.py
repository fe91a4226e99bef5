"""The bad-call table: one row per call a hostile user might make, run in torch (the oracle) and
in gradlab. Row files (``tests/fuzz_rows_*.py``) each define ``ROWS``, a list of :class:`Bad`;
``tests/test_fuzz.py`` runs them all and ``scripts/fuzz_report.py`` prints the figures.

What a row demands of gradlab, by what torch does with the same call:

- torch raises: gradlab raises an exception of the same builtin class (RuntimeError,
  ValueError, TypeError, IndexError, NotImplementedError, ...; torch's own exception classes
  count as the builtin they derive from), raised by gradlab's own code (the innermost frame of
  the traceback is a file of the ``gradlab`` package, not NumPy's or Python's), and its message
  contains every word of ``names`` (the op, the argument, the offending value or shape).
- torch raises but the row has ``lenient``: gradlab accepts the call on purpose and returns
  what ``lenient`` says; the row must then not raise, and the reason is in the report.
- torch accepts: gradlab accepts too and returns the same value (compared as arrays to 1e-6),
  so a row can also pin a value that torch gives for an odd-but-valid call.

Each row's call takes the library module (``torch`` or ``gradlab``) and builds everything it
needs from it, so the same lambda runs in both.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import gradlab

GRADLAB_DIR = os.path.dirname(os.path.abspath(gradlab.__file__)) + os.sep
_BUILTINS = (NotImplementedError, IndexError, KeyError, TypeError, ValueError, RuntimeError,
             AttributeError, ZeroDivisionError, OverflowError, OSError, AssertionError)


@dataclass(frozen=True)
class Bad:
    """One bad call. ``area``: tensor, functional, module, init, optim, scheduler, data, cli."""

    id: str
    area: str
    call: Callable[[Any], Any]
    names: tuple = ()
    lenient: str | None = None
    tags: tuple = field(default=())


def builtin_class(exc: BaseException) -> type:
    """The builtin exception class ``exc`` is an instance of (most specific of _BUILTINS)."""
    for cls in type(exc).__mro__:
        if cls in _BUILTINS or (cls.__module__ == "builtins" and issubclass(cls, Exception)
                                and cls is not Exception):
            return cls
    return Exception


def raised_by_gradlab(exc: BaseException) -> bool:
    """Whether the innermost frame of ``exc``'s traceback is in the gradlab package."""
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and os.path.abspath(frames[-1].filename).startswith(GRADLAB_DIR)


def _as_array(value):
    if hasattr(value, "detach") and hasattr(value, "numpy") and not hasattr(value, "array"):
        return value.detach().cpu().numpy()  # a torch tensor
    if hasattr(value, "array") and hasattr(value, "requires_grad"):
        return np.asarray(value.array)
    return value


def same_value(a, b) -> bool:
    a, b = _as_array(a), _as_array(b)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            return False
        if a.size == 0:
            return True
        return bool(np.allclose(a.astype(np.float64), b.astype(np.float64), rtol=1e-6,
                                atol=1e-6, equal_nan=True))
    if isinstance(a, float) or isinstance(b, float):
        return bool(np.isclose(a, b, rtol=1e-6, atol=1e-6, equal_nan=True))
    if type(a).__module__.startswith(("torch", "gradlab")) or \
            type(b).__module__.startswith(("torch", "gradlab")):
        return True  # modules, optimizers, datasets: accepted is what the row checks
    return a == b


@dataclass
class Outcome:
    row: Bad
    torch_exc: BaseException | None
    exc: BaseException | None
    value: Any = None
    torch_value: Any = None

    @property
    def torch_raises(self) -> bool:
        return self.torch_exc is not None

    def problems(self) -> list[str]:
        """What is wrong with gradlab's answer to this row; empty when all is well."""
        r = self.row
        if not self.torch_raises:
            if r.lenient:
                return ["torch accepts this call: it is not lenient, drop `lenient`"]
            if self.exc is not None:
                return [f"torch accepts it but gradlab raised {type(self.exc).__name__}: "
                        f"{self.exc}"]
            if not same_value(self.value, self.torch_value):
                return [f"torch accepts it; values differ: gradlab {self.value!r} vs torch "
                        f"{self.torch_value!r}"]
            return []
        if r.lenient:
            if self.exc is not None:
                return [f"marked lenient ({r.lenient}) but gradlab raised "
                        f"{type(self.exc).__name__}: {self.exc}"]
            return []
        if self.exc is None:
            return [f"torch raises {type(self.torch_exc).__name__}: "
                    f"{str(self.torch_exc)[:200]!r}; gradlab returned {self.value!r:.200}"]
        out = []
        if not r.names:
            # the innermost frame can be gradlab's while the error is NumPy's (a C call made
            # from a gradlab line): the words a user needs are what proves the message is ours
            out.append("a row torch refuses must name the words gradlab's message needs "
                       "(the op at least)")
        want, got = builtin_class(self.torch_exc), builtin_class(self.exc)
        if not issubclass(got, want):
            out.append(f"exception class {got.__name__}, torch raises {want.__name__}")
        if not raised_by_gradlab(self.exc):
            frames = traceback.extract_tb(self.exc.__traceback__)
            where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "no traceback"
            out.append(f"raised outside gradlab ({where}): {type(self.exc).__name__}: "
                       f"{self.exc}")
        msg = str(self.exc)
        missing = [w for w in r.names if str(w) not in msg]
        if missing:
            out.append(f"message {msg!r} lacks {missing}")
        return out

    @property
    def clear(self) -> bool:
        """torch raises and gradlab raised a clear error (or the row is a kept lenient case)."""
        return self.torch_raises and not self.problems()


def run(row: Bad) -> Outcome:
    import torch

    torch_exc = gl_exc = torch_value = value = None
    try:
        torch_value = row.call(torch)
    except Exception as exc:  # noqa: BLE001 - the oracle's verdict is whatever it raised
        torch_exc = exc
    try:
        value = row.call(gradlab)
    except Exception as exc:  # noqa: BLE001
        gl_exc = exc
    return Outcome(row, torch_exc, gl_exc, value, torch_value)


def all_rows() -> list[Bad]:
    """Every row of every ``tests/fuzz_rows_*.py`` file, ids unique."""
    import importlib
    import pathlib
    import sys

    here = pathlib.Path(__file__).parent
    if str(here) not in sys.path:
        sys.path.insert(0, str(here))
    rows: list[Bad] = []
    for path in sorted(here.glob("fuzz_rows_*.py")):
        rows.extend(importlib.import_module(path.stem).ROWS)
    ids = [r.id for r in rows]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ValueError(f"duplicate fuzz row ids: {dup}")
    return rows
