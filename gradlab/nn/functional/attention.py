"""Attention (``torch.nn.functional``'s names): scaled dot-product attention and the multi-head
attention forward of ``nn.MultiheadAttention``.

Both are compositions of differentiable ops (matmul, masked_fill, softmax, dropout, linear), so
autograd gives every gradient: w.r.t. query, key, value, a float mask, and the projection
weights. Source: Vaswani et al. 2017, "Attention Is All You Need", §3.2.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ...functions import cat
from ...tensor import Tensor, from_numpy
from .dropout import dropout
from .linear import linear
from .shape import pad

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]

_SDPA = "scaled_dot_product_attention"


def _dtype_name(t: Tensor) -> str:
    return str(t.array.dtype)


def _check_sdpa(query, key, value, attn_mask, dropout_p, is_causal, enable_gqa) -> None:
    """torch's argument errors, with gradlab's message (op, argument, values, expectation)."""
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{_SDPA}: {name} must be a Tensor, got {type(t).__name__}")
    if min(query.ndim, key.ndim, value.ndim) < 2:
        raise RuntimeError(f"{_SDPA}: expected query, key and value to be at least 2-D, got "
                           f"query.dim {query.ndim}, key.dim {key.ndim}, value.dim {value.ndim}")
    dts = {query.array.dtype, key.array.dtype, value.array.dtype}
    if len(dts) > 1:
        raise RuntimeError(f"{_SDPA}: expected query, key and value to have the same dtype, got "
                           f"query {_dtype_name(query)}, key {_dtype_name(key)}, value "
                           f"{_dtype_name(value)}")
    if query.array.dtype.kind != "f":
        raise RuntimeError(f"{_SDPA}: expected floating-point query, key and value, got "
                           f"{_dtype_name(query)}")
    if attn_mask is not None:
        if not isinstance(attn_mask, Tensor):
            raise TypeError(f"{_SDPA}: attn_mask must be a Tensor or None, got "
                            f"{type(attn_mask).__name__}")
        if attn_mask.array.dtype != np.bool_ and attn_mask.array.dtype != query.array.dtype:
            raise RuntimeError(f"{_SDPA}: attn_mask must be bool or of the query's dtype "
                               f"({_dtype_name(query)}), got {_dtype_name(attn_mask)}")
        if is_causal:
            raise RuntimeError(f"{_SDPA}: an explicit attn_mask must not be given with "
                               f"is_causal=True (got attn_mask of shape "
                               f"{list(attn_mask.shape)})")
    if not 0.0 <= dropout_p <= 1.0:
        raise RuntimeError(f"{_SDPA}: dropout probability has to be between 0 and 1, but got "
                           "dropout_p="
                           f"{dropout_p}")
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(f"{_SDPA}: query (..., L, E) and key (..., S, E) must share E, got "
                           f"query {list(query.shape)} and key {list(key.shape)}")
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"{_SDPA}: key (..., S, E) and value (..., S, Ev) must share S, got "
                           f"key {list(key.shape)} and value {list(value.shape)}")
    if enable_gqa:
        if min(query.ndim, key.ndim, value.ndim) < 3:
            raise IndexError(f"{_SDPA}: enable_gqa needs a heads dim (-3) in query, key and "
                             f"value, got shapes {list(query.shape)}, {list(key.shape)}, "
                             f"{list(value.shape)}")
        hq = query.shape[-3]
        if hq % key.shape[-3] or hq % value.shape[-3]:
            raise RuntimeError(f"{_SDPA}: with enable_gqa the number of heads in key "
                               f"({key.shape[-3]}) and value ({value.shape[-3]}) must divide "
                               f"the number of heads in query ({hq})")


def _repeat_heads(t: Tensor, heads: int) -> Tensor:
    """``t.repeat_interleave(heads // t.size(-3), dim=-3)``: each head of (..., H, S, E) taken
    heads / H times in a row (an expand, so the gradient sums over the copies)."""
    h = t.shape[-3]
    if h == heads:
        return t
    sh = tuple(t.shape)
    g = heads // h
    return t.unsqueeze(-3).expand(*sh[:-2], g, *sh[-2:]).reshape(*sh[:-3], heads, *sh[-2:])


def _fits(mask_shape: tuple, scores_shape: tuple, what: str) -> None:
    try:
        full = np.broadcast_shapes(mask_shape, scores_shape)
    except ValueError:
        full = None
    if full != scores_shape:
        raise RuntimeError(f"{_SDPA}: {what} of shape {list(mask_shape)} does not broadcast to "
                           f"the attention scores' shape {list(scores_shape)} (..., L, S)")


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(Q K^T * scale + M) V (Vaswani et al. 2017, eq. 1), scale = 1 / sqrt(E) unless
    given.

    ``attn_mask``: boolean (True = the query may attend to that key; False adds -inf) or a float
    mask of the query's dtype added to the scores (it gets a gradient if it requires one);
    broadcast to the scores (..., L, S). ``is_causal``: query i attends to keys j <= i (the
    top-left aligned lower triangle; raises RuntimeError together with ``attn_mask``). A query
    row with every key masked gives zeros (and zero gradients), as torch's. ``dropout_p``:
    dropout on the attention weights, applied whenever it is > 0 (pass 0.0 in evaluation, as
    with torch). ``enable_gqa``: key and value may have fewer heads (dim -3) than the query, a
    divisor of its count; each is repeated to match (grouped-query attention).

    Shape: query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev); the batch
    dims broadcast.
    """
    _check_sdpa(query, key, value, attn_mask, dropout_p, is_causal, enable_gqa)
    e = query.shape[-1]
    scale_factor = (1.0 / math.sqrt(e) if e else math.inf) if scale is None else scale
    if enable_gqa:
        key, value = _repeat_heads(key, query.shape[-3]), _repeat_heads(value, query.shape[-3])
    # the query scaled before the product (L x E values, fewer than the L x S scores)
    scores = (query * scale_factor).matmul(key.transpose(-2, -1))
    L, S = scores.shape[-2], scores.shape[-1]
    if is_causal:
        scores = scores.masked_fill(from_numpy(~np.tril(np.ones((L, S), dtype=bool))),
                                    float("-inf"))
    elif attn_mask is not None:
        _fits(tuple(attn_mask.shape), tuple(scores.shape), "attn_mask")
        if attn_mask.array.dtype == np.bool_:
            scores = scores.masked_fill(from_numpy(~attn_mask.array), float("-inf"))
        else:
            scores = scores + attn_mask
    dead = None
    if attn_mask is not None:
        # rows whose every score is -inf: softmax would give 0/0; torch gives them zeros
        dead = np.isneginf(scores.array).all(axis=-1, keepdims=True)
        if dead.any():
            dead = from_numpy(dead)
            scores = scores.masked_fill(dead, 0.0)
        else:
            dead = None
    weights = scores.softmax(-1)
    if dead is not None:
        weights = weights.masked_fill(dead, 0.0)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, training=True)
    return weights.matmul(value)


