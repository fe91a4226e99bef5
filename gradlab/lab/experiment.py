"""What an experiment of the lab is: a claim from the sources, a protocol that measures it, and
a verdict computed from the measured numbers by stated thresholds.

An experiment subclasses :class:`Experiment`, fills in the class attributes and writes two
methods:

* ``measure(seed, quick) -> Measurement``: runs the protocol and returns its numbers (plain
  JSON values) and its figures (PNG bytes, made with :func:`new_figure` / :func:`png`);
* ``judge(numbers) -> Verdict``: a pure function of the numbers. The thresholds it uses are
  named in ``thresholds`` and quoted in the explanation, so the verdict never comes from a
  hard-coded answer and can be unit-tested on synthetic numbers on both sides of each
  threshold. The verdict comes only from quantities that test the source's claim: each is a
  :class:`Criterion` (value, comparison, threshold) listed in ``Verdict.criteria``, and each of
  the three verdicts must be reachable from them.
* ``checks(numbers) -> list[Check]`` (optional): identities and arithmetic the protocol relies
  on (float64 symmetry, SGD+L2 = weight decay, the expectation of dropout). They never decide a
  verdict; a failed check is shown in the report and makes ``gradlab lab`` exit 1.

Thresholds and protocol are registered in advance. A change made after results were seen is
appended to ``revisions`` (a :class:`Revision`: date, what, why, which way it moved the
verdict), and the report prints them under the experiment.

The starting point of every run (initial weights, inputs) passes through :func:`perturb`, which
is the identity unless the run was given a ``jitter``: ``run(seed, quick, jitter=1e-6)``
multiplies each by ``1 + jitter * u`` (u uniform in [-1, 1]), the test that a verdict does not
hang on a last-bit difference such as another CPU's BLAS kernel produces.

``Experiment.run(seed, quick)`` seeds gradlab's and NumPy's random streams, runs the protocol
under one BLAS thread (no thread-partitioning differences; the summation order still depends on
the BLAS kernel OpenBLAS picks for the CPU), times it and returns a :class:`Result`.

    class SigmoidDepth(Experiment):
        id = "sigmoid-depth"
        ...
        def measure(self, seed, quick): ...
        def judge(self, numbers): ...

    EXPERIMENT = SigmoidDepth()   # what the registry picks up from the module
"""

from __future__ import annotations

import contextlib
import io
import math
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


_OPS = {"<=": lambda a, b: a <= b, "<": lambda a, b: a < b, ">=": lambda a, b: a >= b,
        ">": lambda a, b: a > b}


@dataclass
class Criterion:
    """One measured quantity that tests the claim, compared with a registered threshold.

    ``name`` says in plain words what is compared (``"sigmoid gradient ratio per layer"``),
    ``value`` is the measured number, ``op`` one of ``<= < >= >`` and ``threshold`` the value of
    ``Experiment.thresholds[threshold_name]``. ``passed`` is ``value op threshold``; ``margin``
    is the distance to the threshold in the direction that keeps it passing (positive: passed),
    relative to the threshold where that is not 0 (a margin of 0.5 means 50% of the threshold
    away)."""

    name: str
    value: float
    op: str
    threshold: float
    threshold_name: str = ""

    def __post_init__(self) -> None:
        if self.op not in _OPS:
            raise ValueError(f"Criterion {self.name!r}: op must be one of {sorted(_OPS)}, "
                             f"got {self.op!r}")
        self.value = float(self.value)
        self.threshold = float(self.threshold)

    @property
    def passed(self) -> bool:
        return bool(_OPS[self.op](self.value, self.threshold))

    @property
    def margin(self) -> float:
        if math.isnan(self.value):
            return float("nan")
        d = self.value - self.threshold if self.op.startswith(">") else self.threshold - self.value
        return d / abs(self.threshold) if self.threshold != 0 else d

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "op": self.op,
                "threshold": self.threshold, "threshold_name": self.threshold_name,
                "passed": self.passed, "margin": self.margin}


@dataclass
class Check:
    """An identity or piece of arithmetic the protocol relies on (not a test of the claim):
    ``name``, whether it ``passed``, and ``detail`` citing the numbers. A failed check never
    changes a verdict; it is reported and makes the lab's run exit with status 1."""

    name: str
    passed: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "passed": bool(self.passed), "detail": self.detail}


#: which way a revision moved the verdict
MOVES = ("toward holds", "toward does not hold", "none", "not known")


