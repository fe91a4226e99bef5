"""Neural-network building blocks. ``gradlab.nn.functional`` holds the math."""

from . import functional

__all__ = ["functional"]
