"""numba twins of the recurrent layers' per-step gate arithmetic (``gradlab/ops/rnn.py``).

Each kernel does in ONE pass over a step's rows what the NumPy reference does in many calls:
the activations of all gates, the cell and hidden states, and in backward the pre-activation
gradients of all gates. The GEMMs stay NumPy matmuls in ``rnn.py``. Imported only when
``gradlab._jit.enabled()`` (it imports numba); compiled on the first call for the argument
types it meets (``rnn.py`` passes C-contiguous float32 arrays only, so one specialization per
kernel) and cached on disk.

tanh is a rational approximation, ``tanh(x) = x P(x^2) / Q(x^2)`` for |x| <= 9, +-1 beyond,
evaluated in float64 (one vectorizable expression: numba's ``math.tanh`` is a scalar libm call
per element). ``error_model="numpy"``: numba's default Python error model checks every float
division for zero, a branch that keeps LLVM from vectorizing the loop. The coefficients come from ``scripts/fit_tanh.py`` (a minimax relative-error fit);
the result is within 6e-8 of float64 tanh on float32 inputs (``tests/test_jit_kernels.py``
checks <= 2.5e-7 absolute, and relative for |x| < 1e-3). NaN stays NaN, +-0 stays +-0,
+-inf gives +-1. sigma(a) = (tanh(a / 2) + 1) / 2, as in the reference.

Shapes (rows = the step's batch rows, H = hidden size; all float32, C-contiguous):

- ``lstm_forward_step(gates (rows, 4H), hidden (rows, 4H), c_prev, c, tanh_c, h (rows, H))``
- ``lstm_backward_step(gy, dh_prev, dc (rows, H), gates (rows, 4H), c_prev, tanh_c (rows, H),
  dgates (rows, 4H))``
- ``gru_forward_step(gates (rows, 3H), hidden (rows, 3H), b_hn (H,), h_prev, n_hid, h (rows, H))``
- ``gru_backward_step(gy, dh_prev, dhz (rows, H), gates (rows, 3H), h_prev, n_hid (rows, H),
  dgates_x, dgates_h (rows, 3H))``
"""

from __future__ import annotations

import numpy as np
from numba import njit

# tanh(x) = x P(x^2) / Q(x^2) on |x| <= _CLAMP (python scripts/fit_tanh.py --m 4 --n 4 --clamp 9)
_P0, _P1, _P2, _P3, _P4 = (1.0, 0.13383930260541058, 0.0034989359313417454,
                           2.066025425895781e-05, 1.3418412768070875e-08)
_Q0, _Q1, _Q2, _Q3, _Q4 = (1.0, 0.4671725177719549, 0.025889979384004055,
                           0.00032909390542034046, 7.804154011424418e-07)
_CLAMP = 9.0


@njit(cache=True, error_model="numpy", inline="always")
def _tanh(x):
    """tanh of a float64, within 6e-8 (a rational approximation; see the module doc)."""
    s = x * x
    p = (((_P4 * s + _P3) * s + _P2) * s + _P1) * s + _P0
    q = (((_Q4 * s + _Q3) * s + _Q2) * s + _Q1) * s + _Q0
    y = x * p / q  # NaN for +-inf (inf / inf): replaced below; NaN in, NaN out
    y = 1.0 if x > _CLAMP else y
    return -1.0 if x < -_CLAMP else y


@njit(cache=True, error_model="numpy")
def tanh_(a):
    """tanh in place on a C-contiguous float32 array of any shape (tests, benchmarks)."""
    flat = a.reshape(a.size)
    for k in range(flat.size):
        flat[k] = _tanh(float(flat[k]))


@njit(cache=True, error_model="numpy")
def lstm_forward_step(gates, hidden, c_prev, c, tanh_c, h):
    """One LSTM step. gates holds the input projection in the order (i, f, o, g), the i, f, o
    columns of it and of hidden at HALF their pre-activation (the layer halves those weight
    rows); on return gates holds i, f, o = sigma(a), g = tanh(a), and c = f c_prev + i g,
    tanh_c = tanh(c), h = o tanh(c)."""
    rows = gates.shape[0]
    H = c.shape[1]
    for n in range(rows):  # simple loops, one per expression, so that LLVM vectorizes each
        gr, hr = gates[n], hidden[n]
        for k in range(3 * H):
            gr[k] = np.float32(0.5 * _tanh(float(gr[k] + hr[k])) + 0.5)
        for k in range(3 * H, 4 * H):
            gr[k] = np.float32(_tanh(float(gr[k] + hr[k])))
        i, f, o, g = gr[:H], gr[H:2 * H], gr[2 * H:3 * H], gr[3 * H:]
        cp, cr, tr, hh = c_prev[n], c[n], tanh_c[n], h[n]
        for j in range(H):
            cr[j] = f[j] * cp[j] + i[j] * g[j]
        for j in range(H):
            tr[j] = np.float32(_tanh(float(cr[j])))
        for j in range(H):
            hh[j] = o[j] * tr[j]


