"""Every clear error the engine and primitives promise: raised, with a message naming the op,
the shapes or values involved, and what was expected."""

import pytest

import gradlab
import gradlab.nn.functional as F

CASES = [
    # (description, callable, exception type, regex on the message)
    ("broadcast add", lambda: gradlab.ones(3) + gradlab.ones(4), RuntimeError,
     r"add: shapes \(3,\) and \(4,\) cannot be broadcast"),
    ("broadcast mul 2-D", lambda: gradlab.ones(2, 3) * gradlab.ones(3, 2), RuntimeError,
     r"mul: shapes \(2, 3\) and \(3, 2\) cannot be broadcast"),
    ("broadcast where", lambda: gradlab.where(gradlab.ones(2) > 0, gradlab.ones(3),
                                              gradlab.ones(2)),
     RuntimeError, r"where: shapes .* cannot be broadcast"),
    ("matmul inner sizes", lambda: gradlab.ones(2, 3) @ gradlab.ones(4, 5), RuntimeError,
     r"matmul: shapes \[2, 3\] and \[4, 5\] cannot be multiplied .*inner sizes 3 != 4"),
    ("matmul batch", lambda: gradlab.ones(2, 2, 3) @ gradlab.ones(3, 3, 4), RuntimeError,
     r"matmul: batch dimensions \[2\] and \[3\]"),
    ("matmul 0-d", lambda: gradlab.tensor(1.0) @ gradlab.ones(2), RuntimeError,
     r"matmul: both arguments need at least 1 dimension"),
    ("mm rank", lambda: gradlab.ones(2).mm(gradlab.ones(2, 2)), RuntimeError,
     r"mm: expected 2-D tensors, got shapes \[2\] and \[2, 2\]"),
    ("view size", lambda: gradlab.ones(2, 3).view(4, 2), RuntimeError,
     r"view: shape \[4, 2\] is invalid for input of shape \[2, 3\] \(6 elements\)"),
    ("view non-contiguous", lambda: gradlab.ones(2, 3).t().view(6), RuntimeError,
     r"view: shape \[6\] is not compatible .*use .reshape"),
    ("reshape two -1", lambda: gradlab.ones(6).reshape(-1, -1), RuntimeError,
     r"only one dimension can be inferred"),
    ("cat sizes", lambda: gradlab.cat([gradlab.ones(2, 3), gradlab.ones(3, 2)], dim=0),
     RuntimeError, r"cat: sizes of tensors must match except in dimension 0; got shape "
                   r"\[2, 3\] for tensor 0 and \[3, 2\] for tensor 1"),
    ("cat empty", lambda: gradlab.cat([]), RuntimeError, r"expected a non-empty list"),
    ("cat not a list", lambda: gradlab.cat(gradlab.ones(2)), TypeError,
     r"must be a tuple or list of Tensors"),
    ("stack sizes", lambda: gradlab.stack([gradlab.ones(2), gradlab.ones(3)]), RuntimeError,
     r"stack: expects each tensor to be equal size, but got \[2\] at entry 0 and \[3\] at "
     r"entry 1"),
    ("dim out of range", lambda: gradlab.ones(2, 3).sum(dim=2), IndexError,
     r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"),
    ("dim repeated", lambda: gradlab.ones(2, 3).sum(dim=(0, -2)), RuntimeError,
     r"appears multiple times"),
    ("softmax dim", lambda: gradlab.ones(2).softmax(1), IndexError, r"Dimension out of range"),
    ("expand", lambda: gradlab.ones(2, 3).expand(4, 3), RuntimeError,
     r"expand: the expanded size \[4, 3\] must match the existing size \[2, 3\]"),
    ("permute count", lambda: gradlab.ones(2, 3).permute(0), RuntimeError,
     r"permute: number of dims don't match"),
    ("index out of range", lambda: gradlab.ones(2, 3)[5], IndexError,
     r"index \[5\] is invalid for a tensor of shape \[2, 3\]"),
    ("float index", lambda: gradlab.ones(3)[gradlab.tensor([0.5])], IndexError,
     r"tensors used as indices must be long, int, byte or bool"),
    ("gather rank", lambda: gradlab.ones(2, 3).gather(1, gradlab.tensor([0, 1])), RuntimeError,
     r"gather: index tensor must have the same number of dimensions"),
    ("gather float index", lambda: gradlab.ones(2, 3).gather(1, gradlab.ones(2, 1)),
     RuntimeError, r"gather\(\): Expected dtype int64 for index"),
    ("split sections", lambda: gradlab.ones(5).split([2, 2]), RuntimeError,
     r"split_sizes to sum exactly to 5"),
    ("mean of ints", lambda: gradlab.tensor([1, 2]).mean(), RuntimeError,
     r"mean\(\): could not infer output dtype"),
    ("max of empty", lambda: gradlab.ones(0).max(), RuntimeError,
     r"max\(\): Expected reduction dim to be specified"),
    ("clamp without bounds", lambda: gradlab.ones(2).clamp(), RuntimeError,
     r"clamp: at least one of 'min' or 'max' must not be None"),
    ("int requires grad", lambda: gradlab.tensor([1, 2], requires_grad=True), RuntimeError,
     r"only Tensors of floating point dtype can require gradients"),
    ("setitem shape", lambda: gradlab.ones(2, 3).__setitem__(0, gradlab.ones(4)), RuntimeError,
     r"index assignment: cannot set \[0\] of a tensor of shape \[2, 3\] from a value of shape "
     r"\[4\]"),
    ("one_hot range", lambda: F.one_hot(gradlab.tensor([0, 3]), 3), RuntimeError,
     r"one_hot: class values must be in \[0, 3\)"),
    ("cross_entropy target shape", lambda: F.cross_entropy(gradlab.ones(4, 3),
                                                           gradlab.tensor([0, 1])),
     ValueError, r"cross_entropy: input of shape \[4, 3\] expects a target of shape \[4\]"),
    ("cross_entropy target range", lambda: F.cross_entropy(gradlab.ones(2, 3),
                                                           gradlab.tensor([0, 3])),
     IndexError, r"cross_entropy: target 3 is out of bounds for 3 classes"),
    ("cross_entropy reduction", lambda: F.cross_entropy(gradlab.ones(2, 3),
                                                        gradlab.tensor([0, 1]),
                                                        reduction="avg"),
     ValueError, r"avg is not a valid value for reduction"),
    ("pad reflect too large", lambda: F.pad(gradlab.ones(1, 3), (3, 0), mode="reflect"),
     RuntimeError, r"pad: padding \(3, 0\) should be less than the input dimension"),
    ("unknown dtype", lambda: gradlab.zeros(2, dtype="complex64"), TypeError,
     r"not supported by gradlab"),
    ("randint bounds", lambda: gradlab.randint(5, 5, (2,)), RuntimeError,
     r"randint: expects 'from' < 'to'"),
    ("arange step", lambda: gradlab.arange(0, 5, 0), RuntimeError, r"step must be nonzero"),
]


@pytest.mark.parametrize("desc,fn,exc,pattern", CASES, ids=[c[0] for c in CASES])
def test_error_messages(desc, fn, exc, pattern):
    with pytest.raises(exc, match=pattern):
        fn()


def test_errors_do_not_leak_numpy_tracebacks():
    # the clear error replaces NumPy's: no chained "During handling..." context
    with pytest.raises(RuntimeError) as info:
        gradlab.ones(3) + gradlab.ones(4)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_error_in_backward_names_the_function():
    class Wrong(gradlab.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.sum()

        @staticmethod
        def backward(ctx, g):
            return gradlab.ones(5, 5)  # not broadcastable back to (3,)

    x = gradlab.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Function WrongBackward returned an invalid gradient "
                                           r"at index 0 - got \[5, 5\] but expected shape "
                                           r"compatible with \[3\]"):
        Wrong.apply(x).backward()
