"""Residual networks (He et al. 2016), CIFAR-style: 3 stages of 16/32/64 channels for 32x32
(or 28x28) inputs. ``plain=True`` removes every shortcut, giving the "plain" nets of the
degradation experiment (deeper plain nets train worse; residual ones do not)."""

from __future__ import annotations

from .. import nn
from ..nn import functional as F


class _PadShortcut(nn.Module):
    """Option A shortcut: subsample by the stride and pad the new channels with zeros (no
    parameters), as He et al. use for CIFAR."""

    def __init__(self, in_planes: int, planes: int, stride: int) -> None:
        super().__init__()
        self.stride, self.extra = stride, planes - in_planes

    def forward(self, x):
        x = x[:, :, ::self.stride, ::self.stride]
        return F.pad(x, (0, 0, 0, 0, self.extra // 2, self.extra - self.extra // 2))

    def extra_repr(self) -> str:
        return f"stride={self.stride}, extra_channels={self.extra}"


def _shortcut(in_planes: int, planes: int, stride: int, kind: str) -> nn.Module:
    if stride == 1 and in_planes == planes:
        return nn.Identity()
    if kind == "A":
        return _PadShortcut(in_planes, planes, stride)
    return nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride, bias=False),
                         nn.BatchNorm2d(planes))


class BasicBlock(nn.Module):
    """Two 3x3 convs with BN: y = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))."""

    expansion = 1

    def __init__(self, in_planes: int, planes: int, stride: int = 1, plain: bool = False,
                 shortcut: str = "A") -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.plain = plain
        self.shortcut = None if plain else _shortcut(in_planes, planes, stride, shortcut)

    def forward(self, x):
        out = self.bn1(self.conv1(x)).relu()
        out = self.bn2(self.conv2(out))
        if not self.plain:
            out = out + self.shortcut(x)
        return out.relu()


class Bottleneck(nn.Module):
    """1x1 (reduce) -> 3x3 -> 1x1 (expand x4) convs with BN, plus the shortcut (source 003
    "bottleneck 1x1 convs")."""

    expansion = 4

    def __init__(self, in_planes: int, planes: int, stride: int = 1, plain: bool = False,
                 shortcut: str = "B") -> None:
        super().__init__()
        out = planes * self.expansion
        self.conv1 = nn.Conv2d(in_planes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out)
        self.plain = plain
        self.shortcut = None if plain else _shortcut(in_planes, out, stride, shortcut)

    def forward(self, x):
        out = self.bn1(self.conv1(x)).relu()
        out = self.bn2(self.conv2(out)).relu()
        out = self.bn3(self.conv3(out))
        if not self.plain:
            out = out + self.shortcut(x)
        return out.relu()


class ResNet(nn.Module):
    """CIFAR-style ResNet: a 3x3 stem, three stages of ``num_blocks`` blocks (16, 32, 64
    channels times ``width // 16``; stride 2 between stages), global average pooling, a linear
    classifier. Depth = 6 n + 2 for BasicBlock (n = 3: ResNet-20, 5: 32, 9: 56).

    Shape: (N, in_channels, H, W) -> (N, num_classes) for any H, W >= 8.
    """

    def __init__(self, block=BasicBlock, num_blocks=(3, 3, 3), num_classes: int = 10,
                 in_channels: int = 3, width: int = 16, plain: bool = False,
                 shortcut: str | None = None) -> None:
        super().__init__()
        kind = shortcut or ("A" if block is BasicBlock else "B")
        if kind not in ("A", "B"):
            raise ValueError(f"ResNet: shortcut must be 'A' (zero-pad) or 'B' (1x1 projection), "
                             f"got {shortcut!r}")
        self.conv1 = nn.Conv2d(in_channels, width, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        planes = width
        self.in_planes = width
        stages = []
        for i, n in enumerate(num_blocks):
            blocks = []
            for j in range(n):
                stride = 2 if i > 0 and j == 0 else 1
                blocks.append(block(self.in_planes, planes, stride, plain, kind))
                self.in_planes = planes * block.expansion
            stages.append(nn.Sequential(*blocks))
            planes *= 2
        self.layer1, self.layer2, self.layer3 = stages
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(self.in_planes, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        out = self.bn1(self.conv1(x)).relu()
        out = self.layer3(self.layer2(self.layer1(out)))
        return self.fc(self.pool(out).flatten(1))


def resnet20(**kwargs) -> ResNet:
    """ResNet-20 (0.27 M parameters with 10 classes)."""
    return ResNet(BasicBlock, (3, 3, 3), **kwargs)


def resnet32(**kwargs) -> ResNet:
    """ResNet-32 (0.46 M parameters)."""
    return ResNet(BasicBlock, (5, 5, 5), **kwargs)


def resnet56(**kwargs) -> ResNet:
    """ResNet-56 (0.85 M parameters)."""
    return ResNet(BasicBlock, (9, 9, 9), **kwargs)
