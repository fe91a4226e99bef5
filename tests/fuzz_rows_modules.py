"""Bad-call rows for the nn layers: constructors, forwards, containers and the Module API."""

from fuzztable import Bad


def _x(lib, *shape):
    """A deterministic float32 input of ``shape`` (values 0.1, 0.2, ...)."""
    n = 1
    for s in shape:
        n *= s
    return (lib.arange(n, dtype=lib.float32).reshape(*shape) + 1) / 10


def _shape(t):
    return tuple(t.shape)


def _lin(lib):
    lib.manual_seed(0)
    return lib.nn.Linear(3, 2)


def _sd(lib, **change):
    sd = dict(_lin(lib).state_dict())
    for k, v in change.items():
        if v is None:
            sd.pop(k)
        else:
            sd[k] = v
    return sd


def _rnn(lib, cls, *a, **k):
    return getattr(lib.nn, cls)(*a, **k)


def _fixed_tconv(lib):
    """ConvTranspose2d(2, 2, 3, stride=2) with weights 0.1, 0.2, ... and bias 0."""
    m = lib.nn.ConvTranspose2d(2, 2, 3, stride=2)
    with lib.no_grad():
        m.weight.copy_(_x(lib, 2, 2, 3, 3))
        m.bias.zero_()
    return m


def _mha_call(lib, q, k, v, **kw):
    return lib.nn.MultiheadAttention(4, 2)(q, k, v, **kw)


M = "module"

