"""Recurrent layers: a whole sequence of one layer and one direction as one autograd Function.

Forward (source 004 §2.1-2.8): one GEMM projects the inputs of all T steps at once,
``G = X W_ih^T + b`` of shape (T, N, gates * H); then each step does ONE hidden GEMM for all
gates, ``h_{t-1} W_hh^T``, and a handful of in-place elementwise calls on preallocated (T, N, .)
arrays, which are exactly what backward needs (gate activations, cell states, outputs).

Backward is back-propagation through time written out (source 004 §2.3): a gradient ``delta``
is carried from step t to step t-1 through ``W_hh`` (and through the cell state for the LSTM),
the pre-activation gradients of every step are written into one (T, N, gates * H) array, and
after the loop three GEMMs over all steps give

- ``dW_ih = dG^T X``, ``dX = dG W_ih`` (all steps at once),
- ``dW_hh = dG^T H_prev`` (the hidden-to-hidden gradient, summed over steps by the GEMM),
- ``db = 1^T dG``.

Outputs are stored with one extra time slot holding ``h_0`` (slot 0 going forward, slot T
going backward), so ``H_prev`` of all steps is a contiguous view, not a copy.

Variable lengths (``batch_sizes``, PyTorch's packed layout): the batch is sorted by length,
longest first, and step t updates only its first ``batch_sizes[t]`` rows. Padded steps neither
change a sequence's state nor receive gradient; padded outputs are zero.

Gate orders are PyTorch's: LSTM (i, f, g, o), GRU (r, z, n). The LSTM computes internally in
the order (i, f, o, g) so that its three sigmoids are one call on a contiguous block; weights
are permuted on entry and their gradients permuted back.

Shapes: x (T, N, I); h0, c0 (N, H); w_ih (gates H, I); w_hh (gates H, H); b_ih, b_hh
(gates H,) or None; output (T, N, H); h_n, c_n (N, H). gates = 1 (RNN), 4 (LSTM), 3 (GRU).
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function

_workspace: dict = {}


def _scratch(key: str, shape: tuple, dtype) -> np.ndarray:
    """An uninitialised array backed by a buffer reused across calls (per-step temporaries
    only: fresh arrays cost page faults, DESIGN.md "Speed")."""
    dtype = np.dtype(dtype)
    size = int(np.prod(shape))
    buf = _workspace.get((key, dtype))
    if buf is None or buf.size < size:
        buf = _workspace[(key, dtype)] = np.empty(size, dtype)
    return buf[:size].reshape(shape)


def _sigmoid_(a: np.ndarray) -> None:
    """sigma(a) in place, as 0.5 tanh(a / 2) + 0.5 (no overflow for large |a|)."""
    a *= 0.5
    np.tanh(a, out=a)
    a *= 0.5
    a += 0.5


class _Plan:
    """Step order, rows per step and the time slots of a layer's outputs and previous states.

    ``Y`` has T + 1 slots: going forward ``Y[0] = h0`` and step t writes ``Y[t + 1]``; going
    backward ``Y[T] = h0`` and step t writes ``Y[t]``.
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
        # previous state is not the previous slot of Y, so it goes to a separate (T, N, H)
        self.separate_prev = self.packed and reverse

    def out_slot(self, t: int) -> int:
        return t if self.reverse else t + 1

    def prev_slot(self, t: int) -> int:
        return t + 1 if self.reverse else t

    def h0_slot(self) -> int:
        return self.T if self.reverse else 0

    def outputs(self, Y: np.ndarray) -> np.ndarray:
        return Y[:self.T] if self.reverse else Y[1:]

    def prevs(self, Y: np.ndarray) -> np.ndarray:
        return Y[1:] if self.reverse else Y[:self.T]

    def last(self, Y: np.ndarray) -> np.ndarray:
        """The state after each sequence's last step, (N, H)."""
        if self.reverse:
            return Y[0].copy()
        if not self.packed:
            return Y[self.T].copy()
        lengths = np.zeros(self.N, dtype=np.intp)
        for n in self.ns:
            lengths[:n] += 1
        return Y[lengths, np.arange(self.N)]

    def alloc(self, shape: tuple, dtype) -> np.ndarray:
        """A saved (T, N, .) array; zero where padded so padded rows add nothing to GEMMs."""
        return np.zeros(shape, dtype) if self.packed else np.empty(shape, dtype)

    def fill_prev(self, P: np.ndarray, Y: np.ndarray, s0: np.ndarray, t: int) -> np.ndarray:
        """Packed, backward in time: the previous states of step t's rows, into P[t]."""
        n = self.ns[t]
        m = self.ns[t + 1] if t + 1 < self.T else 0
        p = P[t]
        p[:m] = Y[t + 1, :m]
        p[m:n] = s0[m:n]
        return p


