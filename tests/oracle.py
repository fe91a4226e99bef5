"""Torch-comparison helpers for the op tests (DESIGN.md "Tests").

A test table is a list of :class:`Row`: one op, a callable ``fn(lib, *tensors)`` that runs with
``lib`` = ``gradlab`` or ``torch`` (the APIs match; give ``torch_fn`` where they do not), and
the input specs. :func:`cases` expands a table over float32/float64; :func:`check_row` runs both
libraries on identical input values, compares every output (shape, dtype, values,
``requires_grad``) and, after one backward pass with the same random upstream gradient, the
gradient of every input that requires grad; :func:`gradcheck_row` runs gradlab's float64
finite-difference check.

torch is imported unconditionally: without it these tests must fail, never skip.
"""

from __future__ import annotations

import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch

import gradlab

DTYPES = ("float32", "float64")

#: (rtol, atol) for an array of each dtype: float64 tight, float32 what a correct float32
#: implementation meets (a few dozen ulps of disagreement in summation order is normal)
TOL = {
    "float64": (1e-10, 1e-12),
    "float32": (1e-5, 1e-6),
    "float16": (1e-3, 1e-3),
}


@dataclass(frozen=True)
class Float:
    """A floating-point input: random uniform in [lo, hi] (or fixed ``values``)."""

    shape: tuple = ()
    lo: float = -2.0
    hi: float = 2.0
    values: Any = None
    grad: bool = True
    dtype: str | None = None  # None: the dtype the test is parametrized with


@dataclass(frozen=True)
class Const:
    """A tensor input with fixed values and dtype (indices, masks, integer operands); no grad."""

    values: Any
    dtype: str = "int64"


@dataclass
class Row:
    """One op of a table. ``fn(lib, *tensors)``; ``torch_fn`` only where the call differs."""

    name: str
    fn: Callable
    inputs: tuple
    torch_fn: Callable | None = None
    #: float32 (rtol, atol) override for this row only; ``why`` must say why it is needed
    tol32: tuple | None = None
    #: float64 (rtol, atol) override, where torch itself is less accurate; ``why`` says how
    tol64: tuple | None = None
    why: str = ""
    #: run the float64 finite-difference gradcheck (False only at kinks/ties, with ``why``)
    fd: bool = True
    #: dtypes to parametrize over; ("fixed",) when every input names its own dtype
    dtypes: tuple = DTYPES

    def __post_init__(self) -> None:
        if (self.tol32 is not None or self.tol64 is not None or not self.fd) and not self.why:
            raise ValueError(f"row {self.name}: a loosened tolerance or a skipped gradcheck "
                             "needs a reason (why=...)")


def cases(rows: list[Row]) -> list:
    """``pytest.param(row, dtype)`` for every row and each of its dtypes."""
    names = [r.name for r in rows]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ValueError(f"duplicate row names: {sorted(dup)}")
    return [pytest.param(r, d, id=f"{r.name}-{d}") for r in rows for d in r.dtypes]


def fd_cases(rows: list[Row]) -> list:
    """``pytest.param(row)`` for the rows that take a finite-difference gradcheck."""
    return [pytest.param(r, id=r.name) for r in rows
            if r.fd and any(isinstance(s, Float) and s.grad for s in r.inputs)]


# --------------------------------------------------------------------------- inputs


def _rng(name: str, salt: int = 0) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(name.encode()) + salt)


def make_arrays(row: Row, dtype: str) -> list:
    """The input values of a row as NumPy arrays (identical for both libraries)."""
    out = []
    for k, spec in enumerate(row.inputs):
        if isinstance(spec, Float):
            dt = spec.dtype or dtype
            if spec.values is not None:
                a = np.array(spec.values, dtype=np.float64)
            else:
                a = _rng(row.name, k).uniform(spec.lo, spec.hi, size=spec.shape)
            out.append(np.asarray(a, dtype=dt))
        elif isinstance(spec, Const):
            out.append(np.array(spec.values, dtype=spec.dtype))
        else:
            raise TypeError(f"row {row.name}: input {k} must be Float or Const, got {spec!r}")
    return out


def to_gradlab(a: np.ndarray, requires_grad: bool = False) -> gradlab.Tensor:
    t = gradlab.tensor(np.array(a, copy=True))
    assert t.array.dtype == a.dtype, (t.array.dtype, a.dtype)
    return t.requires_grad_() if requires_grad else t


def to_torch(a: np.ndarray, requires_grad: bool = False) -> torch.Tensor:
    t = torch.from_numpy(np.array(a, copy=True))
    return t.requires_grad_() if requires_grad else t


def make_inputs(row: Row, dtype: str) -> tuple[list, list]:
    """Gradlab and torch tensors holding the same values; float inputs with ``grad`` require
    grad."""
    gs, ts = [], []
    for spec, a in zip(row.inputs, make_arrays(row, dtype), strict=True):
        rg = isinstance(spec, Float) and spec.grad
        gs.append(to_gradlab(a, rg))
        ts.append(to_torch(a, rg))
    return gs, ts


