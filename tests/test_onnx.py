"""gradlab.onnx.export: every zoo model and one small model per op pass onnx.checker and run in
onnxruntime with gradlab's outputs (float32 tolerance), at the traced batch size and at another
one (dynamic batch axis); unsupported ops and values computed outside gradlab's ops are refused
with an error naming them."""

from __future__ import annotations

import io

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

import gradlab
import gradlab.onnx
from gradlab import models, nn
from gradlab.io.onnx import ExportError
from gradlab.nn import functional as F

RTOL, ATOL = 1e-4, 1e-5


def _flat(out) -> list:
    if isinstance(out, gradlab.Tensor):
        return [out.numpy()]
    return [a for o in out for a in _flat(o)]


def roundtrip(model, inputs, other_batch: int | None = 5, **kw) -> onnx.ModelProto:
    """Export with a dynamic batch axis, check the file, compare onnxruntime with gradlab on the
    example inputs and on inputs with ``other_batch`` samples."""
    inputs = inputs if isinstance(inputs, tuple) else (inputs,)
    names = [f"x{k}" for k in range(len(inputs))]
    buf = io.BytesIO()
    proto = gradlab.onnx.export(model, inputs, buf, input_names=names,
                                dynamic_axes={n: {0: "batch"} for n in names}, **kw)
    onnx.checker.check_model(onnx.load_from_string(buf.getvalue()))
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(1)
    batches = [inputs]
    if other_batch is not None:
        other = []
        for x in inputs:
            a = x.numpy()
            if a.dtype.kind == "f":
                b = rng.standard_normal((other_batch,) + a.shape[1:]).astype(a.dtype)
            else:
                b = rng.integers(0, int(a.max()) + 1, (other_batch,) + a.shape[1:])
            other.append(gradlab.tensor(b))
        batches.append(tuple(other))
    model.eval()
    for xs in batches:
        with gradlab.no_grad():
            want = _flat(model(*xs))
        got = sess.run(None, {n: x.numpy() for n, x in zip(names, xs)})
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g.shape == w.shape
            np.testing.assert_allclose(g, w, rtol=RTOL, atol=ATOL)
    return proto


def ints(high, *shape):
    return gradlab.tensor(np.random.default_rng(0).integers(0, high, shape))


# ----------------------------------------------------------------------------- the zoo


def _zoo():
    return [
        ("mlp", lambda: models.MLP([64, 32, 10], dropout=0.3), lambda: gradlab.randn(4, 64)),
        ("lenet5-relu-28", lambda: models.LeNet5(input_size=28, classic=False),
         lambda: gradlab.randn(3, 1, 28, 28)),
        ("lenet5-classic-32", lambda: models.LeNet5(input_size=32, classic=True),
         lambda: gradlab.randn(3, 1, 32, 32)),
        ("vgg-small-bn", lambda: models.VGG(num_classes=10, in_channels=1, input_size=32),
         lambda: gradlab.randn(2, 1, 32, 32)),
        ("resnet20", lambda: models.resnet20(num_classes=10, in_channels=1),
         lambda: gradlab.randn(2, 1, 32, 32)),
        ("resnet20-plain", lambda: models.resnet20(num_classes=10, in_channels=1, plain=True),
         lambda: gradlab.randn(2, 1, 32, 32)),
        ("classifier-lstm", lambda: models.SequenceClassifier(
            5, vocab_size=20, embedding_dim=8, hidden_size=16), lambda: ints(20, 3, 7)),
        ("classifier-bi-rnn", lambda: models.SequenceClassifier(
            5, input_size=6, hidden_size=8, cell="rnn", bidirectional=True),
         lambda: gradlab.randn(3, 7, 6)),
        ("tagger-bi-gru-2", lambda: models.SequenceTagger(
            4, input_size=6, hidden_size=8, cell="gru", bidirectional=True, num_layers=2),
         lambda: gradlab.randn(3, 7, 6)),
        ("seq2seq-lstm", lambda: models.Seq2Seq(11, 13, 8, 16),
         lambda: (ints(11, 3, 7), ints(13, 3, 5))),
        ("charlm-lstm-2", lambda: models.CharLM(15, 8, 16, num_layers=2),
         lambda: ints(15, 3, 7)),
        ("charlm-gru", lambda: models.CharLM(15, 8, 16, cell="gru"), lambda: ints(15, 3, 7)),
    ]


