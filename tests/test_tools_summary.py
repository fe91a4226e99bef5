"""gradlab.tools.summary: parameter counts against torch-built twins and numel(), MACs against
an independent count (all-ones inputs and weights: each output sums its products), recurrent
models, user modules, the table, source 003's cost comparisons, errors."""

import numpy as np
import pytest
import torch
import torch.nn as tnn

import gradlab
from gradlab import models, nn
from gradlab.tools.summary import (
    conv_cost,
    depthwise_separable_vs_standard,
    stacked_3x3_vs_5x5,
    summary,
)


def _torch_count(m: tnn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def _numel(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


# ------------------------------------------------------------------ torch-built twins

def _torch_lenet5():
    return tnn.Sequential(
        tnn.Conv2d(1, 6, 5), tnn.Tanh(), tnn.AvgPool2d(2), tnn.Conv2d(6, 16, 5), tnn.Tanh(),
        tnn.AvgPool2d(2), tnn.Flatten(), tnn.Linear(400, 120), tnn.Tanh(), tnn.Linear(120, 84),
        tnn.Tanh(), tnn.Linear(84, 10))


def _torch_small_vgg():
    layers, c = [], 3
    for v in [32, 32, "M", 64, 64, "M", 128, 128, "M"]:
        if v == "M":
            layers.append(tnn.MaxPool2d(2))
        else:
            layers += [tnn.Conv2d(c, v, 3, padding=1), tnn.BatchNorm2d(v), tnn.ReLU()]
            c = v
    return tnn.Sequential(*layers, tnn.Flatten(), tnn.Linear(128 * 4 * 4, 256), tnn.ReLU(),
                          tnn.Linear(256, 10))


class _TorchBlock(tnn.Module):
    def __init__(self, cin, planes, stride, bottleneck):
        super().__init__()
        out = planes * (4 if bottleneck else 1)
        if bottleneck:
            self.body = tnn.Sequential(
                tnn.Conv2d(cin, planes, 1, bias=False), tnn.BatchNorm2d(planes), tnn.ReLU(),
                tnn.Conv2d(planes, planes, 3, stride, 1, bias=False), tnn.BatchNorm2d(planes),
                tnn.ReLU(), tnn.Conv2d(planes, out, 1, bias=False), tnn.BatchNorm2d(out))
            # option B: a 1x1 projection where the shape changes
            self.short = (tnn.Sequential(tnn.Conv2d(cin, out, 1, stride, bias=False),
                                         tnn.BatchNorm2d(out))
                          if stride != 1 or cin != out else tnn.Identity())
        else:
            self.body = tnn.Sequential(
                tnn.Conv2d(cin, planes, 3, stride, 1, bias=False), tnn.BatchNorm2d(planes),
                tnn.ReLU(), tnn.Conv2d(planes, planes, 3, 1, 1, bias=False),
                tnn.BatchNorm2d(planes))
            self.short = tnn.Identity()  # option A: zero padding, no parameters


def _torch_resnet(blocks, bottleneck, num_classes=10):
    layers = [tnn.Conv2d(3, 16, 3, 1, 1, bias=False), tnn.BatchNorm2d(16)]
    cin, planes = 16, 16
    for i, n in enumerate(blocks):
        for j in range(n):
            layers.append(_TorchBlock(cin, planes, 2 if i > 0 and j == 0 else 1, bottleneck))
            cin = planes * (4 if bottleneck else 1)
        planes *= 2
    return tnn.Sequential(*layers, tnn.Linear(cin, num_classes))


@pytest.mark.parametrize("name,build,twin,shape", [
    ("lenet5", lambda: models.LeNet5(), _torch_lenet5, (1, 1, 32, 32)),
    ("vgg", lambda: models.VGG(), _torch_small_vgg, (1, 3, 32, 32)),
    ("resnet20", lambda: models.resnet20(), lambda: _torch_resnet((3, 3, 3), False),
     (1, 3, 16, 16)),
    ("bottleneck", lambda: models.ResNet(models.Bottleneck, (1, 1, 1)),
     lambda: _torch_resnet((1, 1, 1), True), (1, 3, 16, 16)),
    ("mlp", lambda: models.MLP([64, 32, 16, 10], norm="batch"),
     lambda: tnn.Sequential(tnn.Linear(64, 32), tnn.BatchNorm1d(32), tnn.Linear(32, 16),
                            tnn.BatchNorm1d(16), tnn.Linear(16, 10)), (2, 64)),
])
def test_params_match_torch_twin_and_numel(name, build, twin, shape):
    m = build()
    s = summary(m, shape)
    assert s.total_params == _numel(m) == _torch_count(twin())
    assert s.trainable_params == s.total_params
    # the leaf rows partition the parameters
    assert sum(r.params for r in s.all_layers if r.is_leaf) == s.total_params


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_recurrent_params_match_torch_and_macs_per_step(cell):
    vocab, emb, hidden, layers, classes, n, steps = 30, 6, 8, 2, 4, 3, 5
    m = models.SequenceClassifier(classes, vocab_size=vocab, embedding_dim=emb,
                                  hidden_size=hidden, num_layers=layers, cell=cell,
                                  bidirectional=True)
    rnn_cls = {"lstm": tnn.LSTM, "gru": tnn.GRU, "rnn": tnn.RNN}[cell]
    twin = [tnn.Embedding(vocab, emb), rnn_cls(emb, hidden, layers, bidirectional=True),
            tnn.Linear(2 * hidden, classes)]
    s = summary(m, (n, steps), dtypes=[gradlab.int64])
    assert s.total_params == _numel(m) == sum(_torch_count(t) for t in twin)
    gates = {"lstm": 4, "gru": 3, "rnn": 1}[cell]
    # per time step and sample: layer 1 sees the embedding, layer 2 both directions' states
    per_step = 2 * gates * hidden * (emb + hidden) + 2 * gates * hidden * (2 * hidden + hidden)
    rnn_row = next(r for r in s.layers if r.name == "rnn")
    assert rnn_row.macs == per_step * steps * n
    assert s.total_macs == per_step * steps * n + n * 2 * hidden * classes
    assert rnn_row.output_shape[0] == (n, steps, 2 * hidden)


def test_seq2seq_and_charlm_run():
    m = models.Seq2Seq(src_vocab=11, tgt_vocab=13, embedding_dim=4, hidden_size=6, cell="gru")
    src = gradlab.zeros(2, 5, dtype=gradlab.int64)
    tgt = gradlab.zeros(2, 4, dtype=gradlab.int64)
    s = summary(m, input_data=[src, tgt])
    assert s.total_params == _numel(m)
    assert s.total_macs > 0
    lm = models.CharLM(20, embedding_dim=4, hidden_size=8)
    s = summary(lm, (2, 6), dtypes=gradlab.int64)  # one dtype for the one input
    assert s.total_params == _numel(lm)
    assert s.total_macs == 2 * 6 * (4 * 8 * (4 + 8) + 8 * 20)


def _ones_macs(module, x_shape):
    """Independent MAC count: all-ones weights and input, zero bias: each output element is
    the number of products summed into it, so the output's sum counts every product."""
    with gradlab.no_grad():
        for name, p in module.named_parameters():
            p.array[...] = 0.0 if name == "bias" else 1.0
        return int(round(float(module(gradlab.ones(*x_shape)).array.astype(np.float64).sum())))


@pytest.mark.parametrize("module,x_shape", [
    (nn.Linear(7, 5), (3, 7)),
    (nn.Linear(4, 6), (2, 3, 4)),
    (nn.Conv2d(4, 6, 3), (2, 4, 9, 8)),
    (nn.Conv2d(4, 6, (3, 2), stride=2, dilation=(1, 2)), (1, 4, 11, 10)),
    (nn.Conv2d(6, 4, 3, groups=2), (1, 6, 7, 7)),
    (nn.Conv1d(3, 5, 4, stride=2), (2, 3, 15)),
    (nn.ConvTranspose2d(3, 4, 3, stride=2), (1, 3, 5, 6)),
    (nn.ConvTranspose2d(4, 6, 2, groups=2), (2, 4, 3, 3)),
])
def test_macs_match_product_count(module, x_shape):
    s = summary(module, x_shape)
    assert s.total_macs == _ones_macs(module, x_shape)
    assert s.layers[0].macs == s.total_macs


def test_container_rows_sum_children_and_activation_bytes():
    m = models.LeNet5()
    s = summary(m, (2, 1, 32, 32))
    top = s.layers[0]
    assert top.name == "" and top.type == "LeNet5" and top.depth == 0
    assert top.macs == s.total_macs == sum(r.macs for r in s.all_layers if r.is_leaf)
    feats = next(r for r in s.layers if r.name == "features")
    assert feats.macs == sum(r.macs for r in s.layers if r.name.startswith("features."))
    conv = next(r for r in s.layers if r.name == "features.0")
    assert conv.output_shape == (2, 6, 28, 28)
    assert conv.activation_bytes == 2 * 6 * 28 * 28 * 4
    assert conv.macs == 2 * 6 * 28 * 28 * 25
    assert conv.params == 6 * 25 + 6
    dbl = summary(m.double(), input_data=gradlab.zeros(2, 1, 32, 32, dtype=gradlab.float64))
    assert dbl.layers[2].activation_bytes == 2 * conv.activation_bytes


def test_depth_limits_rows_not_totals():
    m = models.resnet20()
    full = summary(m, (1, 3, 8, 8), depth=10)
    shallow = summary(m, (1, 3, 8, 8), depth=1)
    assert max(r.depth for r in shallow.layers) == 1
    assert len(full.layers) > len(shallow.layers)
    assert (shallow.total_params, shallow.total_macs) == (full.total_params, full.total_macs)
    assert [r.name for r in summary(m, (1, 3, 8, 8), depth=0).layers] == [""]


def test_frozen_parameters_and_restored_mode():
    m = models.MLP([8, 16, 4])
    frozen = list(m.parameters())[:2]  # the first Linear's weight and bias
    for p in frozen:
        p.requires_grad_(False)
    m.train()
    s = summary(m, (2, 8))
    assert s.trainable_params == _numel(m) - sum(p.numel() for p in frozen)
    assert s.frozen_params == 8 * 16 + 16
    assert m.training  # the summary's eval() pass is undone
    assert "Non-trainable params: 144" in str(s)


class _Shared(nn.Module):
    """A user module: one Linear called twice (weights shared), a free Parameter, two inputs."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(5, 5)
        self.scale = nn.Parameter(gradlab.ones(5))

    def forward(self, a, b):
        return self.lin(self.lin(a) * self.scale) + b


def test_user_module_shared_layer_and_input_forms():
    m = _Shared()
    s = summary(m, [(3, 5), (3, 5)])
    assert s.total_params == 25 + 5 + 5
    lin_rows = [r for r in s.layers if r.name == "lin"]
    assert len(lin_rows) == 2 and s.total_macs == 2 * 3 * 25
    from_numpy = summary(m, input_data=[np.zeros((3, 5), np.float32),
                                        np.zeros((3, 5), np.float32)])
    from_kwargs = summary(m, input_data={"a": gradlab.zeros(3, 5), "b": gradlab.zeros(3, 5)})
    assert from_numpy.total_macs == from_kwargs.total_macs == s.total_macs
    assert s.input_bytes == 2 * 3 * 5 * 4


def test_str_table():
    text = str(summary(models.LeNet5(), (1, 1, 32, 32)))
    assert "features.0 (Conv2d)" in text and "[1, 6, 28, 28]" in text
    assert "Total params: 61,706" in text
    assert "Total mult-adds: 416,520" in text


def test_alexnet_params_match_torch_twin():
    m = models.AlexNet()
    s = summary(m, (1, 3, 224, 224), depth=2)
    twin = tnn.Sequential(
        tnn.Conv2d(3, 96, 11, 4), tnn.Conv2d(96, 256, 5, 1, 2), tnn.Conv2d(256, 384, 3, 1, 1),
        tnn.Conv2d(384, 384, 3, 1, 1), tnn.Conv2d(384, 256, 3, 1, 1),
        tnn.Linear(256 * 36, 4096), tnn.Linear(4096, 4096), tnn.Linear(4096, 1000))
    assert s.total_params == _numel(m) == _torch_count(twin) == 62_378_344
    feats = next(r for r in s.layers if r.name == "features")
    assert feats.output_shape == (1, 256, 5, 5)


# ------------------------------------------------------------------ source 003's comparisons

def test_stacked_3x3_vs_5x5_is_072_and_matches_real_layers():
    c, size = 16, 12
    r = stacked_3x3_vs_5x5(c, size)
    assert r["params_ratio"] == pytest.approx(0.72) and r["macs_ratio"] == pytest.approx(0.72)
    two = nn.Sequential(nn.Conv2d(c, c, 3, padding=1, bias=False),
                        nn.Conv2d(c, c, 3, padding=1, bias=False))
    one = nn.Conv2d(c, c, 5, padding=2, bias=False)
    s2, s1 = summary(two, (1, c, size, size)), summary(one, (1, c, size, size))
    assert (s2.total_params, s2.total_macs) == (r["stacked"]["params"], r["stacked"]["macs"])
    assert (s1.total_params, s1.total_macs) == (r["single"]["params"], r["single"]["macs"])
    assert r["stacked"]["flops"] == 2 * r["stacked"]["macs"]


def test_depthwise_separable_vs_standard_matches_real_layers():
    cin, cout, k, size = 8, 24, 3, 10
    r = depthwise_separable_vs_standard(cin, cout, k, size)
    assert r["params_ratio"] == pytest.approx(1 / cout + 1 / k ** 2)
    assert r["macs_ratio"] == pytest.approx(1 / cout + 1 / k ** 2)
    sep = nn.Sequential(nn.Conv2d(cin, cin, k, padding=1, groups=cin, bias=False),
                        nn.Conv2d(cin, cout, 1, bias=False))
    std = nn.Conv2d(cin, cout, k, padding=1, bias=False)
    ss, st = summary(sep, (1, cin, size, size)), summary(std, (1, cin, size, size))
    assert (ss.total_params, ss.total_macs) == (r["separable"]["params"], r["separable"]["macs"])
    assert (st.total_params, st.total_macs) == (r["standard"]["params"], r["standard"]["macs"])


def test_conv_cost_bias_and_errors():
    assert conv_cost(3, 6, 5, 28, bias=True)["params"] == 3 * 25 * 6 + 6
    with pytest.raises(ValueError, match="conv_cost: in_channels \\(6\\) and out_channels "
                       "\\(4\\) must be divisible by groups \\(4\\)"):
        conv_cost(6, 4, 3, 8, groups=4)
    with pytest.raises(ValueError, match="conv_cost: kernel_size must be a positive integer"):
        conv_cost(3, 4, 0, 8)


# ------------------------------------------------------------------ errors

def test_errors():
    m = nn.Linear(4, 2)
    with pytest.raises(ValueError, match="summary: give exactly one of input_size and "
                       "input_data"):
        summary(m)
    with pytest.raises(ValueError, match="summary: give exactly one"):
        summary(m, (1, 4), input_data=gradlab.zeros(1, 4))
    with pytest.raises(ValueError, match="batch dimension first"):
        summary(m, 4)
    with pytest.raises(ValueError, match=r"positive integer dimensions \(batch first\), got "
                       r"\(1, 0\)"):
        summary(m, (1, 0))
    with pytest.raises(ValueError, match="summary: 2 dtypes for 1 inputs"):
        summary(m, (1, 4), dtypes=[gradlab.float32, gradlab.float32])
    with pytest.raises(ValueError, match="summary: depth must be an integer >= 0, got -1"):
        summary(m, (1, 4), depth=-1)
    with pytest.raises(TypeError, match="summary: model must be a gradlab.nn.Module"):
        summary(torch.nn.Linear(4, 2), (1, 4))
    with pytest.raises(RuntimeError, match=r"summary: the forward pass of Linear failed on "
                       r"inputs of shapes \[\(1, 5\)\]"):
        summary(m, (1, 5))
