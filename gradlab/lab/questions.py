"""The answer index: every question and heading of the seeds, answered for gradlab.

Each :class:`Question` holds the seed's question verbatim (Chinese) and in English, a short
correct answer written for this project (correcting the seed where it is wrong, citing the ids
of :mod:`gradlab.lab.errata`), and pointers to what in gradlab shows it: lab experiments,
importable code, ``gradlab`` command lines and tests.
"""

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
    """One question or heading of a seed, with its answer and pointers into gradlab."""

    id: str                  # stable slug, unique: "000-q64-batchnorm", "003-receptive-field"
    seed: str                # "000", "002", "003", "004"; seed 001 repeats 000: also_in=("001",)
    ref: str                 # where: "seed 003 L185-203" (line numbers of the seed file)
    topic: str               # one of TOPICS
    question_zh: str         # the seed's question or heading, verbatim
    question_en: str         # the same in English
    answer: str              # 3-8 sentences in English, written for gradlab, correct
    experiments: tuple[str, ...] = ()   # lab experiment ids that give evidence
    code: tuple[str, ...] = ()          # importable dotted paths
    commands: tuple[str, ...] = ()      # gradlab command lines
    tests: tuple[str, ...] = ()         # "tests/test_x.py::test_name"
    errata: tuple[str, ...] = ()        # ids of gradlab.lab.errata.ERRATA
    also_in: tuple[str, ...] = ()
