"""``nn.SyncBatchNorm``: batch normalization whose statistics are taken over the batches of
every rank of ``gradlab.distributed``'s process group, as if the ranks' batches were one.

Forward sums each channel's values over the ranks (with the count of values) for the mean, then
the squared deviations from that mean for the variance (two passes: no cancellation in
E[x^2] - E[x]^2). Backward sums over the ranks, per channel, sum(g) and sum(g (x - mean)), the
two reductions the input gradient needs; the gradients of gamma and beta stay local (DDP
averages them). Outside training, or in a group of one, it is BatchNorm.
"""

from __future__ import annotations

import numpy as np

from ..autograd import no_grad
from ..autograd.array_function import ArrayFunction
from ..autograd.graph import increment_version
from .functional.normalization import _check_floating
from .module import Module
from .normalization import InstanceNorm2d, _BatchNorm


def _dist():
    from .. import distributed

    return distributed


def _channel_dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per channel (axis 1), sum(a * b) over every other axis: shape (C,)."""
    letters = "abcdefghijklmnopqrstuvwxyz"[:a.ndim]
    return np.einsum(f"{letters},{letters}->b", a, b)


class _SyncNormalize(ArrayFunction):
    # y = gamma x_hat + beta, x_hat = (x - mean) inv, mean and var over every rank's batch (N
    # values per channel in all); dx = gamma inv (g - SG / N - (x - mean) inv^2 SGX / N) with
    # SG = sum over ranks of sum(g), SGX = sum over ranks of sum(g (x - mean))
    @staticmethod
    def forward(ctx, x, gamma, beta, axes, eps):
        from ..distributed.distributed_c10d import _allreduce_sum

        c = x.shape[1]
        acc = np.float64 if x.dtype == np.float64 else np.float32
        buf = np.empty(c + 1, dtype=np.float64)
        buf[:c] = x.sum(axis=axes, dtype=acc)
        buf[c] = x.size // c
        _allreduce_sum(buf)
        n = buf[c]
        pshape = [1] * x.ndim
        pshape[1] = c
        mean = (buf[:c] / n).astype(x.dtype).reshape(pshape)
        xc = x - mean
        sq = _channel_dot(xc, xc).astype(np.float64)
        _allreduce_sum(sq)
        var = (sq / n).astype(x.dtype).reshape(pshape)
        inv = (1.0 / np.sqrt(var + eps)).astype(x.dtype)
        scale = inv if gamma is None else gamma.reshape(pshape) * inv
        out = xc * scale
        if beta is not None:
            out += beta.reshape(pshape)
        ctx.save_for_backward(xc, inv, gamma)
        ctx.axes, ctx.n, ctx.pshape = axes, n, pshape
        ctx.has_beta = beta is not None
        mean, var, count = mean.reshape(c), var.reshape(c), np.asarray(n)
        ctx.mark_non_differentiable(mean, var, count)
        return out.astype(x.dtype, copy=False), mean, var, count

    @staticmethod
    def backward(ctx, g, _gmean, _gvar, _gn):
        from ..distributed.distributed_c10d import _allreduce_sum

        xc, inv, gamma = ctx.saved_tensors
        axes, n, pshape = ctx.axes, ctx.n, ctx.pshape
        c = xc.shape[1]
        sum_g = g.sum(axis=axes)
        sum_gxc = _channel_dot(g, xc)
        ggamma = (sum_gxc * inv.reshape(c)).astype(xc.dtype) if gamma is not None else None
        gbeta = sum_g.astype(xc.dtype) if ctx.has_beta else None
        gx = None
        if ctx.needs_input_grad[0]:
            buf = np.concatenate([sum_g, sum_gxc]).astype(np.float64)
            _allreduce_sum(buf)
            mg = (buf[:c] / n).astype(xc.dtype).reshape(pshape)
            mgx = (buf[c:] / n).astype(xc.dtype).reshape(pshape)
            a = inv if gamma is None else gamma.reshape(pshape) * inv
            gx = a * (g - mg - xc * (inv * inv) * mgx)
        return gx, ggamma, gbeta, None, None


class SyncBatchNorm(_BatchNorm):
    """Batch normalization over (N, C, *) inputs with the statistics of all ranks' batches
    (``torch.nn.SyncBatchNorm``). In training with a process group of more than one rank, the
    mean and variance of each channel are those of the ranks' batches together; otherwise (eval,
    or one rank, or no process group) it is BatchNorm.

    Shape: input (N, C, *) (at least 2-D); output the same.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, process_group=None,
                 device=None, dtype=None) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype)
        self.process_group = process_group

    def _need_sync(self) -> bool:
        if not self.training:
            return False
        d = _dist()
        return d.is_initialized() and d.get_world_size(self.process_group) > 1

    def forward(self, input):
        if input.ndim < 2:
            raise ValueError(f"SyncBatchNorm: expected at least 2D input (got {input.ndim}D "
                             f"input of shape {list(input.shape)})")
        if input.shape[1] != self.num_features:
            raise ValueError(f"SyncBatchNorm({self.num_features}): input has {input.shape[1]} "
                             f"channels (shape {list(input.shape)}), expected "
                             f"{self.num_features}")
        if not self._need_sync():
            return self._plain(input)
        _check_floating(input, "batch_norm", "batch_norm")
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.track_running_stats:
            with no_grad():
                self.num_batches_tracked.array += 1
            if self.momentum is None:
                momentum = 1.0 / float(self.num_batches_tracked.item())
        axes = (0,) + tuple(range(2, input.ndim))
        out, mean, var, n = _SyncNormalize.apply(input, self.weight, self.bias, axes, self.eps)
        n = float(n.item())
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {list(input.shape)} (and {int(n)} value(s) over all ranks)")
        if self.track_running_stats:
            rm, rv = self.running_mean.array, self.running_var.array
            rm *= 1 - momentum
            rm += momentum * mean.array.astype(rm.dtype)
            rv *= 1 - momentum
            rv += momentum * (var.array * (n / (n - 1))).astype(rv.dtype)
            increment_version(self.running_mean)
            increment_version(self.running_var)
        return out

    def _plain(self, input):
        """BatchNorm's forward, for any number of dims >= 2."""
        saved = self._expected_dims
        self._expected_dims = (input.ndim,)
        try:
            return _BatchNorm.forward(self, input)
        finally:
            self._expected_dims = saved

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group=None) -> Module:
        """``module`` with every BatchNorm1d/2d (at any depth) replaced by a SyncBatchNorm
        holding the same parameters and running statistics (the module itself if it is one)."""
        out = module
        if isinstance(module, _BatchNorm) and not isinstance(module, (InstanceNorm2d, cls)):
            out = cls(module.num_features, module.eps, module.momentum, module.affine,
                      module.track_running_stats, process_group)
            out.register_parameter("weight", module.weight)
            out.register_parameter("bias", module.bias)
            out.use_bias = module.bias is not None
            out.running_mean = module.running_mean
            out.running_var = module.running_var
            out.num_batches_tracked = module.num_batches_tracked
            out.train(module.training)
        for name, child in list(module.named_children()):
            out.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return out


__all__ = ["SyncBatchNorm"]
