"""``nn.MultiheadAttention`` (Vaswani et al. 2017, §3.2.2) with torch's parameters, so a torch
``state_dict`` loads: ``in_proj_weight`` (3E, E) when key and value have the query's width,
else ``q_proj_weight`` (E, E), ``k_proj_weight`` (E, kdim), ``v_proj_weight`` (E, vdim);
``in_proj_bias`` (3E,); ``out_proj`` (a Linear E -> E); ``bias_k``, ``bias_v`` (1, 1, E). The
math is ``nn.functional.multi_head_attention_forward``.
"""

from __future__ import annotations

from .. import creation
from .._device import check_device
from ..tensor import Tensor
from . import functional as F
from . import init
from .functional.attention import _canonical_mask, _none_or_dtype
from .linear import Linear
from .module import Module
from .parameter import Parameter


class NonDynamicallyQuantizableLinear(Linear):
    """A ``Linear`` under torch's name for ``MultiheadAttention.out_proj`` (torch uses the
    class to keep the layer out of dynamic quantization); its repr and state are Linear's."""


class MultiheadAttention(Module):
    """Multi-head attention: each of ``num_heads`` heads attends with its own E / num_heads
    slice of the projected query, key and value; the heads are concatenated and projected.

    Initialization as torch's: xavier_uniform_ on the input projection weights, zero input and
    output projection biases, xavier_normal_ on ``bias_k``/``bias_v`` (``add_bias_kv``: one more
    learned key/value appended to the sequence); ``add_zero_attn`` appends a zero key/value;
    ``dropout`` drops attention weights in training.

    Shape: query (L, N, E), key (S, N, kdim), value (S, N, vdim) ((N, L, E) ... with
    ``batch_first``; unbatched (L, E), (S, kdim), (S, vdim)) -> output like the query, weights
    (N, L, S) (averaged over heads) or (N, num_heads, L, S), unbatched without N.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, device=None,
                 dtype=None) -> None:
        check_device(device, "MultiheadAttention")
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"MultiheadAttention: embed_dim and num_heads must be greater than "
                             f"0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads} instead")
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads, self.dropout, self.batch_first = num_heads, dropout, batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError(f"MultiheadAttention: embed_dim must be divisible by num_heads "
                                 f"(got embed_dim="
                                 f"{embed_dim}, num_heads={num_heads})")

        def empty(*shape):
            return Parameter(creation.empty(*shape, dtype=dtype))

        if not self._qkv_same_embed_dim:
            self.q_proj_weight = empty(embed_dim, embed_dim)
            self.k_proj_weight = empty(embed_dim, self.kdim)
            self.v_proj_weight = empty(embed_dim, self.vdim)
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = empty(3 * embed_dim, embed_dim)
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        if bias:
            self.in_proj_bias = empty(3 * embed_dim)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias,
                                                        dtype=dtype)
        if add_bias_kv:
            self.bias_k, self.bias_v = empty(1, 1, embed_dim), empty(1, 1, embed_dim)
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def forward(self, query: Tensor, key: Tensor, value: Tensor,
                key_padding_mask: Tensor | None = None, need_weights: bool = True,
                attn_mask: Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
        """``key_padding_mask`` (N, S) (unbatched (S,)): True or a float added, per key;
        ``attn_mask`` (L, S) or (N * num_heads, L, S): True = may not attend, or a float added.
        Returns (attn_output, attn_weights), the weights None unless ``need_weights``."""
        is_batched = query.ndim == 3
        key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask",
                                           _none_or_dtype(attn_mask), "attn_mask",
                                           query.array.dtype)
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.array.dtype,
                                    check_other=False)
        if self.batch_first and is_batched:
            # keep the identities q is k is v: they pick the packed projections
            if key is value:
                if query is key:
                    query = key = value = query.transpose(1, 0)
                else:
                    query, key = query.transpose(1, 0), key.transpose(1, 0)
                    value = key
            else:
                query, key, value = (x.transpose(1, 0) for x in (query, key, value))
        separate = {} if self._qkv_same_embed_dim else dict(
            use_separate_proj_weight=True, q_proj_weight=self.q_proj_weight,
            k_proj_weight=self.k_proj_weight, v_proj_weight=self.v_proj_weight)
        out, weights = F.multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
            self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
            self.out_proj.weight, self.out_proj.bias, training=self.training,
            key_padding_mask=key_padding_mask, need_weights=need_weights, attn_mask=attn_mask,
            average_attn_weights=average_attn_weights, is_causal=is_causal, **separate)
        if self.batch_first and is_batched:
            out = out.transpose(1, 0)
        return out, weights
