"""The lab's experiments, one module each, named ``eNN_<topic>.py`` (``NN`` fixes the order in
the report). Each module defines ``EXPERIMENT``, an instance of
:class:`gradlab.lab.experiment.Experiment`; :func:`all_experiments` finds them."""

from __future__ import annotations

import importlib
import pkgutil


def all_experiments() -> list:
    """Every experiment, in module-name order."""
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("e") and info.name[1:3].isdigit():
            module = importlib.import_module(f"{__name__}.{info.name}")
            found.append(module.EXPERIMENT)
    return found
