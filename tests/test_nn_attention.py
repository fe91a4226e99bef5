"""Attention against torch: F.scaled_dot_product_attention (forward and the gradients w.r.t.
query, key, value and a float mask, float32 and float64, plus a float64 finite-difference
gradcheck); nn.MultiheadAttention, nn.TransformerEncoderLayer and nn.TransformerEncoder with
torch's state_dict loaded (outputs, attention weights, gradients of the input and of every
parameter, eval mode); reprs, parameter names, init; dropout; the argument errors with torch's
exception types."""

import io
import warnings

import numpy as np
import onnxruntime as ort
import pytest
import torch
from oracle import Const, Float, Row, cases, check_row, fd_cases, gradcheck_row

import gradlab
import gradlab.nn as nn
import gradlab.nn.functional as F
import gradlab.onnx
from gradlab.autograd import gradcheck

# --------------------------------------------------------------------------- SDPA table


def sdpa(**kw):
    return lambda m, q, k, v, *mask: m.nn.functional.scaled_dot_product_attention(
        q, k, v, *mask, **kw)


def bool_mask(shape, p=0.4, seed=0, dead_row=None):
    m = np.random.default_rng(seed).random(shape) > p
    m[..., 0] |= True  # no row fully masked unless asked
    if dead_row is not None:
        m[..., dead_row, :] = False
    return Const(m, dtype="bool")


NEG_INF = float("-inf")
FLOAT_MASK = [[0.0, NEG_INF, 0.5, -1.0, 0.0], [NEG_INF, 0.0, 0.0, 2.0, NEG_INF],
              [0.3, 0.0, NEG_INF, 0.0, -0.7]]
DEAD_FLOAT_MASK = [[0.0, NEG_INF, 0.5, -1.0, 0.0], [NEG_INF] * 5, [0.3, 0.0, NEG_INF, 0.0, -0.7]]

Q, K, V = Float((3, 4)), Float((5, 4)), Float((5, 6))
Q4, K4, V4 = Float((2, 2, 3, 4)), Float((2, 2, 5, 4)), Float((2, 2, 5, 3))

SDPA_ROWS = [
    Row("sdpa_2d", sdpa(), (Q, K, V)),
    Row("sdpa_batch_heads", sdpa(), (Q4, K4, V4)),
    Row("sdpa_broadcast_batch", sdpa(), (Float((2, 3, 4)), K, Float((5, 3)))),
    Row("sdpa_broadcast_heads", sdpa(), (Q4, Float((2, 1, 5, 4)), Float((1, 5, 3)))),
    Row("sdpa_scale", sdpa(scale=0.3), (Q4, K4, V4)),
    Row("sdpa_causal_square", sdpa(is_causal=True), (Float((2, 4, 3)), Float((2, 4, 3)),
                                                       Float((2, 4, 2)))),
    Row("sdpa_causal_l_lt_s", sdpa(is_causal=True), (Q, K, V)),
    Row("sdpa_causal_l_gt_s", sdpa(is_causal=True), (Float((5, 4)), Float((3, 4)),
                                                       Float((3, 2)))),
    Row("sdpa_bool_mask", sdpa(), (Q, K, V, bool_mask((3, 5)))),
    Row("sdpa_bool_mask_batch", sdpa(), (Q4, K4, V4, bool_mask((2, 1, 3, 5), seed=1))),
    Row("sdpa_bool_mask_keys", sdpa(), (Q4, K4, V4, bool_mask((1, 5), seed=2))),
    Row("sdpa_bool_mask_dead_row", sdpa(), (Q4, K4, V4, bool_mask((3, 5), seed=3, dead_row=1))),
    Row("sdpa_float_mask", sdpa(), (Q, K, V, Float(values=FLOAT_MASK, grad=False))),
    Row("sdpa_float_mask_grad", sdpa(), (Q4, K4, V4, Float((2, 1, 3, 5), lo=-1.0, hi=1.0))),
    Row("sdpa_float_mask_dead_row", sdpa(), (Q, K, V, Float(values=DEAD_FLOAT_MASK,
                                                            grad=False))),
    Row("sdpa_float_mask_scale", sdpa(scale=2.0), (Q, K, V, Float((3, 5), lo=-1.0, hi=1.0))),
    Row("sdpa_gqa", sdpa(enable_gqa=True), (Float((1, 4, 3, 4)), Float((1, 2, 5, 4)),
                                            Float((1, 2, 5, 3)))),
    Row("sdpa_single_key", sdpa(), (Q, Float((1, 4)), Float((1, 2)))),
]


