"""The ``gradlab`` command. Every sub-command lives in a module of this package with a
``register(sub)`` function: train, demo and info, ask, lab, the tools (summary, rf, ...),
compress and export. Library packages never import this one.

A user's mistake prints one line on stderr, ``gradlab <command>: error: <argument>: <problem>``,
and exits with status 2: a bad value or path found by the command's own checks
(:class:`UsageError`), and, as a last line of defence, a :class:`gradlab.io.CheckpointError`
or an OSError about a path the user gave (missing, a folder, not writable, ...). Any other
exception is a bug in gradlab and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

import gradlab
from gradlab import backend
from gradlab.cli.common import Parser, UsageError, one_line

__all__ = ["UsageError", "build_parser", "main"]

#: The modules that add sub-commands, in the order ``gradlab --help`` lists them; each has
#: ``register(sub)``, and its commands raise UsageError for bad arguments.
COMMAND_MODULES = ("gradlab.cli.train", "gradlab.cli.demo", "gradlab.cli.ask",
                   "gradlab.cli.lab", "gradlab.cli.tools", "gradlab.cli.compress",
                   "gradlab.cli.export")


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="gradlab", description="gradlab: deep learning from scratch on NumPy, "
                "verified against PyTorch.")
    p.add_argument("--version", action="version", version=f"gradlab {gradlab.__version__}")
    sub = p.add_subparsers(dest="command")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return p


#: OSErrors that mean a path the user gave is wrong (not a full disk, not a bug)
_USER_PATH_ERRORS = (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError,
                     FileExistsError)


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices[name]


def _path_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace):
    """(name as the user knows it, value) of each string argument of the sub-command
    ``parser`` (and of its own sub-commands): ``("--out", "runs/a")``, ``("CHECKPOINT", ...)``."""
    found = []
    for a in parser._actions:
        if isinstance(a, argparse._SubParsersAction):
            for sub in a.choices.values():
                found += _path_arguments(sub, args)
            continue
        value = getattr(args, a.dest, None)
        if isinstance(value, str) and value:
            name = a.option_strings[-1] if a.option_strings else (a.metavar or a.dest)
            if (name, value) not in found:
                found.append((name, value))
    return found


def _related(path: str, value: str) -> bool:
    """Whether ``path`` is the argument ``value``, inside it, or one of its parents."""
    try:
        p, v = os.path.abspath(path), os.path.abspath(value)
    except (TypeError, ValueError):
        return False
    return p == v or p.startswith(v.rstrip(os.sep) + os.sep) or \
        v.startswith(p.rstrip(os.sep) + os.sep)


def _user_error(parser, args, exc: BaseException) -> str | None:
    """The one line for an exception that escaped a sub-command, if it is the user's mistake:
    a CheckpointError, or an OSError about a path the user gave; None for anything else."""
    from gradlab.io import CheckpointError

    sub = _subparser(parser, args.command)
    names = _path_arguments(sub, args)
    if isinstance(exc, CheckpointError):
        text = str(exc)
        name = next((n for n, v in names if v in text), None)
        if name is None:
            name = next((n for n, v in names if n in ("--resume", "CHECKPOINT")), "checkpoint")
        return f"{name}: {one_line(exc)}"
    if isinstance(exc, _USER_PATH_ERRORS) and exc.filename is not None:
        path = os.fsdecode(exc.filename) if isinstance(exc.filename, bytes) else \
            str(exc.filename)
        name = next((n for n, v in names if _related(path, v)), None)
        if name is not None:
            return f"{name} {path}: {exc.strerror or one_line(exc)}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command is None:
        if extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        parser.print_help()
        return 0
    if extra:  # reported by the sub-command, as its other argument errors are
        _subparser(parser, args.command).error(f"unrecognized arguments: {' '.join(extra)}")
    backend.use_tuned_allocator()  # reuse freed array memory: no page faults per step
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"gradlab {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except (ValueError, OSError) as exc:  # CheckpointError is a ValueError
        line = _user_error(parser, args, exc)
        if line is None:
            raise
        print(f"gradlab {args.command}: error: {line}", file=sys.stderr)
        return 2
