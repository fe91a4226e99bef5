"""numba twins of the recurrent layers' per-step gate arithmetic (``gradlab/ops/rnn.py``).

Each kernel does in ONE pass over a step's rows what the NumPy reference does in many calls:
the activations of all gates, the cell and hidden states, and in backward the pre-activation
gradients of all gates. The GEMMs stay NumPy matmuls in ``rnn.py``. Imported only when
``gradlab._jit.enabled()`` (it imports numba); compiled on the first call for the argument
types it meets (``rnn.py`` passes C-contiguous float32 arrays only, so one specialization per
kernel) and cached on disk.

tanh is a rational approximation, ``tanh(x) = x P(x^2) / Q(x^2)`` for |x| <= 9, +-1 beyond,
evaluated in float64 (numba's ``math.tanh`` is a scalar libm call per element, several times
slower than NumPy's; this is one expression that LLVM vectorizes). The coefficients come from
``scripts/fit_tanh.py`` (a minimax relative-error fit); the result is within 6e-8 of float64
tanh on float32 inputs (``tests/test_jit_kernels.py`` checks <= 2.5e-7 absolute, and relative
for |x| < 1e-3). NaN stays NaN, +-0 stays +-0, +-inf gives +-1. sigma(a) = (tanh(a / 2) + 1) / 2,
as in the reference. Evaluated in float32 the same formula runs about 2.5x faster but its
rounding errors reach 3.5e-7.

The kernels are a few simple loops per row, each one expression over the gate columns, so
that LLVM vectorizes each (one loop that reads and writes many arrays stayed scalar).
``error_model="numpy"``: numba's default error model checks every float division for zero, a
branch that keeps LLVM from vectorizing the loop.

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


@njit(cache=True, error_model="numpy")
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
    H3 = 3 * H
    for n in range(rows):
        for k in range(4 * H):
            y = _tanh(float(gates[n, k] + hidden[n, k]))
            gates[n, k] = np.float32(0.5 * y + 0.5 if k < H3 else y)
        for j in range(H):
            c[n, j] = gates[n, H + j] * c_prev[n, j] + gates[n, j] * gates[n, H3 + j]
        for j in range(H):
            tanh_c[n, j] = np.float32(_tanh(float(c[n, j])))
        for j in range(H):
            h[n, j] = gates[n, 2 * H + j] * tanh_c[n, j]


@njit(cache=True, error_model="numpy")
def lstm_backward_step(gy, dh_prev, dc, gates, c_prev, tanh_c, dgates):
    """One LSTM step backward. With dh = gy + dh_prev: dc += dh o (1 - tanh(c)^2), then the
    pre-activation gradients (order i, f, o, g; d/da of the full pre-activation)
    di = dc g i (1 - i), df = dc c_prev f (1 - f), do = dh tanh(c) o (1 - o),
    dg = dc i (1 - g^2) go to dgates, and dc becomes dc f (the carry to step t - 1)."""
    rows = gates.shape[0]
    H = dc.shape[1]
    one = np.float32(1)
    for n in range(rows):
        for j in range(H):
            i, f, o, g = gates[n, j], gates[n, H + j], gates[n, 2 * H + j], gates[n, 3 * H + j]
            tc = tanh_c[n, j]
            dh = gy[n, j] + dh_prev[n, j]
            d = dc[n, j] + dh * o * (one - tc * tc)
            dgates[n, j] = d * g * i * (one - i)
            dgates[n, H + j] = d * c_prev[n, j] * f * (one - f)
            dgates[n, 2 * H + j] = dh * tc * o * (one - o)
            dgates[n, 3 * H + j] = d * i * (one - g * g)
            dc[n, j] = d * f


@njit(cache=True, error_model="numpy")
def gru_forward_step(gates, hidden, b_hn, h_prev, n_hid, h):
    """One GRU step (PyTorch's form). gates holds the input projection (r, z, n) with the
    biases of r and z, hidden = h_prev W_hh^T; on return gates holds r, z = sigma(a),
    n = tanh(gates_n + r n_hid), n_hid = hidden_n + b_hn, and h = (h_prev - n) z + n."""
    rows = gates.shape[0]
    H = h.shape[1]
    for n in range(rows):
        for k in range(2 * H):  # sigma(a) = (tanh(a / 2) + 1) / 2
            gates[n, k] = np.float32(0.5 * _tanh(0.5 * float(gates[n, k] + hidden[n, k])) + 0.5)
        for j in range(H):
            n_hid[n, j] = hidden[n, 2 * H + j] + b_hn[j]
        for j in range(H):
            gates[n, 2 * H + j] = np.float32(_tanh(float(gates[n, 2 * H + j]
                                                         + gates[n, j] * n_hid[n, j])))
        for j in range(H):
            nn = gates[n, 2 * H + j]
            h[n, j] = (h_prev[n, j] - nn) * gates[n, H + j] + nn


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
        for j in range(H):
            r, z, nn = gates[n, j], gates[n, H + j], gates[n, 2 * H + j]
            dh = gy[n, j] + dh_prev[n, j] + dhz[n, j]
            dn = dh * (one - nn * nn) * (one - z)
            dz = dh * (h_prev[n, j] - nn) * (z * (one - z))
            dr = dn * n_hid[n, j] * (r * (one - r))
            dgates_x[n, j] = dr
            dgates_x[n, H + j] = dz
            dgates_x[n, 2 * H + j] = dn
            dgates_h[n, j] = dr
            dgates_h[n, H + j] = dz
            dgates_h[n, 2 * H + j] = r * dn
            dhz[n, j] = dh * z
