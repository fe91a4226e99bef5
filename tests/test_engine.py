"""The autograd engine: graph shapes, accumulation, retain_graph, hooks, grad mode, custom
Functions, in-place safety, gradcheck. Compared with torch where torch defines the answer."""

import numpy as np
import pytest
import torch

import gradlab
from gradlab.autograd import Function, GradcheckError, gradcheck


def T(a, requires_grad=True, dtype=np.float64):
    return gradlab.tensor(np.asarray(a, dtype=dtype), requires_grad=requires_grad)


def test_diamond_graph_matches_torch():
    x0 = np.array([0.3, -1.2, 2.0])
    x, xt = T(x0), torch.tensor(x0, requires_grad=True)
    for v in (x, xt):
        a = v * 2
        b = a.exp()
        c = a.sin()
        (b * c + a).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12)


def test_reused_tensor_accumulates_within_one_backward():
    x = T([1.0, 2.0, 3.0])
    (x * x * x + x).sum().backward()  # d/dx = 3x^2 + 1
    np.testing.assert_allclose(x.grad.numpy(), 3 * np.array([1.0, 4.0, 9.0]) + 1)


def test_gradients_accumulate_across_backward_calls_until_zeroed():
    x = T([1.0, -2.0])
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0])
    x.grad.zero_()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, -4.0])


def test_grad_is_not_aliased_between_leaves():
    a, b = T([1.0, 2.0]), T([3.0, 4.0])
    (a + b).sum().backward()
    a.grad.array += 10
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 1.0])


def test_deep_chain_has_no_recursion_limit():
    x = T([1.0])
    y = x
    for _ in range(100_000):
        y = y + 1e-6
    y.sum().backward()
    assert x.grad.item() == 1.0


def test_retain_graph_allows_second_backward():
    x = T([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    g1 = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * g1)


def test_second_backward_through_freed_graph_raises():
    x = T([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_backward_on_non_scalar_needs_gradient():
    x = T([1.0, 2.0])
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar"):
        (x * 2).backward()
    (x * 2).backward(gradlab.tensor([1.0, 10.0], dtype=gradlab.float64))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 20.0])


def test_backward_gradient_shape_mismatch():
    x = T([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"Mismatch in shape: grad_output\[0\] has a shape "
                                           r"of \(3,\) and output\[0\] has a shape of \(2,\)"):
        (x * 2).backward(gradlab.ones(3, dtype=gradlab.float64))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        gradlab.ones(3).sum().backward()


def test_backward_on_leaf_scalar():
    x = T(2.0)
    x.backward()
    assert x.grad.item() == 1.0


def test_no_grad_records_nothing_and_restores():
    x = T([1.0])
    with gradlab.no_grad():
        y = x * 2
        assert not gradlab.is_grad_enabled()
    assert gradlab.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None


def test_grad_mode_decorators_and_nesting():
    x = T([1.0])

    @gradlab.no_grad()
    def f(v):
        return v * 2

    @gradlab.enable_grad()
    def g(v):
        return v * 2

    assert not f(x).requires_grad
    with gradlab.no_grad():
        assert g(x).requires_grad
        with gradlab.enable_grad():
            assert (x * 1).requires_grad
        assert not (x * 1).requires_grad
    with gradlab.set_grad_enabled(False):
        assert not (x * 1).requires_grad
    assert (x * 1).requires_grad
    gradlab.set_grad_enabled(False)
    assert not gradlab.is_grad_enabled()
    gradlab.set_grad_enabled(True)

    @gradlab.set_grad_enabled(False)
    def h(v):
        return v * 2

    assert gradlab.is_grad_enabled()
    assert not h(x).requires_grad


def test_detach_shares_data_and_cuts_graph():
    x = T([1.0, 2.0])
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.is_leaf
    assert np.shares_memory(d.array, y.array)
    (y * d).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * d.numpy())


def test_requires_grad_rules():
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require "
                                           "gradients"):
        gradlab.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype"):
        gradlab.tensor([1, 2], requires_grad=True)
    y = T([1.0]) * 2
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf"):
        y.requires_grad_(False)
    # the result requires grad if any input does
    assert (gradlab.ones(2) + T([1.0, 1.0])).requires_grad
    assert not (gradlab.ones(2) + gradlab.ones(2)).requires_grad


