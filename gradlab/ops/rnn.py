"""Recurrent layers: a whole sequence of one layer and one direction as one autograd Function.

Forward (source 004 §2.1-2.8): one GEMM projects the inputs of all T steps at once,
``x W_ih^T + b`` of shape (T, N, gates * H); then each step does ONE hidden GEMM for all
gates, ``h_{t-1} W_hh^T``, and a handful of in-place elementwise calls on preallocated (T, N, .)
arrays, which are exactly what backward needs (gate activations, cell states, outputs).

Backward is back-propagation through time written out (source 004 §2.3), one step at a time
from the last: the gradient ``dh_prev`` is carried from step t to step t-1 through ``W_hh``
(and ``dc`` through the cell state for the LSTM), the pre-activation gradients of every step are
written into one (T, N, gates * H) array ``dgates_seq``, and after the loop three GEMMs over
all steps give

- ``dW_ih = dgates^T x``, ``dx = dgates W_ih`` (all steps at once),
- ``dW_hh = dgates^T h_prev`` (the hidden-to-hidden gradient, summed over steps by the GEMM),
- ``db = 1^T dgates``.

Names: ``*_seq`` is a (T, N, .) array over all steps, the same name without it one step's rows
of it; gate blocks are views named after their gate (``i, f, o, g``; ``r, z, n``). States are
stored with one extra time slot holding ``h_0`` (slot 0 going forward, slot T going backward),
so the previous states of all steps are a contiguous view, not a copy.

Variable lengths (``batch_sizes``, PyTorch's packed layout): the batch is sorted by length,
longest first, and step t updates only its first ``batch_sizes[t]`` rows. Padded steps neither
change a sequence's state nor receive gradient; padded outputs are zero.

Gate orders are PyTorch's: LSTM (i, f, g, o), GRU (r, z, n). The LSTM computes internally in
the order (i, f, o, g) so that its three sigmoids are one call on a contiguous block; weights
are permuted on entry and their gradients permuted back.

Fused kernels: for float32 arrays, when ``gradlab._jit.enabled()``, the LSTM and GRU layers
(PyTorch's GRU form) run each step's gate arithmetic as one numba kernel
(``gradlab/ops/_rnn_kernels.py``) between the same NumPy GEMMs, saving the same arrays; the
NumPy code below stays the reference (float64, and ``GRADLAB_JIT=0``). The choice is made once
per forward or backward call.

Per-step temporaries come from this module's workspace (``gradlab/_workspace.py``: fresh
arrays cost page faults, DESIGN.md "Speed"); everything saved for backward is allocated per call.

Shapes: x (T, N, I); h0, c0 (N, H); w_ih (gates H, I); w_hh (gates H, H); b_ih, b_hh
(gates H,) or None; output (T, N, H); h_n, c_n (N, H). gates = 1 (RNN), 4 (LSTM), 3 (GRU).
"""

from __future__ import annotations

import numpy as np

from .. import _jit
from .._workspace import Workspace
from ..autograd import ArrayFunction

#: per-step temporaries: scratch owned by this module (see gradlab/_workspace.py)
_ws = Workspace("ops.rnn")


def _kernels(*arrays):
    """The fused kernels module when the numba kernels are on and every given array (None
    skipped) is float32, else None (the NumPy path)."""
    if not all(a is None or a.dtype == np.float32 for a in arrays) or not _jit.enabled():
        return None
    from . import _rnn_kernels
    return _rnn_kernels


def _c_copy(a: np.ndarray, dtype) -> np.ndarray:
    """A C-contiguous copy (the fused kernels' carries)."""
    return np.array(a, dtype=dtype, order="C", copy=True)


def _sigmoid_(a: np.ndarray) -> None:
    """sigma(a) in place, as 0.5 tanh(a / 2) + 0.5 (no overflow for large |a|)."""
    a *= 0.5
    np.tanh(a, out=a)
    a *= 0.5
    a += 0.5


def _blocks(a: np.ndarray, H: int, k: int) -> tuple:
    """The k gate blocks of width H of a (rows, k H) array, as views."""
    return tuple(a[:, j * H:(j + 1) * H] for j in range(k))