# --------------------------------------------------------------------------- comparison


def numpy_of(x) -> np.ndarray:
    """Values of a gradlab tensor, a torch tensor or a Python value as an ndarray."""
    if isinstance(x, gradlab.Tensor):
        return x.array
    if isinstance(x, torch.Tensor):
        return x.detach().numpy()
    return np.asarray(x)


def tol_for(dt: np.dtype, row: Row | None = None) -> tuple:
    if row is not None and row.tol32 is not None and dt == np.float32:
        return row.tol32
    if row is not None and row.tol64 is not None and dt == np.float64:
        return row.tol64
    return TOL.get(str(dt), (0.0, 0.0))


def assert_same(g, t, what: str, row: Row | None = None) -> None:
    """Same shape, same dtype, values equal (exact for bool/int, to the dtype's tolerance for
    floats; NaNs must match)."""
    if isinstance(t, (bool, int, float)) and not isinstance(t, torch.Tensor):
        assert type(g) is type(t), f"{what}: gradlab gave {g!r}, torch {t!r}"
    gd, td = numpy_of(g), numpy_of(t)
    assert gd.shape == td.shape, f"{what}: shape {gd.shape}, torch has {td.shape}"
    assert gd.dtype == td.dtype, f"{what}: dtype {gd.dtype}, torch has {td.dtype}"
    if gd.dtype.kind == "f":
        rtol, atol = tol_for(gd.dtype, row)
        np.testing.assert_allclose(gd, td, rtol=rtol, atol=atol, equal_nan=True,
                                   err_msg=f"{what} differs from torch")
    else:
        np.testing.assert_array_equal(gd, td, err_msg=f"{what} differs from torch")


def leaves(out) -> list:
    """The tensors (and plain values) of an op's result, in order (tuples are flattened)."""
    if isinstance(out, (tuple, list)):
        return [v for o in out for v in leaves(o)]
    return [out]


def check_forward_backward(gfn: Callable, tfn: Callable, gs: list, ts: list, name: str,
                           row: Row | None = None, seed: int = 0) -> None:
    """Run ``gfn(*gs)`` and ``tfn(*ts)``, compare the outputs, then back-propagate the same
    random upstream gradient through both and compare the gradient of every input."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns on e.g. var with correction >= N
        gout, tout = leaves(gfn(*gs)), leaves(tfn(*ts))
    assert len(gout) == len(tout), f"{name}: {len(gout)} outputs, torch has {len(tout)}"
    for i, (go, to) in enumerate(zip(gout, tout, strict=True)):
        assert_same(go, to, f"{name} output {i}", row)
        if isinstance(to, torch.Tensor):
            assert isinstance(go, gradlab.Tensor), f"{name} output {i}: not a Tensor"
            assert go.requires_grad == to.requires_grad, (
                f"{name} output {i}: requires_grad {go.requires_grad}, torch "
                f"{to.requires_grad}")
    diff = [(go, to) for go, to in zip(gout, tout, strict=True)
            if isinstance(to, torch.Tensor) and to.requires_grad]
    if diff:
        rng = _rng(name, 1000 + seed)
        ups = [rng.standard_normal(to.shape).astype(numpy_of(to).dtype) for _, to in diff]
        gradlab.autograd.backward([go for go, _ in diff], [gradlab.tensor(u) for u in ups])
        torch.autograd.backward([to for _, to in diff], [torch.from_numpy(u) for u in ups])
    for k, (gx, tx) in enumerate(zip(gs, ts, strict=True)):
        if not (isinstance(tx, torch.Tensor) and tx.requires_grad):
            continue
        if tx.grad is None:
            assert gx.grad is None, f"{name}: input {k} got a gradient, torch has none"
            continue
        assert gx.grad is not None, f"{name}: input {k} got no gradient, torch has one"
        assert_same(gx.grad, tx.grad, f"{name} gradient of input {k}", row)


def check_row(row: Row, dtype: str) -> None:
    """Forward and every input gradient of a table row against torch."""
    gs, ts = make_inputs(row, dtype)
    tfn = row.torch_fn or row.fn
    check_forward_backward(lambda *xs: row.fn(gradlab, *xs), lambda *xs: tfn(torch, *xs),
                           gs, ts, f"{row.name}[{dtype}]", row)


def gradcheck_row(row: Row) -> None:
    """gradlab's float64 central-difference gradcheck on a row's inputs."""
    gs, _ = make_inputs(row, "float64")
    assert gradlab.autograd.gradcheck(lambda *xs: row.fn(gradlab, *xs), gs)


def same_dtype(g, t) -> bool:
    """A gradlab dtype (of a tensor) names the same type as a torch dtype."""
    return numpy_of(g).dtype == numpy_of(t).dtype
