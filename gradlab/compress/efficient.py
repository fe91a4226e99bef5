"""Efficient convolution blocks (source 003 "model acceleration", structure changes): depthwise
separable convolution (MobileNet, Xception), group convolution with channel shuffle
(ShuffleNet), and the SqueezeNet Fire module (a 1 x 1 "squeeze" bottleneck before the
expensive convolutions). :func:`compare_costs` counts their parameters and multiply-adds next
to a standard convolution with :func:`gradlab.tools.summary`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import nn
from ..functions import cat
from ..nn import functional as F


class DepthwiseSeparableConv2d(nn.Module):
    """A k x k depthwise conv (one filter per input channel, ``groups=in_channels``) followed by
    a 1 x 1 pointwise conv that mixes channels (Howard et al. 2017, MobileNet).

    Parameters C k² + C O (+ O) instead of C O k² (+ O): about 1/O + 1/k² of the standard
    conv's, with the same multiply-add ratio.

    Shape: (N, C_in, H, W) -> (N, C_out, Ho, Wo), Ho as for a Conv2d with the same kernel,
    stride, padding and dilation.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, bias: bool = True) -> None:
        super().__init__()
        self.depthwise = nn.Conv2d(in_channels, in_channels, kernel_size, stride, padding,
                                   dilation, groups=in_channels, bias=False)
        self.pointwise = nn.Conv2d(in_channels, out_channels, 1, bias=bias)

    def forward(self, x):
        return self.pointwise(self.depthwise(x))


class ShuffleUnit(nn.Module):
    """ShuffleNet unit (Zhang et al. 2018): 1 x 1 group conv -> BN -> ReLU -> channel shuffle ->
    3 x 3 depthwise conv (stride s) -> BN -> 1 x 1 group conv -> BN, then with stride 1 added to
    the input, with stride 2 concatenated with a 3 x 3 average pool of it; ReLU at the end.

    The bottleneck has ``out_channels // 4`` channels (stride 2: of the branch's
    ``out_channels - in_channels``). Shape: (N, C_in, H, W) -> (N, C_out, H / s, W / s).
    """

    def __init__(self, in_channels: int, out_channels: int, groups: int = 3,
                 stride: int = 1) -> None:
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"ShuffleUnit: stride must be 1 or 2, got {stride}")
        branch = out_channels if stride == 1 else out_channels - in_channels
        if stride == 1 and in_channels != out_channels:
            raise ValueError(f"ShuffleUnit: with stride 1 the residual needs in_channels == "
                             f"out_channels, got {in_channels} and {out_channels}")
        mid = branch // 4
        for name, value in (("in_channels", in_channels), ("bottleneck (out // 4)", mid),
                            ("branch output", branch)):
            if value <= 0 or value % groups:
                raise ValueError(f"ShuffleUnit: {name} = {value} must be a positive multiple "
                                 f"of groups = {groups}")
        self.stride = stride
        self.compress = nn.Conv2d(in_channels, mid, 1, groups=groups, bias=False)
        self.bn1 = nn.BatchNorm2d(mid)
        self.shuffle = nn.ChannelShuffle(groups)
        self.depthwise = nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        self.expand = nn.Conv2d(mid, branch, 1, groups=groups, bias=False)
        self.bn3 = nn.BatchNorm2d(branch)

    def forward(self, x):
        y = self.shuffle(F.relu(self.bn1(self.compress(x))))
        y = self.bn3(self.expand(self.bn2(self.depthwise(y))))
        if self.stride == 1:
            return F.relu(x + y)
        return F.relu(cat([F.avg_pool2d(x, 3, 2, 1), y], 1))


class Fire(nn.Module):
    """SqueezeNet Fire module (Iandola et al. 2016): squeeze 1 x 1 conv (C -> s) + ReLU, then
    expand with 1 x 1 (s -> e1) and 3 x 3 (s -> e3, padding 1) convs + ReLU, concatenated.

    Shape: (N, C, H, W) -> (N, e1 + e3, H, W).
    """

    def __init__(self, in_channels: int, squeeze: int, expand1x1: int, expand3x3: int) -> None:
        super().__init__()
        self.squeeze = nn.Conv2d(in_channels, squeeze, 1)
        self.expand1x1 = nn.Conv2d(squeeze, expand1x1, 1)
        self.expand3x3 = nn.Conv2d(squeeze, expand3x3, 3, padding=1)

    def forward(self, x):
        s = F.relu(self.squeeze(x))
        return cat([F.relu(self.expand1x1(s)), F.relu(self.expand3x3(s))], 1)


@dataclass
class CostRow:
    name: str
    params: int
    macs: int


@dataclass
class CostTable:
    """Parameters and multiply-adds of blocks on the same input, relative to the first row;
    ``str()`` is a table."""

    input_size: tuple
    rows: list[CostRow]

    def __str__(self) -> str:
        base = self.rows[0]
        width = max(len(r.name) for r in self.rows)
        lines = [f"input {tuple(self.input_size)}",
                 f"{'block':<{width}}  {'params':>9} {'x':>6}  {'mult-adds':>12} {'x':>6}"]
        for r in self.rows:
            lines.append(f"{r.name:<{width}}  {r.params:>9,} {r.params / base.params:>6.3f}  "
                         f"{r.macs:>12,} {r.macs / base.macs:>6.3f}")
        return "\n".join(lines)


def compare_costs(blocks: dict[str, nn.Module], input_size: tuple) -> CostTable:
    """Count the parameters and multiply-adds of each block on an input of ``input_size``
    (N, C, H, W) with :func:`gradlab.tools.summary`; the first block is the baseline (e.g.
    the standard convolution the others replace)."""
    from ..tools import summary

    if not blocks:
        raise ValueError("compare_costs: no blocks given")
    rows = []
    for name, block in blocks.items():
        s = summary(block, input_size=input_size)
        rows.append(CostRow(name, s.total_params, s.total_macs))
    return CostTable(tuple(input_size), rows)
