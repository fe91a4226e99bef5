"""The ``gradlab.*`` function namespace (``gradlab.exp(x)``, ``gradlab.cat([...])``...).

Each is a thin call to the Tensor method or op of the same name, as in PyTorch's ``torch.*``.
Where torch's function takes ``out=``, so does gradlab's (:func:`write_out` states the rules);
where torch's native function takes NumPy's ``axis=``/``keepdims=`` for ``dim=``/``keepdim=``,
so does gradlab's (``@numpy_names``).
"""

from __future__ import annotations

import builtins
import functools
import warnings
from collections.abc import Sequence

import numpy as np

from . import autograd
from .ops import elementwise as E
from .ops import linalg as L
from .ops import shape as S
from .ops._util import TORCH_DTYPE_NAME as _TORCH_NAME
from .ops._util import norm_dim, numpy_names
from .tensor import Tensor, as_array, dtype_category, from_numpy, promote_operands, scalar_or_tensor

_RESIZED = ("An output with one or more elements was resized since it had shape {}, which does "
            "not match the required output shape {}. This behavior is deprecated, and in a "
            "future PyTorch release outputs will not be resized unless they have zero elements. "
            "You can explicitly reuse an out tensor t by resizing it, inplace, to zero elements "
            "with t.resize_(0).")


