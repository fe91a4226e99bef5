"""The ``gradlab.*`` function namespace (``gradlab.exp(x)``, ``gradlab.cat([...])``...).

Each is a thin call to the Tensor method or op of the same name, as in PyTorch's ``torch.*``.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence

import numpy as np

from .ops import elementwise as E
from .ops import shape as S
from .ops._util import norm_dim
from .tensor import Tensor, as_array, dtype_category, from_numpy, promote_operands, scalar_or_tensor


def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else from_numpy(as_array(x))


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    return input.numel()


def add(input, other, *, alpha=1):
    return _t(input).add(other, alpha=alpha)


def sub(input, other, *, alpha=1):
    return _t(input).sub(other, alpha=alpha)


def mul(input, other):
    return _t(input) * other


def div(input, other):
    return _t(input) / other


def pow(input, exponent):
    return input ** exponent if isinstance(input, Tensor) else _t(exponent).__rpow__(input)


def neg(input):
    return input.neg()


def abs(input):
    return input.abs()


def exp(input):
    return input.exp()


def log(input):
    return input.log()


def log1p(input):
    return input.log1p()


def sqrt(input):
    return input.sqrt()


def rsqrt(input):
    return input.rsqrt()


def sin(input):
    return input.sin()


def cos(input):
    return input.cos()


def tanh(input):
    return input.tanh()


def sigmoid(input):
    return input.sigmoid()


def relu(input):
    return input.relu()


def clamp(input, min=None, max=None):
    return input.clamp(min, max)


clip = clamp


def maximum(input, other):
    return input.maximum(other)


def minimum(input, other):
    return input.minimum(other)


def sign(input):
    return input.sign()


def clone(input):
    return input.clone()


def where(condition, input, other):
    """``input`` where ``condition`` holds, else ``other`` (tensors or numbers, broadcast)."""
    cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise RuntimeError(f"where: expected condition to be a bool tensor, got {cond.dtype}")
    a, b = scalar_or_tensor(input), scalar_or_tensor(other)
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        a, b = promote_operands(a, b)
    elif isinstance(a, Tensor):
        a, b = promote_operands(a, b)
    elif isinstance(b, Tensor):
        b, a = promote_operands(b, a)
    else:  # two numbers: torch's scalar promotion (where(c, 1, 2.5) is float32, not float64)
        a, b = promote_operands(_t(a), _t(b))
    return E.Where.apply(cond, a, b)


def matmul(input, other):
    return _t(input).matmul(other)


def mm(input, mat2):
    return input.mm(mat2)


def bmm(input, mat2):
    return input.bmm(mat2)


def dot(input, other):
    return input.dot(other)


def sum(input, dim=None, keepdim=False, *, dtype=None):
    return input.sum(dim, keepdim, dtype=dtype)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    return input.mean(dim, keepdim, dtype=dtype)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return input.var(dim, unbiased, keepdim, correction=correction)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return input.std(dim, unbiased, keepdim, correction=correction)


def max(input, dim=None, keepdim=False):
    return input.max(dim, keepdim)


def min(input, dim=None, keepdim=False):
    return input.min(dim, keepdim)


def amax(input, dim=(), keepdim=False):
    return input.amax(dim, keepdim)


def amin(input, dim=(), keepdim=False):
    return input.amin(dim, keepdim)


def argmax(input, dim=None, keepdim=False):
    return input.argmax(dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    return input.argmin(dim, keepdim)


def logsumexp(input, dim, keepdim=False):
    return input.logsumexp(dim, keepdim)


def prod(input, dim=None, keepdim=False):
    return input.prod(dim, keepdim)


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """``num_samples`` category indices per row of ``input`` (non-negative weights, 1-D or
    2-D), drawn with probabilities proportional to the weights; int64 of shape
    ``input.shape[:-1] + (num_samples,)``."""
    if not isinstance(input, Tensor):
        raise TypeError(f"multinomial(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    return input.multinomial(num_samples, replacement, generator=generator)


def cumsum(input, dim):
    return input.cumsum(dim)


def softmax(input, dim):
    return input.softmax(dim)


def log_softmax(input, dim):
    return input.log_softmax(dim)


def reshape(input, shape):
    return input.reshape(shape)


def flatten(input, start_dim=0, end_dim=-1):
    return input.flatten(start_dim, end_dim)


def unflatten(input, dim, sizes):
    return input.unflatten(dim, sizes)


def squeeze(input, dim=None):
    return input.squeeze(dim)


def unsqueeze(input, dim):
    return input.unsqueeze(dim)


def permute(input, dims):
    return input.permute(*dims)


def transpose(input, dim0, dim1):
    return input.transpose(dim0, dim1)


def t(input):
    return input.t()


def gather(input, dim, index):
    return input.gather(dim, index)


def scatter_add(input, dim, index, src):
    return input.scatter_add(dim, index, src)


def index_select(input, dim, index):
    return input.index_select(dim, index)


def masked_fill(input, mask, value):
    return input.masked_fill(mask, value)


def _tensor_list(tensors, op: str) -> list:
    if isinstance(tensors, Tensor) or not isinstance(tensors, Sequence):
        raise TypeError(f"{op}(): argument 'tensors' must be a tuple or list of Tensors, not "
                        f"{type(tensors).__name__}")
    if len(tensors) == 0:
        raise RuntimeError(f"{op}(): expected a non-empty list of Tensors")
    ts = [_t(x) for x in tensors]
    dt = ts[0].data.dtype
    if builtins.any(x.data.dtype != dt for x in ts):  # this module shadows any()
        # torch's result type: the highest category (bool < int < float) decides, NumPy's
        # promotion only within it (int64 with float32 gives float32, not float64)
        top = builtins.max(dtype_category(x.data.dtype) for x in ts)
        res = np.result_type(*[x.data.dtype for x in ts if dtype_category(x.data.dtype) == top])
        ts = [x if x.data.dtype == res else x.to(res) for x in ts]
    return ts


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dim; all other sizes must match."""
    ts = _tensor_list(tensors, "cat")
    if ts[0].ndim == 0:
        raise RuntimeError("cat(): zero-dimensional tensor (at position 0) cannot be "
                           "concatenated")
    return S.Cat.apply(*ts, dim=norm_dim(dim, ts[0].ndim))


concat = concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join equally shaped tensors along a new dim."""
    ts = _tensor_list(tensors, "stack")
    return S.Stack.apply(*ts, dim=norm_dim(dim, ts[0].ndim + 1))


def split(tensor, split_size_or_sections, dim=0):
    return tensor.split(split_size_or_sections, dim)


def chunk(input, chunks, dim=0):
    return input.chunk(chunks, dim)


def unbind(input, dim=0):
    return input.unbind(dim)


def eq(input, other):
    return input == other


def ne(input, other):
    return input != other


def lt(input, other):
    return input < other


def le(input, other):
    return input <= other


def gt(input, other):
    return input > other


def ge(input, other):
    return input >= other


def logical_and(input, other):
    return input.logical_and(other)


def logical_or(input, other):
    return input.logical_or(other)


def logical_xor(input, other):
    return input.logical_xor(other)


def logical_not(input):
    return input.logical_not()


def isnan(input):
    return input.isnan()


def isinf(input):
    return input.isinf()


def isfinite(input):
    return input.isfinite()


def all(input, dim=None, keepdim=False):
    return input.all(dim, keepdim)


def any(input, dim=None, keepdim=False):
    return input.any(dim, keepdim)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    return input.allclose(other, rtol, atol, equal_nan)


def equal(input, other) -> bool:
    return input.equal(other)
