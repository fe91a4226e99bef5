"""``Flatten`` and ``Unflatten`` as layers."""

from __future__ import annotations

from ._checks import is_int
from .module import Module


class Flatten(Module):
    """Flatten dims ``start_dim..end_dim`` into one. Shape: (N, *dims) -> (N, prod(dims))."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):
        for name in ("start_dim", "end_dim"):
            v = getattr(self, name)
            if not is_int(v):
                raise TypeError(f"Flatten: flatten(): argument '{name}' must be int, not "
                                f"{type(v).__name__} ({name}={v!r})")
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim ``dim`` into ``unflattened_size``. Shape: (N, C*H*W) -> (N, C, H, W)."""

    def __init__(self, dim: int, unflattened_size) -> None:
        super().__init__()
        if not isinstance(unflattened_size, (tuple, list)):
            raise TypeError(f"Unflatten: unflattened_size must be a tuple of ints, but found "
                            f"type {type(unflattened_size).__name__}")
        for i, s in enumerate(unflattened_size):
            if not is_int(s):
                raise TypeError(f"Unflatten: unflattened_size must be tuple of ints, but found "
                                f"element of type {type(s).__name__} at pos {i} "
                                f"(unflattened_size={tuple(unflattened_size)!r})")
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, input):
        if sum(s == -1 for s in self.unflattened_size) > 1:
            raise RuntimeError(f"Unflatten: only one dimension can be inferred (-1), got "
                               f"unflattened_size={self.unflattened_size}")
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