def test_retain_grad_on_non_leaf():
    x = T([1.0, 2.0])
    y = x * 3
    y.retain_grad()
    z = y * y
    z.sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), 2 * y.detach().numpy())
    assert y.retains_grad
    w = x * 2
    (w * 1).sum().backward()
    assert w.grad is None


def test_hooks_on_leaf_and_non_leaf_match_torch():
    x0 = np.array([1.0, -2.0, 3.0])
    seen = {}
    results = {}
    for lib in (gradlab, torch):
        x = lib.tensor(x0, requires_grad=True)
        y = x * 2
        def record(g, name=lib.__name__):
            seen[name] = g.numpy().copy()  # returns None: the gradient is kept

        y.register_hook(record)
        h = x.register_hook(lambda g: g * 10)
        (y * y).sum().backward()
        results[lib.__name__] = x.grad.numpy().copy()
        h.remove()
        x.grad = None
        (x * 1).sum().backward()
        assert x.grad.numpy().tolist() == [1.0, 1.0, 1.0]
    np.testing.assert_allclose(seen["gradlab"], seen["torch"])
    np.testing.assert_allclose(results["gradlab"], results["torch"])


def test_hook_requires_grad():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        gradlab.ones(2).register_hook(lambda g: g)


def test_autograd_grad_does_not_touch_dot_grad():
    x = T([1.0, 2.0])
    y = T([3.0, 4.0])
    out = (x * y).sum()
    gx, gy = gradlab.autograd.grad(out, [x, y])
    np.testing.assert_allclose(gx.numpy(), [3.0, 4.0])
    np.testing.assert_allclose(gy.numpy(), [1.0, 2.0])
    assert x.grad is None and y.grad is None
    z = T([1.0])
    with pytest.raises(RuntimeError, match="was not used in the graph"):
        gradlab.autograd.grad((x * 2).sum(), [x, z])
    gx, gz = gradlab.autograd.grad((x * 2).sum(), [x, z], allow_unused=True)
    assert gz is None


def test_backward_inputs_argument_limits_accumulation():
    x, y = T([1.0]), T([2.0])
    (x * y).sum().backward(inputs=[x])
    assert x.grad.item() == 2.0 and y.grad is None


class Cube(Function):
    # d x^3/dx = 3 x^2
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * x * x * g


class ScaleShift(Function):
    """Two outputs and a non-tensor argument."""

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return x * k, x + k

    @staticmethod
    def backward(ctx, ga, gb):
        return ga * ctx.k + gb, None


def test_user_function_single_output():
    x = T([1.0, -2.0])
    y = Cube.apply(x)
    assert y.grad_fn.name() == "CubeBackward"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 12.0])
    assert gradcheck(Cube.apply, (T(np.random.default_rng(0).normal(size=(3, 2))),))


def test_user_function_multiple_outputs_and_unused_output():
    x = T([1.0, 2.0])
    a, b = ScaleShift.apply(x, 3.0)
    a.sum().backward()  # b unused: its gradient is materialised as zeros
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])
    x.grad = None
    a, b = ScaleShift.apply(x, 3.0)
    (a + b).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 4.0])


def test_user_function_wrong_gradient_count():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(RuntimeError, match=r"returned an incorrect number of gradients "
                                           r"\(expected 2, got 1\)"):
        Bad.apply(T([1.0]), T([2.0])).sum().backward()


def test_needs_input_grad():
    seen = []

    class Probe(Function):
        @staticmethod
        def forward(ctx, x, y):
            seen.append(ctx.needs_input_grad)
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g, g

    Probe.apply(T([1.0]), T([2.0], requires_grad=False))
    assert seen == [(True, False)]


def test_next_functions_walk_the_graph():
    x = T([1.0])
    y = (x * 2).exp()
    fn, idx = y.grad_fn.next_functions[0]
    assert fn.name() == "MulBackward0" and idx == 0
    acc = fn.next_functions[0][0]
    assert acc.name() == "AccumulateGrad" and acc.variable is x


def test_gradcheck_reports_the_failing_input_and_element():
    class WrongGrad(Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return x * y

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            gy = g * x
            gy[..., 1] *= 2  # deliberately wrong for element 1 of y's last axis
            return g * y, gy

    x = T(np.ones((2, 3)))
    y = T(np.full((2, 3), 0.5))
    with pytest.raises(GradcheckError, match=r"with respect to input 1 .*d out\[0, 1\] / "
                                             r"d in\[0, 1\] numerical 1 vs analytical 2"):
        gradcheck(WrongGrad.apply, (x, y))
    assert gradcheck(WrongGrad.apply, (x, y), raise_exception=False) is False


def test_gradcheck_requires_float64():
    with pytest.raises(ValueError, match="need float64 inputs"):
        gradcheck(lambda v: v * 2, (gradlab.ones(2, requires_grad=True),))


# ------------------------------------------------------------------ in-place semantics


def test_inplace_on_leaf_that_requires_grad_raises():
    w = T([1.0, 2.0])
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used "
                                           "in an in-place operation"):
        w -= 1.0
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        w.zero_()