@njit(cache=True, error_model="numpy")
def lstm_backward_step(gy, dh_prev, dc, gates, c_prev, tanh_c, dgates):
    """One LSTM step backward. With dh = gy + dh_prev: dc += dh o (1 - tanh(c)^2), then the
    pre-activation gradients (order i, f, o, g; d/da of the full pre-activation)
    di = dc g i (1 - i), df = dc c_prev f (1 - f), do = dh tanh(c) o (1 - o),
    dg = dc i (1 - g^2) go to dgates, and dc becomes dc f (the carry to step t - 1)."""
    rows = gates.shape[0]
    H = dc.shape[1]
    for n in range(rows):
        gr, dgr = gates[n], dgates[n]
        gyr, dhr, dcr, cp, tr = gy[n], dh_prev[n], dc[n], c_prev[n], tanh_c[n]
        for j in range(H):
            i, f, o, g = gr[j], gr[H + j], gr[2 * H + j], gr[3 * H + j]
            tc = tr[j]
            dh = gyr[j] + dhr[j]
            d = dcr[j] + dh * o * (np.float32(1) - tc * tc)
            dgr[j] = d * g * i * (np.float32(1) - i)
            dgr[H + j] = d * cp[j] * f * (np.float32(1) - f)
            dgr[2 * H + j] = dh * tc * o * (np.float32(1) - o)
            dgr[3 * H + j] = d * i * (np.float32(1) - g * g)
            dcr[j] = d * f


@njit(cache=True, error_model="numpy")
def gru_forward_step(gates, hidden, b_hn, h_prev, n_hid, h):
    """One GRU step (PyTorch's form). gates holds the input projection (r, z, n) with the
    biases of r and z, hidden = h_prev W_hh^T; on return gates holds r, z = sigma(a),
    n = tanh(gates_n + r n_hid), n_hid = hidden_n + b_hn, and h = (h_prev - n) z + n."""
    rows = gates.shape[0]
    H = h.shape[1]
    for n in range(rows):
        gr, hr = gates[n], hidden[n]
        for k in range(2 * H):  # sigma(a) = (tanh(a / 2) + 1) / 2
            gr[k] = np.float32(0.5 * _tanh(0.5 * float(gr[k] + hr[k])) + 0.5)
        r, z, gn, hn = gr[:H], gr[H:2 * H], gr[2 * H:], hr[2 * H:]
        hp, nh, ho = h_prev[n], n_hid[n], h[n]
        for j in range(H):
            a_n = hn[j] + b_hn[j]
            nn = np.float32(_tanh(float(gn[j] + r[j] * a_n)))
            nh[j] = a_n
            gn[j] = nn
            ho[j] = (hp[j] - nn) * z[j] + nn


@njit(cache=True, error_model="numpy")
def gru_backward_step(gy, dh_prev, dhz, gates, h_prev, n_hid, dgates_x, dgates_h):
    """One GRU step backward (PyTorch's form). dh = gy + dh_prev + dhz (dhz: the previous
    step's dh z, the direct path to h_{t-1}; overwritten with this step's dh z);
    dn~ = dh (1 - z)(1 - n^2), dz~ = dh (h_prev - n) z (1 - z), dr~ = dn~ n_hid r (1 - r);
    dgates_x = [dr~, dz~, dn~] (the input GEMM's), dgates_h = [dr~, dz~, r dn~] (the hidden
    GEMM's)."""
    rows = gates.shape[0]
    H = dhz.shape[1]
    one = np.float32(1)
    for n in range(rows):
        gr, dxr, dhr_ = gates[n], dgates_x[n], dgates_h[n]
        gyr, dpr, dzr, hp, nh = gy[n], dh_prev[n], dhz[n], h_prev[n], n_hid[n]
        for j in range(H):
            r, z, nn = gr[j], gr[H + j], gr[2 * H + j]
            dh = gyr[j] + dpr[j] + dzr[j]
            dn = dh * (one - nn * nn) * (one - z)
            dz = dh * (hp[j] - nn) * (z * (one - z))
            dr = dn * nh[j] * (r * (one - r))
            dxr[j], dxr[H + j], dxr[2 * H + j] = dr, dz, dn
            dhr_[j], dhr_[H + j], dhr_[2 * H + j] = dr, dz, r * dn
            dzr[j] = dh * z
