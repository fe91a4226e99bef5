"""The training loop: :class:`Trainer` (``fit`` / ``evaluate`` / ``predict`` / checkpoints) and the
:func:`fit`, :func:`evaluate`, :func:`predict` functions that wrap it.

One epoch is the loop every PyTorch user writes by hand::

    model.train()
    for x, y in train_loader:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        # scheduler.step() here with scheduler_interval="step"
    val = evaluate(model, loss_fn, val_loader)     # eval mode, no_grad
    scheduler.step()                               # or scheduler.step(val_loss) for
                                                   # ReduceLROnPlateau

plus the bookkeeping: the epoch's mean loss (weighted by batch size), metrics, learning rate and
time go into the :class:`History`, and the callbacks run. Everything the next epoch depends on
(weights, optimizer and scheduler state, callbacks' state, every random stream) is saved by
:meth:`Trainer.save_checkpoint`, so ``fit(..., resume_from=path)`` continues a run and gives
bit-identical weights to a run that was never stopped.

Divergence: unless ``stop_on_divergence=False``, every training step checks its loss and its
gradients before the optimizer step (so the weights the model keeps are those of the last good
step) and raises :class:`TrainingDiverged` when

* the loss is NaN or infinite, or
* the loss exceeds :data:`DIVERGENCE_FACTOR` (1000) times the reference loss, the largest loss
  of the first :data:`DIVERGENCE_WARMUP` (10) steps of this ``fit`` (the steps so far while
  fewer than 10 ran; no ratio test while that reference is 0), or
* a gradient holds NaN or Inf.

A cross-entropy loss starts near ln(classes) (2.3 for 10 classes) and the measured recipes only
lower it, so the ratio test fires at about 2300 and never on them; a learning rate far too
large (``gradlab train --lr 1e6``) reaches it within a few steps. The checks cost a comparison
of the loss (already read every step) and one float64 sum per parameter's gradient.
"""

from __future__ import annotations

import json
import math
import os
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from .. import backend
from ..autograd import no_grad
from ..backend import Generator
from ..io import CheckpointError
from ..tensor import Tensor, from_numpy
from .callbacks import Callback, ModelCheckpoint
from .checkpoint import (
    atomic_write,
    capture_rng_state,
    load_training_checkpoint,
    loader_generators,
    restore_rng_state,
    save_checkpoint,
)
from .metrics import Metric, get_metric

#: a finite loss above this times the reference loss (see :data:`DIVERGENCE_WARMUP`) diverges
DIVERGENCE_FACTOR = 1e3
#: the reference loss is the largest of the first this many training steps of a ``fit``
DIVERGENCE_WARMUP = 10


class TrainingDiverged(RuntimeError, FloatingPointError):
    """Training stopped because the loss or the gradients diverged (see the module docstring
    for the rule). A RuntimeError, and a FloatingPointError as the non-finite loss error of
    earlier versions was.

    Attributes: ``epoch`` (from 1), ``batch`` (index in the epoch, from 0), ``step`` (the
    step's index in the run, from 0: the optimizer steps taken before it, as the Monitor counts
    steps), ``loss`` (the step's loss), ``reference`` (the
    reference loss, or None), ``reason`` (``"nonfinite loss"``, ``"exploding loss"`` or
    ``"nonfinite gradients"``) and ``parameters`` (the names of the non-finite gradients).
    """

    def __init__(self, message: str, *, epoch: int, batch: int, step: int, loss: float,
                 reference: float | None, reason: str, parameters: tuple = ()) -> None:
        super().__init__(message)
        self.epoch, self.batch, self.step, self.loss = epoch, batch, step, loss
        self.reference, self.reason, self.parameters = reference, reason, tuple(parameters)

    def __reduce__(self):
        return (_rebuild_diverged, (self.args[0], self.epoch, self.batch, self.step, self.loss,
                                    self.reference, self.reason, self.parameters))


def _rebuild_diverged(message, epoch, batch, step, loss, reference, reason, parameters):
    return TrainingDiverged(message, epoch=epoch, batch=batch, step=step, loss=loss,
                            reference=reference, reason=reason, parameters=parameters)


