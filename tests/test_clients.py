"""gradlab's client programs (clients/*.py, written as PyTorch's official examples and
tutorials) run with torch and with gradlab through an import swap of the program text, and
print the same numbers within each program's stated tolerance (clients/run.py: PROGRAMS holds
the tolerance and why). Only programs that run under gradlab today are compared here; the
others are listed by `python clients/run.py` with their first error."""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("clients_run", ROOT / "clients" / "run.py")
run = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = run  # dataclasses look their module up there
_spec.loader.exec_module(run)

PROGRAMS = {p.name: p for p in run.PROGRAMS}
# the programs that run under gradlab through the import swap alone today
RUNS_UNDER_GRADLAB = ["mnist_cnn", "vae", "reinforce", "lbfgs_curve_fit", "dcgan",
                      "custom_function", "checkpoint"]
# what each comparison must at least print, so that two empty outputs cannot agree
MIN_LINES = {"mnist_cnn": 10, "vae": 12, "reinforce": 15, "lbfgs_curve_fit": 7, "dcgan": 31,
             "custom_function": 21, "checkpoint": 13}


def test_swap_imports_rewrites_each_import_form_and_nothing_else():
    source = '''"""Docstring that mentions
import torch
in its text."""
import math
import torch
import torch.nn as nn  # layers
import torch.utils.data
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset
from torch.distributions import Categorical
import torchvision
import torchvision.transforms as transforms
from torchvision import datasets
import torchaudio_like_name
x = "import torch"
'''
    expected = '''"""Docstring that mentions
import torch
in its text."""
import math
import gradlab as torch
import gradlab.nn as nn  # layers
import gradlab.utils.data, gradlab as torch
from gradlab import nn, optim
from gradlab.utils.data import DataLoader, TensorDataset
from gradlab.distributions import Categorical
import gradlab.vision as torchvision
import gradlab.vision.transforms as transforms
from gradlab.vision import datasets
import torchaudio_like_name
x = "import torch"
'''
    assert run.swap_imports(source) == expected


def test_swap_imports_refuses_an_import_it_cannot_rewrite():
    with pytest.raises(AssertionError, match="left torch imports on lines \\[2\\]"):
        run.swap_imports("import math\nimport numpy, torch\n")


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_each_client_swaps_on_its_import_lines_only(name):
    source = (ROOT / "clients" / f"{name}.py").read_text()
    swapped = run.swap_imports(source)
    old, new = source.splitlines(), swapped.splitlines()
    assert len(old) == len(new)
    changed = [i for i, (a, b) in enumerate(zip(old, new), start=1) if a != b]
    assert changed and all(old[i - 1].lstrip().startswith(("import torch", "from torch"))
                           for i in changed)
    assert old[changed[0] - 1] == "import torch"
    assert new[changed[0] - 1] == "import gradlab as torch"
    for node in ast.walk(ast.parse(swapped)):
        if isinstance(node, ast.Import):
            assert not any(a.name.split(".")[0] in ("torch", "torchvision") for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert (node.module or "").split(".")[0] not in ("torch", "torchvision")
    assert 'torch.device("cuda" if ' in source  # the device idiom of the examples


def test_compare_outputs_checks_text_numbers_and_line_count():
    t = "epoch 1 loss 2.500000 acc 10/20\ndone True\n"
    worst, problems = run.compare_outputs(t, "epoch 1 loss 2.500200 acc 10/20\ndone True\n",
                                          rtol=1e-4, atol=1e-6)
    assert problems == [] and worst == pytest.approx(0.0002 / 2.5002)
    _, problems = run.compare_outputs(t, "epoch 1 loss 2.501000 acc 10/20\ndone True\n",
                                      rtol=1e-4, atol=1e-6)
    assert problems == ["2.500000 vs 2.501000 in 'epoch 1 loss 2.500000 acc 10/20'"]
    _, problems = run.compare_outputs(t, "epoch 1 loss 2.500000 acc 10/20\ndone False\n",
                                      rtol=1e-4, atol=1e-6)
    assert problems == ["text differs: 'done True' vs 'done False'"]
    _, problems = run.compare_outputs(t, "epoch 1 loss 2.500000 acc 10/20\n", 1e-4, 1e-6)
    assert problems == ["2 lines with torch, 1 with gradlab"]
    _, problems = run.compare_outputs("loss nan\n", "loss 1.0\n", 1e-4, 1e-6)
    assert problems == ["nan vs 1.0 in 'loss nan'"]


def test_first_error_names_the_exception_and_the_program_line(tmp_path):
    program = tmp_path / "prog.py"
    program.write_text("x = 1\n")
    stderr = (f'Traceback (most recent call last):\n  File "{program}", line 1, in <module>\n'
              f'    x = 1\n  File "/lib/gradlab/tensor.py", line 7, in add_\n'
              f'    raise TypeError("add_: bad")\nTypeError: add_: bad\n')
    assert run._first_error(stderr, str(program)) == (
        "TypeError: add_: bad; program line prog.py:1 `x = 1`; "
        "raised at /lib/gradlab/tensor.py:7 `raise TypeError(\"add_: bad\")`")


def test_the_tested_programs_are_known_ones():
    assert set(RUNS_UNDER_GRADLAB) <= set(PROGRAMS) and set(MIN_LINES) == set(RUNS_UNDER_GRADLAB)


@pytest.mark.parametrize("name", RUNS_UNDER_GRADLAB)
def test_client_prints_the_same_numbers_with_torch_and_with_gradlab(name):
    program = PROGRAMS[name]
    t = run.run_program(program, "torch")
    assert t.returncode == 0, t.error
    g = run.run_program(program, "gradlab")
    assert g.returncode == 0, g.error
    assert len(t.stdout.splitlines()) >= MIN_LINES[name]
    worst, problems = run.compare_outputs(t.stdout, g.stdout, program.rtol, program.atol)
    assert problems == [], f"{name}: {problems[:5]} (largest relative difference {worst:.2e})"
    if name == "checkpoint":
        assert g.stdout.rstrip().endswith("resumed run equals the uninterrupted one: True")