class _Plan:
    """Step order, rows per step and the time slots of a layer's states.

    ``h_seq`` has T + 1 slots: going forward ``h_seq[0] = h0`` and step t writes
    ``h_seq[t + 1]``; going backward ``h_seq[T] = h0`` and step t writes ``h_seq[t]``.
    """

    def __init__(self, T: int, N: int, reverse: bool, batch_sizes) -> None:
        self.T, self.N, self.reverse = T, N, reverse
        self.packed = batch_sizes is not None
        if self.packed:
            bs = [int(b) for b in batch_sizes]
            if len(bs) != T or bs[0] != N or any(a < b for a, b in zip(bs, bs[1:])):
                raise ValueError(f"batch_sizes must have length {T}, start at the batch size "
                                 f"{N} and not increase; got {bs}")
            self.ns = bs
        else:
            self.ns = [N] * T
        self.order = range(T - 1, -1, -1) if reverse else range(T)
        # packed and backward in time, a sequence starts at its own last step from h0: its
        # previous state is not the previous slot, so it goes to a separate (T, N, H) array
        self.separate_prev = self.packed and reverse

    def out_slot(self, t: int) -> int:
        return t if self.reverse else t + 1

    def prev_slot(self, t: int) -> int:
        return t + 1 if self.reverse else t

    def h0_slot(self) -> int:
        return self.T if self.reverse else 0

    def outputs(self, s_seq: np.ndarray) -> np.ndarray:
        return s_seq[:self.T] if self.reverse else s_seq[1:]

    def prevs(self, s_seq: np.ndarray) -> np.ndarray:
        return s_seq[1:] if self.reverse else s_seq[:self.T]

    def last(self, s_seq: np.ndarray) -> np.ndarray:
        """The state after each sequence's last step, (N, H)."""
        if self.reverse:
            return s_seq[0].copy()
        if not self.packed:
            return s_seq[self.T].copy()
        lengths = np.zeros(self.N, dtype=np.intp)
        for n in self.ns:
            lengths[:n] += 1
        return s_seq[lengths, np.arange(self.N)]

    def alloc(self, shape: tuple, dtype) -> np.ndarray:
        """A saved (T, N, .) array; zero where padded so padded rows add nothing to GEMMs."""
        return np.zeros(shape, dtype) if self.packed else np.empty(shape, dtype)

    def states(self, s0: np.ndarray, dtype) -> tuple:
        """(s_seq, s_prev_seq): the states with s0 in its slot, and the separate previous
        states (packed, backward in time) or None."""
        T, N, H = self.T, self.N, s0.shape[-1]
        s_seq = self.alloc((T + 1, N, H), dtype)
        s_seq[self.h0_slot()] = s0
        return s_seq, (self.alloc((T, N, H), dtype) if self.separate_prev else None)

    def prev(self, s_seq: np.ndarray, s_prev_seq, s0: np.ndarray, t: int) -> np.ndarray:
        """Forward: the previous states of step t's rows (written into s_prev_seq[t] when
        separate: a sequence that starts here takes s0, the others step t + 1's state)."""
        n = self.ns[t]
        if s_prev_seq is None:
            return s_seq[self.prev_slot(t), :n]
        m = self.ns[t + 1] if t + 1 < self.T else 0
        p = s_prev_seq[t]
        p[:m] = s_seq[t + 1, :m]
        p[m:n] = s0[m:n]
        return p[:n]

    def saved_prev(self, s_seq: np.ndarray, s_prev_seq, t: int) -> np.ndarray:
        """Backward: the previous states of step t's rows, as the forward saved them."""
        if s_prev_seq is None:
            return s_seq[self.prev_slot(t), :self.ns[t]]
        return s_prev_seq[t, :self.ns[t]]


def _project(x: np.ndarray, w: np.ndarray, b, plan: _Plan) -> np.ndarray:
    """All steps' input projections in one GEMM: (T, N, G) = x W^T + b."""
    T, N, I = x.shape
    gates_seq = plan.alloc((T, N, w.shape[0]), x.dtype)
    np.matmul(x.reshape(T * N, I), w.T, out=gates_seq.reshape(T * N, -1))
    if b is not None:
        gates_seq += b
    return gates_seq


def _weight_grads(dgates_seq, x, w_ih, h_prev_seq, need_x, need_w_ih, need_w_hh, need_b):
    """dx, dW_ih, dW_hh, db from the pre-activation gradients of all steps (three GEMMs)."""
    T, N, I = x.shape
    dgates = dgates_seq.reshape(T * N, -1)
    dx = dW_ih = dW_hh = db = None
    if need_x:
        dx = (dgates @ w_ih).reshape(T, N, I)
    if need_w_ih:
        dW_ih = dgates.T @ x.reshape(T * N, I)
    if need_w_hh:
        dW_hh = dgates.T @ h_prev_seq.reshape(T * N, -1)
    if need_b:
        db = np.ones(T * N, dtype=dgates.dtype) @ dgates
    return dx, dW_ih, dW_hh, db


