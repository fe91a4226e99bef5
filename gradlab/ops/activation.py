"""Activation functions and the (log-)softmax, written to be numerically stable.

Each saves its output where the derivative is cheaper from it (sigmoid, tanh, relu, softmax).
Sources: 002 Q1, 003 activations and softmax, 004 §1.1.
"""

from __future__ import annotations

import numpy as np

from ..autograd import ArrayFunction


class Sigmoid(ArrayFunction):
    # d sigma(x)/dx = sigma(x) (1 - sigma(x)) = out (1 - out)
    @staticmethod
    def forward(ctx, x):
        # exp(-|x|) never overflows: sigma(x) = 1/(1+e) for x >= 0 and e/(1+e) for x < 0
        e = np.exp(-np.abs(x))
        r = 1 / (1 + e)
        out = np.where(x >= 0, r, e * r)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out * (1 - out)


class Tanh(ArrayFunction):
    # d tanh(x)/dx = 1 - tanh(x)^2 = 1 - out^2
    @staticmethod
    def forward(ctx, x):
        out = np.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (1 - out * out)


class ReLU(ArrayFunction):
    # d max(x, 0)/dx = 1 where x > 0 (out > 0), else 0
    @staticmethod
    def forward(ctx, x):
        out = np.maximum(x, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (out > 0)


def _log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    """x - logsumexp(x) along ``axis``, as (x - max) - log(sum(exp(x - max))): exp never
    overflows, and the max is not added back (1000.31 - 1000 would lose float32 digits)."""
    m = x.max(axis=axis, keepdims=True)
    s = x - np.where(np.isfinite(m), m, 0)
    s -= np.log(np.exp(s).sum(axis=axis, keepdims=True))
    return s


class Softmax(ArrayFunction):
    # d softmax_i/dx_j = y_i (delta_ij - y_j)  =>  grad = y * (g - sum(g * y))
    @staticmethod
    def forward(ctx, x, dim):
        out = np.asarray(x - x.max(axis=dim, keepdims=True))  # 0-d: NumPy returns a scalar
        np.exp(out, out=out)  # in place: one full-size array instead of three
        out /= out.sum(axis=dim, keepdims=True)
        ctx.save_for_backward(out)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        gy = g * y
        gy -= y * gy.sum(axis=ctx.dim, keepdims=True)
        return gy, None


class LogSoftmax(ArrayFunction):
    # log_softmax = x - logsumexp(x);  grad = g - softmax * sum(g) = g - exp(out) * sum(g)
    @staticmethod
    def forward(ctx, x, dim):
        out = _log_softmax(x, dim)
        ctx.save_for_backward(out)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        p = np.exp(out)
        p *= g.sum(axis=ctx.dim, keepdims=True)
        return g - p, None


# --------------------------------------------------------------------------- ReLU variants


class LeakyReLU(ArrayFunction):
    # d/dx = 1 where x > 0, else negative_slope
    @staticmethod
    def forward(ctx, x, negative_slope):
        pos = x > 0
        ctx.save_for_backward(pos)
        ctx.slope = negative_slope
        return np.where(pos, x, x * negative_slope)

    @staticmethod
    def backward(ctx, g):
        (pos,) = ctx.saved_tensors
        return np.where(pos, g, g * ctx.slope), None


class PReLU(ArrayFunction):
    # d/dx = 1 where x > 0, else w ;  d/dw = 0 where x > 0, else x
    @staticmethod
    def forward(ctx, x, w):
        # w is already shaped to broadcast over x (channels on dim 1); the engine sums dw back
        ctx.save_for_backward(x, w)
        return np.where(x > 0, x, w * x)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        pos = x > 0
        dx = np.where(pos, g, g * w) if ctx.needs_input_grad[0] else None
        dw = np.where(pos, np.zeros((), g.dtype), g * x) if ctx.needs_input_grad[1] else None
        return dx, dw


class ELU(ArrayFunction):
    # d/dx = 1 where x > 0, else alpha e^x
    @staticmethod
    def forward(ctx, x, alpha):
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        # expm1 of min(x, 0): accurate near 0, and exp never overflows on the unused branch
        return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))

    @staticmethod
    def backward(ctx, g):
        # alpha e^x, not out + alpha: that would cancel to noise for very negative x
        (x,) = ctx.saved_tensors
        return np.where(x > 0, g, g * (ctx.alpha * np.exp(np.minimum(x, 0)))), None