# --------------------------------------------------------------------------- multi-head


def _canonical_mask(mask: Tensor | None, mask_name: str, other_type, other_name: str,
                    target_type, check_other: bool = True) -> Tensor | None:
    """A boolean mask (True = masked out) as a float mask of ``target_type`` (-inf where True,
    0 elsewhere); a float mask as it is. Other dtypes raise AssertionError, as torch's."""
    if mask is None:
        return None
    dt = mask.array.dtype
    if dt != np.bool_ and dt.kind != "f":
        raise AssertionError(f"only bool and floating types of {mask_name} are supported "
                             f"(got {dt})")
    if check_other and other_type is not None and dt != other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use "
                      "same type for both instead.", stacklevel=3)
    if dt == np.bool_:
        out = np.zeros(mask.array.shape, dtype=target_type)
        out[mask.array] = -np.inf
        return from_numpy(out)
    return mask


_MHA = "multi_head_attention_forward: "  # the op named in its errors


def _none_or_dtype(t: Tensor | None):
    return None if t is None else t.array.dtype


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads) -> bool:
    """Whether the input is batched (3-D query); torch's AssertionErrors on the ranks."""
    if query.ndim == 3:
        if key.ndim != 3 or value.ndim != 3:
            raise AssertionError(f"{_MHA}For batched (3-D) `query`, expected `key` and `value` "
                                 f"to be "
                                 f"3-D but found {key.ndim}-D and {value.ndim}-D tensors "
                                 "respectively")
        if key_padding_mask is not None and key_padding_mask.ndim != 2:
            raise AssertionError(f"{_MHA}For batched (3-D) `query`, expected `key_padding_mask` "
                                 f"to be "
                                 f"`None` or 2-D but found {key_padding_mask.ndim}-D tensor "
                                 "instead")
        if attn_mask is not None and attn_mask.ndim not in (2, 3):
            raise AssertionError(f"{_MHA}For batched (3-D) `query`, expected `attn_mask` to be "
                                 f"`None`, 2-D or 3-D but found {attn_mask.ndim}-D tensor "
                                 "instead")
        return True
    if query.ndim == 2:
        if key.ndim != 2 or value.ndim != 2:
            raise AssertionError(f"{_MHA}For unbatched (2-D) `query`, expected `key` and `value` "
                                 f"to "
                                 f"be 2-D but found {key.ndim}-D and {value.ndim}-D tensors "
                                 "respectively")
        if key_padding_mask is not None and key_padding_mask.ndim != 1:
            raise AssertionError(f"{_MHA}For unbatched (2-D) `query`, expected "
                                 f"`key_padding_mask` to "
                                 f"be `None` or 1-D but found {key_padding_mask.ndim}-D tensor "
                                 "instead")
        if attn_mask is not None:
            if attn_mask.ndim not in (2, 3):
                raise AssertionError(f"{_MHA}For unbatched (2-D) `query`, expected `attn_mask` "
                                     f"to be "
                                     f"`None`, 2-D or 3-D but found {attn_mask.ndim}-D tensor "
                                     "instead")
            expected = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.ndim == 3 and tuple(attn_mask.shape) != expected:
                raise AssertionError(f"{_MHA}Expected `attn_mask` shape to be {expected} but got "
                                     f"{tuple(attn_mask.shape)}")
        return False
    raise AssertionError(f"{_MHA}query should be unbatched 2D or batched 3D tensor but "
                         f"received "
                         f"{query.ndim}-D query tensor")


