"""The :class:`Erratum` of the registry, and how an evidence function reads an experiment's
numbers (:class:`_Numbers`, :func:`_from_numbers`) or runs on gradlab's random stream
(:func:`_kept_rng`)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Erratum:
    """One error in the sources.

    ``id`` is a short unique slug; ``source_ref`` the source file number, section and line numbers
    (``"source 004 §3.2 L442-448"``); ``sentence`` the source's own words, verbatim; ``correction``
    what is wrong and what is right (English); ``source`` what shows it (an experiment, a
    gradlab tool or module, a test); ``experiment`` the id of the lab experiment whose numbers
    give the evidence, or None; ``evidence`` returns the sentence citing the measured or
    computed number: it takes that experiment's ``numbers`` (None for entries without one)."""

    id: str
    source_ref: str
    sentence: str
    correction: str
    source: str
    experiment: str | None
    evidence: Callable[[dict | None], str]


# --------------------------------------------------------------------------- numbers access

class _Numbers:
    """Read-only view of an experiment's numbers whose missing keys raise a KeyError naming
    the erratum, the experiment and the key path."""

    def __init__(self, data: Any, erratum: str, experiment: str, path: tuple = ()) -> None:
        self._data, self._erratum, self._experiment, self._path = data, erratum, experiment, path

    def __getitem__(self, key: str) -> Any:
        try:
            value = self._data[key]
        except (KeyError, IndexError, TypeError):
            where = "/".join(map(str, self._path + (key,)))
            raise KeyError(f"erratum {self._erratum!r}: the numbers of experiment "
                           f"{self._experiment!r} have no key {where!r}") from None
        if isinstance(value, dict):
            return _Numbers(value, self._erratum, self._experiment, self._path + (key,))
        return value

    def keys(self) -> list:
        """The keys at this level."""
        return list(self._data)


def _from_numbers(erratum: str, experiment: str,
                  fn: Callable[[_Numbers], str]) -> Callable[[dict | None], str]:
    """``fn`` reading an experiment's numbers through :class:`_Numbers`."""

    def evidence(numbers: dict | None) -> str:
        if numbers is None:
            raise ValueError(f"erratum {erratum!r}: its evidence needs the numbers of "
                             f"experiment {experiment!r} (run `gradlab lab run {experiment}`)")
        return fn(_Numbers(numbers, erratum, experiment))

    evidence.__doc__ = fn.__doc__
    evidence.__name__ = fn.__name__
    return evidence


@contextlib.contextmanager
def _kept_rng() -> Iterator[None]:
    """Seed gradlab's global generator with 0 for the block and restore its state after, so
    that computing evidence neither depends on nor changes the caller's random stream."""
    import gradlab

    state = gradlab.get_rng_state()
    gradlab.manual_seed(0)
    try:
        yield
    finally:
        gradlab.set_rng_state(state)
