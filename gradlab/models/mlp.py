"""A multi-layer perceptron built from a list of layer sizes."""

from __future__ import annotations

from .. import nn

_ACTIVATIONS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "gelu": "GELU",
                "elu": "ELU", "leaky_relu": "LeakyReLU"}


def make_activation(name: str) -> nn.Module:
    """A fresh activation module by name (relu, tanh, sigmoid, gelu, elu, leaky_relu)."""
    if name not in _ACTIVATIONS:
        raise ValueError(f"unknown activation '{name}' (choose from {', '.join(_ACTIVATIONS)})")
    return getattr(nn, _ACTIVATIONS[name])()


class MLP(nn.Module):
    """Linear layers with ``activation`` between them, optional normalization and dropout.

    ``MLP([784, 512, 256, 10])`` is 784 -> 512 -> 256 -> 10 with ReLU after each hidden layer;
    each hidden block is Linear -> [BatchNorm1d | LayerNorm] -> activation -> [Dropout].

    Shape: (N, sizes[0]) -> (N, sizes[-1]); other input shapes are flattened from dim 1.
    """

    def __init__(self, sizes: list[int], activation: str = "relu", norm: str | None = None,
                 dropout: float = 0.0, bias: bool = True) -> None:
        super().__init__()
        if len(sizes) < 2:
            raise ValueError(f"MLP needs at least an input and an output size, got {sizes}")
        if norm not in (None, "batch", "layer"):
            raise ValueError(f"MLP: norm must be None, 'batch' or 'layer', got {norm!r}")
        layers: list[nn.Module] = [nn.Flatten()]
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(a, b, bias=bias))
            if i < len(sizes) - 2:
                if norm == "batch":
                    layers.append(nn.BatchNorm1d(b))
                elif norm == "layer":
                    layers.append(nn.LayerNorm(b))
                layers.append(make_activation(activation))
                if dropout:
                    layers.append(nn.Dropout(dropout))
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)