#: what the message of :class:`TrainingDiverged` suggests
DIVERGENCE_ADVICE = ("try a lower learning rate (gradlab train --lr), gradient clipping "
                     "(gradlab.nn.utils.clip_grad_norm_), or --monitor (gradlab.diagnose."
                     "Monitor) to see which layer goes wrong first")


class History:
    """Per-epoch logs of a run: a list of dicts (``epoch``, ``train_loss``, ``train_<metric>``,
    ``val_loss``, ``val_<metric>``, ``lr``, ``time``).

    ``history[i]`` is the row of the i-th epoch, ``history["val_loss"]`` the column (None
    where an epoch lacks the key), ``history.history`` the dict of columns (as Keras'
    ``History.history``).
    """

    def __init__(self, rows: Iterable[dict] = ()) -> None:
        self.rows: list[dict] = [dict(r) for r in rows]

    def append(self, logs: dict) -> None:
        self.rows.append(dict(logs))

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __getitem__(self, key: int | str):
        if isinstance(key, str):
            if key not in self.keys():
                raise KeyError(f"History has no '{key}' (keys: {', '.join(self.keys())})")
            return [r.get(key) for r in self.rows]
        return self.rows[key]

    def keys(self) -> list[str]:
        out: list[str] = []
        for r in self.rows:
            out.extend(k for k in r if k not in out)
        return out

    @property
    def history(self) -> dict[str, list]:
        return {k: self[k] for k in self.keys()}

    def best(self, monitor: str = "val_loss", mode: str = "auto") -> dict:
        """The row with the lowest (``mode='min'``) or highest (``'max'``; ``'auto'``: max for
        names containing ``acc``) value of ``monitor``."""
        if mode == "auto":
            mode = "max" if "acc" in monitor else "min"
        rows = [r for r in self.rows if r.get(monitor) is not None
                and not math.isnan(r[monitor])]
        if not rows:
            raise ValueError(f"History.best: no epoch has a value for '{monitor}'")
        pick = min if mode == "min" else max
        return pick(rows, key=lambda r: r[monitor])

    def to_json(self, path: str | os.PathLike | None = None) -> str:
        """The rows as JSON; also written (atomically) to ``path`` if given."""
        text = json.dumps(self.rows, indent=1)
        if path is not None:
            atomic_write(path, text.encode())
        return text

    def __repr__(self) -> str:
        return f"History({len(self)} epochs, keys={self.keys()})"


def _split_batch(batch: Any) -> tuple[Any, Any]:
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch[0], batch[1]
    raise TypeError(f"training and evaluation expect batches of (inputs, targets), got "
                    f"{type(batch).__name__}"
                    + (f" of length {len(batch)}" if isinstance(batch, (tuple, list)) else ""))


def _batch_size(y: Any) -> int:
    return int(y.shape[0]) if hasattr(y, "shape") and len(y.shape) else 1


def _metric_value(v: Any) -> Any:
    """Metric results as JSON-able logs values: floats, or nested lists for arrays."""
    if isinstance(v, Tensor):
        v = v.array
    if isinstance(v, np.ndarray):
        return v.item() if v.ndim == 0 else v.tolist()
    if isinstance(v, np.generic):
        return v.item()
    return v


def _fresh_metrics(metrics: Sequence[str | Metric]) -> list[Metric]:
    import copy

    out = []
    for m in metrics:
        m = copy.deepcopy(get_metric(m))
        m.reset()
        out.append(m)
    names = [m.name for m in out]
    if len(set(names)) != len(names):
        raise ValueError(f"metrics with the same name: {names}")
    return out