def test_raw_sgd_loop_under_no_grad():
    w = T([1.0, -1.0])
    for _ in range(3):
        loss = ((w - 3.0) ** 2).sum()
        loss.backward()
        with gradlab.no_grad():
            w -= 0.25 * w.grad
            w.grad.zero_()
    # each step halves the distance to 3
    np.testing.assert_allclose(w.numpy(force=True), 3 - np.array([2.0, 4.0]) / 8)
    assert w.is_leaf and w.requires_grad


def test_modifying_a_saved_tensor_is_detected():
    x = T([1.0, 2.0])
    w = T([3.0, 4.0])
    y = (x * w).sum()
    with gradlab.no_grad():
        w.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_inplace_on_non_leaf_matches_torch():
    x0 = np.array([0.5, -1.5, 2.0])
    grads = {}
    for lib in (gradlab, torch):
        x = lib.tensor(x0, requires_grad=True)
        y = x * 2
        z = y + 1  # saves nothing: torch accepts the in-place changes below
        y.add_(1)
        y.mul_(x)
        (z.sum() + y.sum()).backward()
        grads[lib.__name__] = x.grad.numpy().copy()
        assert y.grad_fn is not None
    np.testing.assert_allclose(grads["gradlab"], grads["torch"])


def test_inplace_on_non_leaf_keeps_values_saved_before_it():
    # torch raises here (y was saved by y * y, then modified); gradlab records the in-place op
    # as out-of-place, so the saved old values stay valid and the gradient is the true one
    x = T([0.5, -1.5, 2.0])
    y = x * 2
    z = y * y
    y.add_(1)
    (z.sum() + y.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), 8 * x.detach().numpy() + 2)


def test_setitem_on_non_leaf_matches_torch():
    x0 = np.arange(6.0).reshape(2, 3)
    v0 = np.array([10.0, 20.0, 30.0])
    grads = {}
    for lib in (gradlab, torch):
        x = lib.tensor(x0, requires_grad=True)
        v = lib.tensor(v0, requires_grad=True)
        y = x * 1
        y[1] = v * 2
        (y * y).sum().backward()
        grads[lib.__name__] = (x.grad.numpy().copy(), v.grad.numpy().copy())
    for a, b in zip(grads["gradlab"], grads["torch"]):
        np.testing.assert_allclose(a, b)


def test_views_share_memory_and_version():
    x = gradlab.arange(6.0).reshape(2, 3)
    v = x[0]
    v.fill_(7.0)
    assert x.tolist()[0] == [7.0, 7.0, 7.0]
    w = T(np.ones(3))
    y = (w * 2)[1:]
    with pytest.raises(RuntimeError, match="in-place operation on a view"):
        y.add_(1.0)


def test_inplace_int_cast_error():
    x = gradlab.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
        x.mul_(0.5)


def test_inplace_rng_fills_are_reproducible():
    a = gradlab.empty(4).uniform_(-1, 1, generator=gradlab.Generator().manual_seed(3))
    b = gradlab.empty(4).uniform_(-1, 1, generator=gradlab.Generator().manual_seed(3))
    assert a.equal(b) and (a.abs() <= 1).all()
    n = gradlab.empty(10_000).normal_(2.0, 0.5)
    assert abs(n.mean().item() - 2.0) < 0.03 and abs(n.std().item() - 0.5) < 0.03


def test_graph_is_freed_with_its_output():
    import gc
    import weakref

    x = T(np.ones(1000))
    y = (x.exp() * 2).sum()
    ref = weakref.ref(y.grad_fn)
    del y
    gc.collect()
    assert ref() is None


