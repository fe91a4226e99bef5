"""gradlab.tools.receptive_field: source 003's appendix tables (AlexNet, VGG16, ZF-5 at 224x224)
from layer specs and from the zoo's models, and the closed form against the autograd
measurement (input pixels with a non-zero gradient for one output unit) on the zoo."""

import pytest

import gradlab
from gradlab import models, nn
from gradlab.models.vgg import VGG16_CFG, make_layers
from gradlab.nn import functional as F
from gradlab.tools.receptive_field import measure_receptive_field, receptive_field

# source 003 appendix B, verbatim: [filter size, stride, padding] and the layer names
SEED_NETS = {
    "alexnet": ([[11, 4, 0], [3, 2, 0], [5, 1, 2], [3, 2, 0], [3, 1, 1], [3, 1, 1], [3, 1, 1],
                 [3, 2, 0]],
                ["conv1", "pool1", "conv2", "pool2", "conv3", "conv4", "conv5", "pool5"]),
    "vgg16": ([[3, 1, 1], [3, 1, 1], [2, 2, 0], [3, 1, 1], [3, 1, 1], [2, 2, 0], [3, 1, 1],
               [3, 1, 1], [3, 1, 1], [2, 2, 0], [3, 1, 1], [3, 1, 1], [3, 1, 1], [2, 2, 0],
               [3, 1, 1], [3, 1, 1], [3, 1, 1], [2, 2, 0]],
              ["conv1_1", "conv1_2", "pool1", "conv2_1", "conv2_2", "pool2", "conv3_1", "conv3_2",
               "conv3_3", "pool3", "conv4_1", "conv4_2", "conv4_3", "pool4", "conv5_1",
               "conv5_2", "conv5_3", "pool5"]),
    "zf-5": ([[7, 2, 3], [3, 2, 1], [5, 2, 2], [3, 2, 1], [3, 1, 1], [3, 1, 1], [3, 1, 1]],
             ["conv1", "pool1", "conv2", "pool2", "conv3", "conv4", "conv5"]),
}


def _seed_out_from_in(isz, net, layernum):
    """The source's outFromIn, as written for Python 2 (``/`` on ints floors: here ``//``)."""
    totstride = 1
    insize = isz
    for layer in range(layernum):
        fsize, stride, pad = net[layer]
        outsize = (insize - fsize + 2 * pad) // stride + 1
        insize = outsize
        totstride = totstride * stride
    return outsize, totstride


def _seed_in_from_out(net, layernum):
    """The source's inFromOut, verbatim."""
    RF = 1
    for layer in reversed(range(layernum)):
        fsize, stride, pad = net[layer]
        RF = ((RF - 1) * stride) + fsize
    return RF


def _seed_table(name, imsize=224):
    net, names = SEED_NETS[name]
    return [(names[i], *_seed_out_from_in(imsize, net, i + 1), _seed_in_from_out(net, i + 1))
            for i in range(len(net))]


def _ours(table):
    return [(r.name, r.output_size, r.jump, r.rf) for r in table.layers]


@pytest.mark.parametrize("name", list(SEED_NETS))
def test_spec_tables_equal_seed_script(name):
    net, names = SEED_NETS[name]
    assert _ours(receptive_field(net, 224, names=names)) == _seed_table(name)


def test_seed_numbers_spelled_out():
    alex = receptive_field(*SEED_NETS["alexnet"][:1], 224, names=SEED_NETS["alexnet"][1])
    assert [r.output_size for r in alex.layers] == [54, 26, 26, 12, 12, 12, 12, 5]
    assert [r.rf for r in alex.layers] == [11, 19, 51, 67, 99, 131, 163, 195]
    assert [r.jump for r in alex.layers] == [4, 8, 8, 16, 16, 16, 16, 32]
    vgg = receptive_field(SEED_NETS["vgg16"][0], 224, names=SEED_NETS["vgg16"][1])
    assert (vgg["pool5"].output_size, vgg["pool5"].jump, vgg["pool5"].rf) == (7, 32, 212)
    assert vgg["conv5_3"].rf == 196 and vgg["pool1"].rf == 6
    zf = receptive_field(SEED_NETS["zf-5"][0], 224, names=SEED_NETS["zf-5"][1])
    assert [r.output_size for r in zf.layers] == [112, 56, 28, 14, 14, 14, 14]
    assert [r.rf for r in zf.layers] == [7, 11, 27, 43, 75, 107, 139]
    assert [r.jump for r in zf.layers] == [2, 4, 8, 16, 16, 16, 16]
    # Faster R-CNN's region proposal net slides a 3x3 window over conv5: "the effective
    # receptive field is 171 and 228 pixels for ZF and VGG" (Ren et al. 2015, sec. 3.1)
    rpn = (3, 1, 1)
    zf_rpn = receptive_field(SEED_NETS["zf-5"][0] + [rpn], 224)
    vgg_rpn = receptive_field(SEED_NETS["vgg16"][0][:-1] + [rpn], 224)  # conv5_3, no pool5
    assert (zf_rpn.layers[-1].rf, vgg_rpn.layers[-1].rf) == (171, 228)