@pytest.mark.parametrize("row,dtype", cases(SDPA_ROWS))
def test_sdpa_vs_torch(row, dtype):
    check_row(row, dtype)


@pytest.mark.parametrize("row", fd_cases(SDPA_ROWS))
def test_sdpa_gradcheck(row):
    gradcheck_row(row)


def test_sdpa_dead_row_is_zero_with_zero_gradient():
    q, k, v = (gradlab.randn(*s, requires_grad=True) for s in ((3, 4), (5, 4), (5, 2)))
    mask = np.ones((3, 5), dtype=bool)
    mask[2] = False
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=gradlab.tensor(mask))
    assert np.all(out.detach().numpy()[2] == 0) and np.all(np.isfinite(out.detach().numpy()))
    out.sum().backward()
    assert np.all(q.grad.numpy()[2] == 0) and np.all(np.isfinite(k.grad.numpy()))


def test_sdpa_dropout_on_the_weights():
    gradlab.manual_seed(0)
    n, s = 400, 8
    q, k = gradlab.zeros(n, 1, 4), gradlab.zeros(n, s, 4)  # uniform weights 1 / s
    v = gradlab.ones(n, s, 1, requires_grad=True)
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    # each output sums the kept weights, each 1 / s scaled by 1 / (1 - p): multiples of 2 / s
    o = out.detach().numpy().ravel()
    np.testing.assert_allclose(o * s / 2, np.round(o * s / 2), atol=1e-5)
    assert abs(o.mean() - 1.0) < 0.05 and o.std() > 0.2
    out.sum().backward()  # the gradient w.r.t. v is the same kept weights
    np.testing.assert_allclose(v.grad.numpy().sum(axis=(1, 2)), o, rtol=1e-5)
    gradlab.manual_seed(0)
    again = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    np.testing.assert_array_equal(again.detach().numpy().ravel(), o)
    zero = F.scaled_dot_product_attention(q, k, v, dropout_p=1.0)
    assert np.all(zero.detach().numpy() == 0)


def test_sdpa_keeps_float32():
    q = gradlab.randn(2, 3, 4)
    assert F.scaled_dot_product_attention(q, q, q).dtype == gradlab.float32


# --------------------------------------------------------------------------- errors


