"""``DistributedDataParallel``: one replica of a module per rank, gradients averaged across
the ranks during backward (``torch.nn.parallel.DistributedDataParallel``, on MPI).

At construction the ranks check that they hold the same parameters (names, shapes, dtypes),
and rank 0's parameters and buffers are broadcast to all. The parameters are grouped into
buckets of about ``bucket_cap_mb`` megabytes, in the reverse order of ``module.parameters()``
(roughly the order backward finishes them) and by dtype. Each parameter has a post-accumulate-
grad hook: when the last gradient of a bucket is complete, the bucket's gradients are copied
into one flat buffer and a non-blocking ``Iallreduce`` starts on it, while backward goes on with
the layers below. Buckets start strictly in order (MPI needs every rank to start its collectives
in the same order). When backward has finished, a callback waits for every bucket and writes the
average (the sum divided by the world size) back into each ``.grad``, so ``optimizer.step()``
sees averaged gradients, as with torch.

``no_sync()`` skips the all-reduce (gradients accumulate locally) until the first backward after
it. With ``find_unused_parameters=True`` a parameter that got no gradient on this rank counts as
a zero gradient (its ``.grad`` is then set to the ranks' average); without it, such a parameter
is an error at the end of backward.
"""

from __future__ import annotations

import contextlib

import numpy as np

from ...autograd import engine
from ...autograd.graph import increment_version
from ...tensor import Tensor, from_numpy
from ..module import Module


class _Bucket:
    __slots__ = ("params", "index", "dtype", "numel", "left", "buf", "req")

    def __init__(self, index: int, dtype) -> None:
        self.index, self.dtype = index, dtype
        self.params: list = []
        self.numel = 0
        self.left = 0
        self.buf = None
        self.req = None