def _project(x: np.ndarray, w: np.ndarray, b, plan: _Plan) -> np.ndarray:
    """All steps' input projections in one GEMM: (T, N, G) = x W^T + b."""
    T, N, I = x.shape
    G = plan.alloc((T, N, w.shape[0]), x.dtype)
    np.matmul(x.reshape(T * N, I), w.T, out=G.reshape(T * N, -1))
    if b is not None:
        G += b
    return G


def _weight_grads(ctx, dG, x, w_ih, hprev, needs, w_idx: int):
    """dx, dW_ih, dW_hh, db from the pre-activation gradients of all steps (three GEMMs)."""
    T, N, I = x.shape
    dGf = dG.reshape(T * N, -1)
    dx = dW_ih = dW_hh = db = None
    if needs[0]:
        dx = (dGf @ w_ih).reshape(T, N, I)
    if needs[w_idx]:
        dW_ih = dGf.T @ x.reshape(T * N, I)
    if needs[w_idx + 1]:
        dW_hh = dGf.T @ hprev.reshape(T * N, -1)
    if needs[w_idx + 2] or needs[w_idx + 3]:
        db = np.ones(T * N, dtype=dG.dtype) @ dGf
    return dx, dW_ih, dW_hh, db


class RNNLayer(Function):
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
        Y = plan.alloc((T + 1, N, H), x.dtype)
        Y[plan.h0_slot()] = h0
        P = plan.alloc((T, N, H), x.dtype) if plan.separate_prev else None
        # the input projection is added into the output slots: no (T, N, H) temporary
        Z = plan.outputs(Y)
        np.matmul(x.reshape(T * N, -1), w_ih.T, out=Z.reshape(T * N, H))
        if b is not None:
            Z += b
        whhT = w_hh.T
        tmp = _scratch("rnn.h", (N, H), x.dtype)
        relu = nonlinearity == "relu"
        for t in plan.order:
            n = plan.ns[t]
            hp = plan.fill_prev(P, Y, h0, t)[:n] if P is not None else Y[plan.prev_slot(t), :n]
            a = Y[plan.out_slot(t), :n]
            np.matmul(hp, whhT, out=tmp[:n])
            a += tmp[:n]
            if relu:
                np.maximum(a, 0, out=a)
            else:
                np.tanh(a, out=a)
        if plan.packed:  # the projection also wrote the padded slots
            for t, n in enumerate(plan.ns):
                Z[t, n:] = 0
        ctx.save_for_backward(x, w_ih, w_hh, Y, P)
        ctx.plan, ctx.relu, ctx.has_bias = plan, relu, b_ih is not None
        return plan.outputs(Y), plan.last(Y)

    # tanh: da_t = dh_t (1 - h_t^2); relu: da_t = dh_t [h_t > 0]; dh_{t-1} += da_t W_hh
    @staticmethod
    def backward(ctx, gy, ghn):
        x, w_ih, w_hh, Y, P = ctx.saved_tensors
        plan, relu = ctx.plan, ctx.relu
        T, N, _ = x.shape
        H = w_hh.shape[1]
        dA = plan.alloc((T, N, H), gy.dtype)
        carry = ghn.astype(gy.dtype, copy=True)
        tmp = _scratch("rnn.bh", (N, H), gy.dtype)
        mask = _scratch("rnn.mask", (N, H), bool) if relu else None
        for t in reversed(plan.order):
            n = plan.ns[t]
            y = Y[plan.out_slot(t), :n]
            da = dA[t, :n]
            np.add(gy[t, :n], carry[:n], out=da)
            if relu:
                np.greater(y, 0, out=mask[:n])
                da *= mask[:n]
            else:
                np.multiply(y, y, out=tmp[:n])
                np.subtract(1, tmp[:n], out=tmp[:n])
                da *= tmp[:n]
            np.matmul(da, w_hh, out=carry[:n])
        hprev = P if P is not None else plan.prevs(Y)
        dx, dW_ih, dW_hh, db = _weight_grads(ctx, dA, x, w_ih, hprev, ctx.needs_input_grad, 2)
        return dx, carry, dW_ih, dW_hh, db, db