class Hardsigmoid(ArrayFunction):
    # d/dx = 1/6 where -3 < x < 3, else 0 (torch's convention at the kinks)
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.clip(x / 6 + 0.5, 0, 1).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return np.where((x > -3) & (x < 3), g / 6, np.zeros((), g.dtype))


class Hardswish(ArrayFunction):
    # d/dx = 0 where x <= -3, x / 3 + 1/2 where -3 < x < 3, 1 where x >= 3 (torch's convention
    # at the kinks)
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * np.clip(x / 6 + 0.5, 0, 1).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        inner = g * (x / 3 + 0.5).astype(g.dtype, copy=False)
        return np.where(x <= -3, np.zeros((), g.dtype), np.where(x >= 3, g, inner))


class Softplus(ArrayFunction):
    # d/dx = sigmoid(beta x), and 1 where beta x > threshold (the linear branch)
    @staticmethod
    def forward(ctx, x, beta, threshold):
        bx = x * beta
        ctx.save_for_backward(x)
        ctx.beta, ctx.threshold = beta, threshold
        # log(1 + e^z) = max(z, 0) + log1p(e^-|z|): e^-|z| <= 1, so no overflow for any z
        sp = (np.maximum(bx, 0) + np.log1p(np.exp(-np.abs(bx)))) / beta
        return np.where(bx > threshold, x, sp)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        bx = x * ctx.beta
        e = np.exp(-np.abs(bx))
        r = 1 / (1 + e)
        sig = np.where(bx >= 0, r, e * r)
        return np.where(bx > ctx.threshold, g, g * sig), None, None


# --------------------------------------------------------------------------- GELU and erfc

#: Chebyshev coefficients of h(u) = erfcx(z) (z + 3), u = (z - 3) / (z + 3), z in [0, inf),
#: where erfcx(z) = e^{z^2} erfc(z). h stays between 0.56 and 3, so its absolute error is a
#: relative one. Computed at 50 digits with mpmath (Chebyshev nodes, N = 60):
#:   f = lambda u: erfc(z) * exp(z*z) * (z + 3) with z = 3 (1 + u) / (1 - u)
#:   c_k = (2 - [k == 0]) / N * sum_j f(x_j) cos(pi k (j + 1/2) / N), x_j = cos(pi (j + 1/2) / N)
#: The terms up to |c_k| ~ 2e-18 give erfc to < 1e-15 relative on [0, 26] (float64; tested
#: against torch.special.erfc); float32 uses the first 15 (error ~4e-7 relative).
_ERFCX_CHEB = (
    1.413438223980872, -1.1314768490746974, 0.35410810034248635, -0.08508704009908545,
    0.014615273272816639, -0.0013795571636296329, -6.429066714315945e-05,
    3.9043421097724045e-05, -2.642785074856054e-06, -8.239440143910853e-07,
    1.3247975697671355e-07, 1.919522515672645e-08, -5.030507163745393e-09,
    -5.842006410267007e-10, 1.8742323910408168e-10, 2.4373672656733487e-11,
    -6.990943839667697e-12, -1.2573115617676e-12, 2.458000580643909e-13,
    7.005741632378779e-14, -6.732775694749609e-15, -3.843430589415152e-15,
    3.3163748896188907e-18, 1.9337385406947118e-16, 1.957552792661546e-17,
    -8.038651660274454e-18, -2.004710038536238e-18,
)


def _erfcx(z: np.ndarray) -> np.ndarray:
    """erfcx(z) = e^{z^2} erfc(z) for z >= 0 from its Chebyshev series (Clenshaw's recurrence)."""
    coef = _ERFCX_CHEB if z.dtype == np.float64 else _ERFCX_CHEB[:15]
    u = (z - 3) / (z + 3)
    u2 = 2 * u
    b1 = np.full_like(u, coef[-1])
    b2 = np.zeros_like(u)
    tmp = np.empty_like(u)
    for ck in coef[-2:0:-1]:  # b_k = c_k + 2u b_{k+1} - b_{k+2}, in place
        np.multiply(u2, b1, out=tmp)
        np.subtract(tmp, b2, out=b2)
        b2 += ck
        b1, b2 = b2, b1
    return (u * b1 - b2 + coef[0]) / (z + 3)


