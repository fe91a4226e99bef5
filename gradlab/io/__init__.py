"""Saving and loading: checkpoints in the safetensors format (``gradlab.save`` /
``gradlab.load``, torch's signatures): nested checkpoints of dicts, lists, tuples, numbers,
strings and tensors, with the nesting as JSON in the file's metadata (see
:mod:`gradlab.io.checkpoint` and :mod:`gradlab.io.structure`); nothing is pickled."""

from .checkpoint import CheckpointError, load, save

__all__ = ["save", "load", "CheckpointError"]
