"""Elementwise ops against torch: arithmetic with broadcasting and scalars on both sides,
maximum/minimum (ties), where, the unary math functions, clamp (on the bounds), comparisons and
logical ops, and type promotion of mixed dtypes."""

import pytest
from oracle import Const, Float, Row, cases, check_row, fd_cases, gradcheck_row

P = dict(lo=0.5, hi=2.0)  # a positive domain (log, sqrt, division, powers)
TIES = "a tie or a value exactly on a kink: finite differences see a one-sided slope"
# values on a grid of quarters, so ties are exact in float32 and float64
A_TIE = [[0.5, -1.0, 2.0], [1.25, 0.0, -0.75]]
B_TIE = [[0.5, 1.0, 2.0], [-1.25, 0.0, 0.25]]
NAN = float("nan")
MASK = [[True, False, True], [False, False, True]]

def inplace(a, op):
    """Apply an in-place op to a non-leaf copy of ``a`` and return it."""
    y = a * 1.0
    op(y)
    return y


ROWS = [
    # ---- binary, tensor-tensor with broadcasting
    Row("add", lambda m, a, b: a + b, (Float((2, 3)), Float((2, 3)))),
    Row("add_bcast", lambda m, a, b: a + b, (Float((2, 1, 3)), Float((4, 1)))),
    Row("add_0d", lambda m, a, b: a + b, (Float(()), Float((2, 3)))),
    Row("add_0d_0d", lambda m, a, b: a + b, (Float(()), Float(()))),
    Row("add_empty", lambda m, a, b: a + b, (Float((0, 3)), Float((1, 3)))),
    Row("add_alpha", lambda m, a, b: m.add(a, b, alpha=2.5), (Float((2, 3)), Float((3,)))),
    Row("sub", lambda m, a, b: a - b, (Float((2, 3)), Float((2, 3)))),
    Row("sub_bcast", lambda m, a, b: a - b, (Float((3, 1)), Float((1, 4)))),
    Row("sub_alpha", lambda m, a, b: m.sub(a, b, alpha=-2), (Float((3,)), Float((2, 3)))),
    Row("mul", lambda m, a, b: a * b, (Float((2, 3)), Float((2, 3)))),
    Row("mul_bcast", lambda m, a, b: a * b, (Float((2, 1, 3)), Float((4, 3)))),
    Row("mul_same", lambda m, a: a * a, (Float((4,)),)),
    Row("div", lambda m, a, b: a / b, (Float((2, 3)), Float((2, 3), **P))),
    Row("div_bcast", lambda m, a, b: a / b, (Float((4, 1)), Float((3,), lo=-2.0, hi=-0.5))),
    Row("pow", lambda m, a, b: a ** b, (Float((2, 3), **P), Float((2, 3)))),
    Row("pow_bcast", lambda m, a, b: m.pow(a, b), (Float((3, 1), **P), Float((1, 4)))),
    Row("pow_zero_base", lambda m, a, b: a ** b,
        (Float(values=[0.0, 0.0, 1.5, 0.0]), Float(values=[2.0, 0.5, 3.0, 1.0])),
        fd=False, why="0 ** b is not differentiable in the base from the left (nan)"),
    # ---- binary, tensor-scalar and scalar-tensor
    Row("add_scalar", lambda m, a: a + 2.5, (Float((2, 3)),)),
    Row("radd_scalar", lambda m, a: 3 + a, (Float((2, 3)),)),
    Row("sub_scalar", lambda m, a: a - 1.5, (Float((3,)),)),
    Row("rsub_scalar", lambda m, a: 2 - a, (Float((3,)),)),
    Row("mul_scalar", lambda m, a: a * -1.5, (Float((3,)),)),
    Row("rmul_scalar", lambda m, a: 4 * a, (Float((2, 2)),)),
    Row("div_scalar", lambda m, a: a / 3.0, (Float((3,)),)),
    Row("rdiv_scalar", lambda m, a: 2 / a, (Float((3,), **P),)),
    Row("rdiv_scalar_neg", lambda m, a: -1.5 / a, (Float((2, 2), lo=-2.0, hi=-0.5),)),
    Row("pow_2", lambda m, a: a ** 2, (Float((2, 3)),)),
    Row("pow_3_int", lambda m, a: a ** 3, (Float((2, 3)),)),
    Row("pow_half", lambda m, a: a ** 0.5, (Float((2, 3), **P),)),
    Row("pow_neg", lambda m, a: a ** -1.5, (Float((2, 3), **P),)),
    Row("pow_0", lambda m, a: a ** 0, (Float(values=[0.0, 1.5, -2.0]),)),
    Row("pow_0_float", lambda m, a: a ** 0.0, (Float(values=[0.0, 1.5, -2.0]),)),
    Row("rpow_scalar", lambda m, a: 2 ** a, (Float((2, 3)),)),
    Row("rpow_scalar_float", lambda m, a: 0.5 ** a, (Float((3,)),)),
    Row("pow_fn_scalar_base", lambda m, a: m.pow(3.0, a), (Float((3,)),)),
    Row("pow_0d_exponent", lambda m, a, b: a ** b, (Float((3,), **P), Float((), lo=1.0))),
    # ---- maximum / minimum (ties split the gradient in halves, as torch)
    Row("maximum", lambda m, a, b: m.maximum(a, b), (Float((2, 3)), Float((2, 3)))),
    Row("maximum_bcast", lambda m, a, b: m.maximum(a, b), (Float((2, 1, 3)), Float((4, 1)))),
    Row("maximum_ties", lambda m, a, b: m.maximum(a, b),
        (Float(values=A_TIE), Float(values=B_TIE)), fd=False, why=TIES),
    Row("maximum_ties_bcast", lambda m, a, b: m.maximum(a, b),
        (Float(values=A_TIE), Float(values=[0.5])), fd=False, why=TIES),
    Row("maximum_method", lambda m, a, b: a.maximum(b), (Float((3,)), Float(()))),
    Row("minimum", lambda m, a, b: m.minimum(a, b), (Float((2, 3)), Float((3,)))),
    Row("minimum_ties", lambda m, a, b: m.minimum(a, b),
        (Float(values=A_TIE), Float(values=B_TIE)), fd=False, why=TIES),
    Row("minimum_ties_bcast", lambda m, a, b: m.minimum(a, b),
        (Float(values=[[0.0], [-0.75]]), Float(values=A_TIE)), fd=False, why=TIES),
    Row("maximum_nan", lambda m, a, b: m.maximum(a, b),
        (Float(values=[NAN, 1.0, 2.0, NAN]), Float(values=[1.0, NAN, 0.0, NAN])),
        fd=False, why="NaN inputs"),
    Row("minimum_nan", lambda m, a, b: m.minimum(a, b),
        (Float(values=[NAN, 1.0, 2.0, NAN]), Float(values=[1.0, NAN, 0.0, NAN])),
        fd=False, why="NaN inputs"),
    Row("max_binary", lambda m, a, b: m.max(a, b), (Float((2, 3)), Float((2, 3)))),
    Row("min_binary", lambda m, a, b: a.min(b), (Float((2, 3)), Float((2, 3)))),
    # ---- where / masked_fill
    Row("where", lambda m, c, a, b: m.where(c, a, b),
        (Const(MASK, "bool"), Float((2, 3)), Float((2, 3)))),
    Row("where_bcast", lambda m, c, a, b: m.where(c, a, b),
        (Const([True, False, True], "bool"), Float((2, 1)), Float((4, 1, 1)))),
    Row("where_scalar_other", lambda m, c, a: m.where(c, a, 0.5),
        (Const(MASK, "bool"), Float((2, 3)))),
    Row("where_scalar_input", lambda m, c, b: m.where(c, -1.0, b),
        (Const(MASK, "bool"), Float((3,)))),
    Row("where_0d", lambda m, c, a, b: m.where(c, a, b),
        (Const(True, "bool"), Float(()), Float((2,)))),
    Row("masked_fill", lambda m, c, a: a.masked_fill(c, 2.5), (Const(MASK, "bool"), Float((2, 3)))),
    Row("masked_fill_bcast", lambda m, c, a: m.masked_fill(a, c, -1.0),
        (Const([False, True, True], "bool"), Float((2, 3)))),
    Row("masked_fill_tensor_value", lambda m, c, a, v: a.masked_fill(c, v),
        (Const(MASK, "bool"), Float((2, 3)), Float(()))),
    # ---- unary
    Row("neg", lambda m, a: -a, (Float((2, 3)),)),
    Row("neg_fn", lambda m, a: m.neg(a), (Float(()),)),
    Row("abs", lambda m, a: m.abs(a), (Float((2, 3)),)),
    Row("abs_zero", lambda m, a: a.abs(), (Float(values=[0.0, -1.5, 2.0]),),
        fd=False, why="|x| has a kink at 0 (torch and gradlab use 0 there)"),
    Row("exp", lambda m, a: m.exp(a), (Float((2, 3)),)),
    Row("exp_empty", lambda m, a: a.exp(), (Float((0, 2)),)),
    Row("log", lambda m, a: m.log(a), (Float((2, 3), lo=0.1, hi=3.0),)),
    Row("log1p", lambda m, a: m.log1p(a), (Float((2, 3), lo=-0.9, hi=3.0),)),
    Row("log1p_tiny", lambda m, a: a.log1p(), (Float(values=[1e-10, -1e-12, 3e-8]),)),
    Row("sqrt", lambda m, a: m.sqrt(a), (Float((2, 3), lo=0.1, hi=3.0),)),
    Row("rsqrt", lambda m, a: m.rsqrt(a), (Float((2, 3), lo=0.1, hi=3.0),)),
    Row("sin", lambda m, a: m.sin(a), (Float((2, 3), lo=-4.0, hi=4.0),)),
    Row("cos", lambda m, a: m.cos(a), (Float((2, 3), lo=-4.0, hi=4.0),)),
    Row("tanh", lambda m, a: m.tanh(a), (Float((2, 3), lo=-3.0, hi=3.0),)),
    Row("tanh_large", lambda m, a: a.tanh(), (Float(values=[-30.0, 30.0, 0.0]),)),
    Row("sigmoid", lambda m, a: m.sigmoid(a), (Float((2, 3), lo=-4.0, hi=4.0),)),
    Row("sigmoid_large", lambda m, a: a.sigmoid(),
        (Float(values=[-100.0, -30.0, 0.0, 30.0, 100.0]),)),
    Row("relu", lambda m, a: m.relu(a), (Float((2, 3)),)),
    Row("relu_zero", lambda m, a: a.relu(), (Float(values=[0.0, -1.0, 1.0, 0.0]),),
        fd=False, why="relu has a kink at 0 (gradient 0 there, as torch)"),
    Row("relu_F", lambda m, a: m.nn.functional.relu(a), (Float((4,)),)),
    Row("sigmoid_F", lambda m, a: m.nn.functional.sigmoid(a), (Float((4,)),)),
    Row("tanh_F", lambda m, a: m.nn.functional.tanh(a), (Float((4,)),)),
    # ---- clamp: min only, max only, both; values exactly on the bounds get gradient 1
    Row("clamp_min", lambda m, a: a.clamp(min=-0.5), (Float((2, 3)),)),
    Row("clamp_max", lambda m, a: m.clamp(a, max=0.5), (Float((2, 3)),)),
    Row("clamp_both", lambda m, a: a.clamp(-0.5, 0.75), (Float((3, 3)),)),
    Row("clamp_on_bounds", lambda m, a: a.clamp(-0.5, 0.75),
        (Float(values=[-0.5, 0.75, -1.0, 1.0, 0.25, -0.5]),), fd=False, why=TIES),
    Row("clamp_min_on_bound", lambda m, a: a.clamp(min=0.0),
        (Float(values=[0.0, -1.0, 2.0]),), fd=False, why=TIES),
    Row("clamp_max_on_bound", lambda m, a: a.clamp(max=1),
        (Float(values=[1.0, -1.0, 2.0]),), fd=False, why=TIES),
    Row("clamp_min_gt_max", lambda m, a: a.clamp(1.0, -1.0), (Float((4,)),)),
    Row("clip", lambda m, a: m.clip(a, -1, 1), (Float((4,)),)),
    Row("clamp_tensor_bounds", lambda m, a, lo, hi: a.clamp(lo, hi),
        (Float((2, 3)), Float((3,), lo=-1.0, hi=0.0), Float((2, 1), lo=0.0, hi=1.0))),
    Row("clamp_tensor_bounds_ties", lambda m, a, lo, hi: m.clamp(a, lo, hi),
        (Float(values=[-0.5, 0.75, 0.0, -2.0, 2.0]), Float(values=[-0.5]), Float(values=[0.75])),
        fd=False, why=TIES),
    Row("clamp_tensor_min_only", lambda m, a, lo: a.clamp(min=lo),
        (Float(values=[-0.5, 0.75, 0.0, -2.0]), Float(values=[-0.5, 0.0, 0.25, 0.0])),
        fd=False, why=TIES),
    Row("clamp_tensor_max_only", lambda m, a, hi: m.clamp(a, max=hi),
        (Float(values=[[-0.5, 0.75], [0.0, 2.0]]), Float(values=[0.75, 0.5])),
        fd=False, why=TIES),
    Row("clamp_tensor_min_gt_max", lambda m, a, lo, hi: a.clamp(lo, hi),
        (Float((4,)), Float((4,), lo=0.5, hi=1.0), Float((4,), lo=-1.0, hi=0.0))),
    # ---- values where the function or its slope is infinite
    Row("log_zero", lambda m, a: a.log(), (Float(values=[0.0, 1.0]),),
        fd=False, why="log(0) = -inf: no finite differences"),
    Row("sqrt_zero", lambda m, a: a.sqrt(), (Float(values=[0.0, 4.0]),),
        fd=False, why="sqrt has an infinite slope at 0"),
    Row("rsqrt_zero", lambda m, a: a.rsqrt(), (Float(values=[0.0, 4.0]),),
        fd=False, why="rsqrt(0) = inf"),
    Row("div_by_zero", lambda m, a, b: a / b, (Float(values=[1.0, -1.0, 0.0]), Float(values=0.0)),
        fd=False, why="x / 0 is inf or nan"),
    # ---- in-place ops on non-leaf tensors (recorded as out-of-place ops)
    Row("iadd", lambda m, a, b: inplace(a, lambda y: y.add_(b)), (Float((2, 3)), Float((3,)))),
    Row("isub_alpha", lambda m, a, b: inplace(a, lambda y: y.sub_(b, alpha=2)),
        (Float((2, 3)), Float((2, 3)))),
    Row("imul_op", lambda m, a, b: inplace(a, lambda y: y.__imul__(b)), (Float((2, 3)), Float(()))),
    Row("idiv_scalar", lambda m, a: inplace(a, lambda y: y.div_(4.0)), (Float((2, 3)),)),
    Row("iclamp", lambda m, a: inplace(a, lambda y: y.clamp_(-0.5, 0.5)), (Float((2, 3)),)),
    Row("izero_plus", lambda m, a: inplace(a, lambda y: y.zero_()) + a, (Float((2, 3)),)),
    Row("izero", lambda m, a: inplace(a, lambda y: y.zero_()), (Float((2, 3)),)),
    Row("ifill", lambda m, a: inplace(a, lambda y: y.fill_(1.5)) * a, (Float((2, 3)),)),
    Row("icopy_from_nograd", lambda m, a, b: inplace(a, lambda y: y.copy_(b)),
        (Float((2, 3)), Float((2, 3), grad=False))),
    Row("icopy", lambda m, a, b: inplace(a, lambda y: y.copy_(b)), (Float((2, 3)), Float((3,)))),
    Row("chain_inplace", lambda m, a, b: inplace(a, lambda y: y.mul_(b).add_(a).div_(2)),
        (Float((2, 3)), Float((2, 3)))),
    # ---- composite expressions (the engine sums gradients of reused tensors)
    Row("expr_mixed", lambda m, a, b: (a * b).exp() / (1 + a ** 2) - b.sin() * a,
        (Float((2, 3), lo=-1.0, hi=1.0), Float((3,), lo=-1.0, hi=1.0))),
]