def _check_mha_batch(query, key, value) -> None:
    """query (L, N, E) and key (S, N, Ek) of one batch size N (value's is key's)."""
    if key.shape[1] != query.shape[1]:
        raise RuntimeError(f"{_MHA}query of shape {list(query.shape)} and key of shape "
                           f"{list(key.shape)} must have the same batch size (dim 1 of (L, N, "
                           f"E) and (S, N, E)), got {query.shape[1]} and {key.shape[1]}")


def _in_projection_packed(q, k, v, w, b) -> tuple:
    """q W_q^T + b_q, k W_k^T + b_k, v W_v^T + b_v with W = [W_q; W_k; W_v] (3E, E): one
    product for self-attention (q is k is v), two for k is v."""
    e = q.shape[-1]
    if k is v:
        if q is k:
            return linear(q, w, b).chunk(3, dim=-1)
        w_q, w_kv = w.split([e, 2 * e])
        b_q, b_kv = (None, None) if b is None else b.split([e, 2 * e])
        k_proj, v_proj = linear(k, w_kv, b_kv).chunk(2, dim=-1)
        return linear(q, w_q, b_q), k_proj, v_proj
    w_q, w_k, w_v = w.chunk(3)
    b_q, b_k, b_v = (None, None, None) if b is None else b.chunk(3)
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)


