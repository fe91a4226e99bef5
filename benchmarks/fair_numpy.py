"""The hand-written NumPy design of ``benchmarks/fair.py``: training steps with no autograd.

Each workload's forward and backward are written out by hand on NumPy arrays, the way a
careful NumPy programmer would write one fixed model for speed; this is the bar a library on
NumPy has to clear. Parameters arrive in PyTorch's layouts and names (``conv1.weight``
(O, C, k, k), ``lstm.weight_ih_l0`` (4H, I), ``blocks.0.bn1.weight`` (C,)), from
``fair_workloads.named_specs`` and ``raw_mlp_specs``, and are updated in place.

The design:

* convolutions compute in NHWC: im2col as one copy of a ``sliding_window_view`` taken on the
  (N, Hp, Wp * C) view of the padded input (each copied run is k * C contiguous floats), then
  one GEMM; the weight gradient is one GEMM on the same columns; the input gradient is the
  stride-1 "full" correlation of the output gradient with the flipped kernel (another im2col
  and one GEMM, no scatter-add);
* 2x2 max pooling as three ``np.maximum`` on strided views, its backward as four masked
  multiplies (every pool follows a ReLU, so the only ties are zeros, which the ReLU's
  backward zeroes anyway);
* per-channel sums (BatchNorm statistics, bias gradients of convolutions) as ``ones @ X``,
  a BLAS GEMV, far faster than ``X.sum(0)`` on a narrow C-contiguous (M, 16) array;
* the LSTM: the input projection of all time steps as one GEMM; per step one GEMM
  ``h @ W_hh^T`` and ONE ``tanh`` over all four gates, using sigmoid(x) = tanh(x / 2) / 2 + 1/2
  with the 1/2 folded into the weights; the gate derivatives computed for all steps at once
  after the forward; the weight gradients as one GEMM each over all steps after the backward
  loop (only ``dgates @ W_hh`` stays per step);
* ReLU and its backward in place, softmax cross-entropy returning its gradient directly.

Everything is float32. The step returns the loss (a Python float) computed before the update.

The benchmark's NumPy child imports this module and never gradlab; :func:`tune_allocator`
gives it the same C allocator settings that gradlab's child gets.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # fair_workloads next to this file, however it is started
    sys.path.insert(0, str(HERE))

from fair_workloads import LR  # noqa: E402

F32 = np.float32
BN_EPS = 1e-5
BN_MOMENTUM = 0.1
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3   # glibc's mallopt parameter numbers


def tune_allocator(mmap_threshold: int = 32 << 20, trim_threshold: int = 1 << 30) -> bool:
    """Let glibc's allocator keep freed memory for reuse: ``mallopt`` with M_MMAP_THRESHOLD
    (large arrays from the heap instead of a fresh ``mmap`` each) and M_TRIM_THRESHOLD (freed
    heap kept, not returned to the kernel). The same settings as gradlab's child gets (the
    defaults of ``gradlab.backend.tune_allocator``), without importing gradlab. Returns whether
    both settings took; False where the C library has no ``mallopt`` (not glibc)."""
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    ok = mallopt(_M_MMAP_THRESHOLD, int(mmap_threshold)) == 1
    return mallopt(_M_TRIM_THRESHOLD, int(trim_threshold)) == 1 and ok


def make_numpy_step(workload: str, P: dict, x: np.ndarray, y: np.ndarray
                    ) -> Callable[[], float]:
    """The hand-written step of ``workload`` on parameters ``P`` (updated in place) and the
    batch (x, y) of ``fair_workloads.make_batch``."""
    if workload in ("mlp", "mlp_raw"):
        return _numpy_mlp_step(P, x, y, raw=workload == "mlp_raw")
    builders = {"lenet": lenet_step, "lstm": lstm_step, "resnet_ish": resnet_ish_step}
    if workload not in builders:
        raise ValueError(f"make_numpy_step: no hand-written NumPy step for workload "
                         f"{workload!r}; written: {['mlp', 'mlp_raw', *builders]}")
    return builders[workload](P, x, y)


# ----------------------------------------------------------------------------- MLP


def _numpy_mlp_step(P: dict, x: np.ndarray, y: np.ndarray, raw: bool) -> Callable[[], float]:
    """MLP step with a hand-written backward: ReLU layers, softmax cross-entropy (mean)."""
    if raw:   # w (in, out): use as is
        Ws = [P["w1"], P["w2"], P["w3"]]
        bs = [P["b1"], P["b2"], P["b3"]]
    else:     # nn.Linear layout (out, in): keep the arrays, multiply by their transposes
        Ws = [P["fc1.weight"], P["fc2.weight"], P["fc3.weight"]]
        bs = [P["fc1.bias"], P["fc2.bias"], P["fc3.bias"]]
    rows = np.arange(len(y))

    def mm(a, w):                                 # a @ W in the math's (in, out) layout
        return a @ (w if raw else w.T)

    def step() -> float:
        acts = [x]
        for i in range(3):
            z = mm(acts[-1], Ws[i])
            z += bs[i]
            if i < 2:
                np.maximum(z, 0, out=z)
            acts.append(z)
        logits = acts[-1]
        shifted = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(total[:, 0]) - shifted[rows, y]))
        g = e / total                             # d loss / d logits = (softmax - onehot) / B
        g[rows, y] -= 1
        g /= len(y)
        for i in (2, 1, 0):
            a = acts[i]
            gw = a.T @ g if raw else g.T @ a
            gb = g.sum(axis=0)
            if i:
                g = g @ (Ws[i].T if raw else Ws[i])
                g *= acts[i] > 0
            Ws[i] -= LR * gw
            bs[i] -= LR * gb
        return loss

    return step


# ----------------------------------------------------------------------------- building blocks


def _sgd_(P: dict, G: dict) -> None:
    """Plain SGD in place: P[k] -= LR * G[k] for every gradient (the gradients are scaled in
    place, they are not needed afterwards)."""
    for k, g in G.items():
        g *= F32(LR)
        P[k] -= g


def _relu_(x: np.ndarray) -> np.ndarray:
    """ReLU in place; returns ``x``."""
    return np.maximum(x, 0, out=x)


def _relu_backward_(dy: np.ndarray, y: np.ndarray) -> np.ndarray:
    """ReLU's backward in place: dy *= (y > 0), ``y`` the ReLU's output; returns ``dy``."""
    return np.multiply(dy, y > 0, out=dy)


def _softmax_cross_entropy(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of logits ``z`` (N, K) against class indices ``y`` (N,), and its
    gradient d loss / d z = (softmax(z) - onehot(y)) / N, (N, K)."""
    N = z.shape[0]
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    s = e.sum(1, keepdims=True)
    rows = np.arange(N)
    loss = float(np.log(s).mean() - z[rows, y].mean())
    e /= s
    e[rows, y] -= 1.0
    e *= F32(1.0 / N)
    return loss, e


