"""The embedding lookup: rows of a weight matrix picked by integer indices.

Its gradient is a scatter-add (repeated indices accumulate), with the ``padding_idx`` row kept
at zero and an optional division by each index's count in the batch (``scale_grad_by_freq``).
"""

from __future__ import annotations

import numpy as np

from ..autograd import ArrayFunction


class Embedding(ArrayFunction):
    # out[...] = W[idx[...]]: dW[k] = sum of g[...] over positions with idx = k (/ count(k))
    @staticmethod
    def forward(ctx, weight, idx, padding_idx, scale_grad_by_freq):
        ctx.idx, ctx.shape = idx, weight.shape
        ctx.padding_idx, ctx.scale = padding_idx, scale_grad_by_freq
        return weight[idx]

    @staticmethod
    def backward(ctx, g):
        v, d = ctx.shape
        flat = ctx.idx.reshape(-1)
        rows = g.reshape(-1, d)
        if ctx.scale:
            counts = np.bincount(flat, minlength=v)
            rows = rows / counts[flat, None].astype(g.dtype)
        gw = np.zeros((v, d), dtype=g.dtype)
        np.add.at(gw, flat, rows)  # repeated indices accumulate
        if ctx.padding_idx is not None:
            gw[ctx.padding_idx] = 0  # the padding row gets no gradient, so it stays as it is
        return gw, None, None, None
