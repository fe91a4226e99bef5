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


# Tolerances: float32 sums taken in another order (NumPy's pairwise sums and BLAS against
# torch's kernels) differ by ~1e-7 relative per operation; training over N steps carries that
# drift forward, and the printout rounds it (atol covers one unit of the last printed decimal).
# "measured" is the largest relative difference of gradlab against torch at these settings.
PROGRAMS = (
    Program("mnist_cnn", ("--deterministic",), 1e-4, 2e-6,
            "8 Adadelta steps (lr 1.0) through two convolutions and a 9216-wide fc1, then "
            "argmax accuracies: measured 9e-6; losses printed with 6 decimals"),
    Program("word_language_model", ("--deterministic",), 1e-4, 2e-4,
            "20 truncated-BPTT SGD steps at lr 20 with clipping through a 2-layer LSTM: the "
            "largest steps of the set; losses printed with 4 decimals (perplexities exp(loss) "
            "with 4, so rtol 1e-4 of ~40 covers their rounding)"),
    Program("vae", ("--deterministic",), 1e-5, 1e-4,
            "8 Adam steps; BCE summed over 784 pixels, ~500 per image: measured 2e-7; means "
            "printed with 4 decimals"),
    Program("reinforce", ("--deterministic",), 1e-4, 2e-6,
            "15 episodes of Adam (lr 1e-2) on 128 hidden units: measured 2e-6 absolute on "
            "losses near zero (their 6th decimal); the rewards are step counts, so one action "
            "taken differently would move them by whole units, far outside the tolerance"),
    Program("lbfgs_curve_fit", ("--deterministic",), 1e-4, 1e-6,
            "5 LBFGS steps of 4 iterations with strong Wolfe line search on 200 points: "
            "measured 0 (6 significant digits printed)"),
    Program("dcgan", ("--deterministic",), 1e-3, 2e-4,
            "6 alternating Adam steps of D and G through BatchNorm on batches of 16 (batch "
            "statistics divide by small variances): printed with 4 decimals"),
    Program("custom_function", ("--deterministic",), 1e-4, 1e-6,
            "2000 gradient-descent steps on a sum over 2000 points: measured 9e-6; the fitted a "
            "and c are ~1e-10, float32 noise around 0 that atol 1e-6 absorbs"),
    Program("checkpoint", ("--deterministic",), 1e-5, 2e-6,
            "10 SGD-momentum steps on a small MLP: measured 1e-6 (the 6th printed decimal); "
            "within each library the resumed and uninterrupted losses must agree exactly, "
            "which the program prints as True"),
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


def run_program(program: Program, library: str, args: tuple[str, ...] | None = None,
                timeout: float = 120.0) -> Result:
    """Run the program with `library` ("torch" or "gradlab") in a subprocess, with the
    program's comparison arguments unless `args` is given."""
    path = CLIENTS / f"{program.name}.py"
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1")
    with tempfile.TemporaryDirectory() as tmp:
        if library == "torch":
            target = path
        else:
            target = Path(tmp) / f"{program.name}.py"
            target.write_text(swap_imports(path.read_text()))
        argv = program.args if args is None else args
        proc = subprocess.run([sys.executable, str(target), *argv], cwd=tmp, env=env,
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
    parser.add_argument("--random-streams", action="store_true",
                        help="also run the gradlab variant without --deterministic (dropout, "
                             "shuffling, library noise) and say whether it ran")
    args = parser.parse_args(argv)
    unknown = set(args.programs) - {p.name for p in PROGRAMS}
    if unknown:
        parser.error(f"unknown programs {sorted(unknown)}; known: {[p.name for p in PROGRAMS]}")
    chosen = [p for p in PROGRAMS if not args.programs or p.name in args.programs]
    header = ["program", "torch", "gradlab (import swap)", "max rel. diff of printed numbers"]
    if args.random_streams:
        header.append("gradlab, own random streams")
    rows, failed = [], False
    for program in chosen:
        t = run_program(program, "torch")
        g = run_program(program, "gradlab")
        if t.returncode != 0:
            row = [program.name, f"FAILED: {t.error}", "-", "-"]
        elif g.returncode != 0:
            row = [program.name, "ran", f"FAILED: {g.error}", "-"]
        else:
            worst, problems = compare_outputs(t.stdout, g.stdout, program.rtol, program.atol)
            verdict = (f"within rtol {program.rtol:g}, atol {program.atol:g}" if not problems
                       else f"OUT OF TOLERANCE: {problems[0]}")
            row = [program.name, "ran", "ran", f"{worst:.1e} ({verdict})"]
            failed |= bool(problems)
        failed |= t.returncode != 0 or g.returncode != 0
        if args.random_streams:
            r = run_program(program, "gradlab", args=())
            row.append("ran" if r.returncode == 0 else f"FAILED: {r.error}")
        rows.append(row)
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
