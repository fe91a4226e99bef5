"""The default process group and the collectives on Tensors, with ``torch.distributed``'s names
and semantics, run on MPI (mpi4py).

One process group exists: the world of ``mpiexec -n N`` (``MPI.COMM_WORLD``, or a private
duplicate of it). Each collective works in place on the tensors' arrays, as torch's do, and with
``async_op=True`` returns a :class:`Work` whose ``wait()`` finishes it, started as a
non-blocking MPI collective (``Iallreduce``, ``Ibcast``, ...).

Checks across ranks. Before its data moves, every collective gathers from all ranks a short
signature (the collective's name, root, reduction, and each tensor's shape and dtype) with one
small ``allgather`` and refuses, on every rank alike, a call whose ranks disagree: a mismatch of
shapes or dtypes would otherwise be a wrong answer or a hang. It costs one extra latency-bound
message per call: ``benchmarks/bench_distributed.py`` measured an ``all_reduce`` of 4 floats on
2 ranks of one machine at 37 us with the check and 22 us without.
``GRADLAB_DISTRIBUTED_CHECKS=0`` in the environment turns it off (on every rank alike, or the
ranks' messages no longer pair up). DDP's gradient
buckets do not use it (their layout is checked once, at construction).

A rank that raises. After :func:`init_process_group` an exception no one catches prints its
traceback with the rank and then calls ``MPI.COMM_WORLD.Abort(1)``, so the other ranks, blocked
in a collective that will never complete, end within a second instead of hanging.

mpi4py is imported when a function needs it: ``import gradlab.distributed`` works without it,
and :func:`is_available` says whether it is installed.
"""

from __future__ import annotations

import enum
import os
import sys
import traceback

import numpy as np

from ..autograd.graph import increment_version
from ..tensor import Tensor

__all__ = [
    "GroupMember", "ReduceOp", "Work", "all_gather", "all_gather_object", "all_reduce",
    "barrier", "broadcast", "broadcast_object_list", "destroy_process_group", "gather",
    "get_backend", "get_rank", "get_world_size", "group", "init_process_group", "is_available",
    "is_initialized", "is_mpi_available", "reduce", "reduce_scatter", "scatter",
]

_NOT_INIT = ("Default process group has not been initialized, please make sure to call "
             "init_process_group.")


class ReduceOp(enum.Enum):
    """The reductions of :func:`all_reduce`, :func:`reduce` and :func:`reduce_scatter`
    (``AVG`` is the sum divided by the world size, floating-point tensors only)."""

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"

    def __repr__(self) -> str:
        return f"<RedOpType.{self.name}>"


class _World:
    """``group.WORLD``: the one process group (every rank)."""

    def __repr__(self) -> str:
        return "<gradlab.distributed group WORLD>"


class GroupMember:
    WORLD = _World()
    NON_GROUP_MEMBER = None


class group:  # noqa: N801 (torch's name)
    WORLD = GroupMember.WORLD


class _State:
    comm = None          # the group's communicator (a duplicate of COMM_WORLD)
    rank = -1
    size = -1
    prev_excepthook = None


