"""The training monitor: per-layer activation and gradient statistics, warnings, plots.

"Babysitting the learning process" (source 000 Q64): watch, per layer, what the activations and
gradients do while a net trains, and say early when something is wrong. Source 003's
vanishing/exploding table gives the symptoms: early layers whose gradients are far smaller (or
larger) than the last layer's, NaN weights or losses; dead ReLUs and saturated sigmoid/tanh
units are the usual causes.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass, field
from typing import IO

import numpy as np

from .. import nn
from ..autograd import is_grad_enabled, observe
from ..ops import activation as _act
from ..tensor import Tensor
from ..train.callbacks import Callback


class DiagnosisWarning(RuntimeWarning):
    """Issued by :class:`Monitor` for vanishing/exploding gradients, dead or saturated units and
    NaN/Inf values; ``warnings.simplefilter("error", DiagnosisWarning)`` turns them into errors."""


@dataclass
class Finding:
    """One problem the monitor saw: ``kind`` (``"vanishing"``, ``"exploding"``, ``"dead"``,
    ``"saturated"``, ``"nonfinite"`` or ``"diverging"``; the layer of a diverging loss is
    ``"loss"``) at ``layer``, first at sampled step ``step`` (with its
    ``message`` and ``value``), seen ``count`` times up to ``last_step``."""

    kind: str
    layer: str
    step: int
    message: str
    value: float
    count: int = 1
    last_step: int = 0

    def __str__(self) -> str:
        return self.message


@dataclass
class ActivationStats:
    """Statistics of one layer's output at one sampled step (all calls of the layer in that
    step pooled). ``dead_fraction`` is set for ReLU layers, ``saturated_fraction`` for Sigmoid
    and Tanh layers, else None; ``nonfinite`` counts NaN/Inf elements."""

    mean: float
    std: float
    numel: int
    nonfinite: int
    dead_fraction: float | None = None
    saturated_fraction: float | None = None


@dataclass
class StepRecord:
    """What the monitor recorded at one sampled step.

    ``activations``: leaf-module name -> :class:`ActivationStats`; ``grad_norms`` and
    ``update_ratios``: parameter name -> ``||g||`` and ``||w_after - w_before|| / ||w_before||``;
    ``layer_grad_norms`` and ``layer_grad_rms``: layer name -> norm of all its parameters'
    gradients, and that norm over ``sqrt(number of elements)``; ``layer_update_ratios``:
    layer name -> the update-to-weight ratio of all its parameters together.
    """

    step: int
    activations: dict[str, ActivationStats] = field(default_factory=dict)
    grad_norms: dict[str, float] = field(default_factory=dict)
    update_ratios: dict[str, float] = field(default_factory=dict)
    layer_grad_norms: dict[str, float] = field(default_factory=dict)
    layer_grad_rms: dict[str, float] = field(default_factory=dict)
    layer_update_ratios: dict[str, float] = field(default_factory=dict)


class _Acc:
    """Pooled statistics of a layer's outputs within one step (Chan's parallel mean/variance)."""

    __slots__ = ("n", "mean", "m2", "nonfinite", "dead", "units", "sat", "sat_n", "sample")

    def __init__(self) -> None:
        self.n = 0
        self.mean = 0.0
        self.m2 = 0.0
        self.nonfinite = 0
        self.dead = 0
        self.units = 0
        self.sat = 0
        self.sat_n = 0
        self.sample = None


def _norm64(a: np.ndarray) -> float:
    return float(np.linalg.norm(a.astype(np.float64, copy=False).ravel()))


def _check_prob(value: float, name: str) -> float:
    if not 0 < value < 1:
        raise ValueError(f"Monitor: {name} must be in (0, 1), got {value!r}")
    return float(value)


def _check_positive(value: float | None, name: str) -> float | None:
    if value is None:
        return None
    if not value > 0:
        raise ValueError(f"Monitor: {name} must be > 0, got {value!r}")
    return float(value)


class Monitor(Callback):
    """Per-layer activation and gradient statistics with warnings and plots (source 000 Q64,
    "babysitting the learning process"; source 003's vanishing/exploding table).

    Forward hooks on every leaf module record, at sampled steps, the output's mean and standard
    deviation (population, ``ddof=0``) and NaN/Inf count; for ``nn.ReLU`` layers the fraction of
    dead units (a unit, i.e. a feature or channel, dim 1, that is zero for every sample and
    position of the batch); for ``nn.Sigmoid`` and ``nn.Tanh`` layers the fraction of saturated
    outputs (``sigmoid < sigmoid_low`` or ``> sigmoid_high``; ``|tanh| > tanh_threshold``). Only
    forwards run with grad enabled count (evaluation under ``no_grad`` is left out). After the
    optimizer step it reads each parameter's gradient norm ``||g||`` and the update-to-weight
    ratio ``||w_t - w_{t-1}|| / ||w_{t-1}||`` (around 1e-3 is healthy, source 000 Q64).
    Activations a module's own ``forward`` applies as functions (``F.relu``, ``torch.sigmoid``,
    ``x.tanh()``, as in the zoo's residual blocks) are recorded too, under the module's name
    with the function's (``layer1.0/relu``, type ``F.relu``), all such calls of one module and
    kind pooled.

    A *layer* is a module that holds parameters, in ``named_modules()`` order (for Sequential
    and the zoo, the forward order). Its gradient size is the RMS ``||g|| / sqrt(numel)`` of all
    its parameters' gradients, so that layers of different widths compare. Findings (each also a
    :class:`DiagnosisWarning`, issued once per kind and layer, unless ``warn=False``):

    * ``vanishing``: a layer's gradient RMS is below ``vanishing_ratio`` (default 1e-3) times the
      last layer's. Measured at initialization on 10-layer, width-32 MLPs: sigmoid (default
      init) gives 1e-9 for the first layer; ReLU with He init stays above 2e-2.
    * ``exploding``: a layer's gradient RMS is above ``exploding_ratio`` (default 100) times the
      last layer's, or its gradient norm exceeds ``max_grad_norm`` (default 1e3; None: off).
    * ``dead``: a ReLU layer with at least ``dead_threshold`` (default 0.5) of its units dead.
    * ``saturated``: a Sigmoid/Tanh layer with at least ``saturated_threshold`` (default 0.5)
      of its outputs saturated.
    * ``nonfinite``: NaN or Inf in a layer's parameters, in its gradients, or in the output of
      the first layer (in execution order) whose output has any.
    * ``diverging`` (layer ``"loss"``): the training loss is NaN/Inf or above 1000 times the
      largest loss of the first 10 steps (the rule of :class:`gradlab.train.TrainingDiverged`).
      Checked at every step, sampled or not, from the loss the Trainer reports (or the
      ``loss`` given to :meth:`step`): one comparison a step. When the Trainer stops on
      divergence the monitor records the step it stopped at.

    Statistics are taken every ``every`` steps (default 20). A sampled step costs about as much
    CPU time as a training step of the digits MLP and 0.7 of one of LeNet-5 (copies of the
    weights, norms, activation passes), so the default adds about 3-5%; other steps pay one
    flag test per module call. Use it as a Trainer
    callback (``callbacks=[monitor]``; when the loss becomes NaN/Inf the monitor checks the
    weights) or by hand, calling :meth:`step` once per training step after
    ``optimizer.step()`` and before the gradients are zeroed. :meth:`plot` writes PNGs,
    :meth:`remove` detaches the hooks. With ``file`` (e.g. ``sys.stdout``) new findings are
    also printed at the end of each Trainer epoch.
    """

    def __init__(self, model: nn.Module, every: int = 20, *, vanishing_ratio: float = 1e-3,
                 exploding_ratio: float = 100.0, max_grad_norm: float | None = 1e3,
                 dead_threshold: float = 0.5, saturated_threshold: float = 0.5,
                 tanh_threshold: float = 0.99, sigmoid_low: float = 0.01,
                 sigmoid_high: float = 0.99, warn: bool = True, file: IO[str] | None = None,
                 histogram_samples: int = 20000) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"Monitor: model must be a gradlab.nn.Module, got "
                            f"{type(model).__name__}")
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"Monitor: every must be an integer >= 1, got {every!r}")
        self.model = model
        self.every = every
        self.vanishing_ratio = _check_prob(vanishing_ratio, "vanishing_ratio")
        self.exploding_ratio = _check_positive(exploding_ratio, "exploding_ratio")
        if self.exploding_ratio <= 1:
            raise ValueError(f"Monitor: exploding_ratio must be > 1, got {exploding_ratio!r}")
        self.max_grad_norm = _check_positive(max_grad_norm, "max_grad_norm")
        self.dead_threshold = _check_prob(dead_threshold, "dead_threshold")
        self.saturated_threshold = _check_prob(saturated_threshold, "saturated_threshold")
        self.tanh_threshold = _check_prob(tanh_threshold, "tanh_threshold")
        self.sigmoid_low = _check_prob(sigmoid_low, "sigmoid_low")
        self.sigmoid_high = _check_prob(sigmoid_high, "sigmoid_high")
        if self.sigmoid_low >= self.sigmoid_high:
            raise ValueError(f"Monitor: sigmoid_low ({sigmoid_low}) must be below sigmoid_high "
                             f"({sigmoid_high})")
        if isinstance(histogram_samples, bool) or not isinstance(histogram_samples, int) \
                or histogram_samples < 1:
            raise ValueError(f"Monitor: histogram_samples must be an integer >= 1, got "
                             f"{histogram_samples!r}")
        self.histogram_samples = histogram_samples
        self.warn = warn
        self.file = file

        self.records: list[StepRecord] = []
        self.findings: list[Finding] = []
        self._by_key: dict[tuple[str, str, str], Finding] = {}
        self._printed = 0
        self.layer_types: dict[str, str] = {}
        self.layers: dict[str, list[tuple[str, object]]] = {}  # layer -> [(param name, param)]
        self._handles = []
        self._running: list[str] = []  # the modules whose forward is running, outermost first
        self._leaves: set[str] = set()
        self._order: list[str] = []  # leaf modules in the order their forwards ran
        self._pending: dict[str, _Acc] = {}
        self.histograms_first: dict[str, np.ndarray] = {}
        self.histograms_last: dict[str, np.ndarray] = {}
        self._step = 0
        self._first_losses: list[float] = []  # the first DIVERGENCE_WARMUP losses
        self._removed = False
        root = type(model).__name__
        for name, m in model.named_modules():
            label = name or root
            own = [(f"{name}.{pn}" if name else pn, p)
                   for pn, p in m.named_parameters(recurse=False)]
            if own:
                self.layers[label] = own
                self.layer_types[label] = type(m).__name__
            self._handles.append(m.register_forward_pre_hook(self._enter(label)))
            if next(m.children(), None) is None:
                self._leaves.add(label)
                self.layer_types[label] = type(m).__name__
                kind = ("relu" if isinstance(m, nn.ReLU) else "sigmoid"
                        if isinstance(m, nn.Sigmoid) else "tanh" if isinstance(m, nn.Tanh)
                        else None)
                self._handles.append(m.register_forward_hook(self._hook(label, kind)))
            self._handles.append(m.register_forward_hook(self._leave, always_call=True))
        # observe(self._functional) while a sampled forward of the model runs: entered by the
        # outermost module's pre-hook, left by its forward hook, which runs (always_call)
        # when the forward raises too: an exception ends the observation
        self._observer = None
        self._sampling = True
        self._snapshot = self._take_snapshot()

    # ------------------------------------------------------------------ recording
    @property
    def steps_seen(self) -> int:
        """Training steps counted so far (calls of :meth:`step`)."""
        return self._step

    def _hook(self, label: str, kind: str | None):
        def hook(module, args, out):
            if self._sampling and is_grad_enabled():
                self._observe(label, kind, out)

        return hook

    def _enter(self, label: str):
        def hook(module, args):
            if not self._running and self._sampling and self._observer is None:
                self._observer = observe(self._functional)
                self._observer.__enter__()
            self._running.append(label)

        return hook

    def _leave(self, module, args, out) -> None:
        if self._running:
            self._running.pop()
        if not self._running:
            self._stop_observing()

    def _stop_observing(self) -> None:
        if self._observer is not None:
            self._observer.__exit__(None, None, None)
            self._observer = None

    _FUNCTIONAL = {_act.ReLU: "relu", _act.Sigmoid: "sigmoid", _act.Tanh: "tanh"}

    def _functional(self, cls, args, kwargs, results) -> None:
        """Apply observer: an activation op run directly by a module's forward (not by a leaf
        activation module, whose own hook records it)."""
        if not (self._sampling and self._running) or cls not in self._FUNCTIONAL:
            return
        owner = self._running[-1]
        if owner in self._leaves or not is_grad_enabled():
            return
        kind = self._FUNCTIONAL[cls]
        label = f"{owner}/{kind}"
        self.layer_types.setdefault(label, f"F.{kind}")
        self._observe(label, kind, results[0])

    def _observe(self, label: str, kind: str | None, out) -> None:
        if isinstance(out, (tuple, list)):
            out = next((o for o in out if isinstance(o, Tensor)), None)
        if not isinstance(out, Tensor) or out.array.dtype.kind != "f" or out.array.size == 0:
            return
        a = out.array
        acc = self._pending.get(label)
        if acc is None:
            acc = self._pending[label] = _Acc()
            if label not in self._order:
                self._order.append(label)
        n = a.size
        mean = float(np.mean(a, dtype=np.float64))
        nonfinite = 0
        if not math.isfinite(mean):
            nonfinite = int(n - np.count_nonzero(np.isfinite(a)))
            m2 = math.nan
        else:
            m2 = float(np.var(a, dtype=np.float64)) * n
        delta = mean - acc.mean
        total = acc.n + n
        acc.m2 = acc.m2 + m2 + delta * delta * acc.n * n / total
        acc.mean = acc.mean + delta * n / total
        acc.n = total
        acc.nonfinite += nonfinite
        if kind == "relu":
            if a.ndim >= 2:
                axes = (0,) + tuple(range(2, a.ndim))
                alive = np.any(a != 0, axis=axes)
                acc.dead += int(alive.size - np.count_nonzero(alive))
                acc.units += int(alive.size)
            else:
                acc.dead += int(not np.any(a != 0))
                acc.units += 1
        elif kind is not None:
            if kind == "sigmoid":
                sat = np.count_nonzero((a < self.sigmoid_low) | (a > self.sigmoid_high))
            else:
                sat = np.count_nonzero(np.abs(a) > self.tanh_threshold)
            acc.sat += int(sat)
            acc.sat_n += n
        flat = a.ravel()
        stride = -(-flat.size // self.histogram_samples)
        acc.sample = np.array(flat[::stride], dtype=np.float32)

    def _take_snapshot(self) -> dict[str, np.ndarray]:
        return {pn: p.array.copy() for params in self.layers.values() for pn, p in params}

    def step(self, loss: float | None = None) -> StepRecord | None:
        """Count one training step; at sampled steps record its statistics, check them and
        return the :class:`StepRecord` (else None). Call it after ``optimizer.step()``; with
        the step's ``loss`` (a float), a diverging loss is reported at any step."""
        if self._removed:
            raise RuntimeError("Monitor.step: the monitor was removed; create a new one")
        if loss is not None:
            self._check_loss(float(loss))
        rec = None
        if self._sampling:
            rec = self._collect()
            self.records.append(rec)
            self._check(rec)
        self._pending = {}
        self._running = []  # a forward that raised left its modules on the stack
        self._stop_observing()
        self._step += 1
        self._sampling = self._step % self.every == 0
        self._snapshot = self._take_snapshot() if self._sampling else None
        return rec

    def _collect(self) -> StepRecord:
        rec = StepRecord(self._step)
        self._collect_activations(rec)
        self._collect_parameters(rec)
        return rec

    def _collect_activations(self, rec: StepRecord) -> None:
        for label in self._order:
            acc = self._pending.get(label)
            if acc is None:
                continue
            std = math.sqrt(acc.m2 / acc.n) if math.isfinite(acc.m2) else math.nan
            rec.activations[label] = ActivationStats(
                mean=acc.mean, std=std, numel=acc.n, nonfinite=acc.nonfinite,
                dead_fraction=acc.dead / acc.units if acc.units else None,
                saturated_fraction=acc.sat / acc.sat_n if acc.sat_n else None)
            if acc.sample is not None:
                self.histograms_first.setdefault(label, acc.sample)
                self.histograms_last[label] = acc.sample

    def _collect_parameters(self, rec: StepRecord) -> None:
        snap = self._snapshot or {}
        for label, params in self.layers.items():
            sq, numel, dsq, wsq = 0.0, 0, 0.0, 0.0
            for pn, p in params:
                before = snap.get(pn)
                if before is not None and before.shape == p.array.shape:
                    d = _norm64(p.array - before)
                    w = _norm64(before)
                    rec.update_ratios[pn] = d / w if w > 0 else math.nan
                    dsq += d * d
                    wsq += w * w
                if p.grad is None:
                    continue
                g = _norm64(p.grad.array)
                rec.grad_norms[pn] = g
                sq += g * g
                numel += p.grad.array.size
            if numel:
                rec.layer_grad_norms[label] = math.sqrt(sq)
                rec.layer_grad_rms[label] = math.sqrt(sq) / math.sqrt(numel)
            if wsq > 0:
                rec.layer_update_ratios[label] = math.sqrt(dsq) / math.sqrt(wsq)

    # ------------------------------------------------------------------ findings
    def _describe(self, label: str) -> str:
        t = self.layer_types.get(label)
        return f"{label} ({t})" if t and t != label else label

    def _find(self, kind: str, label: str, step: int, value: float, message: str,
              where: str = "") -> None:
        key = (kind, label, where)
        f = self._by_key.get(key)
        if f is not None:
            f.count += 1
            f.last_step = step
            return
        f = Finding(kind, label, step, message, value, 1, step)
        self._by_key[key] = f
        self.findings.append(f)
        if self.warn:
            warnings.warn(message, DiagnosisWarning, stacklevel=4)

    def _check_loss(self, value: float) -> None:
        """The divergence rule of :class:`gradlab.train.TrainingDiverged` on one step's loss."""
        from ..train.trainer import DIVERGENCE_FACTOR, DIVERGENCE_WARMUP

        first, step = self._first_losses, self._step
        ref = max(first) if first else 0.0
        if not math.isfinite(value):
            self._find("diverging", "loss", step, value,
                       f"diverging loss: the training loss is {value} (step {step})")
        elif ref > 0 and value > DIVERGENCE_FACTOR * ref:
            self._find("diverging", "loss", step, value,
                       f"diverging loss: the training loss is {value:.4g}, over "
                       f"{DIVERGENCE_FACTOR:g} times the reference {ref:.4g} (the largest loss "
                       f"of the first {len(first)} steps) (step {step})")
        if len(first) < DIVERGENCE_WARMUP and math.isfinite(value):
            first.append(value)

    def _check_parameters(self, step: int) -> None:
        # the weights the step's forward used: the snapshot taken before its update, if any
        snap = self._snapshot or {}
        for label, params in self.layers.items():
            for pn, p in params:
                w = snap.get(pn, p.array)
                bad = int(w.size - np.count_nonzero(np.isfinite(w)))
                if bad:
                    self._find("nonfinite", label, step, bad,
                               f"NaN/Inf in the weights of {self._describe(label)}: {pn} has "
                               f"{bad} non-finite of {w.size} values (step {step})", "weights")
                    break

    def _check(self, rec: StepRecord) -> None:
        step = rec.step
        self._check_parameters(step)
        for label, st in rec.activations.items():
            if st.nonfinite:
                self._find("nonfinite", label, step, st.nonfinite,
                           f"NaN/Inf in the output of {self._describe(label)}: {st.nonfinite} "
                           f"of {st.numel} values, the first layer (in forward order) whose "
                           f"output has any (step {step})", "output")
                break
        for label, params in self.layers.items():
            bad = [pn for pn, _ in params if not math.isfinite(rec.grad_norms.get(pn, 0.0))]
            if bad:
                self._find("nonfinite", label, step, len(bad),
                           f"NaN/Inf in the gradients of {self._describe(label)}: "
                           f"{', '.join(bad)} (step {step})", "gradients")
        for label, st in rec.activations.items():
            if st.dead_fraction is not None and st.dead_fraction >= self.dead_threshold:
                self._find("dead", label, step, st.dead_fraction,
                           f"dead ReLU units at {self._describe(label)}: "
                           f"{st.dead_fraction:.0%} of its units are zero for the whole batch "
                           f"(threshold {self.dead_threshold:.0%}, step {step})")
            if (st.saturated_fraction is not None
                    and st.saturated_fraction >= self.saturated_threshold):
                rule = ("|tanh| > " + f"{self.tanh_threshold:g}"
                        if self.layer_types.get(label) in ("Tanh", "F.tanh") else
                        f"sigmoid outside [{self.sigmoid_low:g}, {self.sigmoid_high:g}]")
                self._find("saturated", label, step, st.saturated_fraction,
                           f"saturated units at {self._describe(label)}: "
                           f"{st.saturated_fraction:.0%} of its outputs have {rule} "
                           f"(threshold {self.saturated_threshold:.0%}, step {step})")
        rms = {k: v for k, v in rec.layer_grad_rms.items() if math.isfinite(v)}
        if self.max_grad_norm is not None:
            for label, g in rec.layer_grad_norms.items():
                if math.isfinite(g) and g > self.max_grad_norm:
                    self._find("exploding", label, step, g,
                               f"exploding gradients at {self._describe(label)}: gradient norm "
                               f"{g:.3g} exceeds max_grad_norm {self.max_grad_norm:g} "
                               f"(step {step})")
        if len(rms) < 2:
            return
        last = list(rms)[-1]
        ref = rms[last]
        if ref <= 0:
            return
        for label, r in list(rms.items())[:-1]:
            ratio = r / ref
            if ratio < self.vanishing_ratio:
                size = (f"gradient RMS {r:.3g} is {ratio:.2g} x that of the last layer {last} "
                        f"({ref:.3g})" if r > 0 else "its gradient is exactly zero (the last "
                        f"layer {last} has gradient RMS {ref:.3g})")
                self._find("vanishing", label, step, ratio,
                           f"vanishing gradients at {self._describe(label)}: {size}; threshold "
                           f"{self.vanishing_ratio:g} (step {step})")
            elif ratio > self.exploding_ratio:
                self._find("exploding", label, step, ratio,
                           f"exploding gradients at {self._describe(label)}: gradient RMS "
                           f"{r:.3g} is {ratio:.3g} x that of the last layer {last} ({ref:.3g}); "
                           f"threshold {self.exploding_ratio:g} (step {step})")

    def report(self, details: bool = True) -> str:
        """A line with the sampled-step and warning counts, then (``details``) the findings,
        one line each, with how often they were seen."""
        head = (f"monitor: {len(self.records)} sampled steps of {self._step} (every "
                f"{self.every})")
        if not self.findings:
            return head + ", no warnings"
        n = len(self.findings)
        head += f", {n} warning{'s' if n > 1 else ''}"
        if not details:
            return head
        lines = [head + ":"]
        for f in self.findings:
            seen = f" [seen {f.count} times, last at step {f.last_step}]" if f.count > 1 else ""
            lines.append(f"  {f.message}{seen}")
        return "\n".join(lines)

    # ------------------------------------------------------------------ series and plots
    def series(self, stat: str, name: str) -> tuple[list[int], list[float]]:
        """(steps, values) of one statistic over the sampled steps: ``stat`` is a
        :class:`StepRecord` field (``"layer_grad_norms"``, ``"grad_norms"``, ...) or an
        :class:`ActivationStats` field (``"mean"``, ``"std"``, ``"dead_fraction"``, ...);
        ``name`` a layer or parameter name."""
        steps, values = [], []
        act_fields = ActivationStats.__dataclass_fields__
        rec_fields = set(StepRecord.__dataclass_fields__) - {"step", "activations"}
        if stat not in act_fields and stat not in rec_fields:
            raise ValueError(f"Monitor.series: unknown statistic {stat!r} (choose from "
                             f"{', '.join(sorted(rec_fields) + list(act_fields))})")
        for rec in self.records:
            if stat in act_fields:
                st = rec.activations.get(name)
                v = None if st is None else getattr(st, stat)
            else:
                v = getattr(rec, stat).get(name)
            if v is not None:
                steps.append(rec.step)
                values.append(v)
        return steps, values

    def plot(self, out_dir, prefix: str = "monitor") -> list[str]:
        """Write ``<prefix>_gradients.png`` (gradient norm and update-to-weight ratio per layer
        over the sampled steps) and ``<prefix>_activations.png`` (activation histograms per
        layer, first and latest sampled step) into ``out_dir``; returns their paths."""
        from .plots import plot_activations, plot_gradients

        os.makedirs(out_dir, exist_ok=True)
        return [plot_gradients(self, os.path.join(out_dir, f"{prefix}_gradients.png")),
                plot_activations(self, os.path.join(out_dir, f"{prefix}_activations.png"))]

    # ------------------------------------------------------------------ lifecycle
    def remove(self) -> None:
        """Detach every hook from the model; the records and findings stay readable."""
        for h in self._handles:
            h.remove()
        self._handles = []
        self._stop_observing()
        self._running = []
        self._removed = True
        self._sampling = False
        self._pending = {}
        self._snapshot = None

    # ------------------------------------------------------------------ Trainer callback
    def on_fit_start(self, trainer) -> None:
        if trainer.model is not self.model:
            raise ValueError("Monitor: the Trainer's model is not the model this monitor is "
                             "attached to")
        if self._sampling and not self._removed:  # weights may have been loaded (resume)
            self._snapshot = self._take_snapshot()

    def on_batch_end(self, trainer, batch_idx: int, logs: dict) -> None:
        self.step(loss=logs.get("loss"))

    def on_epoch_end(self, trainer, epoch: int, logs: dict) -> None:
        self._print_new()

    def on_exception(self, trainer, exception: BaseException) -> None:
        from ..train.trainer import TrainingDiverged

        if isinstance(exception, FloatingPointError) and not self._removed:
            # the weights, and the outputs if the failing step was sampled (no update yet)
            rec = StepRecord(self._step)
            self._collect_activations(rec)
            self._check(rec)
        if isinstance(exception, TrainingDiverged) and not self._removed:
            what = str(exception).split("; try ")[0].split("): ", 1)[-1]
            self._find("diverging", "loss", self._step, exception.loss,
                       f"diverging loss: training stopped at step {self._step} (epoch "
                       f"{exception.epoch}, batch {exception.batch}): {what}")
        self._print_new()

    def _print_new(self) -> None:
        if self.file is None:
            return
        for f in self.findings[self._printed:]:
            print(f"monitor: {f.message}", file=self.file, flush=True)
        self._printed = len(self.findings)