@pytest.mark.parametrize("name,build,example", _zoo(), ids=[z[0] for z in _zoo()])
def test_zoo_model_runs_in_onnxruntime(name, build, example):
    gradlab.manual_seed(0)
    model = build()
    # BatchNorm with running statistics that are not the initial (0, 1)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.array[:] = np.random.default_rng(2).normal(size=m.num_features)
            m.running_var.array[:] = np.random.default_rng(3).uniform(0.5, 2, m.num_features)
    roundtrip(model, example())


def test_initializers_keep_state_dict_names_and_mode_is_restored():
    gradlab.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                          nn.Dropout(0.5), nn.Linear(4 * 6 * 6, 3))
    model.train()
    model[4].eval()
    _export(model, gradlab.randn(2, 1, 8, 8))
    assert [m.training for m in model] == [True, True, True, True, False, True]
    proto = roundtrip(model, gradlab.randn(2, 1, 8, 8))
    inits = {t.name for t in proto.graph.initializer}
    assert {"0.weight", "0.bias", "5.bias"} <= inits
    ops = [n.op_type for n in proto.graph.node]
    assert "Conv" in ops and "MatMul" in ops and "Dropout" not in ops
    assert [d.dim_param for d in proto.graph.input[0].type.tensor_type.shape.dim][0] == "batch"
    assert proto.graph.output[0].type.tensor_type.shape.dim[0].dim_param == "output_dim_0"


def test_user_names_that_look_like_internal_ones():
    model = nn.Sequential(nn.Linear(3, 3), nn.ReLU())
    x = gradlab.randn(2, 3)
    buf = io.BytesIO()
    gradlab.onnx.export(model, x, buf, input_names=["matmul_1"], output_names=["relu_3"])
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    with gradlab.no_grad():
        want = model(x).numpy()
    np.testing.assert_allclose(sess.run(["relu_3"], {"matmul_1": x.numpy()})[0], want,
                               rtol=RTOL, atol=ATOL)


# ----------------------------------------------------------------------------- one op each


class Lambda(nn.Module):
    """A module whose forward is ``fn(self, x)``; extra modules become its children."""

    def __init__(self, fn, **children) -> None:
        super().__init__()
        self.fn = fn
        for k, v in children.items():
            setattr(self, k, v)

    def forward(self, *xs):
        return self.fn(self, *xs)