class RNNLayer(ArrayFunction):
    """One layer, one direction of an Elman RNN over a whole sequence (source 004 §2.1, §2.3).

    h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), act = tanh or relu.

    Shape: x (T, N, I), h0 (N, H), w_ih (H, I), w_hh (H, H), b_ih, b_hh (H,) or None
    -> output (T, N, H), h_n (N, H). ``batch_sizes``: packed lengths (see the module doc).
    """

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, *, nonlinearity: str = "tanh",
                reverse: bool = False, batch_sizes=None):
        x = np.ascontiguousarray(x)
        T, N, _ = x.shape
        H = w_hh.shape[1]
        plan = _Plan(T, N, reverse, batch_sizes)
        b = None if b_ih is None else b_ih + b_hh
        h_seq, h_prev_seq = plan.states(h0, x.dtype)
        # the input projection x W_ih^T + b goes straight into the output slots
        pre_seq = plan.outputs(h_seq)
        np.matmul(x.reshape(T * N, -1), w_ih.T, out=pre_seq.reshape(T * N, H))
        if b is not None:
            pre_seq += b
        w_hh_T = w_hh.T
        hidden_buf = _ws.get("rnn.hidden", (N, H), x.dtype)
        relu = nonlinearity == "relu"
        for t in plan.order:
            rows = plan.ns[t]
            h_prev = plan.prev(h_seq, h_prev_seq, h0, t)
            h, hidden = h_seq[plan.out_slot(t), :rows], hidden_buf[:rows]
            # h = act(h + h_prev W_hh^T)
            np.matmul(h_prev, w_hh_T, out=hidden)
            h += hidden
            if relu:
                np.maximum(h, 0, out=h)
            else:
                np.tanh(h, out=h)
        if plan.packed:  # the projection also wrote the padded slots
            for t, rows in enumerate(plan.ns):
                pre_seq[t, rows:] = 0
        ctx.save_for_backward(x, w_ih, w_hh, h_seq, h_prev_seq)
        ctx.plan, ctx.relu = plan, relu
        return plan.outputs(h_seq), plan.last(h_seq)

    @staticmethod
    def backward(ctx, gy, ghn):
        x, w_ih, w_hh, h_seq, h_prev_seq = ctx.saved_tensors
        plan, relu = ctx.plan, ctx.relu
        T, N, _ = x.shape
        H = w_hh.shape[1]
        da_seq = plan.alloc((T, N, H), gy.dtype)
        dh_prev = ghn.astype(gy.dtype, copy=True)  # the carry: dL/dh_{t-1} through step t
        dact_buf = _ws.get("rnn.dact", (N, H), bool if relu else gy.dtype)
        for t in reversed(plan.order):
            rows = plan.ns[t]
            h, da, dact = h_seq[plan.out_slot(t), :rows], da_seq[t, :rows], dact_buf[:rows]
            # da = (dy + dh_prev) act'(h); tanh' = 1 - h^2, relu' = [h > 0]
            np.add(gy[t, :rows], dh_prev[:rows], out=da)
            if relu:
                np.greater(h, 0, out=dact)
            else:
                np.multiply(h, h, out=dact)
                np.subtract(1, dact, out=dact)
            da *= dact
            # dh_prev = da W_hh
            np.matmul(da, w_hh, out=dh_prev[:rows])
        h_prev_seq = h_prev_seq if h_prev_seq is not None else plan.prevs(h_seq)
        need = ctx.needs_input_grad
        dx, dW_ih, dW_hh, db = _weight_grads(da_seq, x, w_ih, h_prev_seq, need[0], need[2],
                                             need[3], need[4] or need[5])
        return dx, dh_prev, dW_ih, dW_hh, db, db