def same_error(call):
    """``call(lib)`` raises in torch and in gradlab, the same exception type; gradlab's
    message is returned."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as t:
            call(torch)
        with pytest.raises(Exception) as g:
            call(gradlab)
    assert g.type is t.type, f"gradlab raised {g.type.__name__} ({g.value}), torch {t.type}"
    return str(g.value)


def _sdpa_call(shapes, dtypes=("float32",) * 3, mask=None, **kw):
    def call(lib):
        ts = [lib.zeros(*s, dtype=getattr(lib, d)) for s, d in zip(shapes, dtypes)]
        m = None if mask is None else lib.tensor(mask)
        return lib.nn.functional.scaled_dot_product_attention(*ts, attn_mask=m, **kw)
    return call


SDPA_ERRORS = [
    ("1-D inputs", _sdpa_call([(4,), (4,), (4,)]), "at least 2-D"),
    ("dtypes differ", _sdpa_call([(3, 4), (5, 4), (5, 2)], ("float32", "float64", "float32")),
     "same dtype"),
    ("int mask", _sdpa_call([(3, 4), (5, 4), (5, 2)], mask=np.zeros((3, 5), np.int64)),
     "attn_mask must be bool"),
    ("float64 mask, float32 query",
     _sdpa_call([(3, 4), (5, 4), (5, 2)], mask=np.zeros((3, 5))), "attn_mask must be bool"),
    ("mask and causal", _sdpa_call([(3, 4), (5, 4), (5, 2)], mask=np.ones((3, 5), bool),
                                   is_causal=True), "is_causal"),
    ("E differs", _sdpa_call([(3, 4), (5, 3), (5, 2)]), "share E"),
    ("S differs", _sdpa_call([(3, 4), (5, 4), (4, 2)]), "share S"),
    ("mask shape", _sdpa_call([(3, 4), (5, 4), (5, 2)], mask=np.ones((4, 5), bool)),
     "does not broadcast"),
    ("mask widens the output", _sdpa_call([(3, 4), (5, 4), (5, 2)],
                                          mask=np.ones((7, 3, 5), bool)), "does not broadcast"),
    ("gqa heads", _sdpa_call([(1, 3, 3, 4), (1, 2, 5, 4), (1, 2, 5, 2)], enable_gqa=True),
     "must divide"),
    ("gqa without heads", _sdpa_call([(3, 4), (5, 4), (5, 2)], enable_gqa=True), "heads dim"),
    ("dropout_p", _sdpa_call([(3, 4), (5, 4), (5, 2)], dropout_p=1.5), "between 0 and 1"),
]


@pytest.mark.parametrize("what,call,message", SDPA_ERRORS, ids=[e[0] for e in SDPA_ERRORS])
def test_sdpa_errors_as_torch(what, call, message):
    msg = same_error(call)
    assert "scaled_dot_product_attention" in msg and message in msg


# --------------------------------------------------------------------------- modules vs torch

TOL = {"float32": dict(rtol=1e-5, atol=1e-5), "float64": dict(rtol=1e-10, atol=1e-12)}


def loaded_pair(ctor, *args, dtype="float32", **kw):
    """The torch module (seeded init) and the gradlab one with torch's state_dict loaded."""
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's note that the nested-tensor path is off
        t = ctor(torch, *args, **kw)
    g = ctor(gradlab, *args, **kw)
    assert [(n, tuple(p.shape)) for n, p in g.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in t.named_parameters()]
    t = t.double() if dtype == "float64" else t
    g.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    g = g.double() if dtype == "float64" else g
    return g.eval(), t.eval()


def _to(lib, a, grad):
    if a is None or isinstance(a, str):
        return a
    t = lib.tensor(np.array(a, copy=True))
    return t.requires_grad_() if grad and a.dtype.kind == "f" else t


def compare(g, t, forward, arrays: dict, dtype: str, grad_inputs=("x", "q", "k", "v")):
    """Run ``forward(lib, module, **tensors)`` in both libraries on the same values; compare
    every output, then back-propagate the same random upstream gradients and compare the
    gradient of each float input in ``grad_inputs`` and of every parameter."""
    arrays = {k: (v.astype(dtype) if v is not None and v.dtype.kind == "f" else v)
              for k, v in arrays.items()}
    gi = {k: _to(gradlab, a, k in grad_inputs) for k, a in arrays.items()}
    ti = {k: _to(torch, a, k in grad_inputs) for k, a in arrays.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        go, to = forward(gradlab, g, **gi), forward(torch, t, **ti)
    go = [o for o in (go if isinstance(go, tuple) else (go,))]
    to = [o for o in (to if isinstance(to, tuple) else (to,))]
    assert [o is None for o in go] == [o is None for o in to]
    rng = np.random.default_rng(5)
    ups = []
    for k, (a, b) in enumerate(zip(go, to)):
        if b is None:
            continue
        assert a.dtype == gradlab.float64 if dtype == "float64" else a.dtype == gradlab.float32
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), **TOL[dtype],
                                   err_msg=f"output {k}")
        ups.append((a, b, rng.standard_normal(tuple(b.shape)).astype(dtype)))
    gradlab.autograd.backward([a for a, _, _ in ups], [gradlab.tensor(u) for *_, u in ups])
    torch.autograd.backward([b for _, b, _ in ups], [torch.tensor(u) for *_, u in ups])
    for k in gi:
        if isinstance(ti[k], torch.Tensor) and ti[k].requires_grad and ti[k].grad is not None:
            np.testing.assert_allclose(gi[k].grad.numpy(), ti[k].grad.numpy(), **TOL[dtype],
                                       err_msg=f"gradient of input {k}")
    tp = dict(t.named_parameters())
    for n, p in g.named_parameters():
        assert (p.grad is None) == (tp[n].grad is None), n
        if p.grad is not None:
            np.testing.assert_allclose(p.grad.numpy(), tp[n].grad.numpy(), **TOL[dtype],
                                       err_msg=f"gradient of parameter {n}")


