"""Utilities with PyTorch's ``torch.utils`` names: ``gradlab.utils.data`` (datasets, loaders)."""

from . import data

__all__ = ["data"]