def _in_projection(q, k, v, w_q, w_k, w_v, b_q, b_k, b_v) -> tuple:
    eq, ek, ev = q.shape[-1], k.shape[-1], v.shape[-1]
    for what, t, shape in (("query weights", w_q, (eq, eq)), ("key weights", w_k, (eq, ek)),
                           ("value weights", w_v, (eq, ev)), ("query bias", b_q, (eq,)),
                           ("key bias", b_k, (eq,)), ("value bias", b_v, (eq,))):
        if t is not None and tuple(t.shape) != shape:
            raise AssertionError(f"{_MHA}expecting {what} shape of {shape}, but got "
                                 f"{tuple(t.shape)}")
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)


def _check_attn_mask(attn_mask: Tensor, tgt_len: int, src_len: int, bsz_heads: int) -> Tensor:
    """A 2-D (L, S) mask as (1, L, S); a 3-D one must be (N * num_heads, L, S)."""
    if attn_mask.ndim == 2:
        if tuple(attn_mask.shape) != (tgt_len, src_len):
            raise RuntimeError(f"{_MHA}The shape of the 2D attn_mask is "
                               f"{tuple(attn_mask.shape)}, but "
                               f"should be {(tgt_len, src_len)}.")
        return attn_mask.unsqueeze(0)
    if attn_mask.ndim == 3:
        if tuple(attn_mask.shape) != (bsz_heads, tgt_len, src_len):
            raise RuntimeError(f"{_MHA}The shape of the 3D attn_mask is "
                               f"{tuple(attn_mask.shape)}, but "
                               f"should be {(bsz_heads, tgt_len, src_len)}.")
        return attn_mask
    raise RuntimeError(f"attn_mask's dimension {attn_mask.ndim} is not supported")


