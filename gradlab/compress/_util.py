"""Helpers shared by the compression modules: copying a model, replacing layers, file sizes."""

from __future__ import annotations

import copy
import os
import tempfile
from collections.abc import Callable

from .. import nn
from ..io import save
from ..tensor import Tensor, from_numpy


def clone_module(model: nn.Module) -> nn.Module:
    """An independent copy of ``model`` (gradlab tensors refuse pickling, so ``deepcopy`` gets
    fresh copies of every parameter, buffer and cached tensor up front)."""
    memo: dict = {}
    for m in model.modules():
        for p in m._parameters.values():
            if p is not None and id(p) not in memo:
                memo[id(p)] = nn.Parameter(p.array.copy(), requires_grad=p.requires_grad)
        for b in m._buffers.values():
            if b is not None and id(b) not in memo:
                memo[id(b)] = from_numpy(b.array.copy())
        for v in m.__dict__.values():
            if isinstance(v, Tensor) and id(v) not in memo:
                memo[id(v)] = from_numpy(v.array.copy())
    return copy.deepcopy(model, memo)


def replace_layers(model: nn.Module, fn: Callable[[str, nn.Module], nn.Module | None]) -> int:
    """Replace every sub-module ``m`` (named ``name``) for which ``fn(name, m)`` returns a
    module; returns how many were replaced. The root itself is never replaced."""
    count = 0
    for parent_name, parent in list(model.named_modules()):
        for child_name, child in list(parent._modules.items()):
            if child is None:
                continue
            full = f"{parent_name}.{child_name}" if parent_name else child_name
            new = fn(full, child)
            if new is not None:
                parent._modules[child_name] = new
                count += 1
    return count


def saved_size(state: dict, metadata: dict | None = None) -> int:
    """Bytes of ``state`` (a ``{name: tensor or array}`` dict) written as safetensors by
    :func:`gradlab.io.save`: the size on disk, header included."""
    fd, path = tempfile.mkstemp(suffix=".safetensors")
    os.close(fd)
    try:
        save(state, path, metadata=metadata)
        return os.path.getsize(path)
    finally:
        os.unlink(path)
