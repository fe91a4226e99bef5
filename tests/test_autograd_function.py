"""A user's ``autograd.Function`` works on Tensors, as torch's: torch's tutorial Functions
(LegendrePolynomial3 of "Learning PyTorch with Examples", MyReLU, Exp saving its output, two
outputs with one non-differentiable, an in-place Function with mark_dirty, needs_input_grad,
set_materialize_grads(False), the setup_context style) are written once against a library and
run with torch 2.13 and with gradlab on the same inputs: outputs, gradients and ctx behaviour
are compared, errors by type and message; gradcheck in float64. The array-level base of
gradlab's own ops (``ArrayFunction``) keeps receiving NumPy arrays."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.autograd.function as torch_function

import gradlab
import gradlab.autograd.function as gradlab_function
from gradlab.autograd import ArrayFunction, Function, gradcheck

LIBS = (torch, gradlab)
_FUNCTION_MODULE = {torch: torch_function, gradlab: gradlab_function}
_DEFS: dict = {}


def _defs(lib) -> SimpleNamespace:
    """The test's Functions, written once against ``lib`` (torch or gradlab)."""
    if lib in _DEFS:
        return _DEFS[lib]
    F = lib.autograd.Function
    once_differentiable = _FUNCTION_MODULE[lib].once_differentiable
    seen: list = []

    class LegendrePolynomial3(F):
        # P3(x) = (5x^3 - 3x) / 2 ; P3'(x) = 1.5 (5x^2 - 1)
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)

    class MyReLU(F):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return input.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            grad_input = grad_output.clone()
            grad_input[input < 0] = 0
            return grad_input

    class Exp(F):
        # d exp(i)/di = exp(i): the output is saved
        @staticmethod
        def forward(ctx, i):
            result = i.exp()
            ctx.save_for_backward(result)
            ctx.made = result
            seen.append(ctx)
            return result

        @staticmethod
        @once_differentiable
        def backward(ctx, grad_output):
            result, = ctx.saved_tensors
            return grad_output * result

    class MaxWithIndex(F):
        @staticmethod
        def forward(ctx, x):
            values, idx = x.max(dim=1)
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(idx)
            ctx.width = x.shape[1]
            return values, idx

        @staticmethod
        def backward(ctx, g_values, g_idx):
            seen.append(g_idx)
            idx, = ctx.saved_tensors
            onehot = lib.arange(ctx.width) == idx.unsqueeze(1)
            return onehot * g_values.unsqueeze(1)

    class AddOneInplace(F):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output

    class ScaledAdd(F):
        @staticmethod
        def forward(ctx, x, y, alpha):
            ctx.alpha = alpha
            seen.append(ctx.needs_input_grad)
            return x + alpha * y

        @staticmethod
        def backward(ctx, g):
            gx = g if ctx.needs_input_grad[0] else None
            gy = g * ctx.alpha if ctx.needs_input_grad[1] else None
            return gx, gy, None

    class TwoNoMaterialize(F):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, ga, gb):
            seen.append((ga is None, gb is None))
            return (0 if ga is None else ga * 2) + (0 if gb is None else gb * 3)

    class MulSetup(F):  # torch >= 2.0: forward without ctx, setup_context saves
        @staticmethod
        def forward(x, k=2.0):
            return x * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, k = inputs
            ctx.k = k
            ctx.save_for_backward(x)

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * ctx.k, None

    class Scale(F):  # a keyword argument of the old style
        @staticmethod
        def forward(ctx, x, k=1.0):
            ctx.k = k
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None

    class Identity(F):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    class WithCount(F):  # a non-Tensor output passes through
        @staticmethod
        def forward(ctx, x):
            return x * 2, 3

        @staticmethod
        def backward(ctx, g, g_count):
            seen.append(g_count)
            return g * 2

    class Widen(F):  # backward returns the output's broadcast shape: summed back
        @staticmethod
        def forward(ctx, x):
            return x + lib.zeros(4, *x.shape, dtype=x.dtype)

        @staticmethod
        def backward(ctx, g):
            return g

    class VjpOnly(F):
        @staticmethod
        def forward(ctx, x):
            return x * 3

        @staticmethod
        def vjp(ctx, g):
            return g * 3

    _DEFS[lib] = SimpleNamespace(**{k: v for k, v in locals().items()
                                    if isinstance(v, type)}, seen=seen)
    return _DEFS[lib]


def _np(v):
    if isinstance(v, (torch.Tensor, gradlab.Tensor)):
        return v.detach().numpy()
    if isinstance(v, (list, tuple)):
        return [_np(x) for x in v]
    return v


