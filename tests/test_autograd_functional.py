"""gradlab.autograd.functional (jacobian, vjp) against torch.autograd.functional: the nested
output structure, shapes, dtypes and values for Tensor/tuple inputs and outputs, a small MLP's
Jacobian with respect to its input and its weights, a float64 finite-difference check, strict
mode and the errors. torch is imported unconditionally: without it these tests fail."""

import numpy as np
import pytest
import torch
from oracle import DTYPES, TOL

import gradlab
from gradlab.autograd.functional import jacobian, vjp

RNG = np.random.default_rng(14)
SHAPES = [(), (3,), (4,), (2, 3), (2, 4), (3, 4)]
ARRAYS = {shape: RNG.uniform(-1.5, 1.5, shape) for shape in SHAPES}


def pair(shape, dtype):
    """The same values as a gradlab and a torch tensor (no requires_grad, as users pass them)."""
    a = ARRAYS[shape].astype(dtype)
    return gradlab.tensor(a.copy()), torch.tensor(a.copy())


def lib_of(t):
    return torch if isinstance(t, torch.Tensor) else gradlab


def assert_same(g, t, dtype, path="J"):
    """``g`` (gradlab) and ``t`` (torch) have the same nesting, shapes, dtypes and values."""
    if isinstance(t, tuple):
        assert isinstance(g, tuple), f"{path}: torch gives a tuple, gradlab {type(g).__name__}"
        assert len(g) == len(t), f"{path}: {len(g)} entries, torch {len(t)}"
        for k, (a, b) in enumerate(zip(g, t)):
            assert_same(a, b, dtype, f"{path}[{k}]")
        return
    assert isinstance(g, gradlab.Tensor), f"{path}: a {type(g).__name__}, torch gives a Tensor"
    assert tuple(g.shape) == tuple(t.shape), f"{path}: shape {tuple(g.shape)} vs {tuple(t.shape)}"
    assert str(g.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], path
    assert not g.requires_grad and g.grad_fn is None, f"{path}: not detached"
    rtol, atol = TOL[dtype]
    np.testing.assert_allclose(g.numpy(), t.detach().numpy(), rtol=rtol, atol=atol, err_msg=path)


