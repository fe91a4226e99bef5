"""``gradlab.nn.functional.__all__`` names every public function of the package, and only those.

The package is one file per family (issue 18 step 1); its ``__all__`` is built from theirs, so a
function added to a family file without its ``__all__`` would vanish from ``import *``.
"""

import importlib
import inspect
import pkgutil
import types

import torch.nn.functional as TF

import gradlab.nn.functional as F


def _submodules() -> list:
    """The family modules, by import (``F.linear`` etc. are the functions, not the files)."""
    return [importlib.import_module(f"{F.__name__}.{m.name}")
            for m in pkgutil.iter_modules(F.__path__)]


def _public_functions(module) -> set:
    return {name for name, obj in vars(module).items()
            if not name.startswith("_") and inspect.isfunction(obj)
            and obj.__module__ == module.__name__}


def test_every_public_function_is_in_all_and_every_name_resolves():
    defined = set().union(*(_public_functions(m) for m in _submodules()))
    assert set(F.__all__) == defined
    assert len(F.__all__) == len(set(F.__all__))  # no name listed twice
    for name in F.__all__:
        assert inspect.isfunction(getattr(F, name)), name


def test_each_family_lists_exactly_its_own_functions():
    for m in _submodules():
        assert sorted(m.__all__) == sorted(_public_functions(m)), m.__name__


def test_star_import_gives_the_functions_torch_has():
    ns: dict = {}
    exec("from gradlab.nn.functional import *", ns)
    for name in ("conv2d", "linear", "batch_norm", "max_pool2d", "dropout", "embedding"):
        assert inspect.isfunction(ns[name]), name
    # every function of torch.nn.functional (torch 2.13 has no __all__: its dir) that gradlab has
    shared = [n for n in dir(TF) if not n.startswith("_") and hasattr(F, n)
              and callable(getattr(TF, n)) and not isinstance(getattr(TF, n), type)]
    assert "conv2d" in shared and "linear" in shared
    for name in shared:
        assert name in ns and name in F.__all__, name


def test_submodule_names_do_not_hide_the_functions():
    # linear.py, dropout.py, embedding.py share their function's name; the function must win
    for name in ("linear", "dropout", "embedding"):
        assert not isinstance(getattr(F, name), types.ModuleType), name


def test_private_helpers_other_modules_reach_still_resolve():
    # nn/dropout.py, nn/loss.py, compress/quantize.py (issue 18 step 7 removes this)
    for name in ("_check_dropout_p", "_reduction", "_conv_padding"):
        assert callable(getattr(F, name)), name