_ONES: dict = {}


def _colsum(a: np.ndarray) -> np.ndarray:
    """Column sums of a 2-D (M, C) array, (C,), as a BLAS GEMV ``ones @ a``: for narrow C
    (16 channels) many times faster than ``a.sum(0)``, whose reduction over the leading axis
    of a C-contiguous array runs a tiny inner loop."""
    key = (a.shape[0], a.dtype)
    ones = _ONES.get(key)
    if ones is None:
        ones = _ONES[key] = np.ones(a.shape[0], a.dtype)
    return ones @ a


def _pad_nhwc(x: np.ndarray, p: int) -> np.ndarray:
    """Zero-pad the two spatial axes of an NHWC array by ``p``: (N, H, W, C) ->
    (N, H + 2p, W + 2p, C); ``x`` itself when p is 0."""
    if p == 0:
        return x
    N, H, W, C = x.shape
    xp = np.zeros((N, H + 2 * p, W + 2 * p, C), x.dtype)
    xp[:, p:p + H, p:p + W, :] = x
    return xp


def _im2col(xp: np.ndarray, k: int) -> np.ndarray:
    """Columns of a stride-1 k x k convolution: padded NHWC (N, Hp, Wp, C) ->
    (N * Ho * Wo, k * k * C), column order (kh, kw, C), Ho = Hp - k + 1, Wo = Wp - k + 1.

    The windows are taken on the (N, Hp, Wp * C) view with a (k, k * C) window and a step of
    C along the merged axis, so the one copy moves runs of k * C contiguous floats (windowing
    (k, k) on NHWC and transposing copies runs of only C floats)."""
    N, Hp, Wp, C = xp.shape
    Ho, Wo = Hp - k + 1, Wp - k + 1
    xm = np.ascontiguousarray(xp).reshape(N, Hp, Wp * C)
    win = sliding_window_view(xm, (k, k * C), axis=(1, 2))[:, :, ::C]   # (N, Ho, Wo, k, k*C)
    return np.ascontiguousarray(win).reshape(N * Ho * Wo, k * k * C)


