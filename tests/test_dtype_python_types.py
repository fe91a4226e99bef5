"""Python's types as dtypes, as torch maps them (float -> float64, int -> int64, bool -> bool)
wherever a dtype is taken, and Python floats given with an explicit dtype kept exact."""

import numpy as np
import pytest
import torch

import gradlab

CALLS = [
    lambda lib, t: lib.zeros(2, dtype=t),
    lambda lib, t: lib.ones(2, dtype=t),
    lambda lib, t: lib.empty(2, dtype=t),
    lambda lib, t: lib.full((2,), 1, dtype=t),
    lambda lib, t: lib.arange(3, dtype=t) if t is not bool else lib.arange(3).to(t),
    lambda lib, t: lib.tensor([1, 0], dtype=t),
    lambda lib, t: lib.zeros_like(lib.ones(2), dtype=t),
    lambda lib, t: lib.ones(2).to(t),
    lambda lib, t: lib.ones(2).to(dtype=t),
    lambda lib, t: lib.arange(2).to(t),
]


@pytest.mark.parametrize("pytype", [float, int, bool])
@pytest.mark.parametrize("k", range(len(CALLS)))
def test_python_type_as_dtype(pytype, k):
    g, t = CALLS[k](gradlab, pytype), CALLS[k](torch, pytype)
    assert g.dtype.name == str(t.dtype).split(".")[-1]


def test_float_is_float64_whatever_the_default():
    gradlab.set_default_dtype(gradlab.float64)
    try:
        assert gradlab.zeros(1, dtype=float).dtype == gradlab.float64
    finally:
        gradlab.set_default_dtype(gradlab.float32)
    assert gradlab.zeros(1, dtype=float).dtype == gradlab.float64
    assert gradlab.zeros(1).dtype == gradlab.float32


def test_python_scalar_in_to_reads_its_type():
    for v, name in ((3.5, "float64"), (0.0, "float64"), (True, "bool"), (False, "bool"),
                    (np.float32(1.0), "float64"), (np.True_, "float64")):
        assert gradlab.ones(2).to(v).dtype.name == name
        assert str(torch.ones(2).to(v).dtype) == f"torch.{name}"


def test_type_with_a_python_type_is_refused_as_torch():
    for pytype in (float, int, bool):
        with pytest.raises(ValueError):
            torch.ones(2).type(pytype)
        with pytest.raises(ValueError, match="type: invalid type"):
            gradlab.ones(2).type(pytype)


@pytest.mark.parametrize("dtype", ["float64", float])
def test_python_floats_with_float64_are_exact(dtype):
    values = [0.1, 1 / 3, 1e-300, 2.0 ** 60 + 1]
    g = gradlab.tensor(values, dtype=getattr(gradlab, dtype) if isinstance(dtype, str) else dtype)
    t = torch.tensor(values, dtype=torch.float64)
    np.testing.assert_array_equal(g.numpy(), t.numpy())
    assert gradlab.tensor(0.1, dtype=gradlab.float64).item() == 0.1