def test_seed_pooling_rule_disagrees_with_its_script():
    """Source 003's text says pooling rounds *up* ((input - kernel) / stride + 1, ceil, Caffe's
    rule) but its appendix script floors (PyTorch's default): for AlexNet at 224 the two give
    different tables (pool1 27 vs 26, pool2 13 vs 12, pool5 6 vs 5). The zoo follows the
    script; ceil_mode=True gives the text's numbers."""
    ceil = nn.Sequential(nn.Conv2d(3, 1, 11, 4), nn.MaxPool2d(3, 2, ceil_mode=True),
                         nn.Conv2d(1, 1, 5, 1, 2), nn.MaxPool2d(3, 2, ceil_mode=True),
                         nn.Conv2d(1, 1, 3, 1, 1), nn.MaxPool2d(3, 2, ceil_mode=True))
    sizes = [r.output_size for r in receptive_field(ceil, 224).layers]
    assert sizes == [54, 27, 27, 13, 13, 6]
    floor = [row[1] for row in _seed_table("alexnet")]
    assert floor[1::2][:2] + floor[-1:] == [26, 12, 5]
    # AlexNet's conv1 tiles 227 exactly ((227 - 11) / 4 + 1 = 55) but not 224: 213 / 4 = 53.25
    at227 = receptive_field(SEED_NETS["alexnet"][0], 227, names=SEED_NETS["alexnet"][1])
    assert [at227[n].output_size for n in ("conv1", "pool1", "pool2", "pool5")] == [55, 27, 13, 6]


@pytest.fixture(scope="module")
def classics():
    gradlab.manual_seed(0)
    return {"alexnet": models.AlexNet().features, "zf-5": models.ZFNet().features,
            "vgg16": make_layers(VGG16_CFG, 3, False)}  # VGG16().features, without the FC


@pytest.mark.parametrize("name", list(SEED_NETS))
def test_zoo_classics_walked_give_seed_tables(classics, name):
    table = receptive_field(classics[name], 224)
    rows = _ours(table)[:len(SEED_NETS[name][0])]
    assert [r[1:] for r in rows] == [r[1:] for r in _seed_table(name)]
    assert all(r.type in ("Conv2d", "MaxPool2d") for r in table.layers)


def _agree(model, size, **kw):
    table = receptive_field(model, size, **kw)
    measured = measure_receptive_field(model, size, layers=[r.name for r in table.layers], **kw)
    assert len(table.layers) > 0
    for row in table.layers:
        assert measured[row.name].region == row.region(), row.name
    return table, measured


@pytest.mark.parametrize("build,size", [
    (lambda: models.LeNet5(), 32),
    (lambda: models.LeNet5(input_size=28, classic=False), 28),
    (lambda: models.VGG(), 32),
    (lambda: models.resnet20(), 32),
    (lambda: models.ResNet(models.Bottleneck, (1, 1, 1)), 24),
])
def test_closed_form_agrees_with_autograd_on_zoo(build, size):
    _agree(build(), size)


def test_closed_form_agrees_with_autograd_on_classics(classics):
    _agree(classics["alexnet"], 67)
    _agree(classics["zf-5"], 51)
    _agree(nn.Sequential(*list(classics["vgg16"])[:10]), 40)  # through pool2 and conv3_1


def test_unclipped_field_sizes_measured():
    table, measured = _agree(models.VGG(input_size=64), 64)
    for name in ("features.6", "features.13"):
        assert measured[name].size == (table[name].rf, table[name].rf)
    assert table["features.13"].rf == 16


