"""Differentiable primitives: ``Function`` subclasses that work on NumPy arrays.

One file per family (elementwise, reduce, shape, linalg, activation, loss). Tensor methods and
the ``gradlab.*`` functions are thin calls into these.
"""
