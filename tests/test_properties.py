"""Property tests (hypothesis) for broadcasting: random broadcast-compatible shapes (including
0-d and size-0 dims) for + - * / maximum minimum where and the reductions. The result shape is
NumPy's/torch's broadcast shape, every gradient has its input's shape and torch's values, and the
upstream gradient is conserved (each output element hands out exactly its own gradient)."""

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes
from oracle import check_forward_backward, to_gradlab, to_torch

import gradlab

SETTINGS = settings(max_examples=50, deadline=None)
SHAPES2 = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, min_side=0,
                                        max_side=3)
SHAPES3 = mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, min_side=1,
                                        max_side=3)
SEEDS = st.integers(0, 2**32 - 1)

BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "maximum": lambda a, b: a.maximum(b),
    "minimum": lambda a, b: a.minimum(b),
}


def values(rng, shape, ties: bool, positive: bool = False) -> np.ndarray:
    """Random float64 values; with ``ties`` from a small integer grid, so equal values (ties
    for maximum/minimum) are common."""
    if ties:
        v = rng.integers(-2, 3, size=shape).astype(np.float64)
    else:
        v = rng.uniform(-2, 2, size=shape)
    if positive:
        v = np.abs(v) + 0.5
    return np.asarray(v)


@SETTINGS
@given(shapes=SHAPES2, op=st.sampled_from(sorted(BINARY)), ties=st.booleans(), seed=SEEDS)
def test_binary_broadcast_matches_torch(shapes, op, ties, seed):
    (sa, sb), result = shapes
    rng = np.random.default_rng(seed)
    a = values(rng, sa, ties)
    b = values(rng, sb, ties, positive=(op == "div"))
    fn = BINARY[op]
    ga, gb = to_gradlab(a, True), to_gradlab(b, True)
    out = fn(ga, gb)
    assert tuple(out.shape) == tuple(result) == tuple(fn(to_torch(a), to_torch(b)).shape)
    g = rng.standard_normal(result)
    out.backward(gradlab.tensor(g))
    assert tuple(ga.grad.shape) == sa and tuple(gb.grad.shape) == sb
    # conservation of the upstream gradient
    total = g.sum()
    if op == "add":
        np.testing.assert_allclose([ga.grad.array.sum(), gb.grad.array.sum()], [total, total],
                                   atol=1e-12)
    elif op == "sub":
        np.testing.assert_allclose([ga.grad.array.sum(), gb.grad.array.sum()], [total, -total],
                                   atol=1e-12)
    elif op in ("maximum", "minimum"):
        np.testing.assert_allclose(ga.grad.array.sum() + gb.grad.array.sum(), total, atol=1e-12)
    # and torch's values, for every input gradient
    gs, ts = [to_gradlab(a, True), to_gradlab(b, True)], [to_torch(a, True), to_torch(b, True)]
    check_forward_backward(fn, fn, gs, ts, f"{op}{sa}{sb}", seed=seed)


@SETTINGS
@given(shapes=SHAPES2, op=st.sampled_from(["add", "sub", "mul", "div"]), seed=SEEDS,
       scalar=st.sampled_from([2, -1.5, 0.5]), left=st.booleans())
def test_scalar_operand_either_side(shapes, op, seed, scalar, left):
    (sa, _), _ = shapes
    a = values(np.random.default_rng(seed), sa, False, positive=True)
    f = BINARY[op]
    fn = (lambda x: f(scalar, x)) if left else (lambda x: f(x, scalar))
    ga, ta = to_gradlab(a, True), to_torch(a, True)
    check_forward_backward(fn, fn, [ga], [ta], f"{op} scalar", seed=seed)
    assert tuple(ga.grad.shape) == sa


@SETTINGS
@given(shapes=SHAPES3, seed=SEEDS)
def test_where_broadcast_conserves_gradient(shapes, seed):
    (sc, sa, sb), result = shapes
    rng = np.random.default_rng(seed)
    cond = rng.random(sc) < 0.5
    a, b = values(rng, sa, False), values(rng, sb, False)
    ga, gb = to_gradlab(a, True), to_gradlab(b, True)
    out = gradlab.where(gradlab.tensor(cond), ga, gb)
    assert tuple(out.shape) == tuple(result)
    g = rng.standard_normal(result)
    out.backward(gradlab.tensor(g))
    assert tuple(ga.grad.shape) == sa and tuple(gb.grad.shape) == sb
    np.testing.assert_allclose(ga.grad.array.sum() + gb.grad.array.sum(), g.sum(), atol=1e-12)
    gs = [to_gradlab(cond), to_gradlab(a, True), to_gradlab(b, True)]
    ts = [to_torch(cond), to_torch(a, True), to_torch(b, True)]

    def fn(c, x, y):
        return (gradlab if isinstance(x, gradlab.Tensor) else torch).where(c, x, y)

    check_forward_backward(fn, fn, gs, ts, f"where{sc}{sa}{sb}", seed=seed)


@st.composite
def reduction_case(draw):
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=4)))
    dims = draw(st.lists(st.integers(-len(shape), len(shape) - 1), min_size=1,
                         max_size=len(shape), unique_by=lambda d: d % len(shape)))
    return shape, tuple(dims), draw(st.booleans())


@SETTINGS
@given(case=reduction_case(), op=st.sampled_from(["sum", "mean", "amax", "logsumexp"]),
       seed=SEEDS)
def test_reductions_over_random_dims(case, op, seed):
    shape, dims, keepdim = case
    x = values(np.random.default_rng(seed), shape, ties=(op == "amax"))

    def fn(t):
        return getattr(t, op)(dims, keepdim=keepdim)

    gx, tx = to_gradlab(x, True), to_torch(x, True)
    check_forward_backward(fn, fn, [gx], [tx], f"{op}{shape}{dims}{keepdim}", seed=seed)
    assert tuple(gx.grad.shape) == shape
    if op in ("mean", "amax", "logsumexp"):
        # each output element spreads its gradient over its inputs with weights summing to 1
        g = np.random.default_rng(seed).standard_normal(fn(tx).shape)
        gx.grad = None
        fn(gx).backward(gradlab.tensor(g))
        np.testing.assert_allclose(gx.grad.array.sum(), g.sum(), atol=1e-10)


@SETTINGS
@given(shape=st.lists(st.integers(1, 3), min_size=1, max_size=4), seed=SEEDS, data=st.data())
def test_expand_and_permute_round_trip(shape, seed, data):
    shape = tuple(shape)
    perm = tuple(data.draw(st.permutations(range(len(shape)))))
    lead = tuple(data.draw(st.lists(st.integers(1, 3), max_size=2)))
    target = lead + tuple(s if s != 1 else data.draw(st.integers(1, 3)) for s in shape)
    x = values(np.random.default_rng(seed), shape, False)

    def fn(t):
        return t.expand(*target).permute(*(tuple(range(len(lead))) +
                                           tuple(p + len(lead) for p in perm)))

    gx, tx = to_gradlab(x, True), to_torch(x, True)
    check_forward_backward(fn, fn, [gx], [tx], f"expand{shape}->{target}", seed=seed)
    assert tuple(gx.grad.shape) == shape
