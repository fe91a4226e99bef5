"""Differentiable primitives: ``ArrayFunction`` subclasses that work on NumPy arrays.

One file per family (elementwise, reduce, shape, linalg, activation, loss). Tensor methods and
the ``gradlab.*`` functions are thin calls into these. Importing the package names their
graph nodes as torch does (_names.py).
"""

from . import _names  # noqa: F401  (names every primitive's node class, once)
