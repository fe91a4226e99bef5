"""Neural-network building blocks (``torch.nn``): Module, Parameter, layers, containers, init.

Modules are thin: they hold Parameters and call ``gradlab.nn.functional``, where the math lives.
"""

from . import functional, init, parallel, utils
from .activation import (
    ELU,
    GELU,
    RBF,
    Hardsigmoid,
    Hardswish,
    LeakyReLU,
    LogSoftmax,
    PReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Softplus,
    Tanh,
)
from .attention import MultiheadAttention
from .channelshuffle import ChannelShuffle as ChannelShuffle
from .container import ModuleDict, ModuleList, Sequential
from .conv import Conv1d, Conv2d, ConvTranspose2d, LazyConv2d
from .dropout import Dropout, Dropout2d
from .embedding import Embedding
from .flatten import Flatten, Unflatten
from .lazy import LazyModuleMixin
from .linear import Identity, LazyLinear, Linear
from .loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from .module import Module, RemovableHandle
from .normalization import (
    BatchNorm1d,
    BatchNorm2d,
    CosineLinear,
    GroupNorm,
    InstanceNorm2d,
    LayerNorm,
)
from .parameter import Parameter, UninitializedParameter
from .pooling import AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, MaxPool2d, StochasticPool2d
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, irnn_init_
from .syncbatchnorm import SyncBatchNorm
from .transformer import TransformerEncoder, TransformerEncoderLayer

__all__ = ["functional", "init", "Module", "Parameter", "RemovableHandle", "Sequential",
           "UninitializedParameter", "LazyModuleMixin", "LazyLinear", "LazyConv2d",
           "ModuleList", "ModuleDict", "Identity", "Linear", "Flatten", "Unflatten",
           "utils", "Conv1d", "Conv2d", "ConvTranspose2d", "BatchNorm1d", "BatchNorm2d",
           "LayerNorm", "GroupNorm", "InstanceNorm2d", "CosineLinear", "MaxPool2d", "AvgPool2d",
           "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "StochasticPool2d"]
__all__ += ["ReLU", "LeakyReLU", "PReLU", "ELU", "Softplus", "GELU", "Hardsigmoid",
            "Hardswish", "Sigmoid", "Tanh",
            "Softmax", "LogSoftmax", "RBF", "L1Loss", "MSELoss", "SmoothL1Loss", "HuberLoss",
            "NLLLoss", "CrossEntropyLoss", "BCELoss", "BCEWithLogitsLoss", "KLDivLoss",
            "Dropout", "Dropout2d", "Embedding"]
__all__ += ["RNNBase", "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", "irnn_init_"]
__all__ += ["MultiheadAttention", "TransformerEncoderLayer", "TransformerEncoder"]
__all__ += ["parallel", "SyncBatchNorm"]
