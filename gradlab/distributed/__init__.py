"""Data-parallel training on several processes, with ``torch.distributed``'s names, on MPI.

Start N processes with ``mpiexec -n N python script.py`` (``-f hostfile`` for several
machines); each calls :func:`init_process_group` and then the collectives below, which work on
Tensors in place. ``gradlab.nn.parallel.DistributedDataParallel`` averages gradients across the
ranks during ``backward``, ``gradlab.nn.SyncBatchNorm`` takes batch statistics over all ranks,
and ``gradlab.utils.data.distributed.DistributedSampler`` gives each rank its shard.

mpi4py is needed only when a function runs (``pip install gradlab[distributed]``).
"""

from .distributed_c10d import (
    GroupMember,
    ReduceOp,
    Work,
    all_gather,
    all_gather_object,
    all_reduce,
    barrier,
    broadcast,
    broadcast_object_list,
    destroy_process_group,
    gather,
    get_backend,
    get_rank,
    get_world_size,
    group,
    init_process_group,
    is_available,
    is_initialized,
    is_mpi_available,
    reduce,
    reduce_scatter,
    scatter,
)

__all__ = [
    "GroupMember", "ReduceOp", "Work", "all_gather", "all_gather_object", "all_reduce",
    "barrier", "broadcast", "broadcast_object_list", "destroy_process_group", "gather",
    "get_backend", "get_rank", "get_world_size", "group", "init_process_group", "is_available",
    "is_initialized", "is_mpi_available", "reduce", "reduce_scatter", "scatter",
]