class LSTMLayer(Function):
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
        # internal gate order (i, f, o, g): one sigmoid call on the first 3H columns
        perm = np.r_[0:2 * H, 3 * H:4 * H, 2 * H:3 * H]
        w_ih_p, w_hh_p = w_ih[perm], w_hh[perm]
        b = None if b_ih is None else (b_ih + b_hh)[perm]
        G = _project(x, w_ih_p, b, plan)
        Y = plan.alloc((T + 1, N, H), x.dtype)
        C = plan.alloc((T + 1, N, H), x.dtype)
        TC = plan.alloc((T, N, H), x.dtype)
        Y[plan.h0_slot()] = h0
        C[plan.h0_slot()] = c0
        P = plan.alloc((T, N, H), x.dtype) if plan.separate_prev else None
        PC = plan.alloc((T, N, H), x.dtype) if plan.separate_prev else None
        whhT = w_hh_p.T
        tmp = _scratch("lstm.g", (N, 4 * H), x.dtype)
        tmpH = _scratch("lstm.h", (N, H), x.dtype)
        for t in plan.order:
            n = plan.ns[t]
            if P is not None:
                hp = plan.fill_prev(P, Y, h0, t)[:n]
                cp = plan.fill_prev(PC, C, c0, t)[:n]
            else:
                hp = Y[plan.prev_slot(t), :n]
                cp = C[plan.prev_slot(t), :n]
            g = G[t, :n]
            np.matmul(hp, whhT, out=tmp[:n])
            g += tmp[:n]
            _sigmoid_(g[:, :3 * H])
            gg = g[:, 3 * H:]
            np.tanh(gg, out=gg)
            c = C[plan.out_slot(t), :n]
            np.multiply(g[:, H:2 * H], cp, out=c)
            np.multiply(g[:, :H], gg, out=tmpH[:n])
            c += tmpH[:n]
            tc = TC[t, :n]
            np.tanh(c, out=tc)
            np.multiply(g[:, 2 * H:3 * H], tc, out=Y[plan.out_slot(t), :n])
        ctx.save_for_backward(x, w_ih_p, w_hh_p, G, Y, C, TC, P, PC)
        ctx.plan, ctx.perm = plan, perm
        return plan.outputs(Y), plan.last(Y), plan.last(C)

    # dc_t = dc_{t+1} f_{t+1} + dh_t o (1 - tanh^2 c_t); di = dc g; df = dc c_{t-1};
    # do = dh tanh c_t; dg = dc i; each times its activation's derivative; dh_{t-1} = dG W_hh
    @staticmethod
    def backward(ctx, gy, ghn, gcn):
        x, w_ih_p, w_hh_p, G, Y, C, TC, P, PC = ctx.saved_tensors
        plan = ctx.plan
        T, N, _ = x.shape
        H = w_hh_p.shape[1]
        dG = plan.alloc((T, N, 4 * H), gy.dtype)
        ch = ghn.astype(gy.dtype, copy=True)
        cc = gcn.astype(gy.dtype, copy=True)
        dhb = _scratch("lstm.dh", (N, H), gy.dtype)
        tmpH = _scratch("lstm.bh", (N, H), gy.dtype)
        ds = _scratch("lstm.ds", (N, 3 * H), gy.dtype)
        for t in reversed(plan.order):
            n = plan.ns[t]
            cp = PC[t, :n] if PC is not None else C[plan.prev_slot(t), :n]
            g = G[t, :n]
            i, f, o, gg = g[:, :H], g[:, H:2 * H], g[:, 2 * H:3 * H], g[:, 3 * H:]
            tc = TC[t, :n]
            dh = dhb[:n]
            np.add(gy[t, :n], ch[:n], out=dh)
            tmp = tmpH[:n]
            np.multiply(tc, tc, out=tmp)
            np.subtract(1, tmp, out=tmp)
            tmp *= o
            tmp *= dh
            dc = cc[:n]
            dc += tmp
            d = dG[t, :n]
            np.multiply(dc, gg, out=d[:, :H])
            np.multiply(dc, cp, out=d[:, H:2 * H])
            np.multiply(dh, tc, out=d[:, 2 * H:3 * H])
            s = g[:, :3 * H]
            np.subtract(1, s, out=ds[:n])
            ds[:n] *= s
            d[:, :3 * H] *= ds[:n]
            dgg = d[:, 3 * H:]
            np.multiply(gg, gg, out=dgg)
            np.subtract(1, dgg, out=dgg)
            dgg *= i
            dgg *= dc
            dc *= f
            np.matmul(d, w_hh_p, out=ch[:n])
        needs = ctx.needs_input_grad
        hprev = P if P is not None else plan.prevs(Y)
        dx, dW_ih, dW_hh, db = _weight_grads(ctx, dG, x, w_ih_p, hprev, needs, 3)
        inv = np.argsort(ctx.perm)
        dW_ih = None if dW_ih is None else dW_ih[inv]
        dW_hh = None if dW_hh is None else dW_hh[inv]
        db = None if db is None else db[inv]
        return dx, ch, cc, dW_ih, dW_hh, db, db


