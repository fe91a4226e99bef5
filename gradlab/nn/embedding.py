"""``nn.Embedding``: a lookup table of learnable vectors (torch keeps it in nn/modules/sparse.py).

Row i of ``weight`` is the vector of token i; the ``padding_idx`` row starts at zero and gets no
gradient, so it stays zero through training.
"""

from __future__ import annotations

from .. import creation
from .._device import check_device
from ..tensor import Tensor
from . import functional as F
from . import init
from ._checks import check_size
from .module import Module
from .parameter import Parameter


class Embedding(Module):
    """out[...] = weight[input[...]].

    ``weight`` (num_embeddings, embedding_dim) starts N(0, 1) as torch's, with the
    ``padding_idx`` row zeroed. ``max_norm``, ``norm_type`` and ``scale_grad_by_freq`` are as in
    :func:`gradlab.nn.functional.embedding`; ``sparse=True`` is not supported.

    Shape: input (*) int64 -> output (*, embedding_dim).
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False,
                 _weight: Tensor | None = None, _freeze: bool = False, device=None,
                 dtype=None) -> None:
        check_device(device, "Embedding")
        super().__init__()
        check_size("Embedding", "num_embeddings", num_embeddings)
        check_size("Embedding", "embedding_dim", embedding_dim)
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                # torch's class for this check (an assert in its constructor)
                raise AssertionError(f"Embedding: padding_idx must be within num_embeddings "
                                     f"({num_embeddings}), got {padding_idx}")
            padding_idx %= num_embeddings
        if sparse:
            raise NotImplementedError("Embedding: sparse=True (sparse gradients) is not "
                                      "supported by gradlab; use sparse=False")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx, self.max_norm, self.norm_type = padding_idx, max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            self.weight = Parameter(creation.empty(num_embeddings, embedding_dim, dtype=dtype),
                                    requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(f"Embedding: shape of weight {list(_weight.shape)} does not "
                                 f"match num_embeddings and embedding_dim "
                                 f"[{num_embeddings}, {embedding_dim}]")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.array[self.padding_idx] = 0

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq, self.sparse)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        return s

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True,
                        padding_idx: int | None = None, max_norm: float | None = None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> Embedding:
        """An Embedding holding ``embeddings`` (2-D) as its weight, frozen unless
        ``freeze=False``. The padding row is used as given (not zeroed), as torch."""
        if embeddings.ndim != 2:
            raise AssertionError(f"Embedding.from_pretrained: embeddings are expected to be "
                             f"2-dimensional, got shape {list(embeddings.shape)}")
        rows, cols = embeddings.shape
        return cls(rows, cols, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
                   _weight=embeddings, _freeze=freeze)
