"""Shape and indexing ops against torch: views (reshape/view/flatten/unflatten/squeeze/
unsqueeze/expand/permute/transpose/t/contiguous), indexing (ints, slices with steps, None, ...,
integer lists and tensors with repeated indices, bool masks, mixed), ``__setitem__`` (gradient
to the base and the value), gather/scatter_add/index_select, cat/stack/split/chunk/unbind,
``nn.functional.pad`` in every mode and ``one_hot``."""

import pytest
from oracle import Const, Float, Row, cases, check_row, fd_cases, gradcheck_row

X = Float((3, 4))
X3 = Float((2, 3, 4))


def setitem(idx, value_fn=None):
    """Assign into a non-leaf copy of ``x`` (so the base's gradient flows back through it)."""

    def fn(m, x, v=None):
        y = x * 1.5
        y[idx(m) if callable(idx) else idx] = v if value_fn is None else value_fn(v)
        return y

    return fn


def setitem_leaf(idx):
    """Assign a value that requires grad into a fresh tensor that does not."""

    def fn(m, v):
        y = m.zeros(3, 4, dtype=v.dtype)
        y[idx] = v
        return y * 2

    return fn


ROWS = [
    # ---- views
    Row("reshape", lambda m, a: a.reshape(4, 3), (X,)),
    Row("reshape_infer", lambda m, a: m.reshape(a, (2, -1)), (X3,)),
    Row("reshape_0d", lambda m, a: a.reshape(1, 1), (Float(()),)),
    Row("reshape_to_0d", lambda m, a: a.reshape(()), (Float((1, 1)),)),
    Row("reshape_empty", lambda m, a: a.reshape(3, 0), (Float((0, 3)),)),
    Row("reshape_transposed", lambda m, a: a.t().reshape(-1), (X,)),
    Row("view", lambda m, a: a.view(2, 6), (X,)),
    Row("view_infer", lambda m, a: a.view(-1), (X3,)),
    Row("view_as", lambda m, a, b: a.view_as(b), (X, Float((6, 2), grad=False))),
    Row("flatten", lambda m, a: a.flatten(), (X3,)),
    Row("flatten_range", lambda m, a: m.flatten(a, 1), (X3,)),
    Row("flatten_neg", lambda m, a: a.flatten(0, -2), (X3,)),
    Row("flatten_0d", lambda m, a: a.flatten(), (Float(()),)),
    Row("unflatten", lambda m, a: a.unflatten(1, (2, 2)), (X,)),
    Row("unflatten_neg_infer", lambda m, a: m.unflatten(a, -1, (2, -1)), (X3,)),
    Row("squeeze", lambda m, a: a.squeeze(), (Float((1, 3, 1, 2)),)),
    Row("squeeze_dim", lambda m, a: a.squeeze(2), (Float((1, 3, 1, 2)),)),
    Row("squeeze_negdim", lambda m, a: m.squeeze(a, -4), (Float((1, 3, 1, 2)),)),
    Row("squeeze_noop", lambda m, a: a.squeeze(1), (Float((1, 3, 1, 2)),)),
    Row("squeeze_tuple", lambda m, a: a.squeeze((0, 2)), (Float((1, 3, 1, 2)),)),
    Row("squeeze_0d", lambda m, a: a.squeeze(), (Float(()),)),
    Row("unsqueeze", lambda m, a: a.unsqueeze(0), (X,)),
    Row("unsqueeze_neg", lambda m, a: m.unsqueeze(a, -1), (X,)),
    Row("unsqueeze_mid", lambda m, a: a.unsqueeze(1), (X,)),
    Row("unsqueeze_0d", lambda m, a: a.unsqueeze(0), (Float(()),)),
    Row("expand", lambda m, a: a.expand(3, 4), (Float((3, 1)),)),
    Row("expand_new_dims", lambda m, a: a.expand(2, -1, 4), (Float((3, 1)),)),
    Row("expand_0d", lambda m, a: a.expand(2, 3), (Float(()),)),
    Row("expand_tuple", lambda m, a: a.expand((2, 2, 3)), (Float((1, 3)),)),
    Row("expand_as", lambda m, a, b: a.expand_as(b), (Float((1, 4)), Float((3, 4), grad=False))),
    Row("permute", lambda m, a: a.permute(2, 0, 1), (X3,)),
    Row("permute_neg", lambda m, a: m.permute(a, (-1, 0, -2)), (X3,)),
    Row("transpose", lambda m, a: a.transpose(0, 1), (X,)),
    Row("transpose_neg", lambda m, a: m.transpose(a, -1, 0), (X3,)),
    Row("t", lambda m, a: a.t(), (X,)),
    Row("t_1d", lambda m, a: m.t(a), (Float((3,)),)),
    Row("T_attr", lambda m, a: a.T, (X,)),
    Row("mT_attr", lambda m, a: a.mT, (X3,)),
    Row("contiguous", lambda m, a: a.contiguous(), (X,)),
    Row("contiguous_transposed", lambda m, a: a.transpose(0, 2).contiguous() * 2, (X3,)),
    Row("repeat", lambda m, a: a.repeat(2, 1, 3), (Float((2, 3)),)),
    # ---- indexing
    Row("index_int", lambda m, a: a[1], (X,)),
    Row("index_neg_int", lambda m, a: a[-1, -2], (X,)),
    Row("index_slice", lambda m, a: a[1:3], (X,)),
    Row("index_slice_step", lambda m, a: a[::2, 1::2], (X,)),
    Row("index_slice_neg", lambda m, a: a[-2:, :-1], (X,)),
    Row("index_slice_empty", lambda m, a: a[2:2], (X,)),
    Row("index_none", lambda m, a: a[None], (X,)),
    Row("index_none_mid", lambda m, a: a[:, None, 1:], (X,)),
    Row("index_ellipsis", lambda m, a: a[..., 1], (X3,)),
    Row("index_ellipsis_none", lambda m, a: a[1, ..., None], (X3,)),
    Row("index_list", lambda m, a: a[[0, 2]], (X,)),
    Row("index_list_repeated", lambda m, a: a[[0, 0, 2, 0]], (X,)),
    Row("index_tensor_repeated", lambda m, a: a[m.tensor([[1, 1], [2, 1]])], (X,)),
    Row("index_tensor_neg", lambda m, a: a[m.tensor([-1, 0, -1])], (X,)),
    Row("index_0d_tensor", lambda m, a: a[m.tensor(2)], (X,)),
    Row("index_two_lists", lambda m, a: a[[0, 2, 0], [1, 1, 1]], (X,)),
    Row("index_list_slice", lambda m, a: a[[1, 1], 1:], (X,)),
    Row("index_slice_list", lambda m, a: a[:, [3, 0, 3]], (X,)),
    Row("index_int_list", lambda m, a: a[1, [0, 0]], (X3,)),
    Row("index_split_adv", lambda m, a: a[[0, 1, 1], :, [2, 2, 0]], (X3,)),
    Row("index_adv_bcast", lambda m, a: a[m.tensor([[0], [2]]), m.tensor([1, 1, 3])], (X,)),
    Row("index_mask", lambda m, a: a[a > 0], (X,)),
    Row("index_mask_const", lambda m, a, k: a[k],
        (X, Const([[True, False, True, True], [False] * 4, [True, False, False, True]],
                  "bool"))),
    Row("index_mask_rows", lambda m, a, k: a[k], (X, Const([True, False, True], "bool"))),
    Row("index_mask_cols", lambda m, a, k: a[:, k], (X, Const([False, True, True, False], "bool"))),
    Row("index_mask_and_int", lambda m, a, k: a[k, 2], (X, Const([True, False, True], "bool"))),
    Row("index_mask_empty", lambda m, a, k: a[k], (X, Const([False, False, False], "bool"))),
    Row("index_bool_list", lambda m, a: a[[True, False, True]], (X,)),
    Row("index_tuple_0d_tensor_slice", lambda m, a: a[m.tensor(1), 1:], (X,)),
    Row("index_list_of_lists", lambda m, a: a[[[0, 1], [2, 2]]], (X,)),
    Row("index_list_with_slice", lambda m, a: a[[slice(None), [1, 1]]], (X,)),
    Row("index_list_of_tensor", lambda m, a: a[[m.tensor([2, 2, 0])]], (X,)),
    Row("index_mask_and_list", lambda m, a, k: a[k, [0, 3]],
        (X, Const([True, False, True], "bool"))),
    Row("index_mixed", lambda m, a: a[1:, None, [0, 0, 1], ..., ::2], (Float((3, 4, 2, 3)),)),
    Row("index_chain", lambda m, a: a[1:][:, [2, 2]][0], (X3,)),
    # ---- __setitem__ (gradient to the non-leaf base and to the value)
    Row("setitem_int", setitem(1), (X, Float((4,)))),
    Row("setitem_slice_bcast", setitem((slice(None), slice(1, 3))), (X, Float((2,)))),
    Row("setitem_step", setitem((slice(None, None, 2), slice(None, None, 3))),
        (X, Float((2, 2)))),
    Row("setitem_scalar", setitem(0, lambda v: 0.5), (X,)),
    Row("setitem_0d_value", setitem((slice(None), 2)), (X, Float(()))),
    Row("setitem_list", setitem(lambda m: [2, 0]), (X, Float((2, 4)))),
    Row("setitem_tensor_idx", setitem(lambda m: m.tensor([0, 2])), (X, Float((1, 4)))),
    Row("setitem_two_lists", setitem(lambda m: ([0, 1, 2], [3, 0, 1])), (X, Float((3,)))),
    Row("setitem_mask", setitem(lambda m: m.tensor([[True, False, False, True],
                                                    [False] * 4, [True] * 4])),
        (X, Float((6,)))),
    Row("setitem_mask_scalar_value", setitem(lambda m: m.tensor([True, False, True]),
                                             lambda v: v * 2), (X, Float(()))),
    Row("setitem_ellipsis", setitem((Ellipsis, 0)), (X3, Float((2, 3)))),
    Row("setitem_value_extra_leading_1", setitem(1), (X, Float((1, 4)))),
    Row("setitem_value_two_leading_1", setitem((slice(None), 0)), (X, Float((1, 1, 3)))),
    Row("setitem_value_bcast_col", setitem((slice(0, 2), slice(None))), (X, Float((2, 1)))),
    Row("setitem_value_expr", setitem((slice(0, 2), slice(None)), lambda v: v.exp()),
        (X, Float((2, 4)))),
    Row("setitem_leaf_base_no_grad", setitem_leaf((slice(1, 3), 2)), (Float((2,)),)),
    Row("setitem_leaf_base_list", setitem_leaf(([0, 2], slice(None))), (Float((4,)),)),
    # ---- gather / scatter_add / index_select
    Row("gather_dim1", lambda m, a, i: a.gather(1, i), (X, Const([[0, 0], [3, 1], [2, 2]]))),
    Row("gather_dim0", lambda m, a, i: m.gather(a, 0, i), (X, Const([[2, 0, 2, 2], [0, 0, 1, 2]]))),
    Row("gather_negdim", lambda m, a, i: a.gather(-1, i),
        (X3, Const([[[0, 3], [1, 1], [2, 0]], [[3, 3], [0, 1], [1, 1]]]))),
    Row("gather_smaller_index", lambda m, a, i: a.gather(1, i), (X, Const([[1], [0]]))),
    Row("scatter_add", lambda m, a, i, s: a.scatter_add(1, i, s),
        (X, Const([[0, 0], [3, 1], [2, 2]]), Float((3, 2)))),
    Row("scatter_add_dim0", lambda m, a, i, s: m.scatter_add(a, 0, i, s),
        (X, Const([[2, 0, 2, 2], [2, 2, 1, 0]]), Float((2, 4)))),
    Row("scatter_add_larger_src", lambda m, a, i, s: a.scatter_add(-1, i, s),
        (X, Const([[1, 1], [0, 3]]), Float((3, 4), grad=False))),
    Row("index_select", lambda m, a, i: a.index_select(0, i), (X, Const([2, 0, 2, 2]))),
    Row("index_select_negdim", lambda m, a, i: m.index_select(a, -1, i), (X3, Const([3, 3, 0]))),
    Row("index_select_0d_index", lambda m, a, i: a.index_select(1, i), (X, Const(2))),
    Row("index_select_empty", lambda m, a, i: a.index_select(0, i), (X, Const([], "int64"))),
    # ---- cat / stack / split / chunk / unbind
    Row("cat", lambda m, a, b: m.cat([a, b]), (Float((2, 3)), Float((1, 3)))),
    Row("cat_dim1", lambda m, a, b, c: m.cat((a, b, c), dim=1),
        (Float((2, 1)), Float((2, 3)), Float((2, 2)))),
    Row("cat_negdim", lambda m, a, b: m.cat([a, b], -1), (X3, Float((2, 3, 1)))),
    Row("cat_empty_part", lambda m, a, b: m.cat([a, b], 1), (Float((2, 0)), Float((2, 3)))),
    Row("cat_same", lambda m, a: m.cat([a, a * 2, a]), (Float((2, 2)),)),
    Row("cat_one", lambda m, a: m.cat([a]), (Float((2, 2)),)),
    Row("concat", lambda m, a, b: m.concat([a, b], 0), (Float((1, 2)), Float((1, 2)))),
    Row("stack", lambda m, a, b: m.stack([a, b]), (Float((2, 3)), Float((2, 3)))),
    Row("stack_last", lambda m, a, b, c: m.stack((a, b, c), dim=-1),
        (Float((2, 3)), Float((2, 3)), Float((2, 3)))),
    Row("stack_mid", lambda m, a, b: m.stack([a, b], 1), (Float((2, 3)), Float((2, 3)))),
    Row("stack_0d", lambda m, a, b: m.stack([a, b]), (Float(()), Float(()))),
    Row("split_int", lambda m, a: a.split(2), (Float((5, 2)),)),
    Row("split_int_dim", lambda m, a: m.split(a, 3, dim=1), (Float((2, 7)),)),
    Row("split_sections", lambda m, a: a.split([1, 3, 0], dim=-1), (Float((2, 4)),)),
    Row("split_sections_dim0", lambda m, a: m.split(a, [2, 1]), (Float((3, 2)),)),
    Row("split_larger_than_dim", lambda m, a: a.split(5), (Float((3, 2)),)),
    Row("chunk", lambda m, a: a.chunk(2), (Float((4, 3)),)),
    Row("chunk_uneven", lambda m, a: m.chunk(a, 3, dim=1), (Float((2, 5)),)),
    Row("chunk_more_than_size", lambda m, a: a.chunk(4), (Float((3, 2)),)),
    Row("chunk_6_by_4", lambda m, a: a.chunk(4), (Float((6,)),)),
    Row("unbind", lambda m, a: a.unbind(), (X,)),
    Row("unbind_dim", lambda m, a: m.unbind(a, dim=-1), (X3,)),
    Row("unbind_partial_use", lambda m, a: a.unbind(1)[2] * 3, (X,)),
    # ---- pad
    Row("pad_const", lambda m, a: m.nn.functional.pad(a, (1, 2)), (X,)),
    Row("pad_const_value", lambda m, a: m.nn.functional.pad(a, (1, 0, 0, 2), value=-1.5), (X,)),
    Row("pad_const_3d", lambda m, a: m.nn.functional.pad(a, (0, 1, 1, 1, 2, 0)), (X3,)),
    Row("pad_const_negative", lambda m, a: m.nn.functional.pad(a, (-1, 2, 1, -2)), (X,)),
    Row("pad_const_crop", lambda m, a: m.nn.functional.pad(a, (-1, -1)), (X3,)),
    Row("pad_reflect", lambda m, a: m.nn.functional.pad(a, (2, 1), mode="reflect"), (X3,)),
    Row("pad_reflect_2d", lambda m, a: m.nn.functional.pad(a, (1, 2, 2, 1), mode="reflect"),
        (Float((1, 2, 3, 4)),)),
    Row("pad_replicate", lambda m, a: m.nn.functional.pad(a, (2, 3), mode="replicate"), (X3,)),
    Row("pad_replicate_2d", lambda m, a: m.nn.functional.pad(a, (0, 2, 3, 1), "replicate"),
        (Float((1, 2, 3, 4)),)),
    Row("pad_circular", lambda m, a: m.nn.functional.pad(a, (2, 1), mode="circular"), (X3,)),
    Row("pad_circular_2d", lambda m, a: m.nn.functional.pad(a, (1, 3, 2, 0), mode="circular"),
        (Float((1, 2, 3, 4)),)),
    Row("pad_circular_negative", lambda m, a: m.nn.functional.pad(a, (-1, 2), mode="circular"),
        (X3,)),
    Row("pad_circular_negative_right", lambda m, a: m.nn.functional.pad(a, (3, -1), "circular"),
        (X3,)),
    Row("pad_circular_2d_negative", lambda m, a: m.nn.functional.pad(a, (1, -2, -1, 1),
                                                                       mode="circular"),
        (Float((1, 2, 3, 4)),)),
    Row("pad_reflect_negative", lambda m, a: m.nn.functional.pad(a, (-1, 2), mode="reflect"),
        (X3,)),
    Row("pad_replicate_negative", lambda m, a: m.nn.functional.pad(a, (2, -1), "replicate"),
        (X3,)),
]


@pytest.mark.parametrize("row,dtype", cases(ROWS))
def test_vs_torch(row, dtype):
    check_row(row, dtype)


@pytest.mark.parametrize("row", fd_cases(ROWS))
def test_gradcheck(row):
    gradcheck_row(row)


NOGRAD = [
    Row("one_hot", lambda m, i: m.nn.functional.one_hot(i), (Const([0, 2, 1, 2]),)),
    Row("one_hot_classes", lambda m, i: m.nn.functional.one_hot(i, num_classes=5),
        (Const([[0, 4], [3, 3]]),)),
    Row("one_hot_0d", lambda m, i: m.nn.functional.one_hot(i, 3), (Const(1),)),
    Row("one_hot_empty", lambda m, i: m.nn.functional.one_hot(i, 3), (Const([], "int64"),)),
]


@pytest.mark.parametrize("row,dtype", cases(NOGRAD))
def test_nograd_vs_torch(row, dtype):
    check_row(row, dtype)
