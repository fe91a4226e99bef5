"""``ChannelShuffle`` (ShuffleNet, Zhang et al. 2018): mixes the channels of grouped
convolutions so that information flows between groups (source 003 "model acceleration": group
convolution, ShuffleNet)."""

from __future__ import annotations

from ..tensor import Tensor
from .module import Module


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """(N, g·k, *) -> reshape (N, g, k, *) -> transpose to (N, k, g, *) -> (N, g·k, *).

    Shape: (N, C, *) -> (N, C), C divisible by ``groups``.
    """
    if input.ndim < 3:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of "
                           f"groups:{groups}")
    n, c = input.shape[0], input.shape[1]
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels "
                           f"and {groups} groups.")
    rest = tuple(input.shape[2:])
    x = input.reshape(n, groups, c // groups, *rest).transpose(1, 2)
    return x.reshape(n, c, *rest)


class ChannelShuffle(Module):
    """Divide the channels into ``groups`` groups and interleave them (torch.nn.ChannelShuffle).

    Shape: (N, C, *) -> (N, C, *).
    """

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, input: Tensor) -> Tensor:
        return channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"
