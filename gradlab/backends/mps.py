"""``gradlab.backends.mps``: Apple's Metal backend is neither built nor available."""

from __future__ import annotations

__all__ = ["is_available", "is_built"]


def is_available() -> bool:
    """False: gradlab computes on the CPU."""
    return False


def is_built() -> bool:
    """False: gradlab has no MPS backend."""
    return False
