"""VGG-style networks: stacks of 3x3 convolutions (Simonyan & Zisserman 2014; source 003 "two 3x3
convs see as much as one 5x5, with fewer parameters")."""

from __future__ import annotations

from .. import nn

SMALL = [32, 32, "M", 64, 64, "M", 128, 128, "M"]
VGG16_CFG = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
             512, 512, 512, "M"]


def make_layers(cfg: list, in_channels: int, batch_norm: bool) -> nn.Sequential:
    """3x3 convs (padding 1) for ints, 2x2 max pooling for "M"."""
    layers: list[nn.Module] = []
    c = in_channels
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
            continue
        layers.append(nn.Conv2d(c, v, 3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU())
        c = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """A configurable VGG: ``cfg`` lists conv widths and "M" (max pool); the default is a small
    net for 32x32 inputs (CIFAR-sized): 3 stages of two 3x3 convs, then a 256-unit classifier.

    Shape: (N, in_channels, input_size, input_size) -> (N, num_classes).
    """

    def __init__(self, cfg: list | None = None, num_classes: int = 10, in_channels: int = 3,
                 input_size: int = 32, batch_norm: bool = True, hidden: int = 256,
                 dropout: float = 0.5) -> None:
        super().__init__()
        cfg = list(SMALL if cfg is None else cfg)
        pools = cfg.count("M")
        if input_size % (2 ** pools):
            raise ValueError(f"VGG: input_size {input_size} is not divisible by 2^{pools} (one "
                             "halving per 'M')")
        self.features = make_layers(cfg, in_channels, batch_norm)
        width = [v for v in cfg if v != "M"][-1]
        side = input_size // 2 ** pools
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(width * side * side, hidden), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(hidden, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))
