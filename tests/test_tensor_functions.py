"""The tensor functions PyTorch programs use beyond the op families, against torch:
tril/triu (and tril_/triu_), roll, narrow, norm and linalg.vector_norm (forward, gradient with
torch's conventions at 0 and at ties, float64 finite differences), Tensor.new_* , ``format()``
of tensors, ``inference_mode``, NumPy's ``axis=``/``keepdims=`` names where torch takes them,
and ``out=`` (values, dtype rules, resizing, the autograd refusal) on functions and
factories."""

import math
import re
import warnings

import numpy as np
import pytest
import torch
from oracle import Const, Float, Row, assert_same, cases, check_row, fd_cases, gradcheck_row

import gradlab

X = Float((3, 4))
X3 = Float((2, 3, 4))
INF = math.inf
# a zero row (the 2-norm's subgradient 0 there) and ties of |x| (the inf-norm shares the
# gradient evenly among them)
ZERO_ROW = Float(values=[[0.0, 0.0, 0.0], [3.0, -4.0, 1.0]])
TIES = Float(values=[[2.0, -2.0, 1.0], [0.5, 0.0, -0.5]])
KINK = "at a zero entry, a zero norm or a tie the norm is not differentiable; torch's " \
       "convention is compared instead"

ROWS = [
    # ---- tril / triu
    Row("tril", lambda m, a: a.tril(), (X,)),
    Row("tril_diag_pos", lambda m, a: m.tril(a, 1), (X,)),
    Row("tril_diag_neg_batched", lambda m, a: m.tril(a, diagonal=-1), (X3,)),
    Row("tril_tall_far", lambda m, a: a.tril(-5), (Float((5, 2)),)),
    Row("triu", lambda m, a: a.triu(), (X,)),
    Row("triu_diag_neg", lambda m, a: m.triu(a, -2), (Float((4, 3)),)),
    Row("triu_batched", lambda m, a: m.triu(a, 2), (Float((2, 2, 3, 5)),)),
    Row("tril_inplace_nonleaf", lambda m, a: (a * 2).tril_(1) + a, (X,)),
    Row("triu_inplace_nonleaf", lambda m, a: (a * 2).triu_(-1).exp(), (X3,)),
    # ---- roll
    Row("roll_flat", lambda m, a: a.roll(1), (X,)),
    Row("roll_flat_neg", lambda m, a: m.roll(a, -5), (X3,)),
    Row("roll_dim", lambda m, a: m.roll(a, 2, 1), (X,)),
    Row("roll_dims", lambda m, a: a.roll((1, -3), (0, 2)), (X3,)),
    Row("roll_same_dim_twice", lambda m, a: m.roll(a, shifts=(1, 2), dims=(1, 1)), (X,)),
    Row("roll_big_shift_negdim", lambda m, a: a.roll(9, -1), (X,)),
    Row("roll_1d_list", lambda m, a: a.roll([2], [0]), (Float((5,)),)),
    Row("roll_0d", lambda m, a: m.roll(a, 3), (Float(()),)),
    # ---- narrow (a view)
    Row("narrow", lambda m, a: a.narrow(1, 1, 2), (X,)),
    Row("narrow_fn_negstart", lambda m, a: m.narrow(a, -1, -3, 2), (X3,)),
    Row("narrow_tensor_start", lambda m, a: a.narrow(0, m.tensor(1), 2) * 3, (X,)),
    Row("narrow_empty", lambda m, a: m.narrow(a, 0, 3, 0), (X,)),
    # ---- norm (torch.norm and Tensor.norm) and linalg.vector_norm
    Row("norm_default", lambda m, a: a.norm(), (X3,)),
    Row("norm_fn_fro_dim", lambda m, a: m.norm(a, "fro", dim=1), (X3,)),
    Row("norm_fro_two_dims_keepdim", lambda m, a: a.norm("fro", (0, 2), True), (X3,)),
    Row("norm_p2_dim", lambda m, a: a.norm(2, 1), (X,)),
    Row("norm_p1", lambda m, a: m.norm(a, 1, -1, keepdim=True), (X3,)),
    Row("norm_p3", lambda m, a: a.norm(3, dim=0), (X,)),
    Row("norm_p_half", lambda m, a: a.norm(0.5, 1), (Float((3, 4), lo=0.3, hi=2.0),)),
    Row("norm_p_neg1", lambda m, a: m.norm(a, -1.0, 1), (Float((3, 4), lo=0.3, hi=2.0),)),
    Row("norm_inf", lambda m, a: a.norm(INF, 1), (X,)),
    Row("norm_neg_inf", lambda m, a: m.norm(a, -INF), (X,)),
    Row("norm_none_p", lambda m, a: m.norm(a, None, 0), (X,)),
    Row("norm_dtype", lambda m, a: a.norm(dim=1, dtype=m.float64), (X,)),
    Row("norm_0d", lambda m, a: m.norm(a), (Float(()),)),
    Row("norm_0d_dim", lambda m, a: a.norm(2, 0), (Float(()),)),
    Row("norm_empty_dims_all", lambda m, a: a.norm(2, ()), (X,)),
    Row("norm_p0", lambda m, a: a.norm(0, 1), (TIES,), fd=False, why="the 0-norm counts "
        "non-zeros: no gradient (torch leaves .grad None)"),
    Row("norm_p2_zero_row", lambda m, a: a.norm(dim=1), (ZERO_ROW,), fd=False, why=KINK),
    Row("norm_p3_zero_row", lambda m, a: a.norm(3, 1), (ZERO_ROW,), fd=False, why=KINK),
    Row("norm_p1_zero_entry", lambda m, a: a.norm(1), (ZERO_ROW,), fd=False, why=KINK),
    Row("norm_p1_5_zero_row", lambda m, a: a.norm(1.5, 1), (ZERO_ROW,), fd=False, why=KINK),
    Row("norm_p_half_zero_row", lambda m, a: a.norm(0.5, 1), (ZERO_ROW,), fd=False, why=KINK),
    Row("norm_inf_ties", lambda m, a: a.norm(INF, 1), (TIES,), fd=False, why=KINK),
    Row("norm_neg_inf_ties", lambda m, a: a.norm(-INF), (TIES,), fd=False, why=KINK),
    Row("vector_norm", lambda m, a: m.linalg.vector_norm(a), (X3,)),
    Row("vector_norm_ord_dims", lambda m, a: m.linalg.vector_norm(a, 3, (0, 2), True), (X3,)),
    Row("vector_norm_axis_keepdims", lambda m, a: m.linalg.vector_norm(a, 1, axis=1,
                                                                        keepdims=True), (X,)),
    Row("vector_norm_dtype", lambda m, a: m.linalg.vector_norm(a, INF, dtype=m.float64), (X,)),
    # ---- NumPy's names where torch's native functions take them
    Row("sum_axis", lambda m, a: m.sum(a, axis=0), (X,)),
    Row("sum_method_axis_keepdims", lambda m, a: a.sum(axis=(0, 2), keepdims=True), (X3,)),
    Row("mean_axis", lambda m, a: m.mean(a, axis=-1, keepdims=True), (X,)),
    Row("var_axis", lambda m, a: a.var(axis=1, keepdims=True), (X,)),
    Row("std_axis_correction", lambda m, a: m.std(a, axis=1, correction=0), (X,)),
    Row("max_axis", lambda m, a: m.max(a, axis=1, keepdims=True), (X,)),
    Row("min_method_axis", lambda m, a: a.min(axis=0), (X,)),
    Row("amax_axis", lambda m, a: m.amax(a, axis=(0, 1)), (X3,)),
    Row("amin_axis", lambda m, a: a.amin(axis=-1, keepdims=True), (X3,)),
    Row("logsumexp_axis", lambda m, a: m.logsumexp(a, axis=1), (X,)),
    Row("prod_axis", lambda m, a: a.prod(axis=1, keepdims=True), (X,)),
    Row("cumsum_axis", lambda m, a: m.cumsum(a, axis=1), (X,)),
    Row("softmax_axis", lambda m, a: m.softmax(a, axis=1), (X,)),
    Row("log_softmax_method_axis", lambda m, a: a.log_softmax(axis=0), (X,)),
    Row("cat_axis", lambda m, a, b: m.cat([a, b], axis=1), (X, Float((3, 2)))),
    Row("concat_axis", lambda m, a, b: m.concat([a, b], axis=0), (X, Float((1, 4)))),
    Row("stack_axis", lambda m, a, b: m.stack([a, b], axis=-1), (X, X)),
    Row("squeeze_axis", lambda m, a: m.squeeze(a, axis=1), (Float((3, 1, 2)),)),
    Row("unsqueeze_axis", lambda m, a: a.unsqueeze(axis=2), (X,)),
    Row("unflatten_fn_axis", lambda m, a: m.unflatten(a, axis=1, sizes=(2, 2)), (X,)),
    Row("gather_axis", lambda m, a, i: m.gather(a, axis=1, index=i), (X, Const([[0], [3], [1]]))),
    Row("index_select_axis", lambda m, a, i: a.index_select(axis=1, index=i), (X, Const([2, 2]))),
    Row("scatter_add_axis", lambda m, a, i, s: a.scatter_add(axis=0, index=i, src=s),
        (X, Const([[2, 0, 1, 2]]), Float((1, 4)))),
    Row("chunk_axis", lambda m, a: a.chunk(2, axis=1), (X,)),
    Row("unbind_axis", lambda m, a: m.unbind(a, axis=1), (X,)),
    Row("narrow_axis", lambda m, a: m.narrow(a, axis=0, start=1, length=2), (X,)),
]