def evaluate(model: Any, loss_fn: Callable | None, loader: Iterable,
             metrics: Sequence[str | Metric] = ()) -> dict[str, Any]:
    """Mean loss and metrics of ``model`` over ``loader``, in eval mode under ``no_grad``.

    Returns ``{"loss": float, "<metric name>": value, ...}`` (no loss without ``loss_fn``); the
    loss is the batch-size-weighted mean of ``loss_fn``'s (mean-reduced) batch values. The
    model's training mode is restored afterwards.
    """
    ms = _fresh_metrics(metrics)
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    try:
        with no_grad():
            for batch in loader:
                x, y = _split_batch(batch)
                out = model(x)
                n = _batch_size(y)
                if loss_fn is not None:
                    total += float(loss_fn(out, y).item()) * n
                count += n
                for m in ms:
                    m.update(out, y)
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError("evaluate: the loader yielded no batches")
    result: dict[str, Any] = {}
    if loss_fn is not None:
        result["loss"] = total / count
    for m in ms:
        result[m.name] = _metric_value(m.compute())
    return result


def predict(model: Any, loader: Iterable) -> Tensor:
    """The model's outputs for every batch of ``loader``, concatenated along dim 0 (eval mode,
    ``no_grad``; training mode restored). Batches may be inputs or (inputs, targets, ...)."""
    was_training = model.training
    model.eval()
    outs = []
    try:
        with no_grad():
            for batch in loader:
                x = batch[0] if isinstance(batch, (tuple, list)) else batch
                out = model(x)
                outs.append(out.array if isinstance(out, Tensor) else np.asarray(out))
    finally:
        model.train(was_training)
    if not outs:
        raise ValueError("predict: the loader yielded no batches")
    return from_numpy(np.concatenate(outs, axis=0))


def _plateau_class():
    try:
        from ..optim.lr_scheduler import ReduceLROnPlateau
    except ImportError:
        return None
    return ReduceLROnPlateau


