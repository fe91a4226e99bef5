"""The pointers of an entry: :func:`unresolved` (those that do not resolve, with why) and
:func:`related_commands`."""

from __future__ import annotations

import ast
import importlib
import shlex
from pathlib import Path

from .entry import TOPICS, Question

# ------------------------------------------------------------------------------- pointers

def _repo_root() -> Path:
    return Path(__file__).resolve().parents[3]


def _resolve_code(path: str) -> str | None:
    """Why the dotted path does not import (None when it does)."""
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        name = ".".join(parts[:i])
        try:
            obj = importlib.import_module(name)
        except ImportError:
            continue
        for attr in parts[i:]:
            if not hasattr(obj, attr):
                return f"{name} has no attribute {attr!r} (looking up {path})"
            obj = getattr(obj, attr)
        return None
    return f"no module of {path} imports"


def _resolve_command(cmd: str, parser) -> str | None:
    """Why the command line does not parse with ``parser``, gradlab's own (None when it
    does)."""
    import contextlib
    import io

    try:
        argv = shlex.split(cmd)
    except ValueError as exc:
        return f"cannot split {cmd!r}: {exc}"
    if not argv or argv[0] != "gradlab":
        return f"{cmd!r} is not a gradlab command line"
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            args = parser.parse_args(argv[1:])
    except SystemExit as exc:
        return f"{cmd!r} does not parse (exit {exc.code}): {' '.join(err.getvalue().split())}"
    if getattr(args, "command", None) is None:
        return f"{cmd!r} names no sub-command"
    return None


def _test_names(file: Path) -> set[str]:
    tree = ast.parse(file.read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.update(f"{node.name}::{f.name}" for f in node.body
                         if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)))
    return names


def _resolve_test(ref: str) -> str | None:
    """Why ``tests/test_x.py::name`` does not exist (None when it does)."""
    file, sep, name = ref.partition("::")
    if not sep or not name:
        return f"{ref!r} is not of the form tests/test_x.py::test_name"
    path = _repo_root() / file
    if not path.is_file():
        return f"{file} does not exist (under {_repo_root()})"
    if name not in _test_names(path):
        return f"{file} defines no test {name!r}"
    return None


def _experiment_ids() -> set[str]:
    from ..experiments import all_experiments

    return {e.id for e in all_experiments()}


def _errata_ids() -> set[str]:
    from ..errata import ERRATA

    return {e.id for e in ERRATA}


def unresolved(q: Question, parser=None) -> list[str]:
    """Each pointer of ``q`` that does not resolve, with why: a code path that does not
    import, an experiment id the lab does not have, a command line ``parser`` (gradlab's own:
    ``gradlab.cli.build_parser()``; the library does not import the command line) refuses, a
    test file or function that does not exist, an errata id not in the registry (and a topic
    not in :data:`TOPICS`). Empty when everything resolves. Raises TypeError when ``q`` has
    command pointers and no parser is given."""
    if q.commands and parser is None:
        raise TypeError(f"unresolved: {q.id} has command pointers; pass "
                        "parser=gradlab.cli.build_parser() to check them")
    problems = []
    if q.topic not in TOPICS:
        problems.append(f"topic {q.topic!r} is not one of TOPICS")
    exps = _experiment_ids() if q.experiments else set()
    problems += [f"experiment {e!r}: no such experiment in gradlab.lab.experiments"
                 for e in q.experiments if e not in exps]
    for path in q.code:
        why = _resolve_code(path)
        if why:
            problems.append(f"code {path!r}: {why}")
    for cmd in q.commands:
        why = _resolve_command(cmd, parser)
        if why:
            problems.append(f"command {cmd!r}: {why}")
    for ref in q.tests:
        why = _resolve_test(ref)
        if why:
            problems.append(f"test {ref!r}: {why}")
    errata = _errata_ids() if q.errata else set()
    problems += [f"erratum {e!r}: not in gradlab.lab.errata.ERRATA"
                 for e in q.errata if e not in errata]
    return problems


def related_commands(q: Question) -> list[str]:
    """Command lines that show ``q``: its own commands, then ``gradlab lab run`` for its
    experiments (for a question without experiments: what to run instead)."""
    out = list(q.commands)
    if q.experiments:
        out.append("gradlab lab run " + " ".join(q.experiments))
    return out