NOGRAD = [
    Row("argmax_axis", lambda m, a: m.argmax(a, axis=1, keepdims=True), (Float((3, 4),
                                                                              grad=False),)),
    Row("argmin_method_axis", lambda m, a: a.argmin(axis=0), (Float((3, 4), grad=False),)),
    Row("all_axis", lambda m, a: m.all(a > 0, axis=1, keepdims=True), (Float((3, 4),
                                                                             grad=False),)),
    Row("any_method_axis", lambda m, a: (a > 1).any(axis=0), (Float((3, 4), grad=False),)),
    Row("tril_int", lambda m, a: m.tril(a, -1), (Const([[1, 2, 3], [4, 5, 6], [7, 8, 9]]),),
        dtypes=("fixed",)),
    Row("triu_bool", lambda m, a: a.triu(1), (Const([[True] * 3] * 2, "bool"),),
        dtypes=("fixed",)),
    Row("roll_int", lambda m, a: a.roll(1, 0), (Const([[1, 2], [3, 4], [5, 6]]),),
        dtypes=("fixed",)),
]


@pytest.mark.parametrize("row,dtype", cases(ROWS))
def test_vs_torch(row, dtype):
    check_row(row, dtype)


@pytest.mark.parametrize("row", fd_cases(ROWS))
def test_gradcheck(row):
    gradcheck_row(row)