def _conv_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray | None, pad: int):
    """Stride-1 convolution in NHWC: x (N, H, W, C), W (F, C, k, k) in torch's layout, b (F,)
    or None -> out (N, Ho, Wo, F) and the cache :func:`_conv_backward` needs."""
    F, C, k, _ = W.shape
    xp = _pad_nhwc(x, pad)
    N, Hp, Wp, _ = xp.shape
    cols = _im2col(xp, k)                                   # (N*Ho*Wo, k*k*C)
    Wm = W.transpose(0, 2, 3, 1).reshape(F, k * k * C)      # (F, k*k*C), a small copy
    out = cols @ Wm.T
    if b is not None:
        out += b
    return out.reshape(N, Hp - k + 1, Wp - k + 1, F), (cols, x.shape, pad)


def _conv_backward(dout: np.ndarray, cache, W: np.ndarray, need_dx: bool):
    """Gradients of :func:`_conv_forward` from dout (N, Ho, Wo, F): dW (F, C, k, k), db (F,)
    and dx (N, H, W, C) (None unless ``need_dx``). dx is the stride-1 full correlation of
    dout, padded by k - 1 - pad, with the flipped kernel: one im2col and one GEMM."""
    cols, xshape, pad = cache
    N, Ho, Wo, F = dout.shape
    _, C, k, _ = W.shape
    dm = dout.reshape(N * Ho * Wo, F)
    dW = (dm.T @ cols).reshape(F, k, k, C).transpose(0, 3, 1, 2)
    db = _colsum(dm)
    dx = None
    if need_dx:
        _, H, Wd, _ = xshape
        dcols = _im2col(_pad_nhwc(dout, k - 1 - pad), k)            # (N*H*W, k*k*F)
        Wf = W[:, :, ::-1, ::-1].transpose(2, 3, 0, 1).reshape(k * k * F, C)
        dx = (dcols @ Wf).reshape(N, H, Wd, C)
    return dW, db, dx


def _pool_forward(x: np.ndarray) -> np.ndarray:
    """2x2 max pooling, stride 2, NHWC: (N, H, W, C) -> (N, H // 2, W // 2, C)."""
    out = np.maximum(x[:, 0::2, 0::2], x[:, 0::2, 1::2])
    np.maximum(out, x[:, 1::2, 0::2], out=out)
    np.maximum(out, x[:, 1::2, 1::2], out=out)
    return out


def _pool_backward(dout: np.ndarray, x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Gradient of :func:`_pool_forward`: dout routed to where x equals the window's max.
    A tie would pass the gradient to every maximum; the pools here follow a ReLU, so the only
    ties in practice are zeros, whose gradient the ReLU's backward zeroes."""
    dx = np.empty_like(x)
    for a in (0, 1):
        for b in (0, 1):
            np.multiply(dout, x[:, a::2, b::2] == out, out=dx[:, a::2, b::2])
    return dx


def _bn_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, running: list):
    """Train-mode BatchNorm over all but the last axis (NHWC: per channel): batch mean and
    biased variance normalise, ``running`` = [mean, var] (C,) is updated as torch does
    (momentum 0.1, unbiased variance). Returns y (x's shape) and the backward's cache."""
    shape = x.shape
    x2 = x.reshape(-1, shape[-1])
    M = x2.shape[0]
    mean = _colsum(x2) / F32(M)
    xc = x2 - mean
    var = _colsum(xc * xc) / F32(M)
    invstd = (1.0 / np.sqrt(var + F32(BN_EPS))).astype(F32)
    xc *= invstd                                            # x-hat
    out = xc * gamma
    out += beta
    rm, rv = running
    rm *= F32(1 - BN_MOMENTUM)
    rm += F32(BN_MOMENTUM) * mean
    rv *= F32(1 - BN_MOMENTUM)
    rv += F32(BN_MOMENTUM) * var * F32(M / (M - 1))
    return out.reshape(shape), (xc, invstd, M)