def _ops():
    x4 = (2, 4, 9, 9)
    return [
        ("linear", lambda: nn.Linear(5, 3), (3, 5)),
        ("linear-3d", lambda: nn.Linear(5, 3, bias=False), (3, 4, 5)),
        ("conv1d", lambda: nn.Conv1d(3, 4, 3, stride=2, padding=1), (2, 3, 11)),
        ("conv1d-dilated-groups", lambda: nn.Conv1d(4, 6, 3, dilation=2, groups=2), (2, 4, 12)),
        ("conv2d-stride-pad", lambda: nn.Conv2d(4, 5, 3, stride=2, padding=1), x4),
        ("conv2d-dilation", lambda: nn.Conv2d(4, 5, 3, padding=2, dilation=2), x4),
        ("conv2d-groups-nobias", lambda: nn.Conv2d(4, 6, (3, 2), groups=2, bias=False), x4),
        ("conv2d-same", lambda: nn.Conv2d(4, 3, 4, padding="same"), x4),
        ("conv2d-alexnet-stem", lambda: nn.Conv2d(4, 3, 5, stride=4, padding=2), (1, 4, 23, 23)),
        ("conv-transpose2d", lambda: nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1,
                                                        output_padding=1), x4),
        ("conv-transpose2d-groups-dilation",
         lambda: nn.ConvTranspose2d(4, 6, 3, groups=2, dilation=2), x4),
        ("maxpool", lambda: nn.MaxPool2d(2), x4),
        ("maxpool-overlap-pad", lambda: nn.MaxPool2d(3, 2, padding=1), x4),
        ("maxpool-ceil-dilation", lambda: nn.MaxPool2d(2, 2, dilation=2, ceil_mode=True), x4),
        ("avgpool", lambda: nn.AvgPool2d(2), x4),
        ("avgpool-exclude-pad-ceil", lambda: nn.AvgPool2d(3, 2, padding=1, ceil_mode=True,
                                                          count_include_pad=False), x4),
        ("adaptive-avg-1", lambda: nn.AdaptiveAvgPool2d(1), x4),
        ("adaptive-avg-3", lambda: nn.AdaptiveAvgPool2d(3), x4),
        ("adaptive-avg-uneven", lambda: nn.AdaptiveAvgPool2d((4, 6)), x4),
        ("adaptive-avg-alexnet-5-to-6", lambda: nn.AdaptiveAvgPool2d(6), (2, 3, 5, 5)),
        ("adaptive-max-3", lambda: nn.AdaptiveMaxPool2d(3), x4),
        ("batchnorm2d", lambda: _bn(nn.BatchNorm2d(4)), x4),
        ("batchnorm1d", lambda: _bn(nn.BatchNorm1d(5)), (3, 5)),
        ("layernorm", lambda: nn.LayerNorm(9), x4),
        ("groupnorm", lambda: nn.GroupNorm(2, 4), x4),
        ("relu", lambda: nn.ReLU(), x4),
        ("leaky-relu", lambda: nn.LeakyReLU(0.2), x4),
        ("elu", lambda: nn.ELU(0.7), x4),
        ("gelu", lambda: nn.GELU(), x4),
        ("hardsigmoid", lambda: nn.Hardsigmoid(), x4),
        ("hardswish", lambda: nn.Hardswish(), x4),
        ("gelu-tanh", lambda: nn.GELU("tanh"), x4),
        ("sigmoid", lambda: nn.Sigmoid(), x4),
        ("tanh", lambda: nn.Tanh(), x4),
        ("softmax", lambda: nn.Softmax(1), x4),
        ("log-softmax", lambda: nn.LogSoftmax(-1), (3, 7)),
        ("softplus", lambda: nn.Softplus(), x4),
        ("softplus-beta-threshold", lambda: Lambda(lambda m, x: F.softplus(x * 4, 2.0, 3.0)), x4),
        ("prelu-channels", lambda: _prelu(nn.PReLU(4)), x4),
        ("prelu-shared", lambda: _prelu(nn.PReLU()), (3, 5)),
        ("flatten", lambda: nn.Flatten(), x4),
        ("dropout-eval", lambda: nn.Sequential(nn.Dropout(0.5), nn.Dropout2d(0.3)), x4),
        ("embedding", lambda: nn.Embedding(10, 3), "ints"),
        ("lstm-2-bidirectional", lambda: nn.LSTM(5, 4, 2, batch_first=True, bidirectional=True),
         (3, 6, 5)),
        ("lstm-time-major-nobias", lambda: nn.LSTM(5, 4, bias=False), (6, 3, 5)),
        ("gru-2", lambda: nn.GRU(5, 4, 2, batch_first=True), (3, 6, 5)),
        ("gru-cho-bidirectional", lambda: nn.GRU(5, 4, batch_first=True, bidirectional=True,
                                                 cho=True), (3, 6, 5)),
        ("rnn-relu", lambda: nn.RNN(5, 4, nonlinearity="relu", batch_first=True), (3, 6, 5)),
        ("residual-add", lambda: Lambda(lambda m, x: m.conv(x) + x,
                                        conv=nn.Conv2d(4, 4, 3, padding=1)), x4),
        ("tensor-code", lambda: Lambda(_tensor_code), (3, 4, 6)),
        ("inplace-in-forward", lambda: Lambda(_inplace_code, fc=nn.Linear(6, 6)), (3, 6)),
        ("more-tensor-code", lambda: Lambda(_more_tensor_code), (3, 4, 6)),
        ("backward-hook", lambda: _hooked(nn.Linear(4, 3)), (2, 4)),
        ("tril-triu", lambda: Lambda(lambda m, x: x.tril(1) + gradlab.triu(x * 2, -1)), (3, 4, 5)),
        ("roll-dims", lambda: Lambda(lambda m, x: x.roll((1, -7), (1, 2)) + x.roll(2, -1)),
         (3, 4, 5)),
        ("norms", lambda: Lambda(_norms), (3, 4, 5)),
    ]