@pytest.mark.parametrize("row,dtype", cases(NOGRAD))
def test_nograd_vs_torch(row, dtype):
    check_row(row, dtype)


def _both(fn):
    """``fn(lib)`` for gradlab and torch: (result, None) or (None, (exception type, message))."""
    out = []
    for lib in (gradlab, torch):
        try:
            out.append((fn(lib), None))
        except Exception as exc:  # noqa: BLE001  (the test compares what each raises)
            out.append((None, (type(exc), str(exc))))
    return out


# --------------------------------------------------------------------------- in place, views


def test_tril_inplace_writes_through_a_view_and_refuses_a_leaf():
    base = gradlab.ones(2, 3, 3)
    base[1].tril_(-1)
    assert np.array_equal(base.array[1], np.tril(np.ones((3, 3)), -1))
    assert np.array_equal(base.array[0], np.ones((3, 3)))
    w = gradlab.ones(3, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in "
                                           "an in-place operation"):
        w.triu_()
    with gradlab.no_grad():
        assert w.triu_() is w
    assert w.array[1, 0] == 0 and w.requires_grad


def test_narrow_is_a_view():
    x = gradlab.zeros(3, 4)
    x.narrow(1, 1, 2).fill_(7.0)
    t = torch.zeros(3, 4)
    t.narrow(1, 1, 2).fill_(7.0)
    assert_same(x, t, "narrow().fill_() seen by the base")


# --------------------------------------------------------------------------- errors

