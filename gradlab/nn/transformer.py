"""The Transformer encoder (Vaswani et al. 2017, §3.1): ``nn.TransformerEncoderLayer`` (self-
attention and a position-wise feed-forward block, each with dropout, a residual connection and
LayerNorm) and ``nn.TransformerEncoder`` (a stack of deep copies of one layer, optionally a
final norm). Sub-module names, shapes and init are torch's, so a torch ``state_dict`` loads.

torch's inference fast paths (``_transformer_encoder_layer_fwd``, nested tensors for padded
batches) are not reproduced: ``enable_nested_tensor`` is accepted and has no effect, so where
torch's nested path returns zeros at padded positions of the output, gradlab returns the
computed values there (the other positions agree).
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np

from .._device import check_device
from ..tensor import Tensor
from . import functional as F
from .activation import GELU, ReLU
from .attention import MultiheadAttention
from .container import ModuleList
from .dropout import Dropout
from .functional.attention import _canonical_mask, _none_or_dtype
from .linear import Linear
from .module import Module
from .normalization import LayerNorm


def _get_activation_fn(activation: str) -> Callable[[Tensor], Tensor]:
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    raise RuntimeError(f"activation should be relu/gelu, not {activation}")


def _generate_square_subsequent_mask(sz: int, dtype) -> np.ndarray:
    """(sz, sz): 0 on and below the diagonal, -inf above (position i sees positions <= i)."""
    return np.triu(np.full((sz, sz), -np.inf, dtype=dtype), k=1)


def _detect_is_causal_mask(mask: Tensor | None, is_causal: bool | None,
                           size: int | None) -> bool:
    """``is_causal`` if given; if None, whether ``mask`` is the causal mask (torch's rule)."""
    make_causal = is_causal is True
    if is_causal is None and mask is not None:
        sz = size if size is not None else mask.shape[-2]
        causal = _generate_square_subsequent_mask(sz, mask.array.dtype)
        make_causal = (tuple(mask.shape) == causal.shape
                       and bool(np.array_equal(mask.array, causal)))
    return make_causal


class TransformerEncoderLayer(Module):
    """x -> norm1(x + SA(x)) -> norm2(. + FF(.)) (post-norm, the paper's), or with
    ``norm_first`` x -> x + SA(norm1(x)) -> . + FF(norm2(.)) (pre-norm), where SA is
    multi-head self-attention followed by dropout and FF = dropout(linear2(dropout(
    activation(linear1(x))))).

    ``activation``: "relu", "gelu" or a callable (a function or a module, as torch's).

    Shape: src (S, N, d_model) ((N, S, d_model) with ``batch_first``; unbatched (S, d_model))
    -> the same shape.
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: str | Callable[[Tensor], Tensor] = F.relu,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None, dtype=None) -> None:
        check_device(device, "TransformerEncoderLayer")
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        if isinstance(activation, str):
            activation = _get_activation_fn(activation)
        if activation is F.relu or isinstance(activation, ReLU):
            self.activation_relu_or_gelu = 1
        elif activation is F.gelu or isinstance(activation, GELU):
            self.activation_relu_or_gelu = 2
        else:
            self.activation_relu_or_gelu = 0
        self.activation = activation

    def forward(self, src: Tensor, src_mask: Tensor | None = None,
                src_key_padding_mask: Tensor | None = None, is_causal: bool = False) -> Tensor:
        """``src_mask`` (S, S) or (N * nhead, S, S), ``src_key_padding_mask`` (N, S): boolean
        (True = may not attend) or float (added to the scores); ``is_causal``: a hint that
        ``src_mask`` is the causal mask."""
        src_key_padding_mask = _canonical_mask(src_key_padding_mask, "src_key_padding_mask",
                                               _none_or_dtype(src_mask), "src_mask",
                                               src.array.dtype)
        src_mask = _canonical_mask(src_mask, "src_mask", None, "", src.array.dtype,
                                   check_other=False)
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x: Tensor, attn_mask: Tensor | None, key_padding_mask: Tensor | None,
                  is_causal: bool = False) -> Tensor:
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x: Tensor) -> Tensor:
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout2(x)


class TransformerEncoder(Module):
    """``num_layers`` deep copies of ``encoder_layer`` applied in turn (``layers``, a
    ModuleList), then ``norm`` if given. ``enable_nested_tensor`` and ``mask_check`` are
    accepted for torch's signature; they steer torch's inference fast path, which gradlab does
    not have.

    Shape: src as the layer's -> the same shape.
    """

    def __init__(self, encoder_layer: Module, num_layers: int, norm: Module | None = None,
                 enable_nested_tensor: bool = True, mask_check: bool = True) -> None:
        super().__init__()
        if not isinstance(encoder_layer, Module):
            raise TypeError(f"TransformerEncoder: encoder_layer must be a Module, got "
                            f"{type(encoder_layer).__name__}")
        if isinstance(num_layers, bool) or not isinstance(num_layers, int) or num_layers < 0:
            raise ValueError(f"TransformerEncoder: num_layers must be a non-negative int, got "
                             f"{num_layers!r}")
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.use_nested_tensor = False  # torch's nested-tensor fast path does not exist here
        self.mask_check = mask_check

    def forward(self, src: Tensor, mask: Tensor | None = None,
                src_key_padding_mask: Tensor | None = None,
                is_causal: bool | None = None) -> Tensor:
        """``mask`` and ``src_key_padding_mask`` as the layer's; ``is_causal`` None: detected
        by comparing ``mask`` with the causal mask (as torch)."""
        src_key_padding_mask = _canonical_mask(src_key_padding_mask, "src_key_padding_mask",
                                               _none_or_dtype(mask), "mask", src.array.dtype)
        mask = _canonical_mask(mask, "mask", None, "", src.array.dtype, check_other=False)
        batch_first = (self.layers[0].self_attn.batch_first if len(self.layers)
                       and hasattr(self.layers[0], "self_attn") else False)
        seq_len = src.shape[0] if src.ndim == 2 else src.shape[1 if batch_first else 0]
        is_causal = _detect_is_causal_mask(mask, is_causal, seq_len)
        output = src
        for mod in self.layers:
            output = mod(output, src_mask=mask, is_causal=is_causal,
                         src_key_padding_mask=src_key_padding_mask)
        if self.norm is not None:
            output = self.norm(output)
        return output