def _bn(m):
    rng = np.random.default_rng(4)
    m.running_mean.array[:] = rng.normal(size=m.num_features)
    m.running_var.array[:] = rng.uniform(0.5, 2.0, m.num_features)
    m.weight.array[:] = rng.normal(size=m.num_features)
    m.bias.array[:] = rng.normal(size=m.num_features)
    return m


def _prelu(m):
    m.weight.array[:] = np.linspace(-0.5, 0.5, m.weight.numel())
    return m


def _tensor_code(m, x):
    """Arithmetic, reductions and views a forward may contain."""
    n = x.shape[0]
    a = x.permute(0, 2, 1).reshape(n, -1).view(n, 6, 4)
    b = (a * 2 - 1) / 3 + a.abs().sqrt() - (a * a + 1).rsqrt() + a.exp().log1p()
    b = b.clamp(-1.5, 2.0) ** 2 - b.pow(3) * 0.1 + (-b).sin() * b.cos()
    c = gradlab.cat([b[:, 1:4], b[:, :2]], dim=1)
    s = gradlab.stack([c.mean(1), c.sum(dim=1), c.var(1), c.std(1, keepdim=False)], dim=1)
    top, arg = c.max(dim=2)
    d = s.flatten(1) + top.amax(1, keepdim=True) + c.logsumexp(2).mean(1, keepdim=True)
    e = d[:, None, ::2].squeeze(1).unsqueeze(-1).expand(n, 8, 3).permute(0, 2, 1)
    f = F.pad(e, (1, -3), value=0.5).softmax(-1) + x.maximum(x * 0.5).minimum(x + 1)[:, :3, :]
    keep = gradlab.tensor(np.arange(18).reshape(3, 6) % 4 != 0)  # a constant condition
    g = gradlab.where(keep, f, f * 0.1).cumsum(1) + arg[:, :3, None].float()
    tail = x[..., -1].unsqueeze(1).repeat(1, 3, 1)[:, :, :1].sigmoid()
    return g.tanh() + tail + g.prod(1, keepdim=True)


def _more_tensor_code(m, x):
    """The ops the first block leaves out: log, clone, contiguous, reflect padding (an index
    select), gather, min along a dim, amin, a corrected variance."""
    a = x.permute(0, 2, 1).contiguous().clone()
    b = F.pad(a, (2, 1), mode="reflect") + (a.abs() + 1).log().mean(1, keepdim=True)[..., :1]
    idx = gradlab.tensor(np.array([[[0, 2, 1, 3]] * 6]))  # gathers from sample 0 alone
    c = b.gather(2, idx) + b[..., 3:7]
    low, where = c.min(dim=1)
    return (c.amin(2) + low[:, :1] + where[:, :1].float(), c.var(2, correction=0),
            c.std(dim=(1, 2)))


def _norms(m, x):
    """Every order of vector_norm's exporter, over one dim, two dims and all."""
    v = gradlab.linalg.vector_norm
    rows = [x.norm(dim=1), x.norm(1, 2, True).expand(-1, -1, 5).sum(1),
            v(x, float("inf"), dim=1), v(x, -float("inf"), dim=1), v(x.relu(), 0, dim=1),
            v(x, 3, dim=1), gradlab.norm(x, 0.5, 1)]
    return gradlab.stack(rows, 1).sum(1) + x.norm("fro", (1, 2), keepdim=True)[:, 0]


def _hooked(m):
    m.register_full_backward_hook(lambda mod, gin, gout: None)
    return m


def _inplace_code(m, x):
    h = m.fc(x)
    h += x  # in-place on a traced value: recorded as an out-of-place add
    h *= 0.5
    h.clamp_(-0.5, 0.5)
    return h


@pytest.mark.parametrize("name,build,shape", _ops(), ids=[o[0] for o in _ops()])
def test_op_runs_in_onnxruntime(name, build, shape):
    gradlab.manual_seed(0)
    model = build()
    x = ints(10, 3, 5) if shape == "ints" else gradlab.randn(*shape)
    if name == "lstm-time-major-nobias":  # batch is dim 1: export with a fixed batch
        roundtrip(model, x, other_batch=None)
    else:
        roundtrip(model, x)


