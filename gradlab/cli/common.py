"""What every sub-command module of ``gradlab`` shares: :class:`UsageError` (a bad argument:
one line, exit status 2), the parser class that reports errors that way, and the checks of
numbers, output paths and the saved settings of a ``gradlab train`` checkpoint.

Every message starts with the argument it is about: ``--lr: must be a finite number > 0, got
inf``, ``--out runs/a: holds a run already (...)``, ``CHECKPOINT: ...``.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
from typing import Any


class UsageError(Exception):
    """A bad command-line argument: reported in one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    """argparse without the usage block on errors: one line, exit status 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")


def one_line(exc: BaseException | str) -> str:
    """An exception's message with its whitespace (newlines included) collapsed."""
    return " ".join(str(exc).split())


# ----------------------------------------------------------------------------- numbers

def check_int(value: Any, flag: str, low: int = 1, high: int | None = None) -> int:
    """``value`` as an int in ``[low, high]``, else UsageError ``FLAG: must be ...``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise UsageError(f"{flag}: must be an integer, got {value!r}")
    if value < low or (high is not None and value > high):
        want = f">= {low}" if high is None else f"between {low} and {high}"
        raise UsageError(f"{flag}: must be an integer {want}, got {value}")
    return value


def check_float(value: Any, flag: str, low: float | None = None, high: float | None = None,
                low_open: bool = False, high_open: bool = False) -> float:
    """``value`` as a finite float within the bounds (open or closed), else UsageError
    ``FLAG: must be a finite number ..., got VALUE`` (NaN and infinities never pass)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UsageError(f"{flag}: must be a number, got {value!r}")
    v = float(value)
    ok = math.isfinite(v)
    if ok and low is not None:
        ok = v > low if low_open else v >= low
    if ok and high is not None:
        ok = v < high if high_open else v <= high
    if not ok:
        if low is not None and high is not None:
            want = (f"in {'(' if low_open else '['}{low:g}, {high:g}"
                    f"{')' if high_open else ']'}")
        elif low is not None:
            want = f"{'>' if low_open else '>='} {low:g}"
        elif high is not None:
            want = f"{'<' if high_open else '<='} {high:g}"
        else:
            want = "finite"
        raise UsageError(f"{flag}: must be a finite number {want}, got {value}"
                         if want != "finite" else f"{flag}: must be finite, got {value}")
    return v


#: seeds are unsigned 64-bit integers, as ``torch.manual_seed`` takes them
SEED_MAX = 2 ** 64 - 1


def check_seed(value: Any, flag: str = "--seed") -> int:
    return check_int(value, flag, 0, SEED_MAX)


# ----------------------------------------------------------------------------- paths

def folder_write_problem(folder: str) -> str | None:
    """None if a file can be created in ``folder`` (tried: permission bits do not tell for
    root, nor for read-only file systems), else the reason."""
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".gradlab-probe-")
    except OSError as exc:
        return exc.strerror or str(exc)
    os.close(fd)
    os.remove(probe)
    return None


def check_output_folder(path: str, flag: str = "--out") -> None:
    """A folder the command writes into (with its parents if missing): UsageError if ``path``
    is a file, cannot be created or is not writable. Tried, then undone: the folders this
    check creates are removed again, so a command refused later leaves nothing behind."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise UsageError(f"{flag} {path}: exists and is not a folder")
    created, p = [], os.path.abspath(path)
    while not os.path.exists(p) and os.path.dirname(p) != p:
        created.append(p)
        p = os.path.dirname(p)
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{flag} {path}: cannot create the folder: "
                         f"{exc.strerror or one_line(exc)}") from None
    why = folder_write_problem(path)
    for folder in created:  # deepest first
        try:
            os.rmdir(folder)
        except OSError:
            break
    if why is not None:
        raise UsageError(f"{flag} {path}: the folder is not writable: {why}")


def check_output_file(path: str, flag: str, overwrite: bool = False) -> None:
    """A file the command writes: its folder must exist and be writable, ``path`` must not be
    a folder, and an existing file is replaced only with ``overwrite`` (else UsageError
    saying to pass --overwrite)."""
    if os.path.isdir(path):
        raise UsageError(f"{flag} {path}: is a folder; give the path of a file")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.exists(parent):
        raise UsageError(f"{flag} {path}: the folder {parent} does not exist")
    if not os.path.isdir(parent):
        raise UsageError(f"{flag} {path}: {parent} is not a folder")
    if os.path.lexists(path) and not overwrite:
        raise UsageError(f"{flag} {path}: the file exists; pass --overwrite to replace it")
    why = folder_write_problem(parent)
    if why is not None:
        raise UsageError(f"{flag} {path}: cannot write in {parent}: {why}")


# ----------------------------------------------------------------------------- saved runs

#: the settings ``gradlab train`` saves in its checkpoints (``extra["gradlab_train"]``)
RUN_KEYS = ("model", "data", "epochs", "batch_size", "optimizer", "lr", "momentum",
            "weight_decay", "scheduler", "augment", "val_fraction", "seed", "threads")


def check_saved_run(cfg: Any, where: str) -> dict:
    """The ``gradlab train`` settings of a checkpoint, checked as the command line checks
    them: a missing key, a wrong type or a value out of range (a damaged or hand-edited file)
    is a ValueError naming the key and ``where`` (the file)."""
    from gradlab.train import recipes

    if not isinstance(cfg, dict):
        raise ValueError(f"{where}: the saved gradlab train settings are not a dict")
    missing = [k for k in RUN_KEYS if k not in cfg]
    if missing:
        raise ValueError(f"{where}: the saved gradlab train settings lack "
                         f"{', '.join(missing)}")
    choices = {"model": recipes.MODELS, "data": recipes.DATASETS,
               "optimizer": recipes.OPTIMIZERS, "scheduler": recipes.SCHEDULERS}
    for key, allowed in choices.items():
        if cfg[key] not in allowed:
            raise ValueError(f"{where}: the saved setting {key}={cfg[key]!r} is not one of "
                             f"{', '.join(allowed)}")
    checks = {"epochs": lambda v: check_int(v, "epochs"),
              "batch_size": lambda v: check_int(v, "batch_size"),
              "threads": lambda v: check_int(v, "threads"),
              "seed": lambda v: check_seed(v, "seed"),
              "lr": lambda v: check_float(v, "lr", 0, low_open=True),
              "momentum": lambda v: check_float(v, "momentum", 0),
              "weight_decay": lambda v: check_float(v, "weight_decay", 0),
              "val_fraction": lambda v: check_float(v, "val_fraction", 0, 1, high_open=True)}
    for key, check in checks.items():
        try:
            check(cfg[key])
        except UsageError as exc:
            raise ValueError(f"{where}: the saved setting {exc}") from None
    if not isinstance(cfg["augment"], bool):
        raise ValueError(f"{where}: the saved setting augment must be true or false, got "
                         f"{cfg['augment']!r}")
    target = cfg.get("recipe_target")
    if target is not None:
        try:
            check_float(target, "recipe_target", 0, 1)
        except UsageError as exc:
            raise ValueError(f"{where}: the saved setting {exc}") from None
    if cfg.get("data_dir") is not None and not isinstance(cfg["data_dir"], str):
        raise ValueError(f"{where}: the saved setting data_dir must be a path, got "
                         f"{cfg['data_dir']!r}")
    return cfg

