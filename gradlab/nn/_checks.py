"""The argument checks the layers share: sizes, tuples of sizes, probabilities.

Each check names the layer (``owner``), the argument and the value, and raises torch's class:
a size that is not an int is a TypeError, a negative size a RuntimeError (torch's "Trying to
create tensor with negative dimension"), a probability outside [0, 1] a ValueError.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable


def is_int(value) -> bool:
    """Whether ``value`` is an integer (a bool counts, as torch's sizes take it)."""
    return isinstance(value, numbers.Integral)


def check_size(owner: str, name: str, value, *, minimum: int = 0) -> int:
    """``value`` as an int size argument of ``owner``: TypeError unless an int, RuntimeError
    below ``minimum`` (0 by default: the negative sizes torch's tensor factories refuse)."""
    if not is_int(value):
        raise TypeError(f"{owner}: {name} must be an int, got {type(value).__name__} "
                        f"{name}={value!r}")
    if value < minimum:
        if minimum == 0:
            raise RuntimeError(f"{owner}: {name} must be non-negative, got {name}={value} "
                               f"(Trying to create tensor with negative dimension {value})")
        raise RuntimeError(f"{owner}: {name} must be at least {minimum}, got {name}={value}")
    return int(value)


def check_sizes(owner: str, name: str, values, n: int | None = None) -> tuple:
    """A size or tuple of sizes (``n`` of them when given), each an int >= 0, as a tuple."""
    many = isinstance(values, Iterable) and not isinstance(values, (str, bytes))
    t = tuple(values) if many else (values,) * (n or 1)
    if n is not None and len(t) != n:
        raise RuntimeError(f"{owner}: {name} must be an int or a tuple of {n} ints, got "
                           f"{name}={values!r}")
    for v in t:
        if not is_int(v):
            raise TypeError(f"{owner}: {name} must be an int or a tuple of ints, got "
                            f"{type(v).__name__} in {name}={values!r}")
        if v < 0:
            raise RuntimeError(f"{owner}: {name} must be non-negative, got {name}={values!r} "
                               f"(Trying to create tensor with negative dimension {v})")
    return tuple(int(v) for v in t)


def check_number(owner: str, name: str, value) -> None:
    """TypeError unless ``value`` is a real number (torch's "must be Number")."""
    if not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: argument '{name}' must be Number, not "
                        f"{type(value).__name__} ({name}={value!r})")


def check_int_args(owner: str, **args) -> None:
    """TypeError unless each argument is an int or a tuple/list of ints (kernel sizes,
    strides, paddings, dilations, dims); None passes (a default to be filled in)."""
    for name, value in args.items():
        if value is None:
            continue
        items = value if isinstance(value, (tuple, list)) else (value,)
        for v in items:
            if not is_int(v):
                raise TypeError(f"{owner}: argument '{name}' must be an int or a tuple of ints, "
                                f"not {type(v).__name__} ({name}={value!r})")


def check_probability(owner: str, p, name: str = "p") -> None:
    """A dropout probability: TypeError unless a real number, ValueError outside [0, 1]."""
    if not isinstance(p, numbers.Real):
        raise TypeError(f"{owner}: dropout probability {name} must be a number between 0 and "
                        f"1, got {type(p).__name__} {name}={p!r}")
    if not 0 <= p <= 1:
        raise ValueError(f"{owner}: dropout probability has to be between 0 and 1, but got "
                         f"{p}")