def test_observe_sees_every_op_and_is_removed():
    from gradlab.autograd import observe
    from gradlab.autograd.observers import _apply_observers

    seen = []
    x = gradlab.randn(3, requires_grad=True)
    with observe(lambda cls, args, kwargs, res: seen.append(
            (cls.__name__, len(res), res[0].requires_grad))):
        (x * 2).exp().sum()
        with gradlab.no_grad():
            x + 1
    assert seen == [("Mul", 1, True), ("Exp", 1, True), ("Sum", 1, True), ("Add", 1, False)]
    assert _apply_observers == []


def test_observe_nests_and_is_removed_after_an_error():
    from gradlab.autograd import observe
    from gradlab.autograd.observers import _apply_observers

    outer, inner = [], []
    x = gradlab.randn(3)
    with pytest.raises(KeyError), observe(lambda *a: outer.append(a[0].__name__)):
        x * 2
        with observe(lambda *a: inner.append(a[0].__name__)):
            x + 1
        raise KeyError("boom")
    x - 1
    assert outer == ["Mul", "Add"] and inner == ["Add"]
    assert _apply_observers == []
    assert not hasattr(gradlab.autograd, "add_apply_observer")  # observation is scoped only


def test_increment_version_makes_a_saved_tensor_refuse_backward():
    import gradlab
    from gradlab.autograd.graph import increment_version

    w = gradlab.ones(3, requires_grad=True)
    x = gradlab.ones(3)
    y = (w * x).sum()  # saves x for w's gradient
    x.array[:] = 2.0
    increment_version(x)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()
    a, b = gradlab.ones(2), gradlab.ones(2)
    before = (a._version.v, b._version.v)
    increment_version([a, b])
    assert (a._version.v, b._version.v) == (before[0] + 1, before[1] + 1)


def test_post_accumulate_grad_hook_runs_once_the_leaf_is_complete():
    """As torch's: hook(leaf) after .grad is written; a leaf fed only early in the backward
    order is finished before the nodes behind it run (what DDP overlaps its all-reduce with)."""
    from gradlab.autograd import engine

    events = []
    for lib in (gradlab, torch):
        a = lib.tensor([0.5, -1.0], requires_grad=True, dtype=lib.float64)
        b = lib.tensor([2.0, 0.25], requires_grad=True, dtype=lib.float64)
        got = []
        a.register_post_accumulate_grad_hook(lambda t, got=got: got.append(("a", t.grad.tolist())))
        h = b.register_post_accumulate_grad_hook(lambda t, got=got: got.append(("b",
                                                                                 t.grad.tolist())))
        ((a * 2).exp().sum() * (b * 3).sin().sum()).backward()
        h.remove()
        (a * b).sum().backward()
        events.append(got)
    assert [e[0] for e in events[0]] == [e[0] for e in events[1]]
    for (_, g0), (_, g1) in zip(*events):
        np.testing.assert_allclose(g0, g1, rtol=1e-12)
    # early: the hook of a leaf whose only edge is near the output fires before the deep part
    seen = []
    w = T([1.0, 2.0])
    x = T([0.5, 0.5])
    w.register_post_accumulate_grad_hook(lambda t: seen.append("w"))
    x.register_hook(lambda g: seen.append("x") or None)
    deep = x
    for _ in range(5):
        deep = deep.sin()
    (deep * 3).sum().mul(1.0).add((w * w).sum()).backward()
    assert seen == ["w", "x"]
    # refusals, and copies carry no hooks
    with pytest.raises(RuntimeError, match="cannot be registered on non-leaf tensors"):
        (w * 2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        T([1.0], requires_grad=False).register_post_accumulate_grad_hook(lambda t: None)
    import copy

    assert engine._post_hooks_of(copy.deepcopy(w)) is None


def test_queue_callback_runs_after_every_leaf_is_written():
    from gradlab.autograd import engine

    a, b = T([1.0, 2.0]), T([3.0])
    seen = []
    a.register_hook(lambda g: engine.queue_callback(lambda: seen.append(
        (a.grad.tolist(), b.grad.tolist()))))
    ((a * b).sum() * 2).backward()
    assert seen == [([6.0, 6.0], [6.0])]
    with pytest.raises(RuntimeError, match="only be installed during the backward pass"):
        engine.queue_callback(lambda: None)
    # backward(inputs=...): post-accumulate hooks run, and may queue callbacks
    seen.clear()
    c, d = T([1.0, 2.0]), T([3.0])
    d.register_post_accumulate_grad_hook(lambda t: engine.queue_callback(
        lambda: seen.append(t.grad.tolist())))
    (c * d).sum().backward(inputs=[d])
    assert seen == [[3.0]] and c.grad is None