class _UserNet(nn.Module):
    """Dilation, a functional ReLU and residual add, ceil-mode pooling, non-square kernels."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(2, 4, (3, 5), padding=(1, 2))
        self.b = nn.Conv2d(4, 4, 3, padding=2, dilation=2)
        self.pool = nn.MaxPool2d(3, 2, 1, ceil_mode=True)
        self.c = nn.Conv2d(4, 4, (1, 3), stride=(1, 2))

    def forward(self, x):
        h = F.relu(self.a(x))
        h = h + self.b(h)
        return self.c(self.pool(h)).flatten(1)


def test_user_model_non_square_and_dilated():
    table, measured = _agree(_UserNet(), (21, 30))
    assert table["a"].rf == (3, 5)
    assert table["b"].rf == (7, 9) and table["b"].dilation == 2
    assert table["c"].kernel_size == (1, 3) and table["c"].jump == (2, 4)
    assert measured["b"].size == (7, 9)


def test_residual_branch_takes_the_larger_field_and_flatten_ends_table():
    t = receptive_field(models.resnet20(), 32)
    assert t["layer1.0.conv2"].rf == 7 and t["layer1.1.conv1"].rf == 9  # via the add
    assert t.layers[-1].name == "layer3.2.conv2"  # pool/fc rows never appear
    assert t["layer3.2.conv2"].rf == 81 and t["layer3.2.conv2"].jump == 4


def test_stacked_small_kernels_and_growth():
    """Source 003: two 3x3 convs see what one 5x5 sees, three what one 7x7 sees. Its remark that
    the field grows exponentially holds only with downsampling: at stride 1 it grows by k - 1
    per layer (linearly); each stride multiplies the later growth."""
    plain = receptive_field([(3, 1, 1)] * 4, 32)
    assert [r.rf for r in plain.layers] == [3, 5, 7, 9]
    assert receptive_field([(5, 1, 2)], 32).layers[0].rf == plain.layers[1].rf
    assert receptive_field([(7, 1, 3)], 32).layers[0].rf == plain.layers[2].rf
    strided = receptive_field([(3, 2, 1)] * 4, 64)
    assert [r.rf for r in strided.layers] == [3, 7, 15, 31]  # 2^(n+1) - 1


def test_spec_dilation_and_start():
    t = receptive_field([(3, 1, 0, 2), (2, 2, 0)], 16)
    assert [r.rf for r in t.layers] == [5, 6]
    assert [r.start for r in t.layers] == [2, 2.5]
    assert [r.output_size for r in t.layers] == [12, 6]


def test_str_table():
    text = str(receptive_field(*SEED_NETS["zf-5"][:1], 224, names=SEED_NETS["zf-5"][1]))
    assert text.splitlines()[0] == "receptive fields for a 224x224 input"
    # every ZF-5 layer pads (k - 1) / 2: the first unit stays centred on pixel 0
    assert text.splitlines()[-1].split() == ["conv5", "spec", "3", "1", "1", "14", "16", "139",
                                            "0"]


def test_model_left_alone():
    m = models.VGG()
    before = [p.array.copy() for p in m.parameters()]
    m.train()
    measure_receptive_field(m, 32)
    receptive_field(m, 32)
    assert m.training and isinstance(m.features[6], nn.MaxPool2d)
    assert all((a == p.array).all() and p.dtype == gradlab.float32
               for a, p in zip(before, m.parameters()))


def test_errors():
    with pytest.raises(ValueError, match=r"receptive_field: input_size must be a positive int "
                       r"or an \(H, W\) pair, got 0"):
        receptive_field([(3, 1, 1)], 0)
    with pytest.raises(ValueError, match=r"receptive_field: layer spec 1 must be \(kernel, "
                       r"stride, padding\[, dilation\]\), got \(3, 1\)"):
        receptive_field([(3, 1, 1), (3, 1)], 8)
    with pytest.raises(ValueError, match=r"receptive_field: layer spec 0 \(3, 0, 1\) needs "
                       r"kernel, stride, dilation >= 1 and padding >= 0"):
        receptive_field([(3, 0, 1)], 8)
    with pytest.raises(ValueError, match="receptive_field: 1 names for 2 layer specs"):
        receptive_field([(3, 1, 1), (3, 1, 1)], 8, names=["a"])
    with pytest.raises(ValueError, match=r"receptive_field: kernel 9 \(dilated 9\) is larger "
                       r"than the padded input 7 \+ 2 x 0"):
        receptive_field([(3, 1, 0), (9, 1, 0)], 9)
    with pytest.raises(ValueError, match="receptive_field: MLP has no Conv2d to take the input "
                       "channels from; pass in_channels="):
        receptive_field(models.MLP([4, 2]), 8)
    with pytest.raises(ValueError, match="measure_receptive_field: no module named 'nope' in "
                       "LeNet5"):
        measure_receptive_field(models.LeNet5(), 32, layers=["nope"])
    with pytest.raises(RuntimeError, match=r"receptive_field: the forward pass of VGG failed on "
                       r"an input of shape \(1, 3, 16, 16\) \(give a size the model accepts"):
        receptive_field(models.VGG(), 16)
    with pytest.raises(ValueError, match=r"RFLayer.region: unit \(0, 8\) is outside the "
                       r"output of layer 'conv1', of size \(8, 8\)"):
        receptive_field([(3, 1, 1)], 8, names=["conv1"])["conv1"].region((0, 8))
    with pytest.raises(KeyError, match="RFTable: no layer named 'conv9'"):
        receptive_field([(3, 1, 1)], 8, names=["conv1"])["conv9"]