class GRULayer(Function):
    """One layer, one direction of a GRU over a whole sequence (source 004 §2.8).

    r, z = sigma(W_i* x_t + b_i* + W_h* h_{t-1} + b_h*);
    PyTorch's form (default): n = tanh(W_in x_t + b_in + r * (W_hn h_{t-1} + b_hn));
    ``cho=True``, Cho et al. 2014 / source 004 §2.8: n = tanh(W_in x_t + b_in + W_hn (r * h_{t-1})
    + b_hn), the reset gate applied to h before the matmul (two hidden GEMMs per step);
    h_t = (1 - z) * n + z * h_{t-1} in both. Gate rows in PyTorch's order (r, z, n).

    Shape: x (T, N, I), h0 (N, H), w_ih (3H, I), w_hh (3H, H), b_ih, b_hh (3H,) or None
    -> output (T, N, H), h_n (N, H).
    """

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, *, reverse: bool = False,
                batch_sizes=None, cho: bool = False):
        x = np.ascontiguousarray(x)
        T, N, _ = x.shape
        H = w_hh.shape[1]
        plan = _Plan(T, N, reverse, batch_sizes)
        b = None
        if b_ih is not None:
            b = b_ih.copy()
            b[:2 * H] += b_hh[:2 * H]  # r and z add both biases; b_hn sits inside r * (.)
        G = _project(x, w_ih, b, plan)
        Y = plan.alloc((T + 1, N, H), x.dtype)
        Y[plan.h0_slot()] = h0
        P = plan.alloc((T, N, H), x.dtype) if plan.separate_prev else None
        # PyTorch's form keeps W_hn h + b_hn per step; Cho's keeps r * h
        HN = plan.alloc((T, N, H), x.dtype)
        b_hn = None if b_hh is None else b_hh[2 * H:]
        tmp = _scratch("gru.g", (N, 3 * H), x.dtype)
        tmpH = _scratch("gru.h", (N, H), x.dtype)
        whhT = w_hh.T
        whh_rzT, whh_nT = w_hh[:2 * H].T, w_hh[2 * H:].T
        for t in plan.order:
            n = plan.ns[t]
            hp = plan.fill_prev(P, Y, h0, t)[:n] if P is not None else Y[plan.prev_slot(t), :n]
            g = G[t, :n]
            rz, r, z, nn = g[:, :2 * H], g[:, :H], g[:, H:2 * H], g[:, 2 * H:]
            hn = HN[t, :n]
            if cho:
                np.matmul(hp, whh_rzT, out=tmp[:n, :2 * H])
                rz += tmp[:n, :2 * H]
                _sigmoid_(rz)
                np.multiply(r, hp, out=hn)
                np.matmul(hn, whh_nT, out=tmpH[:n])
                nn += tmpH[:n]
                if b_hn is not None:
                    nn += b_hn
            else:
                gh = tmp[:n]
                np.matmul(hp, whhT, out=gh)
                rz += gh[:, :2 * H]
                _sigmoid_(rz)
                if b_hn is not None:
                    np.add(gh[:, 2 * H:], b_hn, out=hn)
                else:
                    hn[...] = gh[:, 2 * H:]
                np.multiply(r, hn, out=tmpH[:n])
                nn += tmpH[:n]
            np.tanh(nn, out=nn)
            y = Y[plan.out_slot(t), :n]
            np.subtract(hp, nn, out=y)
            y *= z
            y += nn
        ctx.save_for_backward(x, w_ih, w_hh, G, Y, HN, P)
        ctx.plan, ctx.cho = plan, cho
        return plan.outputs(Y), plan.last(Y)

    # dn~ = dh (1 - z)(1 - n^2); dz~ = dh (h_{t-1} - n) z (1 - z);
    # torch: dr~ = dn~ (W_hn h + b_hn) r (1 - r); dh_{t-1} = dh z + [dr~, dz~, r dn~] W_hh
    # cho:   d(rh) = dn~ W_hn; dr~ = d(rh) h r (1 - r); dh_{t-1} = dh z + d(rh) r + [dr~, dz~] W_hrz
    @staticmethod
    def backward(ctx, gy, ghn):
        x, w_ih, w_hh, G, Y, HN, P = ctx.saved_tensors
        plan, cho = ctx.plan, ctx.cho
        T, N, _ = x.shape
        H = w_hh.shape[1]
        dGI = plan.alloc((T, N, 3 * H), gy.dtype)
        # the hidden GEMM's pre-activation gradient differs from dGI only in the n block
        dGH = None if cho else plan.alloc((T, N, 3 * H), gy.dtype)
        carry = ghn.astype(gy.dtype, copy=True)
        dhb = _scratch("gru.dh", (N, H), gy.dtype)
        tmpH = _scratch("gru.bh", (N, H), gy.dtype)
        drh = _scratch("gru.drh", (N, H), gy.dtype)
        ds = _scratch("gru.ds", (N, 2 * H), gy.dtype)
        w_hrz, w_hn = w_hh[:2 * H], w_hh[2 * H:]
        for t in reversed(plan.order):
            n = plan.ns[t]
            hp = P[t, :n] if P is not None else Y[plan.prev_slot(t), :n]
            g = G[t, :n]
            rz, r, z, nn = g[:, :2 * H], g[:, :H], g[:, H:2 * H], g[:, 2 * H:]
            hn = HN[t, :n]
            dh = dhb[:n]
            np.add(gy[t, :n], carry[:n], out=dh)
            d = dGI[t, :n]
            dn = d[:, 2 * H:]
            np.multiply(nn, nn, out=dn)
            np.subtract(1, dn, out=dn)
            dn *= dh
            np.subtract(1, z, out=tmpH[:n])
            dn *= tmpH[:n]
            dz = d[:, H:2 * H]
            np.subtract(hp, nn, out=dz)
            dz *= dh
            np.subtract(1, rz, out=ds[:n])
            ds[:n] *= rz
            if cho:
                np.matmul(dn, w_hn, out=drh[:n])
                np.multiply(drh[:n], hp, out=d[:, :H])
                d[:, :2 * H] *= ds[:n]
                np.matmul(d[:, :2 * H], w_hrz, out=carry[:n])
                drh[:n] *= r
                carry[:n] += drh[:n]
            else:
                np.multiply(dn, hn, out=d[:, :H])
                d[:, :2 * H] *= ds[:n]
                dgh = dGH[t, :n]
                dgh[:, :2 * H] = d[:, :2 * H]
                np.multiply(dn, r, out=dgh[:, 2 * H:])
                np.matmul(dgh, w_hh, out=carry[:n])
            np.multiply(dh, z, out=tmpH[:n])
            carry[:n] += tmpH[:n]
        needs = ctx.needs_input_grad
        hprev = P if P is not None else plan.prevs(Y)
        dx, dW_ih, _, db_ih = _weight_grads(ctx, dGI, x, w_ih, hprev, (*needs[:2], *needs[2:3],
                                            False, *needs[4:]), 2)
        dW_hh = db_hh = None
        TN = T * N
        if cho:
            dGf = dGI.reshape(TN, 3 * H)
            if needs[3]:
                dW_hh = np.empty_like(w_hh)
                np.matmul(dGf[:, :2 * H].T, hprev.reshape(TN, H), out=dW_hh[:2 * H])
                np.matmul(dGf[:, 2 * H:].T, HN.reshape(TN, H), out=dW_hh[2 * H:])
            db_hh = db_ih
        else:
            dGHf = dGH.reshape(TN, 3 * H)
            if needs[3]:
                dW_hh = dGHf.T @ hprev.reshape(TN, H)
            if needs[5]:
                db_hh = np.ones(TN, dtype=dGHf.dtype) @ dGHf
        return dx, carry, dW_ih, dW_hh, db_ih, db_hh