def _same(a, b, rtol: float = 1e-12, atol: float = 1e-12) -> None:
    if isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y, rtol, atol)
    elif isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(b, a, rtol=rtol, atol=atol)
    else:
        assert a == b


def _both(scenario, **tol) -> None:
    """Run ``scenario(lib, defs)`` with torch and with gradlab; compare what it returns."""
    t, g = (_np(scenario(lib, _defs(lib))) for lib in LIBS)
    _same(t, g, **tol)


def _data(*shape, seed: int = 0, lo: float = -1.0):
    return np.random.default_rng(seed).uniform(lo, 1.0, size=shape)


def _leaf(lib, arr):
    return lib.tensor(arr, requires_grad=True)


# --------------------------------------------------------------------------- tutorials


def _legendre_fit(lib, d, steps: int = 300):
    """"Learning PyTorch with Examples": y = a + b P3(c + d x) fitted to sin, float32."""
    x = lib.linspace(-math.pi, math.pi, 2000, dtype=lib.float)
    y = lib.sin(x)
    a = lib.full((), 0.0, dtype=lib.float, requires_grad=True)
    b = lib.full((), -1.0, dtype=lib.float, requires_grad=True)
    c = lib.full((), 0.0, dtype=lib.float, requires_grad=True)
    dd = lib.full((), 0.3, dtype=lib.float, requires_grad=True)
    learning_rate = 5e-6
    losses = []
    for _ in range(steps):
        P3 = d.LegendrePolynomial3.apply
        y_pred = a + b * P3(c + dd * x)
        loss = (y_pred - y).pow(2).sum()
        losses.append(np.float32(loss.item()))
        loss.backward()
        with lib.no_grad():
            for p in (a, b, c, dd):
                p -= learning_rate * p.grad
                p.grad = None
    p3_node = y_pred.grad_fn.next_functions[1][0].next_functions[1][0]
    return [a, b, c, dd, np.array(losses), p3_node.name(), p3_node.next_functions[0][0].name()]


def test_legendre_polynomial3_tutorial():
    _both(_legendre_fit, rtol=1e-5, atol=1e-6)  # float32; a and c stay near 0 (~1e-9)
    a, b, c, d, losses, name, below = _legendre_fit(gradlab, _defs(gradlab))
    assert name == "LegendrePolynomial3Backward" and below == "AddBackward0"
    assert losses[-1] < 0.5 * losses[0]


def _two_layer_net(lib, d):
    """The tutorial's two-layer net with MyReLU, three SGD steps, float64."""
    x, y = lib.tensor(_data(16, 10, seed=1)), lib.tensor(_data(16, 3, seed=2))
    w1, w2 = _leaf(lib, _data(10, 8, seed=3)), _leaf(lib, _data(8, 3, seed=4))
    out = []
    for _ in range(3):
        h = d.MyReLU.apply(x.mm(w1))
        loss = (h.mm(w2) - y).pow(2).sum()
        loss.backward()
        out += [loss, w1.grad.clone(), w2.grad.clone(), h.grad_fn.name()]
        with lib.no_grad():
            w1 -= 1e-3 * w1.grad
            w2 -= 1e-3 * w2.grad
            w1.grad = None
            w2.grad = None
    return out


def test_my_relu_tutorial_two_layer_net():
    _both(_two_layer_net)


def _exp(lib, d):
    x = _leaf(lib, _data(3, 4))
    y = d.Exp.apply(x)
    ctx = d.seen[-1]
    facts = [y.grad_fn is ctx, ctx.made is y, isinstance(ctx, _FUNCTION_MODULE[lib].FunctionCtx),
             y.grad_fn.name(), y.is_leaf, y.requires_grad]
    (y * y).sum().backward(retain_graph=True)
    (y * 2).sum().backward()
    return [y, x.grad, facts]


def test_exp_saves_its_output_and_ctx_is_the_grad_fn():
    _both(_exp)


def _max_with_index(lib, d):
    x = _leaf(lib, _data(3, 5))
    values, idx = d.MaxWithIndex.apply(x)
    (values * values).sum().backward()
    return [values, idx, x.grad, values.requires_grad, idx.requires_grad, idx.grad_fn,
            d.seen[-1]]


def test_two_outputs_one_non_differentiable():
    _both(_max_with_index)


def _inplace(lib, d):
    w = _leaf(lib, _data(4))
    h = w * 2
    out = d.AddOneInplace.apply(h)
    facts = [out is h, h.grad_fn.name(), h.is_leaf]
    (out * out).sum().backward()
    return [h, w.grad, facts]


def test_mark_dirty_makes_the_input_the_output():
    _both(_inplace)