class LSTMLayer(ArrayFunction):
    """One layer, one direction of an LSTM over a whole sequence (source 004 §2.6).

    i, f, o = sigma(W_i* x_t + b_i* + W_h* h_{t-1} + b_h*); g = tanh(same with the g rows);
    c_t = f * c_{t-1} + i * g;  h_t = o * tanh(c_t).  Gate rows in PyTorch's order (i, f, g, o).

    Shape: x (T, N, I), h0, c0 (N, H), w_ih (4H, I), w_hh (4H, H), b_ih, b_hh (4H,) or None
    -> output (T, N, H), h_n (N, H), c_n (N, H).
    """

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, *, reverse: bool = False,
                batch_sizes=None):
        x = np.ascontiguousarray(x)
        T, N, _ = x.shape
        H = w_hh.shape[1]
        plan = _Plan(T, N, reverse, batch_sizes)
        # internal gate order (i, f, o, g): the three sigmoid gates are one contiguous block
        perm = np.r_[0:2 * H, 3 * H:4 * H, 2 * H:3 * H]
        w_ih_p, w_hh_p = w_ih[perm], w_hh[perm]
        b = None if b_ih is None else (b_ih + b_hh)[perm]
        # sigma(a) = (tanh(a / 2) + 1) / 2: the sigmoid rows of the weights and bias are
        # halved (exact in binary floating point), so both GEMMs give a / 2 for those gates
        # and ONE tanh call per step covers all four gates
        half = np.ones(4 * H, dtype=w_ih_p.dtype)
        half[:3 * H] = 0.5
        gates_seq = _project(x, w_ih_p * half[:, None], None if b is None else b * half, plan)
        h_seq, h_prev_seq = plan.states(h0, x.dtype)
        c_seq, c_prev_seq = plan.states(c0, x.dtype)
        tanh_c_seq = plan.alloc((T, N, H), x.dtype)
        w_hh_T = np.ascontiguousarray((w_hh_p * half[:, None]).T)  # GEMMs run faster on it
        hidden_buf = _ws.get("lstm.hidden", (N, 4 * H), x.dtype)
        kern = _kernels(x, h0, c0, w_ih, w_hh, b_ih, b_hh)
        if kern is not None:
            _lstm_forward_fused(kern, plan, h0, c0, w_hh_T, gates_seq, h_seq, h_prev_seq, c_seq,
                                c_prev_seq, tanh_c_seq, hidden_buf)
        else:
            ig_buf = _ws.get("lstm.ig", (N, H), x.dtype)
            for t in plan.order:
                rows = plan.ns[t]
                h_prev = plan.prev(h_seq, h_prev_seq, h0, t)
                c_prev = plan.prev(c_seq, c_prev_seq, c0, t)
                gates, hidden, ig = gates_seq[t, :rows], hidden_buf[:rows], ig_buf[:rows]
                i, f, o, g = _blocks(gates, H, 4)
                c, tanh_c = c_seq[plan.out_slot(t), :rows], tanh_c_seq[t, :rows]
                # i, f, o = (tanh(a / 2) + 1) / 2, g = tanh(a), a = the input part + h_prev W_hh^T
                np.matmul(h_prev, w_hh_T, out=hidden)
                gates += hidden
                np.tanh(gates, out=gates)
                sig = gates[:, :3 * H]
                sig *= 0.5
                sig += 0.5
                # c = f c_prev + i g
                np.multiply(f, c_prev, out=c)
                np.multiply(i, g, out=ig)
                c += ig
                # h = o tanh(c)
                np.tanh(c, out=tanh_c)
                np.multiply(o, tanh_c, out=h_seq[plan.out_slot(t), :rows])
        ctx.save_for_backward(x, w_ih_p, w_hh_p, gates_seq, h_seq, c_seq, tanh_c_seq,
                              h_prev_seq, c_prev_seq)
        ctx.plan, ctx.perm = plan, perm
        return plan.outputs(h_seq), plan.last(h_seq), plan.last(c_seq)

    @staticmethod
    def backward(ctx, gy, ghn, gcn):
        x, w_ih_p, w_hh_p, gates_seq, h_seq, c_seq, tanh_c_seq, h_prev_seq, c_prev_seq = \
            ctx.saved_tensors
        plan = ctx.plan
        kern = _kernels(gy, ghn, gcn, gates_seq)
        if kern is not None:
            dgates_seq, dh_prev, dc_prev = _lstm_backward_fused(
                kern, plan, gy, ghn, gcn, w_hh_p, gates_seq, c_seq, tanh_c_seq, c_prev_seq)
        else:
            dgates_seq, dh_prev, dc_prev = LSTMLayer._backward_steps(
                plan, gy, ghn, gcn, w_hh_p, gates_seq, c_seq, tanh_c_seq, c_prev_seq)
        need = ctx.needs_input_grad
        h_prev_seq = h_prev_seq if h_prev_seq is not None else plan.prevs(h_seq)
        dx, dW_ih, dW_hh, db = _weight_grads(dgates_seq, x, w_ih_p, h_prev_seq, need[0],
                                             need[3], need[4], need[5] or need[6])
        back = np.argsort(ctx.perm)  # (i, f, o, g) -> PyTorch's (i, f, g, o)
        dW_ih = None if dW_ih is None else dW_ih[back]
        dW_hh = None if dW_hh is None else dW_hh[back]
        db = None if db is None else db[back]
        return dx, dh_prev, dc_prev, dW_ih, dW_hh, db, db

    @staticmethod
    def _backward_steps(plan, gy, ghn, gcn, w_hh_p, gates_seq, c_seq, tanh_c_seq, c_prev_seq):
        """The NumPy loop of backward: (dgates_seq, dh_0, dc_0)."""
        T, N, H = tanh_c_seq.shape
        # Everything that does not depend on the carried gradients is computed for all
        # steps at once, before the loop (a few passes over (T, N, .) arrays instead of many
        # small per-step calls): dgates_seq first holds each gate's local derivative
        #   i: g sigma'(i),  f: c_prev sigma'(f),  o: tanh(c) sigma'(o),  g: i (1 - g^2)
        # with sigma' = s (1 - s), and dc_h_seq = o (1 - tanh(c)^2), dc's share of dh.
        dgates_seq = np.empty((T, N, 4 * H), gy.dtype)
        i_s, f_s, o_s, g_s = (gates_seq[..., j * H:(j + 1) * H] for j in range(4))
        di_s, df_s, do_s, dg_s = (dgates_seq[..., j * H:(j + 1) * H] for j in range(4))
        sig, dsig = gates_seq[..., :3 * H], dgates_seq[..., :3 * H]
        np.subtract(1, sig, out=dsig)
        dsig *= sig
        di_s *= g_s
        df_s *= c_prev_seq if c_prev_seq is not None else plan.prevs(c_seq)
        do_s *= tanh_c_seq
        np.multiply(g_s, g_s, out=dg_s)
        np.subtract(1, dg_s, out=dg_s)
        dg_s *= i_s
        dc_h_seq = np.multiply(tanh_c_seq, tanh_c_seq)
        np.subtract(1, dc_h_seq, out=dc_h_seq)
        dc_h_seq *= o_s
        if plan.packed:  # padded rows receive no gradient
            for t in range(T):
                dgates_seq[t, plan.ns[t]:] = 0
        dh_prev = ghn.astype(gy.dtype, copy=True)  # the carries: dL/dh_{t-1}, dL/dc_{t-1}
        dc_prev = gcn.astype(gy.dtype, copy=True)  # through step t
        dh_buf = _ws.get("lstm.dh", (N, H), gy.dtype)
        dc_h_buf = _ws.get("lstm.dc_h", (N, H), gy.dtype)
        for t in reversed(plan.order):
            rows = plan.ns[t]
            f, dgates = gates_seq[t, :rows, H:2 * H], dgates_seq[t, :rows]
            dh, dc_h, dc = dh_buf[:rows], dc_h_buf[:rows], dc_prev[:rows]
            # dh = dy + dh_prev;  dc += dh o (1 - tanh(c)^2)
            np.add(gy[t, :rows], dh_prev[:rows], out=dh)
            np.multiply(dh, dc_h_seq[t, :rows], out=dc_h)
            dc += dc_h
            # di, df = dc * local (one broadcast call), dg = dc * local, do = dh * local
            dif = dgates.reshape(rows, 4, H)[:, :2]
            dif *= dc[:, None, :]
            dgates[:, 3 * H:] *= dc
            dgates[:, 2 * H:3 * H] *= dh
            # dc_prev = dc f;  dh_prev = dgates W_hh
            dc *= f
            np.matmul(dgates, w_hh_p, out=dh_prev[:rows])
        return dgates_seq, dh_prev, dc_prev


