"""Datasets: built-in offline sets and synthetic tasks."""

from .synthetic import two_spirals

__all__ = ["two_spirals"]