def _needs_input_grad(lib, d):
    x, y = _leaf(lib, _data(3)), lib.tensor(_data(3, seed=1))
    d.ScaledAdd.apply(x, y, 0.5).sum().backward()
    with lib.no_grad():
        d.ScaledAdd.apply(x, y, 0.5)
    return [x.grad, y.grad, d.seen[-2:]]


def test_needs_input_grad():
    _both(_needs_input_grad)


def _no_materialize(lib, d):
    x = _leaf(lib, _data(3))
    a, b = d.TwoNoMaterialize.apply(x)
    a.sum().backward()
    g1 = x.grad.clone()
    a, b = d.TwoNoMaterialize.apply(x)
    (a + b).sum().backward()
    return [g1, x.grad, d.seen[-2:]]


def test_set_materialize_grads_false_gives_none():
    _both(_no_materialize)


def _setup_context_and_kwargs(lib, d):
    x = _leaf(lib, _data(3))
    d.MulSetup.apply(x).sum().backward()
    d.MulSetup.apply(x, k=3.0).sum().backward()
    d.Scale.apply(x, k=4.0).sum().backward()
    d.VjpOnly.apply(x).sum().backward()
    return [x.grad, d.MulSetup.apply(x, 5.0)]


def test_setup_context_style_keywords_and_vjp():
    _both(_setup_context_and_kwargs)


def _pass_through(lib, d):
    x = _leaf(lib, _data(3))
    y = d.Identity.apply(x)
    facts = [y is x, y.is_leaf, y.grad_fn.name()]
    (y * 2).sum().backward()
    v = d.ScaledAdd.apply(x * 1, lib.tensor(_data(3)), 2.0)
    facts += [[(f if f is None else f.name(), i) for f, i in v.grad_fn.next_functions]]
    z, count = d.WithCount.apply(x)
    z.sum().backward()
    w = d.Widen.apply(x)
    w.sum().backward()
    with lib.no_grad():
        u = d.Exp.apply(x)
    return [y, x.grad, facts, count, d.seen[-2], list(w.shape), u.requires_grad, u.grad_fn]


def test_inputs_returned_non_tensor_outputs_broadcast_gradients_and_no_grad():
    _both(_pass_through)


@pytest.mark.parametrize("name, args", [
    ("LegendrePolynomial3", ((3, 4),)), ("MyReLU", ((5,),)), ("Exp", ((2, 3),)),
    ("MulSetup", ((4,),)), ("Widen", ((3,),)),
])
def test_gradcheck_float64(name, args):
    fn = getattr(_defs(gradlab), name)
    inputs = tuple(_leaf(gradlab, _data(*s, seed=i, lo=0.1)) for i, s in enumerate(args))
    assert gradcheck(fn.apply, inputs)


def test_gradcheck_several_inputs_and_outputs():
    d = _defs(gradlab)
    x, y = _leaf(gradlab, _data(3, 4)), _leaf(gradlab, _data(3, 4, seed=1))
    assert gradcheck(lambda a, b: d.ScaledAdd.apply(a, b, 0.7), (x, y))
    assert gradcheck(lambda a: d.MaxWithIndex.apply(a)[0], (x,))
    assert gradcheck(lambda a: d.TwoNoMaterialize.apply(a)[1], (x,))


# --------------------------------------------------------------------------- errors, as torch's


def _fn(lib, name: str, forward, backward=None, vjp=None):
    """A Function of ``lib`` named ``name`` with these static methods."""
    body = {"forward": staticmethod(forward)}
    body.update({k: staticmethod(v) for k, v in (("backward", backward), ("vjp", vjp)) if v})
    return type(name, (lib.autograd.Function,), body)


def _err_count(lib, d):
    fn = _fn(lib, "TooFew", lambda ctx, x, y: x * y, lambda ctx, g: g)
    fn.apply(_leaf(lib, _data(3)), _leaf(lib, _data(3))).sum().backward()


def _err_too_many(lib, d):
    fn = _fn(lib, "TooMany", lambda ctx, x: x * 2, lambda ctx, g: (g, g))
    fn.apply(_leaf(lib, _data(3))).sum().backward()


def _err_shape(lib, d):
    fn = _fn(lib, "WrongShape", lambda ctx, x: x.sum(), lambda ctx, g: lib.ones(5, 5))
    fn.apply(_leaf(lib, _data(3))).backward()


def _err_not_a_tensor(lib, d):
    fn = _fn(lib, "ReturnsArray", lambda ctx, x: x * 2, lambda ctx, g: g.numpy())
    fn.apply(_leaf(lib, _data(3))).sum().backward()


def _err_grad_for_constant(lib, d):
    fn = _fn(lib, "GradForConstant", lambda ctx, x, k: x * k, lambda ctx, g: (g, g))
    fn.apply(_leaf(lib, _data(3)), 2.0).sum().backward()


