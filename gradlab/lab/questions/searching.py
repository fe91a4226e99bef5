"""Searching the answer index by words: :func:`search` (``gradlab ask WORDS``)."""

from __future__ import annotations

from collections.abc import Iterable

from .entry import Question
from .index import QUESTIONS

# ------------------------------------------------------------------------------ searching

#: English words too common to rank by (a query of only these still matches literally)
_STOP = frozenset("a an and are as at be by can do does for from how in is it of on or the "
                  "to what when where which who why with".split())

# weight of a hit in each field: the question counts most, then topic and id, then the rest
_FIELDS = (("question", 4.0), ("topic", 3.0), ("answer", 1.0), ("pointers", 1.5))


def _fields(q: Question) -> dict[str, str]:
    pointers = " ".join(q.experiments + q.code + q.commands + q.tests + q.errata)
    return {"question": f"{q.question_zh} {q.question_en}".lower(),
            "topic": f"{q.topic} {q.id} source {q.source} {q.ref}".lower(),
            "answer": q.answer.lower(), "pointers": pointers.lower()}


def _terms(words: str | Iterable[str]) -> list[str]:
    """The search terms: words split on white space, lower-cased, English stop words dropped
    unless nothing else is left."""
    if isinstance(words, str):
        words = [words]
    terms = [t for w in words for t in str(w).lower().split()]
    kept = [t for t in terms if t not in _STOP]
    return list(dict.fromkeys(kept or terms))


def search(words: str | Iterable[str]) -> list[Question]:
    """The entries matching ``words`` (a string or a list of words; Chinese or English; case
    does not matter), best first.

    A term matches an entry when it occurs in its question (Chinese or English), answer,
    topic, id, source reference or pointers. Entries matching every term come first, then those
    matching fewer; within each, hits in the question outrank hits in the topic, pointers and
    answer. An exact id ranks first. No terms: no entries."""
    terms = _terms(words)
    if not terms:
        return []
    scored = []
    for n, q in enumerate(QUESTIONS):
        text = _fields(q)
        matched, score = 0, 0.0
        for t in terms:
            hit = [w for name, w in _FIELDS if t in text[name]]
            if hit:
                matched += 1
                score += sum(hit)
        if matched:
            exact = any(t == q.id.lower() for t in terms)
            scored.append((not exact, -matched, -score, n, q))
    scored.sort(key=lambda s: s[:4])
    return [s[4] for s in scored]