def mha(lib, *args, **kw):
    return lib.nn.MultiheadAttention(*args, **kw)


def self_attention(lib, m, x, **kw):
    return m(x, x, x, **kw)


def cross_attention(lib, m, q, k, v, **kw):
    return m(q, k, v, **kw)


def memory_attention(lib, m, q, k, **kw):  # key is value: the encoder-decoder projection
    return m(q, k, k, **kw)


def with_masks(f, **call):
    """``f`` called with the arrays named in ``call`` as keyword masks and other options."""
    def run(lib, m, **ts):
        kw = {name: (ts.pop(v) if isinstance(v, str) else v) for name, v in call.items()}
        return f(lib, m, **ts, **kw)
    return run


R = np.random.default_rng(1)
X_LNE = R.standard_normal((5, 2, 8))  # (L, N, E)
X_NLE = R.standard_normal((2, 5, 8))
KPM = np.zeros((2, 5), dtype=bool)
KPM[0, 3:] = True
CAUSAL_BOOL = np.triu(np.ones((5, 5), dtype=bool), 1)
CAUSAL_FLOAT = np.triu(np.full((5, 5), -np.inf), 1)
FLOAT_ATTN = R.uniform(-1, 1, (5, 7))

MHA_CASES = [
    ("self", (8, 2), {}, self_attention, {"x": X_LNE}),
    ("self_per_head", (8, 2), {}, with_masks(self_attention, average_attn_weights=False),
     {"x": X_LNE}),
    ("self_batch_first", (8, 2), dict(batch_first=True), self_attention, {"x": X_NLE}),
    ("self_no_weights", (8, 4), {}, with_masks(self_attention, need_weights=False),
     {"x": X_LNE}),
    ("self_kpm", (8, 2), dict(batch_first=True), with_masks(
        self_attention, key_padding_mask="kpm"), {"x": X_NLE, "kpm": KPM}),
    ("self_kpm_no_weights", (8, 2), {}, with_masks(
        self_attention, key_padding_mask="kpm", need_weights=False), {"x": X_LNE, "kpm": KPM}),
    ("self_kpm_float", (8, 2), {}, with_masks(self_attention, key_padding_mask="kpm"),
     {"x": X_LNE, "kpm": np.where(KPM, -np.inf, R.uniform(-1, 0, KPM.shape))}),
    ("self_causal_bool", (8, 2), {}, with_masks(self_attention, attn_mask="am"),
     {"x": X_LNE, "am": CAUSAL_BOOL}),
    ("self_causal_hint", (8, 2), dict(batch_first=True), with_masks(
        self_attention, attn_mask="am", is_causal=True, need_weights=False),
     {"x": X_NLE, "am": CAUSAL_FLOAT}),
    ("self_attn_mask_3d_and_kpm", (8, 2), {}, with_masks(
        self_attention, attn_mask="am", key_padding_mask="kpm", need_weights=False),
     {"x": X_LNE, "am": R.random((4, 5, 5)) < 0.3, "kpm": KPM}),
    ("memory_kpm", (8, 2), {}, with_masks(memory_attention, key_padding_mask="kpm"),
     {"q": R.standard_normal((3, 2, 8)), "k": R.standard_normal((5, 2, 8)), "kpm": KPM}),
    ("cross_batch_first", (8, 2), dict(batch_first=True), cross_attention,
     {"q": R.standard_normal((2, 3, 8)), "k": R.standard_normal((2, 7, 8)),
      "v": R.standard_normal((2, 7, 8))}),
    ("kdim_vdim_no_bias_float_mask", (8, 2), dict(kdim=3, vdim=5, bias=False), with_masks(
        cross_attention, attn_mask="am"),
     {"q": R.standard_normal((5, 2, 8)), "k": R.standard_normal((7, 2, 3)),
      "v": R.standard_normal((7, 2, 5)), "am": FLOAT_ATTN}),
    ("bias_kv_zero_attn_masks", (8, 2), dict(add_bias_kv=True, add_zero_attn=True),
     with_masks(self_attention, attn_mask="am", key_padding_mask="kpm"),
     {"x": X_LNE, "am": CAUSAL_BOOL, "kpm": KPM}),
    ("bias_kv_no_weights", (8, 4), dict(add_bias_kv=True, batch_first=True), with_masks(
        self_attention, need_weights=False), {"x": X_NLE}),
    ("unbatched", (8, 2), {}, with_masks(self_attention, key_padding_mask="kpm"),
     {"x": X_LNE[:, 0], "kpm": KPM[0]}),
    ("unbatched_3d_mask_per_head", (8, 2), dict(kdim=4, vdim=4), with_masks(
        cross_attention, attn_mask="am", average_attn_weights=False),
     {"q": R.standard_normal((3, 8)), "k": R.standard_normal((5, 4)),
      "v": R.standard_normal((5, 4)), "am": R.random((2, 3, 5)) < 0.3}),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,args,kw,forward,arrays", MHA_CASES,
                         ids=[c[0] for c in MHA_CASES])
