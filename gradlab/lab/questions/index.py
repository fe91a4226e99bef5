"""The index: :data:`QUESTIONS`, every entry in source order, and :func:`get_question`."""

from __future__ import annotations

from .entry import Question
from .source_000 import _S000
from .source_002 import _S002
from .source_003 import _S003
from .source_004 import _S004

# ----------------------------------------------------------------------------- the index

#: Every entry of the index, in source order: sources 000 (also 001), 002, 003 and 004.
QUESTIONS: tuple[Question, ...] = _S000 + _S002 + _S003 + _S004
_BY_ID = {q.id: q for q in QUESTIONS}


def get_question(id: str) -> Question:
    """The entry with this id; a ``KeyError`` naming the id when there is none."""
    try:
        return _BY_ID[id]
    except KeyError:
        raise KeyError(f"no question {id!r} in the index (gradlab ask WORDS finds ids)") from None