ROWS = [
    # Linear
    Bad(
        "Linear in_features mismatch",
        M,
        lambda lib: lib.nn.Linear(3, 2)(_x(lib, 4, 5)),
        ("linear", "[4, 5]", "[2, 3]"),
    ),
    Bad(
        "Linear 1-D input mismatch",
        M,
        lambda lib: lib.nn.Linear(3, 2)(_x(lib, 4)),
        ("linear", "[4]", "[2, 3]"),
    ),
    Bad("Linear(-1, 2)", M, lambda lib: lib.nn.Linear(-1, 2), ("Linear", "in_features", "-1")),
    Bad("Linear(3, -2)", M, lambda lib: lib.nn.Linear(3, -2), ("Linear", "out_features", "-2")),
    Bad("Linear(3.5, 2)", M, lambda lib: lib.nn.Linear(3.5, 2), ("Linear", "in_features", "float")),
    Bad(
        "Linear on 0-d input",
        M,
        lambda lib: lib.nn.Linear(1, 2)(lib.tensor(1.0)),
        ("linear", "at least 1D", "0D"),
    ),
    Bad("Linear(0, 2) forward", M, lambda lib: _shape(lib.nn.Linear(0, 2)(_x(lib, 4, 0)))),
    # Conv1d / Conv2d / ConvTranspose2d
    Bad(
        "Conv2d in_channels mismatch",
        M,
        lambda lib: lib.nn.Conv2d(3, 4, 3)(_x(lib, 1, 2, 5, 5)),
        ("Conv2d", "3", "2", "channels"),
    ),
    Bad(
        "Conv2d groups not dividing in_channels",
        M,
        lambda lib: lib.nn.Conv2d(4, 6, 3, groups=3),
        ("Conv2d", "in_channels", "groups"),
    ),
    Bad(
        "Conv2d groups not dividing out_channels",
        M,
        lambda lib: lib.nn.Conv2d(4, 6, 3, groups=4),
        ("Conv2d", "out_channels", "groups"),
    ),
    Bad("Conv2d groups=0", M, lambda lib: lib.nn.Conv2d(4, 4, 3, groups=0), ("Conv2d", "groups")),
    Bad("Conv2d groups=-2", M, lambda lib: lib.nn.Conv2d(4, 4, 3, groups=-2), ("Conv2d", "groups")),
    Bad(
        "Conv2d kernel_size=0",
        M,
        lambda lib: lib.nn.Conv2d(2, 2, 0)(_x(lib, 1, 2, 5, 5)),
        ("Conv2d", "kernel", "0"),
    ),
    Bad(
        "Conv2d kernel_size=-1",
        M,
        lambda lib: lib.nn.Conv2d(2, 2, -1),
        ("Conv2d", "kernel_size", "-1"),
    ),
    Bad(
        "Conv2d kernel_size=(3, -1)",
        M,
        lambda lib: lib.nn.Conv2d(2, 2, (3, -1)),
        ("Conv2d", "kernel_size", "-1"),
    ),
    Bad(
        "Conv2d padding=-1",
        M,
        lambda lib: lib.nn.Conv2d(2, 2, 3, padding=-1)(_x(lib, 1, 2, 5, 5)),
        ("conv2d", "padding", "-1"),
    ),
    Bad(
        "Conv2d padding='bad'",
        M,
        lambda lib: lib.nn.Conv2d(2, 2, 3, padding="bad"),
        ("Conv2d", "padding", "bad"),
    ),
    Bad(
        "Conv2d padding='same' stride 2",
        M,
        lambda lib: lib.nn.Conv2d(2, 2, 3, padding="same", stride=2),
        ("Conv2d", "same", "stride"),
    ),
    Bad(
        "Conv2d padding_mode='bad'",
        M,
        lambda lib: lib.nn.Conv2d(2, 2, 3, padding_mode="bad"),
        ("Conv2d", "padding_mode", "bad"),
    ),
    Bad(
        "Conv2d kernel larger than input",
        M,
        lambda lib: lib.nn.Conv2d(2, 2, 7)(_x(lib, 1, 2, 5, 5)),
        ("conv2d", "7", "5"),
    ),
    Bad(
        "Conv2d 2-D input",
        M,
        lambda lib: lib.nn.Conv2d(2, 2, 3)(_x(lib, 5, 5)),
        ("conv2d", "[5, 5]"),
    ),
    Bad(
        "Conv2d 5-D input",
        M,
        lambda lib: lib.nn.Conv2d(2, 2, 3)(_x(lib, 1, 1, 2, 5, 5)),
        ("conv2d", "[1, 1, 2, 5, 5]"),
    ),
    Bad(
        "Conv2d padding='same' even kernel",
        M,
        lambda lib: _shape(lib.nn.Conv2d(2, 2, 4, padding="same")(_x(lib, 1, 2, 5, 5))),
    ),
    Bad(
        "Conv2d stride=(1, 0)",
        M,
        lambda lib: lib.nn.Conv2d(2, 2, 3, stride=(1, 0))(_x(lib, 1, 2, 5, 5)),
        ("conv2d", "stride", "0"),
    ),
    Bad(
        "Conv2d kernel_size 3-tuple",
        M,
        lambda lib: lib.nn.Conv2d(2, 2, (3, 3, 3))(_x(lib, 1, 2, 5, 5)),
        ("Conv2d", "kernel"),
    ),
    Bad("Conv2d in_channels=0", M, lambda lib: lib.nn.Conv2d(0, 2, 3)),
    Bad(
        "Conv1d in_channels mismatch",
        M,
        lambda lib: lib.nn.Conv1d(2, 2, 3)(_x(lib, 1, 3, 5)),
        ("Conv1d", "2", "3", "channels"),
    ),
    Bad(
        "Conv1d 4-D input",
        M,
        lambda lib: lib.nn.Conv1d(2, 2, 3)(_x(lib, 1, 2, 5, 5)),
        ("conv1d", "[1, 2, 5, 5]"),
    ),
    Bad(
        "Conv1d groups not dividing",
        M,
        lambda lib: lib.nn.Conv1d(3, 4, 3, groups=2),
        ("Conv1d", "in_channels", "groups"),
    ),
    Bad(
        "Conv1d padding_mode='mirror'",
        M,
        lambda lib: lib.nn.Conv1d(2, 2, 3, padding_mode="mirror"),
        ("Conv1d", "padding_mode", "mirror"),
    ),
    Bad(
        "Conv1d kernel_size=0",
        M,
        lambda lib: lib.nn.Conv1d(2, 2, 0)(_x(lib, 1, 2, 5)),
        ("Conv1d", "kernel", "0"),
    ),
    Bad(
        "ConvTranspose2d in_channels mismatch",
        M,
        lambda lib: lib.nn.ConvTranspose2d(3, 2, 3)(_x(lib, 1, 2, 5, 5)),
        ("ConvTranspose2d", "3", "2", "channels"),
    ),
    Bad(
        "ConvTranspose2d groups not dividing",
        M,
        lambda lib: lib.nn.ConvTranspose2d(4, 4, 3, groups=3),
        ("ConvTranspose2d", "in_channels", "groups"),
    ),
    Bad(
        "ConvTranspose2d padding_mode reflect",
        M,
        lambda lib: lib.nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect"),
        ("ConvTranspose2d", "zeros", "padding"),
    ),
    Bad(
        "ConvTranspose2d output_padding >= stride",
        M,
        lambda lib: lib.nn.ConvTranspose2d(2, 2, 3, stride=2, output_padding=2)(
            _x(lib, 1, 2, 3, 3)
        ),
        ("conv_transpose2d", "output padding", "stride"),
    ),
    Bad(
        "ConvTranspose2d kernel_size=-1",
        M,
        lambda lib: lib.nn.ConvTranspose2d(2, 2, -1),
        ("ConvTranspose2d", "kernel_size", "-1"),
    ),
    Bad(
        "ConvTranspose2d 2-D input",
        M,
        lambda lib: lib.nn.ConvTranspose2d(2, 2, 3)(_x(lib, 3, 3)),
        ("conv_transpose2d", "[3, 3]"),
    ),
    Bad(
        "ConvTranspose2d groups=0",
        M,
        lambda lib: lib.nn.ConvTranspose2d(2, 2, 3, groups=0),
        ("ConvTranspose2d", "groups"),
    ),
    Bad(
        "ConvTranspose2d output_size stride 2",
        M,
        lambda lib: _fixed_tconv(lib)(_x(lib, 1, 2, 3, 3), output_size=[1, 2, 8, 8]),
    ),
    Bad(
        "ConvTranspose2d output_size out of range",
        M,
        lambda lib: lib.nn.ConvTranspose2d(2, 2, 3, stride=2)(
            _x(lib, 1, 2, 3, 3), output_size=[12, 12]
        ),
        ("ConvTranspose2d", "output size", "[12, 12]"),
    ),
    # pools
    Bad(
        "MaxPool2d kernel_size=0",
        M,
        lambda lib: lib.nn.MaxPool2d(0)(_x(lib, 1, 1, 4, 4)),
        ("max_pool2d", "kernel", "0"),
    ),
    Bad(
        "MaxPool2d stride=0",
        M,
        lambda lib: lib.nn.MaxPool2d(2, stride=0)(_x(lib, 1, 1, 4, 4)),
        ("max_pool2d", "stride", "0"),
    ),
    Bad(
        "MaxPool2d padding > kernel/2",
        M,
        lambda lib: lib.nn.MaxPool2d(3, padding=2)(_x(lib, 1, 1, 4, 4)),
        ("max_pool2d", "pad", "half"),
    ),
    Bad(
        "MaxPool2d padding=-1",
        M,
        lambda lib: lib.nn.MaxPool2d(2, padding=-1)(_x(lib, 1, 1, 4, 4)),
        ("MaxPool2d", "pad", "-1"),
    ),
    Bad(
        "MaxPool2d output too small",
        M,
        lambda lib: lib.nn.MaxPool2d(4)(_x(lib, 1, 1, 2, 2)),
        ("max_pool2d", "small"),
    ),
    Bad(
        "MaxPool2d 2-D input",
        M,
        lambda lib: lib.nn.MaxPool2d(2)(_x(lib, 4, 4)),
        ("max_pool2d", "[4, 4]"),
    ),
    Bad(
        "AvgPool2d kernel_size=0",
        M,
        lambda lib: lib.nn.AvgPool2d(0)(_x(lib, 1, 1, 4, 4)),
        ("avg_pool2d", "kernel", "0"),
    ),
    Bad(
        "AvgPool2d padding > kernel/2",
        M,
        lambda lib: lib.nn.AvgPool2d(2, padding=2)(_x(lib, 1, 1, 4, 4)),
        ("avg_pool2d", "pad", "half"),
    ),
    Bad(
        "AvgPool2d 5-D input",
        M,
        lambda lib: lib.nn.AvgPool2d(2)(_x(lib, 1, 1, 1, 4, 4)),
        ("avg_pool2d", "[1, 1, 1, 4, 4]"),
    ),
    Bad(
        "AvgPool2d stride=-1",
        M,
        lambda lib: lib.nn.AvgPool2d(2, stride=-1)(_x(lib, 1, 1, 4, 4)),
        ("avg_pool2d", "stride", "-1"),
    ),
    Bad(
        "AvgPool2d divisor_override=0",
        M,
        lambda lib: lib.nn.AvgPool2d(2, divisor_override=0)(_x(lib, 1, 1, 4, 4)),
        ("avg_pool2d", "divisor"),
    ),
    Bad(
        "AdaptiveAvgPool2d 1-D input",
        M,
        lambda lib: lib.nn.AdaptiveAvgPool2d(2)(_x(lib, 4)),
        ("adaptive_avg_pool2d", "[4]"),
    ),
    Bad(
        "AdaptiveAvgPool2d output_size=-1",
        M,
        lambda lib: lib.nn.AdaptiveAvgPool2d(-1)(_x(lib, 1, 1, 4, 4)),
        ("AdaptiveAvgPool2d", "output_size", "-1"),
    ),
    Bad(
        "AdaptiveAvgPool2d larger output",
        M,
        lambda lib: lib.nn.AdaptiveAvgPool2d((3, 5))(_x(lib, 1, 1, 2, 2)),
    ),
    Bad(
        "AdaptiveAvgPool2d None in output_size",
        M,
        lambda lib: lib.nn.AdaptiveAvgPool2d((None, 2))(_x(lib, 1, 1, 3, 4)),
    ),
    Bad(
        "AdaptiveMaxPool2d 2-D input",
        M,
        lambda lib: lib.nn.AdaptiveMaxPool2d(2)(_x(lib, 4, 4)),
        ("adaptive_max_pool2d", "[4, 4]"),
    ),
    Bad(
        "AdaptiveMaxPool2d output_size 3-tuple",
        M,
        lambda lib: lib.nn.AdaptiveMaxPool2d((1, 2, 3))(_x(lib, 1, 1, 4, 4)),
        ("AdaptiveMaxPool2d", "output_size"),
    ),
    # normalization
    Bad(
        "BatchNorm1d num_features mismatch",
        M,
        lambda lib: lib.nn.BatchNorm1d(3)(_x(lib, 4, 5)),
        ("BatchNorm1d", "3", "5"),
    ),
    Bad(
        "BatchNorm2d num_features mismatch",
        M,
        lambda lib: lib.nn.BatchNorm2d(3)(_x(lib, 2, 4, 2, 2)),
        ("BatchNorm2d", "3", "4"),
    ),
    Bad(
        "BatchNorm2d 3-D input",
        M,
        lambda lib: lib.nn.BatchNorm2d(3)(_x(lib, 2, 3, 2)),
        ("BatchNorm2d", "4D", "3D"),
    ),
    Bad(
        "BatchNorm1d 4-D input",
        M,
        lambda lib: lib.nn.BatchNorm1d(3)(_x(lib, 2, 3, 2, 2)),
        ("BatchNorm1d", "2D", "3D", "4D"),
    ),
    Bad(
        "BatchNorm1d batch of 1 training",
        M,
        lambda lib: lib.nn.BatchNorm1d(3)(_x(lib, 1, 3)),
        ("BatchNorm1d", "more than 1 value per channel", "[1, 3]"),
    ),
    Bad(
        "BatchNorm2d batch 1x1x1 training",
        M,
        lambda lib: lib.nn.BatchNorm2d(3)(_x(lib, 1, 3, 1, 1)),
        ("BatchNorm2d", "more than 1 value per channel"),
    ),
    Bad("BatchNorm1d batch of 1 eval", M, lambda lib: lib.nn.BatchNorm1d(3).eval()(_x(lib, 1, 3))),
    Bad(
        "BatchNorm1d(-1)",
        M,
        lambda lib: lib.nn.BatchNorm1d(-1),
        ("BatchNorm1d", "num_features", "-1"),
    ),
    Bad(
        "BatchNorm1d(2.5)",
        M,
        lambda lib: lib.nn.BatchNorm1d(2.5),
        ("BatchNorm1d", "num_features", "float"),
    ),
    Bad(
        "BatchNorm1d 1-D input",
        M,
        lambda lib: lib.nn.BatchNorm1d(3)(_x(lib, 3)),
        ("BatchNorm1d", "2D", "3D", "1D"),
    ),
    Bad(
        "LayerNorm normalized_shape mismatch",
        M,
        lambda lib: lib.nn.LayerNorm(4)(_x(lib, 2, 3)),
        ("layer_norm", "normalized_shape", "[4]", "[2, 3]"),
    ),
    Bad(
        "LayerNorm 2-D normalized_shape mismatch",
        M,
        lambda lib: lib.nn.LayerNorm((2, 3))(_x(lib, 3, 2)),
        ("layer_norm", "normalized_shape", "[2, 3]", "[3, 2]"),
    ),
    Bad(
        "LayerNorm input smaller than shape",
        M,
        lambda lib: lib.nn.LayerNorm((2, 3))(_x(lib, 3)),
        ("layer_norm", "normalized_shape", "[2, 3]", "[3]"),
    ),
    Bad(
        "LayerNorm(-1)",
        M,
        lambda lib: lib.nn.LayerNorm(-1),
        ("LayerNorm", "normalized_shape", "-1"),
    ),
    Bad("LayerNorm 1-D input of its shape", M, lambda lib: lib.nn.LayerNorm(3)(_x(lib, 3))),
    Bad(
        "GroupNorm groups not dividing",
        M,
        lambda lib: lib.nn.GroupNorm(4, 6),
        ("GroupNorm", "num_channels", "num_groups", "6", "4"),
    ),
    Bad(
        "GroupNorm num_groups=0", M, lambda lib: lib.nn.GroupNorm(0, 4), ("GroupNorm", "num_groups")
    ),
    Bad(
        "GroupNorm channels mismatch",
        M,
        lambda lib: lib.nn.GroupNorm(2, 4)(_x(lib, 2, 6, 3)),
        ("GroupNorm", "4", "6"),
    ),
    Bad(
        "GroupNorm 1-D input",
        M,
        lambda lib: lib.nn.GroupNorm(2, 4)(_x(lib, 4)),
        ("group_norm", "[4]"),
    ),
    Bad("GroupNorm(2, -4)", M, lambda lib: lib.nn.GroupNorm(2, -4), ("GroupNorm", "-4")),
    Bad(
        "GroupNorm one group per channel",
        M,
        lambda lib: lib.nn.GroupNorm(4, 4)(lib.arange(24.0).reshape(2, 4, 3)),
    ),
    Bad(
        "InstanceNorm2d affine channel mismatch",
        M,
        lambda lib: lib.nn.InstanceNorm2d(3, affine=True)(_x(lib, 1, 4, 2, 2)),
        ("InstanceNorm2d", "num_features", "3", "4"),
    ),
    Bad(
        "InstanceNorm2d 2-D input",
        M,
        lambda lib: lib.nn.InstanceNorm2d(3)(_x(lib, 3, 2)),
        ("InstanceNorm2d", "3D", "4D", "2D"),
    ),
    Bad(
        "InstanceNorm2d one spatial element",
        M,
        lambda lib: lib.nn.InstanceNorm2d(3)(_x(lib, 2, 3, 1, 1)),
        ("InstanceNorm2d", "more than 1 spatial element"),
    ),
    Bad("InstanceNorm2d unbatched", M, lambda lib: lib.nn.InstanceNorm2d(3)(_x(lib, 3, 2, 2))),
    Bad(
        "InstanceNorm2d channel mismatch no affine",
        M,
        lambda lib: lib.nn.InstanceNorm2d(3)(_x(lib, 1, 4, 2, 2)),
    ),
    # dropout
    Bad("Dropout(-0.1)", M, lambda lib: lib.nn.Dropout(-0.1), ("Dropout", "probability", "-0.1")),
    Bad("Dropout(1.5)", M, lambda lib: lib.nn.Dropout(1.5), ("Dropout", "probability", "1.5")),
    Bad("Dropout2d(2)", M, lambda lib: lib.nn.Dropout2d(2), ("Dropout2d", "probability", "2")),
    Bad("Dropout('a')", M, lambda lib: lib.nn.Dropout("a"), ("Dropout", "p", "str")),
    Bad("Dropout(1.0) training", M, lambda lib: lib.nn.Dropout(1.0)(_x(lib, 2, 3))),
    # embedding
    Bad(
        "Embedding index out of range",
        M,
        lambda lib: lib.nn.Embedding(5, 3)(lib.tensor([5])),
        ("embedding", "index", "5"),
    ),
    Bad(
        "Embedding negative index",
        M,
        lambda lib: lib.nn.Embedding(5, 3)(lib.tensor([-1])),
        ("embedding", "index", "-1"),
    ),
    Bad(
        "Embedding float index",
        M,
        lambda lib: lib.nn.Embedding(5, 3)(lib.tensor([1.0])),
        ("embedding", "indices", "float32"),
    ),
    Bad(
        "Embedding padding_idx=5",
        M,
        lambda lib: lib.nn.Embedding(5, 3, padding_idx=5),
        ("Embedding", "padding_idx", "5"),
    ),
    Bad(
        "Embedding padding_idx=-6",
        M,
        lambda lib: lib.nn.Embedding(5, 3, padding_idx=-6),
        ("Embedding", "padding_idx", "-6"),
    ),
    Bad(
        "Embedding(-1, 3)",
        M,
        lambda lib: lib.nn.Embedding(-1, 3),
        ("Embedding", "num_embeddings", "-1"),
    ),
    Bad(
        "Embedding padding_idx=-1 row zero",
        M,
        lambda lib: lib.nn.Embedding(5, 3, padding_idx=-1)(lib.tensor([4])),
    ),
    Bad(
        "Embedding.from_pretrained 1-D",
        M,
        lambda lib: lib.nn.Embedding.from_pretrained(_x(lib, 3)),
        ("Embedding", "2-dimensional"),
    ),
    Bad(
        "Embedding bool index",
        M,
        lambda lib: lib.nn.Embedding(5, 3)(lib.tensor([True])),
        ("embedding", "indices", "bool"),
    ),
    # RNN / LSTM / GRU
    Bad(
        "RNN input_size mismatch",
        M,
        lambda lib: lib.nn.RNN(3, 4)(_x(lib, 5, 2, 6)),
        ("RNN", "input_size", "3", "6"),
    ),
    Bad(
        "LSTM input_size mismatch",
        M,
        lambda lib: lib.nn.LSTM(3, 4)(_x(lib, 5, 2, 2)),
        ("LSTM", "input_size", "3", "2"),
    ),
    Bad(
        "GRU input_size mismatch batch_first",
        M,
        lambda lib: lib.nn.GRU(3, 4, batch_first=True)(_x(lib, 2, 5, 4)),
        ("GRU", "input_size", "3", "4"),
    ),
    Bad("RNN 1-D input", M, lambda lib: lib.nn.RNN(3, 4)(_x(lib, 3)), ("RNN", "2D", "3D", "1D")),
    Bad(
        "LSTM 4-D input",
        M,
        lambda lib: lib.nn.LSTM(3, 4)(_x(lib, 1, 5, 2, 3)),
        ("LSTM", "2D", "3D", "4D"),
    ),
    Bad(
        "RNN h0 batch mismatch",
        M,
        lambda lib: lib.nn.RNN(3, 4)(_x(lib, 5, 2, 3), _x(lib, 1, 3, 4)),
        ("RNN", "hidden", "(1, 2, 4)", "[1, 3, 4]"),
    ),
    Bad(
        "GRU h0 layers mismatch",
        M,
        lambda lib: lib.nn.GRU(3, 4, num_layers=2)(_x(lib, 5, 2, 3), _x(lib, 1, 2, 4)),
        ("GRU", "hidden", "(2, 2, 4)", "[1, 2, 4]"),
    ),
    Bad(
        "LSTM c0 shape wrong",
        M,
        lambda lib: lib.nn.LSTM(3, 4)(_x(lib, 5, 2, 3), (_x(lib, 1, 2, 4), _x(lib, 1, 2, 5))),
        ("LSTM", "hidden[1]", "(1, 2, 4)", "[1, 2, 5]"),
    ),
    Bad(
        "LSTM h0 tensor not tuple",
        M,
        lambda lib: lib.nn.LSTM(3, 4)(_x(lib, 5, 2, 3), _x(lib, 2, 2, 4)),
        ("LSTM", "hx", "tuple"),
    ),
    Bad(
        "RNN 2-D h0 with batched input",
        M,
        lambda lib: lib.nn.RNN(3, 4)(_x(lib, 5, 2, 3), _x(lib, 2, 4)),
        ("RNN", "hx", "3-D", "2-D"),
    ),
    Bad(
        "RNN 3-D h0 with unbatched input",
        M,
        lambda lib: lib.nn.RNN(3, 4)(_x(lib, 5, 3), _x(lib, 1, 1, 4)),
        ("RNN", "hx", "2-D", "3-D"),
    ),
    Bad(
        "GRU int64 input",
        M,
        lambda lib: lib.nn.GRU(3, 4)(lib.ones(5, 2, 3, dtype=lib.int64)),
        ("GRU", "int64", "float32"),
    ),
    Bad(
        "RNN nonlinearity='sigmoid'",
        M,
        lambda lib: lib.nn.RNN(3, 4, nonlinearity="sigmoid"),
        ("RNN", "nonlinearity", "sigmoid"),
    ),
    Bad(
        "RNN num_layers=0",
        M,
        lambda lib: lib.nn.RNN(3, 4, num_layers=0),
        ("RNN", "num_layers", "0"),
    ),
    Bad(
        "GRU num_layers=1.5",
        M,
        lambda lib: lib.nn.GRU(3, 4, num_layers=1.5),
        ("GRU", "num_layers", "float"),
    ),
    Bad(
        "LSTM dropout=1.5",
        M,
        lambda lib: lib.nn.LSTM(3, 4, dropout=1.5),
        ("LSTM", "dropout", "1.5"),
    ),
    Bad(
        "LSTM dropout=-0.1",
        M,
        lambda lib: lib.nn.LSTM(3, 4, dropout=-0.1),
        ("LSTM", "dropout", "-0.1"),
    ),
    Bad(
        "GRU dropout=True",
        M,
        lambda lib: lib.nn.GRU(3, 4, dropout=True),
        ("GRU", "dropout", "True"),
    ),
    Bad("LSTM hidden_size=0", M, lambda lib: lib.nn.LSTM(3, 0), ("LSTM", "hidden_size", "0")),
    Bad("RNN hidden_size=2.0", M, lambda lib: lib.nn.RNN(3, 2.0), ("RNN", "hidden_size", "float")),
    Bad(
        "LSTM proj_size >= hidden",
        M,
        lambda lib: lib.nn.LSTM(3, 4, proj_size=4),
        ("LSTM", "proj_size", "hidden_size"),
    ),
    Bad("LSTM proj_size=-1", M, lambda lib: lib.nn.LSTM(3, 4, proj_size=-1), ("LSTM", "proj_size")),
    Bad("GRU proj_size=2", M, lambda lib: lib.nn.GRU(3, 4, proj_size=2), ("GRU", "proj_size", "2")),
    Bad(
        "LSTM one layer with dropout",
        M,
        lambda lib: _shape(lib.nn.LSTM(3, 4, dropout=0.5)(_x(lib, 5, 2, 3))[0]),
    ),
    Bad(
        "RNNCell input_size mismatch",
        M,
        lambda lib: lib.nn.RNNCell(3, 4)(_x(lib, 2, 5)),
        ("RNNCell", "input_size", "5", "3"),
    ),
    Bad(
        "LSTMCell hidden batch mismatch",
        M,
        lambda lib: lib.nn.LSTMCell(3, 4)(_x(lib, 2, 3), (_x(lib, 3, 4), _x(lib, 3, 4))),
        ("LSTMCell", "batch", "2", "3"),
    ),
    Bad(
        "GRUCell 3-D input",
        M,
        lambda lib: lib.nn.GRUCell(3, 4)(_x(lib, 2, 2, 3)),
        ("GRUCell", "1D", "2D", "3D"),
    ),
    Bad(
        "GRUCell hidden size mismatch",
        M,
        lambda lib: lib.nn.GRUCell(3, 4)(_x(lib, 2, 3), _x(lib, 2, 5)),
        ("GRUCell", "hidden", "5", "4"),
    ),
    Bad(
        "RNNCell nonlinearity bad",
        M,
        lambda lib: lib.nn.RNNCell(3, 4, nonlinearity="gelu")(_x(lib, 2, 3)),
        ("RNNCell", "nonlinearity", "gelu"),
    ),
    # containers
    Bad(
        "Sequential non-Module",
        M,
        lambda lib: lib.nn.Sequential(lib.nn.ReLU(), 3),
        ("int", "Module"),
    ),
    Bad(
        "Sequential index out of range",
        M,
        lambda lib: lib.nn.Sequential(lib.nn.ReLU())[5],
        ("index", "5", "out of range"),
    ),
    Bad(
        "Sequential index -2 out of range",
        M,
        lambda lib: lib.nn.Sequential(lib.nn.ReLU())[-2],
        ("index", "-2", "out of range"),
    ),
    Bad(
        "Sequential str index",
        M,
        lambda lib: lib.nn.Sequential(lib.nn.ReLU())["a"],
        ("Sequential", "index", "str"),
    ),
    Bad("Sequential empty forward", M, lambda lib: lib.nn.Sequential()(_x(lib, 2, 2))),
    Bad(
        "Sequential append non-Module",
        M,
        lambda lib: lib.nn.Sequential().append(3),
        ("int", "Module"),
    ),
    Bad(
        "Sequential insert out of range",
        M,
        lambda lib: lib.nn.Sequential(lib.nn.ReLU()).insert(10, lib.nn.Tanh()),
        ("Sequential", "Index", "out of range", "10"),
    ),
    Bad(
        "Sequential del index out of range",
        M,
        lambda lib: lib.nn.Sequential(lib.nn.ReLU()).__delitem__(3),
        ("index", "3", "out of range"),
    ),
    Bad("ModuleList non-Module", M, lambda lib: lib.nn.ModuleList([1]), ("int", "Module")),
    Bad(
        "ModuleList index out of range",
        M,
        lambda lib: lib.nn.ModuleList([lib.nn.ReLU()])[3],
        ("index", "3", "out of range"),
    ),
    Bad(
        "ModuleList append non-Module",
        M,
        lambda lib: lib.nn.ModuleList().append("relu"),
        ("str", "Module"),
    ),
    Bad(
        "ModuleList extend non-iterable",
        M,
        lambda lib: lib.nn.ModuleList().extend(3),
        ("ModuleList.extend", "iterable", "int"),
    ),
    Bad(
        "ModuleList setitem non-Module",
        M,
        lambda lib: lib.nn.ModuleList([lib.nn.ReLU()]).__setitem__(0, 2.0),
        ("float", "Module"),
    ),
    Bad(
        "ModuleDict non-Module value", M, lambda lib: lib.nn.ModuleDict({"a": 3}), ("int", "Module")
    ),
    Bad(
        "ModuleDict dotted key",
        M,
        lambda lib: lib.nn.ModuleDict({"a.b": lib.nn.ReLU()}),
        ("ModuleDict", "module name", ".", "a.b"),
    ),
    Bad(
        "ModuleDict missing key",
        M,
        lambda lib: lib.nn.ModuleDict({"a": lib.nn.ReLU()})["x"],
        ("ModuleDict", "x"),
    ),
    Bad(
        "ModuleDict from list of ints",
        M,
        lambda lib: lib.nn.ModuleDict([1, 2]),
        ("ModuleDict", "#0", "int"),
    ),
    Bad(
        "ModuleDict from bad pair",
        M,
        lambda lib: lib.nn.ModuleDict([("a", lib.nn.ReLU(), 1)]),
        ("ModuleDict", "#0", "3"),
    ),
    Bad(
        "ModuleDict update non-iterable",
        M,
        lambda lib: lib.nn.ModuleDict().update(3),
        ("ModuleDict", "iterable", "int"),
    ),
    Bad(
        "ModuleDict int key",
        M,
        lambda lib: lib.nn.ModuleDict({1: lib.nn.ReLU()}),
        ("ModuleDict", "module name", "string", "int"),
    ),
    Bad(
        "ModuleDict empty key",
        M,
        lambda lib: lib.nn.ModuleDict({"": lib.nn.ReLU()}),
        ("ModuleDict", "module name", "empty"),
    ),
    # Module API
    Bad(
        "load_state_dict missing key",
        M,
        lambda lib: _lin(lib).load_state_dict(_sd(lib, bias=None)),
        ("Linear", "Missing key", "bias"),
    ),
    Bad(
        "load_state_dict unexpected key",
        M,
        lambda lib: _lin(lib).load_state_dict(_sd(lib, extra=lib.ones(2))),
        ("Linear", "Unexpected key", "extra"),
    ),
    Bad(
        "load_state_dict shape mismatch",
        M,
        lambda lib: _lin(lib).load_state_dict(_sd(lib, weight=lib.ones(3, 3))),
        ("Linear", "size mismatch", "weight", "[3, 3]", "[2, 3]"),
    ),
    Bad(
        "load_state_dict shape mismatch strict=False",
        M,
        lambda lib: _lin(lib).load_state_dict(_sd(lib, weight=lib.ones(3, 3)), strict=False),
        ("Linear", "size mismatch", "weight"),
    ),
    Bad(
        "Module.load_state_dict not a dict",
        M,
        lambda lib: _lin(lib).load_state_dict(3),
        ("Linear", "load_state_dict", "dict", "int"),
    ),
    Bad(
        "load_state_dict non-tensor value",
        M,
        lambda lib: _lin(lib).load_state_dict(_sd(lib, bias=[1.0, 2.0])),
        ("Linear", "bias", "list"),
    ),
    Bad(
        "load_state_dict strict=False missing",
        M,
        lambda lib: tuple(
            map(
                list,
                _lin(lib).load_state_dict(_sd(lib, bias=None, extra=lib.ones(1)), strict=False),
            )
        ),
    ),
    Bad(
        "load_state_dict NumPy values",
        M,
        lambda lib: _lin(lib).load_state_dict({k: v.detach().numpy() for k, v in _sd(lib).items()}),
        lenient="gradlab's load_state_dict takes NumPy arrays as values (documented: checkpoints "
        "read without torch); it copies them and returns no missing or unexpected keys",
    ),
    Bad(
        "load_state_dict scalar for vector",
        M,
        lambda lib: _lin(lib).load_state_dict(_sd(lib, bias=lib.tensor(1.0))),
        ("Linear", "size mismatch", "bias"),
    ),
    Bad(
        "register_buffer dotted",
        M,
        lambda lib: lib.nn.Module().register_buffer("a.b", lib.ones(1)),
        ("register_buffer", "buffer name", ".", "a.b"),
    ),
    Bad(
        "register_buffer empty",
        M,
        lambda lib: lib.nn.Module().register_buffer("", lib.ones(1)),
        ("register_buffer", "buffer name", "empty"),
    ),
    Bad(
        "register_buffer int name",
        M,
        lambda lib: lib.nn.Module().register_buffer(3, lib.ones(1)),
        ("register_buffer", "buffer name", "string", "int"),
    ),
    Bad(
        "register_buffer non-tensor",
        M,
        lambda lib: lib.nn.Module().register_buffer("x", 3),
        ("register_buffer", "int", "buffer", "x"),
    ),
    Bad(
        "register_buffer existing attr",
        M,
        lambda lib: lib.nn.Linear(2, 2).register_buffer("weight", lib.ones(1)),
        ("Linear.register_buffer", "attribute", "weight", "exists"),
    ),
    Bad(
        "register_parameter plain tensor",
        M,
        lambda lib: lib.nn.Module().register_parameter("w", lib.ones(2)),
        ("w", "Parameter"),
    ),
    Bad(
        "register_parameter dotted",
        M,
        lambda lib: lib.nn.Module().register_parameter("a.b", lib.nn.Parameter(lib.ones(1))),
        ("register_parameter", "parameter name", ".", "a.b"),
    ),
    Bad(
        "register_parameter empty",
        M,
        lambda lib: lib.nn.Module().register_parameter("", lib.nn.Parameter(lib.ones(1))),
        ("register_parameter", "parameter name", "empty"),
    ),
    Bad(
        "register_parameter int name",
        M,
        lambda lib: lib.nn.Module().register_parameter(1, lib.nn.Parameter(lib.ones(1))),
        ("register_parameter", "parameter name", "string", "int"),
    ),
    Bad(
        "register_parameter existing attr",
        M,
        lambda lib: _with_attr(lib).register_parameter("foo", lib.nn.Parameter(lib.ones(1))),
        ("register_parameter", "attribute", "foo", "exists"),
    ),
    Bad(
        "add_module dotted",
        M,
        lambda lib: lib.nn.Module().add_module("a.b", lib.nn.ReLU()),
        ("add_module", "module name", ".", "a.b"),
    ),
    Bad(
        "add_module non-Module",
        M,
        lambda lib: lib.nn.Module().add_module("x", 3),
        ("add_module", "int", "Module"),
    ),
    Bad(
        "add_module int name",
        M,
        lambda lib: lib.nn.Module().add_module(3, lib.nn.ReLU()),
        ("add_module", "module name", "string", "int"),
    ),
    Bad(
        "add_module empty",
        M,
        lambda lib: lib.nn.Module().add_module("", lib.nn.ReLU()),
        ("add_module", "module name", "empty"),
    ),
    Bad(
        "add_module existing attr",
        M,
        lambda lib: lib.nn.Linear(2, 2).add_module("weight", lib.nn.ReLU()),
        ("Linear.add_module", "attribute", "weight", "exists"),
    ),
    Bad(
        "assign tensor to parameter attr",
        M,
        lambda lib: setattr(lib.nn.Linear(3, 2), "weight", lib.ones(2, 3)),
        ("Linear", "weight", "Parameter"),
    ),
    Bad(
        "assign int to submodule attr",
        M,
        lambda lib: setattr(lib.nn.Sequential(lib.nn.ReLU()), "0", 3),
        ("Sequential", "0", "Module"),
    ),
    Bad("missing attribute", M, lambda lib: lib.nn.Linear(3, 2).nope, ("Linear", "nope")),
    Bad(
        "get_submodule missing",
        M,
        lambda lib: lib.nn.Linear(3, 2).get_submodule("x"),
        ("Linear", "x"),
    ),
    Bad(
        "get_parameter missing",
        M,
        lambda lib: lib.nn.Linear(3, 2).get_parameter("x"),
        ("Linear", "parameter", "x"),
    ),
    Bad(
        "get_parameter not a parameter",
        M,
        lambda lib: lib.nn.Sequential(lib.nn.ReLU()).get_parameter("0"),
        ("Sequential", "parameter", "0"),
    ),
    Bad(
        "to bad device",
        M,
        lambda lib: lib.nn.Linear(3, 2).to("nodevice"),
        ("Module.to", "nodevice"),
    ),
    Bad(
        "to int dtype",
        M,
        lambda lib: lib.nn.Linear(3, 2).to(dtype=lib.int64),
        ("Module.to", "floating point", "int64"),
    ),
    Bad(
        "train('yes')",
        M,
        lambda lib: lib.nn.Linear(3, 2).train("yes"),
        ("Linear.train", "training mode", "bool", "yes"),
    ),
    Bad(
        "Parameter from list",
        M,
        lambda lib: lib.nn.Parameter([1.0, 2.0]),
        ("Parameter", "list"),
        lenient="gradlab's Parameter(data) takes any array-like (the conversion gradlab.tensor "
        "uses; torch fails on it with AttributeError: 'list' has no 'detach'); "
        "returns Parameter([1., 2.]), requires_grad=True",
    ),
    Bad(
        "requires_grad_ on int parameter",
        M,
        lambda lib: lib.nn.Parameter(lib.ones(2, dtype=lib.int64)),
        ("Parameter", "floating point", "int64"),
    ),
    # attention / transformer
    Bad(
        "MultiheadAttention heads not dividing",
        M,
        lambda lib: lib.nn.MultiheadAttention(5, 2),
        ("MultiheadAttention", "embed_dim", "num_heads", "5", "2"),
    ),
    Bad(
        "MultiheadAttention num_heads=0",
        M,
        lambda lib: lib.nn.MultiheadAttention(4, 0),
        ("MultiheadAttention", "num_heads", "0"),
    ),
    Bad(
        "TransformerEncoderLayer heads not dividing",
        M,
        lambda lib: lib.nn.TransformerEncoderLayer(5, 2),
        ("MultiheadAttention", "embed_dim", "num_heads", "5", "2"),
    ),
    Bad(
        "TransformerEncoderLayer activation bad",
        M,
        lambda lib: lib.nn.TransformerEncoderLayer(4, 2, activation="swish"),
        ("activation", "relu", "gelu", "swish"),
    ),
    Bad(
        "TransformerEncoder non-layer",
        M,
        lambda lib: lib.nn.TransformerEncoder(3, 2),
        ("TransformerEncoder", "int"),
    ),
    # Flatten / Unflatten
    Bad(
        "Flatten start after end",
        M,
        lambda lib: lib.nn.Flatten(2, 1)(_x(lib, 2, 3, 4)),
        ("flatten", "start_dim", "end_dim"),
    ),
    Bad(
        "Flatten dim out of range",
        M,
        lambda lib: lib.nn.Flatten(5)(_x(lib, 2, 3)),
        ("Dimension out of range", "5"),
    ),
    Bad("Flatten on 0-d", M, lambda lib: lib.nn.Flatten(0)(lib.tensor(2.0))),
    Bad(
        "Unflatten sizes don't multiply",
        M,
        lambda lib: lib.nn.Unflatten(1, (2, 2))(_x(lib, 3, 5)),
        ("unflatten", "[2, 2]", "5"),
    ),
    Bad("Unflatten -1 inferred", M, lambda lib: lib.nn.Unflatten(1, (2, -1))(_x(lib, 3, 4))),
    Bad(
        "Unflatten str size",
        M,
        lambda lib: lib.nn.Unflatten(1, "ab"),
        ("Unflatten", "unflattened_size", "str"),
    ),
    Bad(
        "Unflatten float in size",
        M,
        lambda lib: lib.nn.Unflatten(1, (2, 2.0)),
        ("Unflatten", "unflattened_size", "float", "1"),
    ),
    Bad(
        "Unflatten two -1",
        M,
        lambda lib: lib.nn.Unflatten(1, (-1, -1))(_x(lib, 3, 4)),
        ("Unflatten", "-1"),
    ),
    Bad(
        "Unflatten dim out of range",
        M,
        lambda lib: lib.nn.Unflatten(3, (2, 2))(_x(lib, 3, 4)),
        ("Dimension out of range", "3"),
    ),
    # softmax
    Bad(
        "Softmax dim out of range",
        M,
        lambda lib: lib.nn.Softmax(dim=2)(_x(lib, 2, 3)),
        ("Dimension out of range", "2"),
    ),
    Bad(
        "LogSoftmax dim=-3",
        M,
        lambda lib: lib.nn.LogSoftmax(dim=-3)(_x(lib, 2, 3)),
        ("Dimension out of range", "-3"),
    ),
    Bad("Softmax dim None (legacy)", M, lambda lib: lib.nn.Softmax()(_x(lib, 2, 3))),
    Bad(
        "Softmax dim float",
        M,
        lambda lib: lib.nn.Softmax(dim=1.0)(_x(lib, 2, 3)),
        ("softmax", "dim", "float"),
    ),
    # activations
    Bad(
        "PReLU num_parameters mismatch",
        M,
        lambda lib: lib.nn.PReLU(3)(_x(lib, 2, 4)),
        ("prelu", "3", "4"),
    ),
    Bad(
        "ELU inplace on leaf",
        M,
        lambda lib: lib.nn.ELU(inplace=True)(_x(lib, 2).requires_grad_()),
        ("leaf", "in-place"),
        lenient="gradlab computes inplace=True out of place (nn/functional/activation.py says so), "
        "so no leaf is written "
        "and the hazard torch refuses cannot arise; returns elu(x) with a grad_fn",
    ),
    # loss modules
    Bad(
        "MSELoss reduction bad",
        M,
        lambda lib: lib.nn.MSELoss(reduction="bad")(_x(lib, 2), _x(lib, 2)),
        ("mse_loss", "bad", "reduction"),
    ),
    Bad(
        "L1Loss reduction avg",
        M,
        lambda lib: lib.nn.L1Loss(reduction="avg")(_x(lib, 2), _x(lib, 2)),
        ("l1_loss", "avg", "reduction"),
    ),
    Bad(
        "CrossEntropyLoss reduction bad",
        M,
        lambda lib: lib.nn.CrossEntropyLoss(reduction="total")(_x(lib, 2, 3), lib.tensor([0, 1])),
        ("cross_entropy", "total", "reduction"),
    ),
    Bad(
        "NLLLoss reduction bad",
        M,
        lambda lib: lib.nn.NLLLoss(reduction="x")(_x(lib, 2, 3), lib.tensor([0, 1])),
        ("nll_loss", "x", "reduction"),
    ),
    Bad(
        "BCELoss reduction bad",
        M,
        lambda lib: lib.nn.BCELoss(reduction="none ")(_x(lib, 2), _x(lib, 2)),
        ("binary_cross_entropy", "none ", "reduction"),
    ),
    Bad(
        "SmoothL1Loss reduction bad",
        M,
        lambda lib: lib.nn.SmoothL1Loss(reduction=None)(_x(lib, 2), _x(lib, 2)),
        ("smooth_l1_loss", "None", "reduction"),
    ),
    Bad(
        "KLDivLoss reduction bad",
        M,
        lambda lib: lib.nn.KLDivLoss(reduction="avg")(_x(lib, 2), _x(lib, 2)),
        ("kl_div", "avg", "reduction"),
    ),
    Bad(
        "HuberLoss reduction bad",
        M,
        lambda lib: lib.nn.HuberLoss(reduction="max")(_x(lib, 2), _x(lib, 2)),
        ("huber_loss", "max", "reduction"),
    ),
    Bad(
        "BCEWithLogitsLoss reduction bad",
        M,
        lambda lib: lib.nn.BCEWithLogitsLoss(reduction="bad")(_x(lib, 2), _x(lib, 2)),
        ("binary_cross_entropy_with_logits", "bad", "reduction"),
    ),
    Bad(
        "CrossEntropyLoss target out of range",
        M,
        lambda lib: lib.nn.CrossEntropyLoss()(_x(lib, 2, 3), lib.tensor([0, 3])),
        ("cross_entropy", "target", "3"),
    ),
    Bad(
        "CrossEntropyLoss weight size",
        M,
        lambda lib: lib.nn.CrossEntropyLoss(weight=lib.ones(2))(_x(lib, 2, 3), lib.tensor([0, 1])),
        ("cross_entropy", "weight", "[3]", "[2]"),
    ),
    Bad(
        "NLLLoss batch mismatch",
        M,
        lambda lib: lib.nn.NLLLoss()(_x(lib, 2, 3), lib.tensor([0, 1, 2])),
        ("nll_loss", "[2]", "[3]"),
    ),
    Bad(
        "BCELoss size mismatch",
        M,
        lambda lib: lib.nn.BCELoss()(_x(lib, 2), _x(lib, 3)),
        ("binary_cross_entropy", "[3]", "[2]"),
    ),
    Bad(
        "BCELoss input above 1",
        M,
        lambda lib: lib.nn.BCELoss()(lib.tensor([1.5]), lib.tensor([1.0])),
        ("binary_cross_entropy", "input", "between 0 and 1"),
    ),
    Bad(
        "BCEWithLogitsLoss size mismatch",
        M,
        lambda lib: lib.nn.BCEWithLogitsLoss()(_x(lib, 2), _x(lib, 3)),
        ("binary_cross_entropy_with_logits", "[3]", "[2]"),
    ),
    Bad(
        "HuberLoss delta=-1",
        M,
        lambda lib: lib.nn.HuberLoss(delta=-1.0)(_x(lib, 2), _x(lib, 2)),
        ("huber_loss", "delta"),
    ),
    Bad(
        "SmoothL1Loss beta=-1",
        M,
        lambda lib: lib.nn.SmoothL1Loss(beta=-1.0)(_x(lib, 2), _x(lib, 2)),
        ("smooth_l1_loss", "beta"),
    ),
]


