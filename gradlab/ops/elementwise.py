"""Elementwise arithmetic and math functions, all broadcasting like NumPy and PyTorch.

Gradients may come back in the broadcast (output) shape: the engine sums them to each input's
shape, so no function here un-broadcasts by itself.
"""

from __future__ import annotations

import numpy as np

from ..autograd import ArrayFunction
from ._util import broadcast_error


class Add(ArrayFunction):
    # d(a+b)/da = 1 ; d(a+b)/db = 1
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g):
        return g, g

    error = broadcast_error("add")


class Sub(ArrayFunction):
    # d(a-b)/da = 1 ; d(a-b)/db = -1
    @staticmethod
    def forward(ctx, a, b):
        if np.asarray(a).dtype == np.bool_ and np.asarray(b).dtype == np.bool_:
            raise RuntimeError("sub: Subtraction, the `-` operator, with two bool tensors is not "
                               "supported. Use the `^` or `logical_xor()` operator instead.")
        return a - b

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.needs_input_grad[1] else None)

    error = broadcast_error("sub")


class Mul(ArrayFunction):
    # d(a*b)/da = b ; d(a*b)/db = a
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        return (g * b if na else None), (g * a if nb else None)

    error = broadcast_error("mul")


class Div(ArrayFunction):
    # d(a/b)/da = 1/b ; d(a/b)/db = -a/b^2 = -out/b
    @staticmethod
    def forward(ctx, a, b):
        out = a / b
        ctx.save_for_backward(b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        b, out = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        ga = g / b if na else None
        gb = -g * out / b if nb else None
        return ga, gb

    error = broadcast_error("div")


def _check_int_divisor(a, b, op: str) -> None:
    """An integer division by 0 is torch's RuntimeError (a float one gives inf or nan)."""
    if np.asarray(a).dtype.kind in "iub" and np.asarray(b).dtype.kind in "iub" and \
            np.any(np.asarray(b) == 0):
        raise RuntimeError(f"{op}: ZeroDivisionError: integer division by zero (an integer "
                           "divisor holds 0)")


def floor_divide_arrays(a, b, out=None, casting="same_kind"):
    """a / b rounded toward -inf, as Python's ``//`` (NumPy's floor_divide computes it from
    fmod, as torch does, so 1.0 / 0.1 rounds to 9, not to floor(10.000000000000002) = 10)."""
    _check_int_divisor(a, b, "floor division")
    with np.errstate(divide="ignore", invalid="ignore"):  # x / 0 is inf or nan, as torch's
        return np.floor_divide(a, b, out=out, casting=casting)


def trunc_divide_arrays(a, b, out=None, casting="same_kind"):
    """a / b rounded toward 0 (C's integer division; trunc(a / b) for floats, as torch)."""
    _check_int_divisor(a, b, "trunc division")
    a_, b_ = np.asarray(a), np.asarray(b)
    if np.result_type(a_, b_).kind == "f":
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.trunc(np.true_divide(a, b, out=out, casting=casting), out=out)
    q = np.floor_divide(a_, b_)
    q = q + ((np.remainder(a_, b_) != 0) & ((a_ < 0) != (b_ < 0)))
    if out is None:
        return q
    np.copyto(out, q, casting=casting)
    return out


class _RoundedDiv(ArrayFunction):
    # div(a, b, rounding_mode=...) is a step function of a and b: torch's gradient is 0 for both
    @staticmethod
    def backward(ctx, g):
        zero = np.zeros_like(g)
        return zero, zero

    error = broadcast_error("div")


class DivFloor(_RoundedDiv):
    # div(a, b, rounding_mode='floor')
    @staticmethod
    def forward(ctx, a, b):
        return floor_divide_arrays(a, b)


class DivTrunc(_RoundedDiv):
    # div(a, b, rounding_mode='trunc')
    @staticmethod
    def forward(ctx, a, b):
        return trunc_divide_arrays(a, b)


class FloorDivide(ArrayFunction):
    # floor_divide(a, b) and a // b: as div(rounding_mode='floor'), but torch has no derivative
    @staticmethod
    def forward(ctx, a, b):
        return floor_divide_arrays(a, b)

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("floor_divide: derivative for floor_divide is not implemented (torch "
                           "has none either); div(a, b, rounding_mode='floor') has the same "
                           "values and a zero gradient")

    error = broadcast_error("floor_divide")


class Pow(ArrayFunction):
    # d(a^b)/da = b a^(b-1) (0 where b == 0) ; d(a^b)/db = a^b log(a) (0 where a == 0, b >= 0)
    @staticmethod
    def forward(ctx, a, b):
        if np.asarray(a).dtype.kind in "iub" and np.asarray(b).dtype.kind in "iu" and \
                np.any(np.asarray(b) < 0):
            raise RuntimeError(f"pow: Integers to negative integer powers are not allowed (got "
                               f"exponent {b if np.ndim(b) == 0 else 'tensor with values < 0'})")
        out = np.power(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        ga = gb = None
        if na:
            if isinstance(b, (int, float)) and b == 2:
                ga = g * (2 * a)
            elif isinstance(b, (int, float)):
                ga = g * (b * np.power(a, b - 1)) if b != 0 else np.zeros_like(g)
            else:
                # b == 0 would give 0 * a^-1 = nan at a == 0; torch's gradient is 0 there
                with np.errstate(divide="ignore", invalid="ignore"):
                    ga = np.where(b == 0, 0, g * (b * np.power(a, b - 1)))
        if nb:
            with np.errstate(divide="ignore", invalid="ignore"):
                d = out * np.log(a)
            d = np.where((np.asarray(a) == 0) & (np.asarray(b) >= 0), 0, d)
            gb = g * d
        return ga, gb

    error = broadcast_error("pow")


def _tie_split(g, eq, lose_a, lose_b) -> tuple:
    """g to the winner, g/2 to each side of a tie; a NaN loses nothing, so both sides get g."""
    return (g * np.where(eq, 0.5, ~lose_a).astype(g.dtype),
            g * np.where(eq, 0.5, ~lose_b).astype(g.dtype))


class Maximum(ArrayFunction):
    # d max(a,b)/da = 1 where a > b, 1/2 where a == b, 0 where a < b (1 at a NaN, as PyTorch)
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return _tie_split(g, a == b, a < b, a > b)

    error = broadcast_error("maximum")


class Minimum(ArrayFunction):
    # d min(a,b)/da = 1 where a < b, 1/2 where a == b, 0 where a > b (1 at a NaN, as PyTorch)
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return _tie_split(g, a == b, a > b, a < b)

    error = broadcast_error("minimum")


class Where(ArrayFunction):
    # d where(c,a,b)/da = c ; d/db = not c
    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        (cond,) = ctx.saved_tensors
        _, na, nb = ctx.needs_input_grad
        zero = np.zeros((), dtype=g.dtype)
        return (None, np.where(cond, g, zero) if na else None,
                np.where(cond, zero, g) if nb else None)

    error = broadcast_error("where")


class Neg(ArrayFunction):
    # d(-x)/dx = -1
    @staticmethod
    def forward(ctx, x):
        if x.dtype == np.bool_:
            raise RuntimeError("neg: Negation, the `-` operator, on a bool tensor is not "
                               "supported. If you are trying to invert a mask, use the `~` or "
                               "`logical_not()` operator instead.")
        return -x

    @staticmethod
    def backward(ctx, g):
        return -g


class Abs(ArrayFunction):
    # d|x|/dx = sign(x)  (0 at 0, as PyTorch)
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * np.sign(x)


class Exp(ArrayFunction):
    # d e^x/dx = e^x = out
    @staticmethod
    def forward(ctx, x):
        out = np.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out


class Log(ArrayFunction):
    # d log(x)/dx = 1/x
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / x


class Log1p(ArrayFunction):
    # d log(1+x)/dx = 1/(1+x)
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log1p(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1 + x)


class Sqrt(ArrayFunction):
    # d sqrt(x)/dx = 1/(2 sqrt(x)) = 1/(2 out)
    @staticmethod
    def forward(ctx, x):
        with np.errstate(invalid="ignore"):
            out = np.sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        with np.errstate(divide="ignore"):
            return g / (2 * out)


class Rsqrt(ArrayFunction):
    # d x^(-1/2)/dx = -1/2 x^(-3/2) = -out^3/2
    @staticmethod
    def forward(ctx, x):
        with np.errstate(divide="ignore", invalid="ignore"):
            out = 1 / np.sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (-0.5 * out * out * out)


class Sin(ArrayFunction):
    # d sin(x)/dx = cos(x)
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * np.cos(x)


class Cos(ArrayFunction):
    # d cos(x)/dx = -sin(x)
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return -g * np.sin(x)


class Clamp(ArrayFunction):
    # d clamp(x, lo, hi)/dx = [lo <= x <= hi] (bounds included) ; d/dlo = [x < lo < hi] ;
    # d/dhi = [x > hi or hi < lo]  (PyTorch's rules; lo, hi: numbers, arrays or None)
    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x, lo, hi)
        out = x
        if lo is not None:
            out = np.maximum(out, lo)
        if hi is not None:
            out = np.minimum(out, hi)
        return out

    @staticmethod
    def backward(ctx, g):
        x, lo, hi = ctx.saved_tensors
        _, nlo, nhi = ctx.needs_input_grad
        mask = np.ones(g.shape, dtype=bool)
        if lo is not None:
            mask &= x >= lo
        if hi is not None:
            mask &= x <= hi
        glo = ghi = None
        if nlo:
            glo = g * ((x < lo) & (lo < hi) if hi is not None else x < lo)
        if nhi:
            ghi = g * ((x > hi) | (hi < lo) if lo is not None else x > hi)
        return g * mask, glo, ghi

    error = broadcast_error("clamp")


class Cast(ArrayFunction):
    # d x/dx = 1 (the engine casts the gradient back to the input's dtype)
    @staticmethod
    def forward(ctx, x, dt):
        return x.astype(dt)

    @staticmethod
    def backward(ctx, g):
        return g, None


class Clone(ArrayFunction):
    # d x/dx = 1
    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g
