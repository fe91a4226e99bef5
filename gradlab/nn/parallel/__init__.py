"""``torch.nn.parallel``'s data parallelism across processes: :class:`DistributedDataParallel`
(on ``gradlab.distributed``'s MPI process group)."""

from .distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
