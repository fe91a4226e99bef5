"""Run each client program with torch, then with gradlab through an import swap, and compare.

The gradlab variant of a program is its text with the import lines rewritten, and nothing else:
`import torch` -> `import gradlab as torch`, `import torch.nn as nn` -> `import gradlab.nn as nn`,
`from torch.X import Y` -> `from gradlab.X import Y`, `import torchvision` ->
`import gradlab.vision as torchvision`, ... (`swap_imports` asserts that every other line is
unchanged). Each variant runs in its own subprocess with the program's comparison arguments
(`--deterministic`: no dropout, no shuffling, NumPy noise), and the two outputs are compared line
by line: the same text around the numbers, and the numbers within the program's tolerance.

    PYTHONPATH=. python clients/run.py [program ...]
"""

from __future__ import annotations

import argparse
import ast
import math
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

CLIENTS = Path(__file__).resolve().parent
ROOT = CLIENTS.parent


@dataclass(frozen=True)
class Program:
    """One client program: its file, the arguments of the comparison run, the tolerance of the
    printed numbers (|gradlab - torch| <= atol + rtol * |torch|, number by number) and why."""

    name: str
    args: tuple[str, ...]
    rtol: float
    atol: float
    why: str


PROGRAMS = (
    Program("mnist_cnn", ("--deterministic",), 1e-3, 2e-6,
            "float32, 8 Adadelta steps on a 9216-wide fc1: sums in another order move the 6th "
            "digit; losses printed with 6 decimals (atol 2e-6 covers the rounding)"),
    Program("word_language_model", ("--deterministic",), 1e-3, 2e-4,
            "float32 LSTM, 20 truncated-BPTT SGD steps at lr 20 with clipping: the largest "
            "step size of the set; losses printed with 4 decimals, perplexities with 2"),
    Program("vae", ("--deterministic",), 1e-4, 2e-4,
            "float32, 8 Adam steps, BCE summed over 784 pixels (values ~500): relative 1e-4 is "
            "~30x the float32 drift seen; printed with 4 decimals"),
    Program("reinforce", ("--deterministic",), 1e-3, 2e-6,
            "float32 policy, 15 episodes of Adam; rewards are integers and must match exactly "
            "(one different action would change them by whole steps); the loss sums up to "
            "100 terms of normalised returns"),
    Program("lbfgs_curve_fit", ("--deterministic",), 1e-4, 1e-6,
            "float32 LBFGS with strong Wolfe: the same minimum is found; parameters and losses "
            "printed with 6 significant digits"),
    Program("dcgan", ("--deterministic",), 1e-3, 2e-4,
            "float32 GAN, 6 alternating Adam steps through BatchNorm (batch statistics): "
            "relative 1e-3; printed with 4 decimals"),
    Program("custom_function", ("--deterministic",), 1e-3, 1e-6,
            "float32 gradient descent, 2000 steps on a 2000-point sum: the reduction order "
            "differs between libraries; losses printed with 6 significant digits"),
    Program("checkpoint", ("--deterministic",), 1e-5, 1e-7,
            "float32, 10 SGD-momentum steps on a small MLP; save/load is exact, so resumed and "
            "uninterrupted runs must agree bit for bit within each library"),
)

_IMPORT = re.compile(r"^(\s*)import (torchvision|torch)((?:\.[A-Za-z_][\w.]*)?)(\s+as\s+\w+)?"
                     r"(\s*(?:#.*)?)$")
_FROM = re.compile(r"^(\s*)from (torchvision|torch)((?:\.[A-Za-z_][\w.]*)?) import (.*)$")
_TARGET = {"torch": "gradlab", "torchvision": "gradlab.vision"}


def _swap_line(line: str) -> str:
    m = _IMPORT.match(line)
    if m:
        indent, top, sub, alias, tail = m.groups()
        if alias:
            return f"{indent}import {_TARGET[top]}{sub}{alias}{tail}"
        if sub:  # `import torch.utils.data` loads the submodule and binds `torch`
            return f"{indent}import {_TARGET[top]}{sub}, {_TARGET[top]} as {top}{tail}"
        return f"{indent}import {_TARGET[top]} as {top}{tail}"
    m = _FROM.match(line)
    if m:
        indent, top, sub, names = m.groups()
        return f"{indent}from {_TARGET[top]}{sub} import {names}"
    return line


def swap_imports(source: str) -> str:
    """The program text with its torch and torchvision imports pointed at gradlab.

    Only lines holding an `import` statement change; every other line is asserted identical.
    """
    tree = ast.parse(source)
    import_lines = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            import_lines.update(range(node.lineno, node.end_lineno + 1))
    old = source.splitlines(keepends=True)
    new = []
    for i, line in enumerate(old, start=1):
        body = line.rstrip("\r\n")
        swapped = _swap_line(body) if i in import_lines else body
        new.append(swapped + line[len(body):])
    for i, (a, b) in enumerate(zip(old, new), start=1):
        assert a == b or i in import_lines, f"swap_imports changed line {i}, not an import"
    assert len(old) == len(new)
    out = "".join(new)
    left = [n for n in ast.walk(ast.parse(out)) if isinstance(n, (ast.Import, ast.ImportFrom))
            and any((a.name if isinstance(n, ast.Import) else (n.module or "")).split(".")[0]
                    in ("torch", "torchvision") for a in (n.names if isinstance(n, ast.Import)
                                                          else [n]))]
    assert not left, f"swap_imports left torch imports on lines {[n.lineno for n in left]}"
    return out


