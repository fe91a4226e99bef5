"""Datasets: built-in offline sets and synthetic tasks."""

from .digits import Digits
from .synthetic import two_spirals

__all__ = ["Digits", "two_spirals"]
