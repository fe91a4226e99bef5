"""The Tensor surface: creation, dtypes, attributes, conversion, repr and randomness, checked
against torch where torch defines the answer."""

import numpy as np
import pytest
import torch

import gradlab


def same_dtype(g, t) -> bool:
    return g.dtype.name == str(t.dtype).replace("torch.", "")


@pytest.mark.parametrize("data", [
    [1.0, 2.0], [1, 2], [True, False], 3.5, 7, [[1, 2], [3, 4]], [[1.5], [2.0]],
    np.array([1.0, 2.0]), np.array([1, 2], dtype=np.int32), np.float64(2.0),
])
def test_tensor_dtype_inference_matches_torch(data):
    g, t = gradlab.tensor(data), torch.tensor(data)
    assert same_dtype(g, t), (g.dtype, t.dtype)
    assert tuple(g.shape) == tuple(t.shape)
    np.testing.assert_array_equal(g.numpy(), t.numpy())


@pytest.mark.parametrize("name,args,kwargs", [
    ("zeros", (2, 3), {}), ("ones", ((2, 3),), {}), ("empty", (4,), {}),
    ("full", ((2, 2), 1.5), {}), ("full", ((2,), 3), {}), ("full", ((2,), True), {}),
    ("arange", (5,), {}), ("arange", (1, 4, 0.5), {}), ("arange", (0.0, 1.0), {}),
    ("arange", (10, 0, -3), {}),
    ("linspace", (0, 1, 5), {}), ("eye", (3,), {}), ("eye", (2, 3), {}),
    ("zeros", (2,), {"dtype": "float64"}), ("ones", (3,), {"dtype": "int64"}),
])
def test_creation_matches_torch(name, args, kwargs):
    gk = {k: getattr(gradlab, v) for k, v in kwargs.items()}
    tk = {k: getattr(torch, v) for k, v in kwargs.items()}
    g, t = getattr(gradlab, name)(*args, **gk), getattr(torch, name)(*args, **tk)
    assert same_dtype(g, t), (g.dtype, t.dtype)
    assert tuple(g.shape) == tuple(t.shape)
    if name != "empty":
        np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-6)


def test_like_functions_and_from_numpy():
    x = gradlab.tensor([[1.0, 2.0]], dtype=gradlab.float64)
    for f in (gradlab.zeros_like, gradlab.ones_like, gradlab.empty_like, gradlab.rand_like,
              gradlab.randn_like):
        y = f(x)
        assert y.shape == x.shape and y.dtype == gradlab.float64
    assert gradlab.full_like(x, 7).tolist() == [[7.0, 7.0]]
    a = np.zeros(3)
    t = gradlab.from_numpy(a)
    a[0] = 5
    assert t[0].item() == 5.0 and t.dtype == gradlab.float64
    assert gradlab.as_tensor(t) is t
    with pytest.raises(TypeError, match="from_numpy: expected np.ndarray"):
        gradlab.from_numpy([1, 2])


def test_attributes_and_conversion():
    x = gradlab.arange(6.0).reshape(2, 3)
    assert x.shape == (2, 3) and repr(x.shape) == "gradlab.Size([2, 3])"
    assert x.size() == (2, 3) and x.size(-1) == 3 and x.ndim == 2 and x.dim() == 2
    assert x.numel() == 6 and x.shape.numel() == 6
    assert x.T.shape == (3, 2) and x.mT.shape == (3, 2)
    assert x.dtype == gradlab.float32 and x.is_floating_point()
    assert x.is_leaf and x.grad_fn is None and x.grad is None and not x.requires_grad
    assert x.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert x[1, 2].item() == 5.0 and isinstance(x[1, 2].item(), float)
    assert x.long().dtype == gradlab.int64 and x.double().dtype == gradlab.float64
    assert x.to(gradlab.float64).dtype == gradlab.float64 and x.to("cpu") is x
    assert x.int().dtype == gradlab.int32 and x.bool().dtype == gradlab.bool
    assert np.asarray(x).shape == (2, 3)
    assert len(x) == 2 and [r.shape for r in x] == [(3,), (3,)]
    assert float(gradlab.tensor(2.5)) == 2.5 and int(gradlab.tensor(3)) == 3
    assert bool(gradlab.tensor([1.0])) is True
    assert [0, 1, 2][gradlab.tensor(1)] == 1
    with pytest.raises(RuntimeError, match="a Tensor with 6 elements cannot be converted"):
        x.item()
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with 6 values is "
                                           "ambiguous"):
        bool(x)
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(gradlab.tensor(1.0))
    with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires "
                                           "grad"):
        gradlab.ones(2, requires_grad=True).numpy()
    with pytest.raises(RuntimeError, match="device 'cuda' is not available"):
        x.to("cuda")


def test_to_dtype_is_differentiable():
    x = gradlab.tensor([1.0, 2.0], requires_grad=True)
    y = x.double() * 3
    y.sum().backward()
    assert x.grad.dtype == gradlab.float32 and x.grad.tolist() == [3.0, 3.0]