@dataclass(frozen=True)
class Revision:
    """A change to an experiment's protocol or thresholds made after results were seen:
    ``date`` (YYYY-MM-DD), ``what`` changed, ``why``, and ``moved``: which way it moved the
    verdict (one of ``MOVES``), with ``effect`` saying how (for example the verdicts of
    seeds 0-2 before and after)."""

    date: str
    what: str
    why: str
    moved: str
    effect: str = ""

    def __post_init__(self) -> None:
        if self.moved not in MOVES:
            raise ValueError(f"Revision: moved must be one of {MOVES}, got {self.moved!r}")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Verdict:
    """What ``judge`` returns: one of ``VERDICTS``, a two-to-four-sentence explanation that
    cites the numbers, the key number as short text for the report's table
    (e.g. ``"gradient ratio 0.21 per layer"``), the criteria the verdict was decided on, and
    notes about the machine (e.g. float32 rounding of this BLAS kernel) that do not decide it."""

    verdict: str
    explanation: str
    key: str
    criteria: list[Criterion] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"Verdict: verdict must be one of {VERDICTS}, got {self.verdict!r}")


@dataclass
class Result:
    """One run of one experiment: its identity, numbers, figures, verdict and timing."""

    id: str
    title: str
    source_ref: str
    claim: str
    seed: int
    quick: bool
    numbers: dict[str, Any]
    figures: list[Figure]
    verdict: str
    explanation: str
    key: str
    seconds: float
    criteria: list[Criterion] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    jitter: float = 0.0

    @property
    def failed_checks(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    def to_json(self) -> dict[str, Any]:
        """The result without figure bytes (figures by name and caption)."""
        d = asdict(self)
        d["figures"] = [{"name": f.name, "caption": f.caption} for f in self.figures]
        d["criteria"] = [c.to_json() for c in self.criteria]
        d["checks"] = [c.to_json() for c in self.checks]
        return d


class Experiment:
    """Base class of the lab's experiments (see the module docstring)."""

    #: short identifier used on the command line, e.g. ``"sigmoid-depth"``
    id: str = ""
    #: one-line title
    title: str = ""
    #: where the claim is made: seed file and question/section, e.g. ``"source 000 Q64"``
    source_ref: str = ""
    #: the claim in English
    claim: str = ""
    #: the original sentence of the seed (Chinese), quoted
    claim_zh: str = ""
    #: the protocol in a few lines
    protocol: str = ""
    #: the thresholds ``judge`` applies, by name (quoted in the report)
    thresholds: dict[str, float] = {}
    #: changes made after results were seen, oldest first (see :class:`Revision`)
    revisions: tuple[Revision, ...] = ()

    def measure(self, seed: int, quick: bool) -> Measurement:
        raise NotImplementedError(f"{type(self).__name__}.measure is not written")

    def judge(self, numbers: dict[str, Any]) -> Verdict:
        raise NotImplementedError(f"{type(self).__name__}.judge is not written")

    def checks(self, numbers: dict[str, Any]) -> list[Check]:
        """The identities and arithmetic of the protocol, checked on the numbers (none by
        default). Pure, like ``judge``; never decides the verdict."""
        return []

    def run(self, seed: int = 0, quick: bool = True, threads: int | None = 1,
            jitter: float = 0.0) -> Result:
        """Seed, measure under ``threads`` BLAS threads (None: leave as is) with the starting
        point perturbed by ``jitter`` (see :func:`perturb`), judge, check, time."""
        if not (jitter >= 0.0 and math.isfinite(jitter)):
            raise ValueError(f"{type(self).__name__}.run: jitter must be a finite number >= 0, "
                             f"got {jitter!r}")
        backend.manual_seed(seed)
        np.random.seed(seed)
        start = time.perf_counter()
        with _jittered(jitter, seed):
            if threads is None:
                m = self.measure(seed, quick)
            else:
                with backend.num_threads(threads):
                    m = self.measure(seed, quick)
        took = time.perf_counter() - start
        v = self.judge(m.numbers)
        checks = list(self.checks(m.numbers))
        return Result(id=self.id, title=self.title, source_ref=self.source_ref, claim=self.claim,
                      seed=seed, quick=quick, numbers=m.numbers, figures=m.figures,
                      verdict=v.verdict, explanation=v.explanation, key=v.key, seconds=took,
                      criteria=list(v.criteria), checks=checks, notes=list(v.notes),
                      jitter=float(jitter))

    def __repr__(self) -> str:
        return f"<experiment {self.id}: {self.title}>"


# ----------------------------------------------------------------------------- jitter

_JITTER: dict[str, Any] = {"scale": 0.0, "rng": None}


@contextlib.contextmanager
def _jittered(scale: float, seed: int):
    old = dict(_JITTER)
    _JITTER["scale"] = float(scale)
    _JITTER["rng"] = np.random.default_rng([7919, int(seed)]) if scale else None
    try:
        yield
    finally:
        _JITTER.update(old)


def jitter_scale() -> float:
    """The relative jitter of the run in progress (0.0 outside a jittered run)."""
    return float(_JITTER["scale"])


def perturb(x, *, shared: bool = False):
    """The starting point ``x`` of a protocol, multiplied by ``1 + jitter * u`` with u uniform
    in [-1, 1] when the running experiment was given a jitter; ``x`` itself otherwise.

    ``x`` is an ndarray (a perturbed copy is returned), a Tensor (perturbed in place, returned)
    or an ``nn.Module`` (every parameter perturbed in place, returned). ``shared=True`` draws
    one u for the whole of ``x``, which keeps a symmetric start (all weights equal) symmetric.
    Zeros stay zero: the jitter is relative. The draws come from their own stream seeded by the
    run's seed, so gradlab's and NumPy's global streams are not moved.
    """
    scale = _JITTER["scale"]
    if not scale:
        return x
    rng = _JITTER["rng"]
    from gradlab import nn
    from gradlab.tensor import Tensor

    def factor(shape, dtype):
        u = rng.uniform(-1.0, 1.0, size=() if shared else shape)
        return (1.0 + scale * u).astype(dtype)

    if isinstance(x, nn.Module):
        for p in x.parameters():
            p.array *= factor(p.array.shape, p.array.dtype)
        return x
    if isinstance(x, Tensor):
        x.array *= factor(x.array.shape, x.array.dtype)
        return x
    if isinstance(x, np.ndarray):
        if not np.issubdtype(x.dtype, np.floating):
            raise TypeError(f"perturb: only floating arrays have a relative jitter, got {x.dtype}")
        return x * factor(x.shape, x.dtype)
    raise TypeError(f"perturb: expected an ndarray, a Tensor or an nn.Module, got "
                    f"{type(x).__name__}")


# ---------------------------------------------------------------------------- figures

#: figures are rendered at this resolution; every text at least MIN_FONT_PT points
DPI = 150
MIN_FONT_PT = 9.0


def new_figure(ncols: int = 1, nrows: int = 1, width: float = 4.5, height: float = 3.4):
    """A matplotlib Figure on a bare Agg canvas (no pyplot, no window) and its axes
    (a single Axes when ncols == nrows == 1, else a flat list)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure as MplFigure
    except ImportError:
        raise ImportError("the lab's plots need matplotlib, which is not installed: "
                          "pip install \"gradlab[lab]\" (or pip install matplotlib)") from None
    fig = MplFigure(figsize=(width * ncols, height * nrows), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    axes = [fig.add_subplot(nrows, ncols, i + 1) for i in range(nrows * ncols)]
    return fig, (axes[0] if len(axes) == 1 else axes)


def figure_problems(fig) -> list[str]:
    """What makes a figure hard to read: text smaller than ``MIN_FONT_PT`` (legends, ticks,
    labels, titles) and data a log axis cannot show (values <= 0 vanish there; plot them on a
    symlog axis or mark them)."""
    from matplotlib.text import Text

    problems = []
    for t in fig.findobj(Text):
        if t.get_visible() and t.get_text().strip() and t.get_fontsize() < MIN_FONT_PT - 1e-9:
            problems.append(f"text {t.get_text()[:30]!r} is {t.get_fontsize():g} pt "
                            f"(at least {MIN_FONT_PT:g})")
    for ax in fig.axes:
        for axis, get in (("y", lambda d: d[1]), ("x", lambda d: d[0])):
            scale = ax.get_yscale() if axis == "y" else ax.get_xscale()
            if scale != "log":
                continue
            for line in ax.get_lines():
                data = np.asarray(get(line.get_data()), dtype=float)
                if data.size and np.any(np.isfinite(data) & (data <= 0)):
                    problems.append(f"line {line.get_label()!r} has values <= 0 on the log "
                                    f"{axis} axis of {ax.get_title()!r}: they vanish")
            for coll in ax.collections:
                offs = np.asarray(coll.get_offsets(), dtype=float)
                col = 1 if axis == "y" else 0
                if offs.ndim == 2 and offs.size and np.any(np.isfinite(offs[:, col])
                                                           & (offs[:, col] <= 0)):
                    problems.append(f"points {coll.get_label()!r} have values <= 0 on the log "
                                    f"{axis} axis of {ax.get_title()!r}: they vanish")
    return problems


def png(fig, name: str, caption: str) -> Figure:
    """Render a matplotlib figure made by :func:`new_figure` to a :class:`Figure`.

    Raises ValueError naming the figure when :func:`figure_problems` finds text that is too
    small or values that vanish on a log axis."""
    from PIL import Image  # matplotlib's own dependency

    # one draw: it lays the figure out and sets the tick labels the check reads, and its
    # pixels are encoded as they are (savefig would draw again)
    fig.canvas.draw()
    problems = figure_problems(fig)
    if problems:
        raise ValueError(f"figure {name!r}: " + "; ".join(problems))
    width, height = fig.canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", (width, height), fig.canvas.buffer_rgba(), "raw",
                             "RGBA", 0, 1)
    buf = io.BytesIO()
    image.save(buf, format="png", dpi=(DPI, DPI))
    return Figure(name=name, caption=caption, png=buf.getvalue())