def _lstm_forward_fused(kern, plan, h0, c0, w_hh_T, gates_seq, h_seq, h_prev_seq, c_seq,
                        c_prev_seq, tanh_c_seq, hidden_buf) -> None:
    """LSTMLayer's forward loop with one fused kernel per step (the same arrays written)."""
    for t in plan.order:
        rows = plan.ns[t]
        h_prev = plan.prev(h_seq, h_prev_seq, h0, t)
        c_prev = plan.prev(c_seq, c_prev_seq, c0, t)
        slot, hidden = plan.out_slot(t), hidden_buf[:rows]
        np.matmul(h_prev, w_hh_T, out=hidden)
        kern.lstm_forward_step(gates_seq[t, :rows], hidden, c_prev, c_seq[slot, :rows],
                               tanh_c_seq[t, :rows], h_seq[slot, :rows])


def _lstm_backward_fused(kern, plan, gy, ghn, gcn, w_hh_p, gates_seq, c_seq, tanh_c_seq,
                         c_prev_seq):
    """LSTMLayer's backward loop with one fused kernel per step: (dgates_seq, dh_0, dc_0)."""
    T, N, H = tanh_c_seq.shape
    gy = np.ascontiguousarray(gy)
    dgates_seq = plan.alloc((T, N, 4 * H), gy.dtype)  # padded rows stay zero
    c_prevs = c_prev_seq if c_prev_seq is not None else plan.prevs(c_seq)
    dh_prev, dc_prev = _c_copy(ghn, gy.dtype), _c_copy(gcn, gy.dtype)  # the carries
    for t in reversed(plan.order):
        rows = plan.ns[t]
        dgates = dgates_seq[t, :rows]
        kern.lstm_backward_step(gy[t, :rows], dh_prev[:rows], dc_prev[:rows],
                                gates_seq[t, :rows], c_prevs[t, :rows], tanh_c_seq[t, :rows],
                                dgates)
        np.matmul(dgates, w_hh_p, out=dh_prev[:rows])
    return dgates_seq, dh_prev, dc_prev


def _gru_start(x, h0, w_ih, b_ih, b_hh, reverse, batch_sizes):
    """What both GRU forms set up: the plan, the input projection with the biases of r and z
    (b_hn stays out: it sits inside the reset), the states, b_hn."""
    x = np.ascontiguousarray(x)
    T, N, _ = x.shape
    H = h0.shape[-1]
    plan = _Plan(T, N, reverse, batch_sizes)
    b = None
    if b_ih is not None:
        b = b_ih.copy()
        b[:2 * H] += b_hh[:2 * H]
    gates_seq = _project(x, w_ih, b, plan)
    h_seq, h_prev_seq = plan.states(h0, x.dtype)
    b_hn = None if b_hh is None else b_hh[2 * H:]
    return x, plan, gates_seq, h_seq, h_prev_seq, b_hn


def _gru_update(h: np.ndarray, h_prev: np.ndarray, z: np.ndarray, n: np.ndarray) -> None:
    """h = (1 - z) n + z h_prev, computed as (h_prev - n) z + n."""
    np.subtract(h_prev, n, out=h)
    h *= z
    h += n


