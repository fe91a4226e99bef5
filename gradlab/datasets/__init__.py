"""Datasets: built-in offline sets, the MNIST family (IDX files) and synthetic tasks."""

from .digits import Digits
from .idx import read_idx, write_idx
from .mnist import KMNIST, MNIST, FashionMNIST
from .synthetic import adding_problem, blobs, copy_task, moons, noisy_sine, two_spirals, xor

__all__ = [
    "KMNIST", "MNIST", "Digits", "FashionMNIST", "adding_problem", "blobs", "copy_task",
    "moons", "noisy_sine", "read_idx", "two_spirals", "write_idx", "xor",
]
