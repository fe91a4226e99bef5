"""The answer index: every question and heading of the sources, answered for gradlab.

Each :class:`Question` holds the source's question verbatim (Chinese) and in English, a short
correct answer written for this project (correcting the source where it is wrong, citing the ids
of :mod:`gradlab.lab.errata`), and pointers to what in gradlab shows it: lab experiments,
importable code, ``gradlab`` command lines and tests.

The entries are data in this package, one module per source: 000 (source 001 repeats it:
``also_in``), 002, 003 (in its parts, the longest one in three) and 004; :data:`QUESTIONS`
holds them in source order. An entry's id starts with its source's number; the file that holds
it, with its first and last ids (in the source's order, the line numbers of the source file):

==========================  =====  ==========================================================
file                        count  ids
==========================  =====  ==========================================================
source_000.py                   9  000-q61-faster-convergence ... 000-q65-bgd-sgd (also 001)
source_002.py                   9  002-q1-activations ... 002-q8-pooling-backward
source_003_basics.py           21  003-traditional-image-processing ... 003-norms
                                   (1 基础, L52-298)
source_003_advanced.py          2  003-why-cross-entropy, 003-weight-sharing (2 进阶, L301-315)
source_003_theory_1.py         19  003-optimization-algorithms ... 003-non-gradient-costs
                                   (3 理论, L319-448: the book's applied math and
                                   machine-learning basics)
source_003_theory_2.py         21  003-hidden-layers-nonconvex ... 003-hessian-normalization
                                   (3 理论, L450-576: feedforward nets, regularization,
                                   optimization)
source_003_theory_3.py         19  003-translation-equivariance ...
                                   003-bayesian-effective-parameters (3 理论, L578-698:
                                   convolution, sequences, generative models and the rest)
source_003_practice.py          9  003-overfitting ... 003-model-acceleration (4 实战, L706-849)
source_003_appendix.py          2  003-appendix-receptive-fields, 003-iou (附录 B, L869-942)
source_004.py                  26  004-s1-1-relu-vs-sigmoid ... 004-s3-6-fix-vanishing
==========================  =====  ==========================================================

``source_003.py`` joins source 003's parts; ``entry.py`` defines :class:`Question` and
:data:`TOPICS`; ``index.py`` holds :data:`QUESTIONS` and :func:`get_question`, ``searching.py``
:func:`search`, ``pointers.py`` :func:`unresolved` and :func:`related_commands`.
:func:`search` finds entries by words (``gradlab ask WORDS``), :func:`unresolved` says which
pointers of an entry do not resolve, and ``gradlab lab --question ID`` runs an entry's
experiments. ``questions.html`` and ``questions.md`` beside the lab report render the index.
"""

from __future__ import annotations

from .entry import TOPICS, Question
from .index import _BY_ID, QUESTIONS, get_question
from .pointers import (
    _errata_ids,
    _experiment_ids,
    _repo_root,
    _resolve_code,
    _resolve_command,
    _resolve_test,
    _test_names,
    related_commands,
    unresolved,
)
from .searching import _FIELDS, _STOP, _fields, _terms, search
from .source_000 import _S000
from .source_002 import _S002
from .source_003 import _S003, _THEORY
from .source_003_advanced import _ADVANCED
from .source_003_appendix import _APPENDIX
from .source_003_basics import _BASICS
from .source_003_practice import _PRACTICE
from .source_004 import _S004

__all__ = ["Question", "TOPICS", "QUESTIONS", "get_question", "search",
           "unresolved", "related_commands"]