def _bn_backward(dy: np.ndarray, cache, gamma: np.ndarray):
    """Gradients of :func:`_bn_forward`: dx (dy's shape), dgamma (C,), dbeta (C,), with
    dx = gamma * invstd * (dy - mean(dy) - x-hat * mean(dy * x-hat))."""
    xhat, invstd, M = cache
    dy2 = dy.reshape(-1, xhat.shape[1])
    dbeta = _colsum(dy2)
    dgamma = _colsum(dy2 * xhat)
    dx = xhat * (dgamma / F32(M))
    np.subtract(dy2, dx, out=dx)
    dx -= dbeta / F32(M)
    dx *= gamma * invstd
    return dx.reshape(dy.shape), dgamma, dbeta


# ----------------------------------------------------------------------------- LeNet-5


def lenet_step(P: dict, x: np.ndarray, y: np.ndarray) -> Callable[[], float]:
    """LeNet-5 step: x (N, 1, 28, 28) float32, y (N,) int64; conv 5x5 pad 2 (6), ReLU,
    max-pool, conv 5x5 (16), ReLU, max-pool, flatten in torch's (C, H, W) order,
    400-120-84-10 with ReLUs, mean cross-entropy."""
    N = x.shape[0]

    def step() -> float:
        a0 = x.reshape(N, x.shape[2], x.shape[3], 1)        # one channel: NCHW is NHWC
        z1, c1 = _conv_forward(a0, P["conv1.weight"], P["conv1.bias"], 2)
        _relu_(z1)
        p1 = _pool_forward(z1)
        z2, c2 = _conv_forward(p1, P["conv2.weight"], P["conv2.bias"], 0)
        _relu_(z2)
        p2 = _pool_forward(z2)
        _, Hq, Wq, Cq = p2.shape
        f0 = p2.transpose(0, 3, 1, 2).reshape(N, Cq * Hq * Wq)
        f1 = f0 @ P["fc1.weight"].T
        f1 += P["fc1.bias"]
        _relu_(f1)
        f2 = f1 @ P["fc2.weight"].T
        f2 += P["fc2.bias"]
        _relu_(f2)
        logits = f2 @ P["fc3.weight"].T
        logits += P["fc3.bias"]
        loss, d = _softmax_cross_entropy(logits, y)

        G = {"fc3.weight": d.T @ f2, "fc3.bias": d.sum(0)}
        d = _relu_backward_(d @ P["fc3.weight"], f2)
        G["fc2.weight"], G["fc2.bias"] = d.T @ f1, d.sum(0)
        d = _relu_backward_(d @ P["fc2.weight"], f1)
        G["fc1.weight"], G["fc1.bias"] = d.T @ f0, d.sum(0)
        d = (d @ P["fc1.weight"]).reshape(N, Cq, Hq, Wq).transpose(0, 2, 3, 1)
        d = _relu_backward_(_pool_backward(d, z2, p2), z2)
        G["conv2.weight"], G["conv2.bias"], d = _conv_backward(d, c2, P["conv2.weight"], True)
        d = _relu_backward_(_pool_backward(d, z1, p1), z1)
        G["conv1.weight"], G["conv1.bias"], _ = _conv_backward(d, c1, P["conv1.weight"], False)
        _sgd_(P, G)
        return loss

    return step


# ----------------------------------------------------------------------------- LSTM