def test_dynamic_sequence_length():
    gradlab.manual_seed(0)
    model = models.CharLM(15, 8, 16, num_layers=2).eval()
    buf = io.BytesIO()
    gradlab.onnx.export(model, ints(15, 3, 7), buf, input_names=["x"],
                        output_names=["logits", "h_n", "c_n"],
                        dynamic_axes={"x": {0: "batch", 1: "steps"},
                                      "logits": {0: "batch", 1: "steps"}})
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    for shape in ((2, 11), (5, 1)):
        x = ints(15, *shape)
        got = sess.run(None, {"x": x.numpy()})
        with gradlab.no_grad():
            want = _flat(model(x))
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=RTOL, atol=ATOL)


def test_lstm_with_initial_states_as_inputs():
    gradlab.manual_seed(0)
    lstm = nn.LSTM(5, 4, 2, batch_first=True)
    model = Lambda(lambda m, x, h, c: m.lstm(x, (h, c)), lstm=lstm)
    x, h, c = gradlab.randn(3, 6, 5), gradlab.randn(2, 3, 4), gradlab.randn(2, 3, 4)
    buf = io.BytesIO()
    gradlab.onnx.export(model, (x, h, c), buf, input_names=["x", "h0", "c0"],
                        output_names=["y", "h_n", "c_n"])
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    got = sess.run(None, {"x": x.numpy(), "h0": h.numpy(), "c0": c.numpy()})
    with gradlab.no_grad():
        want = _flat(model(x, h, c))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=RTOL, atol=ATOL)
    assert [o.name for o in onnx.load_from_string(buf.getvalue()).graph.output] == [
        "y", "h_n", "c_n"]


def test_lstm_and_gru_gate_order_matches_torch_weights():
    """The ONNX file computes torch's LSTM/GRU from the same weights (gate blocks reordered)."""
    gradlab.manual_seed(0)
    for g_cls, t_cls in ((nn.LSTM, torch.nn.LSTM), (nn.GRU, torch.nn.GRU)):
        ours = g_cls(3, 5, batch_first=True)
        ref = t_cls(3, 5, batch_first=True)
        with torch.no_grad():
            for name, p in ours.named_parameters():
                getattr(ref, name).copy_(torch.from_numpy(p.detach().numpy()))
        x = gradlab.randn(2, 4, 3)
        buf = io.BytesIO()
        gradlab.onnx.export(ours, x, buf)
        sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
        got = sess.run(None, {"input": x.numpy()})
        with torch.no_grad():
            y, _ = ref(torch.from_numpy(x.numpy()))
        np.testing.assert_allclose(got[0], y.numpy(), rtol=RTOL, atol=ATOL)


def test_roll_without_dims_with_a_fixed_shape():
    """A roll of the flattened tensor needs every size fixed: export without dynamic axes."""
    model = Lambda(lambda m, x: x.roll(5) * 2 + x.roll(-1))
    x = gradlab.randn(3, 4, 5)
    buf = io.BytesIO()
    gradlab.onnx.export(model, x, buf)
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    with gradlab.no_grad():
        want = model(x).numpy()
    np.testing.assert_allclose(sess.run(None, {"input": x.numpy()})[0], want, rtol=RTOL,
                               atol=ATOL)


@pytest.mark.parametrize("opset", [18, 21])
def test_file_path_and_later_opsets(tmp_path, opset):
    """Opset 18 moved the reduction axes from an attribute to an input."""
    gradlab.manual_seed(0)
    model = Lambda(lambda m, x: m.norm(m.fc(x)).relu() + x.var(1, keepdim=True),
                   fc=nn.Linear(4, 8), norm=nn.LayerNorm(8))
    path = tmp_path / "m.onnx"
    gradlab.onnx.export(model, gradlab.randn(2, 4), str(path), opset_version=opset)
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto)
    assert proto.opset_import[0].version == opset
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = gradlab.randn(2, 4)
    model.eval()
    with gradlab.no_grad():
        want = model(x).numpy()
    np.testing.assert_allclose(sess.run(None, {"input": x.numpy()})[0], want, rtol=RTOL,
                               atol=ATOL)


# ----------------------------------------------------------------------------- refusals


def _export(model, x):
    return gradlab.onnx.export(model, x, io.BytesIO())


def test_unsupported_op_is_named():
    model = nn.Sequential(nn.Linear(3, 4), nn.RBF(4, 5))
    with pytest.raises(ExportError, match=r"cannot export gradlab\.ops\.activation\.RBF: no "
                                          r"ONNX mapping"):
        _export(model, gradlab.randn(2, 3))