def _exp_neg_sq(z: np.ndarray, scale: float) -> np.ndarray:
    """e^{-scale z^2} with z^2 taken exactly: z = h + l with h the top half of the mantissa
    (Veltkamp split), z^2 = h^2 + (z - h)(z + h) and h^2 exact. A plain z*z loses ~z^2 ulps in
    the result (5e-14 relative at z = 26). ``scale`` must be a power of 2."""
    c = z * (134217729.0 if z.dtype == np.float64 else 4097.0)  # 2^27 + 1 / 2^12 + 1
    h = c - (c - z)
    with np.errstate(under="ignore"):
        return np.exp(-scale * (h * h)) * np.exp(-scale * ((z - h) * (z + h)))


def _erfc(x: np.ndarray) -> np.ndarray:
    """The complementary error function, vectorised, to float64 accuracy (< 1e-15 relative):
    erfc(z) = erfcx(z) e^{-z^2} for z >= 0 and erfc(-z) = 2 - erfc(z)."""
    # erfc underflows to 0 past z ~ 27.3 (float64) / 10.1 (float32); clamping there keeps inf
    # (and the split) finite. NaN passes through.
    z = np.minimum(np.abs(x), 30.0 if x.dtype == np.float64 else 11.0)
    r = _erfcx(z) * _exp_neg_sq(z, 1.0)
    return np.where(x < 0, 2 - r, r)


def _normal_cdf(x: np.ndarray) -> np.ndarray:
    """Phi(x) = P(N(0, 1) <= x) = erfc(-x / sqrt 2) / 2, accurate in both tails (< 1e-15
    relative): the tail is erfcx(|x| / sqrt 2) e^{-x^2 / 2} / 2 with x^2 / 2 taken exactly."""
    z = np.minimum(np.abs(x), 40.0 if x.dtype == np.float64 else 16.0)  # Phi(-z) underflows
    r = 0.5 * _erfcx(z * 0.7071067811865476) * _exp_neg_sq(z, 0.5)
    return np.where(x > 0, 1 - r, r)


_GELU_K = 0.7978845608028654  # sqrt(2 / pi)
_GELU_C = 0.044715


class GELU(ArrayFunction):
    # exact: d x Phi(x)/dx = Phi(x) + x phi(x);  tanh: 0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3c x^2)
    @staticmethod
    def forward(ctx, x, approximate):
        ctx.approximate = approximate
        if approximate == "tanh":  # Hendrycks & Gimpel 2016: t = tanh(k (x + c x^3))
            t = np.tanh(_GELU_K * (x + _GELU_C * x * x * x))
            ctx.save_for_backward(x, t)
            return 0.5 * x * (1 + t)
        cdf = _normal_cdf(x)
        ctx.save_for_backward(x, cdf)
        return x * cdf

    @staticmethod
    def backward(ctx, g):
        x, s = ctx.saved_tensors
        if ctx.approximate == "tanh":
            d = 0.5 * (1 + s) + 0.5 * x * (1 - s * s) * _GELU_K * (1 + 3 * _GELU_C * x * x)
        else:  # phi(x) = e^{-x^2/2} / sqrt(2 pi)
            d = s + x * (0.3989422804014327 * np.exp(-0.5 * x * x))
        return g * d, None


# --------------------------------------------------------------------------- Gaussian RBF


class RBF(ArrayFunction):
    # y=exp(-a d2), a=e^{-2s}/2, H=g y a: dx=2(Hc - rowsum(H) x); dc=2(H'x - colsum(H) c); ds=2 H d2
    @staticmethod
    def forward(ctx, x, c, s):
        # x (N, in), centres c (out, in), log-widths s (out,); ||x - c||^2 by one GEMM
        a = 0.5 * np.exp(-2 * s)
        d2 = (x * x).sum(axis=1)[:, None] + (c * c).sum(axis=1)[None, :]
        d2 -= 2 * (x @ c.T)
        np.maximum(d2, 0, out=d2)  # rounding may leave -1 ulp where x is at a centre
        y = np.exp(-d2 * a)
        ctx.save_for_backward(x, c, a, d2, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, c, a, d2, y = ctx.saved_tensors
        h = g * y * a
        need = ctx.needs_input_grad
        dx = 2 * (h @ c - h.sum(axis=1, keepdims=True) * x) if need[0] else None
        dc = 2 * (h.T @ x - h.sum(axis=0)[:, None] * c) if need[1] else None
        ds = 2 * (h * d2).sum(axis=0) if need[2] else None
        return dx, dc, ds