def lstm_step(P: dict, x: np.ndarray, y: np.ndarray) -> Callable[[], float]:
    """One-layer LSTM regressor step: x (T, B, I), y (B, 1); torch's gate order i, f, g, o,
    zero initial state, ``fc`` (Linear(H, 1)) on the last hidden state, mean squared error."""
    T, B, I = x.shape
    H = P["lstm.weight_hh_l0"].shape[1]
    xs = x.reshape(T * B, I)
    # sigmoid(v) = tanh(v / 2) / 2 + 1/2: the pre-activations of i, f, o are halved (s_in),
    # one tanh covers all four gates, then a per-column affine map (s_out, s_add)
    s_in = np.full(4 * H, 0.5, F32)
    s_in[2 * H:3 * H] = 1.0
    s_out = s_in.copy()
    s_add = np.full(4 * H, 0.5, F32)
    s_add[2 * H:3 * H] = 0.0
    A = np.empty((T, B, 4 * H), F32)         # the activated gates of every step
    Cs = np.zeros((T + 1, B, H), F32)        # cell states, Cs[0] = 0
    Hs = np.zeros((T + 1, B, H), F32)        # hidden states, Hs[0] = 0
    TC = np.empty((T, B, H), F32)            # tanh(c_t)
    dG = np.empty((T, B, 4 * H), F32)        # d loss / d gate pre-activations
    tmp = np.empty((B, H), F32)
    dc_buf = np.empty((B, H), F32)           # d loss / d c_t

    def step() -> float:
        Wih, Whh = P["lstm.weight_ih_l0"], P["lstm.weight_hh_l0"]
        Wfc = P["fc.weight"]
        XW = xs @ Wih.T
        XW += P["lstm.bias_ih_l0"]
        XW += P["lstm.bias_hh_l0"]
        XW *= s_in
        XW = XW.reshape(T, B, 4 * H)
        WhhS = (Whh * s_in[:, None]).T       # (H, 4H), the halving folded in
        for t in range(T):
            a = A[t]
            np.matmul(Hs[t], WhhS, out=a)
            a += XW[t]
            np.tanh(a, out=a)
            a *= s_out
            a += s_add
            c = Cs[t + 1]
            np.multiply(a[:, H:2 * H], Cs[t], out=c)
            np.multiply(a[:, :H], a[:, 2 * H:3 * H], out=tmp)
            c += tmp
            np.tanh(c, out=TC[t])
            np.multiply(a[:, 3 * H:], TC[t], out=Hs[t + 1])
        pred = Hs[T] @ Wfc.T
        pred += P["fc.bias"]
        diff = pred - y
        loss = float(np.mean(diff * diff))

        dpred = diff * F32(2.0 / diff.size)
        G = {"fc.weight": dpred.T @ Hs[T], "fc.bias": dpred.sum(0)}
        dh = dpred @ Wfc
        # the activation derivatives of all steps at once
        DA = A * (1 - A)                                       # sigmoid' for i, f, o
        DA[:, :, 2 * H:3 * H] = 1 - A[:, :, 2 * H:3 * H] ** 2   # tanh' for g
        DTC = A[:, :, 3 * H:] * (1 - TC * TC)                  # o * tanh'(c)
        dc = dc_buf
        dc.fill(0)
        for t in range(T - 1, -1, -1):
            a, dg = A[t], dG[t]
            np.multiply(dh, DTC[t], out=tmp)
            dc += tmp
            np.multiply(dc, a[:, 2 * H:3 * H], out=dg[:, :H])      # d i
            np.multiply(dc, Cs[t], out=dg[:, H:2 * H])             # d f
            np.multiply(dc, a[:, :H], out=dg[:, 2 * H:3 * H])      # d g
            np.multiply(dh, TC[t], out=dg[:, 3 * H:])              # d o
            dg *= DA[t]
            dc *= a[:, H:2 * H]
            if t:
                np.matmul(dg, Whh, out=dh)
        dG2 = dG.reshape(T * B, 4 * H)
        G["lstm.weight_hh_l0"] = dG2.T @ Hs[:T].reshape(T * B, H)
        G["lstm.weight_ih_l0"] = dG2.T @ xs
        db = dG2.sum(0)
        G["lstm.bias_ih_l0"], G["lstm.bias_hh_l0"] = db, db.copy()
        _sgd_(P, G)
        return loss

    return step


