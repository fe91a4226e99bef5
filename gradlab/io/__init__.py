"""Saving and loading: checkpoints in the safetensors format."""

from .checkpoint import CheckpointError, load, save

__all__ = ["save", "load", "CheckpointError"]