def _err_save_int(lib, d):
    fn = _fn(lib, "SaveInt", lambda ctx, x: ctx.save_for_backward(x, 3) or x * 2)
    fn.apply(_leaf(lib, _data(3)))


def _err_dirty_not_returned(lib, d):
    fn = _fn(lib, "DirtyNotReturned", lambda ctx, x: ctx.mark_dirty(x.add_(1)) or x * 1)
    fn.apply(_leaf(lib, _data(3)) * 1)


def _err_both_backward_and_vjp(lib, d):
    fn = _fn(lib, "Both", lambda ctx, x: x * 2, lambda ctx, g: g, lambda ctx, g: g)
    fn.apply(_leaf(lib, _data(3))).sum().backward()


def _err_no_forward(lib, d):
    type("NoForward", (lib.autograd.Function,), {}).apply(_leaf(lib, _data(3)))


def _err_no_backward(lib, d):
    _fn(lib, "NoBackward", lambda ctx, x: x * 2).apply(_leaf(lib, _data(3))).sum().backward()


def _err_keyword_only(lib, d):
    def forward(ctx, x, *, m=2.0):
        return x * m

    _fn(lib, "KeywordOnly", forward, lambda ctx, g: g).apply(_leaf(lib, _data(3)), m=3.0)


def _err_legacy_call(lib, d):
    with pytest.warns(DeprecationWarning, match="should not be instantiated"):
        fn = d.MyReLU()
    fn(_leaf(lib, _data(3)))


def _err_dirty_leaf(lib, d):
    d.AddOneInplace.apply(_leaf(lib, _data(3)))


def _err_second_backward(lib, d):
    y = d.Exp.apply(_leaf(lib, _data(3)))
    y.sum().backward()
    y.sum().backward()


def _err_saved_output_modified(lib, d):
    y = d.Exp.apply(_leaf(lib, _data(3)))
    with lib.no_grad():
        y.mul_(2)
    y.sum().backward()


def _err_saved_input_made_dirty(lib, d):
    h = _leaf(lib, _data(3)) * 2
    s = d.LegendrePolynomial3.apply(h)  # saved h
    d.AddOneInplace.apply(h)
    s.sum().backward()


# (case, whether the whole message is torch's; else its text up to the first ":")
_ERRORS = [
    (_err_count, True), (_err_too_many, True), (_err_shape, True), (_err_not_a_tensor, True),
    (_err_grad_for_constant, True), (_err_save_int, True), (_err_dirty_not_returned, True),
    (_err_both_backward_and_vjp, True), (_err_no_forward, True), (_err_no_backward, True),
    (_err_keyword_only, True), (_err_legacy_call, True), (_err_dirty_leaf, True),
    (_err_second_backward, True),
    (_err_saved_output_modified, False), (_err_saved_input_made_dirty, False),
]


def _error(case, lib) -> tuple:
    with pytest.raises(Exception) as info:
        case(lib, _defs(lib))
    return type(info.value), str(info.value)


@pytest.mark.parametrize("case, exact", _ERRORS, ids=[c.__name__[5:] for c, _ in _ERRORS])
def test_errors_are_torchs(case, exact):
    (t_type, t_msg), (g_type, g_msg) = (_error(case, lib) for lib in LIBS)
    assert g_type is t_type
    if exact:
        assert g_msg == t_msg
    else:
        assert g_msg.split(":")[0] == t_msg.split(":")[0]


# --------------------------------------------------------------------------- gradlab's side


def test_anomaly_mode_names_a_user_function():
    class NanGrad(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g * float("nan")

    x = _leaf(gradlab, _data(3))
    with gradlab.autograd.detect_anomaly():
        y = NanGrad.apply(x)  # the creation site the error names
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
    msg = str(info.value)
    assert msg.startswith("Function 'NanGradBackward' returned nan values in its 0th output.")
    assert "test_autograd_function.py" in msg and "y = NanGrad.apply(x)" in msg


def test_array_level_base_still_gets_arrays():
    got = []

    class Twice(ArrayFunction):
        @staticmethod
        def forward(ctx, x):
            got.append(type(x))
            return 2 * x

        @staticmethod
        def backward(ctx, g):
            got.append(type(g))
            return 2 * g

    x = _leaf(gradlab, _data(3))
    y = Twice.apply(x)
    y.sum().backward()
    assert got == [np.ndarray, np.ndarray] and y.grad_fn.name() == "TwiceBackward"
    np.testing.assert_allclose(x.grad.numpy(), 2.0)
    assert not issubclass(Twice, Function) and not issubclass(_defs(gradlab).Exp, ArrayFunction)