@dataclass
class Result:
    """One run: its exit status, standard output, and the first error (type, message, line)."""

    returncode: int
    stdout: str
    error: str | None


_TRACE_LINE = re.compile(r'^  File "(.*)", line (\d+), in (.*)$')


def _first_error(stderr: str, program_file: str) -> str:
    """The exception line of a traceback and the deepest frame in the program and overall."""
    lines = stderr.strip().splitlines()
    if not lines:
        return "no output on stderr"
    exc = lines[-1]
    where_prog = where_lib = None
    for i, line in enumerate(lines):
        m = _TRACE_LINE.match(line)
        if m:
            code = lines[i + 1].strip() if i + 1 < len(lines) else ""
            here = f"{Path(m.group(1)).name}:{m.group(2)} `{code}`"
            if os.path.samefile(m.group(1), program_file) if os.path.exists(m.group(1)) else False:
                where_prog = here
            where_lib = f"{m.group(1)}:{m.group(2)} `{code}`"
    parts = [exc]
    if where_prog:
        parts.append(f"program line {where_prog}")
    if where_lib and (where_prog is None or not where_lib.startswith(program_file)):
        parts.append(f"raised at {where_lib}")
    return "; ".join(parts)


def run_program(program: Program, library: str, timeout: float = 120.0) -> Result:
    """Run the program with `library` ("torch" or "gradlab") in a subprocess."""
    path = CLIENTS / f"{program.name}.py"
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1")
    with tempfile.TemporaryDirectory() as tmp:
        if library == "torch":
            target = path
        else:
            target = Path(tmp) / f"{program.name}.py"
            target.write_text(swap_imports(path.read_text()))
        proc = subprocess.run([sys.executable, str(target), *program.args], cwd=tmp, env=env,
                              capture_output=True, text=True, timeout=timeout)
        error = None if proc.returncode == 0 else _first_error(proc.stderr, str(target))
    return Result(proc.returncode, proc.stdout, error)


SMALL = 1e-3
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|nan|inf")


def compare_outputs(torch_out: str, gradlab_out: str, rtol: float, atol: float):
    """(largest relative difference, list of mismatches) between two printed outputs.

    The lines must agree in number and in the text between the numbers; each pair of numbers
    must satisfy |g - t| <= atol + rtol * |t|. The relative difference reported is the largest
    |g - t| / max(|g|, |t|) over the numbers of magnitude at least SMALL (below it, rounding and
    values that are zero up to float32 noise, like a fitted 1e-10, are the atol's business).
    """
    t_lines, g_lines = torch_out.splitlines(), gradlab_out.splitlines()
    problems = []
    if len(t_lines) != len(g_lines):
        problems.append(f"{len(t_lines)} lines with torch, {len(g_lines)} with gradlab")
    worst = 0.0
    for t_line, g_line in zip(t_lines, g_lines):
        if _NUMBER.sub("#", t_line) != _NUMBER.sub("#", g_line):
            problems.append(f"text differs: {t_line!r} vs {g_line!r}")
            continue
        for t_s, g_s in zip(_NUMBER.findall(t_line), _NUMBER.findall(g_line)):
            t, g = float(t_s), float(g_s)
            if not (math.isfinite(t) and math.isfinite(g)):
                if t_s != g_s:
                    problems.append(f"{t_s} vs {g_s} in {t_line!r}")
                continue
            scale = max(abs(t), abs(g))
            if scale >= SMALL:
                worst = max(worst, abs(g - t) / scale)
            if abs(g - t) > atol + rtol * abs(t):
                problems.append(f"{t_s} vs {g_s} in {t_line!r}")
    return worst, problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("programs", nargs="*", help="names (default: all)")
    args = parser.parse_args(argv)
    chosen = [p for p in PROGRAMS if not args.programs or p.name in args.programs]
    rows = []
    for program in chosen:
        t = run_program(program, "torch")
        g = run_program(program, "gradlab")
        if t.returncode != 0:
            rows.append((program.name, f"FAILED: {t.error}", "-", "-"))
            continue
        if g.returncode != 0:
            rows.append((program.name, "yes", f"FAILED: {g.error}", "-"))
            continue
        worst, problems = compare_outputs(t.stdout, g.stdout, program.rtol, program.atol)
        verdict = "within tolerance" if not problems else f"OUT OF TOLERANCE: {problems[0]}"
        rows.append((program.name, "yes", "yes", f"{worst:.2e} ({verdict})"))
    header = ("program", "torch", "gradlab (import swap)", "max rel. diff of printed numbers")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(2)]
    for r in [header, *rows]:
        print(f"{r[0]:<{widths[0]}} | {r[1]:<{widths[1]}} | {r[2]} | {r[3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