class DistributedDataParallel(Module):
    """Data parallelism across the ranks of ``gradlab.distributed``'s process group.

    Args:
        module: the model; every rank builds the same one (rank 0's values are broadcast).
        device_ids, output_device: None (gradlab runs on the CPU).
        dim: the batch dimension (0): each rank passes its own shard of the batch.
        broadcast_buffers: broadcast rank 0's buffers (BatchNorm's running statistics) at the
            start of each forward in training.
        init_sync: broadcast rank 0's parameters and buffers at construction.
        process_group: None (the default group).
        bucket_cap_mb: bucket size in megabytes (default 25).
        find_unused_parameters: parameters without a gradient count as zeros instead of an
            error.
        check_reduction, static_graph: accepted (no effect).
        gradient_as_bucket_view: False only.

    Shape: as ``module``'s, with each rank's shard of the batch.
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0,
                 broadcast_buffers: bool = True, init_sync: bool = True, process_group=None,
                 bucket_cap_mb: float | None = None, find_unused_parameters: bool = False,
                 check_reduction: bool = False, gradient_as_bucket_view: bool = False,
                 static_graph: bool = False) -> None:
        super().__init__()
        from ... import distributed as dist
        from ...distributed import distributed_c10d as c10d

        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: module must be a gradlab.nn.Module, got "
                            f"{type(module).__name__}")
        if device_ids not in (None, []) or output_device is not None:
            raise ValueError("DistributedDataParallel: device_ids and output_device must be "
                             f"None for a CPU module (got device_ids={device_ids!r}, "
                             f"output_device={output_device!r})")
        if gradient_as_bucket_view:
            raise NotImplementedError("DistributedDataParallel: gradient_as_bucket_view=True is "
                                      "not supported: gradlab copies gradients into its buckets")
        if process_group is not None and process_group is not dist.group.WORLD:
            raise ValueError("DistributedDataParallel: gradlab has one process group (the "
                             f"world); got process_group={process_group!r}")
        self._comm, self._rank, self._size = c10d._world("DistributedDataParallel")
        self.module = module
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        self.bucket_cap_mb = 25.0 if bucket_cap_mb is None else float(bucket_cap_mb)
        if self.bucket_cap_mb <= 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be positive, got "
                             f"{bucket_cap_mb}")
        named, seen = [], set()
        for name, p in module.named_parameters():
            if p.requires_grad and id(p) not in seen:
                seen.add(id(p))
                named.append((name, p))
        self._named_params = named
        self._check_same_model(c10d)
        if init_sync:
            self._sync_module_states(c10d)
        self._buckets = self._make_buckets()
        self._where = {}
        for b in self._buckets:
            for p in b.params:
                self._where[id(p)] = b
        self._hook_handles = [p.register_post_accumulate_grad_hook(self._on_grad_ready)
                              for _, p in named]
        #: how many buckets the last backward started before it ended (the overlap)
        self.buckets_started_during_backward = 0
        self._reset()

    # ------------------------------------------------------------------ construction
    def _check_same_model(self, c10d) -> None:
        mine = [(n, tuple(p.shape), p.array.dtype.str) for n, p in self._named_params]
        mine_b = [(n, tuple(b.shape)) for n, b in self.module.named_buffers()]
        every = c10d._allgather_object((mine, mine_b))
        for r, (theirs, theirs_b) in enumerate(every):
            if theirs != mine or theirs_b != mine_b:
                diff = next(((a, b) for a, b in zip(mine + mine_b, theirs + theirs_b) if a != b),
                            (len(mine) + len(mine_b), len(theirs) + len(theirs_b)))
                raise RuntimeError(
                    "DistributedDataParallel: the ranks hold different models (each rank must "
                    f"build the same module): rank {self._rank} has {diff[0]} where rank {r} "
                    f"has {diff[1]}")

    def _sync_module_states(self, c10d) -> None:
        for _, p in self._named_params:
            _bcast_into(c10d, p)
        self._broadcast_buffers(c10d)

    def _broadcast_buffers(self, c10d) -> None:
        for _, b in self.module.named_buffers():
            if b is None:
                continue
            _bcast_into(c10d, b)

    def _make_buckets(self) -> list:
        cap = self.bucket_cap_mb * 1024 * 1024
        buckets: list = []
        cur = None
        for _, p in reversed(self._named_params):
            nbytes = p.array.nbytes
            if cur is None or cur.dtype != p.array.dtype or (
                    cur.params and cur.numel * cur.dtype.itemsize + nbytes > cap):
                cur = _Bucket(len(buckets), p.array.dtype)
                buckets.append(cur)
            cur.params.append(p)
            cur.numel += p.array.size
        return buckets

    # ------------------------------------------------------------------ backward
    def _reset(self) -> None:
        for b in self._buckets:
            b.left = len(b.params)
            b.buf = b.req = None
        self._next = 0          # the next bucket to start
        self._armed = False     # a finishing callback is queued for this backward

    def _on_grad_ready(self, p: Tensor) -> None:
        if not self.require_backward_grad_sync:
            return
        if not self._armed:
            self._armed = True
            engine.queue_callback(self._finish)
        b = self._where[id(p)]
        b.left -= 1
        if b.left == 0:
            self._start_ready_buckets()
        self._progress()

    def _start_ready_buckets(self) -> None:
        from ...distributed.distributed_c10d import _iallreduce_sum

        buckets = self._buckets
        while self._next < len(buckets) and buckets[self._next].left == 0:
            b = buckets[self._next]
            b.buf = self._flatten(b)
            b.req = _iallreduce_sum(b.buf)
            self._next += 1

    @staticmethod
    def _flatten(b: _Bucket) -> np.ndarray:
        buf = np.empty(b.numel, dtype=b.dtype)
        i = 0
        for p in b.params:
            n = p.array.size
            if p.grad is None:
                buf[i:i + n] = 0
            else:
                buf[i:i + n] = p.grad.array.reshape(-1)
            i += n
        return buf

    def _progress(self) -> None:
        """Let MPI move the buckets in flight along (MPI progresses inside its calls)."""
        for b in self._buckets[:self._next]:
            if b.req is not None:
                b.req.Test()

    def _finish(self) -> None:
        """After backward: start what is left, wait for every bucket, write the averages."""
        try:
            self.buckets_started_during_backward = self._next
            missing = [b for b in self._buckets if b.left > 0]
            if missing and not self.find_unused_parameters:
                names = [n for n, p in self._named_params
                         if self._where[id(p)].left > 0 and p.grad is None]
                raise RuntimeError(
                    "DistributedDataParallel: parameters received no gradient in this backward "
                    f"pass on rank {self._rank}: {names or '(some)'}. Every parameter must take "
                    "part in the loss on every rank, or pass find_unused_parameters=True to "
                    "DistributedDataParallel (their gradients then count as zeros)")
            for b in missing:
                b.left = 0
            self._start_ready_buckets()
            scale = 1.0 / self._size
            for b in self._buckets:
                b.req.Wait()
                b.buf *= b.dtype.type(scale)
                i = 0
                for p in b.params:
                    n = p.array.size
                    part = b.buf[i:i + n].reshape(p.array.shape)
                    if p.grad is None:
                        p.grad = from_numpy(part.copy())
                    else:
                        np.copyto(p.grad.array, part)
                        increment_version(p.grad)
                    i += n
        finally:
            self._reset()

    # ------------------------------------------------------------------ forward
    def forward(self, *inputs, **kwargs):
        if self.broadcast_buffers and self.training and self._size > 1:
            from ...distributed import distributed_c10d as c10d

            self._broadcast_buffers(c10d)
        self._reset()
        return self.module(*inputs, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """Within it, backward passes accumulate gradients locally without all-reducing them;
        the first backward after it all-reduces what has accumulated."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def extra_repr(self) -> str:
        return ""


def _bcast_into(c10d, t: Tensor) -> None:
    """Rank 0's values of ``t`` into ``t`` on every rank, in place."""
    arr = t.array
    buf = arr if arr.flags.c_contiguous else np.ascontiguousarray(arr)
    c10d._bcast(buf, 0)
    if buf is not arr:
        np.copyto(arr, buf)
    increment_version(t)
