"""An entry of the answer index (:class:`Question`) and the topics it can belong to."""

from __future__ import annotations

from dataclasses import dataclass

#: The topics an entry can belong to (a short fixed list).
TOPICS: tuple[str, ...] = (
    "activations",
    "initialization",
    "gradients",
    "normalization",
    "regularization",
    "optimization",
    "convolution",
    "pooling",
    "recurrent",
    "losses",
    "backpropagation",
    "architectures",
    "data",
    "general",
)


@dataclass(frozen=True)
class Question:
    """One question or heading of a source, with its answer and pointers into gradlab."""

    id: str                  # stable slug, unique: "000-q64-batchnorm", "003-receptive-field"
    source: str              # "000", "002", "003", "004"; source 001 repeats 000: also_in=("001",)
    ref: str                 # where: "source 003 L185-203" (line numbers of the source file)
    topic: str               # one of TOPICS
    question_zh: str         # the source's question or heading, verbatim
    question_en: str         # the same in English
    answer: str              # 3-8 sentences in English, written for gradlab, correct
    experiments: tuple[str, ...] = ()   # lab experiment ids that give evidence
    code: tuple[str, ...] = ()          # importable dotted paths
    commands: tuple[str, ...] = ()      # gradlab command lines
    tests: tuple[str, ...] = ()         # "tests/test_x.py::test_name"
    errata: tuple[str, ...] = ()        # ids of gradlab.lab.errata.ERRATA
    also_in: tuple[str, ...] = ()
