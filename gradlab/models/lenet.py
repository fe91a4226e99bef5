"""LeNet-5 (LeCun et al. 1998)."""

from __future__ import annotations

from .. import nn


class LeNet5(nn.Module):
    """LeNet-5: C1 6@5x5 -> S2 -> C3 16@5x5 -> S4 -> C5 120 -> F6 84 -> 10.

    61,706 parameters. The classic net takes 1x32x32 images; with ``input_size=28`` the first
    convolution pads by 2 so 28x28 digits (MNIST) give the same feature-map sizes and the same
    parameter count. ``classic=True`` uses tanh and average pooling as in the paper;
    ``classic=False`` ReLU and max pooling.

    Shape: (N, in_channels, input_size, input_size) -> (N, num_classes).
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, input_size: int = 32,
                 classic: bool = True) -> None:
        super().__init__()
        if input_size not in (28, 32):
            raise ValueError(f"LeNet5: input_size must be 28 or 32, got {input_size}")
        act = nn.Tanh if classic else nn.ReLU
        pool = nn.AvgPool2d if classic else nn.MaxPool2d
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5, padding=2 if input_size == 28 else 0), act(),
            pool(2), nn.Conv2d(6, 16, 5), act(), pool(2))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(16 * 5 * 5, 120), act(), nn.Linear(120, 84), act(),
            nn.Linear(84, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))
