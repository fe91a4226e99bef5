"""Full-size ImageNet classics with the layer specs source 003's receptive-field appendix uses
(kernel, stride, padding per layer). They build and run on 224x224 inputs; an adaptive average
pool before the classifier fixes its input size, as torchvision's AlexNet does."""

from __future__ import annotations

from .. import nn
from .vgg import VGG16_CFG, make_layers


def _classifier(in_features: int, num_classes: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear(in_features, 4096),
                         nn.ReLU(), nn.Dropout(dropout), nn.Linear(4096, 4096), nn.ReLU(),
                         nn.Linear(4096, num_classes))


class AlexNet(nn.Module):
    """AlexNet (Krizhevsky et al. 2012), one tower: conv1 96@11x11/4, pool 3/2, conv2 256@5x5
    pad 2, pool 3/2, conv3-4 384@3x3, conv5 256@3x3, pool 3/2; FC 4096-4096-classes.

    62,378,344 parameters with 1000 classes. Shape: (N, 3, 224, 224) -> (N, num_classes).
    """

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 96, 11, 4, 0), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.Conv2d(96, 256, 5, 1, 2), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.Conv2d(256, 384, 3, 1, 1), nn.ReLU(),
            nn.Conv2d(384, 384, 3, 1, 1), nn.ReLU(),
            nn.Conv2d(384, 256, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(3, 2))
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = _classifier(256 * 6 * 6, num_classes, dropout)

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)))


class VGG16(nn.Module):
    """VGG16 (configuration D): 13 3x3 convs in 5 stages, 2x2 max pools, FC 4096-4096-classes.

    138,357,544 parameters with 1000 classes. Shape: (N, 3, 224, 224) -> (N, num_classes).
    """

    def __init__(self, num_classes: int = 1000, batch_norm: bool = False,
                 dropout: float = 0.5) -> None:
        super().__init__()
        self.features = make_layers(VGG16_CFG, 3, batch_norm)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = _classifier(512 * 7 * 7, num_classes, dropout)

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)))


class ZFNet(nn.Module):
    """ZF-5 (Zeiler & Fergus 2013, the 5-conv net of source 003's table): conv1 96@7x7/2 pad 3,
    pool 3/2 pad 1, conv2 256@5x5/2 pad 2, pool 3/2 pad 1, conv3-4 384@3x3, conv5 256@3x3;
    then pool 3/2, FC 4096-4096-classes.

    Shape: (N, 3, 224, 224) -> (N, num_classes).
    """

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 96, 7, 2, 3), nn.ReLU(), nn.MaxPool2d(3, 2, 1),
            nn.Conv2d(96, 256, 5, 2, 2), nn.ReLU(), nn.MaxPool2d(3, 2, 1),
            nn.Conv2d(256, 384, 3, 1, 1), nn.ReLU(),
            nn.Conv2d(384, 384, 3, 1, 1), nn.ReLU(),
            nn.Conv2d(384, 256, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(3, 2))
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = _classifier(256 * 6 * 6, num_classes, dropout)

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)))
