"""The answer index: source 003, its parts joined in the source's order."""

from __future__ import annotations

from .entry import Question
from .source_003_advanced import _ADVANCED
from .source_003_appendix import _APPENDIX
from .source_003_basics import _BASICS
from .source_003_practice import _PRACTICE
from .source_003_theory_1 import _THEORY_1
from .source_003_theory_2 import _THEORY_2
from .source_003_theory_3 import _THEORY_3

# ============================================================================= source 003
# Its parts, one file each: 1 基础 (source_003_basics.py), 2 进阶 (source_003_advanced.py),
# 3 理论 (source_003_theory_1.py, _2.py, _3.py), 4 实战 (source_003_practice.py) and
# 附录 B (source_003_appendix.py).

#: 3 理论, from its three files
_THEORY = _THEORY_1 + _THEORY_2 + _THEORY_3

#: Source 003 (a Q&A page in four parts, 基础, 进阶, 理论, 实战, and an appendix with the
#: receptive-field script and an IoU snippet), in the source's order. Many of its 理论 questions
#: carry only page numbers of the *Deep Learning* book (Goodfellow, Bengio and Courville): their
#: entries give a short answer of their own and point into gradlab only where something shows it.
_S003: tuple[Question, ...] = _BASICS + _ADVANCED + _THEORY + _PRACTICE + _APPENDIX