def _gru_back_n_z(dgates, dh, gates, h_prev, H, one_minus_z, dsig) -> None:
    """Both GRU forms: dn~ = dh (1 - z)(1 - n^2) and the first factor of dz~, dh (h_prev - n),
    into dgates; dsig = sigma'(r, z) = s (1 - s)."""
    _, dz, dn = _blocks(dgates, H, 3)
    rz, (_, z, n) = gates[:, :2 * H], _blocks(gates, H, 3)
    # dn~ = dh (1 - n^2) (1 - z)
    np.multiply(n, n, out=dn)
    np.subtract(1, dn, out=dn)
    dn *= dh
    np.subtract(1, z, out=one_minus_z)
    dn *= one_minus_z
    # dz~ = dh (h_prev - n), times sigma'(z) later with dr~
    np.subtract(h_prev, n, out=dz)
    dz *= dh
    # dsig = sigma'(r, z) = s (1 - s)
    np.subtract(1, rz, out=dsig)
    dsig *= rz


class GRULayer(ArrayFunction):
    """One layer, one direction of a GRU over a whole sequence, PyTorch's form (source 004 §2.8).

    r, z = sigma(W_i* x_t + b_i* + W_h* h_{t-1} + b_h*);
    n = tanh(W_in x_t + b_in + r * (W_hn h_{t-1} + b_hn)), the reset applied after the matmul
    (one hidden GEMM per step); h_t = (1 - z) * n + z * h_{t-1}. Gate rows (r, z, n).
    Cho et al.'s form, the reset before the matmul, is :class:`GRUChoLayer`.

    Shape: x (T, N, I), h0 (N, H), w_ih (3H, I), w_hh (3H, H), b_ih, b_hh (3H,) or None
    -> output (T, N, H), h_n (N, H).
    """

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, *, reverse: bool = False,
                batch_sizes=None):
        x, plan, gates_seq, h_seq, h_prev_seq, b_hn = _gru_start(x, h0, w_ih, b_ih, b_hh,
                                                                 reverse, batch_sizes)
        T, N, _ = x.shape
        H = w_hh.shape[1]
        n_hid_seq = plan.alloc((T, N, H), x.dtype)  # W_hn h_{t-1} + b_hn, for dr~
        hidden_buf = _ws.get("gru.hidden", (N, 3 * H), x.dtype)
        kern = _kernels(x, h0, w_ih, w_hh, b_ih, b_hh)
        if kern is not None:
            _gru_forward_fused(kern, plan, h0, w_hh, b_hn, gates_seq, h_seq, h_prev_seq,
                               n_hid_seq, hidden_buf)
        else:
            r_n_hid_buf = _ws.get("gru.r_n_hid", (N, H), x.dtype)
            w_hh_T = w_hh.T
            for t in plan.order:
                rows = plan.ns[t]
                h_prev = plan.prev(h_seq, h_prev_seq, h0, t)
                gates, hidden = gates_seq[t, :rows], hidden_buf[:rows]
                r, z, n = _blocks(gates, H, 3)
                n_hid = n_hid_seq[t, :rows]
                # r, z = sigma(gates + h_prev W_hrz^T): one hidden GEMM for all three blocks
                np.matmul(h_prev, w_hh_T, out=hidden)
                gates[:, :2 * H] += hidden[:, :2 * H]
                _sigmoid_(gates[:, :2 * H])
                # n = tanh(gates_n + r (h_prev W_hn^T + b_hn))
                if b_hn is not None:
                    np.add(hidden[:, 2 * H:], b_hn, out=n_hid)
                else:
                    n_hid[...] = hidden[:, 2 * H:]
                np.multiply(r, n_hid, out=r_n_hid_buf[:rows])
                n += r_n_hid_buf[:rows]
                np.tanh(n, out=n)
                _gru_update(h_seq[plan.out_slot(t), :rows], h_prev, z, n)
        ctx.save_for_backward(x, w_ih, w_hh, gates_seq, h_seq, n_hid_seq, h_prev_seq)
        ctx.plan = plan
        return plan.outputs(h_seq), plan.last(h_seq)

    @staticmethod
    def backward(ctx, gy, ghn):
        x, w_ih, w_hh, gates_seq, h_seq, n_hid_seq, h_prev_seq = ctx.saved_tensors
        plan = ctx.plan
        T, N, _ = x.shape
        H = w_hh.shape[1]
        # pre-activation gradients as the input GEMM sees them, [dr~, dz~, dn~], and as the
        # hidden GEMM does, [dr~, dz~, r dn~]
        dgates_x_seq = plan.alloc((T, N, 3 * H), gy.dtype)
        dgates_h_seq = plan.alloc((T, N, 3 * H), gy.dtype)
        kern = _kernels(gy, ghn, gates_seq)
        if kern is not None:
            dh_prev = _gru_backward_fused(kern, plan, gy, ghn, w_hh, gates_seq, h_seq, h_prev_seq,
                                          n_hid_seq, dgates_x_seq, dgates_h_seq)
        else:
            dh_prev = ghn.astype(gy.dtype, copy=True)  # the carry: dL/dh_{t-1} through step t
            dh_buf = _ws.get("gru.dh", (N, H), gy.dtype)
            tmp_buf = _ws.get("gru.tmp", (N, H), gy.dtype)
            dsig_buf = _ws.get("gru.dsig", (N, 2 * H), gy.dtype)
            for t in reversed(plan.order):
                rows = plan.ns[t]
                h_prev = plan.saved_prev(h_seq, h_prev_seq, t)
                gates, n_hid = gates_seq[t, :rows], n_hid_seq[t, :rows]
                r, z, _ = _blocks(gates, H, 3)
                dgates_x, dgates_h = dgates_x_seq[t, :rows], dgates_h_seq[t, :rows]
                dr, _, dn = _blocks(dgates_x, H, 3)
                dh, tmp, dsig = dh_buf[:rows], tmp_buf[:rows], dsig_buf[:rows]
                # dh = dy + dh_prev
                np.add(gy[t, :rows], dh_prev[:rows], out=dh)
                _gru_back_n_z(dgates_x, dh, gates, h_prev, H, tmp, dsig)
                # dr~ = dn~ (W_hn h_prev + b_hn) sigma'(r); dz~ *= sigma'(z)
                np.multiply(dn, n_hid, out=dr)
                dgates_x[:, :2 * H] *= dsig
                # dgates_h = [dr~, dz~, r dn~]; dh_prev = dgates_h W_hh + dh z
                dgates_h[:, :2 * H] = dgates_x[:, :2 * H]
                np.multiply(dn, r, out=dgates_h[:, 2 * H:])
                np.matmul(dgates_h, w_hh, out=dh_prev[:rows])
                np.multiply(dh, z, out=tmp)
                dh_prev[:rows] += tmp
        need = ctx.needs_input_grad
        h_prev_seq = h_prev_seq if h_prev_seq is not None else plan.prevs(h_seq)
        dx, dW_ih, _, db_ih = _weight_grads(dgates_x_seq, x, w_ih, None, need[0], need[2],
                                            False, need[4] or need[5])
        _, _, dW_hh, db_hh = _weight_grads(dgates_h_seq, x, None, h_prev_seq, False, False,
                                           need[3], need[5])
        return dx, dh_prev, dW_ih, dW_hh, db_ih, db_hh


