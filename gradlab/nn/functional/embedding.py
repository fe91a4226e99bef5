"""Index lookups (``ops/embedding.py``): embedding and one_hot, torch's "sparse functions"."""

from __future__ import annotations

import numpy as np

from ...autograd.graph import increment_version
from ...ops.embedding import Embedding
from ...tensor import Tensor, from_numpy

__all__ = ["embedding", "one_hot"]


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` picked by the integer indices in ``input``; the gradient adds up over
    repeated indices.

    ``padding_idx``: that row gets no gradient. ``max_norm``: rows looked up whose
    ``norm_type``-norm exceeds it are rescaled in place to norm max_norm (as torch, before the
    lookup). ``scale_grad_by_freq``: each row's gradient is divided by its count in ``input``.
    ``sparse=True`` is not supported (gradlab has no sparse tensors).

    Shape: input (*) int64; weight (num_embeddings, embedding_dim) -> (*, embedding_dim).
    """
    idx = input.array if isinstance(input, Tensor) else np.asarray(input)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"embedding: expected indices of an integer type (int64 or int32), "
                           f"got {idx.dtype}")
    if weight.ndim != 2:
        raise RuntimeError(f"embedding: 'weight' must be 2-D (num_embeddings, embedding_dim), "
                           f"got shape {list(weight.shape)}")
    if sparse:
        raise NotImplementedError("embedding: sparse=True (sparse gradients) is not supported "
                                  "by gradlab; use sparse=False for a dense gradient")
    n = weight.shape[0]
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise AssertionError(f"embedding: padding_idx must be within num_embeddings ({n}), "
                                 f"got {padding_idx}")
        padding_idx = padding_idx % n
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = idx[(idx < 0) | (idx >= n)].flat[0]
        raise IndexError(f"embedding: index {int(bad)} is out of range for {n} embeddings "
                         f"(index out of range in self)")
    if max_norm is not None:
        rows = np.unique(idx)
        w = weight.array[rows]
        norms = (np.abs(w) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
        big = norms > max_norm
        if big.any():
            scale = (max_norm / (norms[big] + 1e-7)).astype(w.dtype)
            weight.array[rows[big]] = w[big] * scale[:, None]
            increment_version(weight)
    return Embedding.apply(weight, idx.astype(np.intp, copy=False), padding_idx,
                           bool(scale_grad_by_freq))


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Class indices (any shape, int64) to one-hot vectors: shape ``(*, num_classes)``, int64."""
    idx = tensor.array
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"one_hot is only applicable to index tensor, got {tensor.dtype}")
    if num_classes == -1:
        if idx.size == 0:
            raise RuntimeError("one_hot: can not infer total number of classes from empty "
                               "tensor")
        num_classes = int(idx.max()) + 1
    if idx.size and (idx.min() < 0 or idx.max() >= num_classes):
        raise RuntimeError(f"one_hot: class values must be in [0, {num_classes}), got "
                           f"{int(idx.min())}..{int(idx.max())}")
    return from_numpy((idx[..., None] == np.arange(num_classes)).astype(np.int64))
