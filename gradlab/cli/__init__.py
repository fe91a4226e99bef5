"""The ``gradlab`` command. Every sub-command lives in a module of this package with a
``register(sub)`` function: train, demo and info, ask, lab, the tools (summary, rf, ...),
compress and export. Library packages never import this one.

Bad arguments print one line (``gradlab train: error: ...``) and exit with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

import gradlab
from gradlab import backend
from gradlab.cli.common import Parser, UsageError

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


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    backend.use_tuned_allocator()  # reuse freed array memory: no page faults per step
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"gradlab {args.command}: error: {exc}", file=sys.stderr)
        return 2