ROWS += [
    # more argument types and values
    Bad(
        "GELU approximate bad",
        M,
        lambda lib: lib.nn.GELU(approximate="fast")(_x(lib, 2)),
        ("gelu", "approximate", "fast"),
    ),
    Bad("PReLU num_parameters=0", M, lambda lib: lib.nn.PReLU(0)(_x(lib, 2, 3)), ("prelu", "0")),
    Bad("PReLU init str", M, lambda lib: lib.nn.PReLU(init="a"), ("PReLU", "init", "str")),
    Bad("ELU alpha str", M, lambda lib: lib.nn.ELU(alpha="a")(_x(lib, 2)), ("ELU", "alpha", "str")),
    Bad(
        "LeakyReLU slope str",
        M,
        lambda lib: lib.nn.LeakyReLU("a")(_x(lib, 2)),
        ("LeakyReLU", "negative_slope", "str"),
    ),
    Bad("Softplus beta=0", M, lambda lib: lib.nn.Softplus(beta=0)(_x(lib, 3))),
    Bad(
        "Flatten end_dim float",
        M,
        lambda lib: lib.nn.Flatten(1, 2.0)(_x(lib, 2, 3, 4)),
        ("Flatten", "end_dim", "float"),
    ),
    Bad("Identity with arguments", M, lambda lib: lib.nn.Identity(3, k=4)(_x(lib, 2))),
    Bad(
        "LazyLinear weight before forward",
        M,
        lambda lib: lib.nn.LazyLinear(3).weight.shape,
        ("UninitializedParameter", "shape"),
    ),
    Bad(
        "LazyLinear(-1)",
        M,
        lambda lib: lib.nn.LazyLinear(-1)(_x(lib, 2, 3)),
        ("LazyLinear", "out_features", "-1"),
    ),
    Bad(
        "LazyConv2d 2-D input",
        M,
        lambda lib: lib.nn.LazyConv2d(2, 3)(_x(lib, 4, 4)),
        ("LazyConv2d", "[4, 4]"),
    ),
    Bad(
        "Conv2d kernel_size float",
        M,
        lambda lib: lib.nn.Conv2d(2, 2, 2.5),
        ("Conv2d", "kernel_size", "float"),
    ),
    Bad(
        "Conv2d stride str",
        M,
        lambda lib: lib.nn.Conv2d(2, 2, 3, stride="2")(_x(lib, 1, 2, 5, 5)),
        ("Conv2d", "stride", "str"),
    ),
    Bad("Conv2d bias='yes'", M, lambda lib: tuple(lib.nn.Conv2d(2, 2, 3, bias="yes").bias.shape)),
    Bad(
        "MaxPool2d kernel_size float",
        M,
        lambda lib: lib.nn.MaxPool2d(2.5)(_x(lib, 1, 1, 4, 4)),
        ("MaxPool2d", "kernel_size", "float"),
    ),
    Bad(
        "AvgPool2d stride float",
        M,
        lambda lib: lib.nn.AvgPool2d(2, stride=1.5)(_x(lib, 1, 1, 4, 4)),
        ("AvgPool2d", "stride", "float"),
    ),
    Bad(
        "AdaptiveAvgPool2d output_size float",
        M,
        lambda lib: lib.nn.AdaptiveAvgPool2d(2.5)(_x(lib, 1, 1, 4, 4)),
        ("AdaptiveAvgPool2d", "output_size", "float"),
    ),
    Bad(
        "BatchNorm2d eps negative (eval)",
        M,
        lambda lib: lib.nn.BatchNorm2d(2, eps=-1.0).eval()(_x(lib, 1, 2, 2, 2)),
        ("BatchNorm2d", "eps", "-1.0"),
    ),
    Bad(
        "BatchNorm1d eps=0 training",
        M,
        lambda lib: lib.nn.BatchNorm1d(2, eps=0.0)(_x(lib, 4, 2)),
        ("BatchNorm1d", "eps", "0.0"),
        lenient="gradlab allows eps=0 in training (torch asks for eps > 0 there): the batch "
        "variance is used as is, which gradlab's errata uses to show BatchNorm's identity "
        "exactly; returns the normalized batch",
    ),
    Bad(
        "GroupNorm num_groups float",
        M,
        lambda lib: lib.nn.GroupNorm(2.0, 4)(_x(lib, 2, 4, 3)),
        ("GroupNorm", "num_groups", "float"),
    ),
    Bad(
        "Embedding max_norm on float index",
        M,
        lambda lib: lib.nn.Embedding(3, 2, max_norm=1.0)(lib.tensor([0.0])),
        ("embedding", "float32"),
    ),
    Bad(
        "Embedding.from_pretrained padding_idx out of range",
        M,
        lambda lib: lib.nn.Embedding.from_pretrained(_x(lib, 3, 2), padding_idx=3),
        ("Embedding", "padding_idx", "3"),
    ),
    Bad(
        "LSTM bidirectional h0 shape",
        M,
        lambda lib: lib.nn.LSTM(3, 4, bidirectional=True)(
            _x(lib, 5, 2, 3), (_x(lib, 1, 2, 4), _x(lib, 1, 2, 4))
        ),
        ("LSTM", "(2, 2, 4)", "[1, 2, 4]"),
    ),
    Bad(
        "GRU h0 float64",
        M,
        lambda lib: lib.nn.GRU(3, 4)(_x(lib, 5, 2, 3), lib.zeros(1, 2, 4, dtype=lib.float64)),
        ("GRU", "float64", "float32"),
    ),
    Bad(
        "GRUCell h float64",
        M,
        lambda lib: lib.nn.GRUCell(3, 4)(_x(lib, 2, 3), lib.zeros(2, 4, dtype=lib.float64)),
        ("GRUCell", "float64", "float32"),
    ),
    Bad(
        "RNN empty sequence",
        M,
        lambda lib: lib.nn.RNN(3, 4)(_x(lib, 0, 2, 3)),
        ("RNN", "sequence length"),
    ),
    Bad(
        "TransformerEncoderLayer dropout=2",
        M,
        lambda lib: lib.nn.TransformerEncoderLayer(4, 2, dropout=2.0),
        ("Dropout", "dropout probability", "2.0"),
    ),
    Bad(
        "TransformerEncoderLayer dim_feedforward=0",
        M,
        lambda lib: _shape(
            lib.nn.TransformerEncoderLayer(4, 2, dim_feedforward=0)(_x(lib, 3, 1, 4))
        ),
    ),
    Bad(
        "Module without forward", M, lambda lib: lib.nn.Module()(_x(lib, 2)), ("Module", "forward")
    ),
    Bad(
        "Sequential OrderedDict of an int",
        M,
        lambda lib: lib.nn.Sequential(__import__("collections").OrderedDict(a=3)),
        ("int", "Module"),
    ),
    Bad("ModuleDict pop missing", M, lambda lib: lib.nn.ModuleDict().pop("x"), ("ModuleDict", "x")),
    Bad(
        "register_forward_hook non-callable",
        M,
        lambda lib: (lambda m: (m.register_forward_hook(3), m(_x(lib, 1, 2)))[1])(
            lib.nn.Linear(2, 2)
        ),
        ("register_forward_hook", "callable", "int"),
    ),
    Bad(
        "register_forward_pre_hook non-callable",
        M,
        lambda lib: (lambda m: (m.register_forward_pre_hook("f"), m(_x(lib, 1, 2)))[1])(
            lib.nn.Linear(2, 2)
        ),
        ("register_forward_pre_hook", "callable", "str"),
    ),
    Bad(
        "load_state_dict assign shape mismatch",
        M,
        lambda lib: lib.nn.Linear(3, 2).load_state_dict(
            {"weight": lib.ones(4, 4), "bias": lib.ones(2)}, assign=True
        ),
        ("Linear", "size mismatch", "weight"),
    ),
    Bad(
        "CrossEntropyLoss float target wrong shape",
        M,
        lambda lib: lib.nn.CrossEntropyLoss()(_x(lib, 2, 3), _x(lib, 2)),
        ("cross_entropy", "[2]", "[2, 3]"),
    ),
    Bad(
        "KLDivLoss batchmean",
        M,
        lambda lib: lib.nn.KLDivLoss(reduction="batchmean")(_x(lib, 2, 2).log(), _x(lib, 2, 2)),
    ),
]


def _with_attr(lib):
    m = lib.nn.Module()
    m.foo = 3
    return m
