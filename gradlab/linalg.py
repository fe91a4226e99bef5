"""``gradlab.linalg``, as ``torch.linalg``: the norms gradlab has (``vector_norm``)."""

from .functions import vector_norm

__all__ = ["vector_norm"]