def _gru_forward_fused(kern, plan, h0, w_hh, b_hn, gates_seq, h_seq, h_prev_seq, n_hid_seq,
                       hidden_buf) -> None:
    """GRULayer's forward loop with one fused kernel per step (the same arrays written)."""
    H = h0.shape[-1]
    b_hn = np.zeros(H, h0.dtype) if b_hn is None else np.ascontiguousarray(b_hn)
    w_hh_T = w_hh.T
    for t in plan.order:
        rows = plan.ns[t]
        h_prev = plan.prev(h_seq, h_prev_seq, h0, t)
        hidden = hidden_buf[:rows]
        np.matmul(h_prev, w_hh_T, out=hidden)
        kern.gru_forward_step(gates_seq[t, :rows], hidden, b_hn, h_prev, n_hid_seq[t, :rows],
                              h_seq[plan.out_slot(t), :rows])


def _gru_backward_fused(kern, plan, gy, ghn, w_hh, gates_seq, h_seq, h_prev_seq, n_hid_seq,
                        dgates_x_seq, dgates_h_seq) -> np.ndarray:
    """GRULayer's backward loop with one fused kernel per step: fills dgates_x_seq and
    dgates_h_seq, returns dh_0. The direct path dh_t z_t to h_{t-1} is carried in ``dhz``
    and added by the next step's kernel (and to dh_0 after the loop) instead of after each
    step's GEMM."""
    gy = np.ascontiguousarray(gy)
    dh_prev = _c_copy(ghn, gy.dtype)  # the carry through W_hh: dL/dh_{t-1} minus dh_t z_t
    dhz = np.zeros_like(dh_prev)
    for t in reversed(plan.order):
        rows = plan.ns[t]
        dgates_h = dgates_h_seq[t, :rows]
        kern.gru_backward_step(gy[t, :rows], dh_prev[:rows], dhz[:rows], gates_seq[t, :rows],
                               plan.saved_prev(h_seq, h_prev_seq, t), n_hid_seq[t, :rows],
                               dgates_x_seq[t, :rows], dgates_h)
        np.matmul(dgates_h, w_hh, out=dh_prev[:rows])
    dh_prev += dhz
    return dh_prev


