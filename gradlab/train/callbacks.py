"""Callbacks: code that the :class:`~gradlab.train.Trainer` runs at fixed points of training.

A callback overrides any of the hooks below; each gets the trainer, whose attributes (``model``,
``optimizer``, ``scheduler``, ``history``, ``epoch``, ``epochs``, ``global_step``,
``stop_training``) it may read, and set ``trainer.stop_training = True`` to end training after
the current epoch. Hooks run in the order the callbacks were given, except that
:class:`ModelCheckpoint` s run last in each hook (as in PyTorch Lightning), so a checkpoint holds
the other callbacks' states after they have seen the epoch.

A callback with state that must survive a resume (EarlyStopping's best value and patience count,
ModelCheckpoint's best score) returns it from ``state_dict()``: it is saved in every training
checkpoint and handed back to ``load_state_dict()`` on resume.
"""

from __future__ import annotations

import csv
import io
import math
import os
import sys
from typing import IO, Any

import numpy as np

from .checkpoint import atomic_write


class Callback:
    """Base class: every hook does nothing."""

    def on_fit_start(self, trainer) -> None:
        """Before the first epoch (after a resume has restored the state)."""

    def on_fit_end(self, trainer) -> None:
        """After the last epoch, or after the epoch in which training was stopped."""

    def on_exception(self, trainer, exception: BaseException) -> None:
        """When fit is left by an exception (including KeyboardInterrupt); it is re-raised."""

    def on_epoch_start(self, trainer, epoch: int) -> None:
        """Before the first batch of ``epoch`` (counted from 1)."""

    def on_batch_start(self, trainer, batch_idx: int) -> None:
        """Before the forward pass of training batch ``batch_idx`` (from 0 in each epoch)."""

    def on_batch_end(self, trainer, batch_idx: int, logs: dict) -> None:
        """After the optimizer step; ``logs`` holds ``loss`` (float) and ``batch_size``."""

    def on_epoch_end(self, trainer, epoch: int, logs: dict) -> None:
        """After training, validation and the scheduler step of ``epoch``; ``logs`` is the
        epoch's row of the history (already appended to ``trainer.history``)."""

    def state_dict(self) -> dict:
        """State to keep in training checkpoints (tensors, arrays, numbers, strings)."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` returned."""


def _resolve_mode(mode: str, monitor: str, who: str) -> str:
    if mode == "auto":
        return "max" if "acc" in monitor else "min"
    if mode not in ("min", "max"):
        raise ValueError(f"{who}: mode must be 'min', 'max' or 'auto', got {mode!r}")
    return mode


def _monitored(logs: dict, monitor: str, who: str) -> float:
    if monitor not in logs:
        hint = " (pass val_loader to fit)" if monitor.startswith("val_") else ""
        scalars = [k for k, v in logs.items() if isinstance(v, (int, float))
                   and k not in ("epoch", "time")]
        raise ValueError(f"{who}: monitor '{monitor}' is not in the epoch logs{hint}; "
                         f"available: {', '.join(scalars)}")
    return float(logs[monitor])


def _improved(value: float, best: float, mode: str, min_delta: float) -> bool:
    if math.isnan(value):
        return False
    return value < best - min_delta if mode == "min" else value > best + min_delta


def format_logs(logs: dict) -> str:
    """One epoch's logs as ``train_loss 0.1234  val_accuracy 97.22%  lr 0.001  1.3s``:
    accuracies in percent, non-scalar values (a confusion matrix) left out."""
    parts = []
    for k, v in logs.items():
        if k in ("epoch", "time") or isinstance(v, bool) or not isinstance(v, (int, float)):
            continue
        if "accuracy" in k:
            parts.append(f"{k} {v:.2%}")
        elif k == "lr":
            parts.append(f"lr {v:.4g}")
        else:
            parts.append(f"{k} {v:.4f}")
    if "time" in logs:
        parts.append(f"{logs['time']:.1f}s")
    return "  ".join(parts)


