"""Graph utilities that code outside autograd needs (``torch.autograd.graph``'s names).

``increment_version`` is the one way a module that writes into a tensor's array in place (an
optimizer step, a running statistic, ``nn.init``, loading a state dict) tells autograd that it
did: a graph that saved the tensor before the write then refuses to run its backward on the
changed values ("one of the variables needed for gradient computation has been modified by an
inplace operation"), instead of computing a wrong gradient.
"""

from __future__ import annotations

from collections.abc import Iterable


def increment_version(tensor) -> None:
    """Mark ``tensor`` (or each tensor of an iterable) as modified in place: its version
    counter, shared with its views, goes up by one."""
    if isinstance(tensor, Iterable) and not hasattr(tensor, "_version"):
        for t in tensor:
            increment_version(t)
        return
    tensor._version.v += 1