@pytest.mark.parametrize("data,kw", [
    ([1.0, 2.0, 3.0], {}), ([0.1, -0.25], {}), ([1, 2, 3], {}), ([True, False], {}),
    (2.0, {}), ([[1.5, -2.0], [3.0, 4.0]], {}), ([1e-6, 1.0], {}), ([1.0, 2.0], "f64"),
    ([1.0, 2.0], "grad"),
])
def test_repr_like_torch(data, kw):
    if kw == "f64":
        g = gradlab.tensor(data, dtype=gradlab.float64)
        t = torch.tensor(data, dtype=torch.float64)
    elif kw == "grad":
        g = gradlab.tensor(data, requires_grad=True)
        t = torch.tensor(data, requires_grad=True)
    else:
        g, t = gradlab.tensor(data), torch.tensor(data)
    assert repr(g) == repr(t).replace("torch.", "gradlab.")


def test_repr_shows_grad_fn():
    y = gradlab.tensor([1.0], requires_grad=True) * 2
    assert repr(y) == "tensor([2.], grad_fn=<MulBackward0>)"


def test_manual_seed_makes_random_calls_repeat():
    def draw():
        return (gradlab.rand(3).tolist(), gradlab.randn(2, 2).tolist(),
                gradlab.randint(0, 10, (5,)).tolist(), gradlab.randperm(6).tolist(),
                gradlab.empty(3).normal_().tolist())

    gradlab.manual_seed(123)
    a = draw()
    gradlab.manual_seed(123)
    assert draw() == a
    gradlab.manual_seed(124)
    assert draw() != a


def test_generator_streams_are_independent_of_the_global_one():
    g1 = gradlab.Generator().manual_seed(7)
    a = gradlab.randn(4, generator=g1)
    gradlab.manual_seed(0)
    gradlab.randn(100)  # consuming the global stream must not change g1's stream
    g2 = gradlab.Generator().manual_seed(7)
    assert a.equal(gradlab.randn(4, generator=g2))
    state = g2.get_state()
    b = gradlab.rand(3, generator=g2)
    g2.set_state(state)
    assert b.equal(gradlab.rand(3, generator=g2))
    assert g2.initial_seed() == 7


def test_random_distributions():
    gradlab.manual_seed(0)
    u = gradlab.rand(20000)
    assert 0 <= u.min().item() and u.max().item() < 1 and abs(u.mean().item() - 0.5) < 0.01
    n = gradlab.randn(20000)
    assert abs(n.mean().item()) < 0.03 and abs(n.std().item() - 1) < 0.03
    r = gradlab.randint(3, 7, (1000,))
    assert r.dtype == gradlab.int64 and set(r.tolist()) == {3, 4, 5, 6}
    assert sorted(gradlab.randperm(10).tolist()) == list(range(10))
    assert gradlab.rand(2, dtype=gradlab.float64).dtype == gradlab.float64


@pytest.mark.parametrize("a,b", [
    ("int64", 2.5), ("int64", 3), ("bool", 1), ("float32", 2),
    ("int64", "float32"), ("float32", "float64"), ("int32", "int64"),
    ("float32", ("float64", 0)), ("int64", ("float64", 0)), ("int64", ("int32", 0)),
    (("float64", 0), "float32"),
])
def test_binary_type_promotion_matches_torch(a, b):
    def make(lib, spec):
        if isinstance(spec, tuple):
            return lib.tensor(1, dtype=getattr(lib, spec[0]))  # a 0-d tensor
        return lib.ones(3, dtype=getattr(lib, spec)) if isinstance(spec, str) else spec

    for op in ("__add__", "__mul__", "__sub__", "__truediv__"):
        if a == "bool" and op == "__sub__":
            continue
        g = getattr(make(gradlab, a), op)(make(gradlab, b))
        t = getattr(make(torch, a), op)(make(torch, b))
        assert same_dtype(g, t), (op, a, b, g.dtype, t.dtype)


def test_numpy_array_operands():
    x = gradlab.ones(2)
    assert (np.array([1.0, 2.0]) + x).tolist() == [2.0, 3.0]
    assert (x * np.array([2.0, 3.0])).tolist() == [2.0, 3.0]
    assert isinstance(np.array([1.0, 2.0]) @ gradlab.ones(2, 2), gradlab.Tensor)


def test_comparisons_and_logical_ops_return_bool_without_grad():
    x = gradlab.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for r in (x > 1.5, x >= 2, x < 2, x <= 2, x == 2, x != 2, (x > 1) & (x < 3),
              (x > 2) | (x < 2), ~(x > 2), (x > 1) ^ (x > 2), x.isnan(), x.isfinite()):
        assert r.dtype == gradlab.bool and not r.requires_grad
    assert (x > 1.5).tolist() == [False, True, True]
    assert gradlab.logical_not(x > 1.5).tolist() == [True, False, False]
    assert (x > 0).all().item() and not (x > 2).all().item() and (x > 2).any().item()


def test_num_threads_round_trip_and_errors():
    n = gradlab.get_num_threads()
    assert n >= 1
    try:
        gradlab.set_num_threads(1)
        assert gradlab.get_num_threads() == 1
        assert gradlab.backend.blas_info()["threads"] == 1
    finally:
        gradlab.set_num_threads(n)
    assert gradlab.get_num_threads() == n
    for bad in (0, -2, 1.5, True):
        with pytest.raises(ValueError, match="set_num_threads: expected a positive integer"):
            gradlab.set_num_threads(bad)


def test_num_threads_context_restores_the_count():
    n = gradlab.get_num_threads()
    with pytest.raises(RuntimeError, match="inside"):
        with gradlab.backend.num_threads(1):
            assert gradlab.get_num_threads() == 1
            raise RuntimeError("inside")
    assert gradlab.get_num_threads() == n
