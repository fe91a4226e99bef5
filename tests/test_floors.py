"""Imports run downward only: every module of gradlab imports (at its top or inside a function)
only from its own floor or the floors below it, as the README's "Where things live" lays out."""

import ast
import pathlib

import pytest

import gradlab

ROOT = pathlib.Path(gradlab.__file__).parent

#: top-level module or package of gradlab -> its floor (the README's list, bottom up)
FLOORS = {
    "backend": 0, "_format": 0, "_workspace": 0, "_device": 0, "cuda": 0, "accelerator": 0,
    "backends": 0, "_shared_memory": 0, "_png": 0, "_jit": 0,
    "autograd": 1,
    "ops": 2,
    "tensor": 3,
    "functions": 4, "creation": 4, "linalg": 4,
    "utils": 5, "nn": 5, "optim": 5, "distributions": 5, "multiprocessing": 5, "distributed": 5,
    "datasets": 6, "transforms": 6, "models": 6, "io": 6, "onnx": 6,
    "train": 7,
    "__init__": 7,  # the package itself: eager imports up to train, the rest lazily
    "tools": 8, "diagnose": 8, "compress": 8, "vision": 8,
    "lab": 9,
    "cli": 10, "__main__": 10,
}


def _imported_units(path: pathlib.Path, root: pathlib.Path):
    """(line, unit) for every gradlab import in the file, relative or absolute."""
    parts = ("gradlab",) + path.relative_to(root).with_suffix("").parts
    package = parts[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package[:len(package) - (node.level - 1)])
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            if name == "gradlab":
                targets = ["gradlab." + a.name for a in node.names]
            elif name.startswith("gradlab."):
                targets = [name]
            else:
                targets = []
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names if a.name.split(".")[0] == "gradlab"]
        else:
            continue
        for t in targets:
            bits = t.split(".")
            unit = bits[1] if len(bits) > 1 else "__init__"
            # `from gradlab import Tensor`: a name of the package itself
            yield node.lineno, unit if unit in FLOORS else "__init__"


def _violations(root: pathlib.Path = ROOT):
    found = []
    for path in sorted(root.rglob("*.py")):
        unit = path.relative_to(root).with_suffix("").parts[0]
        for line, target in _imported_units(path, root):
            if FLOORS[target] > FLOORS[unit]:
                found.append(f"{path.relative_to(root)}:{line}: {unit} (floor {FLOORS[unit]}) "
                             f"imports {target} (floor {FLOORS[target]})")
    return found


def test_every_top_level_module_has_a_floor():
    units = {p.with_suffix("").name for p in ROOT.iterdir()
             if (p.suffix == ".py" or (p / "__init__.py").exists())}
    assert units == set(FLOORS), (
        "place each new top-level module on a floor in FLOORS and the README: "
        f"unplaced {sorted(units - set(FLOORS))}, gone {sorted(set(FLOORS) - units)}")


def test_no_import_runs_upward():
    assert _violations() == []


def test_an_upward_import_is_found(tmp_path):
    pkg = tmp_path / "gradlab"
    (pkg / "ops").mkdir(parents=True)
    (pkg / "ops" / "bad.py").write_text("def f():\n    from ..nn import Linear\n")
    (pkg / "ops" / "good.py").write_text("from ..autograd import Function\n")
    assert _violations(pkg) == ["ops/bad.py:2: ops (floor 2) imports nn (floor 5)"]


@pytest.mark.parametrize("unit", sorted(FLOORS))
def test_floor_names_exist(unit):
    assert (ROOT / f"{unit}.py").exists() or (ROOT / unit / "__init__.py").exists()


def test_tensor_internals_stay_in_tensor_and_autograd():
    """Library code wraps arrays with the public ``from_numpy`` and marks in-place writes with
    ``autograd.graph.increment_version``; only tensor.py and autograd/ touch ``_wrap`` and
    ``_version`` (nn/parameter.py shares its tensor's version counter, as a Tensor subclass)."""
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel == "tensor.py" or rel.startswith("autograd/") or rel == "nn/parameter.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in ("_wrap", "_version"):
                found.append(f"{rel}:{node.lineno}: .{node.attr}")
    assert found == []