def test_multihead_attention_vs_torch(name, args, kw, forward, arrays, dtype):
    g, t = loaded_pair(mha, *args, dtype=dtype, **kw)
    if kw.get("add_bias_kv"):  # not zero-initialized: make sure the copy is what is compared
        np.testing.assert_array_equal(g.bias_k.detach().numpy(), t.bias_k.detach().numpy())
    compare(g, t, forward, arrays, dtype)


def test_multihead_attention_fully_masked_query_as_torch():
    g, t = loaded_pair(mha, 8, 2)
    kpm = np.zeros((2, 5), dtype=bool)
    kpm[1] = True  # every key of the second sequence is padding
    for need_weights in (True, False):
        go, gw = g(*[gradlab.tensor(X_LNE.astype(np.float32))] * 3,
                   key_padding_mask=gradlab.tensor(kpm), need_weights=need_weights)
        to, tw = t(*[torch.tensor(X_LNE.astype(np.float32))] * 3,
                   key_padding_mask=torch.tensor(kpm), need_weights=need_weights)
        # a plain softmax gives NaN with the weights, scaled_dot_product_attention zeros
        np.testing.assert_allclose(go.detach().numpy(), to.detach().numpy(), equal_nan=True,
                                   **TOL["float32"])
        assert np.isnan(go.detach().numpy()[:, 1]).all() == need_weights
        assert (gw is None) == (tw is None)


def test_multihead_attention_dropout_in_training_only():
    g = nn.MultiheadAttention(8, 2, dropout=1.0)
    nn.init.uniform_(g.out_proj.bias, -1, 1)
    x = gradlab.tensor(X_LNE.astype(np.float32))
    out, w = g(x, x, x)  # every attention weight dropped: the output is out_proj's bias
    np.testing.assert_allclose(out.detach().numpy(), np.broadcast_to(
        g.out_proj.bias.detach().numpy(), out.shape), rtol=1e-6)
    assert np.all(w.detach().numpy() == 0)
    out_eval, w_eval = g.eval()(x, x, x)
    np.testing.assert_allclose(w_eval.detach().numpy().sum(-1), 1, rtol=1e-5)
    assert not np.allclose(out_eval.detach().numpy(), out.detach().numpy())


def test_multihead_attention_gradcheck():
    gradlab.manual_seed(0)
    m = nn.MultiheadAttention(4, 2, add_bias_kv=True, kdim=3, vdim=2).double()
    q, k, v = (gradlab.randn(*s, dtype=gradlab.float64, requires_grad=True)
               for s in ((3, 2, 4), (4, 2, 3), (4, 2, 2)))
    mask = gradlab.tensor(np.triu(np.ones((3, 4), dtype=bool), 2))
    assert gradcheck(lambda q, k, v: m(q, k, v, attn_mask=mask), [q, k, v])