class GRUChoLayer(ArrayFunction):
    """One layer, one direction of a GRU in Cho et al.'s form (2014; source 004 §2.8).

    r, z = sigma(W_i* x_t + b_i* + W_h* h_{t-1} + b_h*);
    n = tanh(W_in x_t + b_in + W_hn (r * h_{t-1}) + b_hn), the reset applied to h before the
    matmul (two hidden GEMMs per step); h_t = (1 - z) * n + z * h_{t-1}. Same parameters as
    :class:`GRULayer`, a different function.

    Shape: x (T, N, I), h0 (N, H), w_ih (3H, I), w_hh (3H, H), b_ih, b_hh (3H,) or None
    -> output (T, N, H), h_n (N, H).
    """

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, *, reverse: bool = False,
                batch_sizes=None):
        x, plan, gates_seq, h_seq, h_prev_seq, b_hn = _gru_start(x, h0, w_ih, b_ih, b_hh,
                                                                 reverse, batch_sizes)
        T, N, _ = x.shape
        H = w_hh.shape[1]
        rh_seq = plan.alloc((T, N, H), x.dtype)  # r * h_{t-1}, for dW_hn
        hidden_buf = _ws.get("gru_cho.hidden", (N, 3 * H), x.dtype)
        w_hrz_T, w_hn_T = w_hh[:2 * H].T, w_hh[2 * H:].T
        for t in plan.order:
            rows = plan.ns[t]
            h_prev = plan.prev(h_seq, h_prev_seq, h0, t)
            gates, hidden = gates_seq[t, :rows], hidden_buf[:rows]
            r, z, n = _blocks(gates, H, 3)
            rh = rh_seq[t, :rows]
            # r, z = sigma(gates + h_prev W_hrz^T)
            np.matmul(h_prev, w_hrz_T, out=hidden[:, :2 * H])
            gates[:, :2 * H] += hidden[:, :2 * H]
            _sigmoid_(gates[:, :2 * H])
            # n = tanh(gates_n + (r h_prev) W_hn^T + b_hn)
            np.multiply(r, h_prev, out=rh)
            np.matmul(rh, w_hn_T, out=hidden[:, 2 * H:])
            n += hidden[:, 2 * H:]
            if b_hn is not None:
                n += b_hn
            np.tanh(n, out=n)
            _gru_update(h_seq[plan.out_slot(t), :rows], h_prev, z, n)
        ctx.save_for_backward(x, w_ih, w_hh, gates_seq, h_seq, rh_seq, h_prev_seq)
        ctx.plan = plan
        return plan.outputs(h_seq), plan.last(h_seq)

    @staticmethod
    def backward(ctx, gy, ghn):
        x, w_ih, w_hh, gates_seq, h_seq, rh_seq, h_prev_seq = ctx.saved_tensors
        plan = ctx.plan
        T, N, _ = x.shape
        H = w_hh.shape[1]
        # [dr~, dz~, dn~]: the input GEMM's, and block by block the hidden GEMMs', gradient
        dgates_seq = plan.alloc((T, N, 3 * H), gy.dtype)
        dh_prev = ghn.astype(gy.dtype, copy=True)  # the carry: dL/dh_{t-1} through step t
        dh_buf = _ws.get("gru_cho.dh", (N, H), gy.dtype)
        tmp_buf = _ws.get("gru_cho.tmp", (N, H), gy.dtype)
        drh_buf = _ws.get("gru_cho.drh", (N, H), gy.dtype)
        dsig_buf = _ws.get("gru_cho.dsig", (N, 2 * H), gy.dtype)
        w_hrz, w_hn = w_hh[:2 * H], w_hh[2 * H:]
        for t in reversed(plan.order):
            rows = plan.ns[t]
            h_prev = plan.saved_prev(h_seq, h_prev_seq, t)
            gates, dgates = gates_seq[t, :rows], dgates_seq[t, :rows]
            r, z, _ = _blocks(gates, H, 3)
            dr, _, dn = _blocks(dgates, H, 3)
            dh, tmp, drh, dsig = dh_buf[:rows], tmp_buf[:rows], drh_buf[:rows], dsig_buf[:rows]
            # dh = dy + dh_prev
            np.add(gy[t, :rows], dh_prev[:rows], out=dh)
            _gru_back_n_z(dgates, dh, gates, h_prev, H, tmp, dsig)
            # d(rh) = dn~ W_hn; dr~ = d(rh) h_prev sigma'(r); dz~ *= sigma'(z)
            np.matmul(dn, w_hn, out=drh)
            np.multiply(drh, h_prev, out=dr)
            dgates[:, :2 * H] *= dsig
            # dh_prev = [dr~, dz~] W_hrz + d(rh) r + dh z
            np.matmul(dgates[:, :2 * H], w_hrz, out=dh_prev[:rows])
            drh *= r
            dh_prev[:rows] += drh
            np.multiply(dh, z, out=tmp)
            dh_prev[:rows] += tmp
        need = ctx.needs_input_grad
        h_prev_seq = h_prev_seq if h_prev_seq is not None else plan.prevs(h_seq)
        dx, dW_ih, _, db = _weight_grads(dgates_seq, x, w_ih, None, need[0], need[2], False,
                                         need[4] or need[5])
        dW_hh = None
        if need[3]:  # dW_hrz = [dr~, dz~]^T h_prev; dW_hn = dn~^T (r h_prev)
            TN, dgates = T * N, dgates_seq.reshape(T * N, 3 * H)
            dW_hh = np.empty_like(w_hh)
            np.matmul(dgates[:, :2 * H].T, h_prev_seq.reshape(TN, H), out=dW_hh[:2 * H])
            np.matmul(dgates[:, 2 * H:].T, rh_seq.reshape(TN, H), out=dW_hh[2 * H:])
        return dx, dh_prev, dW_ih, dW_hh, db, db