# One row per input/output structure: (name, func(*tensors), input shapes, tuple input?).
# The functions use only the API gradlab and torch share.
STRUCTURES = [
    ("tensor->tensor elementwise", lambda x: x.exp() * x.sin(), [(3,)], False),
    ("tensor->scalar", lambda x: (x * x).sum(), [(2, 3)], False),
    ("scalar->tensor", lambda x: x * lib_of(x).ones(4, dtype=x.dtype), [()], False),
    ("matrix->matrix", lambda x: x.tanh() @ x.t(), [(2, 3)], False),
    ("tensor->tuple", lambda x: (x.exp(), x.sum(), x.reshape(1, 3)), [(3,)], False),
    ("tuple->tensor", lambda x, w: x @ w, [(2, 3), (3, 4)], True),
    ("tuple->tuple", lambda x, y: (x * y.sum(), (x.exp() * 2).sum()), [(3,), (4,)], True),
    ("1-tuple->1-tuple", lambda x: (x.sigmoid(),), [(2, 3)], True),
    ("independent input", lambda x, y: x.exp(), [(3,), (4,)], True),
    ("output without grad", lambda x: (x * 2, lib_of(x).ones(2, dtype=x.dtype)), [(3,)], False),
    ("identity", lambda x: x, [(2, 3)], False),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,func,shapes,as_tuple", STRUCTURES, ids=[r[0] for r in STRUCTURES])
def test_jacobian_matches_torch(name, func, shapes, as_tuple, dtype):
    ours, theirs = zip(*(pair(s, dtype) for s in shapes))
    g_in, t_in = (ours, theirs) if as_tuple else (ours[0], theirs[0])
    assert_same(jacobian(func, g_in), torch.autograd.functional.jacobian(func, t_in), dtype)
    # vectorize=True is torch's vmap path: the same values, computed by the same loop here
    assert_same(jacobian(func, g_in, vectorize=True),
                torch.autograd.functional.jacobian(func, t_in, vectorize=True), dtype)


def mlp(x, w1, b1, w2, b2):
    F = lib_of(x).nn.functional
    return F.linear(F.linear(x, w1, b1).tanh(), w2, b2)


MLP_SHAPES = {"x": (2, 3), "w1": (5, 3), "b1": (5,), "w2": (4, 5), "b2": (4,)}


def mlp_params(dtype):
    rng = np.random.default_rng(3)
    arrays = {k: rng.normal(0.0, 0.7, s).astype(dtype) for k, s in MLP_SHAPES.items()}
    return ({k: gradlab.tensor(a.copy()) for k, a in arrays.items()},
            {k: torch.tensor(a.copy()) for k, a in arrays.items()})


@pytest.mark.parametrize("dtype", DTYPES)
def test_mlp_jacobian_wrt_input_matches_torch(dtype):
    g, t = mlp_params(dtype)
    ours = jacobian(lambda x: mlp(x, g["w1"], g["b1"], g["w2"], g["b2"]), g["x"])
    theirs = torch.autograd.functional.jacobian(
        lambda x: mlp(x, t["w1"], t["b1"], t["w2"], t["b2"]), t["x"])
    assert tuple(ours.shape) == (2, 4, 2, 3)
    assert_same(ours, theirs, dtype)
    # rows of different samples do not mix: d out[0] / d x[1] is zero
    assert np.all(ours.numpy()[0, :, 1] == 0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_mlp_jacobian_wrt_weights_matches_torch(dtype):
    g, t = mlp_params(dtype)
    names = ("w1", "b1", "w2", "b2")
    ours = jacobian(lambda *p: mlp(g["x"], *p), tuple(g[k] for k in names))
    theirs = torch.autograd.functional.jacobian(lambda *p: mlp(t["x"], *p),
                                                tuple(t[k] for k in names))
    assert [tuple(j.shape) for j in ours] == [(2, 4) + MLP_SHAPES[k] for k in names]
    assert_same(ours, theirs, dtype)


def test_mlp_jacobian_matches_finite_differences_float64():
    g, _ = mlp_params("float64")
    names = ("x", "w1", "b1", "w2", "b2")
    args = tuple(g[k] for k in names)
    jac = jacobian(mlp, args)
    eps = 1e-6
    with gradlab.no_grad():
        for j, arg in enumerate(args):
            flat = arg.array.reshape(-1)
            numerical = np.empty((8, flat.size))
            for k in range(flat.size):
                orig = flat[k]
                flat[k] = orig + eps
                plus = mlp(*args).numpy().reshape(-1)
                flat[k] = orig - eps
                minus = mlp(*args).numpy().reshape(-1)
                flat[k] = orig
                numerical[:, k] = (plus - minus) / (2 * eps)
            np.testing.assert_allclose(jac[j].numpy().reshape(8, -1), numerical,
                                       rtol=1e-6, atol=1e-8, err_msg=names[j])


def test_jacobian_leaves_inputs_and_captured_parameters_alone():
    x = gradlab.randn(3, dtype=gradlab.float64, requires_grad=True)
    w = gradlab.randn(3, dtype=gradlab.float64, requires_grad=True)
    before, wv = x.detach().numpy().copy(), w.detach().numpy()
    with gradlab.no_grad():  # jacobian enables grad itself, as torch's does
        jac = jacobian(lambda t: (t * w).exp(), x)
    np.testing.assert_allclose(jac.numpy(), np.diag(wv * np.exp(before * wv)))
    assert x.grad is None and w.grad is None
    np.testing.assert_array_equal(x.detach().numpy(), before)


def test_functional_is_reachable_from_plain_import():
    assert gradlab.autograd.functional.jacobian is jacobian
    assert not hasattr(gradlab.autograd.functional, "hessian")  # needs create_graph


# ---------------------------------------------------------------------------------- vjp

VJP_CASES = [
    ("tensor->tensor", lambda x: x.exp() * x, [(3,)], False, [(3,)]),
    ("tensor->scalar, v=None", lambda x: (x * x).sum(), [(2, 3)], False, None),
    ("tuple->tuple", lambda x, w: (x @ w, (x * x).sum()), [(2, 3), (3, 4)], True, [(2, 4), ()]),
    ("independent input", lambda x, y: x.sin(), [(3,), (4,)], True, [(3,)]),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,func,shapes,as_tuple,v_shapes", VJP_CASES,
                         ids=[c[0] for c in VJP_CASES])
def test_vjp_matches_torch(name, func, shapes, as_tuple, v_shapes, dtype):
    ours, theirs = zip(*(pair(s, dtype) for s in shapes))
    g_in, t_in = (ours, theirs) if as_tuple else (ours[0], theirs[0])
    g_v = t_v = None
    if v_shapes is not None:
        g_v, t_v = zip(*(pair(s, dtype) for s in v_shapes))
        if len(v_shapes) == 1:
            g_v, t_v = g_v[0], t_v[0]
    assert_same(vjp(func, g_in, g_v), torch.autograd.functional.vjp(func, t_in, t_v), dtype,
                "vjp")


# ---------------------------------------------------------------------------------- errors


def both_raise(call):
    """Run ``call(lib_fn, lib)`` with gradlab's and torch's functional; return both errors."""
    errs = []
    for fns, lib in ((gradlab.autograd.functional, gradlab), (torch.autograd.functional, torch)):
        with pytest.raises(Exception) as info:
            call(fns, lib)
        errs.append(info.value)
    assert type(errs[0]) is type(errs[1]), (errs[0], errs[1])
    return str(errs[0]), str(errs[1])


@pytest.mark.parametrize("case", [
    "strict independent input", "strict output without grad", "list input", "float input",
    "non-tensor output", "vjp wrong v length", "vjp wrong v shape", "vjp v None",
    "vjp strict independent",
])
def test_errors_match_torch(case):
    def call(fns, lib):
        x, y = lib.ones(3, dtype=lib.float64), lib.ones(2, dtype=lib.float64)
        if case == "strict independent input":
            fns.jacobian(lambda a, b: a * 2, (x, y), strict=True)
        elif case == "strict output without grad":
            fns.jacobian(lambda a: (a * 2, lib.zeros(2)), x, strict=True)
        elif case == "list input":
            fns.jacobian(lambda a: a, [x])
        elif case == "float input":
            fns.jacobian(lambda a: a, (x, 1.0))
        elif case == "non-tensor output":
            fns.jacobian(lambda a: [a], x)
        elif case == "vjp wrong v length":
            fns.vjp(lambda a: (a, a * 2), x, (x,))
        elif case == "vjp wrong v shape":
            fns.vjp(lambda a: (a, a * 2), x, (x, y))
        elif case == "vjp v None":
            fns.vjp(lambda a: a * 2, x)
        else:
            fns.vjp(lambda a, b: a * 2, (x, y), x, strict=True)

    ours, theirs = both_raise(call)
    assert ours == theirs.replace("torch", "gradlab")


@pytest.mark.parametrize("kwargs,error,words", [
    ({"create_graph": True}, NotImplementedError, "create_graph=True is not supported"),
    ({"strategy": "forward-mode"}, NotImplementedError, 'strategy="forward-mode" is not'),
    ({"strategy": "backward"}, ValueError, "strategy='backward'"),
    ({"strict": True, "vectorize": True}, RuntimeError, "strict=True and vectorize=True"),
])
def test_unsupported_arguments_name_function_argument_and_alternative(kwargs, error, words):
    x = gradlab.ones(3, dtype=gradlab.float64)
    with pytest.raises(error) as info:
        jacobian(lambda a: a * 2, x, **kwargs)
    msg = str(info.value)
    assert "gradlab.autograd.functional.jacobian" in msg and words in msg
    assert "reverse-mode" in msg or "create_graph=False" in msg or "strict=False" in msg


def test_vjp_create_graph_is_not_supported():
    x = gradlab.ones(3, dtype=gradlab.float64)
    with pytest.raises(NotImplementedError, match=r"functional\.vjp: create_graph=True"):
        vjp(lambda a: a.sum(), x, create_graph=True)