class ProgressBar(Callback):
    """One line per epoch with its metrics (``epoch  3/30  train_loss 0.1234  ...``); when
    ``file`` is a terminal, a tqdm bar with the running loss shows the batches while the epoch
    runs and gives way to that line. Pipes and log files get only the lines.

    ``file`` defaults to ``sys.stdout`` at fit time; ``force_tty`` overrides the detection.
    """

    def __init__(self, file: IO[str] | None = None, force_tty: bool | None = None) -> None:
        self.file = file
        self.force_tty = force_tty
        self._bar = None

    def _out(self) -> IO[str]:
        return self.file if self.file is not None else sys.stdout

    def _tty(self) -> bool:
        if self.force_tty is not None:
            return self.force_tty
        isatty = getattr(self._out(), "isatty", None)
        return bool(isatty and isatty())

    def _prefix(self, trainer, epoch: int) -> str:
        w = len(str(trainer.epochs))
        return f"epoch {epoch:>{w}}/{trainer.epochs}"

    def on_epoch_start(self, trainer, epoch: int) -> None:
        if not self._tty():
            return
        from tqdm.auto import tqdm

        try:
            total = len(trainer.train_loader)
        except TypeError:
            total = None
        self._bar = tqdm(total=total, desc=self._prefix(trainer, epoch), file=self._out(),
                         leave=False, unit="batch", dynamic_ncols=True)

    def on_batch_end(self, trainer, batch_idx: int, logs: dict) -> None:
        if self._bar is not None:
            self._bar.update(1)
            self._bar.set_postfix_str(f"loss {logs['loss']:.4f}", refresh=False)

    def on_epoch_end(self, trainer, epoch: int, logs: dict) -> None:
        if self._bar is not None:  # the bar is cleared: the line below replaces it
            self._bar.close()
            self._bar = None
        print(f"{self._prefix(trainer, epoch)}  {format_logs(logs)}", file=self._out(),
              flush=True)

    def on_exception(self, trainer, exception: BaseException) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class EarlyStopping(Callback):
    """Stop training once ``monitor`` has not improved for ``patience`` epochs.

    An epoch improves on the best value so far when it is lower by more than ``min_delta``
    (``mode='min'``) or higher by more than ``min_delta`` (``mode='max'``); ``'auto'`` picks
    ``'max'`` for names containing ``acc``, else ``'min'``. A NaN never improves. With
    ``restore_best_weights=True`` the model gets back the weights (and buffers) of the best
    epoch when fit ends, as in Keras. Defaults follow ``keras.callbacks.EarlyStopping``.
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 0, min_delta: float = 0.0,
                 mode: str = "auto", restore_best_weights: bool = False,
                 verbose: bool = False) -> None:
        if not isinstance(patience, int) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be an integer >= 0, got "
                             f"{patience!r}")
        self.monitor = monitor
        self.mode = _resolve_mode(mode, monitor, "EarlyStopping")
        self.patience = patience
        self.min_delta = abs(float(min_delta))
        self.restore_best_weights = restore_best_weights
        self.verbose = verbose
        self._reset()

    def _reset(self) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = 0
        self.wait = 0
        self.stopped_epoch = 0
        self.best_weights: dict | None = None

    def on_epoch_end(self, trainer, epoch: int, logs: dict) -> None:
        value = _monitored(logs, self.monitor, "EarlyStopping")
        if _improved(value, self.best, self.mode, self.min_delta):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = {k: v.array.copy()
                                     for k, v in trainer.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            trainer.stop_training = True
            if self.verbose:
                print(f"EarlyStopping: {self.monitor} has not improved on {self.best:.4g} "
                      f"(epoch {self.best_epoch}) for {self.wait} epochs; stopping")

    def on_fit_end(self, trainer) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            trainer.model.load_state_dict(self.best_weights)
            if self.verbose:
                print(f"EarlyStopping: restored the weights of epoch {self.best_epoch}")

    def state_dict(self) -> dict:
        return {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait,
                "stopped_epoch": self.stopped_epoch, "best_weights": self.best_weights}

    def load_state_dict(self, state: dict) -> None:
        self.best, self.best_epoch = state["best"], state["best_epoch"]
        self.wait, self.stopped_epoch = state["wait"], state["stopped_epoch"]
        self.best_weights = state["best_weights"]


class ModelCheckpoint(Callback):
    """Save training checkpoints into ``dirpath``: ``last.safetensors`` after every epoch
    (``save_last``) and ``best.safetensors`` whenever ``monitor`` improves (``save_best``).

    Both are full training checkpoints (weights, optimizer, scheduler, history, random
    streams; :mod:`gradlab.train.checkpoint`): ``fit(..., resume_from=last_path)`` continues a
    run, and ``load_checkpoint(best_path)["model"]`` gives the best weights. ``mode`` as in
    :class:`EarlyStopping`. Writes are atomic, so a killed run leaves the previous file whole,
    and ``best`` is written before ``last``: a run killed between the two resumes from the
    epoch before, repeats the epoch exactly and writes the same ``best`` again.
    """

    def __init__(self, dirpath: str | os.PathLike, monitor: str = "val_loss",
                 mode: str = "auto", save_best: bool = True, save_last: bool = True,
                 min_delta: float = 0.0) -> None:
        if not (save_best or save_last):
            raise ValueError("ModelCheckpoint: nothing to save (save_best and save_last are "
                             "both False)")
        self.dirpath = os.fspath(dirpath)
        self.monitor = monitor
        self.mode = _resolve_mode(mode, monitor, "ModelCheckpoint")
        self.save_best, self.save_last = save_best, save_last
        self.min_delta = abs(float(min_delta))
        self.best_score = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = 0

    @property
    def best_path(self) -> str:
        return os.path.join(self.dirpath, "best.safetensors")

    @property
    def last_path(self) -> str:
        return os.path.join(self.dirpath, "last.safetensors")

    def on_fit_start(self, trainer) -> None:
        os.makedirs(self.dirpath, exist_ok=True)

    def on_epoch_end(self, trainer, epoch: int, logs: dict) -> None:
        is_best = False
        if self.save_best:
            value = _monitored(logs, self.monitor, "ModelCheckpoint")
            if _improved(value, self.best_score, self.mode, self.min_delta):
                self.best_score, self.best_epoch, is_best = value, epoch, True
        # the state is updated first, so that the files written below hold it; best before
        # last, so that a run killed between the two writes resumes from the epoch before
        # (its last), repeats this epoch exactly and writes the same best again
        if is_best:
            trainer.save_checkpoint(self.best_path)
        if self.save_last:
            trainer.save_checkpoint(self.last_path)

    def state_dict(self) -> dict:
        return {"best_score": self.best_score, "best_epoch": self.best_epoch}

    def load_state_dict(self, state: dict) -> None:
        self.best_score, self.best_epoch = state["best_score"], state["best_epoch"]


class CSVLogger(Callback):
    """Write the history as CSV to ``path``, one row per epoch, rewritten (atomically) after
    every epoch from ``trainer.history``: a resumed run's file has exactly its epochs.
    Columns are the scalar keys of the logs in order of first appearance."""

    def __init__(self, path: str | os.PathLike, separator: str = ",") -> None:
        self.path = os.fspath(path)
        self.separator = separator

    def on_epoch_end(self, trainer, epoch: int, logs: dict) -> None:
        rows = list(trainer.history)
        columns: list[str] = []
        for row in rows:
            for k, v in row.items():
                if k not in columns and _is_scalar(v):
                    columns.append(k)
        buf = io.StringIO()
        w = csv.writer(buf, delimiter=self.separator, lineterminator="\n")
        w.writerow(columns)
        for row in rows:
            w.writerow(["" if row.get(c) is None else repr(row[c]) if isinstance(row[c], float)
                        else row[c] for c in columns])
        parent = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(parent, exist_ok=True)
        atomic_write(self.path, buf.getvalue().encode())


def _is_scalar(v: Any) -> bool:
    return v is None or isinstance(v, (int, float, str, np.integer, np.floating))


class LambdaCallback(Callback):
    """A callback from plain functions: ``LambdaCallback(on_epoch_end=lambda t, e, logs: ...)``.
    Keyword names are the hook names."""

    _HOOKS = ("on_fit_start", "on_fit_end", "on_exception", "on_epoch_start",
              "on_batch_start", "on_batch_end", "on_epoch_end")

    def __init__(self, **hooks) -> None:
        for name, fn in hooks.items():
            if name not in self._HOOKS:
                raise TypeError(f"LambdaCallback: unknown hook '{name}' (hooks: "
                                f"{', '.join(self._HOOKS)})")
            setattr(self, name, fn)