def is_available() -> bool:
    """Whether gradlab.distributed can run: mpi4py (and an MPI library) is installed."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


def is_mpi_available() -> bool:
    return is_available()


def is_initialized() -> bool:
    """Whether :func:`init_process_group` has run (and :func:`destroy_process_group` not)."""
    return _State.comm is not None


def _mpi(fn_name: str):
    try:
        from mpi4py import MPI
    except ImportError:
        raise RuntimeError(f"{fn_name}: gradlab.distributed needs mpi4py and an MPI library; "
                           "install them with `pip install gradlab[distributed]` (or `pip "
                           "install mpi4py mpich`)") from None
    return MPI


def _abort_on_uncaught(exc_type, exc, tb) -> None:
    """The excepthook after init: print the error with the rank, then end every rank."""
    text = "".join(traceback.format_exception(exc_type, exc, tb))
    rank = _State.rank
    sys.stderr.write(f"[gradlab.distributed rank {rank}] uncaught {exc_type.__name__}; "
                     f"aborting all ranks\n{text}")
    sys.stderr.flush()
    sys.stdout.flush()
    if _State.comm is None or _State.size <= 1:
        return
    from mpi4py import MPI

    MPI.COMM_WORLD.Abort(1)


def init_process_group(backend: str | None = None, init_method: str | None = None,
                       timeout=None, world_size: int = -1, rank: int = -1, store=None,
                       group_name: str = "", pg_options=None, device_id=None) -> None:
    """Join the default process group: every process ``mpiexec -n N`` started (a plain
    ``python`` run is a group of one).

    Args:
        backend: ``None`` or ``"mpi"``; gradlab runs its collectives on MPI only.
        init_method: ``None``, ``"env://"`` or ``"mpi://"``: MPI finds the other ranks.
        world_size, rank: -1 (MPI's), or the values MPI gives (checked).
        timeout, store, group_name, pg_options, device_id: accepted for torch's signature;
            ``store`` must be None (MPI needs no rendezvous store).
    """
    if _State.comm is not None:
        raise RuntimeError("trying to initialize the default process group twice!")
    if backend is not None:
        b = str(backend).lower()
        if b != "mpi":
            raise ValueError(f"init_process_group: backend {backend!r} is not available: "
                             "gradlab's collectives run on MPI (backend='mpi'); start the ranks "
                             "with `mpiexec -n N python script.py`")
    if init_method not in (None, "env://", "mpi://"):
        raise ValueError(f"init_process_group: init_method {init_method!r} is not supported: "
                         "gradlab's MPI process group finds its ranks through mpiexec; pass "
                         "init_method=None (or 'env://')")
    if store is not None:
        raise ValueError("init_process_group: store= is not supported: the MPI process group "
                         "needs no rendezvous store")
    MPI = _mpi("init_process_group")
    world = MPI.COMM_WORLD
    r, n = world.Get_rank(), world.Get_size()
    if world_size not in (-1, None) and int(world_size) != n:
        raise ValueError(f"init_process_group: world_size={world_size} but MPI started {n} "
                         f"process(es) (mpiexec -n {n}); pass world_size=-1 or {n}")
    if rank not in (-1, None) and int(rank) != r:
        raise ValueError(f"init_process_group: rank={rank} but MPI gives this process rank "
                         f"{r}; pass rank=-1 or {r}")
    _State.comm = world.Dup()
    _State.rank, _State.size = r, n
    if sys.excepthook is not _abort_on_uncaught:
        _State.prev_excepthook = sys.excepthook
        sys.excepthook = _abort_on_uncaught


def destroy_process_group(group=None) -> None:
    """Leave the default process group (the excepthook is restored)."""
    _check_group(group, "destroy_process_group")
    if _State.comm is None:
        raise ValueError(_NOT_INIT)
    _State.comm.Free()
    _State.comm = None
    _State.rank = _State.size = -1
    if sys.excepthook is _abort_on_uncaught:
        sys.excepthook = _State.prev_excepthook or sys.__excepthook__
    _State.prev_excepthook = None


def _comm():
    if _State.comm is None:
        raise ValueError(_NOT_INIT)
    return _State.comm


def _check_group(g, fn: str) -> None:
    if g is not None and g is not GroupMember.WORLD:
        raise ValueError(f"{fn}: gradlab has one process group, the world (group=None or "
                         f"group.WORLD); got group={g!r}")


def get_rank(group=None) -> int:
    """This process's rank in the default group (0 .. world size - 1)."""
    _check_group(group, "get_rank")
    _comm()
    return _State.rank


def get_world_size(group=None) -> int:
    """The number of processes in the default group."""
    _check_group(group, "get_world_size")
    _comm()
    return _State.size


def get_backend(group=None) -> str:
    _check_group(group, "get_backend")
    _comm()
    return "mpi"


# ---------------------------------------------------------------------------------- Work
class Work:
    """The handle of a collective started with ``async_op=True`` (torch's ``Work``):
    ``wait()`` blocks until it is done (and writes the results into the tensors),
    ``is_completed()`` tests without blocking."""

    def __init__(self, request, finish=None) -> None:
        self._req = request
        self._finish = finish
        self._done = False

    def _complete(self) -> None:
        if not self._done:
            self._done = True
            if self._finish is not None:
                self._finish()

    def wait(self, timeout=None) -> bool:
        if not self._done:
            if self._req is not None:
                self._req.Wait()
            self._complete()
        return True

    def is_completed(self) -> bool:
        if not self._done and (self._req is None or self._req.Test()):
            self._complete()
        return self._done

    def is_success(self) -> bool:
        return self.is_completed()

    def result(self) -> list:
        self.wait()
        return []


def _run(req, finish, async_op: bool):
    work = Work(req, finish)
    if async_op:
        return work
    work.wait()
    return None


# ---------------------------------------------------------------------------------- checks
def _check_tensor(t, fn: str, arg: str) -> np.ndarray:
    if not isinstance(t, Tensor):
        raise TypeError(f"{fn}: {arg} must be a gradlab Tensor, got {type(t).__name__}")
    return t.array


def _check_rank(r, fn: str, arg: str) -> int:
    if r is None:
        r = 0
    if not isinstance(r, (int, np.integer)) or isinstance(r, bool):
        raise TypeError(f"{fn}: {arg} must be an int rank, got {r!r}")
    if not 0 <= r < _State.size:
        raise ValueError(f"{fn}: {arg}={r} is not a rank of the group (world size "
                         f"{_State.size}: ranks 0..{_State.size - 1})")
    return int(r)


def _check_op(op, arr: np.ndarray, fn: str):
    if not isinstance(op, ReduceOp):
        raise TypeError(f"{fn}: op must be a ReduceOp (SUM, AVG, PRODUCT, MIN, MAX), got "
                        f"{op!r}")
    if op is ReduceOp.AVG and arr.dtype.kind not in "fc":
        raise TypeError(f"{fn}: ReduceOp.AVG needs a floating-point tensor, got dtype "
                        f"{arr.dtype}")


def _checks_on() -> bool:
    return os.environ.get("GRADLAB_DISTRIBUTED_CHECKS", "1") != "0"


def _agree(comm, fn: str, sig: tuple) -> None:
    """Refuse, on every rank, a collective whose ranks called it with different arguments."""
    if _State.size <= 1 or not _checks_on():
        return
    sigs = comm.allgather(sig)
    if all(s == sigs[0] for s in sigs):
        return
    lines = "; ".join(f"rank {r}: {_describe(s)}" for r, s in enumerate(sigs))
    raise RuntimeError(f"{fn}: the ranks called the collective with different arguments "
                       f"(each rank must pass tensors of the same shapes and dtypes, the same "
                       f"op and root): {lines}")


def _describe(sig: tuple) -> str:
    name, extra, tensors = sig
    ts = ", ".join(f"{list(s)} {d}" for s, d in tensors)
    return f"{name}({extra}{'; ' if extra else ''}{ts})"


def _sig(arrays) -> tuple:
    return tuple((a.shape, a.dtype.str) for a in arrays)


def _mpi_op(MPI, op: ReduceOp, dtype: np.dtype):
    if dtype == np.bool_:
        return {ReduceOp.SUM: MPI.LOR, ReduceOp.MAX: MPI.LOR, ReduceOp.PRODUCT: MPI.LAND,
                ReduceOp.MIN: MPI.LAND}[op]
    return {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD,
            ReduceOp.MIN: MPI.MIN, ReduceOp.MAX: MPI.MAX}[op]


def _buffer(arr: np.ndarray) -> np.ndarray:
    """A C-contiguous array MPI can write: ``arr`` itself when it is one."""
    return arr if arr.flags.c_contiguous and arr.flags.writeable else np.ascontiguousarray(arr)


def _write_back(t: Tensor, buf: np.ndarray, scale=None):
    """What a collective's finish does: divide for AVG, copy into the tensor if MPI worked on
    a copy, and announce the in-place write."""
    def finish():
        if scale is not None:
            np.divide(buf, scale, out=buf, casting="unsafe")
        if buf is not t.array:
            np.copyto(t.array, buf)
        increment_version(t)
    return finish


# ---------------------------------------------------------------------------------- collectives
def all_reduce(tensor: Tensor, op: ReduceOp = ReduceOp.SUM, group=None,
               async_op: bool = False):
    """Reduce ``tensor`` over all ranks, in place: every rank ends with the reduction.

    Shape: any; the same shape and dtype on every rank.
    """
    fn = "all_reduce"
    _check_group(group, fn)
    comm = _comm()
    arr = _check_tensor(tensor, fn, "tensor")
    _check_op(op, arr, fn)
    _agree(comm, fn, (fn, f"op={op.name}", _sig([arr])))
    MPI = _mpi(fn)
    buf = _buffer(arr)
    req = comm.Iallreduce(MPI.IN_PLACE, buf, op=_mpi_op(MPI, op, arr.dtype))
    scale = _State.size if op is ReduceOp.AVG else None
    return _run(req, _write_back(tensor, buf, scale), async_op)



def _rooted(fn: str, group, tensor: Tensor, root, group_root, name: str):
    """The checks of a collective with one root rank (broadcast, reduce, gather, scatter):
    ``(communicator, tensor's array, root rank)``; ``name`` is the root's argument."""
    _check_group(group, fn)
    comm = _comm()
    arr = _check_tensor(tensor, fn, "tensor")
    return comm, arr, _check_rank(root if root is not None else group_root, fn, name)


def broadcast(tensor: Tensor, src: int | None = None, group=None, async_op: bool = False,
              group_src: int | None = None):
    """Copy ``tensor`` of rank ``src`` into ``tensor`` of every other rank, in place."""
    fn = "broadcast"
    comm, arr, src = _rooted(fn, group, tensor, src, group_src, "src")
    _agree(comm, fn, (fn, f"src={src}", _sig([arr])))
    buf = _buffer(arr)
    req = comm.Ibcast(buf, root=src)
    return _run(req, _write_back(tensor, buf), async_op)


def reduce(tensor: Tensor, dst: int | None = None, op: ReduceOp = ReduceOp.SUM, group=None,
           async_op: bool = False, group_dst: int | None = None):
    """Reduce ``tensor`` over all ranks into ``tensor`` of rank ``dst`` (the others' tensors
    are left as they were)."""
    fn = "reduce"
    comm, arr, dst = _rooted(fn, group, tensor, dst, group_dst, "dst")
    _check_op(op, arr, fn)
    _agree(comm, fn, (fn, f"dst={dst}, op={op.name}", _sig([arr])))
    MPI = _mpi(fn)
    buf = _buffer(arr)
    mop = _mpi_op(MPI, op, arr.dtype)
    if _State.rank == dst:
        req = comm.Ireduce(MPI.IN_PLACE, buf, op=mop, root=dst)
        scale = _State.size if op is ReduceOp.AVG else None
        return _run(req, _write_back(tensor, buf, scale), async_op)
    req = comm.Ireduce(np.ascontiguousarray(arr), None, op=mop, root=dst)
    return _run(req, None, async_op)


def _tensor_list(lst, fn: str, arg: str, n: int | None) -> list:
    if not isinstance(lst, (list, tuple)):
        raise TypeError(f"{fn}: {arg} must be a list of Tensors, got {type(lst).__name__}")
    arrays = [_check_tensor(t, fn, f"{arg}[{i}]") for i, t in enumerate(lst)]
    if n is not None and len(arrays) != n:
        raise ValueError(f"{fn}: {arg} must hold one tensor per rank (world size {n}), got "
                         f"{len(arrays)}")
    return arrays


def _same_layout(arrays, like: np.ndarray, fn: str, arg: str) -> None:
    for i, a in enumerate(arrays):
        if a.shape != like.shape or a.dtype != like.dtype:
            raise ValueError(f"{fn}: {arg}[{i}] has shape {list(a.shape)} and dtype "
                             f"{a.dtype}, expected shape {list(like.shape)} and dtype "
                             f"{like.dtype} (the tensor's)")


def _scatter_into(tensors, big: np.ndarray):
    def finish():
        for t, part in zip(tensors, big):
            np.copyto(t.array, part)
            increment_version(t)
    return finish


def all_gather(tensor_list: list, tensor: Tensor, group=None, async_op: bool = False):
    """Gather ``tensor`` of every rank into ``tensor_list`` (one tensor per rank, in rank
    order) on every rank.

    Shape: ``tensor`` any; each of ``tensor_list`` the same shape and dtype.
    """
    fn = "all_gather"
    _check_group(group, fn)
    comm = _comm()
    arr = _check_tensor(tensor, fn, "tensor")
    outs = _tensor_list(tensor_list, fn, "tensor_list", _State.size)
    _same_layout(outs, arr, fn, "tensor_list")
    _agree(comm, fn, (fn, "", _sig([arr])))
    big = np.empty((_State.size,) + arr.shape, dtype=arr.dtype)
    req = comm.Iallgather(np.ascontiguousarray(arr), big)
    return _run(req, _scatter_into(list(tensor_list), big), async_op)


def reduce_scatter(output: Tensor, input_list: list, op: ReduceOp = ReduceOp.SUM,
                   group=None, async_op: bool = False):
    """Reduce ``input_list[r]`` over all ranks into ``output`` of rank ``r``.

    Shape: ``output`` any; each of ``input_list`` (one per rank) the same shape and dtype.
    """
    fn = "reduce_scatter"
    _check_group(group, fn)
    comm = _comm()
    arr = _check_tensor(output, fn, "output")
    ins = _tensor_list(input_list, fn, "input_list", _State.size)
    _same_layout(ins, arr, fn, "input_list")
    _check_op(op, arr, fn)
    _agree(comm, fn, (fn, f"op={op.name}", _sig([arr])))
    MPI = _mpi(fn)
    send = np.ascontiguousarray(np.stack(ins)) if ins else np.empty(0, arr.dtype)
    buf = _buffer(arr)
    req = comm.Ireduce_scatter_block(send, buf, op=_mpi_op(MPI, op, arr.dtype))
    scale = _State.size if op is ReduceOp.AVG else None
    return _run(req, _write_back(output, buf, scale), async_op)


def gather(tensor: Tensor, gather_list: list | None = None, dst: int | None = None,
           group=None, async_op: bool = False, group_dst: int | None = None):
    """Gather ``tensor`` of every rank into ``gather_list`` of rank ``dst`` (one tensor per
    rank); the other ranks pass ``gather_list=None``."""
    fn = "gather"
    comm, arr, dst = _rooted(fn, group, tensor, dst, group_dst, "dst")
    _agree(comm, fn, (fn, f"dst={dst}", _sig([arr])))
    send = np.ascontiguousarray(arr)
    if _State.rank == dst:
        if gather_list is None:
            raise ValueError(f"{fn}: rank {dst} (dst) must pass gather_list, one tensor per "
                             "rank")
        outs = _tensor_list(gather_list, fn, "gather_list", _State.size)
        _same_layout(outs, arr, fn, "gather_list")
        big = np.empty((_State.size,) + arr.shape, dtype=arr.dtype)
        req = comm.Igather(send, big, root=dst)
        return _run(req, _scatter_into(list(gather_list), big), async_op)
    if gather_list:
        raise ValueError(f"{fn}: gather_list is only for rank {dst} (dst); rank {_State.rank} "
                         "must pass None or []")
    req = comm.Igather(send, None, root=dst)
    return _run(req, None, async_op)


def scatter(tensor: Tensor, scatter_list: list | None = None, src: int | None = None,
            group=None, async_op: bool = False, group_src: int | None = None):
    """Copy ``scatter_list[r]`` of rank ``src`` into ``tensor`` of rank ``r``; the other ranks
    pass ``scatter_list=None``."""
    fn = "scatter"
    comm, arr, src = _rooted(fn, group, tensor, src, group_src, "src")
    _agree(comm, fn, (fn, f"src={src}", _sig([arr])))
    buf = _buffer(arr)
    if _State.rank == src:
        if scatter_list is None:
            raise ValueError(f"{fn}: rank {src} (src) must pass scatter_list, one tensor per "
                             "rank")
        ins = _tensor_list(scatter_list, fn, "scatter_list", _State.size)
        _same_layout(ins, arr, fn, "scatter_list")
        send = np.ascontiguousarray(np.stack(ins))
        req = comm.Iscatter(send, buf, root=src)
    else:
        if scatter_list:
            raise ValueError(f"{fn}: scatter_list is only for rank {src} (src); rank "
                             f"{_State.rank} must pass None or []")
        req = comm.Iscatter(None, buf, root=src)
    return _run(req, _write_back(tensor, buf), async_op)


def barrier(group=None, async_op: bool = False, device_ids=None, timeout=None):
    """Wait until every rank has reached the barrier."""
    _check_group(group, "barrier")
    comm = _comm()
    return _run(comm.Ibarrier(), None, async_op)


def all_gather_object(object_list: list, obj, group=None) -> None:
    """Gather a picklable ``obj`` of every rank into ``object_list`` (length world size)."""
    _check_group(group, "all_gather_object")
    comm = _comm()
    if not isinstance(object_list, list) or len(object_list) != _State.size:
        raise ValueError(f"all_gather_object: object_list must be a list of length world "
                         f"size {_State.size}")
    object_list[:] = comm.allgather(obj)


def broadcast_object_list(object_list: list, src: int | None = None, group=None, device=None,
                          group_src: int | None = None) -> None:
    """Replace ``object_list``'s items on every rank by those of rank ``src`` (picklable)."""
    _check_group(group, "broadcast_object_list")
    comm = _comm()
    src = _check_rank(src if src is not None else group_src, "broadcast_object_list", "src")
    if not isinstance(object_list, list):
        raise TypeError("broadcast_object_list: object_list must be a list")
    got = comm.bcast(list(object_list) if _State.rank == src else None, root=src)
    if len(got) != len(object_list):
        raise ValueError(f"broadcast_object_list: object_list has {len(object_list)} items on "
                         f"rank {_State.rank} but {len(got)} on rank {src} (src)")
    object_list[:] = got


# ---------------------------------------------------------------------------------- internal
# The array-level calls of DistributedDataParallel and SyncBatchNorm: no cross-rank signature
# check (their layouts are checked once, when the module is wrapped), no Tensor wrapping.
def _world(fn: str):
    """(communicator, rank, world size) of the default group, or the not-initialized error."""
    return _comm(), _State.rank, _State.size


def _iallreduce_sum(buf: np.ndarray):
    """Start a sum over ranks of the C-contiguous ``buf``, in place; the MPI request."""
    MPI = _mpi("all_reduce")
    return _State.comm.Iallreduce(MPI.IN_PLACE, buf, op=MPI.SUM)


def _allreduce_sum(buf: np.ndarray) -> np.ndarray:
    """Sum of the C-contiguous ``buf`` over ranks, in place (blocking)."""
    MPI = _mpi("all_reduce")
    _State.comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
    return buf


def _bcast(buf: np.ndarray, root: int = 0) -> np.ndarray:
    """``buf`` of rank ``root`` into ``buf`` of every rank (C-contiguous, in place)."""
    _State.comm.Bcast(buf, root=root)
    return buf


def _allgather_object(obj) -> list:
    return _State.comm.allgather(obj)