def multi_head_attention_forward(
        query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
        in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None,
        bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float, out_proj_weight: Tensor,
        out_proj_bias: Tensor | None, training: bool = True,
        key_padding_mask: Tensor | None = None, need_weights: bool = True,
        attn_mask: Tensor | None = None, use_separate_proj_weight: bool = False,
        q_proj_weight: Tensor | None = None, k_proj_weight: Tensor | None = None,
        v_proj_weight: Tensor | None = None, static_k: Tensor | None = None,
        static_v: Tensor | None = None, average_attn_weights: bool = True,
        is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
    """Multi-head attention (Vaswani et al. 2017, §3.2.2), torch's algorithm step by step:
    project q, k, v (packed ``in_proj_weight`` (3E, E) or separate ``q/k/v_proj_weight``),
    append ``bias_k``/``bias_v`` and a zero key/value if asked, split E into ``num_heads``
    heads of E / num_heads, attend per head, concatenate, project with ``out_proj``.

    Masks: ``key_padding_mask`` (N, S) and ``attn_mask`` (L, S) or (N * num_heads, L, S);
    boolean True = masked out (the opposite of ``scaled_dot_product_attention``), float masks
    are added to the scores. With ``need_weights`` the scores go through a plain softmax (a
    fully masked query row gives NaN, as torch's) and the weights (N, L, S) averaged over heads
    (or (N, num_heads, L, S)) are returned; without, :func:`scaled_dot_product_attention` runs
    (a fully masked row gives zeros) and the weights are None. ``is_causal`` is a hint that
    ``attn_mask`` is causal and needs the mask.

    Shape: query (L, N, E), key (S, N, Ek), value (S, N, Ev), or unbatched (L, E), (S, Ek),
    (S, Ev) -> output (L, N, E) (or (L, E)).
    """
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask",
                                       _none_or_dtype(attn_mask), "attn_mask",
                                       query.array.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the hint replaces the mask (scaled_dot_product_attention's causal)
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.array.dtype,
                                    check_other=False)
        if key_padding_mask is not None:
            is_causal = False  # the merged mask is no longer causal
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"{_MHA}was expecting embedding dimension of "
                             f"{embed_dim_to_check}, but "
                             f"got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"{_MHA}key's sequence and batch dims "
                                 f"{tuple(key.shape[:2])} do not "
                                 f"match value's {tuple(value.shape[:2])}")
        _check_mha_batch(query, key, value)
        for name, w in (("q_proj_weight", q_proj_weight), ("k_proj_weight", k_proj_weight),
                        ("v_proj_weight", v_proj_weight)):
            if w is None:
                raise AssertionError(f"use_separate_proj_weight is True but {name} is None")
        b_q, b_k, b_v = (None,) * 3 if in_proj_bias is None else in_proj_bias.chunk(3)
        q, k, v = _in_projection(query, key, value, q_proj_weight, k_proj_weight,
                                 v_proj_weight, b_q, b_k, b_v)
    else:
        if tuple(key.shape) != tuple(value.shape):
            raise AssertionError(f"{_MHA}key shape {tuple(key.shape)} does not match value "
                                 f"shape "
                                 f"{tuple(value.shape)}")
        _check_mha_batch(query, key, value)
        if key.shape[-1] != embed_dim:
            raise RuntimeError(f"{_MHA}key and value of shape {list(key.shape)} must have "
                               f"embed_dim={embed_dim} features with the packed in_proj_weight "
                               f"(other widths need kdim/vdim: separate projection weights)")
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)
    if attn_mask is not None:
        attn_mask = _check_attn_mask(attn_mask, tgt_len, src_len, bsz * num_heads)
    if (bias_k is None) != (bias_v is None):
        raise AssertionError("bias_k is set but bias_v is None" if bias_v is None
                             else "bias_v is set but bias_k is None")
    if bias_k is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError("bias cannot be added to static key or value.")
        k = cat([k, bias_k.expand(1, bsz, embed_dim)])
        v = cat([v, bias_v.expand(1, bsz, embed_dim)])
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))
    # heads: (L, N, E) -> (N * num_heads, L, head_dim)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = _heads(k, static_k, "static_k", bsz * num_heads, head_dim)
    v = _heads(v, static_v, "static_v", bsz * num_heads, head_dim)
    if add_zero_attn:
        zeros = from_numpy(np.zeros((bsz * num_heads, 1, head_dim), dtype=k.array.dtype))
        k, v = cat([k, zeros], dim=1), cat([v, zeros.to(v.array.dtype)], dim=1)
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))
    src_len = k.shape[1]
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(f"{_MHA}Expected key_padding_mask of shape "
                                 f"{(bsz, src_len)} (batch, "
                                 f"source length), but got {tuple(key_padding_mask.shape)}")
        kpm = (key_padding_mask.reshape(bsz, 1, 1, src_len)
               .expand(bsz, num_heads, 1, src_len).reshape(bsz * num_heads, 1, src_len))
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0
    if need_weights:
        if is_causal and attn_mask is None:
            raise AssertionError("FIXME: is_causal not implemented for need_weights")
        scores = (q * math.sqrt(1.0 / float(head_dim))).matmul(k.transpose(-2, -1))
        if attn_mask is not None:
            scores = scores + attn_mask
        with np.errstate(invalid="ignore"):  # a fully masked row: NaN, silently, as torch
            weights = scores.softmax(-1)
        if dropout_p > 0.0:
            weights = dropout(weights, p=dropout_p)
        out = weights.matmul(v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not is_batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights
    if attn_mask is not None:
        attn_mask = (attn_mask.unsqueeze(0) if attn_mask.shape[0] == 1
                     else attn_mask.reshape(bsz, num_heads, -1, src_len))
    q = q.reshape(bsz, num_heads, tgt_len, head_dim)
    k = k.reshape(bsz, num_heads, src_len, head_dim)
    v = v.reshape(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
    return (out if is_batched else out.squeeze(1)), None


def _heads(t: Tensor, static: Tensor | None, name: str, bsz_heads: int,
           head_dim: int) -> Tensor:
    """(S, N, E) -> (N * num_heads, S, head_dim), or the given static key/value."""
    if static is None:
        return t.reshape(t.shape[0], bsz_heads, head_dim).transpose(0, 1)
    if static.shape[0] != bsz_heads or static.shape[2] != head_dim:
        raise AssertionError(f"expecting {name} of shape ({bsz_heads}, *, {head_dim}), but got "
                             f"{tuple(static.shape)}")
    return static