def test_value_computed_outside_traced_ops_is_refused():
    def fn(m, x):
        return x + gradlab.tensor(x.detach().numpy() * 2)  # .numpy() leaves the trace

    with pytest.raises(ExportError, match=r"cannot export gradlab\.ops\.elementwise\.Add: "
                                          r"argument 1 \(shape \[2, 3\]\) is a constant that "
                                          r"changes with the model's input"):
        _export(Lambda(fn), gradlab.randn(2, 3))


def test_numpy_in_forward_and_indexed_assignment_are_refused():
    with pytest.raises(ExportError, match=r"cannot export: the forward reads a value computed "
                                          r"from the input as a NumPy array"):
        _export(Lambda(lambda m, x: x + float(x.numpy().sum())), gradlab.randn(2, 3))

    def assign(m, x):
        y = x * 2
        y[:, 0] = 0.0
        return y

    with pytest.raises(ExportError, match=r"cannot export gradlab\.ops\.shape\.IndexPut: no ONNX "
                                          r"mapping for this op \(indexed assignment x\[idx\] = v"):
        _export(Lambda(assign), gradlab.randn(2, 3))


def test_in_place_change_outside_the_trace_is_refused():
    def fn(m, tokens):
        tokens += 1  # an integer tensor: changed in place, no op recorded
        return m.embed(tokens)

    with pytest.raises(ExportError, match=r"cannot export: the model's input \(shape \[2, 3\]\) "
                                          r"was changed in place outside gradlab's traced ops"):
        _export(Lambda(fn, embed=nn.Embedding(10, 4)), ints(8, 2, 3))

    def fn2(m, x):
        y = x * 2
        with gradlab.no_grad():
            y.array += 1  # behind autograd's back
        return y

    with pytest.raises(ExportError, match=r"the output of gradlab\.ops\.elementwise\.Mul "
                                          r"\(shape \[2, 3\]\) was changed in place"):
        _export(Lambda(fn2), gradlab.randn(2, 3))


def test_control_flow_on_values_is_refused():
    def fn(m, x):
        return x.relu() if x.min().item() > 0 else x.tanh().sigmoid()

    x = gradlab.tensor(np.random.default_rng(0).uniform(1, 2, (4, 8)).astype(np.float32))
    with pytest.raises(ExportError, match="the forward ran different ops for another input"):
        _export(Lambda(fn), x)


def test_packed_sequences_and_max_pool_indices_are_refused():
    model = models.SequenceClassifier(3, input_size=4, hidden_size=5)
    x, lengths = gradlab.randn(2, 5, 4), gradlab.tensor([5, 3])
    with pytest.raises(ExportError, match=r"cannot export gradlab\.nn\.utils\.rnn\._PackPadded: "
                                          r"no ONNX mapping"):
        _export(Lambda(lambda m, x: m.net(x, lengths), net=model), x)
    pool = Lambda(lambda m, x: F.max_pool2d(x, 2, return_indices=True)[1].float())
    with pytest.raises(ExportError, match=r"output of gradlab\.ops\.pool\.MaxPool2d is used but "
                                          r"has no ONNX equivalent"):
        _export(pool, gradlab.randn(1, 2, 4, 4))


def test_output_without_input_and_bad_arguments():
    with pytest.raises(ExportError, match=r"model output 1 \(shape \[3\]\) does not depend on "
                                          r"the input"):
        _export(Lambda(lambda m, x: (x * 2, gradlab.ones(3))), gradlab.randn(2))
    with pytest.raises(TypeError, match=r"export: args must be a Tensor or a non-empty tuple of "
                                        r"Tensors, got ndarray"):
        gradlab.onnx.export(nn.ReLU(), np.ones(3), io.BytesIO())
    with pytest.raises(ValueError, match="opset_version must be between 17 and 21, got 11"):
        gradlab.onnx.export(nn.ReLU(), gradlab.ones(3), io.BytesIO(), opset_version=11)
    with pytest.raises(ValueError, match=r"export: 2 input_names for 1 model inputs"):
        gradlab.onnx.export(nn.ReLU(), gradlab.ones(3), io.BytesIO(), input_names=["a", "b"])