# --------------------------------------------------------------------------- transformer


def layer(lib, *args, activation=None, **kw):
    if activation == "module":
        kw["activation"] = lib.nn.GELU()
    elif activation is not None:
        kw["activation"] = activation
    return lib.nn.TransformerEncoderLayer(*args, **kw)


def encoder(lib, *args, num_layers=2, final_norm=False, **kw):
    norm = lib.nn.LayerNorm(args[0]) if final_norm else None
    return lib.nn.TransformerEncoder(layer(lib, *args, **kw), num_layers, norm=norm)


def src_call(lib, m, x, **kw):
    return m(x, **kw)


LAYER_CASES = [
    ("layer_post_norm", layer, {}, src_call, {"x": X_LNE}),
    ("layer_pre_norm_batch_first_gelu", layer,
     dict(norm_first=True, batch_first=True, activation="gelu"), src_call, {"x": X_NLE}),
    ("layer_kpm_causal_bool", layer, dict(activation="module"), with_masks(
        src_call, src_mask="am", src_key_padding_mask="kpm"),
     {"x": X_LNE, "am": CAUSAL_BOOL, "kpm": KPM}),
    ("layer_causal_hint_no_bias", layer, dict(bias=False, batch_first=True), with_masks(
        src_call, src_mask="am", is_causal=True), {"x": X_NLE, "am": CAUSAL_FLOAT}),
    ("layer_unbatched_pre_norm", layer, dict(norm_first=True), src_call, {"x": X_LNE[:, 1]}),
    ("encoder_post_norm_kpm", encoder, {}, with_masks(src_call, src_key_padding_mask="kpm"),
     {"x": X_LNE, "kpm": KPM}),
    ("encoder_pre_norm_final_norm", encoder, dict(norm_first=True, final_norm=True,
                                                  batch_first=True), src_call, {"x": X_NLE}),
    ("encoder_causal_detected", encoder, dict(num_layers=3, batch_first=True), with_masks(
        src_call, mask="am"), {"x": X_NLE, "am": CAUSAL_FLOAT}),
    ("encoder_float_mask_kpm", encoder, dict(norm_first=True, activation="gelu"), with_masks(
        src_call, mask="am", src_key_padding_mask="kpm"),
     {"x": X_LNE, "am": R.uniform(-1, 1, (5, 5)),
      "kpm": np.where(KPM, -np.inf, 0.0)}),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,ctor,kw,forward,arrays", LAYER_CASES,
                         ids=[c[0] for c in LAYER_CASES])
def test_transformer_vs_torch(name, ctor, kw, forward, arrays, dtype):
    g, t = loaded_pair(ctor, 8, 2, 16, dtype=dtype, **kw)
    compare(g, t, forward, arrays, dtype)


def test_encoder_is_causal_detection_and_hint_agree():
    g = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2).eval()
    x, m = gradlab.tensor(X_LNE.astype(np.float32)), gradlab.tensor(CAUSAL_FLOAT)
    explicit = g(x, mask=m.float(), is_causal=False).detach().numpy()
    np.testing.assert_allclose(g(x, mask=m.float()).detach().numpy(), explicit, rtol=1e-6)
    np.testing.assert_allclose(g(x, mask=m.float(), is_causal=True).detach().numpy(),
                               explicit, rtol=1e-5, atol=1e-6)


def test_encoder_layers_are_independent_deep_copies():
    proto = nn.TransformerEncoderLayer(8, 2, 16)
    enc = nn.TransformerEncoder(proto, 3, enable_nested_tensor=False, mask_check=False)
    ws = [lay.linear1.weight for lay in enc.layers] + [proto.linear1.weight]
    assert len({id(w) for w in ws}) == 4
    np.testing.assert_array_equal(ws[0].detach().numpy(), ws[3].detach().numpy())
    with gradlab.no_grad():
        ws[0].add_(1.0)
    assert not np.allclose(ws[1].detach().numpy(), ws[0].detach().numpy())
    assert len(list(enc.parameters())) == 3 * len(list(proto.parameters()))