# ----------------------------------------------------------------------------- ResNet-ish


def resnet_ish_step(P: dict, x: np.ndarray, y: np.ndarray) -> Callable[[], float]:
    """ResNet-ish step: x (N, 3, H, W), y (N,); stem conv 3x3 (no bias), BatchNorm, ReLU;
    residual blocks conv-BN-ReLU-conv-BN + identity, ReLU; global mean; ``fc``; mean
    cross-entropy. BatchNorm in train mode; its running statistics (the returned step's
    ``running`` attribute: name -> [mean, var]) are updated as torch's."""
    N = x.shape[0]
    nblocks = sum(1 for k in P if k.startswith("blocks.") and k.endswith(".conv1.weight"))
    bns = ["bn1"] + [f"blocks.{b}.bn{j}" for b in range(nblocks) for j in (1, 2)]
    running = {n: [np.zeros(P[n + ".weight"].shape, F32), np.ones(P[n + ".weight"].shape, F32)]
               for n in bns}

    def step() -> float:
        a = np.ascontiguousarray(x.transpose(0, 2, 3, 1))          # NHWC
        z, cc = _conv_forward(a, P["conv1.weight"], None, 1)
        z, cb = _bn_forward(z, P["bn1.weight"], P["bn1.bias"], running["bn1"])
        a = _relu_(z)
        stem = (cc, cb, a)
        blocks = []
        for b in range(nblocks):
            p = f"blocks.{b}."
            z1, c1 = _conv_forward(a, P[p + "conv1.weight"], None, 1)
            z1, b1 = _bn_forward(z1, P[p + "bn1.weight"], P[p + "bn1.bias"], running[p + "bn1"])
            t1 = _relu_(z1)
            z2, c2 = _conv_forward(t1, P[p + "conv2.weight"], None, 1)
            z2, b2 = _bn_forward(z2, P[p + "bn2.weight"], P[p + "bn2.bias"], running[p + "bn2"])
            z2 += a
            a = _relu_(z2)
            blocks.append((c1, b1, t1, c2, b2, a))
        _, Hh, Ww, C = a.shape
        pooled = a.reshape(N, Hh * Ww, C).mean(1)
        logits = pooled @ P["fc.weight"].T
        logits += P["fc.bias"]
        loss, d = _softmax_cross_entropy(logits, y)

        G = {"fc.weight": d.T @ pooled, "fc.bias": d.sum(0)}
        dp = (d @ P["fc.weight"]) * F32(1.0 / (Hh * Ww))
        da = np.empty((N, Hh, Ww, C), F32)
        da[:] = dp[:, None, None, :]
        for b in range(nblocks - 1, -1, -1):
            p = f"blocks.{b}."
            c1, b1, t1, c2, b2, aout = blocks[b]
            ds = _relu_backward_(da, aout)
            dz, G[p + "bn2.weight"], G[p + "bn2.bias"] = _bn_backward(ds, b2, P[p + "bn2.weight"])
            G[p + "conv2.weight"], _, dt = _conv_backward(dz, c2, P[p + "conv2.weight"], True)
            dt = _relu_backward_(dt, t1)
            dz, G[p + "bn1.weight"], G[p + "bn1.bias"] = _bn_backward(dt, b1, P[p + "bn1.weight"])
            G[p + "conv1.weight"], _, dx = _conv_backward(dz, c1, P[p + "conv1.weight"], True)
            dx += ds
            da = dx
        cc, cb, a0 = stem
        da = _relu_backward_(da, a0)
        dz, G["bn1.weight"], G["bn1.bias"] = _bn_backward(da, cb, P["bn1.weight"])
        G["conv1.weight"], _, _ = _conv_backward(dz, cc, P["conv1.weight"], False)
        _sgd_(P, G)
        return loss

    step.running = running
    return step