def write_out(result: Tensor, out, op: str, *, cast: bool = True, warn: bool = True,
              grad_of_out: bool = False):
    """``result`` as torch's ``out=`` gives it: ``result`` itself when ``out`` is None, else
    ``out`` holding its values (and returned).

    As in torch: with grad mode on, a result or an ``out`` that requires grad is a RuntimeError
    ("functions with out=... arguments don't support automatic differentiation"); ``out`` of
    another shape is resized (with torch's deprecation warning when it had elements and
    ``warn``; gradlab cannot resize a view and says so); the values are cast to ``out``'s dtype
    where torch's casting rule allows (``cast``: not to a lower category, float -> int) or
    must already have it (``cast=False``, the ops whose kernels torch does not wrap in a cast).
    """
    if out is None:
        return result
    if not isinstance(out, Tensor):
        raise TypeError(f"{op}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if autograd.is_grad_enabled() and (result.requires_grad or out.requires_grad):
        raise RuntimeError(f"{op}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    src, dst = result.array, out.array
    if src.dtype != dst.dtype:
        want, got = _TORCH_NAME[str(src.dtype)], _TORCH_NAME[str(dst.dtype)]
        if not cast:
            raise RuntimeError(f"{op}(): expected out tensor to have dtype {want}, but got "
                               f"{got} instead")
        if dtype_category(src.dtype) > dtype_category(dst.dtype):
            raise RuntimeError(f"{op}(): result type {want} can't be cast to the desired output "
                               f"type {got}")
    if src.shape != dst.shape:
        if out._is_view:
            raise RuntimeError(f"{op}(): out= of shape {list(dst.shape)} is a view and the "
                               f"result has shape {list(src.shape)}: gradlab cannot resize a "
                               "view; pass an out of the result's shape")
        if dst.size and warn:
            warnings.warn(_RESIZED.format(list(dst.shape), list(src.shape)), UserWarning,
                          stacklevel=3)
        out.array = dst = np.empty(src.shape, dst.dtype)
    np.copyto(dst, src, casting="unsafe")
    autograd.graph.increment_version(out)
    return out


def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else from_numpy(as_array(x))


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    return input.numel()


def add(input, other, *, alpha=1, out=None):
    return write_out(_t(input).add(other, alpha=alpha), out, "add")


def sub(input, other, *, alpha=1, out=None):
    return write_out(_t(input).sub(other, alpha=alpha), out, "sub")


def mul(input, other, *, out=None):
    return write_out(_t(input) * other, out, "mul")


def div(input, other, *, rounding_mode=None, out=None):
    """``input / other``; ``rounding_mode`` None, 'trunc' or 'floor' (:meth:`Tensor.div`)."""
    return write_out(_t(input).div(other, rounding_mode=rounding_mode), out, "div")


divide = div


def true_divide(input, other, *, out=None):
    return write_out(_t(input) / other, out, "true_divide")


def floor_divide(input, other, *, out=None):
    """``input // other``, rounded toward -inf; no derivative, as torch's."""
    if not isinstance(input, Tensor):
        return write_out(_t(other).__rfloordiv__(input), out, "floor_divide")
    return write_out(input.floor_divide(other), out, "floor_divide")


def pow(input, exponent, *, out=None):
    return write_out(input ** exponent if isinstance(input, Tensor)
                     else _t(exponent).__rpow__(input), out, "pow")


def neg(input, *, out=None):
    return write_out(input.neg(), out, "neg")


def abs(input, *, out=None):
    return write_out(input.abs(), out, "abs")


def exp(input, *, out=None):
    return write_out(input.exp(), out, "exp")


def log(input, *, out=None):
    return write_out(input.log(), out, "log")


def log1p(input, *, out=None):
    return write_out(input.log1p(), out, "log1p")


def sqrt(input, *, out=None):
    return write_out(input.sqrt(), out, "sqrt")


def rsqrt(input, *, out=None):
    return write_out(input.rsqrt(), out, "rsqrt")


def sin(input, *, out=None):
    return write_out(input.sin(), out, "sin")


def cos(input, *, out=None):
    return write_out(input.cos(), out, "cos")


def tanh(input, *, out=None):
    return write_out(input.tanh(), out, "tanh")


def sigmoid(input, *, out=None):
    return write_out(input.sigmoid(), out, "sigmoid")


def relu(input):
    return input.relu()


def clamp(input, min=None, max=None, *, out=None):
    return write_out(input.clamp(min, max), out, "clamp")


clip = clamp


def maximum(input, other, *, out=None):
    return write_out(input.maximum(other), out, "maximum")


def minimum(input, other, *, out=None):
    return write_out(input.minimum(other), out, "minimum")


def sign(input, *, out=None):
    return write_out(input.sign(), out, "sign")


def clone(input):
    return input.clone()


def where(condition, input, other, *, out=None):
    """``input`` where ``condition`` holds, else ``other`` (tensors or numbers, broadcast)."""
    cond = condition.array if isinstance(condition, Tensor) else np.asarray(condition)
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
    return write_out(E.Where.apply(cond, a, b), out, "where")


def matmul(input, other, *, out=None):
    return write_out(_t(input).matmul(other), out, "matmul", cast=False)


def mm(input, mat2, *, out=None):
    return write_out(input.mm(mat2), out, "mm", cast=False)


def bmm(input, mat2, *, out=None):
    return write_out(input.bmm(mat2), out, "bmm", cast=False)


def dot(input, other, *, out=None):
    return write_out(input.dot(other), out, "dot", cast=False)


def _out_needs_dim(op: str, dim, out) -> None:
    if out is not None and dim is None:  # torch's overload without dim has no out
        raise TypeError(f"{op}(): out= needs dim (torch's {op}(input, *, dtype) takes no out)")


@numpy_names
def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    _out_needs_dim("sum", dim, out)
    return write_out(input.sum(dim, keepdim, dtype=dtype), out, "sum")


@numpy_names
def mean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    return write_out(input.mean(dim, keepdim, dtype=dtype), out, "mean", cast=dtype is None)


@numpy_names
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    return write_out(input.var(dim, unbiased, keepdim, correction=correction), out, "var")


@numpy_names
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    return write_out(input.std(dim, unbiased, keepdim, correction=correction), out, "std")


def _maxmin_out(r, out, op: str):
    if out is None:
        return r
    if isinstance(r, Tensor):
        return write_out(r, out, op)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError(f"{op}(): argument 'out' must be a tuple of 2 Tensors (values, "
                        f"indices) when dim is given, got {type(out).__name__}")
    values = write_out(r[0], out[0], op, cast=False)
    return type(r)(values, write_out(r[1], out[1], op, cast=False))


@numpy_names
def max(input, dim=None, keepdim=False, *, out=None):
    return _maxmin_out(input.max(dim, keepdim), out, "max")


@numpy_names
def min(input, dim=None, keepdim=False, *, out=None):
    return _maxmin_out(input.min(dim, keepdim), out, "min")


@numpy_names
def amax(input, dim=(), keepdim=False, *, out=None):
    return write_out(input.amax(dim, keepdim), out, "amax", cast=False)


@numpy_names
def amin(input, dim=(), keepdim=False, *, out=None):
    return write_out(input.amin(dim, keepdim), out, "amin", cast=False)


@numpy_names
def argmax(input, dim=None, keepdim=False, *, out=None):
    return write_out(input.argmax(dim, keepdim), out, "argmax", cast=False)


@numpy_names
def argmin(input, dim=None, keepdim=False, *, out=None):
    return write_out(input.argmin(dim, keepdim), out, "argmin", cast=False)


@numpy_names
def logsumexp(input, dim, keepdim=False, *, out=None):
    return write_out(input.logsumexp(dim, keepdim), out, "logsumexp")


@numpy_names
def prod(input, dim=None, keepdim=False, *, out=None):
    _out_needs_dim("prod", dim, out)
    return write_out(input.prod(dim, keepdim), out, "prod")


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """``num_samples`` category indices per row of ``input`` (non-negative weights, 1-D or
    2-D), drawn with probabilities proportional to the weights; int64 of shape
    ``input.shape[:-1] + (num_samples,)``."""
    if not isinstance(input, Tensor):
        raise TypeError(f"multinomial(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    return write_out(input.multinomial(num_samples, replacement, generator=generator), out,
                     "multinomial", cast=False)


@numpy_names
def cumsum(input, dim, *, out=None):
    return write_out(input.cumsum(dim), out, "cumsum")


@numpy_names
def softmax(input, dim, *, out=None):
    return write_out(input.softmax(dim), out, "softmax", cast=False)


@numpy_names
def log_softmax(input, dim, *, out=None):
    return write_out(input.log_softmax(dim), out, "log_softmax", cast=False)


def tril(input, diagonal=0, *, out=None):
    """The lower triangle of the last two dims (column - row <= diagonal), the rest zeroed.
    Shape: (*, m, n) -> (*, m, n)."""
    return write_out(input.tril(diagonal), out, "tril", cast=False)


def triu(input, diagonal=0, *, out=None):
    """The upper triangle of the last two dims (column - row >= diagonal), the rest zeroed.
    Shape: (*, m, n) -> (*, m, n)."""
    return write_out(input.triu(diagonal), out, "triu", cast=False)


def roll(input, shifts, dims=None):
    """Shift cyclically by ``shifts`` along ``dims`` (the flattened tensor when dims is None,
    then reshaped back). Shape: unchanged."""
    return input.roll(shifts, dims)


@numpy_names
def narrow(input, dim, start, length):
    """``input[..., start:start + length]`` along ``dim`` (start may be negative or a 0-d
    tensor); a view sharing memory. Shape: size ``length`` at ``dim``, the rest unchanged."""
    return input.narrow(dim, start, length)


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """torch.norm: ``linalg.vector_norm(input, p, dim)`` for a number p, and for 'fro' over at
    most two dims (the 2-norm of those entries); 'nuc' is not supported. The gradient follows
    torch (0 where the 2-norm is 0). Shape: ``dim`` reduced (kept as size 1 with keepdim)."""
    return write_out(input.norm(p, dim, keepdim, dtype), out, "norm", cast=False)


@numpy_names
def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """||x||_ord = (sum |x|^ord)^(1/ord) over ``dim`` (all dims when None or ()); inf: max |x|,
    -inf: min |x|, 0: the number of non-zeros. Computed in ``dtype`` when given. Shape: ``dim``
    reduced (kept as size 1 with keepdim)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"linalg.vector_norm(): argument 'input' (position 1) must be Tensor, "
                        f"not {type(x).__name__}")
    args = L.vector_norm_args("linalg.vector_norm", ord, dim, keepdim, dtype, x.ndim)
    return write_out(L.VectorNorm.apply(x, *args), out, "linalg.vector_norm", cast=False)


def reshape(input, shape):
    return input.reshape(shape)


def flatten(input, start_dim=0, end_dim=-1):
    return input.flatten(start_dim, end_dim)


@numpy_names
def unflatten(input, dim, sizes):
    return input.unflatten(dim, sizes)


@numpy_names
def squeeze(input, dim=None):
    return input.squeeze(dim)


@numpy_names
def unsqueeze(input, dim):
    return input.unsqueeze(dim)


def permute(input, dims):
    return input.permute(*dims)


def transpose(input, dim0, dim1):
    return input.transpose(dim0, dim1)


def t(input):
    return input.t()


@numpy_names
def gather(input, dim, index, *, out=None):
    return write_out(input.gather(dim, index), out, "gather", cast=False)


@numpy_names
def scatter_add(input, dim, index, src, *, out=None):
    return write_out(input.scatter_add(dim, index, src), out, "scatter_add", cast=False)


@numpy_names
def index_select(input, dim, index, *, out=None):
    return write_out(input.index_select(dim, index), out, "index_select", cast=False)


def masked_fill(input, mask, value):
    return input.masked_fill(mask, value)


def _tensor_list(tensors, op: str) -> list:
    if isinstance(tensors, Tensor) or not isinstance(tensors, Sequence):
        raise TypeError(f"{op}(): argument 'tensors' must be a tuple or list of Tensors, not "
                        f"{type(tensors).__name__}")
    if len(tensors) == 0:
        raise RuntimeError(f"{op}(): expected a non-empty list of Tensors")
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}(): expected Tensor as element {i} in argument 0, but got "
                            f"{type(x).__name__}")
    ts = list(tensors)
    dt = ts[0].array.dtype
    if builtins.any(x.array.dtype != dt for x in ts):  # this module shadows any()
        # torch's result type: the highest category (bool < int < float) decides, NumPy's
        # promotion only within it (int64 with float32 gives float32, not float64)
        top = builtins.max(dtype_category(x.array.dtype) for x in ts)
        res = np.result_type(*[x.array.dtype for x in ts if dtype_category(x.array.dtype) == top])
        ts = [x if x.array.dtype == res else x.to(res) for x in ts]
    return ts


def _cat(tensors, dim, out, op: str) -> Tensor:
    ts = _tensor_list(tensors, op)
    for i, x in enumerate(ts):
        if x.ndim == 0:
            raise RuntimeError(f"{op}(): zero-dimensional tensor (at position {i}) cannot be "
                               "concatenated")
    # torch's legacy rule: a 1-D empty tensor is skipped when the others have other shapes
    kept = [x for x in ts if not (x.ndim == 1 and x.array.size == 0)]
    if kept and len(kept) < len(ts) and builtins.any(x.ndim != 1 for x in kept):
        ts = kept
    return write_out(S.Cat.apply(*ts, dim=norm_dim(dim, ts[0].ndim, op)), out, op)


@numpy_names
def cat(tensors: Sequence[Tensor], dim: int = 0, *, out=None) -> Tensor:
    """Join tensors along an existing dim; all other sizes must match (a 1-D empty tensor
    among tensors of another rank is skipped, as in torch)."""
    return _cat(tensors, dim, out, "cat")


@numpy_names
def concat(tensors: Sequence[Tensor], dim: int = 0, *, out=None) -> Tensor:
    """:func:`cat`, by its other name."""
    return _cat(tensors, dim, out, "concat")


@numpy_names
def concatenate(tensors: Sequence[Tensor], dim: int = 0, *, out=None) -> Tensor:
    """:func:`cat`, by its NumPy name."""
    return _cat(tensors, dim, out, "concatenate")


@numpy_names
def stack(tensors: Sequence[Tensor], dim: int = 0, *, out=None) -> Tensor:
    """Join equally shaped tensors along a new dim."""
    ts = _tensor_list(tensors, "stack")
    return write_out(S.Stack.apply(*ts, dim=norm_dim(dim, ts[0].ndim + 1, "stack")), out,
                     "stack")


def split(tensor, split_size_or_sections, dim=0):
    return tensor.split(split_size_or_sections, dim)


@numpy_names
def chunk(input, chunks, dim=0):
    return input.chunk(chunks, dim)


@numpy_names
def unbind(input, dim=0):
    return input.unbind(dim)


def eq(input, other, *, out=None):
    return write_out(input == other, out, "eq")


def ne(input, other, *, out=None):
    return write_out(input != other, out, "ne")


def lt(input, other, *, out=None):
    return write_out(input < other, out, "lt")


def le(input, other, *, out=None):
    return write_out(input <= other, out, "le")


def gt(input, other, *, out=None):
    return write_out(input > other, out, "gt")


def ge(input, other, *, out=None):
    return write_out(input >= other, out, "ge")


def logical_and(input, other, *, out=None):
    return write_out(input.logical_and(other), out, "logical_and")


def logical_or(input, other, *, out=None):
    return write_out(input.logical_or(other), out, "logical_or")


def logical_xor(input, other, *, out=None):
    return write_out(input.logical_xor(other), out, "logical_xor")


def logical_not(input, *, out=None):
    return write_out(input.logical_not(), out, "logical_not")


def isnan(input):
    return input.isnan()


def isinf(input):
    return input.isinf()


def isfinite(input):
    return input.isfinite()


@numpy_names
def all(input, dim=None, keepdim=False, *, out=None):
    return write_out(input.all(dim, keepdim), out, "all")


@numpy_names
def any(input, dim=None, keepdim=False, *, out=None):
    return write_out(input.any(dim, keepdim), out, "any")


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    return input.allclose(other, rtol, atol, equal_nan)


def equal(input, other) -> bool:
    return input.equal(other)


def _tensor_first(fn):
    """``fn(input, ...)`` refusing a non-Tensor ``input`` as torch's argument parser does
    (TypeError naming the function), instead of failing on a missing method."""
    name = fn.__name__

    @functools.wraps(fn)
    def wrapper(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                            f"{type(input).__name__}")
        return fn(input, *args, **kwargs)

    return wrapper


# the functions whose first argument must be a Tensor (add, mul, matmul... also take numbers
# or arrays there)
_TENSOR_FIRST = """
neg abs exp log log1p sqrt rsqrt sin cos tanh sigmoid relu clamp maximum minimum sign
clone mm bmm dot sum mean var std max min amax amin argmax argmin logsumexp prod
multinomial cumsum softmax log_softmax tril triu roll narrow norm reshape flatten
unflatten squeeze unsqueeze permute transpose t gather scatter_add index_select
masked_fill chunk unbind eq ne lt le gt ge logical_and logical_or logical_xor
logical_not isnan isinf isfinite all any allclose equal numel"""
for _name in _TENSOR_FIRST.split():
    globals()[_name] = _tensor_first(globals()[_name])
clip = clamp
