"""Utilities with PyTorch's ``torch.utils`` names: ``gradlab.utils.data`` (datasets, loaders)
and ``gradlab.utils.tensorboard`` (``SummaryWriter``; imported on its own, as torch's)."""

from . import data

__all__ = ["data"]
