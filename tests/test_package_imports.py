"""What ``import gradlab`` loads and what it makes reachable: the heavy sub-packages (the lab,
datasets, models, tools, diagnose, compress, transforms) load on first use as attributes, not at
import time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAZY = ("compress", "datasets", "diagnose", "distributed", "distributions", "lab", "models",
        "tools", "transforms", "vision")


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    return out.stdout.strip()


def test_import_gradlab_does_not_load_the_lazy_subpackages():
    code = ("import sys, gradlab; print(sorted(n for n in " + repr(LAZY) +
            " if 'gradlab.' + n in sys.modules))")
    assert _run(code) == "[]"


@pytest.mark.parametrize("name, attr", [("models", "resnet20"), ("tools", "receptive_field"),
                                        ("diagnose", "Monitor"), ("lab", "run_experiments"),
                                        ("datasets", "Digits"), ("transforms", "Normalize"),
                                        ("compress", "DepthwiseSeparableConv2d"),
                                        ("distributions", "Categorical"),
                                        ("distributed", "init_process_group"),
                                        ("vision", "transforms")])
def test_subpackage_reachable_after_plain_import(name, attr):
    code = (f"import gradlab as gl; m = gl.{name}; print(m.__name__, hasattr(m, {attr!r}), "
            f"'{name}' in dir(gl))")
    assert _run(code) == f"gradlab.{name} True True"


def test_unknown_attribute_is_an_attribute_error():
    import gradlab

    with pytest.raises(AttributeError, match="module 'gradlab' has no attribute 'modelz'"):
        gradlab.modelz   # noqa: B018
    assert not hasattr(gradlab, "modelz")


def test_import_changes_nothing_process_wide_and_the_cli_tunes_the_allocator():
    """import gradlab leaves the C allocator alone; the command line tunes it (once), unless
    GRADLAB_TUNE_MALLOC=0."""
    code = ("import gradlab, contextlib, io; from gradlab import backend; "
            "a = backend._allocator_tuned; "
            "from gradlab.cli import main; "
            "f = io.StringIO(); ctx = contextlib.redirect_stdout(f); ctx.__enter__(); "
            "main(['lab', 'list']); ctx.__exit__(None, None, None); "
            "print(a, backend._allocator_tuned is not None)")
    assert _run(code) == "None True"
    import os

    out = subprocess.run([sys.executable, "-c", "import os; os.environ['GRADLAB_TUNE_MALLOC']"
                          " = '0'; from gradlab import backend; "
                          "print(backend.use_tuned_allocator())"],
                         capture_output=True, text=True, cwd=ROOT, check=True,
                         env={**os.environ})
    assert out.stdout.strip() == "False"


def test_library_packages_do_not_import_the_command_line():
    """gradlab/cli/ holds every sub-command and its argument parsing; nothing else in the
    package imports it (gradlab/__main__.py, the entry point, excepted)."""
    import ast

    offenders = []
    for path in sorted((ROOT / "gradlab").rglob("*.py")):
        rel = path.relative_to(ROOT / "gradlab").as_posix()
        if rel.startswith("cli/") or rel == "__main__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                mod = node.module or ""
                names = [mod] + [f"{mod}.{a.name}" for a in node.names]
                if node.level and (mod == "cli" or mod.startswith("cli.")
                                   or any(a.name == "cli" for a in node.names)):
                    names.append("gradlab.cli")
            if any(n == "gradlab.cli" or n.startswith("gradlab.cli.") for n in names):
                offenders.append(f"{rel}:{node.lineno}")
    assert offenders == []