@pytest.mark.parametrize("row,dtype", cases(ROWS))
def test_vs_torch(row, dtype):
    check_row(row, dtype)


@pytest.mark.parametrize("row", fd_cases(ROWS))
def test_gradcheck(row):
    gradcheck_row(row)


# --------------------------------------------------------------------------- no-grad results
# comparisons and logical ops: bool results, requires_grad False even on grad inputs

B = Const([[True, False, True], [False, True, True]], "bool")
B2 = Const([True, False, False], "bool")
NOGRAD = [
    Row("eq", lambda m, a, b: a == b, (Float(values=A_TIE), Float(values=B_TIE))),
    Row("ne", lambda m, a, b: m.ne(a, b), (Float(values=A_TIE), Float(values=B_TIE))),
    Row("lt", lambda m, a, b: a < b, (Float(values=A_TIE), Float(values=B_TIE))),
    Row("le", lambda m, a, b: m.le(a, b), (Float(values=A_TIE), Float(values=B_TIE))),
    Row("gt_scalar", lambda m, a: a > 0.5, (Float(values=A_TIE),)),
    Row("ge_bcast", lambda m, a, b: a >= b, (Float(values=A_TIE), Float(values=[0.5, 0.0, 2.0]))),
    Row("eq_int_float", lambda m, a, b: m.eq(a, b),
        (Const([[1, 0, 2], [1, 0, 0]]), Float(values=A_TIE))),
    Row("lt_int_scalar", lambda m, a: m.lt(a, 1.5), (Const([0, 1, 2, 3]),)),
    Row("gt_0d", lambda m, a, b: m.gt(a, b), (Float((2, 3)), Float(()))),
    Row("ge_fn", lambda m, a, b: m.ge(a, b), (Float(values=A_TIE), Float(values=B_TIE))),
    Row("logical_and", lambda m, a, b: m.logical_and(a, b), (B, B2)),
    Row("logical_or", lambda m, a, b: a.logical_or(b), (B, B2)),
    Row("logical_xor", lambda m, a, b: m.logical_xor(a, b), (B, B2)),
    Row("logical_not", lambda m, a: m.logical_not(a), (B,)),
    Row("logical_and_float", lambda m, a, b: m.logical_and(a, b),
        (Float(values=A_TIE), Float(values=B_TIE))),
    Row("logical_not_float", lambda m, a: a.logical_not(), (Float(values=A_TIE),)),
    Row("and_op", lambda m, a, b: a & b, (B, B2)),
    Row("or_op", lambda m, a, b: a | b, (B, B2)),
    Row("xor_op", lambda m, a, b: a ^ b, (B, B2)),
    Row("invert_bool", lambda m, a: ~a, (B,)),
    Row("and_int", lambda m, a, b: a & b, (Const([6, 5, 3]), Const([3, 3, 1]))),
    Row("isnan", lambda m, a: m.isnan(a.log()), (Float(values=[-1.0, 0.0, 1.0]),)),
    Row("isinf", lambda m, a: m.isinf(a.log()), (Float(values=[-1.0, 0.0, 1.0]),)),
    Row("isfinite", lambda m, a: a.log().isfinite(), (Float(values=[-1.0, 0.0, 1.0]),)),
    Row("all", lambda m, a: m.all(a), (B,)),
    Row("any_dim", lambda m, a: a.any(dim=1), (B,)),
    Row("all_dim_keepdim", lambda m, a: a.all(0, keepdim=True), (B,)),
    Row("argmax_nograd", lambda m, a: a.argmax(), (Float((3, 4)),)),
]


