"""``nn.functional.cross_entropy`` against torch: class indices (with class weights,
ignore_index, label smoothing), probability targets, every reduction, (N, C, d1, ...) and (C,)
inputs, and logits large enough to overflow a naive softmax."""

import pytest
from oracle import Const, Float, Row, cases, check_row, fd_cases, gradcheck_row


def ce(**kw):
    def fn(m, x, t, w=None):
        return m.nn.functional.cross_entropy(x, t, **({"weight": w} if w is not None else {}),
                                             **kw)

    return fn


L = Float((4, 5), lo=-3.0, hi=3.0)
Y = Const([0, 3, 4, 3])
Y_IGN = Const([0, -100, 4, -100])
W = Float(values=[0.5, 2.0, 1.0, 0.25, 3.0], grad=False)
PROBS = Float((4, 5), lo=0.0, hi=1.0, grad=False)
BIG = Float(values=[[1000.0, -1000.0, 999.0], [-1000.0, -1000.5, 0.0], [500.0, 500.0, 500.0]])
N, S, M = ("none", "sum", "mean")

ROWS = [
    Row("ce_mean", ce(), (L, Y)),
    Row("ce_sum", ce(reduction=S), (L, Y)),
    Row("ce_none", ce(reduction=N), (L, Y)),
    Row("ce_weight_mean", ce(), (L, Y, W)),
    Row("ce_weight_sum", ce(reduction=S), (L, Y, W)),
    Row("ce_weight_none", ce(reduction=N), (L, Y, W)),
    Row("ce_ignore_mean", ce(), (L, Y_IGN)),
    Row("ce_ignore_none", ce(reduction=N), (L, Y_IGN)),
    Row("ce_ignore_weight_mean", ce(), (L, Y_IGN, W)),
    Row("ce_ignore_custom", ce(ignore_index=3), (L, Y, W)),
    Row("ce_all_ignored_mean", ce(ignore_index=3), (Float((2, 4)), Const([3, 3]))),
    Row("ce_all_ignored_sum", ce(ignore_index=3, reduction=S), (Float((2, 4)), Const([3, 3]))),
    Row("ce_smooth_mean", ce(label_smoothing=0.1), (L, Y)),
    Row("ce_smooth_sum", ce(label_smoothing=0.2, reduction=S), (L, Y)),
    Row("ce_smooth_none", ce(label_smoothing=0.3, reduction=N), (L, Y)),
    Row("ce_smooth_weight", ce(label_smoothing=0.1), (L, Y, W)),
    Row("ce_smooth_weight_none", ce(label_smoothing=0.1, reduction=N), (L, Y, W)),
    Row("ce_smooth_ignore", ce(label_smoothing=0.25), (L, Y_IGN)),
    Row("ce_smooth_ignore_weight", ce(label_smoothing=0.25), (L, Y_IGN, W)),
    Row("ce_smooth_ignore_weight_sum", ce(label_smoothing=0.25, reduction=S), (L, Y_IGN, W)),
    Row("ce_smooth_1", ce(label_smoothing=1.0), (L, Y)),
    Row("ce_probs_mean", ce(), (L, PROBS)),
    Row("ce_probs_sum", ce(reduction=S), (L, PROBS)),
    Row("ce_probs_none", ce(reduction=N), (L, PROBS)),
    Row("ce_probs_weight", ce(), (L, PROBS, W)),
    Row("ce_probs_weight_none", ce(reduction=N), (L, PROBS, W)),
    Row("ce_probs_smooth", ce(label_smoothing=0.2), (L, PROBS)),
    Row("ce_probs_smooth_weight", ce(label_smoothing=0.2, reduction=S), (L, PROBS, W)),
    Row("ce_probs_target_grad", ce(), (L, Float((4, 5), lo=0.0, hi=1.0))),
    Row("ce_probs_target_grad_smooth_weight", ce(label_smoothing=0.1, reduction=N),
        (L, Float((4, 5), lo=0.0, hi=1.0), W)),
    Row("ce_3d", ce(), (Float((2, 3, 4)), Const([[0, 2, 1, 1], [2, 2, 0, 1]]))),
    Row("ce_3d_none_weight", ce(reduction=N),
        (Float((2, 3, 4)), Const([[0, 2, 1, 1], [2, 2, 0, 1]]), Float(values=[1.0, 0.5, 2.0],
                                                                       grad=False))),
    Row("ce_3d_ignore_smooth", ce(label_smoothing=0.1),
        (Float((2, 3, 4)), Const([[0, -100, 1, 1], [2, 2, -100, 1]]))),
    Row("ce_3d_probs", ce(), (Float((2, 3, 4)), Float((2, 3, 4), lo=0.0, hi=1.0, grad=False))),
    Row("ce_3d_probs_none_target_grad", ce(reduction=N),
        (Float((2, 3, 2)), Float((2, 3, 2), lo=0.0, hi=1.0))),
    Row("ce_4d", ce(reduction=S),
        (Float((2, 3, 2, 2)), Const([[[0, 1], [2, 2]], [[1, 1], [0, 2]]]))),
    Row("ce_1d_input", ce(), (Float((5,)), Const(3))),
    Row("ce_1d_input_none", ce(reduction=N), (Float((5,)), Const(1))),
    Row("ce_1d_probs", ce(), (Float((5,)), Float((5,), lo=0.0, hi=1.0, grad=False))),
    Row("ce_large_logits", ce(), (BIG, Const([0, 1, 2]))),
    Row("ce_large_logits_none_smooth", ce(reduction=N, label_smoothing=0.1),
        (BIG, Const([1, 2, 0]))),
    Row("ce_large_logits_probs", ce(), (BIG, Float(values=[[0.5, 0.5, 0.0]] * 3, grad=False))),
    Row("ce_empty_batch_sum", ce(reduction=S), (Float((0, 3)), Const([], "int64"))),
]


@pytest.mark.parametrize("row,dtype", cases(ROWS))
def test_vs_torch(row, dtype):
    check_row(row, dtype)


@pytest.mark.parametrize("row", fd_cases(ROWS))
def test_gradcheck(row):
    gradcheck_row(row)
