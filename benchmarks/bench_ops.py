"""gradlab vs PyTorch on single ops, forward + backward: an elementwise chain, reductions,
matmuls, softmax and cross-entropy. Run: ``python benchmarks/bench_ops.py [--quick]``."""

from __future__ import annotations

import numpy as np
import torch

import gradlab as gl
import gradlab.nn.functional as GF

try:
    from harness import Case, main
except ImportError:  # run as a module: python -m benchmarks.bench_ops
    from benchmarks.harness import Case, main

RNG = np.random.default_rng(0)


def _arr(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape, dtype=np.float32)


def _pair(a: np.ndarray, requires_grad: bool = True):
    """The same values as a gradlab and a torch tensor (independent copies)."""
    g = gl.tensor(a.copy(), requires_grad=requires_grad)
    t = torch.tensor(a.copy(), requires_grad=requires_grad)
    return g, t


def _step(fn, inputs, seed=None):
    """One fwd+bwd step: out = fn(*inputs); backward (with ``seed`` if out is not a scalar);
    return (out, grads) and clear the grads."""

    def step():
        out = fn(*inputs)
        if seed is None:
            out.backward()
        else:
            out.backward(seed)
        grads = []
        for x in inputs:
            if x.requires_grad:
                grads.append(x.grad)
                x.grad = None
        return out, grads

    return step


def _unary_case(name: str, shape: tuple, g_fn, t_fn, rtol=1e-4, atol=1e-5,
                out_shape=None) -> Case:
    """fn(x) with x of ``shape``; a non-scalar output is back-propagated with a fixed seed."""
    xg, xt = _pair(_arr(*shape))
    sg = st = None
    if out_shape is not None:
        sg, st = _pair(_arr(*out_shape), requires_grad=False)
    return Case(name, _step(g_fn, [xg], sg), _step(t_fn, [xt], st), rtol, atol)


def _binary_case(name: str, sa: tuple, sb: tuple, g_fn, t_fn, out_shape=None,
                 rtol=1e-4, atol=1e-5) -> Case:
    ag, at = _pair(_arr(*sa))
    bg, bt = _pair(_arr(*sb))
    sg = st = None
    if out_shape is not None:
        sg, st = _pair(_arr(*out_shape), requires_grad=False)
    return Case(name, _step(g_fn, [ag, bg], sg), _step(t_fn, [at, bt], st), rtol, atol)


def _ce_case(n: int, c: int) -> Case:
    xg, xt = _pair(_arr(n, c))
    y = RNG.integers(0, c, size=n).astype(np.int64)
    yg, yt = gl.tensor(y), torch.tensor(y)
    return Case(f"cross_entropy ({n},{c})",
                _step(lambda x: GF.cross_entropy(x, yg), [xg]),
                _step(lambda x: torch.nn.functional.cross_entropy(x, yt), [xt]))


def cases() -> list[Case]:
    big = (4096, 1024)  # 16 MiB of float32
    cs = [
        _binary_case("elementwise chain 1000x1000", (1000, 1000), (1000, 1000),
                     lambda x, y: ((x * y + 1).tanh() * x).exp().sum(),
                     lambda x, y: ((x * y + 1).tanh() * x).exp().sum(), rtol=1e-4, atol=1e-3),
        _unary_case("sum() 4096x1024", big, lambda x: x.sum(), lambda x: x.sum(),
                    rtol=1e-3, atol=1e-2),
        _unary_case("sum(dim=0) 4096x1024", big, lambda x: x.sum(dim=0),
                    lambda x: x.sum(dim=0), out_shape=(1024,), atol=1e-3),
        _unary_case("sum(dim=1) 4096x1024", big, lambda x: x.sum(dim=1),
                    lambda x: x.sum(dim=1), out_shape=(4096,), atol=1e-3),
        _unary_case("sum(dim=(0,2)) 64x256x256", (64, 256, 256),
                    lambda x: x.sum(dim=(0, 2)), lambda x: x.sum(dim=(0, 2)),
                    out_shape=(256,), atol=1e-2),
        _unary_case("mean(dim=1) 4096x1024", big, lambda x: x.mean(dim=1),
                    lambda x: x.mean(dim=1), out_shape=(4096,)),
        _unary_case("var(dim=0) 4096x1024", big, lambda x: x.var(dim=0),
                    lambda x: x.var(dim=0), out_shape=(1024,)),
        _unary_case("var(dim=1) 4096x1024", big, lambda x: x.var(dim=1),
                    lambda x: x.var(dim=1), out_shape=(4096,)),
        _unary_case("max(dim=1) 4096x1024", big, lambda x: x.max(dim=1).values,
                    lambda x: x.max(dim=1).values, out_shape=(4096,)),
        _unary_case("max(dim=0) 4096x1024", big, lambda x: x.max(dim=0).values,
                    lambda x: x.max(dim=0).values, out_shape=(1024,)),
        _binary_case("matmul 512x512 @ 512x512", (512, 512), (512, 512),
                     lambda a, b: a @ b, lambda a, b: a @ b, out_shape=(512, 512),
                     atol=1e-3),
        _binary_case("bmm 64x128x128 @ 64x128x128", (64, 128, 128), (64, 128, 128),
                     lambda a, b: a @ b, lambda a, b: a @ b, out_shape=(64, 128, 128),
                     atol=1e-3),
        _binary_case("matmul bcast 32x256x256 @ 256x256", (32, 256, 256), (256, 256),
                     lambda a, b: a @ b, lambda a, b: a @ b, out_shape=(32, 256, 256),
                     atol=1e-2),
        _unary_case("softmax(dim=1) 512x1000", (512, 1000), lambda x: x.softmax(1),
                    lambda x: x.softmax(1), out_shape=(512, 1000)),
        _ce_case(128, 10),
        _ce_case(512, 1000),
    ]
    return cs


if __name__ == "__main__":
    main(cases, "gradlab vs torch: single ops, forward + backward (float32)")