class Trainer:
    """Trains ``model`` with ``optimizer`` on ``loss_fn(model(x), y)``, epoch by epoch.

    Args:
        model: a Module; ``loss_fn``: ``loss_fn(output, target)`` -> scalar Tensor.
        optimizer: a gradlab.optim optimizer (anything with ``zero_grad``, ``step``,
            ``param_groups`` and ``state_dict``/``load_state_dict``).
        scheduler: an LR scheduler, stepped once per epoch after validation
            (``scheduler_interval="step"``: after every optimizer step). A
            ``ReduceLROnPlateau`` is stepped with the epoch's ``scheduler_monitor`` value.
        callbacks: :class:`~gradlab.train.callbacks.Callback` objects.
        metrics: names (``"accuracy"``, ``"top5_accuracy"``, ``"confusion_matrix"``) or
            :class:`~gradlab.train.metrics.Metric` objects, computed on the training batches
            (``train_<name>``, in train mode, as Keras does) and on validation (``val_<name>``).
        generators: further named :class:`~gradlab.Generator` objects to save in checkpoints
            (the DataLoaders' own generators are found and saved automatically).
        stop_on_divergence: raise :class:`TrainingDiverged` (before the optimizer step) when a
            step's loss is NaN/Inf or over 1000 times the largest loss of the first 10 steps,
            or a gradient is NaN/Inf (see the module docstring). ``False`` trains on
            regardless: no check at all.

    State: ``epoch`` (epochs completed), ``global_step`` (optimizer steps), ``history``,
    ``epochs`` (the target of the current fit), ``stop_training``, and ``extra_state``: a dict
    of the caller's own (JSON-able, tensors allowed) that is saved in every checkpoint and
    restored on resume (``gradlab train`` keeps its command-line settings there).
    """

    def __init__(self, model: Any, loss_fn: Callable, optimizer: Any, scheduler: Any = None,
                 callbacks: Sequence[Callback] = (), metrics: Sequence[str | Metric] = (),
                 scheduler_interval: str = "epoch", scheduler_monitor: str = "val_loss",
                 generators: dict[str, Generator] | None = None,
                 stop_on_divergence: bool = True) -> None:
        if not isinstance(stop_on_divergence, bool):
            raise TypeError(f"Trainer: stop_on_divergence must be True or False, got "
                            f"{stop_on_divergence!r}")
        if scheduler_interval not in ("epoch", "step"):
            raise ValueError(f"Trainer: scheduler_interval must be 'epoch' or 'step', got "
                             f"{scheduler_interval!r}")
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"Trainer: callbacks must be gradlab.train.Callback objects, "
                                f"got {type(cb).__name__}")
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.scheduler = scheduler
        plateau = _plateau_class()
        self._plateau = plateau is not None and isinstance(scheduler, plateau)
        if self._plateau and scheduler_interval == "step":
            raise ValueError("Trainer: ReduceLROnPlateau needs an epoch's metric; use "
                             "scheduler_interval='epoch'")
        self.scheduler_interval, self.scheduler_monitor = scheduler_interval, scheduler_monitor
        self.callbacks = list(callbacks)
        self.metrics = list(metrics)
        _fresh_metrics(self.metrics)  # validates names now rather than after an epoch
        self.generators = dict(generators or {})
        self.history = History()
        self.epoch = 0
        self.global_step = 0
        self.epochs = 0
        self.stop_training = False
        self.extra_state: dict[str, Any] = {}
        self.train_loader: Iterable | None = None
        self.val_loader: Iterable | None = None
        self.stop_on_divergence = stop_on_divergence
        self._first_losses: list[float] = []  # the first DIVERGENCE_WARMUP losses of a fit
        self._named_params: list[tuple[str, Any]] = []

    # ------------------------------------------------------------------ callbacks
    def _ordered_callbacks(self) -> list[Callback]:
        # checkpoints last: the files they write hold the other callbacks' updated state
        return ([c for c in self.callbacks if not isinstance(c, ModelCheckpoint)]
                + [c for c in self.callbacks if isinstance(c, ModelCheckpoint)])

    def _call(self, hook: str, *args) -> None:
        for cb in self._ordered_callbacks():
            getattr(cb, hook)(self, *args)

    def _callback_keys(self) -> list[tuple[str, Callback]]:
        return [(f"{i}:{type(cb).__name__}", cb) for i, cb in enumerate(self.callbacks)]

    # ------------------------------------------------------------------ checkpoints
    def _all_generators(self) -> dict[str, Generator]:
        gens = {}
        if self.train_loader is not None:
            gens.update(loader_generators(self.train_loader, "train_loader"))
        if self.val_loader is not None:
            gens.update(loader_generators(self.val_loader, "val_loader"))
        gens.update(self.generators)
        return gens

    def save_checkpoint(self, path: str | os.PathLike) -> None:
        """Write the whole training state to ``path`` (atomically; see
        :mod:`gradlab.train.checkpoint`)."""
        save_checkpoint(path, model=self.model, optimizer=self.optimizer,
                        scheduler=self.scheduler, epoch=self.epoch,
                        global_step=self.global_step, history=self.history.rows,
                        rng=capture_rng_state(self._all_generators()),
                        callbacks={k: cb.state_dict() for k, cb in self._callback_keys()},
                        extra=self.extra_state)

    def load_checkpoint(self, path: str | os.PathLike) -> dict:
        """Restore the state saved by :meth:`save_checkpoint` into this trainer's model,
        optimizer, scheduler, callbacks and random streams (the DataLoaders' generators are
        those of the loaders given to the current ``fit``). Returns the loaded checkpoint."""
        ckpt = load_training_checkpoint(path, self.model, self.optimizer, self.scheduler)
        for name, obj in (("optimizer", self.optimizer), ("scheduler", self.scheduler)):
            if (ckpt[name] is None) != (obj is None):
                where = "the checkpoint" if ckpt[name] is not None else "this trainer"
                warnings.warn(f"resume: only {where} has a {name}; its state is not restored "
                              "and the run will not repeat the original one", stacklevel=3)
        saved = ckpt["callbacks"]
        for key, cb in self._callback_keys():
            if key in saved:
                try:
                    cb.load_state_dict(saved[key])
                except (KeyError, TypeError, ValueError) as exc:
                    raise CheckpointError(f"{os.fspath(path)}: 'callbacks/{key}' does not fit "
                                          f"{type(cb).__name__}: {type(exc).__name__}: "
                                          f"{exc}") from None
        self.epoch, self.global_step = ckpt["epoch"], ckpt["global_step"]
        self.history = History(ckpt["history"])
        self.extra_state = ckpt["extra"]
        restore_rng_state(ckpt["rng"], self._all_generators())
        return ckpt

    # ------------------------------------------------------------------ the loop
    def _lr(self) -> float | None:
        groups = getattr(self.optimizer, "param_groups", None)
        return float(groups[0]["lr"]) if groups else None

    def _train_epoch(self, epoch: int, metrics: list[Metric]) -> float:
        model, opt = self.model, self.optimizer
        model.train()
        total, count = 0.0, 0
        for batch_idx, batch in enumerate(self.train_loader):
            self._call("on_batch_start", batch_idx)
            x, y = _split_batch(batch)
            opt.zero_grad()
            out = model(x)
            loss = self.loss_fn(out, y)
            value = float(loss.item())
            if self.stop_on_divergence:  # before the step: the weights stay those of the last
                self._check_loss(value, epoch, batch_idx)  # good step
            loss.backward()
            if self.stop_on_divergence:
                self._check_gradients(value, epoch, batch_idx)
            opt.step()
            if self.scheduler is not None and self.scheduler_interval == "step":
                self.scheduler.step()
            self.global_step += 1
            n = _batch_size(y)
            total += value * n
            count += n
            for m in metrics:
                m.update(out, y)
            self._call("on_batch_end", batch_idx, {"loss": value, "batch_size": n})
        if count == 0:
            raise ValueError("fit: the training loader yielded no batches")
        return total / count

    def _diverged(self, what: str, value: float, epoch: int, batch_idx: int, reason: str,
                  parameters: tuple = ()) -> TrainingDiverged:
        ref = max(self._first_losses) if self._first_losses else None
        return TrainingDiverged(
            f"training diverged at epoch {epoch}, batch {batch_idx} (step {self.global_step}): "
            f"{what}; {DIVERGENCE_ADVICE}", epoch=epoch,
            batch=batch_idx, step=self.global_step, loss=value, reference=ref, reason=reason,
            parameters=parameters)

    def _check_loss(self, value: float, epoch: int, batch_idx: int) -> None:
        """The loss rules of the module docstring; raises TrainingDiverged."""
        if not math.isfinite(value):
            raise self._diverged(f"the training loss is {value}", value, epoch, batch_idx,
                                 "nonfinite loss")
        first = self._first_losses
        ref = max(first) if first else 0.0
        if ref > 0 and value > DIVERGENCE_FACTOR * ref:
            raise self._diverged(
                f"the training loss is {value:.4g}, over {DIVERGENCE_FACTOR:g} times the "
                f"reference {ref:.4g} (the largest loss of the first {len(first)} "
                f"step{'s' if len(first) > 1 else ''})", value, epoch, batch_idx,
                "exploding loss")
        if len(first) < DIVERGENCE_WARMUP:
            first.append(value)

    def _check_gradients(self, value: float, epoch: int, batch_idx: int) -> None:
        """NaN/Inf in a gradient (one float64 sum per parameter); raises TrainingDiverged."""
        bad = None
        for _, p in self._named_params:
            g = p.grad
            if g is not None and not math.isfinite(float(np.sum(g.array, dtype=np.float64))):
                bad = [n for n, q in self._named_params if q.grad is not None
                       and not np.all(np.isfinite(q.grad.array))]
                break
        if bad:
            shown = ", ".join(bad[:3]) + (f" and {len(bad) - 3} more" if len(bad) > 3 else "")
            raise self._diverged(f"NaN/Inf in the gradients of {shown} (the training loss is "
                                 f"{value:.4g})", value, epoch, batch_idx,
                                 "nonfinite gradients", tuple(bad))

    def fit(self, train_loader: Iterable, val_loader: Iterable | None = None, epochs: int = 1,
            resume_from: str | os.PathLike | None = None) -> History:
        """Train until ``epochs`` epochs are complete in total, then return the history.

        With ``resume_from`` (a checkpoint from :meth:`save_checkpoint` or
        :class:`ModelCheckpoint`) the whole state is restored first and training continues
        after the saved epoch; give the same kind of model, optimizer, scheduler, loaders and
        callbacks as the original run to repeat it bit for bit. Training also ends when a
        callback sets ``stop_training``. A diverging loss raises :class:`TrainingDiverged`
        (see ``stop_on_divergence``); the callbacks' ``on_exception`` see it first, and the
        checkpoints hold the last completed epoch.
        """
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
            raise ValueError(f"fit: epochs must be an integer >= 0, got {epochs!r}")
        backend.use_tuned_allocator()  # reuse freed array memory: no page faults per step
        self.train_loader, self.val_loader, self.epochs = train_loader, val_loader, epochs
        if resume_from is not None:
            self.load_checkpoint(resume_from)
        self.stop_training = False
        self._first_losses = []
        named = getattr(self.model, "named_parameters", None)
        self._named_params = list(named()) if callable(named) else []
        try:
            self._call("on_fit_start")
            while self.epoch < epochs and not self.stop_training:
                epoch = self.epoch + 1
                self._call("on_epoch_start", epoch)
                start = time.perf_counter()
                lr = self._lr()
                train_metrics = _fresh_metrics(self.metrics)
                logs: dict[str, Any] = {"epoch": epoch,
                                        "train_loss": self._train_epoch(epoch, train_metrics)}
                for m in train_metrics:
                    logs[f"train_{m.name}"] = _metric_value(m.compute())
                if val_loader is not None:
                    for k, v in evaluate(self.model, self.loss_fn, val_loader,
                                         self.metrics).items():
                        logs[f"val_{k}"] = v
                if self.scheduler is not None and self.scheduler_interval == "epoch":
                    if self._plateau:
                        if self.scheduler_monitor not in logs:
                            raise ValueError(
                                f"fit: ReduceLROnPlateau monitors '{self.scheduler_monitor}', "
                                "which is not in the epoch logs (pass val_loader, or "
                                "scheduler_monitor='train_loss')")
                        self.scheduler.step(logs[self.scheduler_monitor])
                    else:
                        self.scheduler.step()
                if lr is not None:
                    logs["lr"] = lr
                logs["time"] = time.perf_counter() - start
                self.epoch = epoch
                self.history.append(logs)
                self._call("on_epoch_end", epoch, logs)
            self._call("on_fit_end")
        except BaseException as exc:
            for cb in self._ordered_callbacks():
                cb.on_exception(self, exc)
            raise
        return self.history

    def evaluate(self, loader: Iterable, metrics: Sequence[str | Metric] | None = None
                 ) -> dict[str, Any]:
        """:func:`evaluate` with this trainer's model, loss and (by default) metrics."""
        return evaluate(self.model, self.loss_fn, loader,
                        self.metrics if metrics is None else metrics)

    def predict(self, loader: Iterable) -> Tensor:
        """:func:`predict` with this trainer's model."""
        return predict(self.model, loader)


def fit(model: Any, loss_fn: Callable, optimizer: Any, train_loader: Iterable,
        val_loader: Iterable | None = None, epochs: int = 1, scheduler: Any = None,
        callbacks: Sequence[Callback] = (), metrics: Sequence[str | Metric] = (),
        resume_from: str | os.PathLike | None = None, scheduler_interval: str = "epoch",
        scheduler_monitor: str = "val_loss",
        generators: dict[str, Generator] | None = None,
        stop_on_divergence: bool = True) -> History:
    """Train ``model`` for ``epochs`` epochs and return the :class:`History`: a
    :class:`Trainer` built from the arguments, then ``Trainer.fit``. See :class:`Trainer` for
    the arguments (``stop_on_divergence``: raise :class:`TrainingDiverged` when the loss or
    the gradients diverge) and :meth:`Trainer.fit` for ``resume_from``."""
    trainer = Trainer(model, loss_fn, optimizer, scheduler=scheduler, callbacks=callbacks,
                      metrics=metrics, scheduler_interval=scheduler_interval,
                      scheduler_monitor=scheduler_monitor, generators=generators,
                      stop_on_divergence=stop_on_divergence)
    return trainer.fit(train_loader, val_loader, epochs=epochs, resume_from=resume_from)
