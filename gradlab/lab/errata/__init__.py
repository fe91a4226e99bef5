"""Errors in the sources: one registry, fed by the lab's experiments, gradlab's tools and its tests.

Each :class:`Erratum` quotes the source's own words (verbatim, with the source file, section and
line numbers), says in English what is wrong and what is right, names what shows it, and has
an ``evidence`` function that returns the sentence citing the number or output that shows it:

* an entry tied to a lab experiment (``experiment`` is its id) reads that experiment's
  ``numbers`` from a run: the evidence is the error's own measurement, never the experiment's
  verdict;
* an entry without an experiment computes its evidence on the spot with gradlab's own tools
  and modules (all of them together take a fraction of a second), or, for a statement that is
  only a matter of wording, quotes the source's own other line that shows the right form.

:func:`evidence_for` turns the registry into rows for the report.
"""

# The registry in files (each names what it holds): erratum.py, the Erratum class and how an
# evidence function reads an experiment's numbers; quotes.py, the source text the evidence
# quotes; from_experiments.py and computed.py, the evidence functions (from an experiment's
# numbers; computed here with gradlab's tools); entries.py, ERRATA itself; rows.py,
# evidence_for.

from __future__ import annotations

from . import quotes
from .entries import ERRATA
from .erratum import Erratum
from .rows import evidence_for

# the source text the evidence quotes, read by tests/test_lab_errata.py
_QUOTES, _SEED_IOU, _SEED_IOU_LINE, _SEED_UNPACKING = (
    quotes._QUOTES, quotes._SEED_IOU, quotes._SEED_IOU_LINE, quotes._SEED_UNPACKING)

__all__ = ["Erratum", "ERRATA", "evidence_for"]