ERRORS = [
    ("tril_1d", lambda m: m.tril(m.ones(3)), RuntimeError,
     "tril: input tensor must have at least 2 dimensions"),
    ("triu_0d", lambda m: m.ones(()).triu(), RuntimeError,
     "triu: input tensor must have at least 2 dimensions"),
    ("roll_misaligned", lambda m: m.roll(m.ones(2, 3), (1, 2), 0), RuntimeError,
     "shifts and dimensions must align. shifts: 2, dims:1"),
    ("roll_two_shifts_no_dims", lambda m: m.ones(2, 3).roll([1, 1]), RuntimeError,
     "shifts and dimensions must align. shifts: 2, dims:0"),
    ("roll_no_shifts", lambda m: m.roll(m.ones(2, 3), (), ()), RuntimeError,
     "`shifts` required"),
    ("roll_dim_range", lambda m: m.ones(2, 3).roll(1, 2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    ("narrow_past_end", lambda m: m.ones(2, 3).narrow(1, 2, 2), RuntimeError,
     "start (2) + length (2) exceeds dimension size (3)."),
    ("narrow_start_range", lambda m: m.narrow(m.ones(2, 3), 1, -4, 1), IndexError,
     "start out of range (expected to be in range of [-3, 3], but got -4)"),
    ("narrow_negative_length", lambda m: m.ones(2, 3).narrow(1, 1, -1), RuntimeError,
     "length must be non-negative"),
    ("narrow_0d", lambda m: m.narrow(m.ones(()), 0, 0, 1), RuntimeError,
     "narrow() cannot be applied to a 0-dim tensor."),
    ("norm_int", lambda m: m.norm(m.arange(3)), RuntimeError,
     "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long"),
    ("vector_norm_int_dtype", lambda m: m.linalg.vector_norm(m.ones(3), dtype=m.long),
     RuntimeError, "linalg.vector_norm: dtype should be floating point or complex, but got "),
    ("vector_norm_str_ord", lambda m: m.linalg.vector_norm(m.ones(3), "fro"), TypeError,
     "argument 'ord' (position 2) must be Number, not str"),
    ("norm_fro_three_dims", lambda m: m.norm(m.ones(2, 2, 2), "fro", (0, 1, 2)), RuntimeError,
     "linalg.matrix_norm: dim must be a 2-tuple. Got 0 1 2"),
    ("norm_unknown_order", lambda m: m.ones(2, 2).norm("abc"), RuntimeError,
     "linalg.matrix_norm: Order abc not supported."),
    ("norm_inf_empty", lambda m: m.norm(m.ones(0, 3), INF), RuntimeError,
     "linalg.vector_norm cannot compute the inf norm on an empty tensor because the operation "
     "does not have an identity"),
    ("norm_dim_range", lambda m: m.ones(2, 3).norm(2, 5), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 5)"),
    ("new_full_int_size", lambda m: m.ones(2).new_full(3, 1.0), TypeError,
     "new_full(): argument 'size' (position 1) must be tuple of ints, not int"),
    ("new_zeros_int_requires_grad", lambda m: m.ones(2, dtype=m.long).new_zeros(
        2, requires_grad=True), RuntimeError, "of floating point"),
]


@pytest.mark.parametrize("name,fn,exc,msg", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_as_torch(name, fn, exc, msg):
    (_, g_err), (_, t_err) = _both(fn)
    assert t_err is not None and t_err[0] is exc and msg in t_err[1], t_err  # torch's own
    assert g_err is not None and g_err[0] is exc, g_err
    assert msg.lower() in g_err[1].lower(), g_err


def test_nuclear_norm_is_refused_by_name():
    with pytest.raises(RuntimeError, match=r"p='nuc' \(the nuclear norm, a sum of singular "
                                           r"values\) is not supported by gradlab"):
        gradlab.ones(2, 2).norm("nuc")


# --------------------------------------------------------------------------- new_*

NEW = [
    ("new_zeros", lambda t: t.new_zeros(2, 3)),
    ("new_zeros_tuple", lambda t: t.new_zeros((2, 3))),
    ("new_ones_list", lambda t: t.new_ones([2])),
    ("new_ones_long", lambda t: t.new_ones(3, dtype=_lib(t).long)),
    ("new_full", lambda t: t.new_full((2,), 3)),
    ("new_full_tensor_value", lambda t: t.new_full([3], _lib(t).tensor(2.5))),
    ("new_full_grad", lambda t: t.new_full((2,), 3.0, requires_grad=True)),
    ("new_empty_shape", lambda t: t.new_empty(0, 2).shape),
    ("new_tensor_ints", lambda t: t.new_tensor([1, 2])),
    ("new_tensor_bool", lambda t: t.new_tensor(True)),
    ("new_tensor_dtype", lambda t: t.new_tensor([1.5], dtype=_lib(t).float32)),
    ("new_tensor_grad", lambda t: t.new_tensor([[1.0]], requires_grad=True)),
]


def _lib(t):
    return gradlab if isinstance(t, gradlab.Tensor) else torch


@pytest.mark.parametrize("name,fn", NEW, ids=[n[0] for n in NEW])
def test_new_factories_as_torch(name, fn):
    g = fn(gradlab.ones(2, dtype=gradlab.float64))
    t = fn(torch.ones(2, dtype=torch.float64))
    if isinstance(t, torch.Size):
        assert tuple(g) == tuple(t)
        return
    assert_same(g, t, name)
    assert g.requires_grad == t.requires_grad and g.is_leaf


def test_new_tensor_from_a_tensor_copies_and_warns_as_torch():
    src = gradlab.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match=re.escape("To copy construct from a tensor, it is "
                                                   "recommended to use sourceTensor.detach()")):
        y = gradlab.ones(1, dtype=gradlab.float64).new_tensor(src)
    assert y.dtype == gradlab.float64 and not y.requires_grad
    y.array[0] = 5
    assert src.array[0] == 1.0


# --------------------------------------------------------------------------- format

FORMATS = [
    ("{:.2f}", lambda m: m.tensor(1.2345)),
    ("{:.3e}", lambda m: m.tensor(-2.5, dtype=m.float64)),
    ("{:5d}", lambda m: m.tensor(3)),
    ("{}", lambda m: m.tensor(1.2345)),
    ("{}", lambda m: m.tensor(True)),
    ("{:>6}", lambda m: m.tensor(False)),
    ("{:.2f}", lambda m: m.tensor(1.5, requires_grad=True)),
    ("{:.1f}", lambda m: (m.tensor([1.25, 2.0], requires_grad=True) * 2).sum()),
    ("{!r:>5}", lambda m: m.tensor(2.5)),
    ("{:.2f}", lambda m: m.tensor([1.2345])),
    ("{:.2f}", lambda m: m.ones(2, 2)),
    ("{:.2f}", lambda m: m.nn.Parameter(m.tensor(1.5))),
]


@pytest.mark.parametrize("spec,make", FORMATS, ids=[f"{i}-{f[0]}" for i, f in
                                                     enumerate(FORMATS)])
def test_format_as_torch(spec, make):
    (g, g_err), (t, t_err) = _both(lambda m: spec.format(make(m)))
    if t_err is not None:  # one element but not 0-d, several, a Parameter: object.__format__
        assert g_err is not None and g_err[0] is t_err[0] is TypeError, (g_err, t_err)
        assert g_err[1] == t_err[1].replace("torch", "gradlab"), (g_err, t_err)
        return
    assert g_err is None, g_err
    if spec.startswith("{!r"):  # repr: gradlab's own, formatted the same way
        assert g == spec.replace("!r", "").format(repr(make(gradlab)))
    else:
        assert g == t


def test_format_of_a_tensor_with_an_empty_spec_is_str():
    x = gradlab.ones(2)
    assert f"{x}" == format(x, "") == str(x)


# --------------------------------------------------------------------------- inference_mode


def _flags(lib):
    return lib.is_grad_enabled(), lib.is_inference_mode_enabled()


@pytest.mark.parametrize("lib", [gradlab, torch], ids=["gradlab", "torch"])
def test_inference_mode_flags(lib):
    seen = []
    a = lib.ones(2, requires_grad=True)
    with lib.inference_mode():
        seen.append(_flags(lib))
        y = a * 2
        seen.append(y.requires_grad)
        with lib.inference_mode(False):
            seen.append(_flags(lib))
        with lib.enable_grad():
            seen.append(_flags(lib))
        seen.append(_flags(lib))
    seen.append(_flags(lib))
    with lib.no_grad(), lib.inference_mode(mode=False):
        seen.append(_flags(lib))

    @lib.inference_mode
    def bare():
        return _flags(lib)

    @lib.inference_mode()
    def called():
        return _flags(lib)

    @lib.inference_mode(False)
    def off():
        return _flags(lib)

    seen += [bare(), called(), off(), _flags(lib)]
    assert seen == [(False, True), False, (True, False), (True, True), (False, True),
                    (True, False), (True, False), (False, True), (False, True), (True, False),
                    (True, False)]


def test_inference_mode_restores_after_an_exception_and_makes_ordinary_tensors():
    w = gradlab.ones(3, requires_grad=True)
    with pytest.raises(ValueError), gradlab.inference_mode():
        raise ValueError
    assert _flags(gradlab) == (True, False)
    with gradlab.inference_mode():
        y = w * 2
    assert not y.requires_grad and y.grad_fn is None
    # the departure from torch: y is no inference tensor, so autograd may save it later
    (w * y).sum().backward()
    assert np.array_equal(w.grad.array, [2.0, 2.0, 2.0])
    with pytest.raises(TypeError, match="inference_mode\\(\\): argument 'mode' must be a bool "
                                        "or a function, got int"):
        gradlab.inference_mode(1)


# --------------------------------------------------------------------------- axis= where not


@pytest.mark.parametrize("fn", [
    lambda m, x: m.sum(x, dim=0, axis=0),
    lambda m, x: x.sum(keepdim=True, keepdims=True, dim=0),
    lambda m, x: x.norm(axis=1),
    lambda m, x: m.norm(x, axis=1),
    lambda m, x: x.split(1, axis=0),
    lambda m, x: m.softmax(x, 1, axis=1),
    lambda m, x: m.roll(x, 1, axis=0),
    lambda m, x: m.tril(x, axis=0),
], ids=["sum_both", "keepdims_both", "norm_method", "norm_fn", "split", "softmax_both", "roll",
        "tril"])
def test_axis_is_refused_where_torch_refuses_it(fn):
    (_, g_err), (_, t_err) = _both(lambda m: fn(m, m.ones(2, 3)))
    assert t_err is not None and t_err[0] is TypeError
    assert g_err is not None and g_err[0] is TypeError, g_err


def test_size_and_stride_take_axis():
    for lib in (gradlab, torch):
        x = lib.ones(2, 3)
        assert (x.size(axis=1), x.stride(axis=0)) == (3, 3)


# --------------------------------------------------------------------------- out=


def _x(m, dtype="float32"):
    return m.tensor(np.arange(6, dtype=dtype).reshape(2, 3) - 2.0)


def _e(m, *shape, dtype=None):
    return m.zeros(shape, dtype=getattr(m, dtype) if dtype else None)


#: (name, fn(lib, out) -> result, out's shape, out's dtype or None)
OUTS = [
    ("add", lambda m, o: m.add(_x(m), 1, alpha=2, out=o), (2, 3), None),
    ("sub_int_into_double", lambda m, o: m.sub(_x(m).long(), 1, out=o), (2, 3), "float64"),
    ("mul", lambda m, o: m.mul(_x(m), _x(m), out=o), (2, 3), None),
    ("div_into_double", lambda m, o: m.div(_x(m), 3, out=o), (2, 3), "float64"),
    ("pow", lambda m, o: m.pow(_x(m), 2, out=o), (2, 3), None),
    ("pow_scalar_base", lambda m, o: m.pow(2, _x(m), out=o), (2, 3), None),
    ("exp", lambda m, o: m.exp(_x(m), out=o), (2, 3), None),
    ("neg_abs_sqrt", lambda m, o: m.sqrt(m.abs(m.neg(_x(m))), out=o), (2, 3), None),
    ("tanh_sigmoid_sign", lambda m, o: m.sign(m.tanh(m.sigmoid(_x(m))), out=o), (2, 3), None),
    ("clamp", lambda m, o: m.clamp(_x(m), -1, 1, out=o), (2, 3), None),
    ("maximum", lambda m, o: m.maximum(_x(m), _x(m) * 0.5, out=o), (2, 3), None),
    ("where", lambda m, o: m.where(_x(m) > 0, _x(m), _x(m) * 2, out=o), (2, 3), None),
    ("matmul", lambda m, o: m.matmul(_x(m), _x(m).t(), out=o), (2, 2), None),
    ("mm", lambda m, o: m.mm(_x(m), _x(m).t(), out=o), (2, 2), None),
    ("bmm", lambda m, o: m.bmm(_x(m)[None], _x(m).t()[None], out=o), (1, 2, 2), None),
    ("dot", lambda m, o: m.dot(_x(m)[0], _x(m)[1], out=o), (), None),
    ("sum_dim_int_into_float", lambda m, o: m.sum(_x(m).long(), 0, out=o), (3,), None),
    ("mean_all_into_double", lambda m, o: m.mean(_x(m), out=o), (), "float64"),
    ("var", lambda m, o: m.var(_x(m), 1, out=o), (2,), None),
    ("std_all", lambda m, o: m.std(_x(m), out=o), (), None),
    ("max_all", lambda m, o: m.max(_x(m), out=o), (), None),
    ("amax", lambda m, o: m.amax(_x(m), 1, out=o), (2,), None),
    ("argmax", lambda m, o: m.argmax(_x(m), 1, out=o), (2,), "int64"),
    ("logsumexp", lambda m, o: m.logsumexp(_x(m), 1, out=o), (2,), None),
    ("prod_dim", lambda m, o: m.prod(_x(m), 1, out=o), (2,), None),
    ("cumsum", lambda m, o: m.cumsum(_x(m), 1, out=o), (2, 3), None),
    ("softmax", lambda m, o: m.softmax(_x(m), 1, out=o), (2, 3), None),
    ("log_softmax", lambda m, o: m.log_softmax(_x(m), 0, out=o), (2, 3), None),
    ("gather", lambda m, o: m.gather(_x(m), 1, m.tensor([[2], [0]]), out=o), (2, 1), None),
    ("index_select", lambda m, o: m.index_select(_x(m), 1, m.tensor([2, 2]), out=o), (2, 2),
     None),
    ("cat", lambda m, o: m.cat([_x(m), _x(m)], 1, out=o), (2, 6), None),
    ("cat_into_double", lambda m, o: m.cat([_x(m), _x(m)], out=o), (4, 3), "float64"),
    ("stack", lambda m, o: m.stack([_x(m), _x(m)], out=o), (2, 2, 3), None),
    ("eq_into_float", lambda m, o: m.eq(_x(m), 1, out=o), (2, 3), None),
    ("ge", lambda m, o: m.ge(_x(m), 0, out=o), (2, 3), "bool"),
    ("logical_not_into_long", lambda m, o: m.logical_not(_x(m), out=o), (2, 3), "int64"),
    ("all", lambda m, o: m.all(_x(m) > -3, out=o), (), "bool"),
    ("tril", lambda m, o: m.tril(_x(m), out=o), (2, 3), None),
    ("triu", lambda m, o: m.triu(_x(m), 1, out=o), (2, 3), None),
    ("norm", lambda m, o: m.norm(_x(m), out=o), (), None),
    ("vector_norm", lambda m, o: m.linalg.vector_norm(_x(m), 1, 1, out=o), (2,), None),
    ("zeros_long", lambda m, o: m.zeros(2, 3, out=o), (2, 3), "int64"),
    ("ones_resized_silently", lambda m, o: m.ones(2, 3, out=o), (1,), None),
    ("full", lambda m, o: m.full((2,), 3, out=o), (2,), None),
    ("arange", lambda m, o: m.arange(3, out=o), (3,), None),
    ("linspace", lambda m, o: m.linspace(0, 1, 5, out=o), (5,), "float64"),
    ("eye_long", lambda m, o: m.eye(2, 3, out=o), (2, 3), "int64"),
    ("resize_with_warning", lambda m, o: m.add(_x(m), _x(m), out=o), (5,), None),
    ("resize_empty_quietly", lambda m, o: m.matmul(_x(m), _x(m).t(), out=o), (0,), None),
]


@pytest.mark.parametrize("name,fn,shape,dtype", OUTS, ids=[o[0] for o in OUTS])
def test_out_as_torch(name, fn, shape, dtype):
    got = []
    for lib in (gradlab, torch):
        out = _e(lib, *shape, dtype=dtype)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = fn(lib, out)
        assert res is out, f"{name}: {lib.__name__} did not return out"
        got.append((out, [str(w.message).split(" (Triggered")[0] for w in caught]))
    (g, g_warn), (t, t_warn) = got
    assert_same(g, t, name)
    assert g_warn == t_warn
    assert not g.requires_grad


def test_max_min_with_dim_write_values_and_indices():
    for op in ("max", "min"):
        res = {}
        for lib in (gradlab, torch):
            v, i = lib.zeros(2), lib.zeros(2, dtype=lib.int64)
            r = getattr(lib, op)(_x(lib), 1, out=(v, i))
            assert r.values is v and r.indices is i
            res[lib.__name__] = r
        assert_same(res["gradlab"].values, res["torch"].values, op)
        assert_same(res["gradlab"].indices, res["torch"].indices, op)


OUT_ERRORS = [
    ("input_requires_grad", lambda m: m.add(_x(m).requires_grad_(), 1, out=_e(m, 2, 3)),
     "add(): functions with out=... arguments don't support automatic differentiation, but one "
     "of the arguments requires grad."),
    ("out_requires_grad", lambda m: m.exp(_x(m), out=m.zeros(2, 3, requires_grad=True)),
     "exp(): functions with out=... arguments don't support automatic differentiation"),
    ("cat_requires_grad", lambda m: m.cat([_x(m).requires_grad_()], out=_e(m, 2, 3)),
     "cat(): functions with out=... arguments don't support automatic differentiation"),
    ("factory_out_requires_grad", lambda m: m.zeros(2, out=m.zeros(2, requires_grad=True)),
     "aten::zeros(): functions with out=... arguments don't support automatic differentiation"),
    ("float_into_long", lambda m: m.add(_x(m), 1, out=_e(m, 2, 3, dtype="int64")),
     "result type Float can't be cast to the desired output type Long"),
    ("softmax_exact_dtype", lambda m: m.softmax(_x(m).double(), 1, out=_e(m, 2, 3)),
     "to have dtype"),
    ("argmax_into_float", lambda m: m.argmax(_x(m), 1, out=_e(m, 2)), "to have dtype"),
    ("mean_dtype_mismatch", lambda m: m.mean(_x(m), 0, dtype=m.float64, out=_e(m, 3)),
     "to have dtype"),
    ("factory_dtype_mismatch", lambda m: m.zeros(2, dtype=m.float64, out=_e(m, 2)),
     "does not match dtype of out parameter"),
]


@pytest.mark.parametrize("name,fn,msg", OUT_ERRORS, ids=[e[0] for e in OUT_ERRORS])
def test_out_errors_as_torch(name, fn, msg):
    (_, g_err), (_, t_err) = _both(fn)
    assert t_err is not None and t_err[0] is RuntimeError and msg.lower() in t_err[1].lower()
    assert g_err is not None and g_err[0] is RuntimeError, g_err
    assert msg.lower() in g_err[1].lower(), g_err


def test_out_under_no_grad_and_in_place_aliasing():
    w = gradlab.ones(2, 3, requires_grad=True)
    with gradlab.no_grad():
        assert gradlab.add(_x(gradlab), w, out=w) is w  # as torch: allowed without grad mode
    assert w.requires_grad and np.array_equal(w.array, _x(gradlab).array + 1)
    x = _x(gradlab)
    version = x._version.v
    gradlab.mul(x, 2, out=x)
    assert np.array_equal(x.array, _x(gradlab).array * 2) and x._version.v > version


def test_out_refusals_of_gradlab():
    with pytest.raises(TypeError, match=r"sum\(\): out= needs dim"):
        gradlab.sum(_x(gradlab), out=gradlab.zeros(()))  # torch: no overload matches either
    base = gradlab.zeros(6)
    with pytest.raises(RuntimeError, match=r"add\(\): out= of shape \[2\] is a view and the "
                                           r"result has shape \[3\]: gradlab cannot resize"):
        gradlab.add(gradlab.ones(3), 1, out=base[:2])
    with pytest.raises(TypeError, match="add\\(\\): argument 'out' must be Tensor, not ndarray"):
        gradlab.add(gradlab.ones(3), 1, out=np.zeros(3))
    with pytest.raises(TypeError, match=r"max\(\): argument 'out' must be a tuple of 2 Tensors"):
        gradlab.max(_x(gradlab), 1, out=gradlab.zeros(2))