def test_reprs_names_and_state_dict_keys_as_torch():
    configs = [
        (mha, (8, 2), {}), (mha, (8, 2), dict(kdim=3, vdim=5, add_bias_kv=True, bias=False)),
        (mha, (6, 3), dict(add_zero_attn=True, batch_first=True)),
        (layer, (8, 2, 16), {}), (layer, (8, 2, 16), dict(activation="module", bias=False)),
        (encoder, (8, 2, 16), dict(final_norm=True, num_layers=3)),
    ]
    for ctor, args, kw in configs:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = ctor(torch, *args, **kw)
        g = ctor(gradlab, *args, **kw)
        assert repr(g) == repr(t)
        assert list(g.state_dict()) == list(t.state_dict())
        assert [n for n, _ in g.named_parameters()] == [n for n, _ in t.named_parameters()]
        for name in ("embed_dim", "kdim", "vdim", "num_heads", "head_dim", "batch_first",
                     "_qkv_same_embed_dim", "add_zero_attn", "dropout", "norm_first",
                     "activation_relu_or_gelu", "num_layers"):
            if hasattr(t, name) and not isinstance(getattr(t, name), torch.nn.Module):
                assert getattr(g, name) == getattr(t, name), name


def test_multihead_attention_init_as_torch():
    gradlab.manual_seed(0)
    m = nn.MultiheadAttention(16, 4, add_bias_kv=True, dtype=gradlab.float64)
    assert all(p.dtype == gradlab.float64 for p in m.parameters())
    w = m.in_proj_weight.detach().numpy()
    bound = np.sqrt(6 / (16 + 48))  # xavier_uniform_ on (3E, E)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.all(m.in_proj_bias.detach().numpy() == 0)
    assert np.all(m.out_proj.bias.detach().numpy() == 0)
    assert m.bias_k.shape == (1, 1, 16) and np.abs(m.bias_k.detach().numpy()).max() > 0
    sep = nn.MultiheadAttention(16, 4, kdim=8, vdim=4)
    assert sep.in_proj_weight is None and sep.k_proj_weight.shape == (16, 8)
    assert np.abs(sep.v_proj_weight.detach().numpy()).max() <= np.sqrt(6 / (16 + 4))
    assert nn.MultiheadAttention(16, 4).bias_k is None


def mha_forward_call(*, ctor=None, q=(5, 2, 8), k=None, v=None, **kw):
    def call(lib):
        m = lib.nn.MultiheadAttention(8, 2, **(ctor or {}))
        ts = [lib.zeros(*s) for s in (q, k or q, v or k or q)]
        kw2 = {n: lib.tensor(a) if isinstance(a, np.ndarray) else a for n, a in kw.items()}
        return m(*ts, **kw2)
    return call


MODULE_ERRORS = [
    ("embed_dim not divisible", lambda lib: lib.nn.MultiheadAttention(10, 3), "divisible"),
    ("embed_dim zero", lambda lib: lib.nn.MultiheadAttention(0, 2), "greater than 0"),
    ("4-D query", mha_forward_call(q=(1, 5, 2, 8)), "4-D query"),
    ("key 2-D, query 3-D", mha_forward_call(k=(5, 8), v=(5, 8)), "`key` and `value` to be 3-D"),
    ("wrong embed dim", mha_forward_call(q=(5, 2, 6)), "embedding dimension of 8"),
    ("2-D attn_mask shape", mha_forward_call(attn_mask=np.zeros((5, 4), dtype=bool)),
     "2D attn_mask is (5, 4), but should be (5, 5)"),
    ("3-D attn_mask shape", mha_forward_call(attn_mask=np.zeros((2, 5, 5), dtype=bool)),
     "3D attn_mask is (2, 5, 5), but should be (4, 5, 5)"),
    ("4-D attn_mask", mha_forward_call(attn_mask=np.zeros((1, 2, 5, 5), dtype=bool)),
     "2-D or 3-D"),
    ("key_padding_mask shape", mha_forward_call(key_padding_mask=np.zeros((2, 4), bool)),
     "key_padding_mask of shape (2, 5)"),
    ("key_padding_mask rank", mha_forward_call(key_padding_mask=np.zeros((5,), bool)),
     "`key_padding_mask` to be `None` or 2-D"),
    ("int attn_mask", mha_forward_call(attn_mask=np.zeros((5, 5), dtype=np.int64)),
     "only bool and floating types of attn_mask"),
    ("is_causal without mask", mha_forward_call(is_causal=True), "Need attn_mask"),
    ("key and value shapes", mha_forward_call(k=(5, 2, 8), v=(4, 2, 8)),
     "does not match value shape"),
    ("unbatched 3-D mask", mha_forward_call(q=(5, 8), attn_mask=np.zeros((3, 5, 5), bool)),
     "Expected `attn_mask` shape to be (2, 5, 5)"),
    ("activation name", lambda lib: lib.nn.TransformerEncoderLayer(8, 2, activation="tanh"),
     "relu/gelu, not tanh"),
]


