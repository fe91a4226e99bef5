"""What an experiment of the lab is: a claim from the seeds, a protocol that measures it, and
a verdict computed from the measured numbers by stated thresholds.

An experiment subclasses :class:`Experiment`, fills in the class attributes and writes two
methods:

* ``measure(seed, quick) -> Measurement``: runs the protocol and returns its numbers (plain
  JSON values) and its figures (PNG bytes, made with :func:`new_figure` / :func:`png`);
* ``judge(numbers) -> Verdict``: a pure function of the numbers. The thresholds it uses are
  named in ``thresholds`` and quoted in the explanation, so the verdict never comes from a
  hard-coded answer and can be unit-tested on synthetic numbers on both sides of each
  threshold.

``Experiment.run(seed, quick)`` seeds gradlab's and NumPy's random streams, runs the protocol
under one BLAS thread (the same sums on every machine), times it and returns a
:class:`Result`.

    class SigmoidDepth(Experiment):
        id = "sigmoid-depth"
        ...
        def measure(self, seed, quick): ...
        def judge(self, numbers): ...

    EXPERIMENT = SigmoidDepth()   # what the registry picks up from the module
"""

from __future__ import annotations

import io
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from gradlab import backend

HOLDS = "holds"
CAVEATS = "holds with caveats"
FAILS = "does not hold"
VERDICTS = (HOLDS, CAVEATS, FAILS)


@dataclass
class Figure:
    """One plot of an experiment: a file-name stem, a caption and the PNG bytes."""

    name: str
    caption: str
    png: bytes


@dataclass
class Measurement:
    """What ``measure`` returns: named numbers (JSON-serialisable: numbers, strings, lists and
    dicts of them) and the figures."""

    numbers: dict[str, Any]
    figures: list[Figure] = field(default_factory=list)


@dataclass
class Verdict:
    """What ``judge`` returns: one of ``VERDICTS``, a two-to-four-sentence explanation that
    cites the numbers, and the key number as short text for the report's table
    (e.g. ``"gradient ratio 0.21 per layer"``)."""

    verdict: str
    explanation: str
    key: str

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"Verdict: verdict must be one of {VERDICTS}, got {self.verdict!r}")


@dataclass
class Result:
    """One run of one experiment: its identity, numbers, figures, verdict and timing."""

    id: str
    title: str
    seed_ref: str
    claim: str
    seed: int
    quick: bool
    numbers: dict[str, Any]
    figures: list[Figure]
    verdict: str
    explanation: str
    key: str
    seconds: float

    def to_json(self) -> dict[str, Any]:
        """The result without figure bytes (figures by name and caption)."""
        d = asdict(self)
        d["figures"] = [{"name": f.name, "caption": f.caption} for f in self.figures]
        return d


class Experiment:
    """Base class of the lab's experiments (see the module docstring)."""

    #: short identifier used on the command line, e.g. ``"sigmoid-depth"``
    id: str = ""
    #: one-line title
    title: str = ""
    #: where the claim is made: seed file and question/section, e.g. ``"seed 000 Q64"``
    seed_ref: str = ""
    #: the claim in English
    claim: str = ""
    #: the original sentence of the seed (Chinese), quoted
    claim_zh: str = ""
    #: the protocol in a few lines
    protocol: str = ""
    #: the thresholds ``judge`` applies, by name (quoted in the report)
    thresholds: dict[str, float] = {}
    #: an error in the seed that this experiment shows, with its correction (or None)
    seed_error: str | None = None

    def measure(self, seed: int, quick: bool) -> Measurement:
        raise NotImplementedError(f"{type(self).__name__}.measure is not written")

    def judge(self, numbers: dict[str, Any]) -> Verdict:
        raise NotImplementedError(f"{type(self).__name__}.judge is not written")

    def run(self, seed: int = 0, quick: bool = True, threads: int | None = 1) -> Result:
        """Seed, measure under ``threads`` BLAS threads (None: leave as is), judge, time."""
        backend.manual_seed(seed)
        np.random.seed(seed)
        start = time.perf_counter()
        if threads is None:
            m = self.measure(seed, quick)
        else:
            with backend.num_threads(threads):
                m = self.measure(seed, quick)
        took = time.perf_counter() - start
        v = self.judge(m.numbers)
        return Result(id=self.id, title=self.title, seed_ref=self.seed_ref, claim=self.claim,
                      seed=seed, quick=quick, numbers=m.numbers, figures=m.figures,
                      verdict=v.verdict, explanation=v.explanation, key=v.key, seconds=took)

    def __repr__(self) -> str:
        return f"<experiment {self.id}: {self.title}>"


def new_figure(ncols: int = 1, nrows: int = 1, width: float = 4.5, height: float = 3.4):
    """A matplotlib Figure on a bare Agg canvas (no pyplot, no window) and its axes
    (a single Axes when ncols == nrows == 1, else a flat list)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure as MplFigure
    except ImportError:
        raise ImportError("the lab's plots need matplotlib, which is not installed: "
                          "pip install \"gradlab[lab]\" (or pip install matplotlib)") from None
    fig = MplFigure(figsize=(width * ncols, height * nrows), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    axes = [fig.add_subplot(nrows, ncols, i + 1) for i in range(nrows * ncols)]
    return fig, (axes[0] if len(axes) == 1 else axes)


def png(fig, name: str, caption: str) -> Figure:
    """Render a matplotlib figure made by :func:`new_figure` to a :class:`Figure`."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return Figure(name=name, caption=caption, png=buf.getvalue())