@pytest.mark.parametrize("row,dtype", cases(NOGRAD))
def test_nograd_vs_torch(row, dtype):
    check_row(row, dtype)


# --------------------------------------------------------------------------- type promotion
# every input names its dtype; the result dtype (and the gradients' dtypes) must be torch's


def F(values, dtype, grad=True):
    return Float(values=values, dtype=dtype, grad=grad)


FX = ("fixed",)
V = [1.5, -2.0, 0.25]
PROMO = [
    Row("int_plus_float_scalar", lambda m, a: a + 1.5, (Const([1, 2, 3]),), dtypes=FX),
    Row("float_scalar_plus_int", lambda m, a: 2.5 * a, (Const([1, 2, 3]),), dtypes=FX),
    Row("int_plus_int_scalar", lambda m, a: a + 2, (Const([1, 2, 3]),), dtypes=FX),
    Row("int32_plus_int_scalar", lambda m, a: a * 3, (Const([1, 2, 3], "int32"),), dtypes=FX),
    Row("int_div_int", lambda m, a, b: a / b, (Const([1, 2, 3]), Const([2, 4, 5])), dtypes=FX),
    Row("int_div_scalar", lambda m, a: a / 2, (Const([1, 2, 3]),), dtypes=FX),
    Row("scalar_div_int", lambda m, a: 1 / a, (Const([1, 2, 4]),), dtypes=FX),
    Row("int32_plus_int64", lambda m, a, b: a + b,
        (Const([1, 2], "int32"), Const([3, 4], "int64")), dtypes=FX),
    Row("uint8_plus_int8", lambda m, a, b: a + b,
        (Const([1, 200], "uint8"), Const([3, -4], "int8")), dtypes=FX),
    Row("bool_plus_int", lambda m, a, b: a + b, (Const([True, False], "bool"), Const([3, 4])),
        dtypes=FX),
    Row("bool_plus_int_scalar", lambda m, a: a + 1, (Const([True, False], "bool"),), dtypes=FX),
    Row("bool_times_float_scalar", lambda m, a: a * 0.5, (Const([True, False], "bool"),),
        dtypes=FX),
    Row("f32_plus_f64_0d", lambda m, a, b: a + b, (F(V, "float32"), F(0.5, "float64")),
        dtypes=FX),
    Row("f64_0d_plus_f32", lambda m, a, b: a * b, (F(0.5, "float64"), F(V, "float32")),
        dtypes=FX),
    Row("f32_plus_f64_1d", lambda m, a, b: a + b, (F(V, "float32"), F(V, "float64")),
        dtypes=FX),
    Row("f32_0d_plus_f64_0d", lambda m, a, b: a - b, (F(1.25, "float32"), F(0.5, "float64")),
        dtypes=FX),
    Row("int_plus_f64_0d", lambda m, a, b: a + b, (Const([1, 2, 3]), F(0.5, "float64")),
        dtypes=FX),
    Row("int_0d_plus_f32", lambda m, a, b: a + b, (Const(3), F(V, "float32")), dtypes=FX),
    Row("int_times_f32_tensor", lambda m, a, b: a * b, (Const([1, 2, 3]), F(V, "float32")),
        dtypes=FX),
    Row("int32_plus_f16_tensor", lambda m, a, b: a + b,
        (Const([1, 2, 3], "int32"), F(V, "float16")), dtypes=FX),
    Row("f64_plus_int_tensor", lambda m, a, b: a * b, (F(V, "float64"), Const([1, 2, 3])),
        dtypes=FX),
    Row("f16_plus_f32", lambda m, a, b: a + b, (F(V, "float16"), F(V, "float32")), dtypes=FX),
    Row("f16_plus_f32_0d", lambda m, a, b: a + b, (F(V, "float16"), F(2.0, "float32")),
        dtypes=FX),
    Row("f32_maximum_f64", lambda m, a, b: m.maximum(a, b), (F(V, "float32"), F(V, "float64")),
        dtypes=FX),
    Row("where_f32_f64", lambda m, c, a, b: m.where(c, a, b),
        (Const([True, False, True], "bool"), F(V, "float32"), F(V, "float64")), dtypes=FX),
    Row("where_int_float_scalar", lambda m, c, a: m.where(c, a, 0.5),
        (Const([True, False, True], "bool"), Const([1, 2, 3])), dtypes=FX),
    Row("where_int_float_numbers", lambda m, c: m.where(c, 1, 2.5),
        (Const([True, False, True], "bool"),), dtypes=FX),
    Row("where_int_numbers", lambda m, c: m.where(c, 1, -2), (Const([True, False], "bool"),),
        dtypes=FX),
    Row("where_bool_int_numbers", lambda m, c: m.where(c, True, 2), (Const([True, False], "bool"),),
        dtypes=FX),
    Row("masked_fill_f64_value_on_f32", lambda m, c, a, v: a.masked_fill(c, v),
        (Const([True, False, True], "bool"), F(V, "float32"), F(0.5, "float64")), dtypes=FX),
    Row("masked_fill_float_on_int", lambda m, c, a: a.masked_fill(c, 2.5),
        (Const([True, False, True], "bool"), Const([1, 2, 3])), dtypes=FX),
    Row("clamp_f32_f64_bounds", lambda m, a, lo, hi: a.clamp(lo, hi),
        (F(V, "float32"), F([0.0], "float64"), F([1.0], "float64")), dtypes=FX),
    Row("pow_int_float_scalar", lambda m, a: a ** 0.5, (Const([1, 4, 9]),), dtypes=FX),
    Row("pow_int_int_scalar", lambda m, a: a ** 2, (Const([1, 4, 9]),), dtypes=FX),
    Row("rpow_int_int", lambda m, a: 2 ** a, (Const([1, 2, 3]),), dtypes=FX),
    Row("int_pow_int_tensor", lambda m, a, b: a ** b, (Const([1, 2, 3]), Const([2, 0, 1])),
        dtypes=FX),
    Row("rpow_float_int", lambda m, a: 2.0 ** a, (Const([1, 2, 3]),), dtypes=FX),
    Row("exp_int", lambda m, a: a.exp(), (Const([0, 1, 2]),), dtypes=FX),
    Row("sqrt_int", lambda m, a: m.sqrt(a), (Const([0, 1, 4]),), dtypes=FX),
    Row("neg_int", lambda m, a: -a, (Const([0, 1, -4]),), dtypes=FX),
    Row("abs_int32", lambda m, a: a.abs(), (Const([0, 1, -4], "int32"),), dtypes=FX),
    Row("clamp_int_float", lambda m, a: a.clamp(0.5, 2.5), (Const([0, 1, 4]),), dtypes=FX),
    Row("clamp_int_int", lambda m, a: a.clamp(0, 2), (Const([-1, 1, 4]),), dtypes=FX),
    Row("sum_int32", lambda m, a: a.sum(), (Const([1, 2, 3], "int32"),), dtypes=FX),
    Row("sum_bool", lambda m, a: a.sum(0), (Const([True, False, True], "bool"),), dtypes=FX),
    Row("cumsum_int32", lambda m, a: a.cumsum(0), (Const([1, 2, 3], "int32"),), dtypes=FX),
    Row("cumsum_bool", lambda m, a: a.cumsum(0), (Const([True, False, True], "bool"),),
        dtypes=FX),
    Row("prod_int32", lambda m, a: a.prod(), (Const([1, 2, 3], "int32"),), dtypes=FX),
    Row("max_int", lambda m, a: a.max(), (Const([1, 5, 3]),), dtypes=FX),
    Row("cat_int_float", lambda m, a, b: m.cat([a, b]), (Const([1, 2]), F(V, "float32")),
        dtypes=FX),
    Row("cat_f32_f64", lambda m, a, b: m.cat([a, b]), (F(V, "float32"), F(V, "float64")),
        dtypes=FX),
    Row("stack_int_bool", lambda m, a, b: m.stack([a, b]),
        (Const([1, 2]), Const([True, False], "bool")), dtypes=FX),
    Row("sum_dtype_f64", lambda m, a: a.sum(dtype=m.float64), (F(V, "float32"),), dtypes=FX),
    Row("sum_dim_dtype_f32", lambda m, a: a.sum(0, dtype=m.float32), (F([V, V], "float64"),),
        dtypes=FX),
    Row("mean_dtype_f64", lambda m, a: a.mean(dtype=m.float64), (F(V, "float32"),), dtypes=FX),
    Row("eq_f32_f64_0d", lambda m, a, b: a == b, (F([0.1, 0.2], "float32"), F(0.1, "float64")),
        dtypes=FX),
    Row("lt_f32_f64_0d", lambda m, a, b: a < b, (F([0.1, 0.2], "float32"), F(0.1, "float64")),
        dtypes=FX),
    Row("ge_f64_0d_f32", lambda m, a, b: m.ge(a, b), (F(0.1, "float64"), F([0.1, 0.2], "float32")),
        dtypes=FX),
    Row("eq_int_float_scalar", lambda m, a: a == 16777216.0, (Const([16777217, 3]),), dtypes=FX),
    Row("eq_int_f32_tensor", lambda m, a, b: a == b,
        (Const([16777217, 3]), F([16777216.0, 3.0], "float32")), dtypes=FX),
    Row("and_bool_int", lambda m, a, b: a & b, (Const([True, False], "bool"), Const([3, 3])),
        dtypes=FX),
    Row("where_f32_f64_0d", lambda m, c, a, b: m.where(c, a, b),
        (Const([True, False, True], "bool"), F(V, "float32"), F(0.5, "float64")), dtypes=FX),
    Row("eq_int_float_dtype", lambda m, a: a == 1.0, (Const([1, 2]),), dtypes=FX),
    Row("to_int_nograd", lambda m, a: a.long(), (F(V, "float32"),), dtypes=FX),
    Row("double_cast_grad", lambda m, a: a.double() * 2, (F(V, "float32"),), dtypes=FX),
    Row("to_f16_grad", lambda m, a: a.to(m.float16) * 2, (F(V, "float64"),), dtypes=FX),
]


@pytest.mark.parametrize("row,dtype", cases(PROMO))
def test_type_promotion_vs_torch(row, dtype):
    check_row(row, dtype)