@pytest.mark.parametrize("what,call,message", MODULE_ERRORS, ids=[e[0] for e in MODULE_ERRORS])
def test_module_errors_as_torch(what, call, message):
    assert message in same_error(call)


def test_mismatched_mask_types_warn_as_torch():
    for lib in (torch, gradlab):
        m = lib.nn.MultiheadAttention(8, 2)
        x = lib.zeros(5, 2, 8)
        with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask"):
            m(x, x, x, key_padding_mask=lib.tensor(KPM),
              attn_mask=lib.zeros(5, 5, dtype=lib.float32))


class _MaskedEncoder(nn.Module):
    """An encoder called with a fixed causal mask and key padding mask (constants in the
    exported graph)."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.TransformerEncoder(
            nn.TransformerEncoderLayer(8, 2, 16, batch_first=True, activation="gelu"), 2)

    def forward(self, x):
        return self.encoder(x, mask=gradlab.tensor(CAUSAL_BOOL),
                            src_key_padding_mask=gradlab.tensor(KPM))


def test_encoder_exports_to_onnx_as_composed_ops():
    gradlab.manual_seed(0)
    model = _MaskedEncoder().eval()
    x = gradlab.tensor(X_NLE.astype(np.float32))
    buf = io.BytesIO()
    gradlab.onnx.export(model, x, buf, input_names=["x"])
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    got = sess.run(None, {"x": x.numpy()})[0]
    np.testing.assert_allclose(got, model(x).detach().numpy(), rtol=1e-5, atol=1e-5)


def test_multi_head_attention_forward_static_kv_vs_torch():
    rng = np.random.default_rng(3)
    arrays = dict(q=rng.standard_normal((3, 2, 8)), kv=rng.standard_normal((5, 2, 8)),
                  w=rng.standard_normal((24, 8)) * 0.3, b=rng.standard_normal(24) * 0.1,
                  wo=rng.standard_normal((8, 8)) * 0.3, sk=rng.standard_normal((4, 6, 4)),
                  sv=rng.standard_normal((4, 6, 4)))
    outs, grads = [], []
    for lib in (gradlab, torch):
        t = {k: lib.tensor(a, requires_grad=True) for k, a in arrays.items()}
        out, w = lib.nn.functional.multi_head_attention_forward(
            t["q"], t["kv"], t["kv"], 8, 2, t["w"], t["b"], None, None, False, 0.5, t["wo"],
            None, training=False, static_k=t["sk"], static_v=t["sv"],
            average_attn_weights=False)
        (out.sum() + (w * w).sum()).backward()
        outs.append([out.detach().numpy(), w.detach().numpy()])
        grads.append({k: None if v.grad is None else v.grad.numpy() for k, v in t.items()})
    for a, b in zip(*outs):
        np.testing.assert_allclose(a, b, **TOL["float64"])
    for k in arrays:
        assert (grads[0][k] is None) == (grads[1][k] is None), k
        if grads[0][k] is not None:
            np.testing.assert_allclose(grads[0][k], grads[1][k], **TOL["float64"], err_msg=k)
